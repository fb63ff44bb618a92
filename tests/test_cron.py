"""cron: parsing the five fields, and next run times in a zone with cronie's daylight-saving rules.

Times in the tables are written as wall-clock time with their UTC offset, so
that the two passes of an autumn hour are told apart: 2024-10-27T02:30+02:00
is the first, 2024-10-27T02:30+01:00 the second.
"""

import calendar
import contextlib
import importlib
import os
import re
import time
import unittest

from prospector_scheduler import cron
from prospector_scheduler.errors import DataError

CET = "CET-1CEST,M3.5.0,M10.5.0/3"     # Europe: +01:00, +02:00 from the last Sunday of March 02:00
EST = "EST5EDT,M3.2.0,M11.1.0"         # US: -05:00, -04:00 from the second Sunday of March 02:00
UTC = "UTC0"

STAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)([+-])(\d\d):(\d\d)\Z")


def instant(text):
    """Seconds since the epoch of ``YYYY-MM-DDTHH:MM+HH:MM``."""
    match = STAMP.match(text)
    year, month, day, hour, minute = (int(part) for part in match.groups()[:5])
    offset = (int(match.group(7)) * 3600 + int(match.group(8)) * 60) * (1 if match.group(6) == "+" else -1)
    return calendar.timegm((year, month, day, hour, minute, 0)) - offset


def stamp(zone, moment):
    """``moment`` as wall-clock time in ``zone`` with its offset."""
    offset = zone.offset(moment)
    wall = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(moment + offset))
    sign = "+" if offset >= 0 else "-"
    return "%s%s%02d:%02d" % (wall, sign, abs(offset) // 3600, abs(offset) % 3600 // 60)


@contextlib.contextmanager
def local_time(tz):
    """The process's local zone is ``tz`` (a POSIX TZ string) inside the block."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        yield cron.local_zone()
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


# (zone, expression, after, the next runs)
NEXT_RUNS = [
    # every field form
    (UTC, "* * * * *", "2024-01-01T00:00+00:00", ["2024-01-01T00:01+00:00", "2024-01-01T00:02+00:00"]),
    (UTC, "5 * * * *", "2024-01-01T00:05+00:00", ["2024-01-01T01:05+00:00", "2024-01-01T02:05+00:00"]),
    (UTC, "*/20 * * * *", "2024-01-01T00:00+00:00",
     ["2024-01-01T00:20+00:00", "2024-01-01T00:40+00:00", "2024-01-01T01:00+00:00"]),
    (UTC, "10-12 * * * *", "2024-01-01T00:00+00:00",
     ["2024-01-01T00:10+00:00", "2024-01-01T00:11+00:00", "2024-01-01T00:12+00:00", "2024-01-01T01:10+00:00"]),
    (UTC, "10-30/10 * * * *", "2024-01-01T00:10+00:00",
     ["2024-01-01T00:20+00:00", "2024-01-01T00:30+00:00", "2024-01-01T01:10+00:00"]),
    (UTC, "45,0,15 * * * *", "2024-01-01T00:00+00:00",
     ["2024-01-01T00:15+00:00", "2024-01-01T00:45+00:00", "2024-01-01T01:00+00:00"]),
    (UTC, "0 9-17/4 * * *", "2024-01-01T00:00+00:00",
     ["2024-01-01T09:00+00:00", "2024-01-01T13:00+00:00", "2024-01-01T17:00+00:00", "2024-01-02T09:00+00:00"]),
    (UTC, "0 0 1,15 * *", "2024-01-01T00:00+00:00", ["2024-01-15T00:00+00:00", "2024-02-01T00:00+00:00"]),
    (UTC, "0 0 1 */4 *", "2024-01-01T00:00+00:00", ["2024-05-01T00:00+00:00", "2024-09-01T00:00+00:00"]),
    (UTC, "1,2-4,*/30 0 * * *", "2024-01-01T00:00+00:00",
     ["2024-01-01T00:01+00:00", "2024-01-01T00:02+00:00", "2024-01-01T00:03+00:00",
      "2024-01-01T00:04+00:00", "2024-01-01T00:30+00:00", "2024-01-02T00:00+00:00"]),
    (UTC, "  0  6 * * *  ", "2024-01-01T00:00+00:00", ["2024-01-01T06:00+00:00"]),
    # names, any case, in ranges and lists, with steps; 7 is Sunday too
    (UTC, "0 0 1 jan,JUL *", "2024-01-01T00:00+00:00", ["2024-07-01T00:00+00:00", "2025-01-01T00:00+00:00"]),
    (UTC, "0 0 1 jan-dec/3 *", "2024-01-01T00:00+00:00", ["2024-04-01T00:00+00:00", "2024-07-01T00:00+00:00"]),
    (UTC, "0 8 * * Mon-Fri", "2024-01-05T08:00+00:00", ["2024-01-08T08:00+00:00", "2024-01-09T08:00+00:00"]),
    (UTC, "0 8 * * sun", "2024-01-01T00:00+00:00", ["2024-01-07T08:00+00:00"]),
    (UTC, "0 8 * * 7", "2024-01-01T00:00+00:00", ["2024-01-07T08:00+00:00", "2024-01-14T08:00+00:00"]),
    (UTC, "0 8 * * 5-7", "2024-01-01T00:00+00:00",
     ["2024-01-05T08:00+00:00", "2024-01-06T08:00+00:00", "2024-01-07T08:00+00:00", "2024-01-12T08:00+00:00"]),
    # macros
    (UTC, "@yearly", "2024-01-01T00:00+00:00", ["2025-01-01T00:00+00:00"]),
    (UTC, "@annually", "2024-06-01T00:00+00:00", ["2025-01-01T00:00+00:00"]),
    (UTC, "@monthly", "2024-01-31T00:00+00:00", ["2024-02-01T00:00+00:00"]),
    (UTC, "@weekly", "2024-01-01T00:00+00:00", ["2024-01-07T00:00+00:00"]),
    (UTC, "@daily", "2024-01-01T00:00+00:00", ["2024-01-02T00:00+00:00"]),
    (UTC, "@MIDNIGHT", "2024-01-01T23:59+00:00", ["2024-01-02T00:00+00:00"]),
    (UTC, "@hourly", "2024-01-01T00:30+00:00", ["2024-01-01T01:00+00:00", "2024-01-01T02:00+00:00"]),
    # day of month and day of week: either one when both are restricted; both when one starts with *
    (UTC, "0 0 13 * 5", "2024-01-01T00:00+00:00",
     ["2024-01-05T00:00+00:00", "2024-01-12T00:00+00:00", "2024-01-13T00:00+00:00", "2024-01-19T00:00+00:00"]),
    (UTC, "0 0 13 * *", "2024-01-01T00:00+00:00", ["2024-01-13T00:00+00:00", "2024-02-13T00:00+00:00"]),
    (UTC, "0 0 * * 5", "2024-01-01T00:00+00:00", ["2024-01-05T00:00+00:00", "2024-01-12T00:00+00:00"]),
    (UTC, "0 0 */10 * 5", "2024-01-01T00:00+00:00", ["2024-03-01T00:00+00:00", "2024-05-31T00:00+00:00"]),
    (UTC, "0 0 1 * */6", "2024-01-01T00:00+00:00", ["2024-06-01T00:00+00:00", "2024-09-01T00:00+00:00"]),
    # month ends and leap years
    (UTC, "0 0 31 * *", "2024-01-31T00:00+00:00",
     ["2024-03-31T00:00+00:00", "2024-05-31T00:00+00:00", "2024-07-31T00:00+00:00", "2024-08-31T00:00+00:00"]),
    (UTC, "0 0 30 * *", "2024-01-30T00:00+00:00", ["2024-03-30T00:00+00:00"]),
    (UTC, "0 0 29 2 *", "2024-03-01T00:00+00:00", ["2028-02-29T00:00+00:00", "2032-02-29T00:00+00:00"]),
    (UTC, "0 0 29 2 *", "2096-03-01T00:00+00:00", ["2104-02-29T00:00+00:00"]),
    (UTC, "0 0 29 2 1", "2024-02-25T00:00+00:00", ["2024-02-26T00:00+00:00", "2024-02-29T00:00+00:00",
                                                  "2025-02-03T00:00+00:00"]),
    (UTC, "59 23 31 12 *", "2024-12-31T23:59+00:00", ["2025-12-31T23:59+00:00"]),
    # Europe, spring: 02:00-02:59 does not exist on 2024-03-31
    (CET, "30 2 * * *", "2024-03-30T12:00+01:00",
     ["2024-03-31T03:00+02:00", "2024-04-01T02:30+02:00"]),
    (CET, "0,30 2 * * *", "2024-03-31T00:00+01:00",
     ["2024-03-31T03:00+02:00", "2024-04-01T02:00+02:00", "2024-04-01T02:30+02:00"]),
    (CET, "15 3 * * *", "2024-03-31T00:00+01:00", ["2024-03-31T03:15+02:00"]),
    (CET, "0 * * * *", "2024-03-31T00:30+01:00",
     ["2024-03-31T01:00+01:00", "2024-03-31T03:00+02:00", "2024-03-31T04:00+02:00"]),
    (CET, "*/30 * * * *", "2024-03-31T01:00+01:00",
     ["2024-03-31T01:30+01:00", "2024-03-31T03:00+02:00", "2024-03-31T03:30+02:00"]),
    (CET, "* 2 * * *", "2024-03-31T01:00+01:00", ["2024-04-01T02:00+02:00", "2024-04-01T02:01+02:00"]),
    # Europe, autumn: 02:00-02:59 happens twice on 2024-10-27
    (CET, "30 2 * * *", "2024-10-26T12:00+02:00",
     ["2024-10-27T02:30+02:00", "2024-10-28T02:30+01:00"]),
    (CET, "30 2 * * *", "2024-10-27T02:45+02:00", ["2024-10-28T02:30+01:00"]),
    (CET, "0 * * * *", "2024-10-27T00:30+02:00",
     ["2024-10-27T01:00+02:00", "2024-10-27T02:00+02:00", "2024-10-27T02:00+01:00", "2024-10-27T03:00+01:00"]),
    (CET, "*/20 2 * * *", "2024-10-27T01:50+02:00",
     ["2024-10-27T02:00+02:00", "2024-10-27T02:20+02:00", "2024-10-27T02:40+02:00",
      "2024-10-27T02:00+01:00", "2024-10-27T02:20+01:00", "2024-10-27T02:40+01:00", "2024-10-28T02:00+01:00"]),
    # United States, spring: 02:00-02:59 does not exist on 2024-03-10
    (EST, "30 2 * * *", "2024-03-09T12:00-05:00", ["2024-03-10T03:00-04:00", "2024-03-11T02:30-04:00"]),
    (EST, "0 1-3 * * *", "2024-03-10T00:00-05:00",
     ["2024-03-10T01:00-05:00", "2024-03-10T03:00-04:00", "2024-03-11T01:00-04:00"]),
    (EST, "*/30 * * * *", "2024-03-10T01:00-05:00",
     ["2024-03-10T01:30-05:00", "2024-03-10T03:00-04:00", "2024-03-10T03:30-04:00"]),
    # United States, autumn: 01:00-01:59 happens twice on 2024-11-03
    (EST, "30 1 * * *", "2024-11-02T12:00-04:00", ["2024-11-03T01:30-04:00", "2024-11-04T01:30-05:00"]),
    (EST, "59 1 * * *", "2024-11-03T01:00-05:00", ["2024-11-04T01:59-05:00"]),
    (EST, "*/30 * * * *", "2024-11-03T00:30-04:00",
     ["2024-11-03T01:00-04:00", "2024-11-03T01:30-04:00", "2024-11-03T01:00-05:00", "2024-11-03T01:30-05:00",
      "2024-11-03T02:00-05:00"]),
    (EST, "@daily", "2024-11-02T12:00-04:00", ["2024-11-03T00:00-04:00", "2024-11-04T00:00-05:00"]),
]

# (zone, expression, at, the last run at or before it)
LATEST_RUNS = [
    (UTC, "0 2 * * *", "2024-01-10T02:00+00:00", "2024-01-10T02:00+00:00"),
    (UTC, "0 2 * * *", "2024-01-10T01:59+00:00", "2024-01-09T02:00+00:00"),
    (UTC, "*/15 * * * *", "2024-01-10T00:14+00:00", "2024-01-10T00:00+00:00"),
    (UTC, "0 0 29 2 *", "2027-01-01T00:00+00:00", "2024-02-29T00:00+00:00"),
    (UTC, "0 0 31 * *", "2024-03-01T00:00+00:00", "2024-01-31T00:00+00:00"),
    (CET, "30 2 * * *", "2024-03-31T12:00+02:00", "2024-03-31T03:00+02:00"),
    (CET, "30 2 * * *", "2024-10-27T02:40+01:00", "2024-10-27T02:30+02:00"),
    (CET, "30 * * * *", "2024-10-27T02:40+01:00", "2024-10-27T02:30+01:00"),
    (EST, "30 2 * * *", "2024-03-10T01:59-05:00", "2024-03-09T02:30-05:00"),
]

# (expression, the exact message)
PARSE_ERRORS = [
    ("", "a cron expression has 5 fields (minute hour day-of-month month day-of-week) or is a macro such "
         "as @daily; this one has 0"),
    ("0 2 * *", "a cron expression has 5 fields (minute hour day-of-month month day-of-week) or is a macro "
                "such as @daily; this one has 4"),
    ("0 2 * * * *", "a cron expression has 5 fields (minute hour day-of-month month day-of-week) or is a "
                    "macro such as @daily; this one has 6"),
    ("@reboot", "unknown macro '@reboot' (known: @annually, @daily, @hourly, @midnight, @monthly, @weekly, "
                "@yearly)"),
    ("60 * * * *", "minute field '60': 60 is out of range 0-59"),
    ("0 24 * * *", "hour field '24': 24 is out of range 0-23"),
    ("0 0 0 * *", "day-of-month field '0': 0 is out of range 1-31"),
    ("0 0 32 * *", "day-of-month field '32': 32 is out of range 1-31"),
    ("0 0 * 13 *", "month field '13': 13 is out of range 1-12"),
    ("0 0 * * 8", "day-of-week field '8': 8 is out of range 0-7"),
    ("x * * * *", "minute field 'x': expected a number 0-59"),
    ("0 0 * foo *", "month field 'foo': expected a number 1-12 or a name (jan-dec)"),
    ("0 0 * * monday", "day-of-week field 'monday': expected a number 0-7 or a name (sun-sat)"),
    ("-5 * * * *", "minute field '-5': expected a number 0-59"),
    ("5- * * * *", "minute field '5-': expected a number 0-59"),
    ("5-1 * * * *", "minute field '5-1': the range goes backwards"),
    ("*/0 * * * *", "minute field '*/0': a step of 0 is not allowed"),
    ("*/x * * * *", "minute field '*/x': the step after / must be a whole number"),
    ("*/ * * * *", "minute field '*/': the step after / must be a whole number"),
    ("5/10 * * * *", "minute field '5/10': a step needs a range or *, as in 5-59/10"),
    ("1,,2 * * * *", "minute field '1,,2': an empty list element"),
    ("\u0661 * * * *", "minute field '\u0661': expected a number 0-59"),
    ("0 0 30 2 *", "the day-of-month and month fields never meet (no month has such a day): the job would "
                   "never run"),
    ("0 0 31 4,6,9,11 *", "the day-of-month and month fields never meet (no month has such a day): the job "
                          "would never run"),
]


class NextRunTest(unittest.TestCase):
    def test_next_runs(self):
        for tz, text, after, expected in NEXT_RUNS:
            with self.subTest(tz=tz, expression=text, after=after), local_time(tz) as zone:
                expression = cron.parse(text)
                self.assertEqual(stamp(zone, instant(after)), after)  # the table is well written
                runs = cron.next_times(expression, zone, instant(after), len(expected))
                self.assertEqual([stamp(zone, run) for run in runs], expected)

    def test_next_after_counts_from_any_second(self):
        with local_time(UTC) as zone:
            expression = cron.parse("*/5 * * * *")
            start = instant("2024-01-01T00:05+00:00")
            for delta, expected in [(-1, "2024-01-01T00:05+00:00"), (0, "2024-01-01T00:10+00:00"),
                                    (0.5, "2024-01-01T00:10+00:00"), (299.9, "2024-01-01T00:10+00:00")]:
                with self.subTest(delta=delta):
                    self.assertEqual(stamp(zone, cron.next_after(expression, zone, start + delta)), expected)

    def test_latest_run_at_or_before(self):
        for tz, text, at, expected in LATEST_RUNS:
            with self.subTest(tz=tz, expression=text, at=at), local_time(tz) as zone:
                latest = cron.latest_at_or_before(cron.parse(text), zone, instant(at))
                self.assertEqual(stamp(zone, latest), expected)

    def test_latest_and_next_agree_over_two_days_of_a_transition(self):
        for tz, text, start in [(CET, "*/20 * * * *", "2024-10-26T12:00+02:00"),
                                (CET, "30 2 * * *", "2024-03-29T12:00+01:00"),
                                (EST, "0 1 * * *", "2024-11-01T12:00-04:00")]:
            with self.subTest(tz=tz, expression=text), local_time(tz) as zone:
                expression = cron.parse(text)
                moment = instant(start)
                for _ in range(50):
                    following = cron.next_after(expression, zone, moment)
                    self.assertEqual(cron.latest_at_or_before(expression, zone, following), following)
                    self.assertLessEqual(cron.latest_at_or_before(expression, zone, following - 1), moment)
                    moment = following


class ParseTest(unittest.TestCase):
    def test_errors(self):
        for text, message in PARSE_ERRORS:
            with self.subTest(expression=text):
                with self.assertRaises(DataError) as caught:
                    cron.parse(text)
                self.assertEqual(str(caught.exception), message)

    def test_a_long_field_is_not_quoted(self):
        with self.assertRaises(DataError) as caught:
            cron.parse("x" * 50 + " * * * *")
        self.assertEqual(str(caught.exception), "minute field (not shown): expected a number 0-59")

    def test_flags(self):
        table = [
            ("30 2 * * *", False, True, True),
            ("*/15 * * * *", True, True, True),
            ("0 * * * *", True, True, True),
            ("* 2 * * *", True, True, True),
            ("0 */2 * * *", True, True, True),
            ("0 1-5 * * *", False, True, True),
            ("0 0 13 * 5", False, False, False),
            ("0 0 */2 * 5", False, True, False),
            ("@daily", False, True, True),
        ]
        for text, wildcard, dom_star, dow_star in table:
            with self.subTest(expression=text):
                expression = cron.parse(text)
                self.assertEqual((expression.wildcard, expression.dom_star, expression.dow_star),
                                 (wildcard, dom_star, dow_star))

    def test_values(self):
        expression = cron.parse("0-10/5,58 1 */10 jan-mar/2 sat,7")
        self.assertEqual(expression.minutes, (0, 5, 10, 58))
        self.assertEqual(expression.hours, (1,))
        self.assertEqual(sorted(expression.days), [1, 11, 21, 31])
        self.assertEqual(sorted(expression.months), [1, 3])
        self.assertEqual(sorted(expression.weekdays), [0, 6])


class ZoneTest(unittest.TestCase):
    def test_utc_and_local(self):
        with local_time(CET):
            self.assertEqual(cron.zone_named("UTC").offset(instant("2024-07-01T00:00+00:00")), 0)
            self.assertEqual(cron.zone_named("local").offset(instant("2024-07-01T00:00+00:00")), 7200)
            self.assertEqual(cron.zone_named("local").offset(instant("2024-01-01T00:00+00:00")), 3600)

    def test_iana_names_where_zoneinfo_exists(self):
        try:
            zoneinfo = importlib.import_module("zoneinfo")
            zoneinfo.ZoneInfo("Europe/Berlin")
        except Exception:  # no module (before 3.9), or no time zone data
            self.skipTest("this Python has no zoneinfo or no time zone data")
        zone = cron.zone_named("Europe/Berlin")
        expression = cron.parse("30 2 * * *")
        with local_time(CET) as local:
            after = instant("2024-03-30T12:00+01:00")
            self.assertEqual(cron.next_times(expression, zone, after, 3), cron.next_times(expression, local, after, 3))
        with self.assertRaises(DataError) as caught:
            cron.zone_named("Mars/Olympus")
        self.assertEqual(str(caught.exception), "time zone 'Mars/Olympus': not a known IANA time zone name")

    def test_a_clear_error_without_zoneinfo(self):
        try:
            importlib.import_module("zoneinfo")
        except ImportError:
            pass
        else:
            self.skipTest("this Python has zoneinfo")
        with self.assertRaises(DataError) as caught:
            cron.zone_named("Europe/Berlin")
        self.assertRegex(str(caught.exception),
                         r"^time zone 'Europe/Berlin': this Python \(3\.\d\) has no zoneinfo module, which IANA "
                         r"names need \(3\.9\+\); use UTC, or leave timezone out and set TZ$")


if __name__ == "__main__":
    unittest.main()
