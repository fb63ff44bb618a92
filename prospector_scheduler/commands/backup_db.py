"""backup-db: write a consistent backup of the database into a folder, and keep the newest N.

Copies the database (--db) while other programs read and write it, into a
temporary file in DIR, flushes it to disk, checks it with PRAGMA
integrity_check, and names it prospector-YYYYMMDDTHHMMSSZ.db (UTC, mode 0600);
a second backup within the same second gets -2, -3, ... before .db. Any
failure leaves no partial file and the earlier backups as they were. Then only
the newest N backups named so remain (--keep, default 7); other files in DIR
are never touched. The database's write lock is never taken: a sync during a
backup waits at most for the copy (about 0.1 s for 100,000 users).

Prints the backup's path, size and duration (nothing with -q; one line per
removed old backup with -v). Exits 0 done, 65 the database is damaged, 66 no
database, 73 DIR cannot be written (or the file is no SQLite database), 74 disk
full, 75 another run held the database for longer than --wait.

Example:  prospector-scheduler --db /var/lib/prospector/prospector.db backup-db /var/backups/prospector
          prospector-scheduler -q backup-db --keep 30 /var/backups/prospector
"""

import argparse

from prospector_scheduler import arguments
from prospector_scheduler.registry import command


def count(text):
    """An argparse type: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number, got %r" % text) from None
    if value < 1:
        raise argparse.ArgumentTypeError("expected 1 or more, got %r" % text)
    return value


def add_arguments(parser):
    parser.add_argument("directory", metavar="DIR", help="the folder the backups go to (it must exist)")
    parser.add_argument(
        "--keep", type=count, default=7, metavar="N",
        help="afterwards, keep only the newest N backups made by backup-db in DIR (default: 7)")
    arguments.add_output_format(parser)
    arguments.add_wait(parser)


@command("backup-db", "Write a consistent backup of the database into a folder; keep the newest N.", add_arguments)
def backup_db(ctx, args):
    from prospector_scheduler import backup

    made = backup.take_backup(ctx.settings.db_path, args.directory, keep=args.keep, wait=args.wait)
    if args.format == "json":
        import json

        ctx.stdout.write(json.dumps({
            "path": made.path,
            "size": made.size,
            "duration": round(made.duration, 3),
            "method": made.method,
            "removed": list(made.removed),
        }) + "\n")
        return 0
    for path in made.removed:
        ctx.log.debug("removed the old backup %s" % path)
    if not ctx.settings.quiet:
        ctx.stdout.write("%s: %d bytes in %.2f s\n" % (made.path, made.size, made.duration))
    return 0
