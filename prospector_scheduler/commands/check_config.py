"""check-config: validate a users file and touch no database.

Reads FILE (or standard input for "-") as sync-users would, reports every
error in it at once, and opens no database: --db is not even looked at. On
success it prints "FILE: N users OK" (nothing with -q). Exits 0 when the file
is valid, 65 when its content is invalid, 66 when it cannot be read. Meant for
CI pipelines and pre-commit hooks.

Example:  prospector-scheduler check-config users.yaml
          sops -d users.yaml | prospector-scheduler check-config --input-format yaml -
"""

from prospector_scheduler.registry import command


def add_arguments(parser):
    # Only this command's arguments are ever added, and users_file leaves its
    # heavy imports to the functions that need them.
    from prospector_scheduler import users_file

    parser.add_argument("file", metavar="FILE", help='the users file, or "-" for standard input')
    users_file.add_format_argument(parser)


@command("check-config", "Validate a users file and touch no database.", add_arguments)
def check_config(ctx, args):
    from prospector_scheduler import users_file

    loaded = users_file.read(args.file, stdin=ctx.stdin, format=args.input_format,
                             warn=ctx.log.warning)
    if not ctx.settings.quiet:
        count = len(loaded.entries)
        ctx.stdout.write("%s: %d user%s OK\n" % (loaded.source, count, "" if count == 1 else "s"))
    return 0
