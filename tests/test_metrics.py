"""Tests for metrics: the status facts of the jobs, read from the database, and their Prometheus text."""

import sqlite3
import unittest

from prospector_scheduler import metrics, store, sync_runs
from prospector_scheduler.metrics import JobRun, JobStatus
from tests import support
from tests.prometheus_format import naming_problems, parse

# The job_runs table as PROTOCOL.md fixes it (schema version 3, owned by the scheduler).
JOB_RUNS = """CREATE TABLE IF NOT EXISTS job_runs (
    id INTEGER PRIMARY KEY, job TEXT NOT NULL, scheduled_for TEXT, trigger TEXT NOT NULL,
    started_at TEXT NOT NULL, ended_at TEXT, duration REAL, exit_code INTEGER, outcome TEXT NOT NULL,
    host TEXT NOT NULL, pid INTEGER)"""


def add_job_run(path, job, started_at, ended_at, exit_code, outcome, duration=None):
    """Record one run in job_runs as the scheduler does (the table is made if missing)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute(JOB_RUNS)
        if duration is None and ended_at is not None:
            duration = float(metrics.to_epoch(ended_at) - metrics.to_epoch(started_at))
        connection.execute(
            "INSERT INTO job_runs (job, scheduled_for, trigger, started_at, ended_at, duration, exit_code, outcome,"
            " host, pid) VALUES (?, NULL, 'manual', ?, ?, ?, ?, ?, 'host', 1)",
            (job, started_at, ended_at, duration, exit_code, outcome))
    finally:
        connection.close()


def add_sync_run(path, started_at, ended_at):
    """Record one successful sync-users in sync_runs, as sync-users does."""
    with store.open_database(path) as database:
        with database.write_transaction():
            database.add_sync_run(sync_runs.SyncRun(started_at, ended_at, "/etc/users.yaml", "x", 0, 0, 0, "h", "u", "0"))


def run(started, ended, outcome, exit_code=None, duration=None):
    if exit_code is None and outcome in ("ok", "failed"):
        exit_code = 0 if outcome == "ok" else 1
    return JobRun("2024-05-01T%s:00Z" % started, None if ended is None else "2024-05-01T%s:00Z" % ended,
                  duration, exit_code, outcome)


class SummarizeTest(unittest.TestCase):
    def test_histories(self):
        t = "2024-05-01T%s:00Z"
        table = [
            ("no run", [], JobStatus("j")),
            ("a success", [run("02:00", "02:01", "ok", duration=60.5)],
             JobStatus("j", t % "02:01", t % "02:01", "ok", 0, 60.5, 0, (("ok", 1),))),
            ("a failure", [run("02:00", "02:01", "failed", 65, 1.0)],
             JobStatus("j", None, t % "02:01", "failed", 65, 1.0, 1, (("failed", 1),))),
            ("three failures after a success",
             [run("01:00", "01:01", "ok", duration=1.0), run("02:00", "02:01", "failed", 1, 1.0),
              run("03:00", "03:01", "timed_out", None, 2.0), run("04:00", "04:01", "killed", None, 3.0)],
             JobStatus("j", t % "01:01", t % "04:01", "killed", None, 3.0, 3,
                       (("failed", 1), ("killed", 1), ("ok", 1), ("timed_out", 1)))),
            ("a success ends the failures",
             [run("01:00", "01:01", "failed"), run("02:00", "02:01", "ok")],
             JobStatus("j", t % "02:01", t % "02:01", "ok", 0, None, 0, (("failed", 1), ("ok", 1)))),
            ("skipped and running rows are no finished run",
             [run("01:00", "01:01", "ok"), run("02:00", None, "running"), run("02:01", "02:01", "skipped")],
             JobStatus("j", t % "01:01", t % "01:01", "ok", 0, None, 0,
                       (("ok", 1), ("running", 1), ("skipped", 1)), t % "02:00")),
        ]
        for name, rows, expected in table:
            with self.subTest(name):
                self.assertEqual(metrics.summarize("j", rows), expected)


class MergeTest(unittest.TestCase):
    def test_sync_runs_after_a_scheduled_failure(self):
        failed = metrics.summarize("sync-users", [run("02:00", "02:01", "failed", 65, 1.0)])
        merged = metrics.with_sync_runs(failed, "2024-05-01T03:00:00Z", "2024-05-01T03:00:02Z", 1)
        self.assertEqual(merged, JobStatus("sync-users", "2024-05-01T03:00:02Z", "2024-05-01T03:00:02Z", "ok", 0,
                                           2.0, 0, (("failed", 1), ("ok", 1))))

    def test_sync_runs_before_a_scheduled_failure(self):
        failed = metrics.summarize("sync-users", [run("02:00", "02:01", "failed", 65, 1.0)])
        merged = metrics.with_sync_runs(failed, "2024-05-01T01:00:00Z", "2024-05-01T01:00:02Z", 1)
        self.assertEqual(merged, failed._replace(last_success="2024-05-01T01:00:02Z", runs=(("failed", 1), ("ok", 1))))

    def test_a_run_the_database_does_not_know(self):
        known = JobStatus("sync-users", "2024-05-01T01:00:02Z", "2024-05-01T01:00:02Z", "ok", 0, 2.0, 0, (("ok", 1),))
        failed = metrics.with_run(known, "2024-05-02T01:00:01Z", 65, 0.25)
        self.assertEqual(failed, known._replace(last_run="2024-05-02T01:00:01Z", last_outcome="failed",
                                                last_exit_code=65, last_duration=0.25, failures_in_a_row=1))
        again = metrics.with_run(failed, "2024-05-03T01:00:01Z", 66, 0.5)
        self.assertEqual(again.failures_in_a_row, 2)
        self.assertEqual(again.last_success, "2024-05-01T01:00:02Z")
        ok = metrics.with_run(again, "2024-05-04T01:00:01Z", 0, 0.5)
        self.assertEqual((ok.last_success, ok.failures_in_a_row, ok.last_exit_code), ("2024-05-04T01:00:01Z", 0, 0))
        self.assertEqual(metrics.with_run(ok, "2024-05-01T00:00:00Z", 1, 0.5), ok)


class ReadStatusesTest(support.TemporaryDirectoryTestCase):
    def read(self, jobs=()):
        return metrics.read_database(self.db, jobs)

    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("p.db")

    def test_a_new_database(self):
        store.open_database(self.db).close()
        self.assertEqual(self.read(), [JobStatus("sync-users")])

    def test_an_empty_file_has_no_schema_and_no_runs(self):
        self.write("p.db", b"", mode=0o600)
        self.assertEqual(self.read(["backup"]), [JobStatus("backup"), JobStatus("sync-users")])

    def test_both_tables(self):
        add_sync_run(self.db, "2024-05-01T01:00:00Z", "2024-05-01T01:00:03Z")
        add_job_run(self.db, "sync-users", "2024-05-01T02:00:00Z", "2024-05-01T02:00:04Z", 0, "ok")
        add_sync_run(self.db, "2024-05-01T02:00:01Z", "2024-05-01T02:00:03Z")  # the scheduled run's own record
        add_job_run(self.db, "backup", "2024-05-01T03:00:00Z", "2024-05-01T03:00:09Z", 74, "failed")
        self.assertEqual(self.read(["never"]), [
            JobStatus("backup", None, "2024-05-01T03:00:09Z", "failed", 74, 9.0, 1, (("failed", 1),)),
            JobStatus("never"),
            JobStatus("sync-users", "2024-05-01T02:00:04Z", "2024-05-01T02:00:04Z", "ok", 0, 4.0, 0, (("ok", 2),)),
        ])

    def test_no_database(self):
        from prospector_scheduler.errors import CantCreateError

        with self.assertRaises(CantCreateError) as caught:
            self.read()
        self.assertEqual(str(caught.exception), "there is no database at %s" % self.db)


class PrometheusTextTest(unittest.TestCase):
    STATUSES = [
        JobStatus("backup", None, "2024-05-01T03:00:09Z", "failed", 74, 9.25, 3, (("failed", 3), ("skipped", 1))),
        JobStatus('we"ird\\job\nname'),
        JobStatus("sync-users", "2024-05-01T02:00:04Z", "2024-05-01T02:00:04Z", "ok", 0, 4.0, 0, (("ok", 2),)),
    ]

    def test_it_parses_back_sample_by_sample(self):
        text = metrics.prometheus_text(self.STATUSES)
        samples = parse(text)
        name = 'we"ird\\job\nname'
        p = "prospector_scheduler_"
        self.assertEqual(samples, [
            (p + "last_success_timestamp_seconds", {"job_name": "backup"}, 0.0),
            (p + "last_success_timestamp_seconds", {"job_name": name}, 0.0),
            (p + "last_success_timestamp_seconds", {"job_name": "sync-users"}, 1714528804.0),
            (p + "last_run_timestamp_seconds", {"job_name": "backup"}, 1714532409.0),
            (p + "last_run_timestamp_seconds", {"job_name": "sync-users"}, 1714528804.0),
            (p + "last_exit_code", {"job_name": "backup"}, 74.0),
            (p + "last_exit_code", {"job_name": "sync-users"}, 0.0),
            (p + "last_duration_seconds", {"job_name": "backup"}, 9.25),
            (p + "last_duration_seconds", {"job_name": "sync-users"}, 4.0),
            (p + "consecutive_failures", {"job_name": "backup"}, 3.0),
            (p + "consecutive_failures", {"job_name": name}, 0.0),
            (p + "consecutive_failures", {"job_name": "sync-users"}, 0.0),
            (p + "recorded_runs", {"job_name": "backup", "outcome": "failed"}, 3.0),
            (p + "recorded_runs", {"job_name": "backup", "outcome": "skipped"}, 1.0),
            (p + "recorded_runs", {"job_name": "sync-users", "outcome": "ok"}, 2.0),
        ])
        self.assertEqual(naming_problems(text, "prospector_scheduler_"), [])

    def test_label_escaping(self):
        text = metrics.prometheus_text([JobStatus('a"b\\c\nd')])
        self.assertIn('{job_name="a\\"b\\\\c\\nd"} 0\n', text)

    def test_every_family_has_help_and_type_even_without_jobs(self):
        text = metrics.prometheus_text([])
        self.assertEqual(parse(text), [])
        self.assertEqual(text.count("# HELP "), len(metrics.FAMILIES))
        self.assertEqual(text.count("# TYPE "), len(metrics.FAMILIES))


if __name__ == "__main__":
    unittest.main()
