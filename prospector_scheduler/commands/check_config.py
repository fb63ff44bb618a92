"""check-config: validate a users file and touch no database.

Reads FILE (or standard input for "-") as sync-users would, reports every
error in it at once, and opens no database: --db is not even looked at. On
success it prints "FILE: N users OK" (nothing with -q). Exits 0 when the file
is valid, 65 when its content is invalid, 66 when it cannot be read. Meant for
CI pipelines and pre-commit hooks.

Example:  prospector-scheduler check-config users.yaml
          sops -d users.yaml | prospector-scheduler check-config --input-format yaml -
"""

from prospector_scheduler import arguments
from prospector_scheduler.registry import command


@command("check-config", "Validate a users file and touch no database.", arguments.add_users_file)
def check_config(ctx, args):
    from prospector_scheduler import users_file

    loaded = users_file.read(args.file, stdin=ctx.stdin, format=args.input_format,
                             warn=ctx.log.warning)
    if not ctx.settings.quiet:
        count = len(loaded.entries)
        ctx.stdout.write("%s: %d user%s OK\n" % (loaded.source, count, "" if count == 1 else "s"))
    return 0
