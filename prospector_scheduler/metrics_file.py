"""The metrics file of ``--metrics-file``: the jobs' status for node_exporter's textfile collector.

Every run of the tool given ``--metrics-file PATH`` rewrites PATH, failed or
not, with the Prometheus text of ``metrics``: the database's facts, plus the
run that writes it when that run is a job (a sync-users from host cron that
failed leaves the database untouched, yet its exit code belongs in the file),
plus what the previous file knew of runs the database never saw (so that
failures in a row add up across runs). The file is replaced atomically, mode
0644, without timestamps (the collector refuses files with them).
"""

import re
from typing import NamedTuple

from prospector_scheduler import metrics
from prospector_scheduler.errors import ProspectorError

_SAMPLE = re.compile(
    r'^%s(last_success_timestamp_seconds|last_run_timestamp_seconds|last_exit_code|last_duration_seconds|'
    r'consecutive_failures)\{%s="((?:[^"\\\n]|\\.)*)"\} (\S+)$' % (metrics.PREFIX, metrics.JOB_LABEL),
    re.M,
)
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


class Run(NamedTuple):
    """The run that writes the file, as a job run: its job name, end time, exit code and duration."""

    job: str
    ended_at: str
    exit_code: int
    duration: float


def previous_statuses(text):
    """The ``JobStatus`` facts a metrics file of ours holds, by job name (what cannot be read is left out)."""
    facts = {}
    for match in _SAMPLE.finditer(text):
        family, label, value = match.groups()
        job = re.sub(r'\\\\|\\"|\\n', lambda escape: _UNESCAPE[escape.group(0)], label)
        try:
            number = float(value)
        except ValueError:
            continue
        facts.setdefault(job, {})[family] = number
    statuses = {}
    for job, known in facts.items():
        if "last_run_timestamp_seconds" not in known or "last_exit_code" not in known:
            continue
        exit_code = int(known["last_exit_code"])
        success = known.get("last_success_timestamp_seconds") or None
        statuses[job] = metrics.JobStatus(
            job,
            last_success=None if success is None else metrics.from_epoch(success),
            last_run=metrics.from_epoch(known["last_run_timestamp_seconds"]),
            last_outcome=metrics.OK if exit_code == 0 else "failed",
            last_exit_code=exit_code,
            last_duration=known.get("last_duration_seconds"),
            failures_in_a_row=int(known.get("consecutive_failures", 0)),
        )
    return statuses


def with_previous(status, previous):
    """``status`` (from the database), unless the previous file knew of a later run.

    Times have whole seconds: a run in the same second as the database's last
    one counts as later unless the database knows a later success.
    """
    if previous.last_run is None:
        return status
    if status.last_run is not None and status.last_run > previous.last_run:
        return status
    if status.last_success is not None and (previous.last_success is None
                                            or status.last_success > previous.last_success):
        return status
    last_success = status.last_success
    if previous.last_success is not None and (last_success is None or previous.last_success > last_success):
        last_success = previous.last_success
    return status._replace(
        last_success=last_success,
        last_run=previous.last_run,
        last_outcome=previous.last_outcome,
        last_exit_code=previous.last_exit_code,
        last_duration=previous.last_duration,
        failures_in_a_row=previous.failures_in_a_row,
    )


def statuses_for_file(database_statuses, previous, run=None):
    """The statuses the file gets: the database's, then the previous file's later runs, then ``run``."""
    merged = dict((status.job, status) for status in database_statuses)
    for job, earlier in previous.items():
        merged[job] = with_previous(merged.get(job, metrics.JobStatus(job)), earlier)
    if run is not None:
        status = merged.get(run.job, metrics.JobStatus(run.job))
        merged[run.job] = metrics.with_run(status, run.ended_at, run.exit_code, run.duration)
    return [merged[job] for job in sorted(merged)]


def update(path, db_path, run=None):
    """Rewrite the metrics file at ``path`` from the database at ``db_path`` and ``run``.

    A database that cannot be read (missing, locked, damaged) contributes
    nothing: the file still gets the run and what the previous file knew.
    Raises ``CantCreateError`` or ``OutputError`` when the file cannot be written.
    """
    from prospector_scheduler.atomic_file import write_atomically

    try:
        database_statuses = metrics.read_database(db_path)
    except ProspectorError:
        database_statuses = []
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            previous = previous_statuses(stream.read())
    except OSError:
        previous = {}
    text = metrics.prometheus_text(statuses_for_file(database_statuses, previous, run))
    write_atomically(path, text, mode=0o644, what="metrics file")


def run_end_hook(settings, warn):
    """For run-schedule: a function ``(job, outcome, exit_code)`` that rewrites the metrics file
    after every finished run, or None without ``--metrics-file``.

    The scheduler records the run in job_runs first, so the database has the
    facts. A file that cannot be written costs a warning, never the scheduler.
    """
    if settings.metrics_file is None:
        return None

    def after_run(job, outcome, exit_code):
        try:
            update(settings.metrics_file, settings.db_path)
        except ProspectorError as error:
            warn(error.message)

    return after_run
