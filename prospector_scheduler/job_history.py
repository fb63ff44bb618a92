"""The history of scheduled and manual job runs (table ``job_runs``), and slot claims.

One row per run: a job's scheduled slot is *claimed* by inserting its row with
outcome ``running`` inside a write transaction, and the unique index on
``(job, scheduled_for)`` makes a slot claimable once, however many schedulers
share the database. The row is finished with the outcome, exit code and
duration. A running row whose process is gone is not a claim any more: on this
host, when its pid is dead (or is now another process, started after the run);
from another host, when it is older than the job's timeout plus a margin, or
than ``STALE_WITHOUT_TIMEOUT`` for a job without one. Such a row is closed as
``killed`` by the next claim of the same job. History is kept to the newest
``keep`` finished runs per job. Never a job's output.

The schema (version 3) is created by ``schema.MIGRATIONS``; this module only
reads and writes it. It does not run processes (``scheduler``).
"""

import os
import socket
import time
import typing

from prospector_scheduler import database_errors, store

__all__ = ["JobRun", "Claim", "JobHistory", "OUTCOMES", "TRIGGERS", "DEFAULT_KEEP"]

OUTCOMES = ("running", "ok", "failed", "timed_out", "skipped", "killed")
TRIGGERS = ("schedule", "catch-up", "manual")
DEFAULT_KEEP = 100
# A claim from another host, for a job without a timeout, is taken over after this long.
STALE_WITHOUT_TIMEOUT = 24 * 3600
# Beyond a job's timeout, how long a claim from another host still counts (its grace, a slow stop).
STALE_MARGIN = 120

COLUMNS = ("id", "job", "scheduled_for", "trigger", "started_at", "ended_at", "duration", "exit_code",
           "outcome", "host", "pid")


class JobRun(typing.NamedTuple):
    """One row of ``job_runs``. Times are ``store.TIME_FORMAT`` text (UTC)."""

    id: int
    job: str
    scheduled_for: typing.Optional[str]
    trigger: str
    started_at: str
    ended_at: typing.Optional[str]
    duration: typing.Optional[float]
    exit_code: typing.Optional[int]
    outcome: str
    host: str
    pid: typing.Optional[int]


class Claim(typing.NamedTuple):
    """What ``claim`` decided: ``status`` is ``claimed`` (run it: ``run_id``), ``taken``
    (another scheduler has this slot already) or ``busy`` (the job is running: ``running``
    is that run; the slot, if any, was recorded as skipped)."""

    status: str
    run_id: typing.Optional[int]
    running: typing.Optional[JobRun]


def format_time(instant):
    """``instant`` (seconds since the epoch) as ``store.TIME_FORMAT`` text."""
    return time.strftime(store.TIME_FORMAT, time.gmtime(int(instant // 1)))


def parse_time(text):
    """The seconds since the epoch of ``store.TIME_FORMAT`` text."""
    import calendar

    return calendar.timegm(time.strptime(text, store.TIME_FORMAT))


def _process_status(pid):
    """``(state letter, start time in seconds since the epoch)`` from /proc, or None where it tells nothing."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as stream:
            fields = stream.read().rsplit(b")", 1)[1].split()
        with open("/proc/stat", "rb") as stream:
            boot = next(int(line.split()[1]) for line in stream if line.startswith(b"btime "))
        ticks = os.sysconf("SC_CLK_TCK")
        return fields[0].decode("ascii", "replace"), boot + int(fields[19]) / ticks
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def process_start_time(pid):
    """When process ``pid`` started (seconds since the epoch), where /proc tells; else None."""
    status = _process_status(pid)
    return None if status is None else status[1]


def process_is_alive(pid, since):
    """Whether ``pid`` is a live process on this host (not a zombie) that started no later than
    ``since`` (None: whenever it started)."""
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by another user
    status = _process_status(pid)
    if status is None:
        return True
    state, started = status
    if state == "Z":  # it has ended; nobody has reaped it yet
        return False
    # A pid used again by a process that started after the run is not the run.
    return since is None or started <= since + 2


def process_exists(pid, since):
    """``process_is_alive`` without the start time: for a clock that is not the system's (tests)."""
    return process_is_alive(pid, None)


class JobHistory(object):
    """The job runs of one open database (a ``store.UserStore`` of schema version 3 or later)."""

    def __init__(self, database, host=None, is_alive=process_is_alive):
        self.database = database
        self.connection = database.connection
        self.host = socket.gethostname() if host is None else host
        self.is_alive = is_alive

    def _errors(self):
        return database_errors.translated_errors(self.database.path, self.database.busy_wait, self.database.read_only)

    def has_table(self):
        """Whether the database has ``job_runs`` (an older or empty one has not)."""
        with self._errors():
            row = self.connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job_runs'").fetchone()
        return row is not None

    # Writing

    def claim(self, job, scheduled_for, trigger, now, timeout=None, pid=None):
        """Claim the slot ``scheduled_for`` (an instant, or None for a manual run) of ``job``.

        In one write transaction: close the job's stale running rows as
        killed; if this slot has a row, ``taken``; if the job is running,
        record the slot as skipped and return ``busy``; else insert the
        running row and return ``claimed``.
        """
        slot = None if scheduled_for is None else format_time(scheduled_for)
        with self.database.write_transaction(), self._errors():
            self._close_stale(job, now, timeout)
            if slot is not None and self.connection.execute(
                    "SELECT 1 FROM job_runs WHERE job = ? AND scheduled_for = ?", (job, slot)).fetchone():
                return Claim("taken", None, None)
            running = self._running(job)
            outcome = "running" if running is None else "skipped"
            if running is not None and slot is None:
                return Claim("busy", None, running)
            cursor = self.connection.execute(
                "INSERT INTO job_runs (job, scheduled_for, trigger, started_at, ended_at, duration, "
                "exit_code, outcome, host, pid) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
                (job, slot, trigger, format_time(now), None if running is None else format_time(now),
                 None if running is None else 0.0, outcome, self.host, os.getpid() if pid is None else pid))
            if running is not None:
                return Claim("busy", cursor.lastrowid, running)
            return Claim("claimed", cursor.lastrowid, None)

    def _running(self, job):
        row = self.connection.execute(
            "SELECT %s FROM job_runs WHERE job = ? AND outcome = 'running' ORDER BY id DESC LIMIT 1"
            % ", ".join(COLUMNS), (job,)).fetchone()
        return None if row is None else JobRun._make(row)

    def is_stale(self, run, now, timeout=None):
        """Whether the running row ``run`` no longer stands for a live run."""
        started = parse_time(run.started_at)
        if run.host == self.host:
            return not self.is_alive(run.pid, started)
        limit = STALE_WITHOUT_TIMEOUT if timeout is None else timeout + STALE_MARGIN
        return now - started > limit

    def _close_stale(self, job, now, timeout):
        rows = self.connection.execute(
            "SELECT %s FROM job_runs WHERE job = ? AND outcome = 'running'" % ", ".join(COLUMNS), (job,))
        for run in [JobRun._make(row) for row in rows]:
            if self.is_stale(run, now, timeout):
                self.connection.execute(
                    "UPDATE job_runs SET outcome = 'killed', ended_at = ?, duration = ? WHERE id = ?",
                    (format_time(now), max(0.0, now - parse_time(run.started_at)), run.id))

    def set_pid(self, run_id, pid):
        """The run ``run_id`` is now carried by process ``pid`` (the child)."""
        with self.database.write_transaction(), self._errors():
            self.connection.execute("UPDATE job_runs SET pid = ? WHERE id = ?", (pid, run_id))

    def finish(self, run_id, outcome, exit_code, now, duration, keep=DEFAULT_KEEP):
        """Close the run ``run_id`` and keep only the newest ``keep`` finished runs of its job."""
        if outcome not in OUTCOMES or outcome == "running":
            raise ValueError("not a final outcome: %r" % (outcome,))
        with self.database.write_transaction(), self._errors():
            self.connection.execute(
                "UPDATE job_runs SET outcome = ?, exit_code = ?, ended_at = ?, duration = ? WHERE id = ?",
                (outcome, exit_code, format_time(now), round(duration, 3), run_id))
            row = self.connection.execute("SELECT job FROM job_runs WHERE id = ?", (run_id,)).fetchone()
            if row is not None:
                self._prune(row[0], keep)

    def _prune(self, job, keep):
        self.connection.execute(
            "DELETE FROM job_runs WHERE job = ? AND outcome != 'running' AND id NOT IN "
            "(SELECT id FROM job_runs WHERE job = ? AND outcome != 'running' ORDER BY id DESC LIMIT ?)",
            (job, job, keep))

    # Reading (for list-schedule, run-schedule's catch-up, status and metrics)

    def runs(self, job=None, limit=None):
        """Runs, newest first: of ``job`` only when given, at most ``limit``."""
        if not self.has_table():
            return []
        sql = "SELECT %s FROM job_runs" % ", ".join(COLUMNS)
        parameters = []
        if job is not None:
            sql += " WHERE job = ?"
            parameters.append(job)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            parameters.append(limit)
        with self._errors():
            return [JobRun._make(row) for row in self.connection.execute(sql, parameters)]

    def last_runs(self):
        """``{job: its newest JobRun}`` for every job in the history."""
        if not self.has_table():
            return {}
        with self._errors():
            rows = self.connection.execute(
                "SELECT %s FROM job_runs WHERE id IN (SELECT MAX(id) FROM job_runs GROUP BY job)"
                % ", ".join(COLUMNS))
            return dict((run.job, run) for run in (JobRun._make(row) for row in rows))

    def last_slot(self, job):
        """The newest scheduled slot of ``job`` recorded in any way (seconds), or None."""
        if not self.has_table():
            return None
        with self._errors():
            row = self.connection.execute(
                "SELECT MAX(scheduled_for) FROM job_runs WHERE job = ?", (job,)).fetchone()
        return None if row[0] is None else parse_time(row[0])
