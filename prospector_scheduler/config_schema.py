"""The strictness machinery that every configuration file of this tool shares.

A configuration file (the users file, the schedule file) is YAML or JSON,
decoded as UTF-8, read into a uniform *node view* (``Node``: kind, text,
style, items, place) and then checked against a schema written as plain code
against a ``Checker``. The checker collects every error instead of stopping at
the first, types scalars by the schema (``string``, ``boolean``, ``integer``:
``0123`` stays the text "0123" in a string field, ``yes`` is true only in a
boolean field), suggests the key meant for an unknown one (did you mean), and
finally raises them all at once as an ``ErrorList`` of ``DataError`` in file
order, each with ``FILE:LINE:COL``. An error shows the offending line as an
excerpt only where that line is known to hold no secret: the schema names its
secret keys, and only lines fully understood as a known key and its
non-secret value are ever shown.

This module knows no schema; the schemas are in ``users_file`` and
``schedule_file``. Its only I/O is ``read_input``, which reads a file or
standard input up to the size limit. The YAML parser is ``miniyaml``.
"""

import itertools
import os
import re
import stat
import typing

from prospector_scheduler.errors import DataError, ErrorList, NoInputError

__all__ = ["Node", "Document", "Checker", "WRONG", "decode", "detect_format", "load_json",
           "load_yaml", "load", "quote", "describe", "is_null"]

FORMATS = ("yaml", "json")
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}

# YAML 1.2 core schema spellings of null, for plain scalars only.
YAML_NULLS = ("", "~", "null", "Null", "NULL")
TRUE_WORDS = ("true", "yes", "on")
FALSE_WORDS = ("false", "no", "off")
BOOLEAN_WORDS = "true, false, yes, no, on or off, in any case"

PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}\Z")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
JSON_SPACE = " \t\r\n"
# The source name of standard input, whose lines are never shown.
STDIN = "<stdin>"
# The largest configuration file or standard input read (the README says so).
MAX_INPUT_BYTES = 64 * 1024 * 1024
SURROGATE = re.compile(r"[\ud800-\udfff]")
INTEGER = re.compile(r"[-+]?[0-9]{1,18}\Z")

# How deep the node view goes; deeper values are only ever reported by kind.
SCHEMA_DEPTH = 4
# How many errors are reported; the rest are counted. Keeps a hostile file's
# error path (did-you-mean, sorting, printing) short.
MAX_ERRORS = 100

# A marker for a value of the wrong type (already reported).
WRONG = object()


class Node(typing.NamedTuple):
    """The schema's view of a value, from JSON data or from a ``miniyaml`` node.

    ``kind`` is ``mapping`` or ``sequence`` (``items`` holds (key, value) pairs
    or values), ``scalar`` for any YAML scalar (``style`` says how it was
    written), or, for JSON, ``string``, ``number``, ``boolean`` or ``null``.
    ``text`` is a scalar's text (a JSON boolean's is ``true``/``false``, a
    number's as written). ``order`` counts nodes in document order, to sort
    errors where there is no line (JSON). ``suspect`` marks the keys and
    values that follow an unquoted secret in a YAML flow mapping: a comma in
    the secret (``{password: pa,ss}``) would have split it there, so they may
    be pieces of it and are never shown.
    """

    kind: str
    text: typing.Optional[str]
    style: str
    items: list
    line: typing.Optional[int]
    column: typing.Optional[int]
    order: int
    suspect: bool


class Document(typing.NamedTuple):
    """A decoded and parsed configuration file: ``top`` is None for an empty one.

    ``keys`` are every key the schema knows (at any level) and ``secret_keys``
    those whose values are secrets: they decide which lines may be shown and
    which keys may be named. ``excerpts`` is False for standard input, whose
    lines are never shown. ``yaml_root`` is the ``miniyaml`` tree (None for
    JSON), which the excerpt allow-list walks; ``node_types`` are the classes
    of its Scalar, Mapping and Sequence nodes.
    """

    source: str
    text: str
    format: str
    top: typing.Optional[Node]
    yaml_root: typing.Any
    node_types: tuple
    keys: tuple
    secret_keys: tuple
    excerpts: bool


# --- bytes, format ----------------------------------------------------------

def read_input(path, stdin, name, limit=MAX_INPUT_BYTES):
    """``(source, data, mode)``: the bytes of the file at ``path`` (``"-"``: of ``stdin``).

    ``name`` is the file's kind for messages ("the users file"); ``mode`` is
    the file's ``st_mode`` (None for standard input). Never reads more than
    ``limit`` + 1 bytes: larger input is an ``ErrorList`` (65), a regular
    file refused by its size before any byte is read. A file that cannot be
    read is a ``NoInputError`` (66). This is the module's one place with I/O.
    """
    if path == "-":
        if stdin is None:
            raise NoInputError("no standard input to read %s from" % name)
        stream = getattr(stdin, "buffer", None) or stdin
        try:
            data = stream.read(limit + 1)
        except OSError as error:
            raise NoInputError("cannot read %s: %s" % (name, _reason(error)), path=STDIN)
        if isinstance(data, str):
            # A text stream without bytes underneath (tests, embedding): lone
            # surrogates become bytes that are refused later as invalid UTF-8.
            data = data.encode("utf-8", "surrogatepass")
        _check_size(len(data), limit, STDIN, "standard input")
        return STDIN, data, None
    try:
        with open(path, "rb") as stream:
            info = os.fstat(stream.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise NoInputError("cannot read %s: it is a directory" % name, path=path)
            if stat.S_ISREG(info.st_mode):
                _check_size(info.st_size, limit, path, name)
            data = stream.read(limit + 1)
    except OSError as error:
        raise NoInputError("cannot read %s: %s" % (name, _reason(error)), path=path)
    _check_size(len(data), limit, path, name)
    return path, data, info.st_mode


def _check_size(size, limit, source, name):
    if size > limit:
        raise ErrorList([DataError("%s is larger than %s, the most this tool reads"
                                   % (name, _size_words(limit)), path=source)])


def _size_words(size):
    if size % (1024 * 1024) == 0:
        return "%d MiB" % (size // (1024 * 1024))
    return "%d bytes" % size


def _reason(error):
    if isinstance(error, IsADirectoryError):
        return "it is a directory"
    return error.strerror or str(error)


def decode(data, source, what):
    """The text of UTF-8 ``data``, without a byte-order mark; ``what`` names the file ("a users file").

    Raises ``ErrorList`` with the place of a NUL byte or of invalid UTF-8
    (never the byte itself: it may be part of a password).
    """
    nul = data.find(b"\0")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if 0 <= nul < error.start:
            raise ErrorList([_byte_error("NUL byte; %s is UTF-8 text" % what, data, nul, source)])
        message = "invalid UTF-8; %s is UTF-8 text" % what
        raise ErrorList([_byte_error(message, data, error.start, source)])
    if nul >= 0:
        raise ErrorList([_byte_error("NUL byte; %s is UTF-8 text" % what, data, nul, source)])
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _byte_error(message, data, offset, source):
    """The error at byte ``offset``: lines end at LF, CRLF or a lone CR; columns count characters."""
    line = 1 + data.count(b"\n", 0, offset) + data.count(b"\r", 0, offset) \
        - data.count(b"\r\n", 0, offset)
    start = max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset)) + 1
    column = len(data[start:offset].decode("utf-8")) + 1
    if start == 0 and data.startswith(b"\xef\xbb\xbf"):
        column -= 1
    return DataError(message, path=source, line=line, column=column)


def detect_format(source, text, format=None):
    """``(format, detected)``: ``format`` if given, else from the extension of ``source``,
    else from the content (JSON when it starts with ``{`` or ``[``); ``detected`` is True
    in the last case."""
    if format is None:
        format = EXTENSIONS.get(os.path.splitext(source)[1].lower())
    if format is None:
        return ("json" if text.lstrip(JSON_SPACE)[:1] in ("{", "[") else "yaml"), True
    if format not in FORMATS:
        raise ValueError("unknown configuration format: %r" % (format,))
    return format, False


def load(data, source, what, format=None, keys=(), secret_keys=()):
    """Decode and parse ``data`` into a ``Document``; raises ``ErrorList`` on a syntax error.

    ``what`` names the kind of file in messages ("a users file"); ``keys`` and
    ``secret_keys``: see ``Document``. Standard input (``source`` "<stdin>")
    is never excerpted.
    """
    text = decode(data, source, what)
    format, detected = detect_format(source, text, format)
    if format == "json":
        return load_json(text, source, detected, keys, secret_keys)
    return load_yaml(text, source, keys, secret_keys)


def without_garbage_collection(function, *arguments):
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


# --- JSON -------------------------------------------------------------------

class _JSONObject(list):
    """A JSON object as its (key, value) pairs, so that duplicate keys survive to be reported."""


class _JSONNumber(str):
    """A JSON number, kept as written: the schema decides whether a field takes a number."""


def load_json(text, source, detected=False, keys=(), secret_keys=()):
    """The ``Document`` of JSON ``text``; ``detected``: the format was guessed from the content."""
    import json

    try:
        data = json.loads(text, object_pairs_hook=_JSONObject, parse_int=_JSONNumber,
                          parse_float=_JSONNumber, parse_constant=_JSONNumber)
    except json.JSONDecodeError as error:
        # Keep the decoder's reason only: some versions quote the input after
        # ": ", and the place is given apart ("Unterminated string starting at").
        reason = re.sub(r"( starting)? at\Z", "", re.sub(r": .*", "", error.msg, flags=re.S))
        position = error.pos
        trailing = _trailing_comma(text, position)
        if trailing is not None:
            position, closer = trailing
            reason = "trailing comma (JSON allows no comma before %s); remove it" % closer
        message = "invalid JSON: %s" % reason
        if detected:
            message += " (read as JSON because the content starts with %s; use --input-format yaml " \
                       "to read it as YAML)" % text.lstrip(JSON_SPACE)[0]
        line, column = line_and_column(text, position)
        raise ErrorList([DataError(message, path=source, line=line, column=column)])
    except RecursionError:
        raise ErrorList([DataError("invalid JSON: nested too deeply", path=source)])
    return Document(source, text, "json", _from_json(data, 0, itertools.count()), None, (),
                    tuple(keys), tuple(secret_keys), source != STDIN)


def _trailing_comma(text, position):
    """``(offset of the comma, the closing "}" or "]")`` when the error is a trailing comma, else None.

    Python 3.12 and older place the error at the closing bracket, 3.13 at the
    comma itself (with a message of its own): both are recognised by the text,
    not by the decoder's message.
    """
    if text[position:position + 1] == ",":
        after = position + 1
        while after < len(text) and text[after] in JSON_SPACE:
            after += 1
        if text[after:after + 1] in ("}", "]"):
            return position, text[after]
        return None
    if text[position:position + 1] not in ("}", "]"):
        return None
    before = position - 1
    while before >= 0 and text[before] in JSON_SPACE:
        before -= 1
    if before >= 0 and text[before] == ",":
        return before, text[position]
    return None


def line_and_column(text, offset):
    """The 1-based line and column of ``offset`` in ``text``; LF, CRLF and a lone CR end lines."""
    line = 1 + text.count("\n", 0, offset) + text.count("\r", 0, offset) - text.count("\r\n", 0, offset)
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    return line, offset - start + 1


def _from_json(value, depth, counter):
    if isinstance(value, _JSONObject):
        node = Node("mapping", None, "json", [], None, None, next(counter), False)
        if depth < SCHEMA_DEPTH:
            for key, item in value:
                node.items.append((Node("string", key, "json", [], None, None, next(counter), False),
                                   _from_json(item, depth + 1, counter)))
        return node
    if isinstance(value, list):
        node = Node("sequence", None, "json", [], None, None, next(counter), False)
        if depth < SCHEMA_DEPTH:
            for item in value:
                node.items.append(_from_json(item, depth + 1, counter))
        return node
    if isinstance(value, _JSONNumber):
        return Node("number", str(value), "json", [], None, None, next(counter), False)
    if isinstance(value, str):
        return Node("string", value, "json", [], None, None, next(counter), False)
    if value is None:
        return Node("null", "null", "json", [], None, None, next(counter), False)
    return Node("boolean", "true" if value else "false", "json", [], None, None, next(counter), False)


# --- YAML -------------------------------------------------------------------

def load_yaml(text, source, keys=(), secret_keys=()):
    """The ``Document`` of YAML ``text`` (read by ``miniyaml``)."""
    from prospector_scheduler import miniyaml

    try:
        root = miniyaml.parse(text)
    except miniyaml.YAMLError as error:
        # No excerpt: without a parse there is no telling whether the line
        # is inside a password. A key is named only when it is one of the schema's.
        message = error.message
        if error.key is not None and error.key in keys:
            message = error.keyed_message
        raise ErrorList([DataError(message, path=source, line=error.line, column=error.column)])
    return yaml_document(root, text, source, (miniyaml.Scalar, miniyaml.Mapping, miniyaml.Sequence),
                         keys, secret_keys)


def yaml_document(root, text, source, node_types, keys=(), secret_keys=()):
    """The ``Document`` of a YAML tree ``root`` read from ``text``, whose nodes are of
    ``node_types`` (Scalar, Mapping, Sequence: ``miniyaml``'s, or built by hand in tests)."""
    top = None if root is None else without_garbage_collection(
        _from_yaml, root, node_types, frozenset(secret_keys), 0, itertools.count(), False)
    return Document(source, text, "yaml", top, root, tuple(node_types), tuple(keys),
                    tuple(secret_keys), source != STDIN)


def _from_yaml(node, node_types, secret_keys, depth, counter, suspect):
    scalar, mapping, sequence = node_types
    if isinstance(node, scalar):
        return Node("scalar", node.text, node.style, [], node.line, node.column, next(counter),
                    suspect)
    if isinstance(node, mapping):
        view = Node("mapping", None, "yaml", [], node.line, node.column, next(counter), suspect)
        if depth < SCHEMA_DEPTH:
            append = view.items.append
            # A flow mapping starts at its "{", a block mapping at its first key.
            flow = bool(node.items) and (node.items[0][0].line, node.items[0][0].column) != \
                (node.line, node.column)
            for key, value in node.items:
                # Most values are scalars: made here, without a call each (the
                # same nodes, numbered in the same order, as the calls would make).
                if type(key) is scalar:
                    key_view = tuple.__new__(Node, ("scalar", key.text, key.style, [], key.line,
                                                    key.column, next(counter), suspect))
                else:
                    key_view = _from_yaml(key, node_types, secret_keys, depth + 1, counter, suspect)
                if type(value) is scalar:
                    value_view = tuple.__new__(Node, ("scalar", value.text, value.style, [],
                                                      value.line, value.column, next(counter),
                                                      suspect))
                    if flow and value.style == "plain" and key.text in secret_keys:
                        suspect = True
                else:
                    value_view = _from_yaml(value, node_types, secret_keys, depth + 1, counter,
                                            suspect)
                append((key_view, value_view))
        return view
    if isinstance(node, sequence):
        view = Node("sequence", None, "yaml", [], node.line, node.column, next(counter), suspect)
        if depth < SCHEMA_DEPTH:
            for item in node.items:
                view.items.append(_from_yaml(item, node_types, secret_keys, depth + 1, counter,
                                             suspect))
        return view
    raise TypeError("not a miniyaml node: %r" % (type(node),))


# --- words ------------------------------------------------------------------

def is_null(node):
    """Whether ``node`` is null: JSON null, or a plain YAML scalar spelled as null (or empty)."""
    return node.kind == "null" or (node.kind == "scalar" and node.style == "plain"
                                   and node.text in YAML_NULLS)


def describe(node):
    """What a value is, in words, never what it holds (it may be a password)."""
    if is_null(node):
        return "an empty value" if node.kind == "scalar" and node.text == "" else "null"
    return {"mapping": "a mapping", "sequence": "a sequence", "scalar": "a scalar",
            "string": "a string", "number": "a number", "boolean": "a boolean"}[node.kind]


def quote(text):
    """``text`` in double quotes, with anything unprintable escaped (for values known not secret)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(char.encode("unicode_escape").decode("ascii"))
    return '"%s"' % "".join(out)


def order(node):
    """The sort key of a node: its place, then its document order."""
    return (node.line or 0, node.column or 0, node.order)


def place(path, node):
    """``path`` with the node's line and column where it has them: for "first given at"."""
    if node.line is None:
        return path
    return "%s (line %d, column %d)" % (path, node.line, node.column)


# --- the checker ------------------------------------------------------------

class Checker(object):
    """Collects the errors of one document while a schema walks its node view.

    ``keys`` and ``secret_keys`` default to the document's (see ``Document``).
    Call ``error(node, message)`` for each problem (``node`` None: the whole
    file), then ``raise_errors()``. A message may show a value only through
    ``show``, and names a key only through ``fields``/``unknown_key``.
    """

    def __init__(self, document, keys=None, secret_keys=None):
        self.document = document
        self.keys = tuple(document.keys if keys is None else keys)
        self.secret_keys = tuple(document.secret_keys if secret_keys is None else secret_keys)
        self.found = []
        self.more = 0

    def error(self, node, message):
        if len(self.found) < MAX_ERRORS:
            self.found.append((node, message))
        else:
            self.more += 1

    def full(self):
        """Whether further errors are only counted (so need not be worded)."""
        return len(self.found) >= MAX_ERRORS

    def __len__(self):
        return len(self.found) + self.more

    def items(self, mapping, prefix):
        """The (key, value) pairs of a mapping, reporting a repeated key (JSON; YAML refuses them).

        ``prefix`` is the path of the mapping followed by a dot ("users[0].") or "".
        """
        seen = set()
        for key, value in mapping.items:
            if key.text in seen:
                if self.nameable(key):
                    self.error(key, "%s%s: duplicate key" % (prefix, key.text))
                else:
                    self.error(key, "%s: duplicate key (not shown: it may hold a secret)"
                               % (prefix.rstrip(".") or "top level"))
                continue
            seen.add(key.text)
            yield key, value

    def fields(self, mapping, prefix, known):
        """The (name, key node, value node) of the known keys of a mapping, in file order.

        Reports repeated keys and unknown keys (with a did-you-mean among ``known``).
        """
        for key, value in self.items(mapping, prefix):
            if key.text in known:
                yield key.text, key, value
            else:
                self.unknown_key(prefix, key, known)

    def nameable(self, key):
        """Whether a message may name ``key``: only when it is one of the schema's own words."""
        return key.text in self.keys

    def unknown_key(self, prefix, key, known):
        """Report ``key`` as unknown among ``known``.

        A key is named only when it is known to be safe: a word of the schema
        (at another level: said to look mis-indented), or a plain name close
        to a key of ``known`` (a misspelling: did you mean) that holds no
        secret key's name and does not follow an unquoted secret in a flow
        mapping. Any other key may be a piece of a secret (``password:hunter2``,
        a comma splitting a flow mapping, a password pasted as a key), so it is
        placed by line and column only.
        """
        import difflib

        if self.full():
            self.more += 1
            return
        known = tuple(known)
        expected = ("expected one of: %s" % ", ".join(known) if len(known) > 1
                    else 'expected only "%s"' % known[0])
        if self.nameable(key):
            # A key of the schema in the wrong place: in a block mapping, its indentation.
            looks = "it looks mis-indented: " if key.style != "json" and key.line else ""
            self.error(key, '%s%s: unknown key here; %s (%s"%s" is a key of another level)'
                       % (prefix, key.text, expected, looks, key.text))
            return
        close = difflib.get_close_matches(key.text, known, n=1) if len(key.text) <= 64 else []
        where = prefix.rstrip(".") or "top level"
        if not close:
            self.error(key, "%s: unknown key (not named: it is not close to any key of this "
                       "file); %s" % (where, expected))
        elif _misspelling(key, self.secret_keys):
            self.error(key, '%s%s: unknown key; did you mean "%s"?' % (prefix, key.text, close[0]))
        else:
            self.error(key, '%s: unknown key (not named: it may hold a secret); did you mean "%s"?'
                       % (where, close[0]))

    def show(self, node, text):
        """``text`` (a value of ``node``) in quotes for a message, unless it may be a piece of a secret."""
        if node.suspect:
            return "the value (not shown: it follows an unquoted secret in a flow mapping)"
        return quote(text)

    def string(self, node, where):
        """The text of a string field (None when null, ``WRONG`` after reporting an error)."""
        if is_null(node):
            return None
        if node.kind in ("scalar", "string"):
            if SURROGATE.search(node.text):
                self.error(node, "%s: contains a lone surrogate (\\ud800-\\udfff), which is not "
                           "a character" % where)
                return WRONG
            return node.text
        self.error(node, "%s: expected a string, got %s" % (where, describe(node)))
        return WRONG

    def boolean(self, node, where):
        """The value of a boolean field (None when null, ``WRONG`` after reporting an error)."""
        if is_null(node):
            return None
        if node.kind == "boolean":
            return node.text == "true"
        if node.kind == "scalar" and node.style == "plain":
            word = node.text.lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            self.error(node, "%s: expected a boolean (%s), got %s"
                       % (where, BOOLEAN_WORDS, self.show(node, node.text)))
        elif node.kind == "scalar":
            self.error(node, "%s: expected a boolean (%s, without quotes), got a quoted string"
                       % (where, BOOLEAN_WORDS))
        else:
            self.error(node, "%s: expected a boolean (true or false), got %s"
                       % (where, describe(node)))
        return WRONG

    def integer(self, node, where, minimum=None, maximum=None):
        """The value of an integer field, optionally bounded (None when null, ``WRONG`` after an error)."""
        if is_null(node):
            return None
        if (node.kind == "number" or (node.kind == "scalar" and node.style == "plain")) \
                and INTEGER.match(node.text):
            value = int(node.text)
            if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
                self.error(node, "%s: %d is out of range (%s)" % (where, value, _bounds(minimum, maximum)))
                return WRONG
            return value
        got = self.show(node, node.text) if node.kind in ("scalar", "number") else describe(node)
        self.error(node, "%s: expected a whole number, got %s" % (where, got))
        return WRONG

    def errors(self):
        """The DataErrors found so far, in file order, with an excerpt where the line is safe to show."""
        document = self.document
        shown = {}
        if document.format == "yaml" and document.excerpts:
            wanted = set(node.line for node, _message in self.found if node is not None)
            shown = shown_lines(document.yaml_root, document.text, document.node_types,
                                self.keys, self.secret_keys, wanted)
        ordered = sorted(enumerate(self.found), key=lambda pair: (
            order(pair[1][0]) if pair[1][0] is not None else (0, 0, 0), pair[0]))
        errors = []
        for _index, (node, message) in ordered:
            line = node.line if node is not None else None
            column = node.column if node is not None else None
            excerpt = shown.get(line) if column is not None else None
            errors.append(DataError(message, path=document.source, line=line, column=column,
                                    excerpt=excerpt))
        if self.more:
            errors.append(DataError("%d more error%s not shown (only the first %d are)"
                                    % (self.more, "" if self.more == 1 else "s", MAX_ERRORS),
                                    path=document.source))
        return errors

    def raise_errors(self):
        """Raise every error found as one ``ErrorList``; do nothing when there is none."""
        if self.found:
            raise ErrorList(self.errors())


def _misspelling(key, secret_keys):
    """Whether an unknown ``key`` close to a known one is safe to name: a plain name that
    holds no secret key's name and does not follow an unquoted secret in a flow mapping."""
    lowered = key.text.lower()
    return PLAIN_NAME.match(key.text) is not None and not key.suspect \
        and not any(secret.lower() in lowered for secret in secret_keys)


def _bounds(minimum, maximum):
    if minimum is not None and maximum is not None:
        return "from %d to %d" % (minimum, maximum)
    if minimum is not None:
        return "at least %d" % minimum
    return "at most %d" % maximum


# --- the excerpt allow-list -------------------------------------------------

# What may stand before a key on a line that is shown: indentation and "- " indicators.
_LINE_START = re.compile(r"[ ]*(?:-[ ]+)*")
_SEPARATOR = re.compile(r"[ \t]*:(?:[ \t]+|\Z)")
# What may follow the value: blanks, and a comment, which the excerpt leaves out.
_LINE_REST = re.compile(r"[ \t]*(?:[ \t]#.*)?\Z")
_REST_AFTER_COLON = re.compile(r"[ \t]*(?:#.*)?\Z")


def shown_lines(root, text, node_types, keys, secret_keys, wanted=None):
    """``{line: excerpt}`` of the lines an error may show: an allow-list.

    A line is shown only when it is fully understood as one known, non-secret
    key and its value: the line holds indentation and "- " indicators, the key
    written plainly, its colon, and either nothing more or a one-line plain
    or simply quoted scalar, then at most a comment (left out of the
    excerpt). The key must not lie inside a secret value, and the line must
    be printable. Anything else (a secret, an unknown key, a flow collection,
    a multi-line or escaped value) is not shown. Each line is looked at once,
    and only the ``wanted`` lines (all when None).
    """
    scalar, mapping, sequence = node_types
    if root is None:
        return {}
    lines = None
    shown = {}
    looked_at = set()
    stack = [(root, False)]
    while stack:
        node, secret = stack.pop()
        if isinstance(node, mapping):
            for key, value in node.items:
                leaf = isinstance(value, scalar)
                if leaf and wanted is not None and key.line not in wanted:
                    continue
                value_secret = secret or key.text in secret_keys or (
                    key.text not in keys and not _misspelled_plain_key(key.text, keys, secret_keys))
                if not value_secret and isinstance(key, scalar) and key.style == "plain" \
                        and key.line not in looked_at and (wanted is None or key.line in wanted):
                    looked_at.add(key.line)
                    if lines is None:
                        lines = LINE_BREAK.split(text)
                    excerpt = _understood(lines, key, value, scalar)
                    if excerpt is not None:
                        shown[key.line] = excerpt
                if not leaf:
                    stack.append((value, value_secret))
        elif isinstance(node, sequence):
            stack.extend((item, secret) for item in node.items if not isinstance(item, scalar))
    return shown


def _misspelled_plain_key(text, keys, secret_keys):
    """Whether ``text`` reads as a misspelling of keys that are all not secret (``emial``)."""
    import difflib

    lowered = text.lower()
    if len(text) > 64 or not PLAIN_NAME.match(text) or any(
            secret.lower() in lowered for secret in secret_keys):
        return False
    close = difflib.get_close_matches(text, keys, n=3)
    return bool(close) and not any(match in secret_keys for match in close)


def _understood(lines, key, value, scalar):
    """The excerpt of the key's line when it holds exactly ``key: value``, else None."""
    if key.line > len(lines):
        return None
    line = lines[key.line - 1]
    start = key.column - 1
    if _LINE_START.match(line).end() != start or not line.startswith(key.text, start):
        return None
    separator = _SEPARATOR.match(line, start + len(key.text))
    if separator is None:
        return None
    after = separator.end()
    if not isinstance(value, scalar) and not value.items and value.line == key.line:
        # An empty flow collection, {} or [].
        if value.column - 1 != after or line[after:after + 2] not in ("{}", "[]"):
            return None
        end = after + 2
        if not _LINE_REST.match(line, end):
            return None
    elif not isinstance(value, scalar) or (value.style == "plain" and value.text == ""):
        # Nothing after the colon: the value is empty, or a collection on the lines below.
        if not isinstance(value, scalar) and value.line == key.line:
            return None
        if not _REST_AFTER_COLON.match(line, after):
            return None
        end = after
    else:
        if value.line != key.line or value.column - 1 != after:
            return None
        written = _written(value)
        if written is None or not line.startswith(written, after):
            return None
        end = after + len(written)
        if not _LINE_REST.match(line, end):
            return None
    excerpt = line[:end].rstrip(" \t")
    if not excerpt.isprintable():
        return None
    return excerpt


def _written(value):
    """How a one-line scalar with this text is written in its style, or None when it is not simple."""
    text = value.text
    if "\n" in text or not text.isprintable():
        return None
    if value.style == "plain":
        return text
    if value.style == "single":
        return "'%s'" % text.replace("'", "''")
    if value.style == "double" and '"' not in text and "\\" not in text:
        return '"%s"' % text
    return None
