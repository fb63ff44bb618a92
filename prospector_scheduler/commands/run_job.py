"""run-job: run one job of the schedule file now, in the foreground.

Runs the job NAME exactly as run-schedule would (a child process of this
tool, its output prefixed with its name, its timeout enforced), recorded in
job_runs with the trigger "manual". A disabled job runs too. Refuses with
exit 75 while the same job is running elsewhere (run-schedule, another
run-job). Exits with the job's exit code (75 when it timed out or was killed).

Example:  prospector-scheduler run-job --schedule /etc/prospector/schedule.yaml sync-users
"""

from prospector_scheduler import arguments
from prospector_scheduler.registry import command


def add_arguments(parser):
    arguments.add_schedule_file(parser)
    parser.add_argument("name", metavar="NAME", help="the job's name in the schedule file")


@command("run-job", "Run one job of the schedule file now, in the foreground.", add_arguments)
def run_job(ctx, args):
    from prospector_scheduler import scheduling
    from prospector_scheduler.errors import UsageError

    _path, _registry, schedule = scheduling.load(ctx, args)
    if schedule.job(args.name) is None:
        names = ", ".join(job.name for job in schedule.jobs) or "none"
        raise UsageError("run-job: no job is named %r in %s (jobs: %s)" % (args.name, schedule.source, names))
    return scheduling.build(ctx, schedule).run_once(names=[args.name])
