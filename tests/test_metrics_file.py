"""Tests for metrics_file: what a previous file knew, merged with the database and the run that writes it."""

import unittest

from prospector_scheduler import metrics, metrics_file, store
from prospector_scheduler.context import Settings
from prospector_scheduler.metrics import JobStatus
from tests import support

SUCCESS = JobStatus("sync-users", "2024-05-01T02:00:03Z", "2024-05-01T02:00:03Z", "ok", 0, 3.0, 0, (("ok", 1),))
FAILED = JobStatus('a "quoted"\\job\n', "2024-05-01T02:00:03Z", "2024-05-02T02:00:01Z", "failed", 65, 0.25, 2)


class PreviousStatusesTest(unittest.TestCase):
    def test_a_file_of_ours_reads_back(self):
        text = metrics.prometheus_text([SUCCESS, FAILED, JobStatus("never")])
        self.assertEqual(metrics_file.previous_statuses(text), {
            "sync-users": SUCCESS._replace(runs=()),
            FAILED.job: FAILED,
        })

    def test_what_is_not_ours_is_ignored(self):
        text = ("prospector_scheduler_last_exit_code{job_name=\"x\"} 1\n"  # no last run time: left out
                "prospector_scheduler_last_run_timestamp_seconds{job_name=\"y\"} nonsense\n"
                "prospector_scheduler_last_exit_code{job_name=\"y\"} 1\n"
                "other_metric{job_name=\"z\"} 1\n")
        self.assertEqual(metrics_file.previous_statuses(text), {})


class StatusesForFileTest(unittest.TestCase):
    def test_the_database_wins_when_it_knows_a_later_run(self):
        later = SUCCESS._replace(last_success="2024-05-03T02:00:00Z", last_run="2024-05-03T02:00:00Z")
        previous = {"sync-users": SUCCESS._replace(last_run="2024-05-02T02:00:00Z", last_exit_code=65,
                                                   last_outcome="failed", failures_in_a_row=1)}
        self.assertEqual(metrics_file.statuses_for_file([later], previous), [later])

    def test_the_previous_file_wins_when_it_knows_a_later_run(self):
        previous = {"sync-users": SUCCESS._replace(last_run="2024-05-02T02:00:00Z", last_exit_code=65,
                                                   last_outcome="failed", failures_in_a_row=1, runs=())}
        self.assertEqual(metrics_file.statuses_for_file([SUCCESS], previous),
                         [previous["sync-users"]._replace(runs=(("ok", 1),))])

    def test_a_failure_in_the_same_second_as_the_last_success(self):
        previous = {"sync-users": SUCCESS._replace(last_exit_code=65, last_outcome="failed", failures_in_a_row=1)}
        [merged] = metrics_file.statuses_for_file([SUCCESS], previous)
        self.assertEqual((merged.last_exit_code, merged.failures_in_a_row), (65, 1))

    def test_the_run_that_writes_the_file(self):
        run = metrics_file.Run("sync-users", "2024-05-02T02:00:01Z", 66, 0.5)
        [merged] = metrics_file.statuses_for_file([SUCCESS], {}, run)
        self.assertEqual(merged, SUCCESS._replace(last_run="2024-05-02T02:00:01Z", last_outcome="failed",
                                                  last_exit_code=66, last_duration=0.5, failures_in_a_row=1))

    def test_a_job_only_the_file_knows(self):
        run = metrics_file.Run("greet", "2024-05-02T02:00:01Z", 0, 0.5)
        self.assertEqual(metrics_file.statuses_for_file([SUCCESS], {}, run), [
            JobStatus("greet", "2024-05-02T02:00:01Z", "2024-05-02T02:00:01Z", "ok", 0, 0.5, 0), SUCCESS])


class RunEndHookTest(support.TemporaryDirectoryTestCase):
    def test_without_the_option_there_is_no_hook(self):
        self.assertIsNone(metrics_file.run_end_hook(Settings("p.db"), warn=None))

    def test_it_writes_the_file_and_a_failure_is_a_warning(self):
        store.open_database(self.path("p.db")).close()
        warnings = []
        hook = metrics_file.run_end_hook(Settings(self.path("p.db"), metrics_file=self.path("m.prom")),
                                         warnings.append)
        hook("backup", "ok", 0)
        with open(self.path("m.prom")) as stream:
            self.assertIn('prospector_scheduler_last_success_timestamp_seconds{job_name="sync-users"} 0\n',
                          stream.read())
        missing = self.path("missing", "m.prom")
        hook = metrics_file.run_end_hook(Settings(self.path("p.db"), metrics_file=missing), warnings.append)
        hook("backup", "failed", 1)
        self.assertEqual(warnings, ["cannot write the metrics file %s: the directory %s does not exist"
                                    % (missing, self.path("missing"))])


if __name__ == "__main__":
    unittest.main()
