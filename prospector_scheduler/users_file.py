"""The users file: its schema, and reading it from a path or standard input.

A users file is YAML or JSON holding ``users:``, a list of entries with
``username``, ``password``, ``password_hash``, ``email``,
``reset_on_next_run`` and ``disabled``. Values are typed by this schema, not by guessing: a
string field takes a YAML scalar's text exactly as written (``password: 0123``
is the string ``"0123"``), a boolean field accepts true/false/yes/no/on/off.
The machinery (collecting every error in file order, places, did-you-mean,
typed fields, the excerpt allow-list that keeps every password out of the
messages) is ``config_schema``'s; this module holds only the schema.

Reading has two steps: ``quick_check`` accepts a plainly valid file from its
plain data (``json.loads``, ``miniyaml.loads``) with a few operations per
column; anything else takes ``full_check``, which alone reports errors, with
their places.

This module is not the YAML parser (``miniyaml``) and does no hashing
(``passwords``); it only reads bytes, which is why ``read`` is the one place
with I/O. Its heavier imports (json, miniyaml, passwords) wait until they are
needed. The command-line option that picks the format is in ``arguments``.
"""

import itertools
import operator
import os
import re
import stat
import typing

from prospector_scheduler import config_schema
from prospector_scheduler.config_schema import WRONG
from prospector_scheduler.errors import DataError
from prospector_scheduler.user_entries import UserEntries, UserEntry

__all__ = ["UserEntry", "UserEntries", "UsersFile", "FORMATS", "read", "parse", "quick_check", "full_check"]

FORMATS = config_schema.FORMATS

ENTRY_KEYS = ("username", "password", "password_hash", "email", "reset_on_next_run", "disabled")
SECRET_KEYS = ("password", "password_hash")
TOP_KEYS = ("users",)
ALL_KEYS = TOP_KEYS + ENTRY_KEYS
WHAT = "a users file"
# passwords.MAX_PASSWORD_BYTES, without importing passwords (hashlib) for every read.
MAX_PASSWORD_BYTES = 4096

# C0, DEL, C1 and the Unicode line and paragraph separators.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
SPACE_OR_CONTROL = re.compile("[\\s\x00-\x1f\x7f-\x9f\u2028\u2029]")


class UsersFile(typing.NamedTuple):
    """A read and validated users file: where it came from, and its entries.

    ``place_of(index)`` gives the ``(line, column)`` of the entry at
    ``index`` for a message about it; None when every entry carries its own
    place already (or, in JSON, has none). Entries of the quick check have
    none: for YAML, ``place_of`` finds it by reading the file again.
    """

    source: str
    entries: UserEntries
    place_of: typing.Optional[typing.Callable[[int], typing.Tuple[typing.Optional[int], typing.Optional[int]]]] = None


class _Given(typing.NamedTuple):
    """A typed value (``None`` when the file gives none) and where it was written."""

    value: typing.Any
    node: config_schema.Node


def read(path, stdin=None, format=None, warn=None, limit=config_schema.MAX_INPUT_BYTES):
    """Read and validate the users file at ``path`` (``"-"``: the bytes of ``stdin``).

    Raises ``NoInputError`` when the file cannot be read, ``ErrorList`` of
    ``DataError`` when its content is invalid or larger than ``limit`` bytes;
    calls ``warn(message)`` once when group or others may read the file.
    """
    source, data, mode = config_schema.read_input(path, stdin, "the users file", limit)
    if warn is not None and mode is not None and os.name == "posix" and stat.S_ISREG(mode) \
            and mode & 0o044:
        import shlex

        warn("%s can be read by group or others; it may hold passwords: run chmod 600 %s"
             % (path, shlex.quote(path)))
    entries, place_of = _parse(data, source, format)
    return UsersFile(source, entries, place_of)


def parse(data, source, format=None):
    """Validate the bytes of a users file and return its entries.

    ``format`` is ``"yaml"`` or ``"json"``; ``None`` means: from the extension
    of ``source``, else from the content. Raises ``ErrorList`` of ``DataError``.
    """
    return _parse(data, source, format)[0]


def _parse(data, source, format):
    """``(entries, place_of)``: see ``parse`` and ``UsersFile``."""
    text = config_schema.decode(data, source, WHAT)
    format, detected = config_schema.detect_format(source, text, format)
    entries = config_schema.without_garbage_collection(quick_check, text, format)
    if entries is None:
        return full_check(text, source, format, detected), None
    if format == "yaml":
        return entries, _places_in(text, source)
    return entries, None


def full_check(text, source, format, detected=False):
    """The entries of the decoded users file ``text``, each with its place (YAML); raises ``ErrorList``.

    ``detected``: the format was guessed from the content (said in a JSON syntax error).
    """
    if format == "json":
        document = config_schema.load_json(text, source, detected, ALL_KEYS, SECRET_KEYS)
    else:
        document = config_schema.load_yaml(text, source, ALL_KEYS, SECRET_KEYS)
    return config_schema.without_garbage_collection(check, document)


def _places_in(text, source):
    """``place_of`` for the quick check's entries of the YAML ``text``: read again by the
    full check on first use (only a message needs a place)."""
    found = []

    def place_of(index):
        if not found:
            found.append(full_check(text, source, "yaml"))
        entry = found[0][index]
        return entry.line, entry.column

    return place_of


def check(document):
    """The entries of a parsed users file (a ``config_schema.Document``); raises ``ErrorList``."""
    checker = config_schema.Checker(document)
    entries = _check_top(document.top, checker)
    checker.raise_errors()
    return UserEntries.of(entries)


# --- the quick check ---------------------------------------------------------

# Most files are valid, and the full check, which keeps every value's place
# for its messages, costs many times reading the data. The quick check reads
# the data as plain Python values (json.loads, miniyaml.loads) and accepts
# only what it can prove valid, column by column with few Python-level steps
# per user; anything else (an error, a value of another type where a string
# or a boolean belongs, YAML's "yes" or an unquoted 0123, a duplicate, any
# doubt) goes to the full check, which alone reports errors and gives exactly
# the same entries for what both accept. Its entries have no places: see
# UsersFile.place_of. Every string must be printable, so that control
# characters, lone surrogates and unusual white space all take the full check.
# The bytes that bytes.translate deletes to keep only "@", "." and newlines.
_NOT_EMAIL_MARKS = bytes(byte for byte in range(256) if byte not in b"@.\n")
# Printable ASCII (space to "~"): what bytes.translate deletes of an ASCII text
# leaves exactly its unprintable characters.
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
_COMMON_KEYS_FIRST = ("username", "email", "password", "reset_on_next_run", "password_hash", "disabled")
_BOOLEAN_KEYS = ("reset_on_next_run", "disabled")
_BOOLEAN_OR_NONE = frozenset([bool, type(None)])
try:
    _is_ascii = str.isascii
except AttributeError:  # Python 3.6: every text takes str.isprintable
    def _is_ascii(text):
        return False


def quick_check(text, format):
    """The entries of a plainly valid users file, or None to take the full check.

    ``text`` is the decoded file, ``format`` ``"json"`` or ``"yaml"``. The
    entries are those the full check gives, without places.
    """
    if format == "json":
        import json

        # An escaped colon would defeat the duplicate-key count in _entries.
        if "\\u003" in text and ("\\u003a" in text or "\\u003A" in text):
            return None
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None
        return _entries(data, text)
    from prospector_scheduler import miniyaml

    try:
        # miniyaml refuses duplicate keys itself. Entries that all have the same keys come
        # as the columns of a Table, which is how they are checked.
        data = miniyaml.loads(text, tables=True)
    except Exception:
        # A YAMLError, or anything else: the full check, which parses the file
        # into nodes, is the one that judges and words it.
        return None
    return _entries(data, None)


def _printable(text):
    """``text.isprintable()``; for ASCII text (``str.isascii`` costs nothing) in a fifth of the time."""
    if _is_ascii(text):
        return not text.encode("ascii").translate(None, _PRINTABLE_ASCII)
    return text.isprintable()


def _entries(data, json_text):
    """The entries of ``data`` (plain values; the users may be a ``miniyaml.Table``) when
    plainly valid, else None.

    ``json_text`` is the JSON text ``data`` was read from, whose colons show
    duplicate keys (json.loads keeps the last silently); None for YAML.
    """
    if type(data) is not dict or len(data) != 1:
        return None
    users = data.get("users")
    if type(users) is not list:
        from prospector_scheduler.miniyaml import Table

        if type(users) is not Table:
            return None
    try:
        return _entries_of(users, json_text)
    except TypeError:
        # An entry that is not a mapping (dict.get refuses it), or a value
        # other than a string where one belongs (str.join refuses it).
        return None


def _entries_of(users, json_text):
    """``_entries`` of ``users``, a list or a ``miniyaml.Table``; raises TypeError where a type is wrong."""
    if type(users) is list:
        count = len(users)
        keys = all_keys = sum(map(len, users))
        first_keys = list(users[0]) if count else []

        def column_of(name):
            return list(map(dict.get, users, itertools.repeat(name)))
    else:
        # A Table: every entry has its keys, whose values are its columns.
        count = len(users.columns[0])
        keys = all_keys = count * len(users.keys)
        first_keys = users.keys
        given_columns = dict(zip(users.keys, users.columns))

        def column_of(name):
            return given_columns.get(name, nothing)
    # Every key is one of the six, none is an explicit null and no string
    # value is empty, when the entries hold exactly as many keys as the
    # columns hold values: the Nones of a boolean column are counted, and
    # filter drops those of a string column together with every other falsy
    # value ("", 0, False, []); the joins below (and check_hashes) refuse any
    # truthy value that is not a string. A column is read only while some
    # keys are not accounted for (most files give no password_hash, or no
    # password, and no disabled); a column that no entry gives is all None
    # and needs no check.
    nothing = [None] * count
    columns = dict.fromkeys(_COMMON_KEYS_FIRST, nothing)
    # The values given of each string column, in file order.
    given_values = dict.fromkeys(_COMMON_KEYS_FIRST, [])
    given = dict.fromkeys(_COMMON_KEYS_FIRST, 0)
    # The first entry's keys first: when every entry has the same keys, no column is read in vain.
    first_keys = [name for name in first_keys if name in given and name != "username"]
    for name in ["username"] + first_keys + [name for name in _COMMON_KEYS_FIRST[1:] if name not in first_keys]:
        if keys or (name == "username" and count):
            column = column_of(name)
            if name in _BOOLEAN_KEYS:
                given[name] = len(column) - column.count(None)
            else:
                given_values[name] = list(filter(None, column))
                given[name] = len(given_values[name])
            keys -= given[name]
            if given[name]:
                columns[name] = column
    if keys or given["username"] != count:
        return None
    usernames, passwords, hashes, emails, resets, disabled = map(columns.get, ENTRY_KEYS)
    names = " ".join(usernames)
    values = "".join(itertools.chain(given_values["password"], given_values["email"]))
    if not _printable(names) or not _printable(values):
        return None
    # The only white space isprintable leaves is the space: none may begin or end a username.
    if "  " in names or names[:1] == " " or names[-1:] == " ":
        return None
    if len(set(usernames)) != count:
        return None
    colons = names.count(":") + values.count(":")
    # Every colon in JSON text either ends a key or stands inside a string
    # (no escape makes one), so a pair that went missing shows as a colon too many.
    if json_text is not None and json_text.count(":") != 1 + all_keys + colons:
        return None
    for name in _BOOLEAN_KEYS:
        if given[name] and not _BOOLEAN_OR_NONE.issuperset(map(type, columns[name])):
            return None
    if not _simple_emails(given_values["email"]):
        return None
    # A password that may be too long to hash takes the full check, which measures it.
    if max(map(len, given_values["password"]), default=0) * 4 > MAX_PASSWORD_BYTES:
        return None
    if given["password_hash"] or (given["reset_on_next_run"] and True in resets):
        if _secrets_in_doubt(count, given, passwords, hashes, resets):
            return None
        # check_hashes refuses any value that is not a string.
        if not _valid_hashes(given_values["password_hash"]):
            return None
    if not given["reset_on_next_run"]:
        resets = [False] * count
    elif given["reset_on_next_run"] != count:
        resets = list(map(operator.is_, resets, itertools.repeat(True)))
    return UserEntries({"username": usernames, "password": passwords, "password_hash": hashes, "email": emails,
                        "reset_on_next_run": resets, "line": nothing, "column": nothing, "disabled": disabled})


def _secrets_in_doubt(count, given, passwords, hashes, resets):
    """Whether an entry gives both a password and a password_hash, or asks for a reset with neither.

    Here a password or hash is either None or given (a value the other
    checks accept or refuse), and ``given`` counts the given ones: an entry
    with both is counted twice, so ``given password + given hash - entries
    with either`` is the number with both. The entries with neither are
    counted by identity comparisons in C, and only when both columns are given.
    """
    absent = operator.is_
    nothing = itertools.repeat(None)
    neither = None  # the entries with neither, as booleans, when counted
    if given["password"] and given["password_hash"]:
        neither = list(map(operator.and_, map(absent, passwords, nothing), map(absent, hashes, nothing)))
        with_neither = neither.count(True)
    else:
        with_neither = count - given["password"] - given["password_hash"]
    if given["password"] + given["password_hash"] != count - with_neither:
        return True  # some entry gives both
    if not with_neither or not given["reset_on_next_run"]:
        return False
    if neither is None:
        neither = list(map(operator.and_, map(absent, passwords, nothing), map(absent, hashes, nothing)))
    return True in map(operator.and_, neither, map(absent, resets, itertools.repeat(True)))


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
    marks = joined.encode("utf-8").translate(None, _NOT_EMAIL_MARKS)
    one_at_each = marks.replace(b".", b"") == b"@\n" * (len(emails) - 1) + b"@"
    return one_at_each and b"@\n" not in marks and not marks.endswith(b"@")


# --- the schema -------------------------------------------------------------

def _check_top(top, checker):
    """Validate the whole document, reporting to ``checker``; return the valid entries."""
    if top is None:
        checker.error(None, 'the file is empty; expected a mapping with the key "users"')
        return []
    if top.kind != "mapping":
        checker.error(top, 'expected a mapping with the key "users" at the top level, got %s'
                      % config_schema.describe(top))
        return []
    users = None
    for _name, _key, value in checker.fields(top, "", TOP_KEYS):
        users = value
    if users is None:
        checker.error(top, 'missing the key "users" (a list of users; "users: []" for none)')
        return []
    if users.kind != "sequence":
        checker.error(users, 'users: expected a sequence of users, got %s%s' % (
            config_schema.describe(users),
            ' (write "users: []" for none)' if config_schema.is_null(users) else ""))
        return []
    entries = []
    first_given = {}
    for index, item in enumerate(users.items):
        path = "users[%d]" % index
        entry, username = _check_entry(item, path, checker)
        if username is not None:
            earlier = first_given.get(username.value)
            if earlier is None:
                first_given[username.value] = (path, username.node)
            else:
                checker.error(username.node, "%s.username: duplicate username %s; first given at %s"
                              % (path, checker.show(username.node, username.value),
                                 config_schema.place(*earlier)))
                entry = None
        if entry is not None:
            entries.append(entry)
    return entries


def _check_entry(item, path, checker):
    """Validate one entry.

    Returns the UserEntry (None when the entry has errors) and the username
    as a ``_Given`` (None when it is missing or invalid), so that duplicates
    are found even among entries with other errors.
    """
    if item.kind != "mapping":
        checker.error(item, "%s: expected a mapping (one user), got %s"
                      % (path, config_schema.describe(item)))
        return None, None
    before = len(checker)
    given = {}
    for name, key, value in checker.fields(item, path + ".", ENTRY_KEYS):
        where = "%s.%s" % (path, name)
        if name in ("reset_on_next_run", "disabled"):
            typed = checker.boolean(value, where)
        else:
            typed = checker.string(value, where)
        given[name] = _Given(typed, value if value.line is not None else key)
    values = {name: given[name].value for name in given if given[name].value is not WRONG}

    username = values.get("username")
    valid_username = None
    if "username" not in given:
        checker.error(item, '%s: missing the key "username"' % path)
    elif username is None and "username" in values:
        checker.error(given["username"].node, "%s.username: empty; a username is required" % path)
    elif username is not None:
        if _check_username(username, given["username"].node, path + ".username", checker):
            valid_username = given["username"]

    password = values.get("password")
    if password == "":
        checker.error(given["password"].node, "%s.password: empty; leave the key out "
                      "to give no password" % path)
    elif password is not None:
        # The rules sync-users applies when it hashes, so that check-config judges as it does.
        from prospector_scheduler import passwords

        problem = passwords.password_problem(password)
        if problem:
            checker.error(given["password"].node, "%s.password: %s" % (path, problem))
    password_hash = values.get("password_hash")
    if password_hash is not None:
        _check_hash(password_hash, given["password_hash"].node, path + ".password_hash", checker)
    if values.get("password") is not None and password_hash is not None:
        later = max(given["password"].node, given["password_hash"].node, key=config_schema.order)
        checker.error(later, '%s: both "password" and "password_hash" are given; give one' % path)

    email = values.get("email")
    if email is not None:
        problem = _email_problem(email)
        if problem:
            checker.error(given["email"].node, "%s.email: %s does not look like an email address "
                          "(%s)" % (path, checker.show(given["email"].node, email), problem))

    reset = values.get("reset_on_next_run")
    if reset and not values.get("password") and password_hash is None:
        checker.error(given["reset_on_next_run"].node, '%s.reset_on_next_run: true requires '
                      '"password" or "password_hash"' % path)

    if len(checker) > before:
        return None, valid_username
    entry = UserEntry(username, password, password_hash, email, bool(reset), item.line, item.column,
                      values.get("disabled"))
    return entry, valid_username


def _check_username(username, node, where, checker):
    """Report what is wrong with a username; True when nothing is."""
    if username == "":
        checker.error(node, "%s: empty; a username is required" % where)
    elif username != username.strip():
        checker.error(node, "%s: %s begins or ends with white space"
                      % (where, checker.show(node, username)))
    elif CONTROL.search(username):
        checker.error(node, "%s: %s contains a control character"
                      % (where, checker.show(node, username)))
    else:
        return True
    return False


def _check_hash(password_hash, node, where, checker):
    from prospector_scheduler import passwords

    if password_hash.startswith("!"):
        # /etc/shadow's way to lock an account; here a hash must stay a hash.
        checker.error(node, '%s: a hash starting with "!" is not accepted; to disable the user, '
                      'write "disabled: true" and keep its hash as it is' % where)
        return
    try:
        passwords.check_hash(password_hash)
    except DataError as error:
        checker.error(node, "%s: %s" % (where, error.message))


def _valid_hashes(password_hashes):
    from prospector_scheduler import passwords

    try:
        passwords.check_hashes(password_hashes)
    except DataError:
        return False
    return True


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


def passwordless_notes(entries):
    """One note for each entry with neither password nor password_hash (issue 10.4).

    Such an entry can update or disable a user already in the database, but
    ``sync-users`` refuses to create it; ``check-config`` cannot know the
    database, so it says so as a note. An entry with ``disabled: true`` is
    left out: a new user is then created locked, without a password. The
    username is shown escaped.
    """
    from prospector_scheduler.printable import printable

    return [
        'users[%d] "%s" has no password: it can only be updated if already in the database, not created'
        % (index, printable(entry.username))
        for index, entry in enumerate(entries)
        if entry.password is None and entry.password_hash is None and entry.disabled is not True
    ]
