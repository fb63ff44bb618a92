"""Text from outside (the database, the command line) as it may be shown to a person.

Human-readable output escapes every control character (C0, DEL, C1, the Unicode
line and paragraph separators) and lone surrogates, so that what another program
stored cannot move the cursor, clear the screen or forge a line of the log.
JSON output escapes them itself.
"""

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\\\\]")


def _escape(match):
    character = match.group(0)
    if character == "\\":
        return "\\\\"
    code = ord(character)
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def escaped(text):
    """``text`` with control characters, lone surrogates and backslashes written as escapes."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_escape, text)
