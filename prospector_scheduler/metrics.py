"""The status facts of the jobs, and their Prometheus text exposition.

For each job: when it last succeeded, its last finished run (when it ended, its
outcome, exit code and duration), how many runs failed since its last success,
and how many runs the database's history holds by outcome. Two sources feed
them: ``job_runs`` (runs started by run-schedule or run-job, failures
included) and ``sync_runs`` (every successful sync-users however it was
started; a failed sync leaves the database untouched, so its failures reach
monitoring only through the metrics file, see ``with_run``). This module reads
the facts from an open SQLite connection and renders them; it opens no file and
chooses no exit code (``nagios_check`` judges the facts, ``commands/status``
prints them). Times are ``store.TIME_FORMAT`` text, as in the database.
"""

import calendar
import time
from typing import NamedTuple, Optional, Tuple

SYNC_JOB = "sync-users"
OK = "ok"
FAILED_OUTCOMES = ("failed", "timed_out", "killed")
# Rows that are no finished run: one still going, or a due run skipped because one was.
NOT_FINISHED = ("running", "skipped")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # store.TIME_FORMAT, without importing sqlite3 for it
PREFIX = "prospector_scheduler_"
JOB_LABEL = "job_name"  # not "job": Prometheus attaches its own job label to every scraped series

# Commands whose run is no job run: they only look, or they record their runs in job_runs
# themselves (run-job, run-schedule). Their runs never enter the metrics file as a job.
NOT_JOBS = frozenset(
    ("status", "list-users", "list-schedule", "check-config", "hash-password", "run-job", "run-schedule")
)


class JobStatus(NamedTuple):
    """What is known of one job; ``None`` where it never happened.

    ``last_success`` and ``last_run`` are the end times of the last successful
    and of the last finished run; ``runs`` holds ``(outcome, count)`` pairs of
    the recorded history, sorted by outcome; ``running_since`` is the start of
    a run still going.
    """

    job: str
    last_success: Optional[str] = None
    last_run: Optional[str] = None
    last_outcome: Optional[str] = None
    last_exit_code: Optional[int] = None
    last_duration: Optional[float] = None
    failures_in_a_row: int = 0
    runs: Tuple[Tuple[str, int], ...] = ()
    running_since: Optional[str] = None


class JobRun(NamedTuple):
    """The columns of one ``job_runs`` row that the status needs."""

    started_at: str
    ended_at: Optional[str]
    duration: Optional[float]
    exit_code: Optional[int]
    outcome: str


def to_epoch(text):
    """Seconds since the epoch of a ``TIME_FORMAT`` time, such as ``2024-05-01T02:00:00Z``."""
    return calendar.timegm(time.strptime(text, TIME_FORMAT))


def from_epoch(seconds):
    """The ``TIME_FORMAT`` text of a time in seconds since the epoch (fractions dropped)."""
    return time.strftime(TIME_FORMAT, time.gmtime(int(seconds)))


def summarize(job, rows):
    """The ``JobStatus`` of ``job`` from its ``JobRun`` rows, oldest first."""
    counts = {}
    last_success = None
    finished = None
    running_since = None
    failures = 0
    for row in rows:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
        if row.outcome == "running":
            running_since = row.started_at
            continue
        if row.outcome == "skipped":
            continue
        running_since = None
        finished = row
        if row.outcome == OK:
            last_success = row.ended_at
            failures = 0
        elif row.outcome in FAILED_OUTCOMES:
            failures += 1
    status = JobStatus(job, last_success=last_success, failures_in_a_row=failures,
                       runs=tuple(sorted(counts.items())), running_since=running_since)
    if finished is not None:
        status = status._replace(
            last_run=finished.ended_at,
            last_outcome=finished.outcome,
            last_exit_code=finished.exit_code,
            last_duration=finished.duration,
        )
    return status


def with_sync_runs(status, last_started, last_ended, uncovered):
    """``status`` with the successes of ``sync_runs`` merged in.

    ``last_started``/``last_ended`` are the times of the last row (None when
    there is none); ``uncovered`` counts the rows that no ``job_runs`` row of
    this job already stands for (a sync started by host cron or by hand).
    """
    if last_ended is None:
        return status
    runs = dict(status.runs)
    if uncovered:
        runs[OK] = runs.get(OK, 0) + uncovered
    status = status._replace(runs=tuple(sorted(runs.items())))
    if status.last_success is None or last_ended > status.last_success:
        status = status._replace(last_success=last_ended)
    if status.last_run is None or last_ended >= status.last_run:
        status = status._replace(
            last_run=last_ended,
            last_outcome=OK,
            last_exit_code=0,
            last_duration=float(to_epoch(last_ended) - to_epoch(last_started)),
            failures_in_a_row=0,
        )
    return status


def with_run(status, ended_at, exit_code, duration):
    """``status`` with one more finished run that the database may not know of.

    The metrics file uses it for the run that writes it: a sync-users from
    host cron that failed left no trace in the database, yet its exit code and
    time are exactly what an alert needs. A run older than the last one known
    changes nothing.
    """
    if status.last_run is not None and ended_at < status.last_run:
        return status
    if exit_code == 0:
        last_success = ended_at if status.last_success is None or ended_at > status.last_success else status.last_success
        return status._replace(last_success=last_success, last_run=ended_at, last_outcome=OK,
                               last_exit_code=0, last_duration=duration, failures_in_a_row=0)
    return status._replace(last_run=ended_at, last_outcome="failed", last_exit_code=exit_code,
                           last_duration=duration, failures_in_a_row=status.failures_in_a_row + 1)


def read_statuses(database, jobs=()):
    """The ``JobStatus`` of every job, sorted by name: sync-users, every job in ``job_runs``
    and every name in ``jobs`` (a schedule's jobs, run or not). ``database`` is an open
    ``store.UserStore`` of any schema version; read it inside one transaction for one snapshot."""
    from prospector_scheduler import job_history

    history = job_history.JobHistory(database, host="")
    have_job_runs = history.has_table()
    rows = {}
    for run in reversed(history.runs()):  # oldest first
        rows.setdefault(run.job, []).append(JobRun(run.started_at, run.ended_at, run.duration, run.exit_code,
                                                   run.outcome))
    names = set(jobs) | set(rows) | {SYNC_JOB}
    statuses = dict((name, summarize(name, rows.get(name, ()))) for name in names)
    connection = database.connection
    has_sync_runs = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_runs'").fetchone()
    if has_sync_runs:
        last = connection.execute("SELECT started_at, ended_at FROM sync_runs ORDER BY id DESC LIMIT 1").fetchone()
        if last is not None:
            uncovered = _uncovered_sync_runs(connection, have_job_runs)
            statuses[SYNC_JOB] = with_sync_runs(statuses[SYNC_JOB], last[0], last[1], uncovered)
    return [statuses[name] for name in sorted(statuses)]


def _uncovered_sync_runs(connection, have_job_runs):
    if not have_job_runs:
        return connection.execute("SELECT count(*) FROM sync_runs").fetchone()[0]
    # A sync that a job_runs row of the job sync-users started began inside that row's run.
    return connection.execute(
        "SELECT count(*) FROM sync_runs s WHERE NOT EXISTS (SELECT 1 FROM job_runs j "
        "WHERE j.job = ? AND s.started_at >= j.started_at AND s.started_at <= COALESCE(j.ended_at, s.started_at))",
        (SYNC_JOB,),
    ).fetchone()[0]


# The metric families, in the order they are printed: (name, help, samples of one status).
def _last_success(status):
    # 0 for a job that never succeeded, so that "time() - last success > N" fires for it too.
    return [((), 0 if status.last_success is None else to_epoch(status.last_success))]


def _last_run(status):
    return [] if status.last_run is None else [((), to_epoch(status.last_run))]


def _last_exit_code(status):
    return [] if status.last_exit_code is None else [((), status.last_exit_code)]


def _last_duration(status):
    return [] if status.last_duration is None else [((), float(status.last_duration))]


def _failures(status):
    return [((), status.failures_in_a_row)]


def _runs(status):
    return [(((("outcome", outcome),)), count) for outcome, count in status.runs]


FAMILIES = (
    ("last_success_timestamp_seconds",
     "When the job last succeeded (the end of that run), in seconds since the epoch; 0 if it never did.",
     _last_success),
    ("last_run_timestamp_seconds",
     "When the job's last finished run ended, in seconds since the epoch.", _last_run),
    ("last_exit_code", "The exit code of the job's last finished run (0 is success).", _last_exit_code),
    ("last_duration_seconds", "How long the job's last finished run took, in seconds.", _last_duration),
    ("consecutive_failures", "How many runs of the job failed since its last success.", _failures),
    ("recorded_runs",
     "Runs of the job in the database's history by outcome; the scheduler keeps a bounded history, "
     "so this can go down: a gauge, not a counter.", _runs),
)


def escape_label_value(value):
    """A label value as the exposition format writes it between double quotes."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value):
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "+Inf" if value > 0 else "-Inf"
        return repr(value)
    return "%d" % value


def prometheus_text(statuses):
    """The Prometheus text exposition (version 0.0.4) of ``statuses``: gauges, no timestamps."""
    lines = []
    for suffix, help_text, samples in FAMILIES:
        name = PREFIX + suffix
        lines.append("# HELP %s %s" % (name, help_text))
        lines.append("# TYPE %s gauge" % name)
        for status in statuses:
            for labels, value in samples(status):
                pairs = ((JOB_LABEL, status.job),) + labels
                rendered = ",".join('%s="%s"' % (key, escape_label_value(text)) for key, text in pairs)
                lines.append("%s{%s} %s" % (name, rendered, _number(value)))
    return "\n".join(lines) + "\n"


def read_database(path, jobs=()):
    """The ``JobStatus`` list of the database at ``path``, opened read-only, read in one snapshot.

    Raises ``CantCreateError`` (73) when there is no database or it cannot be read.
    """
    from prospector_scheduler import database_errors, store

    with store.open_database(path, read_only=True) as database:
        with database_errors.translated_errors(path, read_only=True):
            database.connection.execute("BEGIN")
            try:
                return read_statuses(database, jobs)
            finally:
                database.connection.execute("COMMIT")
