"""delete-users: delete disabled accounts for good (an erasure request, a test account).

The second step of offboarding: a user must be disabled first (disabled: true
in the users file and a sync, or sync-users --disable-missing), else the
command refuses ("disable it first"). An unknown username is an error too,
and then nothing is deleted: every name given is deleted, in one transaction,
or none is. Each deletion is logged in user_changes. On a terminal it asks
for confirmation unless given --yes; without a terminal it needs --yes (else
exit 64). Exits 0 (deleted, or declined at the prompt: nothing deleted), 64
bad command line, 65 an unknown or enabled user, 73 no database, 75 another
run holds the database for longer than --wait.

Example:  prospector-scheduler --db /var/lib/prospector/prospector.db delete-users mallory
          prospector-scheduler delete-users --yes mallory trudy
"""

from prospector_scheduler.registry import command


def add_arguments(parser):
    from prospector_scheduler.commands.sync_users import seconds

    parser.add_argument("usernames", nargs="+", metavar="USERNAME", help="a disabled user to delete")
    parser.add_argument("--yes", action="store_true", help="delete without asking (needed without a terminal)")
    parser.add_argument("--wait", type=seconds, default=30.0, metavar="SECONDS",
                        help="how long to wait for another run holding the database before exiting 75 (default: 30)")


@command("delete-users", "Delete disabled users for good (asks first on a terminal).", add_arguments)
def delete_users(ctx, args):
    from prospector_scheduler import deletion
    from prospector_scheduler.errors import UsageError
    from prospector_scheduler.printable import printable

    isatty = getattr(ctx.stdin, "isatty", None)
    on_terminal = isatty is not None and isatty()
    if not args.yes and not on_terminal:
        raise UsageError("delete-users asks for confirmation, and standard input is not a terminal: "
                         "give --yes to delete without asking")

    def confirm(names):
        if args.yes:
            return True
        ctx.stderr.write("Delete %d user%s for good (%s)? [y/N] " % (
            len(names), "" if len(names) == 1 else "s", ", ".join(printable(name) for name in names)))
        ctx.stderr.flush()
        answer = ctx.stdin.readline().strip().lower()
        return answer in ("y", "yes")

    deleted = deletion.delete_users(ctx.settings.db_path, args.usernames, confirm=confirm, wait=args.wait)
    if not deleted:
        ctx.log.info("nothing deleted")
        return 0
    if not ctx.settings.quiet:
        ctx.stdout.write("deleted %s\n" % ", ".join(printable(name) for name in deleted))
    return 0
