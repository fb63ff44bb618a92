"""status: when each job last succeeded, and its last run; also a monitoring check and metrics.

For sync-users (however it was started: host cron, systemd, run-job or
run-schedule) and every job the scheduler ran: the last success (time and
age), the last finished run (when it ended, outcome, exit code, duration) and
how many runs failed since the last success. A sync-users that failed outside
the scheduler leaves no trace in the database: use --metrics-file on its
command line to see its failures. Opens the database read-only.

--format json prints one JSON object; --format prometheus the Prometheus text
exposition format. --check is a monitoring plugin by the Nagios conventions
(Icinga, Zabbix, Checkmk and Sensu run them too): one line, "PROSPECTOR OK - ...
| 'age'=3600s;93600;172800;0 ...", and the exit code 0 OK, 1 WARNING (a last
success older than --warning), 2 CRITICAL (older than --critical, or never),
3 UNKNOWN (no database, an unknown job, bad arguments); not the sysexits codes
of the other commands. AGE is a whole number with a unit: 90m, 26h, 2d, 1w.

Example:  prospector-scheduler --db /var/lib/prospector/prospector.db status
          prospector-scheduler status --check --job sync-users --warning 26h --critical 50h
          prospector-scheduler status --format prometheus
"""

import argparse

from prospector_scheduler import arguments
from prospector_scheduler.registry import command

FORMATS = ("text", "json", "prometheus")
COLUMNS = ("JOB", "LAST SUCCESS", "AGE", "LAST RUN", "OUTCOME", "EXIT", "DURATION", "FAILURES IN A ROW")


def age(text):
    """An argparse type: an AGE such as 26h, in seconds."""
    from prospector_scheduler import nagios_check

    try:
        return nagios_check.parse_age(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_arguments(parser):
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text (default), json, or prometheus (the text exposition format)")
    parser.add_argument("--job", metavar="NAME", help="only this job")
    parser.add_argument(
        "--schedule", metavar="FILE", default=None,
        help="also list the jobs of this schedule file that never ran (default: $%s, when set)"
             % arguments.SCHEDULE_ENVIRONMENT_VARIABLE)
    parser.add_argument("--check", action="store_true",
                        help="be a Nagios/Icinga check: one status line, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN")
    parser.add_argument("--warning", type=age, metavar="AGE",
                        help="with --check: WARNING when the last success is older than AGE (e.g. 26h)")
    parser.add_argument("--critical", type=age, metavar="AGE",
                        help="with --check: CRITICAL when the last success is older than AGE (e.g. 50h)")
    parser.usage_error = check_usage_error


def check_usage_error(error, arguments):
    """In --check mode a wrong command line is UNKNOWN (3), reported on stdout as a plugin must."""
    if "--check" not in arguments:
        return error
    from prospector_scheduler.errors import CheckUnknownError

    return CheckUnknownError(error.message)


@command("status", "Show when each job last succeeded; a monitoring check; Prometheus metrics.", add_arguments)
def status(ctx, args):
    import time

    from prospector_scheduler import metrics
    from prospector_scheduler.errors import UsageError

    now = int(time.time())
    if args.check:
        return check(ctx, args, now)
    if args.warning is not None or args.critical is not None:
        raise UsageError("status: --warning and --critical go with --check (see 'prospector-scheduler status --help')")
    statuses = metrics.read_database(ctx.settings.db_path, scheduled_jobs(ctx, args))
    if args.job is not None:
        statuses = [status for status in statuses if status.job == args.job]
        if not statuses:
            raise UsageError("status: unknown job %r: no run of it is recorded and no schedule names it" % args.job)
    if args.format == "prometheus":
        ctx.stdout.write(metrics.prometheus_text(statuses))
    elif args.format == "json":
        import json

        document = {"now": metrics.from_epoch(now), "jobs": [as_json(status, now) for status in statuses]}
        ctx.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        write_table(ctx.stdout, statuses, now)
    return 0


def check(ctx, args, now):
    """--check: print the plugin's one line and return its state as the exit code."""
    from prospector_scheduler import metrics, nagios_check
    from prospector_scheduler.errors import CheckUnknownError, ProspectorError

    if args.warning is None or args.critical is None:
        raise CheckUnknownError("--check needs --warning AGE and --critical AGE")
    if args.format != "text":
        raise CheckUnknownError("--check prints one status line: leave out --format")
    try:
        statuses = metrics.read_database(ctx.settings.db_path, scheduled_jobs(ctx, args))
    except ProspectorError as error:
        raise CheckUnknownError(str(error).splitlines()[0]) from None
    result = nagios_check.check(statuses, now, args.warning, args.critical, args.job)
    ctx.stdout.write(result.line() + "\n")
    return result.state


def scheduled_jobs(ctx, args):
    """The job names of the schedule file (--schedule, else $PROSPECTOR_SCHEDULE), or none without one."""
    path = args.schedule or ctx.environ.get(arguments.SCHEDULE_ENVIRONMENT_VARIABLE)
    if not path:
        return ()
    from prospector_scheduler import schedule_file
    from prospector_scheduler.registry import Registry

    schedule = schedule_file.read(path, Registry(warn=ctx.log.warning))
    return [job.name for job in schedule.jobs]


def age_seconds(status, now):
    from prospector_scheduler import metrics

    return None if status.last_success is None else max(0, now - metrics.to_epoch(status.last_success))


def as_json(status, now):
    """One job as ``--format json`` shows it."""
    return {
        "job": status.job,
        "last_success": status.last_success,
        "last_success_age_seconds": age_seconds(status, now),
        "last_run": status.last_run,
        "last_outcome": status.last_outcome,
        "last_exit_code": status.last_exit_code,
        "last_duration_seconds": status.last_duration,
        "failures_in_a_row": status.failures_in_a_row,
        "running_since": status.running_since,
        "runs": dict(status.runs),
    }


def write_table(stream, statuses, now):
    from prospector_scheduler import nagios_check

    table = [COLUMNS]
    for status in statuses:
        age = age_seconds(status, now)
        table.append((
            status.job,
            status.last_success or "never",
            "-" if age is None else nagios_check.format_age(age),
            status.last_run or "never",
            status.last_outcome or "-",
            "-" if status.last_exit_code is None else str(status.last_exit_code),
            "-" if status.last_duration is None else "%.1fs" % status.last_duration,
            str(status.failures_in_a_row),
        ))
    widths = [max(len(line[column]) for line in table) for column in range(len(COLUMNS))]
    for line in table:
        stream.write("  ".join("%-*s" % (width, cell) for width, cell in zip(widths, line)).rstrip() + "\n")
