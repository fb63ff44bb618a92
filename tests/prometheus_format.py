"""A small checker of the Prometheus text exposition format (0.0.4), for the tests: no dependency.

``parse(text)`` reads the text line by line by the format's rules and returns
its samples; any breach raises ``FormatError`` naming the line. The rules:
https://prometheus.io/docs/instrumenting/exposition_formats/ (text format),
plus what node_exporter's textfile collector adds (no timestamps) and the
naming practices of https://prometheus.io/docs/practices/naming/ that can be
checked mechanically.
"""

import re

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
# A float as Go's strconv.ParseFloat takes it in this format, and the three specials.
VALUE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z|[+-]Inf\Z|NaN\Z")
TIMESTAMP = re.compile(r"-?[0-9]+\Z")


class FormatError(AssertionError):
    def __init__(self, number, line, message):
        AssertionError.__init__(self, "line %d: %s: %r" % (number, message, line))
        self.message = message
        self.number = number


def _unescape(text, allowed, number, line):
    """``text`` with its backslash escapes undone; only those in ``allowed`` may appear."""
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            pair = text[index:index + 2]
            if pair not in allowed:
                raise FormatError(number, line, "invalid escape %r" % pair)
            out.append(allowed[pair])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


HELP_ESCAPES = {"\\\\": "\\", "\\n": "\n"}
LABEL_ESCAPES = {"\\\\": "\\", "\\n": "\n", '\\"': '"'}


def _labels(text, number, line):
    """``(labels dict, rest of the line)`` from text starting just after ``{``."""
    labels = {}
    index = 0
    while True:
        if text[index:index + 1] == "}":
            return labels, text[index + 1:]
        match = re.match(r"([^=]*)=\"", text[index:])
        if match is None:
            raise FormatError(number, line, "expected label=\"value\"")
        name = match.group(1)
        if not LABEL_NAME.match(name):
            raise FormatError(number, line, "invalid label name %r" % name)
        if name.startswith("__"):
            raise FormatError(number, line, "label names starting with __ are reserved")
        if name in labels:
            raise FormatError(number, line, "label %r given twice" % name)
        index += match.end()
        end = index
        while True:
            if end >= len(text) or text[end] == "\n":
                raise FormatError(number, line, "unterminated label value")
            if text[end] == "\\":
                end += 2
                continue
            if text[end] == '"':
                break
            end += 1
        labels[name] = _unescape(text[index:end], LABEL_ESCAPES, number, line)
        index = end + 1
        if text[index:index + 1] == ",":
            index += 1
        elif text[index:index + 1] != "}":
            raise FormatError(number, line, "expected , or } after a label value")


def parse(text, allow_timestamps=False):
    """``[(name, labels, value)]`` of ``text``; ``FormatError`` at the first breach of the rules."""
    if text and not text.endswith("\n"):
        raise FormatError(len(text.split("\n")), text.split("\n")[-1], "the last line must end with a line feed")
    helps = {}
    types = {}
    samples = []
    seen_series = set()
    finished_families = set()
    current_family = None
    for number, line in enumerate(text.split("\n")[:-1] if text else [], 1):
        if line.strip() == "":
            continue
        if line.startswith("#"):
            words = line.split(None, 3)
            if len(words) >= 2 and words[1] in ("HELP", "TYPE"):
                if len(words) < 3 or not METRIC_NAME.match(words[2]):
                    raise FormatError(number, line, "%s without a valid metric name" % words[1])
                name = words[2]
                family = name
                if family != current_family:
                    if family in finished_families:
                        raise FormatError(number, line, "the lines of metric %s are not one group" % family)
                    if current_family is not None:
                        finished_families.add(current_family)
                    current_family = family
                if words[1] == "HELP":
                    if name in helps:
                        raise FormatError(number, line, "a second HELP line for %s" % name)
                    helps[name] = _unescape(words[3] if len(words) > 3 else "", HELP_ESCAPES, number, line)
                else:
                    if name in types:
                        raise FormatError(number, line, "a second TYPE line for %s" % name)
                    if any(sample[0] == name for sample in samples):
                        raise FormatError(number, line, "the TYPE line of %s comes after its samples" % name)
                    if len(words) != 4 or words[3] not in TYPES:
                        raise FormatError(number, line, "unknown metric type")
                    types[name] = words[3]
            continue
        match = re.match(r"([^{ \t]+)", line)
        name = match.group(1) if match else ""
        if not METRIC_NAME.match(name):
            raise FormatError(number, line, "invalid metric name %r" % name)
        rest = line[len(name):]
        labels = {}
        if rest.startswith("{"):
            labels, rest = _labels(rest[1:], number, line)
        if not rest.startswith(" "):
            raise FormatError(number, line, "expected a space before the value")
        fields = rest.split()
        if not fields or len(fields) > 2:
            raise FormatError(number, line, "expected a value and an optional timestamp")
        if not VALUE.match(fields[0]):
            raise FormatError(number, line, "invalid value %r" % fields[0])
        if len(fields) == 2:
            if not allow_timestamps:
                raise FormatError(number, line, "a timestamp (node_exporter's textfile collector refuses them)")
            if not TIMESTAMP.match(fields[1]):
                raise FormatError(number, line, "invalid timestamp %r" % fields[1])
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and types.get(name[:-len(suffix)]) in ("histogram", "summary"):
                family = name[:-len(suffix)]
        if family != current_family:
            if family in finished_families:
                raise FormatError(number, line, "the lines of metric %s are not one group" % family)
            if current_family is not None:
                finished_families.add(current_family)
            current_family = family
        series = (name, tuple(sorted(labels.items())))
        if series in seen_series:
            raise FormatError(number, line, "a second sample of the same series")
        seen_series.add(series)
        samples.append((name, labels, float(fields[0].replace("Inf", "inf").replace("NaN", "nan"))))
    return samples


def naming_problems(text, prefix):
    """What breaks the naming practices: application prefix, snake case, base units, _total on counters only."""
    problems = []
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    helps = dict(re.findall(r"^# HELP (\S+) (.*)$", text, re.M))
    for name, kind in sorted(types.items()):
        if not name.startswith(prefix):
            problems.append("%s lacks the prefix %s" % (name, prefix))
        if name != name.lower() or "__" in name:
            problems.append("%s is not snake_case" % name)
        if kind == "counter" and not name.endswith("_total"):
            problems.append("counter %s does not end in _total" % name)
        if kind != "counter" and name.endswith("_total"):
            problems.append("%s ends in _total but is a %s" % (name, kind))
        for unit in ("milliseconds", "minutes", "hours", "days", "bytes_kb"):
            if unit in name:
                problems.append("%s is not in a base unit" % name)
        if "timestamp" in name and not name.endswith("_timestamp_seconds"):
            problems.append("%s: a timestamp is in seconds, ending _timestamp_seconds" % name)
        if not helps.get(name):
            problems.append("%s has no HELP text" % name)
    return problems
