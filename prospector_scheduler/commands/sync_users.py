"""sync-users: make the database's users match a users file, in one transaction.

A user in the file and not in the database is created; a user in both with
reset_on_next_run: true gets the file's password unless the stored hash already
verifies it under the current hashing policy; every other user, and every user
not in the file, is left as it is (emails of existing users are never changed,
only reported with -v and --dry-run). Passwords are hashed before the write
lock is taken, in parallel; the plan is checked again under the lock, so an
overlapping run cannot cause a duplicate, a lost update or a failure. Every
change is written, with one row in the sync_runs audit table, or none is.

Prints "created N, password reset N, unchanged N" (nothing with -q; one line
per user with -v). --dry-run prints the plan and writes nothing, not even a
missing database. Exits 0 (with or without changes), 65 invalid file, 66
unreadable file, 73 database cannot be opened or created, 74 disk full, 75
another run holds the database for longer than --wait.

Example:  prospector-scheduler --db /var/lib/prospector/prospector.db sync-users /etc/prospector/users.yaml
          sops -d users.yaml | prospector-scheduler sync-users --input-format yaml -
"""

import argparse

from prospector_scheduler import arguments
from prospector_scheduler.registry import command


def seconds(text):
    """An argparse type: a number of seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of seconds, got %r" % text) from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("expected a number of seconds, zero or more, got %r" % text)
    return value


def add_arguments(parser):
    arguments.add_users_file(parser)
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change and write nothing (creates no database)"
    )
    arguments.add_output_format(parser)
    parser.add_argument(
        "--wait",
        type=seconds,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for another run holding the database before exiting 75 (default: 30)",
    )


@command("sync-users", "Make the database's users match a users file, in one transaction.", add_arguments)
def sync_users(ctx, args):
    from prospector_scheduler import sync

    result = sync.sync_file(
        args.file,
        ctx.settings.db_path,
        stdin=ctx.stdin,
        input_format=args.input_format,
        wait=args.wait,
        dry_run=args.dry_run,
        environ=ctx.environ,
        warn=ctx.log.warning,
    )
    report(ctx, args.format, result.plan, dry_run=result.dry_run)
    return 0


def report(ctx, output_format, plan, dry_run):
    """Print the result: text (summary, and per user with -v or --dry-run) or one JSON object."""
    from prospector_scheduler import sync_plan

    counts = plan.counts()
    if output_format == "json":
        import json

        result = {
            "dry_run": dry_run,
            "created": [action.username for action in plan.of_kind(sync_plan.CREATE)],
            "password_reset": [action.username for action in plan.of_kind(sync_plan.RESET)],
            "unchanged": [action.username for action in plan.of_kind(sync_plan.UNCHANGED)],
            "email_differs": [
                {"username": action.username, "file": action.entry.email, "database": action.stored_email}
                for action in plan.actions
                if action.email_differs
            ],
            "counts": {
                "created": counts[sync_plan.CREATE],
                "password_reset": counts[sync_plan.RESET],
                "unchanged": counts[sync_plan.UNCHANGED],
            },
        }
        ctx.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    # -q silences a real run; a dry run's plan is what it was asked for.
    if ctx.settings.quiet and not dry_run:
        return
    lines = []
    if ctx.settings.verbose or dry_run:
        for action in plan.actions:
            line = "%s %s" % (action.kind, action.username)
            if action.email_differs:
                line += ": the file's email %s differs from the database's %s, which is kept" % (
                    action.entry.email,
                    action.stored_email if action.stored_email is not None else "(none)",
                )
            lines.append(line)
    summary = ", ".join("%s %d" % (kind, counts[kind]) for kind in sync_plan.KINDS)
    lines.append(summary + (" (dry run)" if dry_run else ""))
    ctx.stdout.write("\n".join(lines) + "\n")
