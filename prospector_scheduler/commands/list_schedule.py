"""list-schedule: every job of the schedule file, its next three runs and its last run.

For each job: its name, its schedule, its next three run times (in the
schedule's time zone, with their UTC offset) and its last run from the
database's job_runs (when it started, its outcome and duration), as
systemctl list-timers does. It reads the database only, and only when it
exists; it never creates or changes it. --format json prints one object,
with times in UTC.

Example:  prospector-scheduler --db /var/lib/prospector/prospector.db list-schedule --schedule /etc/prospector/schedule.yaml
"""

from prospector_scheduler import arguments
from prospector_scheduler.registry import command

NEXT_RUNS = 3


def add_arguments(parser):
    arguments.add_schedule_file(parser)
    arguments.add_output_format(parser)


def _wall(zone, instant):
    import time

    offset = zone.offset(instant)
    sign = "+" if offset >= 0 else "-"
    return "%s%s%02d:%02d" % (time.strftime("%Y-%m-%d %H:%M", time.gmtime(instant + offset)), sign,
                              abs(offset) // 3600, abs(offset) % 3600 // 60)


def _last_runs(ctx):
    import os

    from prospector_scheduler import job_history, store

    if not os.path.exists(ctx.settings.db_path):
        return {}
    with store.open_database(ctx.settings.db_path, create=False, read_only=True) as database:
        return job_history.JobHistory(database).last_runs()


@command("list-schedule", "List the jobs of a schedule file with their next and last runs.", add_arguments)
def list_schedule(ctx, args):
    import json

    from prospector_scheduler import cron, job_history, scheduling

    _path, _registry, schedule = scheduling.load(ctx, args)
    now = scheduling.test_clock(ctx.environ)[0]()
    last_runs = _last_runs(ctx)
    rows = []
    for job in schedule.jobs:
        upcoming = cron.next_times(job.schedule, schedule.zone, now, NEXT_RUNS) if job.enabled else []
        rows.append((job, upcoming, last_runs.get(job.name)))
    if args.format == "json":
        jobs = []
        for job, upcoming, last in rows:
            jobs.append({
                "name": job.name, "command": list(job.command), "schedule": job.schedule.text,
                "enabled": job.enabled, "timeout": job.timeout, "jitter": job.jitter, "catch_up": job.catch_up,
                "next_runs": [job_history.format_time(moment) for moment in upcoming],
                "last_run": None if last is None else dict(
                    (name, getattr(last, name)) for name in
                    ("scheduled_for", "trigger", "started_at", "ended_at", "duration", "exit_code", "outcome")),
            })
        ctx.stdout.write(json.dumps({"timezone": schedule.timezone, "jobs": jobs}, indent=2) + "\n")
        return 0
    table = [("JOB", "SCHEDULE", "NEXT RUNS (%s)" % schedule.timezone, "LAST RUN")]
    for job, upcoming, last in rows:
        following = ", ".join(_wall(schedule.zone, moment) for moment in upcoming) or "disabled"
        if last is None:
            previous = "never"
        elif last.outcome == "running":
            previous = "%s running" % last.started_at
        else:
            previous = "%s %s %.1f s" % (last.started_at, last.outcome, last.duration or 0.0)
        table.append((job.name, job.schedule.text, following, previous))
    widths = [max(len(row[column]) for row in table) for column in range(3)]
    for row in table:
        ctx.stdout.write("%-*s  %-*s  %-*s  %s\n" % (widths[0], row[0], widths[1], row[1], widths[2], row[2], row[3]))
    return 0
