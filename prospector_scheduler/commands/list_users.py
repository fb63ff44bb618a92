"""list-users: show the users in the database, to check what a sync did.

One line per user, ordered by username: the username, email, when it was
created and last updated (UTC), the scheme of its password hash and whether
that hash is weaker than the current policy (it is then replaced the next time
a sync resets that user's password). Never the hash itself. Opens the database
read-only: it never creates, upgrades or changes it. Printed with -q too.

Example:  prospector-scheduler --db /var/lib/prospector/prospector.db list-users
          prospector-scheduler list-users --format json
"""

from prospector_scheduler import arguments
from prospector_scheduler.registry import command

COLUMNS = ("USERNAME", "EMAIL", "CREATED", "UPDATED", "SCHEME", "NEEDS REHASH")


@command("list-users", "Show the users in the database (never their hashes).", arguments.add_output_format)
def list_users(ctx, args):
    from prospector_scheduler import store

    with store.open_database(ctx.settings.db_path, read_only=True) as database:
        rows = database.list_users()
    described = []
    if rows:
        from prospector_scheduler import passwords

        policy = passwords.policy_from_environ(ctx.environ, warn=ctx.log.warning)
        described = [describe(row, policy) for row in rows]
        not_text = sum(1 for row in rows for value in row[1:] if not isinstance(value, (str, type(None))))
        if not_text:
            ctx.log.warning(
                "the database %s holds %d value%s that %s not text (written by another program), shown as "
                "SQL blob literals x'HEX'" % (ctx.settings.db_path, not_text, "" if not_text == 1 else "s",
                                             "is" if not_text == 1 else "are")
            )
    if args.format == "json":
        import json

        ctx.stdout.write(json.dumps({"users": described}, indent=2) + "\n")
        return 0
    table = [COLUMNS] + [
        (
            user["username"] if user["username"] is not None else "-",
            user["email"] if user["email"] is not None else "-",
            user["created_at"] if user["created_at"] is not None else "-",
            user["updated_at"] if user["updated_at"] is not None else "-",
            user["hash_scheme"],
            "yes" if user["needs_rehash"] else "no",
        )
        for user in described
    ]
    widths = [max(len(line[column]) for line in table) for column in range(len(COLUMNS))]
    for line in table:
        cells = ["%-*s" % (width, cell) for width, cell in zip(widths, line)]
        ctx.stdout.write("  ".join(cells).rstrip() + "\n")
    return 0


def describe(row, policy):
    """A user as list-users shows it: every column but the hash, plus its scheme and rehash need."""
    from prospector_scheduler import passwords
    from prospector_scheduler.errors import ProspectorError

    try:
        scheme = passwords.scheme_of(row.password_hash)
    except ProspectorError:
        scheme = "unknown"
    if scheme == "unknown":
        weak = True
    else:
        weak = passwords.needs_rehash(row.password_hash, policy)
    return {
        "username": as_text(row.username),
        "email": as_text(row.email),
        "created_at": as_text(row.created_at),
        "updated_at": as_text(row.updated_at),
        "hash_scheme": scheme,
        "needs_rehash": weak,
    }


def as_text(value):
    """A value read from the database as text: a BLOB (another program wrote it) as ``x'HEX'``."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return "x'%s'" % value.hex()
    return str(value)
