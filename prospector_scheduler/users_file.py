"""The users file: its schema, and reading it from a path or standard input.

A users file is YAML or JSON holding ``users:``, a list of entries with
``username``, ``password``, ``password_hash``, ``email`` and
``reset_on_next_run``. Values are typed by this schema, not by guessing: a
string field takes a YAML scalar's text exactly as written (``password: 0123``
is the string ``"0123"``), a boolean field accepts true/false/yes/no/on/off.
Every error in a file is collected and raised at once as an ``ErrorList`` of
``DataError``, in file order, and no error ever shows a password: the offending
line is echoed only when it provably holds no password or hash.

This module is not the YAML parser (``miniyaml``) and does no hashing
(``passwords``); it only reads bytes, which is why ``read`` is the one place
with I/O. Its heavier imports (hashlib, json, difflib) wait until they are
needed. The command-line option that picks the format is in ``arguments``.
"""

import itertools
import os
import re
import stat
import typing

from prospector_scheduler.errors import DataError, ErrorList, NoInputError

__all__ = ["UserEntry", "UsersFile", "FORMATS", "read", "parse"]

FORMATS = ("yaml", "json")
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}

ENTRY_KEYS = ("username", "password", "password_hash", "email", "reset_on_next_run")
SECRET_KEYS = ("password", "password_hash")
TOP_KEYS = ("users",)

# YAML 1.2 core schema spellings of null, for plain scalars only.
YAML_NULLS = ("", "~", "null", "Null", "NULL")
TRUE_WORDS = ("true", "yes", "on")
FALSE_WORDS = ("false", "no", "off")

PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}\Z")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
JSON_SPACE = " \t\r\n"
SURROGATE = re.compile(r"[\ud800-\udfff]")
# C0, DEL, C1 and the Unicode line and paragraph separators.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
SPACE_OR_CONTROL = re.compile("[\\s\x00-\x1f\x7f-\x9f\u2028\u2029]")

# How deep the schema looks; deeper values are only ever reported by kind.
SCHEMA_DEPTH = 4


class UserEntry(typing.NamedTuple):
    """One validated entry of the users file (``line``/``column`` are None for JSON)."""

    username: str
    password: typing.Optional[str]
    password_hash: typing.Optional[str]
    email: typing.Optional[str]
    reset_on_next_run: bool
    line: typing.Optional[int]
    column: typing.Optional[int]


class UsersFile(typing.NamedTuple):
    """A read and validated users file: where it came from, the SHA-256 of its bytes, its entries."""

    source: str
    sha256: str
    entries: typing.List[UserEntry]


class _Node(typing.NamedTuple):
    """The schema's view of a value, from JSON data or from a ``miniyaml`` node.

    ``kind`` is ``mapping`` or ``sequence`` (``items`` holds (key, value) pairs
    or values), ``scalar`` for any YAML scalar (``style`` says how it was
    written), or, for JSON, ``string``, ``number``, ``boolean`` or ``null``.
    ``text`` is a scalar's text (a JSON boolean's is ``true``/``false``).
    ``order`` counts nodes in document order, to sort errors where there is
    no line (JSON).
    """

    kind: str
    text: typing.Optional[str]
    style: str
    items: list
    line: typing.Optional[int]
    column: typing.Optional[int]
    order: int


class _Given(typing.NamedTuple):
    """A typed value (``None`` when the file gives none) and where it was written."""

    value: typing.Any
    node: _Node


def read(path, stdin=None, format=None, warn=None):
    """Read and validate the users file at ``path`` (``"-"``: the bytes of ``stdin``).

    Raises ``NoInputError`` when the file cannot be read and ``ErrorList`` of
    ``DataError`` when its content is invalid; calls ``warn(message)`` once
    when group or others may read the file.
    """
    import hashlib

    if path == "-":
        source = "<stdin>"
        data = _read_stdin(stdin)
    else:
        source = path
        data = _read_path(path, warn)
    entries = parse(data, source, format)
    return UsersFile(source, hashlib.sha256(data).hexdigest(), entries)


def _read_stdin(stdin):
    if stdin is None:
        raise NoInputError("no standard input to read the users file from")
    stream = getattr(stdin, "buffer", None) or stdin
    try:
        data = stream.read()
    except OSError as error:
        raise NoInputError("cannot read the users file: %s" % _reason(error), path="<stdin>")
    if isinstance(data, str):
        # A text stream without bytes underneath (tests, embedding): lone
        # surrogates become bytes that are refused later as invalid UTF-8.
        data = data.encode("utf-8", "surrogatepass")
    return data


def _read_path(path, warn):
    try:
        with open(path, "rb") as stream:
            mode = os.fstat(stream.fileno()).st_mode
            if stat.S_ISDIR(mode):
                raise NoInputError("cannot read the users file: it is a directory", path=path)
            data = stream.read()
    except OSError as error:
        raise NoInputError("cannot read the users file: %s" % _reason(error), path=path)
    if warn is not None and os.name == "posix" and stat.S_ISREG(mode) and mode & 0o044:
        import shlex

        warn("%s can be read by group or others; it may hold passwords: run chmod 600 %s"
             % (path, shlex.quote(path)))
    return data


def _reason(error):
    if isinstance(error, IsADirectoryError):
        return "it is a directory"
    return error.strerror or str(error)


def parse(data, source, format=None):
    """Validate the bytes of a users file and return its entries.

    ``format`` is ``"yaml"`` or ``"json"``; ``None`` means: from the extension
    of ``source``, else from the content. Raises ``ErrorList`` of ``DataError``.
    """
    if format is None:
        format = EXTENSIONS.get(os.path.splitext(source)[1].lower())
    text = _decode(data, source)
    detected = False
    if format is None:
        format = "json" if text.lstrip(JSON_SPACE)[:1] in ("{", "[") else "yaml"
        detected = True
    if format == "json":
        entries = _without_garbage_collection(_json_fast_path, text)
        if entries is not None:
            return entries
        found = []
        entries = _check_top(_load_json(text, source, detected), found)
        if found:
            raise ErrorList(_sort(found, source, text, None))
        return entries
    if format == "yaml":
        return _load_yaml(text, source)
    raise ValueError("unknown users-file format: %r" % (format,))


def _without_garbage_collection(function, *arguments):
    """``function(*arguments)`` with the cyclic garbage collector paused.

    Reading a large file makes hundreds of thousands of small containers and
    no reference cycles; the collector would rescan them all again and again,
    doubling the time.
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return function(*arguments)
    finally:
        if enabled:
            gc.enable()


def _decode(data, source):
    nul = data.find(b"\0")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if 0 <= nul < error.start:
            raise ErrorList([_byte_error("NUL byte; a users file is UTF-8 text", data, nul, source)])
        message = "invalid UTF-8 (byte 0x%02x); a users file is UTF-8 text" % data[error.start]
        raise ErrorList([_byte_error(message, data, error.start, source)])
    if nul >= 0:
        raise ErrorList([_byte_error("NUL byte; a users file is UTF-8 text", data, nul, source)])
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _byte_error(message, data, offset, source):
    start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8")) + 1
    if line == 1 and data.startswith(b"\xef\xbb\xbf"):
        column -= 1
    return DataError(message, path=source, line=line, column=column)


# --- JSON -------------------------------------------------------------------

class _JSONObject(list):
    """A JSON object as its (key, value) pairs, so that duplicate keys survive to be reported."""


class _JSONNumber(str):
    """A JSON number, kept as written: never converted, since no field takes a number."""


# The fast path: most files are valid, and the full check below, which keeps
# every value's place for its messages, costs about twenty times json.loads.
# The fast path accepts only what it can prove valid, column by column with
# few Python-level steps per user; anything else, including every invalid
# file, goes through the full check, which alone reports errors. Every string
# must be printable, so that control characters, lone surrogates and unusual
# white space all take the full path.
# bytes.translate table that keeps "@", "." and newlines and marks every other byte "x".
_EMAIL_SHAPE = bytes(byte if byte in b"@.\n" else ord("x") for byte in range(256))
_STRING_OR_NONE = frozenset([str, type(None)])
_BOOLEAN_OR_NONE = frozenset([bool, type(None)])


def _joined(strings):
    """The strings run together, Nones left out (``filter`` runs in C; no string is empty here)."""
    return "".join(filter(None, strings))


def _json_fast_path(text):
    """The entries of a plainly valid JSON users file, or None to take the full check."""
    import json

    # An escaped colon would defeat the duplicate-key count below.
    if "\\u003a" in text or "\\u003A" in text:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if type(data) is not dict or len(data) != 1 or type(data.get("users")) is not list:
        return None
    users = data["users"]
    if set(map(type, users)) - {dict}:
        return None
    usernames = [item.get("username") for item in users]
    passwords = [item.get("password") for item in users]
    hashes = [item.get("password_hash") for item in users]
    emails = [item.get("email") for item in users]
    resets = [item.get("reset_on_next_run") for item in users]
    # Every key is one of the five, and none is an explicit null, when the
    # entries hold exactly as many keys as the columns hold values.
    given = sum(len(column) - column.count(None) for column in (usernames, passwords, hashes, emails, resets))
    if sum(map(len, users)) != given:
        return None
    if set(map(type, usernames)) - {str} or len(set(usernames)) != len(usernames) or "" in usernames:
        return None
    if [name for name in usernames if name.strip() != name]:
        return None
    colons = 0
    for column in (usernames, passwords, hashes, emails):
        if not _STRING_OR_NONE.issuperset(map(type, column)) or "" in column:
            return None
        joined = _joined(column)
        if not joined.isprintable():
            return None
        colons += joined.count(":")
    # json.loads keeps the last of repeated keys silently. Every colon in the
    # text either ends a key or stands inside a string (no escape makes one),
    # so a pair that went missing shows as a colon too many.
    if text.count(":") != 1 + sum(map(len, users)) + colons:
        return None
    if not _BOOLEAN_OR_NONE.issuperset(map(type, resets)):
        return None
    if not _simple_emails(list(filter(None, emails))):
        return None
    if hashes.count(None) != len(hashes) or True in resets:
        for password, password_hash, reset in zip(passwords, hashes, resets):
            if password_hash is not None:
                found = []
                _check_hash(password_hash, None, "", found)
                if password is not None or found:
                    return None
            elif reset and password is None:
                return None
    resets = [reset is True for reset in resets]
    nowhere = itertools.repeat(None)
    # tuple.__new__ straight from map: no Python-level call per user.
    fields = zip(usernames, passwords, hashes, emails, resets, nowhere, nowhere)
    return list(map(tuple.__new__, itertools.repeat(UserEntry), fields))


def _simple_emails(emails):
    """True when every address (all printable) plainly passes ``_email_problem``.

    Each must be: no space, exactly one "@" with something before it, and a
    domain of dot-separated non-empty names with at least one dot; checked on
    all addresses joined, with a few scans in C instead of a loop in Python.
    """
    if not emails:
        return True
    joined = "\n".join(emails)
    if " " in joined or joined.startswith("@") or "\n@" in joined or "@." in joined \
            or ".\n" in joined or joined.endswith(".") or ".." in joined:
        return False
    # Keep only "@", "." and newlines: exactly one "@" per address, and a dot
    # somewhere after it (the checks above make every name non-empty).
    marks = joined.encode("utf-8").translate(_EMAIL_SHAPE).replace(b"x", b"")
    one_at_each = marks.replace(b".", b"") == b"@\n" * (len(emails) - 1) + b"@"
    return one_at_each and b"@\n" not in marks and not marks.endswith(b"@")


def _load_json(text, source, detected):
    import json

    try:
        data = json.loads(text, object_pairs_hook=_JSONObject, parse_int=_JSONNumber,
                          parse_float=_JSONNumber, parse_constant=_JSONNumber)
    except json.JSONDecodeError as error:
        # Keep the decoder's reason only: some versions quote the input after
        # ": ", and the place is given apart ("Unterminated string starting at").
        reason = re.sub(r"( starting)? at\Z", "", re.sub(r": .*", "", error.msg, flags=re.S))
        message = "invalid JSON: %s" % reason
        if detected:
            message += " (read as JSON because the content starts with %s; use --input-format yaml " \
                       "to read it as YAML)" % text.lstrip(JSON_SPACE)[0]
        raise ErrorList([DataError(message, path=source, line=error.lineno, column=error.colno)])
    except RecursionError:
        raise ErrorList([DataError("invalid JSON: nested too deeply", path=source)])
    return _from_json(data, 0, itertools.count())


def _from_json(value, depth, counter):
    if isinstance(value, _JSONObject):
        node = _Node("mapping", None, "json", [], None, None, next(counter))
        if depth < SCHEMA_DEPTH:
            for key, item in value:
                node.items.append((_Node("string", key, "json", [], None, None, next(counter)),
                                   _from_json(item, depth + 1, counter)))
        return node
    if isinstance(value, list):
        node = _Node("sequence", None, "json", [], None, None, next(counter))
        if depth < SCHEMA_DEPTH:
            for item in value:
                node.items.append(_from_json(item, depth + 1, counter))
        return node
    if isinstance(value, _JSONNumber):
        return _Node("number", None, "json", [], None, None, next(counter))
    if isinstance(value, str):
        return _Node("string", value, "json", [], None, None, next(counter))
    if value is None:
        return _Node("null", "null", "json", [], None, None, next(counter))
    return _Node("boolean", "true" if value else "false", "json", [], None, None, next(counter))


# --- YAML -------------------------------------------------------------------

def _load_yaml(text, source):
    from prospector_scheduler import miniyaml

    try:
        root = miniyaml.parse(text)
    except miniyaml.YAMLError as error:
        # No excerpt: without a parse there is no telling whether the line
        # is inside a password.
        raise ErrorList([DataError(error.message, path=source, line=error.line, column=error.column)])
    node_types = (miniyaml.Scalar, miniyaml.Mapping, miniyaml.Sequence)
    return _without_garbage_collection(_yaml_entries, root, text, source, node_types)


def _yaml_entries(root, text, source, node_types):
    """Validate a parsed YAML document (``node_types``: its Scalar, Mapping and Sequence classes)."""
    top = None if root is None else _from_yaml(root, node_types, 0, itertools.count())
    found = []
    entries = _check_top(top, found)
    if found:
        raise ErrorList(_sort(found, source, text, _secret_lines(root, text, node_types)))
    return entries


def _from_yaml(node, node_types, depth, counter):
    scalar, mapping, sequence = node_types
    if isinstance(node, scalar):
        return _Node("scalar", node.text, node.style, [], node.line, node.column, next(counter))
    if isinstance(node, mapping):
        view = _Node("mapping", None, "yaml", [], node.line, node.column, next(counter))
        if depth < SCHEMA_DEPTH:
            append = view.items.append
            for key, value in node.items:
                # Most values are scalars: made here, without a call each (the
                # same nodes, numbered in the same order, as the calls would make).
                if type(key) is scalar:
                    key_view = tuple.__new__(_Node, ("scalar", key.text, key.style, [], key.line,
                                                     key.column, next(counter)))
                else:
                    key_view = _from_yaml(key, node_types, depth + 1, counter)
                if type(value) is scalar:
                    value_view = tuple.__new__(_Node, ("scalar", value.text, value.style, [],
                                                       value.line, value.column, next(counter)))
                else:
                    value_view = _from_yaml(value, node_types, depth + 1, counter)
                append((key_view, value_view))
        return view
    if isinstance(node, sequence):
        view = _Node("sequence", None, "yaml", [], node.line, node.column, next(counter))
        if depth < SCHEMA_DEPTH:
            for item in node.items:
                view.items.append(_from_yaml(item, node_types, depth + 1, counter))
        return view
    raise TypeError("not a miniyaml node: %r" % (type(node),))


def _secret_lines(root, text, node_types):
    """The lines an excerpt must not show: wherever a secret value may lie.

    A value is secret under ``password``/``password_hash``, under an unknown
    key that may be a misspelling of one, or as a scalar in a sequence. A secret starting on line L may run
    on to the line where the next node starts (a multi-line scalar), and share
    that line when something other than block indicators precedes that node.
    The walk covers the whole tree, deeper than the schema looks.
    """
    _scalar, mapping, sequence = node_types
    if root is None:
        return set()
    starts = []
    stack = [(root, False)]
    while stack:
        node, secret = stack.pop()
        starts.append((node.line or 0, node.column or 0, secret))
        if isinstance(node, mapping):
            pending = []
            for key, value in node.items:
                pending.append((key, secret))
                pending.append((value, secret or _may_be_secret(key.text)))
            stack.extend(reversed(pending))
        elif isinstance(node, sequence):
            # Where a list holds a scalar, it may be anything: a password too.
            stack.extend(reversed([(item, secret or not isinstance(item, (mapping, sequence)))
                                   for item in node.items]))
    starts.sort()
    lines = LINE_BREAK.split(text)
    secret_lines = set()
    for index, (line, column, secret) in enumerate(starts):
        if not secret:
            continue
        after = index + 1
        while after < len(starts) and starts[after][:2] <= (line, column):
            after += 1
        if after == len(starts):
            secret_lines.update(range(line, len(lines) + 1))
            continue
        next_line, next_column = starts[after][:2]
        secret_lines.update(range(line, next_line))
        before = lines[next_line - 1][:next_column - 1] if next_line <= len(lines) else ""
        if before.replace("-", " ").strip() or next_line == line:
            secret_lines.add(next_line)
    return secret_lines


def _may_be_secret(key):
    if key in SECRET_KEYS:
        return True
    if key in ENTRY_KEYS or key in TOP_KEYS:
        return False
    import difflib

    close = difflib.get_close_matches(key, ENTRY_KEYS + TOP_KEYS, n=3)
    return not close or any(match in SECRET_KEYS for match in close)


# --- the schema -------------------------------------------------------------

def _check_top(top, found):
    """Validate the whole document; append (node, message) pairs to ``found``."""
    if top is None:
        found.append((None, 'the file is empty; expected a mapping with the key "users"'))
        return []
    if top.kind != "mapping":
        found.append((top, 'expected a mapping with the key "users" at the top level, got %s'
                      % _describe(top)))
        return []
    users = None
    for key, value in _unique_items(top, "", found):
        if key.text == "users":
            users = value
        else:
            found.append((key, _unknown_key("", key, TOP_KEYS)))
    if users is None:
        found.append((top, 'missing the key "users" (a list of users; "users: []" for none)'))
        return []
    if users.kind != "sequence":
        found.append((users, 'users: expected a sequence of users, got %s%s' % (
            _describe(users), ' (write "users: []" for none)' if _is_null(users) else "")))
        return []
    entries = []
    first_given = {}
    for index, item in enumerate(users.items):
        path = "users[%d]" % index
        entry, username = _check_entry(item, path, found)
        if username is not None:
            earlier = first_given.get(username.value)
            if earlier is None:
                first_given[username.value] = (path, username.node)
            else:
                found.append((username.node, "%s.username: duplicate username %s; first given at %s"
                              % (path, _quote(username.value), _place(*earlier))))
                entry = None
        if entry is not None:
            entries.append(entry)
    return entries


def _place(path, node):
    if node.line is None:
        return path
    return "%s (line %d, column %d)" % (path, node.line, node.column)


def _check_entry(item, path, found):
    """Validate one entry.

    Returns the UserEntry (None when the entry has errors) and the username
    as a ``_Given`` (None when it is missing or invalid), so that duplicates
    are found even among entries with other errors.
    """
    if item.kind != "mapping":
        found.append((item, "%s: expected a mapping (one user), got %s" % (path, _describe(item))))
        return None, None
    before = len(found)
    given = {}
    for key, value in _unique_items(item, path + ".", found):
        name = key.text
        if name not in ENTRY_KEYS:
            found.append((key, _unknown_key(path + ".", key, ENTRY_KEYS)))
            continue
        where = "%s.%s" % (path, name)
        if name == "reset_on_next_run":
            typed = _as_boolean(value, where, found)
        else:
            typed = _as_string(value, where, found)
        given[name] = _Given(typed, value if value.line is not None else key)
    values = {name: given[name].value for name in given if given[name].value is not _WRONG}

    username = values.get("username")
    valid_username = None
    if "username" not in given:
        found.append((item, '%s: missing the key "username"' % path))
    elif username is None and "username" in values:
        found.append((given["username"].node, "%s.username: empty; a username is required" % path))
    elif username is not None:
        if _check_username(username, given["username"].node, path + ".username", found):
            valid_username = given["username"]

    password = values.get("password")
    if password == "":
        found.append((given["password"].node, "%s.password: empty; leave the key out "
                      "to give no password" % path))
    password_hash = values.get("password_hash")
    if password_hash is not None:
        _check_hash(password_hash, given["password_hash"].node, path + ".password_hash", found)
    if values.get("password") is not None and password_hash is not None:
        later = max(given["password"].node, given["password_hash"].node, key=_order)
        found.append((later, '%s: both "password" and "password_hash" are given; give one'
                      % path))

    email = values.get("email")
    if email is not None:
        problem = _email_problem(email)
        if problem:
            found.append((given["email"].node, "%s.email: %s does not look like an email address "
                          "(%s)" % (path, _quote(email), problem)))

    reset = values.get("reset_on_next_run")
    if reset and not values.get("password") and password_hash is None:
        found.append((given["reset_on_next_run"].node, '%s.reset_on_next_run: true requires '
                      '"password" or "password_hash"' % path))

    if len(found) > before:
        return None, valid_username
    entry = UserEntry(username, password, password_hash, email, bool(reset), item.line, item.column)
    return entry, valid_username


def _order(node):
    return (node.line or 0, node.column or 0, node.order)


def _unique_items(mapping, prefix, found):
    """The (key, value) pairs of a mapping, reporting a repeated key (JSON; YAML refuses them)."""
    seen = set()
    for key, value in mapping.items:
        if key.text in seen:
            found.append((key, "%s%s: duplicate key" % (prefix, _key_name(key.text))))
            continue
        seen.add(key.text)
        yield key, value


def _unknown_key(prefix, key, known):
    import difflib

    close = difflib.get_close_matches(key.text, known, n=1)
    hint = ('did you mean "%s"?' % close[0]) if close else (
        "expected one of: %s" % ", ".join(known) if len(known) > 1 else 'expected only "%s"' % known[0])
    if PLAIN_NAME.match(key.text):
        return "%s%s: unknown key; %s" % (prefix, key.text, hint)
    # A key that is not a plain name may be a password run into its key
    # (``password:hunter2``), so it is not echoed.
    return "%s: unknown key (not shown: not a plain name); %s" % (prefix.rstrip(".") or "top level", hint)


def _key_name(text):
    return text if PLAIN_NAME.match(text) else "(key not shown)"


# A marker for a value of the wrong type (already reported).
_WRONG = object()


def _is_null(node):
    return node.kind == "null" or (node.kind == "scalar" and node.style == "plain"
                                   and node.text in YAML_NULLS)


def _as_string(node, where, found):
    if _is_null(node):
        return None
    if node.kind in ("scalar", "string"):
        if SURROGATE.search(node.text):
            found.append((node, "%s: contains a lone surrogate (\\ud800-\\udfff), which is not "
                          "a character" % where))
            return _WRONG
        return node.text
    found.append((node, "%s: expected a string, got %s" % (where, _describe(node))))
    return _WRONG


def _as_boolean(node, where, found):
    if _is_null(node):
        return None
    if node.kind == "boolean":
        return node.text == "true"
    accepted = "true, false, yes, no, on or off, in any case"
    if node.kind == "scalar" and node.style == "plain":
        word = node.text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        found.append((node, "%s: expected a boolean (%s), got %s"
                      % (where, accepted, _quote(node.text))))
    elif node.kind == "scalar":
        found.append((node, "%s: expected a boolean (%s, without quotes), got a quoted string"
                      % (where, accepted)))
    else:
        found.append((node, "%s: expected a boolean (true or false), got %s"
                      % (where, _describe(node))))
    return _WRONG


def _describe(node):
    """What a value is, in words, never what it holds (it may be a password)."""
    if _is_null(node):
        return "an empty value" if node.kind == "scalar" and node.text == "" else "null"
    return {"mapping": "a mapping", "sequence": "a sequence", "scalar": "a scalar",
            "string": "a string", "number": "a number", "boolean": "a boolean"}[node.kind]


def _check_username(username, node, where, found):
    """Report what is wrong with a username; True when nothing is."""
    if username == "":
        found.append((node, "%s: empty; a username is required" % where))
    elif username != username.strip():
        found.append((node, "%s: %s begins or ends with white space" % (where, _quote(username))))
    elif CONTROL.search(username):
        found.append((node, "%s: %s contains a control character" % (where, _quote(username))))
    else:
        return True
    return False


def _check_hash(password_hash, node, where, found):
    from prospector_scheduler import passwords

    try:
        passwords.check_hash(password_hash)
    except DataError as error:
        found.append((node, "%s: %s" % (where, error.message)))


def _email_problem(email):
    """Why ``email`` does not look like an address, or "" when it does."""
    if SPACE_OR_CONTROL.search(email):
        return "it contains white space or a control character"
    if email.count("@") != 1:
        return "it needs exactly one @"
    local, domain = email.split("@")
    if not local:
        return "nothing before the @"
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        return "the domain after the @ needs a dot between non-empty names"
    return ""


def _quote(text):
    """``text`` in double quotes, with anything unprintable escaped."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(char.encode("unicode_escape").decode("ascii"))
    return '"%s"' % "".join(out)


def _sort(found, source, text, secret_lines):
    """``found`` as DataErrors in file order, with an excerpt where the line is safe to show."""
    lines = LINE_BREAK.split(text) if secret_lines is not None else []
    ordered = sorted(enumerate(found), key=lambda pair: (
        _order(pair[1][0]) if pair[1][0] is not None else (0, 0, 0), pair[0]))
    errors = []
    for _index, (node, message) in ordered:
        line = node.line if node is not None else None
        column = node.column if node is not None else None
        excerpt = None
        if line is not None and secret_lines is not None and line not in secret_lines \
                and line <= len(lines) and column is not None:
            candidate = lines[line - 1]
            if all(char.isprintable() or char == "\t" for char in candidate):
                excerpt = candidate
        errors.append(DataError(message, path=source, line=line, column=column, excerpt=excerpt))
    return errors
