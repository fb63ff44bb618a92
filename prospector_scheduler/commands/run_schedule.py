"""run-schedule: run the jobs of a schedule file, in the foreground, until stopped.

The built-in scheduler, for a container's main process or a systemd service.
It sleeps until the next due run, runs each due job as a child process of this
same tool (same interpreter, same way of starting it, --db and the environment
passed on), and passes the job's output through with the job's name before
each line. A job never runs twice at once (a due run while it still runs is
skipped, with one warning); two schedulers on one database never run the
same slot twice; after downtime a missed run happens once (catch_up).
Every run is recorded in the table job_runs. SIGTERM or SIGINT: start nothing
more, pass SIGTERM to the running jobs, wait up to --grace seconds, then
SIGKILL; exit 0. SIGHUP re-reads the schedule file (a broken file is reported
and the old schedule kept). --once runs what is due now and the catch-ups,
waits for them and exits with the worst exit code (for a host crontab line
"* * * * *").

Example:  prospector-scheduler --db /var/lib/prospector/prospector.db run-schedule --schedule /etc/prospector/schedule.yaml
          prospector-scheduler run-schedule --schedule schedule.yaml --once -q
"""

from prospector_scheduler import arguments
from prospector_scheduler.registry import command

LOG_FORMATS = ("text", "json")


def _grace(text):
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError("expected seconds from 0 to 3600")
    return value


def add_arguments(parser):
    arguments.add_schedule_file(parser)
    parser.add_argument("--once", action="store_true",
                        help="run what is due now and the catch-ups, wait for them, and exit with the worst "
                             "exit code")
    parser.add_argument("--log-format", choices=LOG_FORMATS, default="text",
                        help="text lines (default), or one JSON object per event and output line on stdout")
    parser.add_argument("--grace", type=_grace, default=None, metavar="SECONDS",
                        help="on SIGTERM, and after a job's timeout, how long a job may take to stop before "
                             "SIGKILL (default 8, below Docker's 10-second stop timeout)")


@command("run-schedule", "Run the jobs of a schedule file, in the foreground, until stopped.", add_arguments)
def run_schedule(ctx, args):
    from prospector_scheduler import metrics_file, schedule_file, scheduling

    path, registry, schedule = scheduling.load(ctx, args)
    runner = scheduling.build(ctx, schedule, reload=lambda: schedule_file.read(path, registry),
                              log_format=args.log_format, grace=args.grace,
                              on_run_end=metrics_file.run_end_hook(ctx.settings, ctx.log.warning))
    if args.once:
        return runner.run_once()
    return runner.run_forever()
