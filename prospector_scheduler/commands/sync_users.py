"""sync-users: make the database's users match a users file, in one transaction.

A user in the file and not in the database is created; a user in both with
reset_on_next_run: true gets the file's password unless the stored hash already
verifies it under the current hashing policy; disabled: true disables a user
(its hash is kept aside, nothing can log in) and disabled: false enables it
again with its old password; every other user is left as it is (emails of
existing users are never changed, only reported with -v and --dry-run). Users
in the database and not in the file are reported, and disabled only with
--disable-missing: never when the file lists no users, nor more than
--max-disable N of them (default 10; "all" lifts the limit). Passwords are
hashed before the write lock is taken, in parallel; the plan is checked again
under the lock, so an overlapping run cannot cause a duplicate, a lost update
or a failure. Every change is written, with one row in the sync_runs audit
table and one in user_changes per change, or none is.

Prints "created N, password reset N, disabled N, enabled N, unchanged N, not
in file N" (nothing with -q; one line per user with -v). --dry-run prints the
plan and writes nothing, not even a missing database. Exits 0 (with or without
changes), 65 invalid file or a guard of --disable-missing, 66 unreadable file,
73 database cannot be opened or created, 74 disk full, 75 another run holds
the database for longer than --wait.

Example:  prospector-scheduler --db /var/lib/prospector/prospector.db sync-users /etc/prospector/users.yaml
          prospector-scheduler sync-users --disable-missing --dry-run users.yaml
          sops -d users.yaml | prospector-scheduler sync-users --input-format yaml -
"""

import argparse
import os

from prospector_scheduler import arguments
from prospector_scheduler.printable import printable
from prospector_scheduler.registry import command

# As sync_plan.MAX_DISABLE, which this module does not import at start-up.
MAX_DISABLE = 10


# store.MAX_WAIT, without importing sqlite3 at start-up (test_sync_users checks they agree).
MAX_WAIT = 86400.0


def seconds(text):
    """An argparse type: a number of seconds, from zero to a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of seconds, got %r" % text) from None
    if not 0 <= value <= MAX_WAIT:
        raise argparse.ArgumentTypeError("expected a number of seconds from 0 to %d (a day), got %r" % (MAX_WAIT, text))
    return value


def user_count(text):
    """An argparse type: a number of users, zero or more, or "all" (None: no limit)."""
    if text == "all":
        return None
    if not text or text.strip("0123456789") or len(text) > 9:
        raise argparse.ArgumentTypeError('expected a number of users or "all", got %r' % text)
    return int(text)


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
        help="how long to wait for another run holding the database before exiting 75"
        " (default: 30, at most 86400)",
    )
    parser.add_argument(
        "--disable-missing", action="store_true",
        help="disable the users of the database that the file does not list (refused when it lists none)",
    )
    parser.add_argument(
        "--max-disable", type=user_count, default=MAX_DISABLE, metavar="N",
        help="with --disable-missing, refuse the run when it would disable more than N users "
             "not in the file (default: %d; \"all\": no limit)" % MAX_DISABLE,
    )


@command("sync-users", "Make the database's users match a users file, in one transaction.", add_arguments)
def sync_users(ctx, args):
    from prospector_scheduler import config_schema

    # The plan of a large run is hundreds of thousands of objects without
    # cycles: the garbage collector stays paused until they are freed, when
    # sync_and_report returns, rather than scanning them all once more.
    return config_schema.without_garbage_collection(sync_and_report, ctx, args)


def sync_and_report(ctx, args):
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
        disable_missing=args.disable_missing,
        max_disable=args.max_disable,
    )
    if result.database_created:
        say_created(ctx)
    elif result.dry_run and not os.path.exists(ctx.settings.db_path):
        ctx.log.info("there is no database at %s yet: a run without --dry-run creates it" % ctx.settings.db_path)
    report(ctx, args.format, result.plan, dry_run=result.dry_run)
    return 0


def say_created(ctx):
    """Tell that a new database was made; a warning, -q or not, when its path was only the default.

    A forgotten --db under cron would otherwise put the users where the
    application never looks, and report success.
    """
    path = ctx.settings.db_path
    if ctx.settings.db_path_given:
        ctx.log.info("created a new database at %s" % path)
        return
    ctx.log.warning(
        "created a new database %s in the working directory, as neither --db nor $PROSPECTOR_DB was "
        "given: if the application reads another database, give its path with --db" % path
    )


def report(ctx, output_format, plan, dry_run):
    """Print the result: text (summary, and per user with -v or --dry-run) or one JSON object."""
    from prospector_scheduler import sync_plan

    counts = plan.counts()
    if output_format == "json":
        import json

        result = {"dry_run": dry_run}
        for kind in sync_plan.KINDS:
            result[kind.replace(" ", "_")] = [action.username for action in plan.of_kind(kind)]
        result["email_differs"] = [
            {"username": action.username, "file": action.entry.email, "database": action.stored_email}
            for action in plan.actions
            if action.email_differs
        ]
        result["counts"] = dict((kind.replace(" ", "_"), counts[kind]) for kind in sync_plan.KINDS)
        ctx.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    # -q silences a real run; a dry run's plan is what it was asked for.
    if ctx.settings.quiet and not dry_run:
        return
    lines = []
    if ctx.settings.verbose or dry_run:
        from prospector_scheduler.printable import printable

        lines.extend(printable(describe(action)) for action in plan.actions + plan.missing)
    summary = ", ".join("%s %d" % (kind, counts[kind]) for kind in sync_plan.KINDS)
    lines.append(summary + (" (dry run)" if dry_run else ""))
    ctx.stdout.write("\n".join(lines) + "\n")


def describe(action):
    """The -v line of one user: what happened to it, and what the reader should know."""
    from prospector_scheduler import sync_plan

    if action.changes:
        line = "%s %s" % (" and ".join(action.changes), action.username)
    else:
        line = "%s %s" % (action.kind, action.username)
        if action.disabled_before is not None:
            line += " (disabled)"
    notes = []
    if action.entry is None and action.changes:
        notes.append("not in the file")
    if sync_plan.RESET in action.changes and action.disabled_after:
        notes.append("the new password is kept aside while the user is disabled")
    if sync_plan.CREATE in action.changes and action.disabled_after and not action.new_password:
        notes.append("without a password")
    if action.email_differs:
        notes.append("the file's email %s differs from the database's %s, which is kept" % (
            action.entry.email, printable(action.stored_email) if action.stored_email is not None else "(none)"))
    return line + (": " + "; ".join(notes) if notes else "")
