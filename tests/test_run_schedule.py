"""run-schedule, run-job and list-schedule as real processes.

The scheduler runs on the test clock ($PROSPECTOR_TEST_CLOCK "EPOCH SPEED"):
at speed 30 a minute of schedule passes every two seconds, so that "* * * * *"
jobs run every two seconds. A job that must run for a while reads a FIFO
(check-config FIFO), which blocks until the test writes to it. The tests
wait for states of the database, never for a length of time.
"""

import errno
import json
import os
import signal
import sqlite3
import subprocess
import time

from tests.support import TemporaryDirectoryTestCase, process_environment, python_command, run_process

T0 = 1704067200  # 2024-01-01T00:00:00Z, a minute boundary
SPEED = 30  # a minute of schedule every two seconds: time enough for a job on a loaded machine
PATIENCE = 30  # seconds before a wait gives up (a failure, never a figure)


def stamp(instant):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(instant))


class SchedulerProcessTestCase(TemporaryDirectoryTestCase):
    def setUp(self):
        TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("p.db")
        self.good = self.write("good.yaml", "jobs: []\n")
        self.fifo = self.path("fifo.yaml")
        os.mkfifo(self.fifo)
        self.processes = []

    def tearDown(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        TemporaryDirectoryTestCase.tearDown(self)

    def schedule(self, jobs, name="schedule.yaml"):
        """Write a schedule file of ``(name, command, schedule, extra lines)`` jobs."""
        lines = ["timezone: UTC", "jobs:"]
        for job_name, command, schedule, extra in jobs:
            lines.append("  - name: %s" % job_name)
            lines.append("    command: %s" % json.dumps(command))
            lines.append("    schedule: %s" % json.dumps(schedule))
            lines.extend("    " + line for line in extra)
            if not any(line.startswith("catch_up:") for line in extra):
                lines.append("    catch_up: false")  # no run at the first start: the tests count runs
        return self.write(name, "\n".join(lines) + "\n")

    def start(self, schedule, epoch, *options, speed=SPEED):
        """Start run-schedule on the test clock; its output goes to files (see ``output``)."""
        index = len(self.processes)
        out = open(self.path("out-%d" % index), "wb")
        err = open(self.path("err-%d" % index), "wb")
        self.addCleanup(out.close)
        self.addCleanup(err.close)
        process = subprocess.Popen(
            python_command("-m", "prospector_scheduler", "--db", self.db, "run-schedule", "--schedule", schedule)
            + list(options),
            stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self.tmp,
            env=process_environment({"PROSPECTOR_TEST_CLOCK": "%d %d" % (epoch, speed)}))
        self.processes.append(process)
        return process

    def output(self, index, stream="err"):
        with open(self.path("%s-%d" % (stream, index)), encoding="utf-8") as handle:
            return handle.read()

    def rows(self, where="1", parameters=()):
        if not os.path.exists(self.db):
            return []
        connection = sqlite3.connect(self.db, timeout=30)
        try:
            return connection.execute(
                "SELECT job, scheduled_for, trigger, outcome, exit_code, pid, started_at FROM job_runs WHERE %s "
                "ORDER BY id" % where, parameters).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise
        finally:
            connection.close()

    def wait_for(self, condition, what):
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        self.fail("gave up waiting for %s; runs: %r; stderr: %r" % (what, self.rows(), self.output(0)))

    def release_fifo(self):
        """Let the job blocked on the FIFO read a valid schedule and end."""
        def opened():
            try:
                return os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                if error.errno == errno.ENXIO:  # no reader yet
                    return None
                raise
        descriptor = self.wait_for(opened, "a reader of the FIFO")
        os.write(descriptor, b"jobs: []\n")
        os.close(descriptor)

    def stop(self, process):
        process.send_signal(signal.SIGTERM)
        return process.wait(PATIENCE)

    def child_pid(self, job, scheduler):
        """The pid of the running child of ``job``, once the scheduler has recorded it."""
        def recorded():
            for row in self.rows("job = ? AND outcome = 'running'", (job,)):
                if row[5] != scheduler.pid:
                    return row[5]
            return None
        return self.wait_for(recorded, "the child of %s" % job)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as stream:
            return stream.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


class RunScheduleTest(SchedulerProcessTestCase):
    def test_jobs_run_on_time_and_an_overrun_is_skipped_with_one_warning(self):
        schedule = self.schedule([("quick", ["check-config", self.good], "* * * * *", []),
                                  ("stuck", ["check-config", self.fifo], "* * * * *", [])])
        process = self.start(schedule, T0 - 30)
        self.wait_for(lambda: len(self.rows("job = 'quick' AND outcome = 'ok'")) >= 3, "three runs of quick")
        self.release_fifo()
        self.wait_for(lambda: self.rows("job = 'stuck' AND outcome = 'ok'"), "stuck to end")
        self.assertEqual(self.stop(process), 0)
        quick = self.rows("job = 'quick' AND outcome = 'ok'")
        slots = [row[1] for row in quick]
        self.assertEqual(slots[:3], [stamp(T0), stamp(T0 + 60), stamp(T0 + 120)])
        for job, slot, trigger, outcome, code, pid, started_at in quick:
            self.assertEqual((trigger, code), ("schedule", 0))
            # on time: started within a second (30 seconds of the test clock) of the slot
            self.assertLessEqual(time.mktime(time.strptime(started_at, "%Y-%m-%dT%H:%M:%SZ"))
                                 - time.mktime(time.strptime(slot, "%Y-%m-%dT%H:%M:%SZ")), 30)
        stuck = self.rows("job = 'stuck'")
        self.assertEqual(stuck[0][1:5], (stamp(T0), "schedule", "ok", 0))
        self.assertGreaterEqual([row[3] for row in stuck].count("skipped"), 2)
        out, err = self.output(0, "out"), self.output(0)
        self.assertEqual(out.count("quick: %s: 0 jobs OK\n" % self.good), len(quick))
        self.assertIn("stuck: %s: 0 jobs OK\n" % self.fifo, out)
        warnings = [line for line in err.splitlines() if "still running" in line]
        self.assertEqual(len(warnings), 1, err)
        self.assertRegex(warnings[0], r"^prospector-scheduler: warning: stuck: still running \(pid \d+, since "
                                      r"2024-01-01T00:00:\d\dZ\): skipped the run due at 2024-01-01T00:01:00Z, and "
                                      r"every further one until it ends$")
        self.assertRegex(err, r"\nprospector-scheduler: SIGTERM: stopping(; waiting up to 8 s for quick)?\n")
        self.assertTrue(err.endswith("\nprospector-scheduler: stopped\n"), err)

    def test_a_timeout_sends_sigterm_and_once_exits_with_the_worst_code(self):
        schedule = self.schedule([("stuck", ["check-config", self.fifo], "* * * * *", ["timeout: 1"]),
                                  ("later", ["check-config", self.good], "0 3 * * *", [])])
        process = self.start(schedule, T0 + 2, "--once", "--log-format", "json")
        self.assertEqual(process.wait(PATIENCE), 75)
        self.assertEqual(self.rows(), [("stuck", stamp(T0), "schedule", "timed_out", 143, self.rows()[0][5],
                                        self.rows()[0][6])])
        events = [json.loads(line) for line in self.output(0, "out").splitlines()]
        self.assertEqual([event["event"] for event in events], ["started", "timed_out", "ended"])
        self.assertEqual((events[1]["level"], events[1]["message"], events[1]["timeout"]),
                         ("warning", "timed out after 1 s: sent SIGTERM", 1))
        self.assertEqual((events[2]["outcome"], events[2]["exit_code"]), ("timed_out", 143))
        self.assertEqual(self.output(0), "")

    def test_sigterm_during_a_run_stops_cleanly_and_reaps_the_child(self):
        schedule = self.schedule([("stuck", ["check-config", self.fifo], "* * * * *", [])])
        process = self.start(schedule, T0 - 30)
        child = self.child_pid("stuck", process)
        self.assertEqual(self.stop(process), 0)
        self.assertFalse(alive(child))
        self.assertEqual([row[3:5] for row in self.rows()], [("killed", 143)])
        self.assertRegex(self.output(0), r"SIGTERM: stopping; waiting up to 8 s for stuck\n"
                                         r"prospector-scheduler: warning: stuck: ended: killed, exit code 143, "
                                         r"[0-9.]+ s\nprospector-scheduler: stopped\n$")

    def test_sighup_with_a_broken_file_keeps_the_old_schedule(self):
        schedule = self.schedule([("quick", ["check-config", self.good], "* * * * *", [])])
        process = self.start(schedule, T0 - 30)
        self.wait_for(lambda: self.rows("outcome = 'ok'"), "a first run")
        self.write("schedule.yaml", "timezone: UTC\njobs:\n  - name: quick\n    command: [check-config]\n"
                                    "    schedule: '61 * * * *'\n")
        process.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "keeping the old schedule" in self.output(0), "the reload to fail")
        done = len(self.rows("outcome = 'ok'"))
        self.wait_for(lambda: len(self.rows("outcome = 'ok'")) > done, "a run on the old schedule")
        self.schedule([("quick", ["check-config", self.good], "* * * * *", []),
                       ("second", ["check-config", self.good], "* * * * *", [])])
        process.send_signal(signal.SIGHUP)
        self.wait_for(lambda: self.rows("job = 'second' AND outcome = 'ok'"), "a run of the new job")
        self.assertEqual(self.stop(process), 0)
        err = self.output(0)
        self.assertIn(
            "prospector-scheduler: error: %s:4:14: jobs[0].command: check-config does not accept these arguments: "
            "the following arguments are required: FILE (see 'prospector-scheduler check-config --help')\n"
            "prospector-scheduler: error: %s:5:15: jobs[0].schedule: minute field '61': 61 is out of range 0-59\n"
            % (schedule, schedule), err)
        self.assertIn("prospector-scheduler: warning: the schedule file has errors; keeping the old schedule\n", err)
        self.assertIn("prospector-scheduler: reloaded %s: 2 jobs\n" % schedule, err)

    def test_two_schedulers_on_one_database_never_run_a_slot_twice(self):
        schedule = self.schedule([("quick", ["check-config", self.good], "* * * * *", [])])
        first = self.start(schedule, T0 - 30)
        second = self.start(schedule, T0 - 30)
        self.wait_for(lambda: len(self.rows("outcome = 'ok'")) >= 3, "three runs")
        self.assertEqual((self.stop(first), self.stop(second)), (0, 0))
        slots = [row[1] for row in self.rows()]
        self.assertEqual(len(slots), len(set(slots)), self.rows())
        lines = self.output(0, "out").count("quick: ") + self.output(1, "out").count("quick: ")
        self.assertEqual(lines, len(self.rows("outcome = 'ok'")))

    def test_after_sigkill_a_new_scheduler_runs_the_catch_up_once_and_the_next_slot(self):
        schedule = self.schedule([("quick", ["check-config", self.good], "* * * * *", ["catch_up: true"]),
                                  ("stuck", ["check-config", self.fifo], "* * * * *", ["catch_up: false"])])
        first = self.start(schedule, T0 - 30)
        orphan = self.child_pid("stuck", first)
        self.wait_for(lambda: self.rows("job = 'quick' AND outcome = 'ok'"), "a run of quick")
        first.kill()
        first.wait()
        os.kill(orphan, signal.SIGKILL)  # as the end of a container would
        self.wait_for(lambda: not alive(orphan) or zombie(orphan), "the orphan to die")
        # Five slots later, at half speed: the catch-up has ended well before the next slot.
        second = self.start(schedule, T0 + 5 * 60 + 5, speed=SPEED // 2)
        # (the first scheduler, killed within seconds, cannot have reached these slots)
        self.wait_for(lambda: self.rows("job = 'quick' AND scheduled_for = ? AND outcome = 'ok'",
                                        (stamp(T0 + 360),)), "the next slot after the restart")
        self.assertEqual(self.stop(second), 0)
        quick = [(slot, trigger, outcome) for _job, slot, trigger, outcome, _code, _pid, _started in
                 self.rows("job = 'quick' AND scheduled_for >= ?", (stamp(T0 + 300),))]
        self.assertEqual(quick[:2], [(stamp(T0 + 300), "catch-up", "ok"), (stamp(T0 + 360), "schedule", "ok")])
        stuck = self.rows("job = 'stuck'")
        self.assertEqual(stuck[0][1:4], (stamp(T0), "schedule", "killed"))
        self.assertEqual(stuck[1][1:4], (stamp(T0 + 360), "schedule", "running") if stuck[1][3] == "running"
                         else (stamp(T0 + 360), "schedule", "killed"))


class RunJobAndListScheduleTest(SchedulerProcessTestCase):
    def test_run_job_records_a_manual_run_and_refuses_while_it_runs(self):
        schedule = self.schedule([("quick", ["check-config", self.good], "0 2 * * *", []),
                                  ("stuck", ["check-config", self.fifo], "0 2 * * *", [])])
        result = run_process(["--db", self.db, "run-job", "--schedule", schedule, "quick"], cwd=self.tmp)
        self.assertEqual((result.code, result.stdout), (0, "quick: %s: 0 jobs OK\n" % self.good), result)
        self.assertEqual([row[:5] for row in self.rows()], [("quick", None, "manual", "ok", 0)])
        running = subprocess.Popen(
            python_command("-m", "prospector_scheduler", "--db", self.db, "-q", "run-job", "--schedule", schedule,
                           "stuck"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=process_environment())
        self.processes.append(running)
        self.child_pid("stuck", running)
        refused = run_process(["--db", self.db, "run-job", "--schedule", schedule, "stuck"], cwd=self.tmp)
        self.assertEqual(refused.code, 75)
        self.assertRegex(refused.stderr, r"^prospector-scheduler: error: the job stuck is running \(on .+, pid \d+, "
                                         r"since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); try again later\n$")
        self.release_fifo()
        self.assertEqual(running.wait(PATIENCE), 0)
        unknown = run_process(["--db", self.db, "run-job", "--schedule", schedule, "nope"], cwd=self.tmp)
        self.assertEqual((unknown.code, unknown.stderr), (64, "prospector-scheduler: error: run-job: no job is named "
                                                              "'nope' in %s (jobs: quick, stuck)\n" % schedule))

    def test_list_schedule(self):
        schedule = self.schedule([("quick", ["check-config", self.good], "0 2 * * *", []),
                                  ("off", ["check-config", self.good], "@weekly", ["enabled: false"])])
        environ = {"PROSPECTOR_TEST_CLOCK": "%d 1" % (T0 + 3600)}
        before = run_process(["--db", self.db, "list-schedule", "--schedule", schedule], env=environ)
        self.assertEqual((before.code, before.stderr), (0, ""))
        self.assertEqual(before.stdout, (
            "JOB    SCHEDULE   NEXT RUNS (UTC)                                                         LAST RUN\n"
            "quick  0 2 * * *  2024-01-01 02:00+00:00, 2024-01-02 02:00+00:00, 2024-01-03 02:00+00:00  never\n"
            "off    @weekly    disabled                                                                never\n"))
        self.assertFalse(os.path.exists(self.db))
        self.assertEqual(run_process(["--db", self.db, "run-job", "--schedule", schedule, "quick"]).code, 0)
        listed = run_process(["--db", self.db, "list-schedule", "--schedule", schedule, "--format", "json"],
                             env=environ)
        self.assertEqual(listed.code, 0, listed)
        document = json.loads(listed.stdout)
        self.assertEqual(document["timezone"], "UTC")
        quick, off = document["jobs"]
        self.assertEqual(quick["next_runs"], ["2024-01-01T02:00:00Z", "2024-01-02T02:00:00Z", "2024-01-03T02:00:00Z"])
        self.assertEqual((quick["last_run"]["trigger"], quick["last_run"]["outcome"], quick["last_run"]["exit_code"]),
                         ("manual", "ok", 0))
        self.assertEqual((off["enabled"], off["next_runs"], off["last_run"]), (False, [], None))


if __name__ == "__main__":
    import unittest

    unittest.main()
