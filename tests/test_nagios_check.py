"""Tests for nagios_check: AGE, the verdict of each state, the status line and its performance data."""

import re
import unittest

from prospector_scheduler import nagios_check
from prospector_scheduler.metrics import JobStatus, to_epoch

NOW = to_epoch("2024-05-02T02:00:00Z")
HOUR = 3600
# One performance data item as the Nagios plugin guidelines define it:
# 'label'=value[UOM];[warn];[crit];[min];[max], value U when undetermined.
PERFDATA_ITEM = re.compile(r"'[^'=]+'=(?:-?[0-9.]+(?:s|%|B|KB|MB|TB|c)?|U);[0-9.]*;[0-9.]*;[0-9.]*(?:;[0-9.]*)?\Z")
STATUS_LINE = re.compile(r"PROSPECTOR (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]+?)(?: \| (.*))?\Z")


def check_format(testcase, line):
    """The line's state name, text and perf data items, each checked against the format."""
    match = STATUS_LINE.match(line)
    testcase.assertIsNotNone(match, line)
    items = match.group(3).split(" ") if match.group(3) else []
    for item in items:
        testcase.assertRegex(item, PERFDATA_ITEM)
    return match.group(1), match.group(2), items


class ParseAgeTest(unittest.TestCase):
    def test_ages(self):
        table = [("45s", 45), ("90m", 5400), ("26h", 93600), ("2d", 172800), ("1w", 604800), ("0h", 0)]
        for text, seconds in table:
            with self.subTest(text=text):
                self.assertEqual(nagios_check.parse_age(text), seconds)

    def test_refused(self):
        for text in ["26", "h", "26H", "1.5h", "-1h", "26 h", " 26h", "26hours", "", "1d2h", "1234567890s"]:
            with self.subTest(text=text):
                with self.assertRaises(ValueError) as caught:
                    nagios_check.parse_age(text)
                self.assertEqual(
                    str(caught.exception),
                    "expected an age such as 26h, 90m or 2d (a whole number and one of s, m, h, d, w), got %r" % text)


class FormatAgeTest(unittest.TestCase):
    def test_readings(self):
        table = [(0, "0s"), (59, "59s"), (60, "1m"), (90, "1m 30s"), (3600, "1h"), (5400, "1h 30m"),
                 (86400, "1d"), (93600, "1d 2h"), (93660, "1d 2h"), (10 * 86400, "10d")]
        for seconds, text in table:
            with self.subTest(seconds=seconds):
                self.assertEqual(nagios_check.format_age(seconds), text)


def job(name="sync-users", success_hours_ago=None, failures=0, exit_code=None, ran=True):
    success = None if success_hours_ago is None else NOW - success_hours_ago * HOUR
    from prospector_scheduler.metrics import from_epoch

    last_success = None if success is None else from_epoch(success)
    last_run = None
    if ran:
        last_run = from_epoch(NOW - HOUR) if failures else last_success
    return JobStatus(name, last_success=last_success, last_run=last_run, failures_in_a_row=failures,
                     last_exit_code=exit_code, last_outcome=None if last_run is None else "ok")


class CheckTest(unittest.TestCase):
    def check(self, statuses, job_name=None, warning=26 * HOUR, critical=50 * HOUR):
        return nagios_check.check(statuses, NOW, warning, critical, job_name)

    def test_every_state_with_its_line_and_performance_data(self):
        table = [
            ("recent success", [job(success_hours_ago=2)], "sync-users", 0,
             "PROSPECTOR OK - sync-users last succeeded 2h ago (2024-05-02T00:00:00Z)"
             " | 'age'=7200s;93600;180000;0 'failures'=0;;;0"),
            ("exactly at the warning age is still OK", [job(success_hours_ago=26)], "sync-users", 0,
             "PROSPECTOR OK - sync-users last succeeded 1d 2h ago (2024-05-01T00:00:00Z)"
             " | 'age'=93600s;93600;180000;0 'failures'=0;;;0"),
            ("older than the warning age", [job(success_hours_ago=27, failures=1, exit_code=65)], "sync-users", 1,
             "PROSPECTOR WARNING - sync-users last succeeded 1d 3h ago (2024-04-30T23:00:00Z),"
             " 1 failed run (last exit code 65) since | 'age'=97200s;93600;180000;0 'failures'=1;;;0"),
            ("older than the critical age", [job(success_hours_ago=51, failures=3, exit_code=1)], "sync-users", 2,
             "PROSPECTOR CRITICAL - sync-users last succeeded 2d 3h ago (2024-04-29T23:00:00Z),"
             " 3 failed runs (last exit code 1) since | 'age'=183600s;93600;180000;0 'failures'=3;;;0"),
            ("never succeeded", [job(failures=2, exit_code=75)], "sync-users", 2,
             "PROSPECTOR CRITICAL - sync-users never succeeded, 2 failed runs (last exit code 75)"
             " | 'age'=U;93600;180000;0 'failures'=2;;;0"),
            ("never ran", [job(ran=False)], "sync-users", 2,
             "PROSPECTOR CRITICAL - sync-users never ran | 'age'=U;93600;180000;0 'failures'=0;;;0"),
            ("unknown job", [job(success_hours_ago=1)], "backup", 3,
             "PROSPECTOR UNKNOWN - unknown job 'backup': no run of it is recorded and no schedule names it"),
            ("all jobs, the worst wins and comes first",
             [job("backup", success_hours_ago=30), job(success_hours_ago=1)], None, 1,
             "PROSPECTOR WARNING - backup last succeeded 1d 6h ago (2024-04-30T20:00:00Z);"
             " sync-users last succeeded 1h ago (2024-05-02T01:00:00Z) | 'backup_age'=108000s;93600;180000;0"
             " 'backup_failures'=0;;;0 'sync-users_age'=3600s;93600;180000;0 'sync-users_failures'=0;;;0"),
            ("no job", [], None, 3, "PROSPECTOR UNKNOWN - no job to check"),
        ]
        for name, statuses, job_name, state, line in table:
            with self.subTest(name):
                result = self.check(statuses, job_name)
                self.assertEqual((result.state, result.line()), (state, line))
                state_name, _, _ = check_format(self, result.line())
                self.assertEqual(nagios_check.STATE_NAMES.index(state_name), state)

    def test_warning_above_critical_is_unknown(self):
        result = self.check([job(success_hours_ago=1)], "sync-users", warning=3 * HOUR, critical=2 * HOUR)
        self.assertEqual(result.line(), "PROSPECTOR UNKNOWN - the warning age (3h) is above the critical age (2h)")
        self.assertEqual(result.state, 3)

    def test_a_name_that_would_break_the_line_or_the_labels(self):
        result = self.check([job("a|b='c'\nd", success_hours_ago=1)])
        self.assertEqual(
            result.line(),
            "PROSPECTOR OK - a/b='c'/d last succeeded 1h ago (2024-05-02T01:00:00Z) | "
            "'a_b__c__d_age'=3600s;93600;180000;0 'a_b__c__d_failures'=0;;;0",
        )

    def test_a_success_in_the_future_counts_as_just_now(self):
        result = self.check([job(success_hours_ago=-1)], "sync-users")
        self.assertEqual(result.state, 0)
        self.assertIn("'age'=0s;", result.line())


if __name__ == "__main__":
    unittest.main()
