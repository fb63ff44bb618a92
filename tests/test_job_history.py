"""job_history: slot claims, overlap, stale claims taken over, finishing, pruning, and the reads."""

import os
import shutil
import sqlite3
import subprocess
import sys
import time

from prospector_scheduler import job_history, schema, store
from prospector_scheduler.job_history import JobHistory
from tests.support import DATA, TemporaryDirectoryTestCase

T0 = 1704067200  # 2024-01-01T00:00:00Z


class Alive(object):
    """A fake liveness check: the pids in ``alive`` are running."""

    def __init__(self, *alive):
        self.alive = set(alive)

    def __call__(self, pid, since):
        return pid in self.alive


class HistoryTestCase(TemporaryDirectoryTestCase):
    def setUp(self):
        TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("p.db")

    def history(self, host="here", alive=None):
        database = store.open_database(self.db)
        self.addCleanup(database.close)
        return JobHistory(database, host=host, is_alive=alive or Alive(os.getpid()))

    def rows(self):
        connection = sqlite3.connect(self.db)
        try:
            return connection.execute(
                "SELECT job, scheduled_for, trigger, outcome, exit_code, host, pid FROM job_runs ORDER BY id").fetchall()
        finally:
            connection.close()


class ClaimTest(HistoryTestCase):
    def test_a_slot_is_claimed_once_and_an_overlap_is_recorded_as_skipped(self):
        history = self.history()
        first = history.claim("sync", T0, "schedule", T0)
        self.assertEqual((first.status, first.running), ("claimed", None))
        self.assertEqual(history.claim("sync", T0, "schedule", T0 + 1).status, "taken")
        busy = history.claim("sync", T0 + 60, "schedule", T0 + 60)
        self.assertEqual((busy.status, busy.running.id), ("busy", first.run_id))
        self.assertEqual(history.claim("sync", T0 + 60, "schedule", T0 + 61).status, "taken")
        manual = history.claim("sync", None, "manual", T0 + 70)
        self.assertEqual((manual.status, manual.run_id, manual.running.id), ("busy", None, first.run_id))
        self.assertEqual(history.claim("other", T0, "schedule", T0).status, "claimed")
        pid = os.getpid()
        self.assertEqual(self.rows(), [
            ("sync", "2024-01-01T00:00:00Z", "schedule", "running", None, "here", pid),
            ("sync", "2024-01-01T00:01:00Z", "schedule", "skipped", None, "here", pid),
            ("other", "2024-01-01T00:00:00Z", "schedule", "running", None, "here", pid),
        ])
        history.set_pid(first.run_id, 4242)
        history.finish(first.run_id, "failed", 3, T0 + 90, 89.5)
        self.assertEqual(self.rows()[0], ("sync", "2024-01-01T00:00:00Z", "schedule", "failed", 3, "here", 4242))
        self.assertEqual(history.claim("sync", None, "manual", T0 + 100).status, "claimed")

    def test_a_dead_claim_on_this_host_is_taken_over(self):
        history = self.history(alive=Alive())
        first = history.claim("sync", T0, "schedule", T0, pid=999)
        second = history.claim("sync", T0 + 60, "schedule", T0 + 60)
        self.assertEqual(second.status, "claimed")
        runs = history.runs("sync")
        self.assertEqual([(run.id, run.outcome, run.ended_at, run.duration) for run in runs],
                         [(second.run_id, "running", None, None), (first.run_id, "killed", "2024-01-01T00:01:00Z", 60.0)])

    def test_a_claim_from_another_host_counts_until_the_timeout_and_a_margin(self):
        there = self.history(host="there")
        there.claim("sync", T0, "schedule", T0)
        here = self.history(host="here", alive=Alive())
        limit = 600 + job_history.STALE_MARGIN
        self.assertEqual(here.claim("sync", T0 + 60, "schedule", T0 + limit, timeout=600).status, "busy")
        self.assertEqual(here.claim("sync", T0 + 120, "schedule", T0 + limit + 1, timeout=600).status, "claimed")
        there2 = self.history(host="there")
        there2.claim("backup", T0, "schedule", T0)
        day = job_history.STALE_WITHOUT_TIMEOUT
        self.assertEqual(here.claim("backup", T0 + 60, "schedule", T0 + day).status, "busy")
        self.assertEqual(here.claim("backup", T0 + 120, "schedule", T0 + day + 1).status, "claimed")

    def test_finish_keeps_the_newest_runs_of_the_job(self):
        history = self.history()
        for minute in range(5):
            claim = history.claim("sync", T0 + 60 * minute, "schedule", T0 + 60 * minute)
            history.finish(claim.run_id, "ok", 0, T0 + 60 * minute + 1, 1.0, keep=3)
        running = history.claim("sync", T0 + 600, "schedule", T0 + 600)
        other = history.claim("other", T0, "schedule", T0)
        history.finish(other.run_id, "ok", 0, T0 + 1, 1.0, keep=3)
        self.assertEqual([run.scheduled_for for run in history.runs("sync")],
                         ["2024-01-01T00:10:00Z", "2024-01-01T00:04:00Z", "2024-01-01T00:03:00Z",
                          "2024-01-01T00:02:00Z"])
        self.assertEqual(history.last_slot("sync"), T0 + 600)
        self.assertEqual(history.last_slot("none"), None)
        self.assertEqual(sorted((name, run.outcome) for name, run in history.last_runs().items()),
                         [("other", "ok"), ("sync", "running")])
        self.assertEqual(len(history.runs(limit=2)), 2)
        self.assertEqual(running.status, "claimed")
        with self.assertRaises(ValueError):
            history.finish(running.run_id, "running", None, T0, 0.0)


class SchemaTest(HistoryTestCase):
    def test_a_version_1_database_is_upgraded_and_keeps_its_rows(self):
        shutil.copy(os.path.join(DATA, "schema-v1.sqlite"), self.db)
        history = self.history()
        self.assertEqual(history.database.schema_version(), schema.SCHEMA_VERSION)
        self.assertTrue(history.has_table())
        self.assertEqual(len(history.database.list_users()), 4)
        self.assertEqual(history.claim("sync", T0, "schedule", T0).status, "claimed")

    def test_reads_of_a_database_without_the_table(self):
        shutil.copy(os.path.join(DATA, "schema-v1.sqlite"), self.db)
        database = store.open_database(self.db, read_only=True)
        self.addCleanup(database.close)
        history = JobHistory(database)
        self.assertEqual((history.has_table(), history.runs(), history.last_runs(), history.last_slot("x")),
                         (False, [], {}, None))


class LivenessTest(TemporaryDirectoryTestCase):
    def test_process_is_alive(self):
        now = time.time()
        self.assertTrue(job_history.process_is_alive(os.getpid(), now))
        self.assertFalse(job_history.process_is_alive(None, now))
        self.assertFalse(job_history.process_is_alive(0, now))
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        self.assertFalse(job_history.process_is_alive(child.pid, now))
        if job_history.process_start_time(os.getpid()) is not None:
            # our pid, as if recorded for a run that started before this process: another process
            self.assertFalse(job_history.process_is_alive(os.getpid(), now - 86400))


if __name__ == "__main__":
    import unittest

    unittest.main()
