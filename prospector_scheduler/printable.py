"""Text from outside, made safe to show to a person: one rule for every message and table.

A username, an email, a path, a command-line word or an SQLite message may come
from a users file, a database or a command line that another program writes:
an escape sequence in it would drive the terminal, and a line break would forge
a line of a log. Human-readable output therefore shows every control character
(C0, DEL, C1, the Unicode line and paragraph separators) and every lone
surrogate as its Python escape (``\\x1b``, ``\\n``, ``\\u2028``, ``\\udc80``).
The rule can be applied twice (a message escapes what it quotes, and the error
output escapes the whole message again) and gives the same text. JSON output
needs none of this: ``json.dumps`` escapes them itself.
"""

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(match):
    return match.group().encode("unicode_escape").decode("ascii")


def printable(text):
    """``text`` with each control character and lone surrogate written as its escape."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_escape, text)
