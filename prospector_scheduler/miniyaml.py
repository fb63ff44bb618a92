"""A parser for the part of YAML 1.2 that configuration files use.

Every input is either read exactly as a YAML 1.2 parser with the core schema
reads it, or refused with ``YAMLError`` naming the feature, the line and the
column: never a third outcome. Supported: one document of block mappings and
sequences (including the compact ``- key: value`` form), plain, single- and
double-quoted scalars (multi-line, every escape), literal and folded block
scalars, flow collections, comments, ``---`` and ``...``, a byte-order mark and
CRLF line ends. Refused: anchors, aliases, tags, directives, several
documents, complex and non-string keys, merge keys, duplicate keys, tabs as
indentation, and whatever else the parser cannot read exactly.

``parse`` keeps every scalar's text, style and place (for typing by schema);
``loads`` returns plain Python data, and, asked for, a sequence of like mappings
as a ``Table`` of columns. This module does no I/O.
"""

import gc
import re
from bisect import bisect_right, insort
from itertools import accumulate, chain, compress, islice, repeat, starmap
from operator import itemgetter
from typing import List, NamedTuple, Tuple

from prospector_scheduler.errors import DataError

__all__ = ["YAMLError", "Scalar", "Mapping", "Sequence", "Table", "parse", "to_data", "loads"]

MAX_DEPTH = 100
MAX_KEY_LENGTH = 1024
MAX_INT_DIGITS = 4000

# Characters YAML allows in a stream (c-printable, less the byte-order mark).
_INVALID_CHARACTER = re.compile(
    r"[^\t\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_VALID_ASCII = b"\t\n\r" + bytes(range(0x20, 0x7F))
_INVALID_TABLE = dict.fromkeys(
    [code for code in range(0x20) if code not in (0x09, 0x0A, 0x0D)]
    + [0x7F] + [code for code in range(0x80, 0xA0) if code != 0x85]
    + list(range(0xD800, 0xE000)) + [0xFEFF, 0xFFFE, 0xFFFF])
# The longest run of plain-scalar text on one line (trailing blanks excluded).
_PLAIN_BLOCK = re.compile(r"(?:[^ \t#:]+|:(?=[^ \t])|#|[ \t]+(?=[^ \t#:]|:[^ \t]))*")
_PLAIN_FLOW = re.compile(
    r"(?:[^ \t#:,\[\]{}]+|:(?=[^ \t,\[\]{}])|#|[ \t]+(?=[^ \t#:,\[\]{}]|:[^ \t,\[\]{}]))*")
# The hot steps. One regular expression takes a whole `key: value` pair whose key is a
# simple word, plain (group 1) or double-quoted (2), and whose value is a one-line scalar
# of the usual kinds: a plain scalar of ordinary characters (3), a double-quoted scalar
# without escapes (4) or a single-quoted one without quotes inside (5), maybe followed by
# a comment. Anything else, and every error, is for the steps that read every feature
# character by character; both give the same result (tests compare them).
_HOT_KEY = r'(?:([A-Za-z_][A-Za-z0-9_-]{0,1023})|"([A-Za-z_][A-Za-z0-9_-]{0,1023})"):[ ]+'
_HOT_QUOTED = r"\"([^\"\\\n]*)\"|'([^'\n]*)'"
# In a flow mapping: after spaces, a plain value is words that hold no blank nor any of
# '#:,[]{}', separated by spaces (each repetition starts with a space that the words
# exclude, so a failed match backtracks in linear time); then spaces, the ',' or '}' that
# ends the pair (group 6), and spaces.
_HOT_FLOW_PAIR = re.compile(
    "[ ]*" + _HOT_KEY + r"(?:([A-Za-z0-9_./+][^ \t#:,\[\]{}\n]*(?:[ ]+[^ \t#:,\[\]{}\n]+)*)|%s)"
    r"[ ]*([,}])[ ]*" % _HOT_QUOTED)
_hot_pairs = {}


def _hot_pair(indent):
    """The hot step of a block mapping indented ``indent``: the ``match`` methods of two
    patterns that take one whole pair, one from the start of its line (its indentation
    first), one from its key (after the `- ` of a sequence's entry).

    The pair ends its line. A plain value holds no tab, '#' or ':' and may end in blanks
    (the caller strips them); it needs a comment after it, or a next line with content
    (after blank lines) not indented more than the key, where it would go on. A plain
    value that starts with a letter other than n, t or f (any case), '_' or '/' cannot be
    a null, a boolean or a number: it is group 3, a string as it is; other plain values
    are group 4, to be typed; the quoted values are groups 5 and 6.
    """
    found = _hot_pairs.get(indent)
    if found is None:
        pair = _hot_pair_pattern(indent)
        found = _hot_pairs[indent] = (re.compile("[ ]{%d}" % indent + pair).match, re.compile(pair).match)
    return found


def _hot_pair_pattern(indent):
    """The text of the pattern of one hot pair whose key is indented ``indent`` (see ``_hot_pair``)."""
    return _HOT_KEY + (
        r"(?:(?:([a-eg-mo-su-zA-EG-MO-SU-Z_/][^\t#:\n]*)|([A-Za-z0-9_./+][^\t#:\n]*))(?:(?<=[ ])#[^\n]*|(?=\n[ ]{0,%d}[^ \t\n]|(?:\n[ ]*)*\Z|(?:\n[ ]*)+\n[ ]{0,%d}[^ \t\n]))"
        r"|(?:%s)(?:[ ]+(?:#[^\n]*)?)?(?=\n|\Z))" % (indent, indent, _HOT_QUOTED))


# The hot run (``_hot_run``). Values it reads: a plain scalar of ordinary characters (it
# starts as one of the hot step's groups 3 and 4 does), or a double- or single-quoted one.
_RUN_FIRSTS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./+\"'")
# Of those, what starts a value that is a string as it is (the hot step's group 3), and the rest.
_RUN_STRING_FIRSTS = frozenset("abcdeghijklmopqrsuvwxyzABCDEGHIJKLMOPQRSUVWXYZ_/")
# The others: quotes and what may start a number, to read one by one; or what may start a
# null or a boolean.
_RUN_QUOTE_OR_NUMBER_FIRSTS = frozenset("\"'0123456789.+")
_RUN_CONSTANT_FIRSTS = _RUN_FIRSTS - _RUN_STRING_FIRSTS - _RUN_QUOTE_OR_NUMBER_FIRSTS
_RUN_KEY = re.compile(r'(?:[A-Za-z_][A-Za-z0-9_-]{0,1023}|"[A-Za-z_][A-Za-z0-9_-]{0,1023}")\Z')
_run_patterns = {}
# A comment after a value in a hot run: a blank, '#' and the rest of the line.
_COMMENT_AFTER_VALUE = re.compile(" #[^\n]*").sub
# About how many characters of a hot run are read at a time (see _hot_run).
_RUN_STRETCH = 16384


def _run_patterns_of(indent, column):
    """The ``search`` and ``sub`` methods of the patterns of a hot run (see ``_hot_run``): a
    line break before a line indented less than the run's `- ` (where the sequence ends, at
    the latest); and a line with nothing to read (after its line break)."""
    found = _run_patterns.get((indent, column))
    if found is None:
        # A blank line, or a comment indented no more than the keys (deeper, the general
        # steps decide whether it ends the plain value before it).
        skip = "[ ]*|[ ]{0,%d}#[^\n]*" % column
        found = _run_patterns[(indent, column)] = (
            re.compile("\n[^ \n#%s]" % ("" if indent else "-")).search,
            re.compile("\n(?:%s)(?=\n)" % skip).sub)
    return found


def _comment_lines(spaces):
    """The ``sub`` method of a pattern of a comment line indented ``spaces``, after its line break."""
    found = _comment_line_patterns.get(spaces)
    if found is None:
        found = _comment_line_patterns[spaces] = re.compile("\n" + " " * spaces + "#[^\n]*").sub
    return found


_comment_line_patterns = {}
# The farthest column of a hot run's keys whose comment lines are searched for column by column.
_FIXED_SEARCH_COLUMNS = 16


def _without_skipped(lines, column, without_skipped):
    """``lines`` (each with its line break) without those that have nothing to read: blank,
    or a comment indented at most ``column``; ``without_skipped`` is the run's pattern that
    takes them all (see ``_run_patterns_of``).

    Usually each kind is found by a search for a fixed string and taken away by a pattern
    that starts with one, which costs a fraction of that pattern's tries at every line; the
    pattern takes lines of blanks, more than one blank line in a row, and comments of a run
    whose keys stand far right (one search per column would cost time that grows faster
    than the text).
    """
    if " \n" in lines or column > _FIXED_SEARCH_COLUMNS:
        return without_skipped("", lines)
    lines = lines.replace("\n\n", "\n")
    if "\n\n" in lines:
        return without_skipped("", lines)
    for spaces in range(column + 1):
        if "\n" + " " * spaces + "#" in lines:
            lines = _comment_lines(spaces)("", lines)
    return lines


def _hot_run(doc, index, indent, column):
    """Whole entries of a block sequence read at once, for ``loads``.

    The entry on line ``index`` starts with `- ` at ``indent`` and its key at ``column``.
    The run takes it and the entries after it while every line is a simple pair, ``key:
    value`` with one space, its key at ``column`` (after the `- ` of a new entry, or after
    spaces), or has nothing to read (blank, or a comment indented no more than the keys).
    A pair has a plain key, or a double-quoted one without escapes, and a one-line value:
    plain of ordinary characters (no tab, '#' or ':', no trailing blank), or quoted
    without escapes; in a run without quotes, a comment may follow the value. The run ends before the last entry, so that the line after it is this
    sequence's next `- `: every entry it takes is complete, and the hot step's look at the
    next line (whether a plain value goes on) has nothing to find, each line with content
    after a pair being indented no more than its key.

    Such a run is read column by column, with a few string operations over all its lines
    rather than Python steps per line or character. A line of another kind (a comment
    after a quoted value, a nested value, an escape, two spaces after the ':') before the line
    that ends the sequence at the latest (the first indented less than its `- `) refuses
    them all, and so does a repeated key, a null or boolean key, or an integer too long to
    read: the hot steps and the general steps read those lines, and word any error.

    Returns ``(entries, lines)``: the entries (dicts, and, for tables, ``_RunColumns`` of
    many; none when refused) and how many lines from ``index`` on they fill, or, refused,
    are not worth another run.
    """
    text = doc.text
    start = doc.before[index] + index
    run_end, without_skipped = _run_patterns_of(indent, column)
    found = run_end(text, start)
    end = found.start() if found is not None else len(text)
    # Up to the last entry's `- `.
    entry_start = "\n" + " " * indent + "-"
    end = text.rfind(entry_start, start, end)
    if end <= start:
        return (), 1
    lines = text.count("\n", start, end) + 1
    doc.before.note(index + lines, end + 1)  # where the line after the run starts
    entries = []
    # A stretch of whole entries at a time, each starting at a `- `: the memory the
    # stretch's pieces take is freed before the next one's are made, and used again.
    # Taking all lines at once made several times the file's size in small strings
    # that were all new memory, to be had from the system page by page.
    while start < end:
        stretch_end = text.find(entry_start, start + _RUN_STRETCH, end)
        if stretch_end < 0:
            stretch_end = end
        read = _run_entries(text[start:stretch_end], indent, column, without_skipped, doc.tables)
        if read is None:
            return (), lines
        if type(read) is list:
            entries += read
        else:
            entries.append(read)  # columns, for a Table (see _table)
        start = stretch_end + 1
    return entries, lines


def _run_entries(block, indent, column, without_skipped, tables):
    """The entries of ``block``, a stretch of a hot run (see ``_hot_run``): whole entries,
    the first starting at its first line; None when refused. With ``tables``, entries
    that all have the same keys come as one ``_RunColumns``.

    ``without_skipped`` is the run's pattern of lines with nothing to read (``_run_patterns_of``).
    """
    if block[column] == "{":
        block = _flow_run_as_block(block, column)
        return None if block is None else _run_pairs(block, indent, column, tables)
    if "\t" in block:
        return None
    # Its lines each with their line break: a blank line may end the stretch, before the next `- `.
    ended = block + "\n"
    if " \n" in ended or "\n\n" in ended:
        # Blank lines, and comment lines with them; a blank at the end of any other line refuses.
        block = _without_skipped(ended, column, without_skipped)[:-1]
        if " \n" in block:
            return None
    entries = _run_pairs(block, indent, column, tables)
    if entries is None and "#" in block:
        # Maybe comment lines: no pair reads as one (its '#' cannot start a key), so a stretch
        # that holds one is refused above, and read again without them. Searched for only
        # then: a '#' after values, the usual comment, costs no search.
        without_comments = _without_skipped(ended, column, without_skipped)[:-1]
        if len(without_comments) != len(block):
            entries = _run_pairs(without_comments, indent, column, tables)
    return entries


def _run_pairs(block, indent, column, tables):
    """``_run_entries`` of a stretch with only pairs left, no tab and no blank at a line's
    end but maybe the last; None when refused."""
    # Without quotes, a '#' after a blank starts a comment (taken off the values below), and
    # one after any other character is part of a plain value. With quotes, '#' refuses the run.
    comments = "#" in block
    if comments and ('"' in block or "'" in block):
        return None
    if block[-1] == " ":
        return None
    blank_before_comment = False  # whether a value keeps a blank from before its comment
    if comments:
        # Each comment, from the blank before its '#' to the line's end, taken off all lines
        # at once (no key holds " #": the checks below refuse a line where one did); the
        # other blanks before it are taken off the values below. No value ends with a blank
        # otherwise (a line that does is refused before).
        block = _COMMENT_AFTER_VALUE("", block)
        blank_before_comment = " \n" in block or block[-1] == " "
    count = block.count("\n") + 1
    if block.count(":") != count:
        return None
    # Each line holds one ": ", after its key: the line breaks made ": " too, the block splits
    # into the lines' keys (with what is before them) and values, in turns.
    pieces = block.replace("\n", ": ").split(": ")
    if len(pieces) != 2 * count:
        return None  # a ':' without a space after it
    values = pieces[1::2]
    if blank_before_comment:
        values = list(map(str.rstrip, values, repeat(" ")))
    written_keys = pieces[0::2]
    dash = " " * indent + "-" + " " * (column - indent - 1)
    # How many pairs the first entry has; most runs repeat its keys in every entry.
    size = 1
    while size < count and not written_keys[size].startswith(dash):
        size += 1
    uniform = count % size == 0 and written_keys == written_keys[:size] * (count // size)
    # The few distinct keys as written, each after its line's indentation or `- `.
    key_of = {}
    indentation = " " * column
    for written in set(written_keys[:size] if uniform else written_keys):
        key = written[column:]
        if (written[:column] != indentation and written[:column] != dash) or not _RUN_KEY.match(key) \
                or key in _NULL_BOOL:
            return None
        key_of[written] = key[1:-1] if key[0] == '"' else key
    if uniform:
        keys = list(map(key_of.__getitem__, written_keys[:size]))
        if len(set(keys)) != size:
            return None  # a repeated key
        # Each key's values, read as a column; each entry made without a Python step of its own.
        columns = list(map(_run_values, map(values.__getitem__, map(slice, range(size), repeat(None),
                                                                       repeat(size)))))
        if None in columns:
            return None
        if tables:
            return _RunColumns(tuple(keys), columns)
        return _rows_of(keys, columns)
    values = _run_values(values)
    if values is None:
        return None
    pairs = list(zip(map(key_of.__getitem__, written_keys), values))
    starts = [number for number, written in enumerate(written_keys) if written.startswith(dash)]
    starts.append(count)
    entries = []
    for first, after in zip(starts, starts[1:]):
        entry = dict(pairs[first:after])
        if len(entry) != after - first:
            return None  # a repeated key
        entries.append(entry)
    return entries


def _flow_run_as_block(block, column):
    """A hot run's lines of one-line flow mappings, ``- {key: value, key: value}`` with their
    `{` at ``column``, written as the compact block mappings they equal (``- key: value``, then
    ``key: value`` lines, the keys at ``column``); None where that is not plainly so.

    Each line must be its entry's whole flow mapping, pairs parted by ", ", and no value may
    hold a flow indicator (``,[]{}``), a '#', a tab or a blank at its end: then a value means
    in a flow mapping what it means in a block one (a plain value of these characters ends at
    the same place, a quoted one is quoted alike), and the run's own checks take the rest.
    """
    if "#" in block or "\t" in block or "[" in block or "]" in block or block[-1] != "}":
        return None
    head = block[:column]  # the indentation, the '-' and the blanks after it
    body = block[column + 1:-1].replace("}\n" + head + "{", "\n")
    if "{" in body or "}" in body or body.count(",") != body.count(", "):
        return None
    block = head + body.replace("\n", "\n" + head).replace(", ", "\n" + " " * column)
    return None if " \n" in block else block


def _rows_of(keys, columns):
    """The mappings of ``keys`` (distinct) to the values in ``columns``, one per row."""
    if len(keys) > _MAX_ENTRY_MAKER:
        return list(map(dict, map(zip, repeat(keys), zip(*columns))))
    return list(starmap(_entry_maker(len(keys))(*keys), zip(*columns)))


_entry_makers = {}
# Python 3.6 takes at most 255 arguments in a call.
_MAX_ENTRY_MAKER = 200


def _entry_maker(size):
    """A function that, given ``size`` keys, returns a function of ``size`` values making the
    dict of those keys and values: a dict display, about twice as fast as ``dict(zip(...))``.

    Its source is made from ``size`` alone (names ``k0``, ``v0`` ...): no key's text is ever
    part of code. The keys must differ.
    """
    maker = _entry_makers.get(size)
    if maker is None:
        numbers = range(size)
        source = "def maker(%s):\n    return lambda %s: {%s}\n" % (
            ", ".join("k%d" % number for number in numbers), ", ".join("v%d" % number for number in numbers),
            ", ".join("k%d: v%d" % (number, number) for number in numbers))
        namespace = {}
        exec(source, namespace)
        maker = _entry_makers[size] = namespace["maker"]
    return maker


def _run_values(values):
    """The values of a hot run's pairs (their text after ': ') as ``loads`` gives them, or
    None when one is not of the run's kinds (see ``_hot_run``)."""
    try:
        firsts = set(map(itemgetter(0), values))
    except IndexError:
        return None  # an empty value
    if firsts <= _RUN_STRING_FIRSTS:
        return values
    if not firsts <= _RUN_FIRSTS:
        return None
    if len(firsts) == 1 and not firsts.isdisjoint("\"'"):
        # All quoted alike: each at least two characters, ending with its quote and holding
        # no other (nor, double-quoted, a backslash) when the quotes are two per value.
        quote = values[0][0]
        joined = "\n".join(values)
        if joined.count(quote) != 2 * len(values) or joined.count(quote + "\n") != len(values) - 1 \
                or joined[-1] != quote or min(map(len, values)) < 2 or (quote == '"' and "\\" in joined):
            return None
        return list(map(itemgetter(slice(1, -1)), values))
    # Quoted values lose their quotes and numbers are read, one by one; nulls and booleans
    # (every other plain value that does not start as a string) at once.
    special = firsts & _RUN_QUOTE_OR_NUMBER_FIRSTS
    if special:
        special = list(compress(range(len(values)), map(special.__contains__, map(itemgetter(0), values))))
    if not firsts.isdisjoint(_RUN_CONSTANT_FIRSTS):
        values = list(map(_NULL_BOOL.get, values, values))
    else:
        values = list(values)
    for number in special:
        value = values[number]
        first = value[0]
        if first == '"' or first == "'":
            inside = value[1:-1]
            if len(value) < 2 or value[-1] != first or first in inside or (first == '"' and "\\" in inside):
                return None
            values[number] = inside
        else:
            if len(value) > MAX_INT_DIGITS:
                return None
            values[number] = _resolve(value, None, None)
    return values


_FLOW_INDICATORS = ",[]{}"
_BLANK = " \t"

_NULL_BOOL = {"": None, "~": None, "null": None, "Null": None, "NULL": None,
              "true": True, "True": True, "TRUE": True,
              "false": False, "False": False, "FALSE": False}
_NUMBER_START = frozenset("0123456789+-.")
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCTAL = re.compile(r"0o[0-7]+\Z")
_HEXADECIMAL = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INFINITY = re.compile(r"([-+]?)\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")

_ESCAPES = {"0": "\x00", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n",
            "v": "\x0b", "f": "\x0c", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/",
            "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]*\Z")
_DOUBLE_STOP = re.compile(r'["\\]')

ANCHORS = "anchors and aliases are not supported (&anchor, *alias)"
TAGS = "tags are not supported (!tag, !!type)"
DIRECTIVES = "directives are not supported (%YAML, %TAG)"
MANY_DOCUMENTS = "more than one document is not supported"
COMPLEX_KEYS = "complex keys are not supported (? key)"
MERGE_KEYS = "merge keys are not supported (<<)"
TABS = "tabs are not allowed as indentation"
RESERVED_START = "a plain scalar cannot start with %, @ or ` (reserved by YAML); quote it"
INDICATOR_START = ("a plain scalar cannot start with , [ ] { } or # (YAML indicators); "
                   "quote it, or check the brackets")


class YAMLError(DataError, ValueError):
    """Input that is not YAML, or YAML this parser refuses; ``line`` and ``column`` count from 1.

    ``path`` is left ``None``: the caller that knows the file name sets it.
    No message quotes the input, which may hold a password. Where the error
    is about a key, ``key`` is its text and ``keyed_message`` names it: a
    caller that knows the key is safe to show (one of its schema's) may use it.
    """

    def __init__(self, message, line=None, column=None, key=None, keyed_message=None):
        DataError.__init__(self, message, None, line, column)
        self.key = key
        self.keyed_message = message if keyed_message is None else keyed_message


class Scalar(NamedTuple):
    """A scalar: its text after quoting, escapes and folding, before any typing."""

    text: str
    style: str  # 'plain', 'single', 'double', 'literal' or 'folded'
    line: int
    column: int


class Mapping(NamedTuple):
    """A mapping: (Scalar key, node) pairs in the order written; keys are unique strings."""

    items: List[Tuple[Scalar, object]]
    line: int
    column: int


class Sequence(NamedTuple):
    """A sequence of nodes."""

    items: list
    line: int
    column: int


class Table(NamedTuple):
    """A sequence of mappings read by ``loads(text, tables=True)``, column by column: each
    mapping has the same ``keys`` (at least one), in the same order, and only scalar values
    (str, int, float, bool or None); ``columns[k]`` lists the values of ``keys[k]``, one per
    mapping, in order. A users file is such a sequence: its reader takes the columns as
    they are, and no mapping is made that it would only take apart again."""

    keys: Tuple[str, ...]
    columns: List[list]

    def rows(self):
        """The mappings, as ``loads`` gives them without tables."""
        return _rows_of(self.keys, self.columns)

    def __repr__(self):
        # A users file's table holds passwords, and its keys may be anything a file says:
        # a repr that reaches a log or a traceback shows neither.
        return "<%s rows=%d keys=%d (not shown)>" % (
            type(self).__name__, len(self.columns[0]) if self.columns else 0, len(self.keys))


class _RunColumns(Table):
    """Entries a hot run read for ``loads(text, tables=True)`` that all have the same keys,
    as a ``Table``'s columns; an item of their sequence until it is complete (see ``_table``),
    told apart from an item that is a table itself."""

    __slots__ = ()


def _error(message, index, column):
    """A YAMLError at 0-based line ``index`` and column."""
    return YAMLError(message, index + 1, column + 1)


# ---------------------------------------------------------------- lines


def _normalized(text):
    """``text`` without a byte-order mark, every line break made LF; refuses invalid characters."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Whether there is any invalid character at all: in ASCII text, the bytes left when every
    # allowed one is deleted (a stretch at a time, so that one stretch's memory serves the
    # next); else what str.translate deletes.
    try:
        invalid = any(text[offset:offset + _RUN_STRETCH].encode("ascii").translate(None, _VALID_ASCII)
                      for offset in range(0, len(text), _RUN_STRETCH))
    except UnicodeEncodeError:
        invalid = len(text.translate(_INVALID_TABLE)) != len(text)
    if invalid:
        offset = _INVALID_CHARACTER.search(text).start()
        line_start = text.rfind("\n", 0, offset) + 1
        raise YAMLError("a character YAML does not allow (a control character, a byte-order "
                        "mark inside the text, or a non-character); write it as an escape in a "
                        "double-quoted string", text.count("\n", 0, offset) + 1, offset - line_start + 1)
    return text


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _next_content(lines, index):
    """The index of the first line from ``index`` on that is neither blank nor a comment."""
    count = len(lines)
    while index < count:
        stripped = lines[index].lstrip(_BLANK)
        if stripped and stripped[0] != "#":
            return index
        index += 1
    return count


def _is_marker(line):
    """Whether ``line`` starts with a document marker, ``---`` or ``...``."""
    return (line[:3] == "---" or line[:3] == "...") and (len(line) == 3 or line[3] in _BLANK)


def _skip_blanks(line, column):
    count = len(line)
    while column < count and line[column] in _BLANK:
        column += 1
    return column


def _is_comment(line, column):
    return line[column] == "#" and (column == 0 or line[column - 1] in _BLANK)


def _line_end(lines, index, column):
    """Check that only blanks and a comment follow; return the index of the next line."""
    line = lines[index]
    column = _skip_blanks(line, column)
    if column < len(line) and not _is_comment(line, column):
        if line[column] == ":":
            raise _error("unexpected ':' (a nested mapping starts on a new line; "
                         "quote a value that holds ': ')", index, column)
        if line[column] == "#":
            raise _error("a comment needs a space before '#'", index, column)
        raise _error("unexpected text after the value", index, column)
    return index + 1


# ---------------------------------------------------------------- scalars


def _check_node_start(line, index, column, flow):
    """Refuse what cannot start a plain scalar at ``line[column]``."""
    char = line[column]
    after = line[column + 1:column + 2]
    ends = after == "" or after in _BLANK or (flow and after in _FLOW_INDICATORS)
    if char == "&" or char == "*":
        raise _error(ANCHORS, index, column)
    if char == "!":
        raise _error(TAGS, index, column)
    if char == "?" and ends:
        raise _error(COMPLEX_KEYS, index, column)
    if char == "-" and ends:
        raise _error("a block sequence cannot start here", index, column)
    if char == "|" or char == ">":
        raise _error("block scalars are not allowed inside flow collections", index, column)
    if char == "%" and column == 0:
        raise _error(DIRECTIVES, index, column)
    if char in "%@`":
        raise _error(RESERVED_START, index, column)
    if char in _FLOW_INDICATORS or char == "#":
        raise _error(INDICATOR_START, index, column)
    if char == ":" and ends:
        raise _error("empty keys are not supported", index, column)


def _plain(lines, index, column, required, flow):
    """Read a plain scalar that starts at (index, column).

    Continuation lines must be indented by at least ``required`` spaces. Returns
    the folded text and the place right after its last character.
    """
    pattern = _PLAIN_FLOW if flow else _PLAIN_BLOCK
    line = lines[index]
    end = pattern.match(line, column).end()
    parts = [line[column:end]]
    if _skip_blanks(line, end) < len(line):
        return parts[0], index, end
    last_index, last_end = index, end
    blank_lines = 0
    bad_blank = None
    following = index + 1
    while following < len(lines):
        line = lines[following]
        spaces = _indent(line)
        start = _skip_blanks(line, spaces)
        if start == len(line):
            if spaces < required and start > spaces and bad_blank is None:
                bad_blank = following, spaces
            blank_lines += 1
            following += 1
            continue
        char = line[start]
        if spaces < required or char == "#" or (spaces == 0 and _is_marker(line)):
            break
        if flow and char in _FLOW_INDICATORS:
            break
        if char == ":" and (start + 1 == len(line) or line[start + 1] in _BLANK
                            or (flow and line[start + 1] in _FLOW_INDICATORS)):
            break
        if bad_blank is not None:
            raise _error(TABS, bad_blank[0], bad_blank[1])
        end = pattern.match(line, start).end()
        parts.append("\n" * blank_lines if blank_lines else " ")
        parts.append(line[start:end])
        blank_lines = 0
        last_index, last_end = following, end
        if _skip_blanks(line, end) < len(line):
            break
        following += 1
    return "".join(parts), last_index, last_end


def _next_quoted_line(lines, index, required, opening, kind):
    """Move past a line break inside a quoted scalar.

    Returns the next line's index, its text, the column of its first non-blank
    character and how many empty lines were crossed.
    """
    blank_lines = 0
    while True:
        index += 1
        if index >= len(lines):
            raise _error("unterminated %s scalar" % kind, opening[0], opening[1])
        line = lines[index]
        if _is_marker(line):
            raise _error("a document marker cannot be inside a quoted scalar", index, 0)
        spaces = _indent(line)
        start = _skip_blanks(line, spaces)
        if spaces < required and start > spaces:
            raise _error(TABS, index, spaces)
        if start < len(line):
            if spaces < required:
                raise _error("this line of a quoted scalar is not indented enough", index, spaces)
            return index, line, start, blank_lines
        blank_lines += 1


def _double(lines, index, column, required):
    """Read a double-quoted scalar whose opening quote is at (index, column)."""
    opening = index, column
    line = lines[index]
    parts = []
    position = column + 1
    while True:
        # One search for whichever comes first: searching for each apart
        # would rescan the rest of the line after every escape.
        stop = _DOUBLE_STOP.search(line, position)
        if stop is not None and stop.group() == "\\":
            backslash = stop.start()
            parts.append(line[position:backslash])
            if backslash + 1 == len(line):
                index, line, position, blank_lines = _next_quoted_line(
                    lines, index, required, opening, "double-quoted")
                parts.append("\n" * blank_lines)
                continue
            text, position = _escape(line, index, backslash)
            parts.append(text)
            continue
        if stop is not None:
            quote = stop.start()
            parts.append(line[position:quote])
            return "".join(parts), index, quote + 1
        parts.append(line[position:].rstrip(_BLANK))
        index, line, position, blank_lines = _next_quoted_line(
            lines, index, required, opening, "double-quoted")
        parts.append("\n" * blank_lines if blank_lines else " ")


def _escape(line, index, column):
    """Decode the escape sequence at ``line[column]`` (a backslash)."""
    code = line[column + 1]
    if code in _ESCAPES:
        return _ESCAPES[code], column + 2
    length = _HEX_ESCAPES.get(code)
    if length is None:
        raise _error("invalid escape sequence in a double-quoted scalar", index, column)
    digits = line[column + 2:column + 2 + length]
    if len(digits) != length or not _HEX_DIGITS.match(digits):
        raise _error("invalid escape sequence in a double-quoted scalar", index, column)
    value = int(digits, 16)
    if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        raise _error("escape sequence for a surrogate or beyond U+10FFFF", index, column)
    return chr(value), column + 2 + length


def _single(lines, index, column, required):
    """Read a single-quoted scalar whose opening quote is at (index, column)."""
    opening = index, column
    line = lines[index]
    parts = []
    position = column + 1
    while True:
        quote = line.find("'", position)
        if quote < 0:
            parts.append(line[position:].rstrip(_BLANK))
            index, line, position, blank_lines = _next_quoted_line(
                lines, index, required, opening, "single-quoted")
            parts.append("\n" * blank_lines if blank_lines else " ")
            continue
        parts.append(line[position:quote])
        if line[quote + 1:quote + 2] == "'":
            parts.append("'")
            position = quote + 2
            continue
        return "".join(parts), index, quote + 1


def _quoted(lines, index, column, required):
    """Read the quoted scalar at (index, column): its text, style and the place right after it."""
    if lines[index][column] == '"':
        text, end_index, end = _double(lines, index, column, required)
        return text, "double", end_index, end
    text, end_index, end = _single(lines, index, column, required)
    return text, "single", end_index, end


def _block_scalar(lines, index, column, parent_indent):
    """Read a literal (|) or folded (>) scalar whose header is at (index, column).

    Returns its text, its style and the index of the first line after it.
    """
    line = lines[index]
    style = "literal" if line[column] == "|" else "folded"
    chomping = None
    indicator = None
    position = column + 1
    while position < len(line) and line[position] not in _BLANK:
        char = line[position]
        if char in "+-" and chomping is None:
            chomping = char
        elif char in "123456789" and indicator is None:
            indicator = int(char)
        else:
            raise _error("invalid block scalar header (use |, >, then optionally 1-9 and + or -)",
                         index, position)
        position += 1
    _line_end(lines, index, position)
    content_indent = None
    if indicator is not None:
        if parent_indent < 0:
            raise _error("an indentation indicator on a top-level block scalar is not supported",
                         index, column)
        content_indent = parent_indent + indicator
    entries = []  # each content line's text, or None for an empty line
    leading_spaces = 0
    last_has_break = True
    following = index + 1
    while following < len(lines):
        line = lines[following]
        final = following == len(lines) - 1
        if final and line == "":
            break  # what follows the last line break: no line at all
        if _is_marker(line):
            break
        spaces = _indent(line)
        if spaces == len(line):
            if content_indent is not None and spaces > content_indent:
                entries.append(line[content_indent:])
                last_has_break = not final
            elif final:
                if chomping == "+":
                    raise _error("a keep (+) block scalar followed by blanks without a final "
                                 "line break is not supported", following, 0)
                break
            else:
                entries.append(None)
                leading_spaces = max(leading_spaces, spaces)
            following += 1
            continue
        if line[spaces] == "\t" and (content_indent is None or spaces < content_indent):
            raise _error("tabs in the indentation of a block scalar are not supported",
                         following, spaces)
        if content_indent is None:
            if spaces <= parent_indent:
                break
            if leading_spaces > spaces:
                raise _error("an empty line of a block scalar is indented more than its first line",
                             following, 0)
            content_indent = spaces
        if spaces < content_indent:
            break
        entries.append(line[content_indent:])
        last_has_break = not final
        following += 1
    last = len(entries) - 1
    while last >= 0 and entries[last] is None:
        last -= 1
    if last < 0:
        if chomping == "+":
            raise _error("a keep (+) block scalar with no content is not supported", index, column)
        return "", style, following
    if not last_has_break and chomping != "-":
        raise _error("a block scalar at the end of the input needs a final line break "
                     "(or the strip indicator, -)", index, column)
    body = entries[:last + 1]
    if style == "literal":
        text = "\n".join("" if entry is None else entry for entry in body)
    else:
        text = _fold(body)
    if chomping == "-":
        return text, style, following
    if chomping == "+":
        text += "\n" * (len(entries) - last)
    else:
        text += "\n"
    return text, style, following


def _fold(entries):
    """Join the lines of a folded scalar: a break between two text lines becomes a space,
    other breaks (around more-indented lines, or before empty lines) are kept."""
    parts = []
    previous_is_text = None
    empty = 0
    for entry in entries:
        if entry is None:
            empty += 1
            continue
        is_text = entry[:1] not in _BLANK
        if previous_is_text is None:
            parts.append("\n" * empty)
        elif previous_is_text and is_text:
            parts.append("\n" * empty if empty else " ")
        else:
            parts.append("\n" * (empty + 1))
        parts.append(entry)
        previous_is_text = is_text
        empty = 0
    return "".join(parts)


# ---------------------------------------------------------------- keys and typing




# How many lines a line's start not yet known makes known at once (see _LineStarts).
_STARTS_CHUNK = 4096


class _LineStarts(dict):
    """``before[i]``: how many characters the lines before line ``i`` hold, without their
    line breaks, so that line ``i`` starts at ``before[i] + i`` in the text (``i`` may be
    ``len(lines)``, past the text).

    Worked out when asked for, ``_STARTS_CHUNK`` lines at a time from the nearest known
    line before: the hot runs read most lines of a large file without asking where they
    start, and a table of every line's start, made first, cost a tenth of reading such a
    file. Known starts are looked up as in a dict, in C; only a line not yet known costs
    a Python step. ``note`` records a start found otherwise (where a hot run ended).
    """

    __slots__ = ("lines", "stretches", "reach")

    def __init__(self, lines):
        dict.__init__(self, {0: 0})
        self.lines = lines
        # The first lines of the stretches of known lines, sorted; ``reach[first]``: the
        # line after the stretch that starts at ``first``.
        self.stretches = [0]
        self.reach = {0: 1}

    def __missing__(self, index):
        if not 0 <= index <= len(self.lines):
            raise KeyError(index)
        position = bisect_right(self.stretches, index) - 1
        first = self.stretches[position]
        known = self.reach[first] - 1  # the stretch's last known line, before ``index``
        end = min(index + _STARTS_CHUNK, len(self.lines)) + 1
        following = self.stretches[position + 1] if position + 1 < len(self.stretches) else None
        if following is not None and end >= following:
            # Up to the next stretch, which this one now takes in.
            end = following
            self.reach[first] = self.reach.pop(following)
            del self.stretches[position + 1]
        else:
            self.reach[first] = end
        self.update(zip(range(known, end), accumulate(chain(
            (dict.__getitem__(self, known),), map(len, islice(self.lines, known, end - 1))))))
        return dict.__getitem__(self, index)

    def note(self, index, start):
        """Record that line ``index`` starts at ``start`` in the text."""
        if index in self or not 0 <= index <= len(self.lines):
            return
        self[index] = start - index
        insort(self.stretches, index)
        self.reach[index] = index + 1


class _Document(NamedTuple):
    """The lines being parsed, whether to build nodes (parse) or plain data (loads), and
    whether to take the hot steps (tests turn them off to compare)."""

    lines: List[str]
    nodes: bool
    hot: bool
    tables: bool  # loads only: a sequence of like mappings as a Table (see _table)
    text: str  # the lines joined (normalized): the hot steps match in it
    # How many characters the lines before each line hold, without their line breaks: line
    # i starts at ``before[i] + i`` in ``text`` (one more item than ``lines``: past the text).
    before: "_LineStarts"  # (a list where hot steps are off: unused)


def _no_match(line, position):
    return None


def _scalar(doc, text, style, line, column):
    if doc.nodes:
        return Scalar(text, style, line, column)
    return _resolve(text, line, column) if style == "plain" else text


def _mapping(doc, pairs, line, column):
    return Mapping(pairs, line, column) if doc.nodes else dict(pairs)


def _sequence(doc, items, line, column):
    if doc.nodes:
        return Sequence(items, line, column)
    return _table(items) if doc.tables else items


_SCALAR_TYPES = frozenset([str, int, float, bool, type(None)])


def _table(items):
    """A sequence's ``items`` as ``loads(text, tables=True)`` gives them: a ``Table`` when
    they are all mappings of the same keys in the same order, with scalar values, else a
    list. Among them may stand the ``_RunColumns`` of hot runs, which take their place
    in the table, or, in a list, are made its mappings."""
    keys = None
    for item in items:
        if type(item) is _RunColumns:
            if keys is None:
                keys = item.keys
            elif item.keys != keys:
                break
        elif type(item) is dict and item:
            if keys is None:
                keys = tuple(item)
            elif tuple(item) != keys:
                break
            if not _SCALAR_TYPES.issuperset(map(type, item.values())):
                break
        else:
            break
    else:
        if keys is None:
            return items  # an empty sequence
        columns = [[] for _ in keys]
        for item in items:
            if type(item) is _RunColumns:
                for values, more in zip(columns, item.columns):
                    values += more
            else:
                for values, value in zip(columns, item.values()):
                    values.append(value)
        return Table(keys, columns)
    rows = []
    for item in items:
        if type(item) is _RunColumns:
            rows += item.rows()
        else:
            rows.append(item)
    return rows


def _key(doc, text, style, line, column, seen):
    """The key as parse or loads keeps it, once it is known to be a string not seen before."""
    if style == "plain":
        if text == "<<":
            raise YAMLError(MERGE_KEYS, line, column)
        if text == "":
            raise YAMLError("empty keys are not supported", line, column)
        value = _resolve(text, line, column)
        if not isinstance(value, str):
            raise YAMLError("keys that are not strings are not supported (this one is %s; "
                            "quote it)" % _TYPE_NAMES[type(value)], line, column)
    first = seen.get(text)
    if first is not None:
        raise YAMLError("duplicate key (first defined on line %d)" % first, line, column, text,
                        'duplicate key "%s" (first defined on line %d)' % (text, first))
    seen[text] = line
    return Scalar(text, style, line, column) if doc.nodes else text


_TYPE_NAMES = {type(None): "null", bool: "a boolean", int: "an integer", float: "a float"}


def _resolve(text, line, column):
    """The core-schema value of a plain scalar's text."""
    if text in _NULL_BOOL:
        return _NULL_BOOL[text]
    if text[0] not in _NUMBER_START:
        return text
    if _INT.match(text):
        if len(text) > MAX_INT_DIGITS:
            raise YAMLError("integers of more than %d digits are not supported" % MAX_INT_DIGITS,
                            line, column)
        return int(text)
    if _OCTAL.match(text):
        return int(text[2:], 8)
    if _HEXADECIMAL.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    infinity = _INFINITY.match(text)
    if infinity:
        return float(infinity.group(1) + "inf")
    if _NAN.match(text):
        return float("nan")
    return text


# ---------------------------------------------------------------- flow collections


def _flow_skip(lines, index, column, required, opening):
    """Skip blanks, comments and line breaks inside a flow collection."""
    line = lines[index]
    while True:
        column = _skip_blanks(line, column)
        if column < len(line) and not _is_comment(line, column):
            return index, column
        index += 1
        if index >= len(lines):
            raise _error("unterminated flow collection", opening[0], opening[1])
        line = lines[index]
        if _is_marker(line):
            raise _error("a document marker cannot be inside a flow collection", index, 0)
        spaces = _indent(line)
        start = _skip_blanks(line, spaces)
        if start < len(line) and line[start] != "#" and spaces < required:
            if start > spaces:
                raise _error(TABS, index, spaces)
            raise _error("this line of a flow collection is not indented enough", index, spaces)
        column = spaces


def _flow_scalar(lines, index, column, required):
    """Read the scalar at (index, column) in a flow collection: text, style, end index and column."""
    line = lines[index]
    if line[column] == '"' or line[column] == "'":
        return _quoted(lines, index, column, required)
    _check_node_start(line, index, column, True)
    text, end_index, end = _plain(lines, index, column, required, True)
    return text, "plain", end_index, end


def _flow_node(doc, index, column, required, depth):
    """A node inside a flow collection, and the place right after it."""
    if depth > MAX_DEPTH:
        raise _error("nesting deeper than %d levels is not supported" % MAX_DEPTH, index, column)
    char = doc.lines[index][column]
    if char == "[":
        return _flow_sequence(doc, index, column, required, depth)
    if char == "{":
        return _flow_mapping(doc, index, column, required, depth)
    text, style, end_index, end = _flow_scalar(doc.lines, index, column, required)
    return _scalar(doc, text, style, index + 1, column + 1), end_index, end


def _flow_sequence(doc, index, column, required, depth):
    lines = doc.lines
    opening = index, column
    items = []
    index, column = _flow_skip(lines, index, column + 1, required, opening)
    while True:
        char = lines[index][column]
        if char == "]":
            return _sequence(doc, items, opening[0] + 1, opening[1] + 1), index, column + 1
        if char == ",":
            raise _error("empty entry in a flow sequence", index, column)
        node, index, column = _flow_node(doc, index, column, required, depth + 1)
        items.append(node)
        index, column = _flow_skip(lines, index, column, required, opening)
        char = lines[index][column]
        if char == ",":
            index, column = _flow_skip(lines, index, column + 1, required, opening)
        elif char == ":":
            raise _error("mappings inside flow sequences must be written {key: value}",
                         index, column)
        elif char != "]":
            raise _error("expected ',' or ']' in a flow sequence", index, column)


def _flow_mapping(doc, index, column, required, depth):
    lines = doc.lines
    opening = index, column
    pairs = []
    seen = {}
    column += 1
    hot_pair = _HOT_FLOW_PAIR.match if doc.hot else _no_match
    nodes = doc.nodes
    while True:
        line = lines[index]
        hot = hot_pair(line, column)
        if hot is not None:
            # The hot step: one match took the pair and the ',' or '}' after it.
            key_text, quoted_key, plain, double, single, end = hot.groups()
            if key_text is None:
                key_text = quoted_key
                if key_text in seen:
                    _key(doc, key_text, "double", index + 1, hot.start(2), seen)
            elif key_text in seen or key_text in _NULL_BOOL:
                _key(doc, key_text, "plain", index + 1, hot.start(1) + 1, seen)
            seen[key_text] = index + 1
            if nodes:
                key_text, value = _hot_flow_nodes(hot, index + 1)
            elif plain is None:
                value = single if double is None else double
            elif plain[0] in _NUMBER_START:
                value = _resolve(plain, index + 1, hot.start(3) + 1)
            else:
                value = _NULL_BOOL.get(plain, plain)
            pairs.append((key_text, value))
            if end == "}":
                return (Mapping(pairs, opening[0] + 1, opening[1] + 1) if nodes else dict(pairs)), \
                    index, hot.start(6) + 1
            column = hot.end()
            continue
        # Blanks, comments and line breaks before what comes next.
        index, column = _flow_skip(lines, index, column, required, opening)
        line = lines[index]
        char = line[column]
        if char == "}":
            return _mapping(doc, pairs, opening[0] + 1, opening[1] + 1), index, column + 1
        if char == ",":
            raise _error("empty entry in a flow mapping", index, column)
        if char == "[" or char == "{":
            raise _error(COMPLEX_KEYS, index, column)
        text, style, end_index, end = _flow_scalar(lines, index, column, required)
        if end_index != index:
            raise _error("keys spanning lines are not supported", index, column)
        key = _key(doc, text, style, index + 1, column + 1, seen)
        position = _skip_blanks(line, end)
        if position < len(line) and line[position] == ":":
            after = line[position + 1:position + 2]
            if style == "plain" and after and after not in _BLANK and after not in ",}]":
                raise _error("expected a space after ':'", index, position + 1)
            index, column = _flow_skip(lines, index, position + 1, required, opening)
            if lines[index][column] in ",}":
                value = _scalar(doc, "", "plain", index + 1, column + 1)
            else:
                value, index, column = _flow_node(doc, index, column, required, depth + 1)
        else:
            index, column = _flow_skip(lines, index, end, required, opening)
            if lines[index][column] == ":":
                raise _error("the ':' must be on the same line as its key", index, column)
            value = _scalar(doc, "", "plain", index + 1, column + 1)
        pairs.append((key, value))
        index, column = _flow_skip(lines, index, column, required, opening)
        char = lines[index][column]
        if char == ",":
            index, column = _flow_skip(lines, index, column + 1, required, opening)
        elif char != "}":
            raise _error("expected ',' or '}' in a flow mapping", index, column)


# ---------------------------------------------------------------- block structure


def _block_content(doc, index, column, parent_indent, depth, collections):
    """The node that starts at (index, column) in block context.

    ``collections`` says whether a block mapping or sequence may start here
    (on a line of its own, or after ``- ``). Returns the node and the index of
    the first line after it.
    """
    if depth > MAX_DEPTH:
        raise _error("nesting deeper than %d levels is not supported" % MAX_DEPTH, index, column)
    lines = doc.lines
    line = lines[index]
    char = line[column]
    after = line[column + 1:column + 2]
    if char == "-" and (after == "" or after in _BLANK):
        if collections:
            return _block_sequence(doc, index, column, depth)
        raise _error("a block sequence cannot start on the same line as its key", index, column)
    if char == "?" and (after == "" or after in _BLANK):
        raise _error(COMPLEX_KEYS, index, column)
    if char == "|" or char == ">":
        text, style, following = _block_scalar(lines, index, column, parent_indent)
        return _scalar(doc, text, style, index + 1, column + 1), following
    if char == "[" or char == "{":
        return _block_flow(doc, index, column, parent_indent, depth)
    if char == '"' or char == "'":
        text, style, end_index, end = _quoted(lines, index, column, parent_indent + 1)
        position = _skip_blanks(lines[end_index], end)
        if lines[end_index][position:position + 1] == ":":
            if end_index != index:
                raise _error("keys spanning lines are not supported", index, column)
            if collections:
                return _block_mapping(doc, index, column, depth)
        following = _line_end(lines, end_index, end)
        return _scalar(doc, text, style, index + 1, column + 1), following
    _check_node_start(line, index, column, False)
    end = _PLAIN_BLOCK.match(line, column).end()
    position = _skip_blanks(line, end)
    if collections and line[position:position + 1] == ":":
        return _block_mapping(doc, index, column, depth)
    text, end_index, end = _plain(lines, index, column, parent_indent + 1, False)
    if end_index != index and parent_indent >= 0 and line[parent_indent] != "-":
        position = _skip_blanks(lines[end_index], end)
        if lines[end_index][position:position + 1] == ":":
            # A key indented more than its mapping's keys reads as the value continued.
            spaces = _indent(lines[end_index])
            raise _error("unexpected indentation: this line is indented %d spaces, more than the "
                         "key on line %d (%d spaces), so it continues that key's value, where ': ' is "
                         "not allowed; indent it %d spaces to make it a key of the same mapping, "
                         "or quote the value" % (spaces, index + 1, parent_indent, parent_indent),
                         end_index, spaces)
    following = _line_end(lines, end_index, end)
    return _scalar(doc, text, "plain", index + 1, column + 1), following


def _block_flow(doc, index, column, parent_indent, depth):
    """The flow collection at (index, column) in block context, and the index of the line after it."""
    lines = doc.lines
    node, end_index, end = _flow_node(doc, index, column, parent_indent + 1, depth)
    line = lines[end_index]
    if end == len(line):
        return node, end_index + 1
    position = _skip_blanks(line, end)
    if line[position:position + 1] == ":":
        raise _error(COMPLEX_KEYS, index, column)
    return node, _line_end(lines, end_index, end)


def _block_value(doc, index, parent_indent, same_indent_sequence, depth, empty_at):
    """The node on the lines from ``index`` on that belongs to a key or `-` indented ``parent_indent``.

    A mapping's value may be a sequence indented as much as its key
    (``same_indent_sequence``). With no such node the value is empty, placed at ``empty_at``.
    """
    lines = doc.lines
    following = _next_content(lines, index)
    if following < len(lines):
        line = lines[following]
        spaces = _indent(line)
        if not (spaces == 0 and _is_marker(line)):
            if line[spaces] == "\t":
                raise _error(TABS, following, spaces)
            if spaces > parent_indent:
                return _block_content(doc, following, spaces, parent_indent, depth, True)
            if (same_indent_sequence and spaces == parent_indent and line[spaces] == "-"
                    and line[spaces + 1:spaces + 2] in ("", " ", "\t")):
                return _block_sequence(doc, following, spaces, depth)
    return _scalar(doc, "", "plain", empty_at[0] + 1, empty_at[1] + 1), index


def _next_entry(lines, index, indent, first, kind):
    """The index of the next line at ``indent`` after a finished entry, or None at the end.

    ``first`` is the index of the collection's first line and ``kind`` what
    it is ("mapping" or "sequence"), to say what indentation was expected.
    """
    count = len(lines)
    while index < count:
        line = lines[index]
        stripped = line.lstrip(" ")
        if not stripped or stripped[0] == "#":
            index += 1
            continue
        spaces = len(line) - len(stripped)
        if stripped[0] == "\t":
            rest = stripped.lstrip(_BLANK)
            if not rest or rest[0] == "#":
                index += 1
                continue
            if spaces < indent:
                return None
            raise _error(TABS, index, spaces)
        if spaces < indent or (spaces == 0 and _is_marker(line)):
            return None
        if spaces > indent:
            entries = "keys" if kind == "mapping" else '"- " entries'
            raise _error("unexpected indentation: this line is indented %d spaces; expected %d, "
                         "as the %s of the %s on line %d (or fewer, to end that %s)"
                         % (spaces, indent, entries, kind, first + 1, kind), index, spaces)
        return index
    return None


def _block_key(lines, index, column):
    """Read the key at (index, column): its text, style and the column right after its ':'."""
    line = lines[index]
    char = line[column]
    if char == '"' or char == "'":
        text, style, end_index, end = _quoted(lines, index, column, column + 1)
        if end_index != index:
            raise _error("keys spanning lines are not supported", index, column)
    else:
        if char == "-" and line[column + 1:column + 2] in ("", " ", "\t"):
            raise _error("expected a key (key: value), found a sequence entry", index, column)
        _check_node_start(line, index, column, False)
        end = _PLAIN_BLOCK.match(line, column).end()
        text, style = line[column:end], "plain"
    position = _skip_blanks(line, end)
    if line[position:position + 1] != ":":
        raise _error("expected a key (key: value)", index, column)
    if line[position + 1:position + 2] not in ("", " ", "\t"):
        raise _error("expected a space after ':'", index, position + 1)
    if end - column > MAX_KEY_LENGTH:
        raise _error("keys longer than %d characters are not allowed" % MAX_KEY_LENGTH,
                     index, column)
    return text, style, position + 1


def _block_mapping(doc, index, indent, depth, hot=None, match=None):
    """The block mapping whose first key is at (index, indent), and the index of the line after it.

    A caller that has made the hot match of its first pair gives it (``hot``), and the
    ``match`` of the hot step for a line of this mapping (``_hot_pair(indent)[0]``).
    """
    lines, nodes, hot_steps, _tables, text, before = doc
    count = len(lines)
    first = index
    pairs = []
    seen = {}
    if hot_steps:
        if match is None:
            match = _hot_pair(indent)[0]
            if lines[index].startswith(" " * indent):
                hot = match(text, before[index] + index)
    while True:
        if hot is not None:
            # The hot step: one match took the whole pair; its key is a string.
            key_text, quoted_key, string, plain, double, single = hot.groups()
            index += 1
            if key_text is None:
                key_text = quoted_key
                if key_text in seen:
                    _key(doc, key_text, "double", index, indent + 1, seen)
            elif key_text in seen or key_text in _NULL_BOOL:
                _key(doc, key_text, "plain", index, indent + 1, seen)
            seen[key_text] = index
            if nodes:
                key_text, value = _hot_nodes(hot, index, indent, before[index - 1] + index - 1)
            elif string is not None:
                value = string.rstrip(" ") if string[-1] == " " else string
            elif plain is None:
                value = single if double is None else double
            else:
                if plain[-1] == " ":
                    plain = plain.rstrip(" ")
                if plain[0] in _NUMBER_START:
                    value = _resolve(plain, index, hot.start(4) - before[index - 1] - index + 2)
                else:
                    value = _NULL_BOOL.get(plain, plain)
            pairs.append((key_text, value))
            # ``before`` has one more item than ``lines``: past the text, nothing matches.
            hot = match(text, before[index] + index)
            if hot is not None:
                continue  # the next line is the next pair
            if index == count:
                return (Mapping(pairs, first + 1, indent + 1) if nodes else dict(pairs)), index
            # Where the next line with content is indented less, the mapping ends. Blank
            # and comment lines are looked past (every caller would skip them too).
            line = lines[index]
            stripped = line.lstrip(" ")
            following = index
            if not stripped or stripped[0] == "#":
                following = _next_content(lines, index)
                if following == count:
                    return (Mapping(pairs, first + 1, indent + 1) if nodes else dict(pairs)), following
                line = lines[following]
                stripped = line.lstrip(" ")
            if stripped[0] != "\t" and len(line) - len(stripped) < indent:
                return (Mapping(pairs, first + 1, indent + 1) if nodes else dict(pairs)), following
        if index != first:
            # After a pair: the next key of this mapping, or its end (or an error).
            following_entry = _next_entry(lines, index, indent, first, "mapping")
            if following_entry is None:
                return _mapping(doc, pairs, first + 1, indent + 1), index
            if following_entry != index:
                index = following_entry
                if match is not None:
                    hot = match(text, before[index] + index)
                continue
        line = lines[index]
        key_text, style, after = _block_key(lines, index, indent)
        key = _key(doc, key_text, style, index + 1, indent + 1, seen)
        position = _skip_blanks(line, after)
        if position == len(line) or line[position] == "#":
            value, next_index = _block_value(doc, index + 1, indent, True, depth + 1,
                                             (index, after))
        else:
            value, next_index = _block_content(doc, index, position, indent, depth + 1, False)
        pairs.append((key, value))
        index = next_index
        if index >= count:
            return _mapping(doc, pairs, first + 1, indent + 1), index
        if match is not None:
            hot = match(text, before[index] + index)


def _hot_nodes(hot, line, indent, start):
    """The key and value nodes of a pair the hot step took on ``line``, which starts at ``start``."""
    key_text, quoted_key, string, plain, double, single = hot.groups()
    if string is not None:
        value = Scalar(string.rstrip(" "), "plain", line, hot.start(3) - start + 1)
    elif plain is not None:
        value = Scalar(plain.rstrip(" "), "plain", line, hot.start(4) - start + 1)
    elif double is not None:
        value = Scalar(double, "double", line, hot.start(5) - start)
    else:
        value = Scalar(single, "single", line, hot.start(6) - start)
    if key_text is None:
        return Scalar(quoted_key, "double", line, indent + 1), value
    return Scalar(key_text, "plain", line, indent + 1), value


def _hot_flow_nodes(hot, line):
    """The key and value nodes of a pair the hot step took in a flow mapping on ``line``."""
    key_text, quoted_key, plain, double, single, _ = hot.groups()
    if plain is not None:
        value = Scalar(plain, "plain", line, hot.start(3) + 1)
    elif double is not None:
        value = Scalar(double, "double", line, hot.start(4))
    else:
        value = Scalar(single, "single", line, hot.start(5))
    if key_text is None:
        return Scalar(quoted_key, "double", line, hot.start(2)), value
    return Scalar(key_text, "plain", line, hot.start(1) + 1), value


def _block_sequence(doc, index, indent, depth):
    """The block sequence whose first `-` is at (index, indent), and the index of the line after it."""
    lines = doc.lines
    count = len(lines)
    first = index
    items = []
    # The usual entry, "- key: value" with one space, is found by the hot step.
    hot_steps = doc.hot and depth < MAX_DEPTH
    if hot_steps:
        text = doc.text
        before = doc.before
        dash = " " * indent + "- "
        column = None  # the column of the last entry's content, and its hot steps
        run_from = index if not doc.nodes else count  # hot runs are tried from this line on (loads only)
    while True:
        line = lines[index]
        value = None  # no entry is None: it is a mapping, a sequence or a scalar
        if hot_steps and line.startswith(dash):
            # The usual entry: `- key: value` (a compact mapping) or `- {key: value}`.
            position = indent + 2
            char = line[position:position + 1]
            if char == " ":
                position = len(line) - len(line[position:].lstrip(" "))
                char = line[position:position + 1]
            if position != column:
                column = position
                line_match, after_dash = _hot_pair(position)
            if index >= run_from:
                entries, lines_read = _hot_run(doc, index, indent, position)
                if entries:
                    # Whole entries at once; the line after them is this sequence's next
                    # `- `, whose entry takes the steps below.
                    items.extend(entries)
                    index += lines_read
                    run_from = index + 1
                    continue
                run_from = index + lines_read
            if char == "{":
                value, next_index = _block_flow(doc, index, position, indent, depth + 1)
            else:
                hot = after_dash(text, before[index] + index + position)
                if hot is not None:
                    value, next_index = _block_mapping(doc, index, position, depth + 1, hot, line_match)
        if value is None:
            position = _skip_blanks(line, indent + 1)
            if position == len(line) or line[position] == "#":
                value, next_index = _block_value(doc, index + 1, indent, False, depth + 1,
                                                 (index, indent + 1))
            else:
                tab = "\t" in line[indent + 1:position]
                if tab and (line[position] in "-?" or _is_mapping_start(line, position)):
                    raise _error(TABS, index, indent + 1)
                value, next_index = _block_content(doc, index, position, indent, depth + 1, not tab)
        items.append(value)
        if hot_steps and next_index < count and lines[next_index].startswith(dash):
            index = next_index  # the next entry, straight after this one
            continue
        following = _next_entry(lines, next_index, indent, first, "sequence")
        if following is None:
            return _sequence(doc, items, first + 1, indent + 1), next_index
        line = lines[following]
        if line[indent] != "-" or line[indent + 1:indent + 2] not in ("", " ", "\t"):
            return _sequence(doc, items, first + 1, indent + 1), following
        index = following


def _is_mapping_start(line, column):
    """Whether a plain key followed by ': ' starts at ``line[column]`` (a cheap check)."""
    end = _PLAIN_BLOCK.match(line, column).end()
    return line[_skip_blanks(line, end):_skip_blanks(line, end) + 1] == ":"


# ---------------------------------------------------------------- documents


def _document(text, nodes, hot=True, tables=False):
    """The one document in ``text``, as nodes or as plain data; None when it is empty.

    ``hot``: whether to take the hot steps (tests turn them off to compare); ``tables``:
    see ``loads``.
    The cyclic garbage collector is paused meanwhile: a large file makes
    hundreds of thousands of small containers and no cycles, which it would
    rescan again and again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _general_document(_normalized(text), nodes, hot, tables)
    finally:
        if enabled:
            gc.enable()


def _general_document(text, nodes, hot, tables):
    """The document in ``text`` (normalized)."""
    lines = text.split("\n")
    before = _LineStarts(lines) if hot else []
    doc = _Document(lines, nodes, hot, tables, text, before)
    count = len(lines)
    index = _next_content(lines, 0)
    node = None
    parsed = False
    if index < count and lines[index][:1] == "%":
        raise _error(DIRECTIVES, index, 0)
    if index < count and lines[index][:3] == "---" and _is_marker(lines[index]):
        line = lines[index]
        position = _skip_blanks(line, 3)
        if position < len(line) and not _is_comment(line, position):
            node, index = _block_content(doc, index, position, -1, 1, False)
            parsed = True
        else:
            index += 1
    if not parsed:
        start = _next_content(lines, index)
        if start < count and not _is_marker(lines[start]):
            spaces = _indent(lines[start])
            if lines[start][spaces] == "\t":
                raise _error(TABS, start, spaces)
            node, index = _block_content(doc, start, spaces, -1, 1, True)
    index = _next_content(lines, index)
    if index < count:
        line = lines[index]
        if line[:3] == "..." and _is_marker(line):
            _line_end(lines, index, 3)
            following = _next_content(lines, index + 1)
            if following < count:
                raise _error(MANY_DOCUMENTS, following, 0)
        elif line[:3] == "---" and _is_marker(line):
            raise _error(MANY_DOCUMENTS, index, 0)
        else:
            spaces = _indent(line)
            if line[spaces] == "\t":
                raise _error(TABS, index, spaces)
            raise _error("unexpected text after the end of the document's top node", index, spaces)
    return node


def parse(text):
    """Parse one YAML document into nodes (Scalar, Mapping, Sequence); None when it is empty.

    Raises YAMLError for anything that is not YAML or that this parser refuses.
    """
    return _document(text, True)


def to_data(node):
    """Plain Python data for a node: dict, list, str, int, float, bool or None.

    Plain scalars are typed by the YAML 1.2 core schema; quoted and block scalars are strings.
    ``loads(text)`` equals ``to_data(parse(text))``.
    """
    if node is None:
        return None
    if isinstance(node, Scalar):
        return _resolve(node.text, node.line, node.column) if node.style == "plain" else node.text
    if isinstance(node, Mapping):
        return dict((key.text, to_data(value)) for key, value in node.items)
    return [to_data(item) for item in node.items]


def loads(text, tables=False):
    """Read one YAML document from a str into plain Python data (None when it is empty).

    The same parser as ``parse``, building the data directly rather than nodes.
    ``tables``: give each sequence whose items are all mappings of the same keys, in the
    same order, with scalar values, as a ``Table`` of their columns instead of a list;
    ``Table.rows()`` is the list. Long runs of such entries are read as columns, and the
    mappings are then never made.
    """
    return _document(text, False, tables=tables)
