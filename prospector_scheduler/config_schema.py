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

This module does no I/O and knows no schema; the schemas are in
``users_file`` and ``schedule_file``. The YAML parser is ``miniyaml``.
"""

import itertools
import os
import re
import typing

from prospector_scheduler.errors import DataError, ErrorList

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
SURROGATE = re.compile(r"[\ud800-\udfff]")
INTEGER = re.compile(r"[-+]?[0-9]{1,18}\Z")

# How deep the node view goes; deeper values are only ever reported by kind.
SCHEMA_DEPTH = 4

# A marker for a value of the wrong type (already reported).
WRONG = object()


class Node(typing.NamedTuple):
    """The schema's view of a value, from JSON data or from a ``miniyaml`` node.

    ``kind`` is ``mapping`` or ``sequence`` (``items`` holds (key, value) pairs
    or values), ``scalar`` for any YAML scalar (``style`` says how it was
    written), or, for JSON, ``string``, ``number``, ``boolean`` or ``null``.
    ``text`` is a scalar's text (a JSON boolean's is ``true``/``false``, a
    number's as written). ``order`` counts nodes in document order, to sort
    errors where there is no line (JSON).
    """

    kind: str
    text: typing.Optional[str]
    style: str
    items: list
    line: typing.Optional[int]
    column: typing.Optional[int]
    order: int


class Document(typing.NamedTuple):
    """A decoded and parsed configuration file: ``top`` is None for an empty one.

    ``yaml_root`` is the ``miniyaml`` tree (None for JSON), which the excerpt
    allow-list walks; ``node_types`` are the classes of its Scalar, Mapping
    and Sequence nodes.
    """

    source: str
    text: str
    format: str
    top: typing.Optional[Node]
    yaml_root: typing.Any
    node_types: tuple


# --- bytes, format ----------------------------------------------------------

def decode(data, source, what):
    """The text of UTF-8 ``data``, without a byte-order mark; ``what`` names the file ("a users file").

    Raises ``ErrorList`` with the place of a NUL byte or of invalid UTF-8.
    """
    nul = data.find(b"\0")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if 0 <= nul < error.start:
            raise ErrorList([_byte_error("NUL byte; %s is UTF-8 text" % what, data, nul, source)])
        message = "invalid UTF-8 (byte 0x%02x); %s is UTF-8 text" % (data[error.start], what)
        raise ErrorList([_byte_error(message, data, error.start, source)])
    if nul >= 0:
        raise ErrorList([_byte_error("NUL byte; %s is UTF-8 text" % what, data, nul, source)])
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


def load(data, source, what, format=None):
    """Decode and parse ``data`` into a ``Document``; raises ``ErrorList`` on a syntax error."""
    text = decode(data, source, what)
    format, detected = detect_format(source, text, format)
    if format == "json":
        return load_json(text, source, detected)
    return load_yaml(text, source)


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


def load_json(text, source, detected=False):
    """The ``Document`` of JSON ``text``; ``detected``: the format was guessed from the content."""
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
    return Document(source, text, "json", _from_json(data, 0, itertools.count()), None, ())


def _from_json(value, depth, counter):
    if isinstance(value, _JSONObject):
        node = Node("mapping", None, "json", [], None, None, next(counter))
        if depth < SCHEMA_DEPTH:
            for key, item in value:
                node.items.append((Node("string", key, "json", [], None, None, next(counter)),
                                   _from_json(item, depth + 1, counter)))
        return node
    if isinstance(value, list):
        node = Node("sequence", None, "json", [], None, None, next(counter))
        if depth < SCHEMA_DEPTH:
            for item in value:
                node.items.append(_from_json(item, depth + 1, counter))
        return node
    if isinstance(value, _JSONNumber):
        return Node("number", str(value), "json", [], None, None, next(counter))
    if isinstance(value, str):
        return Node("string", value, "json", [], None, None, next(counter))
    if value is None:
        return Node("null", "null", "json", [], None, None, next(counter))
    return Node("boolean", "true" if value else "false", "json", [], None, None, next(counter))


# --- YAML -------------------------------------------------------------------

def load_yaml(text, source):
    """The ``Document`` of YAML ``text`` (read by ``miniyaml``)."""
    from prospector_scheduler import miniyaml

    try:
        root = miniyaml.parse(text)
    except miniyaml.YAMLError as error:
        # No excerpt: without a parse there is no telling whether the line
        # is inside a password.
        raise ErrorList([DataError(error.message, path=source, line=error.line, column=error.column)])
    return yaml_document(root, text, source, (miniyaml.Scalar, miniyaml.Mapping, miniyaml.Sequence))


def yaml_document(root, text, source, node_types):
    """The ``Document`` of a YAML tree ``root`` read from ``text``, whose nodes are of
    ``node_types`` (Scalar, Mapping, Sequence: ``miniyaml``'s, or built by hand in tests)."""
    top = None if root is None else without_garbage_collection(
        _from_yaml, root, node_types, 0, itertools.count())
    return Document(source, text, "yaml", top, root, tuple(node_types))


def _from_yaml(node, node_types, depth, counter):
    scalar, mapping, sequence = node_types
    if isinstance(node, scalar):
        return Node("scalar", node.text, node.style, [], node.line, node.column, next(counter))
    if isinstance(node, mapping):
        view = Node("mapping", None, "yaml", [], node.line, node.column, next(counter))
        if depth < SCHEMA_DEPTH:
            append = view.items.append
            for key, value in node.items:
                # Most values are scalars: made here, without a call each (the
                # same nodes, numbered in the same order, as the calls would make).
                if type(key) is scalar:
                    key_view = tuple.__new__(Node, ("scalar", key.text, key.style, [], key.line,
                                                    key.column, next(counter)))
                else:
                    key_view = _from_yaml(key, node_types, depth + 1, counter)
                if type(value) is scalar:
                    value_view = tuple.__new__(Node, ("scalar", value.text, value.style, [],
                                                      value.line, value.column, next(counter)))
                else:
                    value_view = _from_yaml(value, node_types, depth + 1, counter)
                append((key_view, value_view))
        return view
    if isinstance(node, sequence):
        view = Node("sequence", None, "yaml", [], node.line, node.column, next(counter))
        if depth < SCHEMA_DEPTH:
            for item in node.items:
                view.items.append(_from_yaml(item, node_types, depth + 1, counter))
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

    ``keys`` are every key the schema knows (at any level), ``secret_keys``
    those whose values are secrets; both decide which lines may be shown and
    which unknown keys may be named. Call ``error(node, message)`` for each
    problem (``node`` None: the whole file), then ``raise_errors()``.
    """

    def __init__(self, document, keys, secret_keys=()):
        self.document = document
        self.keys = tuple(keys)
        self.secret_keys = tuple(secret_keys)
        self.found = []

    def error(self, node, message):
        self.found.append((node, message))

    def __len__(self):
        return len(self.found)

    def items(self, mapping, prefix):
        """The (key, value) pairs of a mapping, reporting a repeated key (JSON; YAML refuses them).

        ``prefix`` is the path of the mapping followed by a dot ("users[0].") or "".
        """
        seen = set()
        for key, value in mapping.items:
            if key.text in seen:
                self.error(key, "%s%s: duplicate key" % (prefix, _key_name(key.text)))
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

    def unknown_key(self, prefix, key, known):
        import difflib

        known = tuple(known)
        close = difflib.get_close_matches(key.text, known, n=1)
        hint = ('did you mean "%s"?' % close[0]) if close else (
            "expected one of: %s" % ", ".join(known) if len(known) > 1 else 'expected only "%s"' % known[0])
        if PLAIN_NAME.match(key.text):
            self.error(key, "%s%s: unknown key; %s" % (prefix, key.text, hint))
        else:
            # A key that is not a plain name may be a password run into its key
            # (``password:hunter2``), so it is not echoed.
            self.error(key, "%s: unknown key (not shown: not a plain name); %s"
                       % (prefix.rstrip(".") or "top level", hint))

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
                       % (where, BOOLEAN_WORDS, quote(node.text)))
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
        got = quote(node.text) if node.kind in ("scalar", "number") else describe(node)
        self.error(node, "%s: expected a whole number, got %s" % (where, got))
        return WRONG

    def errors(self):
        """The DataErrors found so far, in file order, with an excerpt where the line is safe to show."""
        document = self.document
        found = self.found
        if document.format == "yaml":
            hidden = secret_lines(document.yaml_root, document.text, document.node_types,
                                  self.keys, self.secret_keys)
            lines = LINE_BREAK.split(document.text)
        else:
            hidden = None
            lines = []
        source = document.source
        ordered = sorted(enumerate(found), key=lambda pair: (
            order(pair[1][0]) if pair[1][0] is not None else (0, 0, 0), pair[0]))
        errors = []
        for _index, (node, message) in ordered:
            line = node.line if node is not None else None
            column = node.column if node is not None else None
            excerpt = None
            if line is not None and hidden is not None and line not in hidden \
                    and line <= len(lines) and column is not None:
                candidate = lines[line - 1]
                if all(char.isprintable() or char == "\t" for char in candidate):
                    excerpt = candidate
            errors.append(DataError(message, path=source, line=line, column=column, excerpt=excerpt))
        return errors

    def raise_errors(self):
        """Raise every error found as one ``ErrorList``; do nothing when there is none."""
        if self.found:
            raise ErrorList(self.errors())


def _bounds(minimum, maximum):
    if minimum is not None and maximum is not None:
        return "from %d to %d" % (minimum, maximum)
    if minimum is not None:
        return "at least %d" % minimum
    return "at most %d" % maximum


def _key_name(text):
    return text if PLAIN_NAME.match(text) else "(key not shown)"


# --- the excerpt allow-list -------------------------------------------------

def secret_lines(root, text, node_types, keys, secret_keys):
    """The lines an excerpt must not show: wherever a secret value may lie.

    A value is secret under a secret key, under an unknown key that may be a
    misspelling of one, or as a scalar in a sequence. A secret starting on line L may run
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
                pending.append((value, secret or _may_be_secret(key.text, keys, secret_keys)))
            stack.extend(reversed(pending))
        elif isinstance(node, sequence):
            # Where a list holds a scalar, it may be anything: a password too.
            stack.extend(reversed([(item, secret or not isinstance(item, (mapping, sequence)))
                                   for item in node.items]))
    starts.sort()
    lines = LINE_BREAK.split(text)
    hidden = set()
    for index, (line, column, secret) in enumerate(starts):
        if not secret:
            continue
        after = index + 1
        while after < len(starts) and starts[after][:2] <= (line, column):
            after += 1
        if after == len(starts):
            hidden.update(range(line, len(lines) + 1))
            continue
        next_line, next_column = starts[after][:2]
        hidden.update(range(line, next_line))
        before = lines[next_line - 1][:next_column - 1] if next_line <= len(lines) else ""
        if before.replace("-", " ").strip() or next_line == line:
            hidden.add(next_line)
    return hidden


def _may_be_secret(key, keys, secret_keys):
    if key in secret_keys:
        return True
    if key in keys:
        return False
    import difflib

    close = difflib.get_close_matches(key, keys, n=3)
    return not close or any(match in secret_keys for match in close)
