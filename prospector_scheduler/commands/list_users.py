"""list-users: show the users in the database, to check what a sync did.

One line per user, ordered by username: the username, email, when it was
created and last updated (UTC), when it was disabled ("-" while enabled), the
scheme of its password hash (a disabled user's kept hash; "none" when it has
none) and whether that hash is weaker than the current policy (it is then
replaced the next time a sync resets that user's password). Never the hash
itself. --disabled or --enabled lists only those users. Control characters
in names are shown escaped. Opens the database read-only: it never creates,
upgrades or changes it. Printed with -q too.

Example:  prospector-scheduler --db /var/lib/prospector/prospector.db list-users
          prospector-scheduler list-users --disabled --format json
"""

from prospector_scheduler import arguments
from prospector_scheduler.registry import command

COLUMNS = ("USERNAME", "EMAIL", "CREATED", "UPDATED", "DISABLED", "SCHEME", "NEEDS REHASH")


def add_arguments(parser):
    arguments.add_output_format(parser)
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--disabled", dest="state", action="store_const", const=True,
                       help="only the disabled users")
    state.add_argument("--enabled", dest="state", action="store_const", const=False,
                       help="only the enabled users")


@command("list-users", "Show the users in the database (never their hashes).", add_arguments)
def list_users(ctx, args):
    from prospector_scheduler import store

    with store.open_database(ctx.settings.db_path, read_only=True) as database:
        rows = database.list_users(disabled=args.state)
    described = []
    if rows:
        from prospector_scheduler import passwords

        # Only compared with, never used to make or check a hash: its PBKDF2
        # fallback warning (issue 10.5) does not apply here.
        policy = passwords.policy_from_environ(ctx.environ, warn=lambda message: None)
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
            shown(user["username"]),
            shown(user["email"]),
            shown(user["created_at"]),
            shown(user["updated_at"]),
            shown(user["disabled_at"]),
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
    """A user as list-users shows it: every column but the hashes, plus its scheme and rehash need.

    For a disabled user these describe the kept hash, the one that returns
    when it is enabled; "none" when it has none (it needs a new password).
    """
    from prospector_scheduler import passwords
    from prospector_scheduler.errors import ProspectorError

    real_hash = row.real_hash
    if real_hash is None:
        scheme = "none"
    else:
        try:
            scheme = passwords.scheme_of(real_hash)
        except ProspectorError:
            scheme = "unknown"
    if scheme in ("none", "unknown"):
        weak = True
    else:
        weak = passwords.needs_rehash(real_hash, policy)
    return {
        "username": as_text(row.username),
        "email": as_text(row.email),
        "created_at": as_text(row.created_at),
        "updated_at": as_text(row.updated_at),
        "disabled_at": as_text(row.disabled_at),
        "hash_scheme": scheme,
        "needs_rehash": weak,
    }


def shown(text):
    """A cell of the text table: ``-`` for none, control characters escaped."""
    from prospector_scheduler.printable import printable

    return "-" if text is None else printable(text)


def as_text(value):
    """A value read from the database as text: a BLOB (another program wrote it) as ``x'HEX'``."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return "x'%s'" % value.hex()
    return str(value)
