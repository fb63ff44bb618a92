"""check-db: a read-only health check of the database, or of a backup file.

Runs SQLite's PRAGMA integrity_check (--quick: quick_check, faster, skips
the check that indexes match their tables) and foreign_key_check, compares the
schema version with this tool's, and counts the users and the locked users and
shows when the last sync ended. PATH defaults to the database (--db). Opens
the file strictly read-only: it never creates, upgrades or writes it, not
even to roll back an interrupted write.

Exits 0 healthy (nothing printed with -q), 65 damaged (every problem SQLite
reports is listed on standard error, one line each), 66 no such file, 73 not
an SQLite database, a schema newer than this tool's, or an interrupted write
that sync-users must roll back first.

Example:  prospector-scheduler --db /var/lib/prospector/prospector.db check-db
          prospector-scheduler check-db --format json /var/backups/prospector/prospector-20240501T020500Z.db
"""

from prospector_scheduler import arguments
from prospector_scheduler.registry import command


def add_arguments(parser):
    parser.add_argument("path", metavar="PATH", nargs="?", default=None,
                        help="the database file or backup to check (default: --db)")
    parser.add_argument("--quick", action="store_true",
                        help="run PRAGMA quick_check instead of integrity_check (faster, less thorough)")
    arguments.add_output_format(parser)


@command("check-db", "Check the database or a backup, read-only: integrity, schema, counts.", add_arguments)
def check_db(ctx, args):
    from prospector_scheduler import health
    from prospector_scheduler.errors import DataError, ErrorList

    path = args.path if args.path is not None else ctx.settings.db_path
    found = health.check(path, quick=args.quick)
    if args.format == "json":
        import json

        report = dict(found._asdict())
        report["healthy"] = found.healthy
        ctx.stdout.write(json.dumps(report, sort_keys=True) + "\n")
    elif not ctx.settings.quiet or not found.healthy:
        ctx.stdout.write(describe(found))
    if not found.healthy:
        raise ErrorList([DataError("%s: %s" % (path, problem)) for problem in found.problems])
    return 0


def describe(found):
    """The text report of ``check-db``."""
    users = "-" if found.users is None else str(found.users)
    if found.locked_users is not None:
        users += ", of which %d locked" % found.locked_users
    lines = [
        "%s: %s" % (found.path, "healthy" if found.healthy else "DAMAGED"),
        "  %s, foreign_key_check: %s" % (
            found.check, "ok" if found.healthy else "%d problem%s" % (len(found.problems), "" if len(found.problems) == 1 else "s")),
        "  schema version: %d (this tool's: %d)" % (found.schema_version, found.tool_schema_version),
        "  users: %s" % users,
        "  last sync: %s" % (found.last_sync or "never"),
    ]
    return "\n".join(lines) + "\n"
