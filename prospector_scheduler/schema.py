"""The schema of the database: its versions, the migrations between them, and the checks at every open.

This is the one place that owns the schema versions: ``MIGRATIONS`` brings a
file from any older version to ``SCHEMA_VERSION``, all or nothing, and
``COLUMNS_OF_VERSION`` says what each version must hold. A newer or negative
version, a version whose tables or columns are missing, and a version-0 file
holding a table of ours are refused (73). ``SchemaVersioning`` holds these
checks and the upgrade; ``store.UserStore`` mixes it in. The tables' contents
are the table modules' (``users_table``, ``user_changes``, ``sync_runs``,
``job_history``).
"""

from prospector_scheduler.errors import CantCreateError
from prospector_scheduler.user_changes import CHANGES

SCHEMA_VERSION = 3

# The prefix of the source_sha256 values that the version-2 migration keeps:
# that of the first digests without secrets, frozen here as the migration
# was released (sync_runs.SOURCE_DIGEST_PREFIX has moved on since).
_VERSION_2_DIGEST_PREFIX = "nosecrets-sha256:"

# Each step brings the schema from the version before it to the version given.
MIGRATIONS = (
    (
        1,
        (
            """CREATE TABLE users (
                id            INTEGER PRIMARY KEY,
                username      TEXT NOT NULL UNIQUE,
                email         TEXT,
                password_hash TEXT NOT NULL,
                created_at    TEXT NOT NULL,
                updated_at    TEXT NOT NULL
            )""",
            """CREATE TABLE sync_runs (
                id             INTEGER PRIMARY KEY,
                started_at     TEXT NOT NULL,
                ended_at       TEXT NOT NULL,
                source         TEXT NOT NULL,
                source_sha256  TEXT NOT NULL,
                created        INTEGER NOT NULL,
                password_reset INTEGER NOT NULL,
                unchanged      INTEGER NOT NULL,
                host           TEXT NOT NULL,
                os_user        TEXT NOT NULL,
                tool_version   TEXT NOT NULL
            )""",
        ),
    ),
    (
        2,
        (
            # Offboarding: a disabled user keeps its real hash aside.
            "ALTER TABLE users ADD COLUMN disabled_at TEXT",
            "ALTER TABLE users ADD COLUMN kept_password_hash TEXT",
            "ALTER TABLE sync_runs ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE sync_runs ADD COLUMN enabled INTEGER NOT NULL DEFAULT 0",
            # NULL for the runs of version 1, which did not count them.
            "ALTER TABLE sync_runs ADD COLUMN not_in_file INTEGER",
            """CREATE TABLE user_changes (
                id         INTEGER PRIMARY KEY,
                changed_at TEXT NOT NULL,
                username   TEXT NOT NULL,
                change     TEXT NOT NULL CHECK (change IN (%s)),
                sync_run   INTEGER REFERENCES sync_runs (id),
                command    TEXT NOT NULL,
                os_user    TEXT NOT NULL,
                host       TEXT NOT NULL
            )""" % ", ".join("'%s'" % change for change in CHANGES),
            "CREATE INDEX user_changes_by_username ON user_changes (username, id)",
            # A plain SHA-256 of a users file lets a password guess be checked at
            # SHA-256 speed: keep no digest made before the design changed.
            "UPDATE sync_runs SET source_sha256 = '' WHERE substr(source_sha256, 1, %d) != '%s'"
            % (len(_VERSION_2_DIGEST_PREFIX), _VERSION_2_DIGEST_PREFIX),
        ),
    ),
    (
        3,
        (
            # The scheduler's history (job_history): one row per run; a slot is claimed once.
            """CREATE TABLE job_runs (
                id            INTEGER PRIMARY KEY,
                job           TEXT NOT NULL,
                scheduled_for TEXT,
                trigger       TEXT NOT NULL,
                started_at    TEXT NOT NULL,
                ended_at      TEXT,
                duration      REAL,
                exit_code     INTEGER,
                outcome       TEXT NOT NULL,
                host          TEXT NOT NULL,
                pid           INTEGER
            )""",
            "CREATE UNIQUE INDEX job_runs_slot ON job_runs (job, scheduled_for)",
        ),
    ),
)

OUR_TABLES = ("users", "sync_runs", "user_changes", "job_runs")
# The columns each schema version must have, checked at every open: a file that
# says it is version N but lacks them was not made by this tool.
_COLUMNS_1 = {
    "users": ("id", "username", "email", "password_hash", "created_at", "updated_at"),
    "sync_runs": (
        "id", "started_at", "ended_at", "source", "source_sha256", "created", "password_reset",
        "unchanged", "host", "os_user", "tool_version",
    ),
}
_COLUMNS_2 = {
    "users": _COLUMNS_1["users"] + ("disabled_at", "kept_password_hash"),
    "sync_runs": _COLUMNS_1["sync_runs"] + ("disabled", "enabled", "not_in_file"),
    "user_changes": ("id", "changed_at", "username", "change", "sync_run", "command", "os_user", "host"),
}
_COLUMNS_3 = dict(_COLUMNS_2, job_runs=(
    "id", "job", "scheduled_for", "trigger", "started_at", "ended_at", "duration", "exit_code", "outcome",
    "host", "pid",
))
COLUMNS_OF_VERSION = {1: _COLUMNS_1, 2: _COLUMNS_2, 3: _COLUMNS_3}


class SchemaVersioning(object):
    """The schema checks and upgrade of an open database, mixed into ``store.UserStore``
    (they use its connection and ``write_transaction``)."""

    def schema_version(self):
        """The ``PRAGMA user_version`` of the file: 0 for a database without our schema."""
        with self._errors():
            return self.connection.execute("PRAGMA user_version").fetchone()[0]

    def check_version(self):
        """Refuse a schema this tool did not make or does not know; return the version found.

        A newer version, a negative one, a version whose tables or columns are
        missing, and version 0 with a table of ours that we did not make are
        all refused (73), read-only or not, before anything is read or written.
        The version and the tables are read in one transaction: another run
        that creates the schema meanwhile is seen entirely or not at all.
        """
        if self.connection.in_transaction:
            return self._check_version()
        with self._errors():
            self.connection.execute("BEGIN")
        try:
            return self._check_version()
        finally:
            if self.connection.in_transaction:
                with self._errors():
                    self.connection.execute("COMMIT")

    def _check_version(self):
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            from prospector_scheduler import __version__

            raise CantCreateError(
                "the database %s has schema version %d, newer than the version %d that "
                "prospector-scheduler %s knows: upgrade prospector-scheduler"
                % (self.path, version, SCHEMA_VERSION, __version__)
            )
        if version < 0:
            raise CantCreateError(
                "the database %s has schema version %d, which prospector-scheduler never writes: "
                "it was not made by this tool, refusing to use it" % (self.path, version)
            )
        if version == 0:
            self._refuse_foreign_tables()
        else:
            self._check_columns(version)
        return version

    def _check_columns(self, version):
        with self._errors():
            for table, wanted in sorted(COLUMNS_OF_VERSION.get(version, {}).items()):
                found = [row[1] for row in self.connection.execute("PRAGMA table_info(%s)" % table)]
                if not found:
                    raise CantCreateError(
                        "the database %s has schema version %d but no table %s: it was not made by "
                        "this tool (or was damaged), refusing to use it" % (self.path, version, table)
                    )
                missing = [column for column in wanted if column not in found]
                if missing:
                    raise CantCreateError(
                        "the database %s has schema version %d but its table %s has no column %s: "
                        "it was not made by this tool (or was damaged), refusing to use it"
                        % (self.path, version, table, missing[0])
                    )

    def upgrade(self):
        """Create the schema or apply the forward migrations it lacks, all or nothing.

        Inside ``write_transaction()`` the migrations become part of it;
        otherwise they get a transaction of their own.
        """
        if self.check_version() == SCHEMA_VERSION:
            return
        if self.connection.in_transaction:
            self._migrate()
        else:
            with self.write_transaction():
                self._migrate()

    def _migrate(self):
        # Read again under the lock: another run may have upgraded it meanwhile.
        version = self.check_version()
        with self._errors():
            for target, statements in MIGRATIONS:
                if target > version:
                    for statement in statements:
                        self.connection.execute(statement)
                    self.connection.execute("PRAGMA user_version = %d" % target)

    def _refuse_foreign_tables(self):
        with self._errors():
            names = [
                row[0]
                for row in self.connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
        clashes = [name for name in names if name in OUR_TABLES]
        if clashes:
            raise CantCreateError(
                "the database %s has a table %s but no prospector-scheduler schema "
                "version: it was not made by this tool, refusing to change it"
                % (self.path, clashes[0])
            )

    def has_schema(self):
        """Whether the tables exist (False for an empty file opened read-only)."""
        return self.schema_version() >= 1
