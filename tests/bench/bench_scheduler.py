"""The scheduler: CPU seconds per hour of idle waiting, and the delay from due time to the job's start.

One real ``run-schedule`` process, on the real clock, runs a tiny job every
minute (``check-config`` of an empty schedule file). The bench watches it
from outside: the delay is the time from the minute boundary until the
scheduler has a child (polled every millisecond in /proc), for two slots;
the idle cost is the scheduler's own CPU time (from /proc/PID/schedstat)
over the ~55 seconds between the first run's end and the next slot, scaled
to an hour. It takes up to two minutes: it waits for two minute boundaries.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IDLE_GOAL = 0.1   # CPU seconds per idle hour
DELAY_GOAL = 1.0  # seconds from the due time to the job's start
SLOTS = 2


def _cpu_seconds(pid):
    """The CPU time of ``pid`` so far: from /proc/PID/schedstat in nanoseconds where it exists
    (utime and stime count whole clock ticks, too coarse for a minute of idling)."""
    try:
        with open("/proc/%d/schedstat" % pid, "rb") as stream:
            return int(stream.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        with open("/proc/%d/stat" % pid, "rb") as stream:
            fields = stream.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _has_child(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid), "rb") as stream:
            return bool(stream.read().strip())
    except OSError:
        return False


def _wait_for_child(pid, slot):
    """Seconds from ``slot`` (a wall-clock time) until ``pid`` has a child."""
    while time.time() < slot - 0.5:
        time.sleep(0.2)
    while not _has_child(pid):
        time.sleep(0.001)
    return time.time() - slot


def run(table):
    if not os.path.exists("/proc/self/task/%d/children" % os.getpid()):
        table.row("scheduler", "n/a", "needs Linux /proc children", None)
        return
    folder = tempfile.mkdtemp(prefix="prospector-bench-")
    try:
        good = os.path.join(folder, "empty.yaml")
        with open(good, "w") as stream:
            stream.write("jobs: []\n")
        schedule = os.path.join(folder, "schedule.yaml")
        with open(schedule, "w") as stream:
            stream.write("timezone: UTC\njobs:\n  - name: tick\n    command: [check-config, %s]\n"
                         "    schedule: '* * * * *'\n    catch_up: false\n" % good)
        environ = dict(os.environ, PYTHONPATH=ROOT)
        # Not too close to a boundary: start at least 5 seconds before the next one.
        while 55 < time.time() % 60:
            time.sleep(0.2)
        process = subprocess.Popen(
            [sys.executable, "-m", "prospector_scheduler", "-q", "--db", os.path.join(folder, "p.db"),
             "run-schedule", "--schedule", schedule], cwd=folder, env=environ,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            delays = []
            idle = None
            slot = (int(time.time()) // 60 + 1) * 60
            for index in range(SLOTS):
                delays.append(_wait_for_child(process.pid, slot))
                if index == 0:
                    time.sleep(3)  # the run ends
                    start_cpu, start = _cpu_seconds(process.pid), time.monotonic()
                    while time.time() < slot + 58:
                        time.sleep(0.5)
                    idle = (_cpu_seconds(process.pid) - start_cpu) * 3600 / (time.monotonic() - start)
                slot += 60
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        table.row("idle CPU per hour (measured over 55 s, scaled)", "%.4f s" % idle, "< %.1f s" % IDLE_GOAL,
                  idle < IDLE_GOAL)
        table.row("due time to the job's start (worst of %d)" % SLOTS, "%.3f s" % max(delays),
                  "< %.0f s" % DELAY_GOAL, max(delays) < DELAY_GOAL)
    finally:
        shutil.rmtree(folder, True)


if __name__ == "__main__":
    from tests.bench.__main__ import Table

    run(Table(sys.stdout))
