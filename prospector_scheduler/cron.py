"""Cron expressions: parsing the five fields, and the run times they give in a time zone.

``parse(text)`` reads cronie's syntax (``minute hour day-of-month month
day-of-week``, with ``*``, numbers, month and weekday names, ranges, steps,
lists and the ``@hourly`` ... ``@yearly`` macros) into a ``CronExpression``.
``next_after`` and ``latest_at_or_before`` turn one into instants (seconds
since the epoch) in a ``Zone``, with cronie's daylight-saving rules (cron(8)):

* a *fixed-time* job (neither the minute nor the hour field starts with ``*``)
  whose time falls in the hour skipped in spring runs once, right after the
  jump; one whose time falls in the hour repeated in autumn runs once, at the
  first pass;
* a *wildcard* job (the minute or the hour field starts with ``*``: it runs
  every hour or more often) follows the wall clock: nothing in the skipped
  hour, both passes of the repeated one.

This module is pure: no I/O, no clock. The local zone is read through
``time.localtime`` (so the ``TZ`` variable and ``time.tzset()`` work on every
Python); ``zone_named`` gives UTC and, where Python has ``zoneinfo`` (3.9+),
IANA names.
"""

import calendar
import collections
import datetime
import importlib
import sys
import time

from prospector_scheduler.errors import DataError

__all__ = ["CronExpression", "parse", "Zone", "local_zone", "zone_named", "next_after",
           "latest_at_or_before", "next_times"]

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# name, lowest, highest, names (index + lowest is the value)
FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day-of-month", 1, 31, None),
    ("month", 1, 12, MONTH_NAMES),
    ("day-of-week", 0, 7, WEEKDAY_NAMES),
)
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February at its longest
EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
# Every expression that parse() accepts matches within 8 years (29 February
# skips 2100); a search longer than this is a bug, not a schedule.
SEARCH_DAYS = 366 * 9
# The largest difference between two UTC offsets of one zone a few hours
# apart (daylight saving moves an hour; double summer time moved two).
OFFSET_MARGIN = 3 * 3600


class CronExpression(collections.namedtuple(
        "CronExpression", "text minutes hours days months weekdays dom_star dow_star wildcard")):
    """A parsed expression: the sorted values of each field, and cronie's flags.

    ``weekdays`` counts from 0 = Sunday (7 is folded into 0). ``dom_star`` and
    ``dow_star`` tell that the day-of-month or day-of-week field starts with
    ``*``: only when neither does is a day matched by either field alone.
    ``wildcard`` tells that the minute or the hour field starts with ``*``
    (the job follows the wall clock across daylight-saving changes).
    """

    __slots__ = ()

    def matches_day(self, date):
        """Whether the job runs on ``date`` (a ``datetime.date``) at all."""
        if date.month not in self.months:
            return False
        in_days = date.day in self.days
        in_weekdays = (date.isoweekday() % 7) in self.weekdays
        if self.dom_star or self.dow_star:
            return in_days and in_weekdays
        return in_days or in_weekdays


def parse(text):
    """The ``CronExpression`` of ``text``; a ``DataError`` (without a place) when it is not one."""
    if not isinstance(text, str):
        raise TypeError("a cron expression is a string")
    stripped = text.strip()
    if stripped.startswith("@"):
        expanded = MACROS.get(stripped.lower())
        if expanded is None:
            known = ", ".join(sorted(MACROS))
            raise DataError("unknown macro %s (known: %s)" % (_shown(stripped), known))
        fields = expanded.split()
    else:
        fields = stripped.split()
        if len(fields) != 5:
            raise DataError(
                "a cron expression has 5 fields (minute hour day-of-month month day-of-week) "
                "or is a macro such as @daily; this one has %d" % len(fields))
    values = []
    for (name, lowest, highest, names), field in zip(FIELDS, fields):
        values.append(_parse_field(field, name, lowest, highest, names))
    minutes, hours, days, months, weekdays = values
    weekdays = sorted(set(0 if day == 7 else day for day in weekdays))
    dom_star = fields[2].startswith("*")
    dow_star = fields[4].startswith("*")
    if dow_star and not any(day <= DAYS_IN_MONTH[month - 1] for month in months for day in days):
        raise DataError("the day-of-month and month fields never meet (no month has such a day): "
                        "the job would never run")
    wildcard = fields[0].startswith("*") or fields[1].startswith("*")
    return CronExpression(stripped, tuple(minutes), tuple(hours), frozenset(days), frozenset(months),
                          frozenset(weekdays), dom_star, dow_star, wildcard)


def _shown(text):
    """``text`` quoted for a message when it is short and printable, else a neutral word."""
    if len(text) <= 40 and text.isprintable():
        return repr(text)
    return "(not shown)"


def _parse_field(field, name, lowest, highest, names):
    result = set()
    for element in field.split(","):
        if not element:
            raise DataError("%s field %s: an empty list element" % (name, _shown(field)))
        result.update(_parse_element(element, name, lowest, highest, names))
    return sorted(result)


def _parse_element(element, name, lowest, highest, names):
    where = "%s field %s" % (name, _shown(element))
    span, slash, step_text = element.partition("/")
    step = 1
    if slash:
        if not _is_number(step_text):
            raise DataError("%s: the step after / must be a whole number" % where)
        step = int(step_text)
        if step == 0:
            raise DataError("%s: a step of 0 is not allowed" % where)
    if span == "*":
        first, last = lowest, highest
        if name == "day-of-week":
            last = 6  # 7 is Sunday again
    elif "-" in span:
        start_text, _, end_text = span.partition("-")
        first = _value(start_text, where, lowest, highest, names)
        last = _value(end_text, where, lowest, highest, names)
        if last < first:
            raise DataError("%s: the range goes backwards" % where)
    else:
        first = last = _value(span, where, lowest, highest, names)
        if slash:
            raise DataError("%s: a step needs a range or *, as in %d-%d/%d"
                            % (where, first, highest, step))
    return range(first, last + 1, step)


def _is_number(text):
    return text != "" and all("0" <= character <= "9" for character in text)


def _value(text, where, lowest, highest, names):
    if _is_number(text):
        value = int(text)
        if not lowest <= value <= highest:
            raise DataError("%s: %d is out of range %d-%d" % (where, value, lowest, highest))
        return value
    if names is not None and text.lower() in names:
        return names.index(text.lower()) + (1 if names is MONTH_NAMES else 0)
    if names is not None:
        raise DataError("%s: expected a number %d-%d or a name (%s-%s)"
                        % (where, lowest, highest, names[0], names[-1]))
    raise DataError("%s: expected a number %d-%d" % (where, lowest, highest))


class Zone(object):
    """A time zone as this module needs one: the UTC offset in seconds at an instant."""

    def __init__(self, name, offset):
        self.name = name
        self.offset = offset

    def __repr__(self):
        return "Zone(%r)" % self.name


def _local_offset(instant):
    return calendar.timegm(time.localtime(instant)) - int(instant // 1)


def local_zone():
    """The process's local time, as ``time.localtime`` sees it (``TZ`` and ``tzset()`` included)."""
    return Zone("local", _local_offset)


def zone_named(name):
    """``UTC``, ``local``, or an IANA name (Python 3.9+); a ``DataError`` when it is none of these."""
    if name == "local":
        return local_zone()
    if name == "UTC":
        return Zone("UTC", lambda instant: 0)
    try:
        zoneinfo = importlib.import_module("zoneinfo")
    except ImportError:
        raise DataError("time zone %s: this Python (%d.%d) has no zoneinfo module, which IANA "
                        "names need (3.9+); use UTC, or leave timezone out and set TZ"
                        % ((_shown(name),) + tuple(sys.version_info[:2]))) from None
    try:
        info = zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise DataError("time zone %s: not a known IANA time zone name" % _shown(name)) from None
    utc = datetime.timezone.utc

    def offset(instant):
        moment = datetime.datetime.fromtimestamp(instant // 1, utc).astimezone(info)
        return int(moment.utcoffset().total_seconds())

    return Zone(name, offset)


def _wall_seconds(date, hour, minute):
    return (date.toordinal() - EPOCH_ORDINAL) * 86400 + hour * 3600 + minute * 60


def _walls_forward(expression, start):
    """The matching wall-clock minutes (seconds as if UTC) from ``start`` on, ascending."""
    day = datetime.date.fromordinal(EPOCH_ORDINAL + start // 86400)
    earliest = start % 86400
    for _ in range(SEARCH_DAYS):
        if expression.matches_day(day):
            for hour in expression.hours:
                for minute in expression.minutes:
                    if hour * 3600 + minute * 60 >= earliest:
                        yield _wall_seconds(day, hour, minute)
        day += datetime.timedelta(days=1)
        earliest = 0


def _walls_backward(expression, start):
    """The matching wall-clock minutes at or before ``start``, descending."""
    day = datetime.date.fromordinal(EPOCH_ORDINAL + start // 86400)
    latest = start % 86400
    for _ in range(SEARCH_DAYS):
        if expression.matches_day(day):
            for hour in reversed(expression.hours):
                for minute in reversed(expression.minutes):
                    if hour * 3600 + minute * 60 <= latest:
                        yield _wall_seconds(day, hour, minute)
        day -= datetime.timedelta(days=1)
        latest = 86400


def _instants(zone, wall, wildcard):
    """The instants at which a job due at the wall-clock time ``wall`` runs (0, 1 or 2)."""
    before = zone.offset(wall - 86400)
    after = zone.offset(wall + 86400)
    solutions = sorted(set(wall - offset for offset in (before, after) if zone.offset(wall - offset) == offset))
    if solutions:
        return solutions if wildcard else solutions[:1]
    if wildcard or after <= before:
        return []
    # In the gap of a spring-forward change: the instant the clock jumped.
    low, high = wall - after, wall - before  # offset(low) == before, offset(high) == after
    while high - low > 1:
        middle = (low + high) // 2
        if zone.offset(middle) == before:
            low = middle
        else:
            high = middle
    return [high]


def next_after(expression, zone, instant):
    """The first run strictly after ``instant`` (seconds since the epoch), as an int."""
    instant = int(instant // 1)
    start = instant + zone.offset(instant) - OFFSET_MARGIN
    best = None
    for wall in _walls_forward(expression, start - start % 60):
        if best is not None and wall > best + zone.offset(best) + OFFSET_MARGIN:
            break
        for candidate in _instants(zone, wall, expression.wildcard):
            if candidate > instant and (best is None or candidate < best):
                best = candidate
    if best is None:
        raise AssertionError("no run of %r within %d days" % (expression.text, SEARCH_DAYS))
    return best


def latest_at_or_before(expression, zone, instant):
    """The last run at or before ``instant``, as an int."""
    instant = int(instant // 1)
    start = instant + zone.offset(instant) + OFFSET_MARGIN
    best = None
    for wall in _walls_backward(expression, start):
        if best is not None and wall < best + zone.offset(best) - OFFSET_MARGIN:
            break
        for candidate in _instants(zone, wall, expression.wildcard):
            if candidate <= instant and (best is None or candidate > best):
                best = candidate
    if best is None:
        raise AssertionError("no run of %r within %d days" % (expression.text, SEARCH_DAYS))
    return best


def next_times(expression, zone, instant, count):
    """The next ``count`` runs after ``instant``."""
    times = []
    for _ in range(count):
        instant = next_after(expression, zone, instant)
        times.append(instant)
    return times
