"""check-config: validate a users file or a schedule file, and touch no database.

Reads FILE (or standard input for "-") as sync-users or run-schedule would,
reports every error in it at once, and opens no database: --db is not even
looked at. The kind of file is told by its top-level key (jobs: a schedule
file; anything else: a users file), or given with --kind. In a schedule file,
every job's command must be a command of this tool with arguments it accepts.
On success it prints "FILE: N users OK" or "FILE: N jobs OK" (nothing with
-q). Exits 0 when the file is valid, 65 when its content is invalid, 66 when
it cannot be read. Meant for CI pipelines and pre-commit hooks.

Example:  prospector-scheduler check-config users.yaml
          prospector-scheduler check-config /etc/prospector/schedule.yaml
          sops -d users.yaml | prospector-scheduler check-config --input-format yaml -
"""

import io

from prospector_scheduler import arguments
from prospector_scheduler.registry import command

KINDS = ("users", "schedule")


def add_arguments(parser):
    arguments.add_users_file(parser)
    parser.add_argument("--kind", choices=KINDS, default=None, metavar="{users,schedule}",
                        help="the kind of file (default: a schedule file when its top-level key is jobs, "
                             "else a users file)")


@command("check-config", "Validate a users file or a schedule file; touch no database.", add_arguments)
def check_config(ctx, args):
    from prospector_scheduler import schedule_file, users_file
    from prospector_scheduler.errors import NoInputError

    stdin = ctx.stdin
    kind = args.kind
    data = None
    if args.file == "-" and kind != "users":
        data = schedule_file.read_stdin(stdin)
        stdin = io.BytesIO(data)
    elif kind is None:
        try:
            data = schedule_file.read_bytes(args.file, "the file")
        except NoInputError:
            kind = "users"  # reading it as a users file reports the error as always
    source = "<stdin>" if args.file == "-" else args.file
    if kind is None:
        kind = "schedule" if schedule_file.looks_like_schedule(data, source, args.input_format) else "users"
    if kind == "schedule":
        from prospector_scheduler.registry import Registry

        if data is None:
            data = schedule_file.read_bytes(args.file)
        schedule = schedule_file.parse(data, source, Registry(warn=ctx.log.warning), args.input_format)
        count, noun = len(schedule.jobs), "job"
    else:
        loaded = users_file.read(args.file, stdin=stdin, format=args.input_format, warn=ctx.log.warning)
        count, noun = len(loaded.entries), "user"
        for note in users_file.passwordless_notes(loaded.entries):
            ctx.log.info("note: %s: %s" % (source, note))
    if not ctx.settings.quiet:
        ctx.stdout.write("%s: %d %s%s OK\n" % (source, count, noun, "" if count == 1 else "s"))
    return 0
