"""scheduler: the timetable driven by a fake clock (due runs, catch-up, jitter, clock jumps, reload),
the overlap warning, and the event log. Real processes are in test_run_schedule."""

import calendar
import contextlib
import io
import json
import unittest

from prospector_scheduler import cron, job_history, scheduler
from prospector_scheduler.schedule_file import Job
from prospector_scheduler.scheduler import Due, Timetable

UTC = cron.zone_named("UTC")


def at(text):
    """Seconds since the epoch of ``YYYY-MM-DD HH:MM[:SS]`` (UTC)."""
    date, clock = text.split()
    parts = [int(part) for part in date.split("-")] + [int(part) for part in clock.split(":")]
    return calendar.timegm(tuple(parts + [0] * (6 - len(parts))))


def job(name, schedule, jitter=0, catch_up=True, enabled=True, timeout=None):
    return Job(name, ("list-users",), cron.parse(schedule), timeout, jitter, catch_up, enabled, None)


class FixedRandom(object):
    """A random source whose uniform(a, b) is always ``a + fraction * (b - a)``."""

    def __init__(self, fraction):
        self.fraction = fraction

    def uniform(self, low, high):
        return low + self.fraction * (high - low)


def summary(runs):
    return [(due.job.name, job_history.format_time(due.slot), due.trigger) for due in runs]


class TimetableTest(unittest.TestCase):
    def test_runs_are_due_at_their_slots_and_not_before(self):
        table = Timetable([job("five", "*/5 * * * *"), job("daily", "0 2 * * *")], UTC)
        self.assertEqual(table.start(at("2024-01-01 01:58"), {"five": at("2024-01-01 01:55"),
                                                               "daily": at("2023-12-31 02:00")}), [])
        self.assertEqual(table.next_start(), at("2024-01-01 02:00"))
        self.assertEqual(table.due(at("2024-01-01 01:59:59")), [])
        self.assertEqual(summary(table.due(at("2024-01-01 02:00:00"))),
                         [("five", "2024-01-01T02:00:00Z", "schedule"), ("daily", "2024-01-01T02:00:00Z", "schedule")])
        self.assertEqual(table.due(at("2024-01-01 02:00:01")), [])
        self.assertEqual(table.next_start(), at("2024-01-01 02:05"))
        self.assertEqual(summary(table.due(at("2024-01-01 02:05:30"))), [("five", "2024-01-01T02:05:00Z", "schedule")])

    def test_a_run_up_to_a_minute_late_is_on_time(self):
        table = Timetable([job("five", "*/5 * * * *")], UTC)
        table.start(at("2024-01-01 00:01"), {})
        self.assertEqual(summary(table.due(at("2024-01-01 00:06:00"))), [("five", "2024-01-01T00:05:00Z", "schedule")])
        self.assertEqual(summary(table.due(at("2024-01-01 00:11:01"))), [("five", "2024-01-01T00:10:00Z", "catch-up")])

    def test_catch_up_at_start_is_one_run_for_the_latest_missed_slot(self):
        table = [
            # (catch_up, the last recorded slot, the catch-ups)
            (True, "2024-01-01 02:00", [("daily", "2024-01-04T02:00:00Z", "catch-up")]),
            (True, "2024-01-04 02:00", []),
            (True, None, [("daily", "2024-01-04T02:00:00Z", "catch-up")]),
            (False, None, []),
            (False, "2024-01-01 02:00", []),
        ]
        for catch_up, last, expected in table:
            with self.subTest(catch_up=catch_up, last=last):
                timetable = Timetable([job("daily", "0 2 * * *", catch_up=catch_up)], UTC)
                last_slots = {"daily": None if last is None else at(last)}
                self.assertEqual(summary(timetable.start(at("2024-01-04 09:30"), last_slots)), expected)
                self.assertEqual(timetable.next_start(), at("2024-01-05 02:00"))

    def test_a_jump_forward_or_a_resume_never_bursts(self):
        table = Timetable([job("quarter", "*/15 * * * *"), job("never-late", "*/15 * * * *", catch_up=False)], UTC)
        table.start(at("2024-01-01 00:00:30"), {})
        # 20 slots were missed while the machine slept: one catch-up, for the latest.
        self.assertEqual(summary(table.due(at("2024-01-01 05:07"))), [("quarter", "2024-01-01T05:00:00Z", "catch-up")])
        self.assertEqual(table.next_start(), at("2024-01-01 05:15"))
        self.assertEqual(table.due(at("2024-01-01 05:08")), [])
        self.assertEqual(len(table.due(at("2024-01-01 05:15"))), 2)

    def test_a_jump_back_plans_again_from_the_new_time(self):
        table = Timetable([job("hourly", "0 * * * *")], UTC)
        table.start(at("2024-01-02 10:30"), {})
        self.assertEqual(table.next_start(), at("2024-01-02 11:00"))
        self.assertEqual(table.due(at("2024-01-02 10:31")), [])
        # Set back a day: the next run is the next slot from the new time, not a day away.
        self.assertEqual(table.due(at("2024-01-01 10:31")), [])
        self.assertEqual(table.next_start(), at("2024-01-01 11:00"))
        self.assertEqual(summary(table.due(at("2024-01-01 11:00"))), [("hourly", "2024-01-01T11:00:00Z", "schedule")])
        # A few seconds back is noise, not a jump.
        table.due(at("2024-01-01 11:00:04") - 4)
        self.assertEqual(table.next_start(), at("2024-01-01 12:00"))

    def test_jitter_delays_the_start_not_the_slot(self):
        table = Timetable([job("daily", "0 2 * * *", jitter=300)], UTC, rng=FixedRandom(0.5))
        table.start(at("2024-01-01 00:00"), {})
        self.assertEqual(table.next_start(), at("2024-01-01 02:02:30"))
        self.assertEqual(table.due(at("2024-01-01 02:02:29")), [])
        self.assertEqual(summary(table.due(at("2024-01-01 02:02:30"))), [("daily", "2024-01-01T02:00:00Z", "schedule")])
        self.assertEqual(table.next_start(), at("2024-01-02 02:02:30"))

    def test_disabled_jobs_are_never_due(self):
        table = Timetable([job("off", "* * * * *", enabled=False)], UTC)
        self.assertEqual(table.start(at("2024-01-01 00:00"), {"off": at("2023-01-01 00:00")}), [])
        self.assertIsNone(table.next_start())
        self.assertEqual(table.due(at("2024-01-02 00:00")), [])

    def test_replace_keeps_the_plan_of_unchanged_jobs(self):
        table = Timetable([job("a", "0 2 * * *", jitter=600), job("b", "0 3 * * *"), job("c", "0 4 * * *")],
                          UTC, rng=FixedRandom(0.5))
        table.start(at("2024-01-01 00:00"), {})
        table.rng = FixedRandom(0.0)
        table.replace([job("a", "0 2 * * *", jitter=600), job("b", "30 3 * * *"), job("d", "0 5 * * *")],
                      at("2024-01-01 01:00"))
        self.assertEqual(table.planned, {"a": at("2024-01-01 02:05"), "b": at("2024-01-01 03:30"),
                                         "d": at("2024-01-01 05:00")})

    def test_in_a_daylight_saving_zone(self):
        zone = cron.Zone("CET", lambda instant: 7200 if instant >= at("2024-03-31 01:00") else 3600)
        table = Timetable([job("fixed", "30 2 * * *"), job("hourly", "0 * * * *")], zone)
        table.start(at("2024-03-30 23:30"), {})  # 00:30 CET
        self.assertEqual(summary(table.due(at("2024-03-31 00:00"))), [("hourly", "2024-03-31T00:00:00Z", "schedule")])
        # 03:00 CEST, right after the jump: both run once
        self.assertEqual(summary(table.due(at("2024-03-31 01:00"))), [("fixed", "2024-03-31T01:00:00Z", "schedule"),
                                                                      ("hourly", "2024-03-31T01:00:00Z", "schedule")])
        self.assertEqual(table.next_start(), at("2024-03-31 02:00"))


class FakeHistory(object):
    """Claims answered from a list, for the overlap rule."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.claims = []

    def claim(self, job, scheduled_for, trigger, now, timeout=None):
        self.claims.append((job, scheduled_for, trigger))
        return self.answers.pop(0)


def running(run_id):
    return job_history.JobRun(run_id, "slow", "2024-01-01T00:00:00Z", "schedule", "2024-01-01T00:00:00Z", None,
                              None, None, "running", "other-host", 42)


class OverlapTest(unittest.TestCase):
    def test_one_warning_per_overrun_not_one_per_slot(self):
        history = FakeHistory([job_history.Claim("busy", 2, running(1)), job_history.Claim("busy", 3, running(1)),
                               job_history.Claim("taken", None, None), job_history.Claim("busy", 5, running(4))])

        @contextlib.contextmanager
        def open_history():
            yield history

        stderr = io.StringIO()
        events = scheduler.EventLog(io.StringIO(), stderr, clock=lambda: at("2024-01-01 00:00"))
        schedule = type("Schedule", (), {"jobs": [], "zone": UTC, "keep_runs": 100})()
        runner = scheduler.Scheduler(schedule, open_history, ["tool"], events, environ={},
                                     clock=lambda: at("2024-01-01 00:03"))
        slow = job("slow", "* * * * *")
        for minute in (1, 2, 3, 4):
            self.assertFalse(runner.start(Due(slow, at("2024-01-01 00:0%d" % minute), "schedule")))
        self.assertEqual(stderr.getvalue(), (
            "prospector-scheduler: warning: slow: still running (on other-host, pid 42, since 2024-01-01T00:00:00Z): "
            "skipped the run due at 2024-01-01T00:01:00Z, and every further one until it ends\n"
            "prospector-scheduler: slow: the run due at 2024-01-01T00:03:00Z is taken by another scheduler\n"
            "prospector-scheduler: warning: slow: still running (on other-host, pid 42, since 2024-01-01T00:00:00Z): "
            "skipped the run due at 2024-01-01T00:04:00Z, and every further one until it ends\n"))


class EventLogTest(unittest.TestCase):
    def test_text_and_json(self):
        table = [
            ("text", False, "prospector-scheduler: a: started\n", "a: hello\n"),
            ("text", True, "", "a: hello\n"),
            ("json", False, "", None),
        ]
        for format, quiet, stderr_text, stdout_text in table:
            with self.subTest(format=format, quiet=quiet):
                stdout, stderr = io.StringIO(), io.StringIO()
                log = scheduler.EventLog(stdout, stderr, format, quiet, clock=lambda: at("2024-01-01 00:00"))
                log.event("started", "a", "started", trigger="schedule")
                log.output("a", "stdout", "hello")
                self.assertEqual(stderr.getvalue(), stderr_text)
                if stdout_text is not None:
                    self.assertEqual(stdout.getvalue(), stdout_text)
                    continue
                lines = [json.loads(line) for line in stdout.getvalue().splitlines()]
                self.assertEqual(lines, [
                    {"time": "2024-01-01T00:00:00Z", "event": "started", "job": "a", "level": "info",
                     "trigger": "schedule"},
                    {"time": "2024-01-01T00:00:00Z", "event": "output", "job": "a", "stream": "stdout",
                     "line": "hello"},
                ])


if __name__ == "__main__":
    unittest.main()
