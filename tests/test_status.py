"""Tests for the status command and the global --metrics-file, through the command line."""

import json
import os
import re
import stat
import subprocess
import time

from prospector_scheduler import metrics, store
from tests import support
from tests.prometheus_format import naming_problems, parse
from tests.test_metrics import add_job_run
from tests.test_nagios_check import check_format
from tests.test_run_schedule import T0, SchedulerProcessTestCase

ENV = {"PROSPECTOR_HASH_COST": "low"}
HOUR = 3600
P = "prospector_scheduler_"


def ago(seconds):
    return metrics.from_epoch(time.time() - seconds)


def samples_by_name(text):
    """``{(name, job_name[, outcome]): value}`` of a Prometheus text, checked against the format."""
    found = {}
    for name, labels, value in parse(text):
        key = (name[len(P):], labels["job_name"]) + ((labels["outcome"],) if "outcome" in labels else ())
        found[key] = value
    return found


class StatusTest(support.TemporaryDirectoryTestCase):
    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("p.db")
        self.users = self.write("users.json", '{"users": [{"username": "ann", "password": "Status-secret-1"}]}')

    def cli(self, *arguments):
        return support.run_cli(["--db", self.db] + list(arguments), environ=ENV)

    def sync(self, *global_options):
        result = support.run_cli(list(global_options) + ["-q", "--db", self.db, "sync-users", self.users],
                                 environ=ENV)
        self.assertEqual(result.code, 0, result)

    def status_json(self):
        result = self.cli("status", "--format", "json")
        self.assertEqual((result.code, result.stderr), (0, ""))
        return dict((job["job"], job) for job in json.loads(result.stdout)["jobs"])

    def test_no_database(self):
        result = self.cli("status")
        self.assertEqual((result.code, result.stdout, result.stderr),
                         (73, "", "prospector-scheduler: error: there is no database at %s\n" % self.db))

    def test_after_no_run(self):
        store.open_database(self.db).close()
        result = self.cli("status")
        self.assertEqual((result.code, result.stderr), (0, ""))
        self.assertEqual(result.stdout, (
            "JOB         LAST SUCCESS  AGE  LAST RUN  OUTCOME  EXIT  DURATION  FAILURES IN A ROW\n"
            "sync-users  never         -    never     -        -     -         0\n"))
        self.assertEqual(self.status_json()["sync-users"], {
            "job": "sync-users", "last_success": None, "last_success_age_seconds": None, "last_run": None,
            "last_outcome": None, "last_exit_code": None, "last_duration_seconds": None, "failures_in_a_row": 0,
            "running_since": None, "runs": {}})

    def test_after_a_success(self):
        self.sync()
        with store.open_database(self.db) as database:
            [run] = database.sync_runs()
        result = self.cli("status")
        self.assertRegex(result.stdout, (
            r"\AJOB +LAST SUCCESS +AGE +LAST RUN +OUTCOME +EXIT +DURATION +FAILURES IN A ROW\n"
            r"sync-users +%s +[0-9]+s +%s +ok +0 +[0-9.]+s +0\n\Z") % (run.ended_at, run.ended_at))
        job = self.status_json()["sync-users"]
        self.assertEqual((job["last_success"], job["last_outcome"], job["last_exit_code"], job["runs"]),
                         (run.ended_at, "ok", 0, {"ok": 1}))

    def test_a_failure_then_three_failures_in_a_row(self):
        self.sync()
        add_job_run(self.db, "backup", ago(5 * HOUR), ago(5 * HOUR - 2), 0, "ok")
        add_job_run(self.db, "backup", ago(4 * HOUR), ago(4 * HOUR - 2), 74, "failed")
        self.assertEqual(self.status_json()["backup"]["failures_in_a_row"], 1)
        add_job_run(self.db, "backup", ago(3 * HOUR), ago(3 * HOUR - 2), None, "timed_out")
        add_job_run(self.db, "backup", ago(2 * HOUR), ago(2 * HOUR - 2), 1, "failed")
        job = self.status_json()["backup"]
        self.assertEqual((job["last_outcome"], job["last_exit_code"], job["failures_in_a_row"], job["runs"]),
                         ("failed", 1, 3, {"ok": 1, "failed": 2, "timed_out": 1}))
        self.assertGreaterEqual(job["last_success_age_seconds"], 5 * HOUR - 2)
        text = self.cli("status", "--job", "backup").stdout
        self.assertRegex(text.splitlines()[1], r"^backup +\S+ +4h 59m +\S+ +failed +1 +2\.0s +3$")
        check = self.cli("status", "--check", "--job", "backup", "--warning", "1h", "--critical", "1d")
        self.assertEqual(check.code, 1, check)
        self.assertRegex(check.stdout, r"^PROSPECTOR WARNING - backup last succeeded 4h 59m ago \(\S+\), "
                                       r"3 failed runs \(last exit code 1\) since \| 'age'=")

    def test_unknown_job(self):
        self.sync()
        result = self.cli("status", "--job", "backup")
        self.assertEqual((result.code, result.stdout, result.stderr), (
            64, "", "prospector-scheduler: error: status: unknown job 'backup': no run of it is recorded and no "
                    "schedule names it\n"))

    def test_every_check_exit_code(self):
        store.open_database(self.db).close()
        add_job_run(self.db, "fresh", ago(HOUR), ago(HOUR - 1), 0, "ok")
        add_job_run(self.db, "stale", ago(30 * HOUR), ago(30 * HOUR - 1), 0, "ok")
        add_job_run(self.db, "dead", ago(60 * HOUR), ago(60 * HOUR - 1), 0, "ok")
        add_job_run(self.db, "broken", ago(HOUR), ago(HOUR - 1), 2, "failed")
        thresholds = ["--warning", "26h", "--critical", "2d"]
        table = [
            (["--job", "fresh"] + thresholds, 0, "OK"),
            (["--job", "stale"] + thresholds, 1, "WARNING"),
            (["--job", "dead"] + thresholds, 2, "CRITICAL"),
            (["--job", "broken"] + thresholds, 2, "CRITICAL"),
            (thresholds, 2, "CRITICAL"),  # every job: the worst wins (sync-users never ran)
            (["--job", "nope"] + thresholds, 3, "UNKNOWN"),
            (["--job", "fresh", "--warning", "2d", "--critical", "1d"], 3, "UNKNOWN"),
            (["--job", "fresh", "--warning", "26"], 3, "UNKNOWN"),
            (["--job", "fresh"], 3, "UNKNOWN"),
            (["--bogus"] + thresholds, 3, "UNKNOWN"),
            (["--format", "json"] + thresholds, 3, "UNKNOWN"),
        ]
        for arguments, code, state in table:
            with self.subTest(arguments=arguments):
                result = self.cli("status", "--check", *arguments)
                self.assertEqual((result.code, result.stderr), (code, ""), result)
                self.assertEqual(len(result.stdout.splitlines()), 1)
                name, _, perfdata = check_format(self, result.stdout.rstrip("\n"))
                self.assertEqual(name, state)
                if code < 3:
                    self.assertTrue(perfdata)

    def test_check_unknown_messages(self):
        table = [
            (["--db", self.path("none.db"), "status", "--check", "--warning", "1h", "--critical", "2h"],
             "PROSPECTOR UNKNOWN - there is no database at %s\n" % self.path("none.db")),
            (["--db", self.db, "status", "--check", "--warning", "1h"],
             "PROSPECTOR UNKNOWN - --check needs --warning AGE and --critical AGE\n"),
            (["--db", self.db, "status", "--check", "--warning", "26", "--critical", "2d"],
             "PROSPECTOR UNKNOWN - status: argument --warning: expected an age such as 26h, 90m or 2d "
             "(a whole number and one of s, m, h, d, w), got '26' (see 'prospector-scheduler status --help')\n"),
            (["--db", self.db, "status", "--check", "--critical"],
             "PROSPECTOR UNKNOWN - status: argument --critical: expected one argument "
             "(see 'prospector-scheduler status --help')\n"),
        ]
        for arguments, stdout in table:
            with self.subTest(arguments=arguments):
                result = support.run_cli(arguments)
                self.assertEqual((result.code, result.stdout, result.stderr), (3, stdout, ""))

    def test_outside_check_mode_a_wrong_command_line_is_64(self):
        result = self.cli("status", "--warning", "26")
        self.assertEqual(result.code, 64)
        result = self.cli("status", "--warning", "26h", "--critical", "2d")
        self.assertEqual((result.code, result.stderr), (64, "prospector-scheduler: error: status: --warning and "
                                                            "--critical go with --check (see 'prospector-scheduler "
                                                            "status --help')\n"))

    def test_prometheus_format(self):
        self.sync()
        add_job_run(self.db, "backup", ago(HOUR), ago(HOUR - 3), 74, "failed", duration=3.5)
        result = self.cli("status", "--format", "prometheus")
        self.assertEqual((result.code, result.stderr), (0, ""))
        found = samples_by_name(result.stdout)
        with store.open_database(self.db) as database:
            [run] = database.sync_runs()
        self.assertEqual(found[("last_success_timestamp_seconds", "sync-users")], metrics.to_epoch(run.ended_at))
        self.assertEqual(found[("last_success_timestamp_seconds", "backup")], 0)
        self.assertEqual(found[("last_exit_code", "backup")], 74)
        self.assertEqual(found[("last_duration_seconds", "backup")], 3.5)
        self.assertEqual(found[("recorded_runs", "backup", "failed")], 1)
        self.assertEqual(found[("consecutive_failures", "backup")], 1)
        self.assertEqual(naming_problems(result.stdout, P), [])


class MetricsFileTest(support.TemporaryDirectoryTestCase):
    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("p.db")
        self.prom = self.path("prospector.prom")
        self.good = self.write("users.json", '{"users": [{"username": "ann", "password": "Metrics-secret-1"}]}')
        self.bad = self.write("bad.json", '{"users": [{"username": "ann", "pasword": "x"}]}')

    def cron_sync(self, users, code):
        """sync-users as a host cron line with --metrics-file runs it; returns the file's samples."""
        result = support.run_cli(["-q", "--db", self.db, "--metrics-file", self.prom, "sync-users", users],
                                 environ=ENV)
        self.assertEqual(result.code, code, result)
        self.assertEqual(stat.S_IMODE(os.stat(self.prom).st_mode), 0o644)
        with open(self.prom, encoding="utf-8") as stream:
            text = stream.read()
        self.assertEqual(naming_problems(text, P), [])
        return samples_by_name(text)

    def database_bytes(self):
        with open(self.db, "rb") as stream:
            return stream.read()

    def test_a_host_cron_sync_that_succeeded_then_failed(self):
        before = time.time()
        ok = self.cron_sync(self.good, 0)
        success = ok[("last_success_timestamp_seconds", "sync-users")]
        self.assertGreaterEqual(success, int(before))
        self.assertEqual((ok[("last_exit_code", "sync-users")], ok[("consecutive_failures", "sync-users")]), (0, 0))
        database = self.database_bytes()

        failed = self.cron_sync(self.bad, 65)
        self.assertEqual(self.database_bytes(), database)  # the failed sync left the database untouched
        self.assertEqual(failed[("last_success_timestamp_seconds", "sync-users")], success)
        self.assertEqual(failed[("last_exit_code", "sync-users")], 65)
        self.assertEqual(failed[("consecutive_failures", "sync-users")], 1)
        self.assertGreaterEqual(failed[("last_run_timestamp_seconds", "sync-users")], success)
        self.assertEqual(failed[("recorded_runs", "sync-users", "ok")], 1)

        again = self.cron_sync(self.path("missing.json"), 66)
        self.assertEqual(self.database_bytes(), database)
        self.assertEqual((again[("last_exit_code", "sync-users")], again[("consecutive_failures", "sync-users")],
                          again[("last_success_timestamp_seconds", "sync-users")]), (66, 2, success))

        # The database alone still tells of the success only: status without the file shows it.
        status = support.run_cli(["--db", self.db, "status", "--format", "json"])
        self.assertEqual(json.loads(status.stdout)["jobs"][0]["last_exit_code"], 0)

        recovered = self.cron_sync(self.good, 0)
        self.assertEqual((recovered[("last_exit_code", "sync-users")],
                          recovered[("consecutive_failures", "sync-users")]), (0, 0))
        self.assertGreaterEqual(recovered[("last_success_timestamp_seconds", "sync-users")], success)

    def test_a_run_before_any_database_and_a_wrong_command_line(self):
        failed = self.cron_sync(self.bad, 65)
        self.assertFalse(os.path.exists(self.db))
        self.assertEqual(failed[("last_success_timestamp_seconds", "sync-users")], 0)
        self.assertEqual(failed[("last_exit_code", "sync-users")], 64 + 1)
        result = support.run_cli(["--metrics-file", self.prom, "--db", self.db, "sync-users", "--bogus"])
        self.assertEqual(result.code, 64)
        with open(self.prom) as stream:
            found = samples_by_name(stream.read())
        self.assertEqual((found[("last_exit_code", "sync-users")], found[("consecutive_failures", "sync-users")]),
                         (64, 2))

    def test_what_is_no_job_run_is_not_recorded_but_still_writes_the_file(self):
        self.cron_sync(self.good, 0)
        with open(self.prom) as stream:
            first = stream.read()
        for arguments in (["sync-users", "--help"], ["sync-users", "--dry-run", self.bad], ["status"],
                          ["list-users"], ["nonsense"], []):
            with self.subTest(arguments=arguments):
                inode = os.stat(self.prom).st_ino
                support.run_cli(["--db", self.db, "--metrics-file=" + self.prom] + arguments, environ=ENV)
                self.assertNotEqual(os.stat(self.prom).st_ino, inode)  # written anew...
                with open(self.prom) as stream:
                    self.assertEqual(stream.read(), first)  # ...with nothing new to say

    def test_a_metrics_file_that_cannot_be_written(self):
        where = self.path("missing", "m.prom")
        message = ("prospector-scheduler: error: cannot write the metrics file %s: the directory %s does not exist\n"
                   % (where, self.path("missing")))
        ok = support.run_cli(["-q", "--db", self.db, "--metrics-file", where, "sync-users", self.good], environ=ENV)
        self.assertEqual(ok.code, 73)
        self.assertTrue(ok.stderr.endswith(message), ok.stderr)
        failed = support.run_cli(["-q", "--db", self.db, "--metrics-file", where, "sync-users", self.bad],
                                 environ=ENV)
        self.assertEqual(failed.code, 65)
        self.assertTrue(failed.stderr.endswith(message), failed.stderr)

    def test_the_metrics_file_of_a_real_process(self):
        result = support.run_process(["--db", self.db, "--metrics-file", self.prom, "sync-users", self.bad], env=ENV)
        self.assertEqual(result.code, 65)
        with open(self.prom) as stream:
            found = samples_by_name(stream.read())
        self.assertEqual(found[("last_exit_code", "sync-users")], 65)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["bad.json", "prospector.prom", "users.json"])
        with open(self.prom) as stream:
            self.assertFalse(re.search(r"Metrics-secret|pasword", stream.read()))


class JobsRunByRunJobTest(support.TemporaryDirectoryTestCase):
    """Jobs of a schedule file run by run-job (real processes), then status on the history they left."""

    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("p.db")
        users = self.write("users.json", '{"users": [{"username": "ann", "password": "RunJob-secret-1"}]}')
        self.schedule = self.write("schedule.yaml", "\n".join([
            "timezone: UTC", "jobs:",
            "  - name: sync", "    command: [sync-users, %s]" % json.dumps(users), '    schedule: "0 2 * * *"',
            "  - name: broken", "    command: [sync-users, %s]" % json.dumps(self.path("missing.json")),
            '    schedule: "0 3 * * *"',
            "  - name: never", "    command: [check-config, %s]" % json.dumps(users), '    schedule: "0 4 * * *"',
        ]) + "\n")

    def run_job(self, name, code):
        result = support.run_process(["-q", "--db", self.db, "run-job", "--schedule", self.schedule, name], env=ENV)
        self.assertEqual(result.code, code, result)

    def status(self, *arguments):
        return support.run_cli(["--db", self.db, "status", "--schedule", self.schedule] + list(arguments))

    def jobs(self):
        result = self.status("--format", "json")
        self.assertEqual((result.code, result.stderr), (0, ""))
        return dict((job["job"], job) for job in json.loads(result.stdout)["jobs"])

    def test_a_success_a_failure_three_failures_in_a_row_and_a_job_never_run(self):
        self.run_job("sync", 0)
        self.run_job("broken", 66)
        jobs = self.jobs()
        self.assertEqual(sorted(jobs), ["broken", "never", "sync", "sync-users"])
        self.assertEqual((jobs["sync"]["last_outcome"], jobs["sync"]["last_exit_code"], jobs["sync"]["runs"]),
                         ("ok", 0, {"ok": 1}))
        self.assertEqual((jobs["broken"]["last_success"], jobs["broken"]["last_outcome"],
                          jobs["broken"]["last_exit_code"], jobs["broken"]["failures_in_a_row"]),
                         (None, "failed", 66, 1))
        # The scheduled sync's own record in sync_runs is the same run, not a second one.
        self.assertEqual(jobs["sync-users"]["runs"], {"ok": 1})
        self.assertEqual(jobs["never"], {
            "job": "never", "last_success": None, "last_success_age_seconds": None, "last_run": None,
            "last_outcome": None, "last_exit_code": None, "last_duration_seconds": None, "failures_in_a_row": 0,
            "running_since": None, "runs": {}})
        self.run_job("broken", 66)
        self.run_job("broken", 66)
        jobs = self.jobs()
        self.assertEqual((jobs["broken"]["failures_in_a_row"], jobs["broken"]["runs"]), (3, {"failed": 3}))
        table = self.status().stdout.splitlines()
        self.assertRegex(table[1], r"^broken +never +- +\S+ +failed +66 +[0-9.]+s +3$")
        self.assertRegex(table[2], r"^never +never +- +never +- +- +- +0$")
        thresholds = ["--warning", "26h", "--critical", "50h"]
        for job, code, text in [("sync", 0, "sync last succeeded "), ("broken", 2, "broken never succeeded, 3 failed "
                                                                                  "runs (last exit code 66)"),
                                ("never", 2, "never never ran"), ("nope", 3, "unknown job 'nope'")]:
            with self.subTest(job=job):
                check = self.status("--check", "--job", job, *thresholds)
                self.assertEqual(check.code, code, check)
                self.assertIn(text, check.stdout)
                check_format(self, check.stdout.rstrip("\n"))
        prometheus = samples_by_name(self.status("--format", "prometheus").stdout)
        self.assertEqual((prometheus[("consecutive_failures", "broken")], prometheus[("last_exit_code", "broken")],
                          prometheus[("recorded_runs", "broken", "failed")]), (3, 66, 3))

    def test_a_schedule_that_cannot_be_read(self):
        missing = self.path("none.yaml")
        result = support.run_cli(["--db", self.db, "status", "--schedule", missing])
        self.assertEqual(result.code, 66)
        check = support.run_cli(["--db", self.db, "status", "--schedule", missing, "--check", "--warning", "1h",
                                 "--critical", "2h"])
        self.assertEqual((check.code, check.stderr), (3, ""))
        self.assertTrue(check.stdout.startswith("PROSPECTOR UNKNOWN - %s: " % missing), check.stdout)


class RunScheduleMetricsFileTest(SchedulerProcessTestCase):
    def test_run_schedule_rewrites_the_metrics_file_after_every_run(self):
        schedule = self.schedule([("quick", ["check-config", self.good], "* * * * *", [])])
        prom = self.path("m.prom")
        # As self.start() does, with the global --metrics-file; the file appears only through the
        # scheduler's after-run hook, since the tool's own last write comes after the stop.
        process = subprocess.Popen(
            support.python_command("-m", "prospector_scheduler", "--db", self.db, "--metrics-file", prom,
                                   "run-schedule", "--schedule", schedule),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.tmp,
            env=support.process_environment({"PROSPECTOR_TEST_CLOCK": "%d %d" % (T0 + 30, 60)}))
        self.processes.append(process)

        def two_runs_in_the_file():
            if not os.path.exists(prom):
                return None
            with open(prom) as stream:
                found = samples_by_name(stream.read())
            return found if found.get(("recorded_runs", "quick", "ok"), 0) >= 2 else None

        found = self.wait_for(two_runs_in_the_file, "two runs of quick in the metrics file")
        self.assertEqual(found[("last_exit_code", "quick")], 0)
        self.assertEqual(self.stop(process), 0)
        self.assertEqual(stat.S_IMODE(os.stat(prom).st_mode), 0o644)
