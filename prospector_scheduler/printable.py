"""Text from the database or the user, made safe to print for a human reader.

A username or email comes from a users file or a database that another program
may write: an escape sequence in it would drive the terminal or forge a log
line. Human-readable output shows every control character (C0, DEL, C1, and
the Unicode line and paragraph separators) as a Python escape; JSON output
needs none of this, as ``json.dumps`` escapes them itself.
"""

import re

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text):
    """``text`` with each control character written as its escape (``\\x1b``, ``\\u2028``)."""
    return CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)
