"""The SQLite database that ``sync-users`` writes and the ProspecTor application reads.

This module owns the file and its schema: it creates a new database readable by
its owner only, upgrades older schemas, refuses newer ones, serialises writers
with ``BEGIN IMMEDIATE`` and turns every SQLite failure a user can cause into a
``ProspectorError`` with its exit code. It does not decide what to write: that
is ``sync_plan`` and the commands. The journal is SQLite's default rollback
journal, which the tool never changes (see the README, "The database").
"""

import contextlib
import datetime
import errno
import os
import pathlib
import re
import sqlite3
import stat
from typing import NamedTuple, Optional

from prospector_scheduler.errors import BusyError, CantCreateError, DataError, OutputError

try:  # Imported now: after a change of effective user the modules' directory may be out of reach.
    import grp
    import pwd
except ImportError:  # not on Windows
    grp = pwd = None

SCHEMA_VERSION = 3

# What sync_runs.source_sha256 values start with from schema version 2 on: a
# digest of the users file that cannot check a password guess (see sync). The
# version-2 migration blanks every older value, which could.
SOURCE_DIGEST_PREFIX = "nosecrets-sha256:"

# The password_hash of a disabled user: no hash at all, in no format that any
# verifier accepts (no "$", so not even a lenient PHC parser finds fields).
# The user's real hash waits in kept_password_hash until the user is enabled.
DISABLED_HASH = "!disabled"

CHANGES = ("created", "password reset", "disabled", "enabled", "deleted")

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
            % (len(SOURCE_DIGEST_PREFIX), SOURCE_DIGEST_PREFIX),
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
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# SQLite keeps its busy timeout in milliseconds in a C int: 2**31 ms is 24.8 days.
# A day is far more than any run should wait for another.
MAX_WAIT = 86400.0
# The constraint messages of SQLite that name only the constraint, never a value.
CONSTRAINT_MESSAGE = re.compile(
    r"(UNIQUE|NOT NULL|CHECK|FOREIGN KEY|PRIMARY KEY) constraint failed(: [A-Za-z0-9_., ]{1,200})?\Z"
)


# Host parameters in one statement: SQLite before 3.32 allows at most 999.
SQL_VARIABLES = 500

class UserRow(NamedTuple):
    """One row of ``users``; times are ISO 8601 UTC text such as ``2024-05-01T02:00:00Z``.

    A disabled user has ``disabled_at`` set, ``DISABLED_HASH`` as its
    ``password_hash``, and its real hash (or None) in ``kept_password_hash``.
    """

    id: int
    username: str
    email: Optional[str]
    password_hash: str
    created_at: str
    updated_at: str
    disabled_at: Optional[str] = None
    kept_password_hash: Optional[str] = None

    def __repr__(self):
        return "UserRow(id=%r, username=%r, disabled_at=%r)" % (self.id, self.username, self.disabled_at)

    @property
    def real_hash(self):
        """The user's password hash whether disabled or not; None when it has none."""
        return real_hash(self.password_hash, self.kept_password_hash)


def real_hash(password_hash, kept_password_hash):
    """The hash a user's password verifies against: the kept one while disabled."""
    if kept_password_hash is not None:
        return kept_password_hash
    return None if password_hash == DISABLED_HASH else password_hash


class NewUser(NamedTuple):
    """A row to insert into ``users``; a plain ``(username, email, password_hash)`` triple works too."""

    username: str
    email: Optional[str]
    password_hash: str
    kept_password_hash: Optional[str] = None
    disabled_at: Optional[str] = None

    def __repr__(self):
        return "NewUser(username=%r, disabled_at=%r)" % (self.username, self.disabled_at)


class UserChange(NamedTuple):
    """One row of ``user_changes``: what happened to which user, when, by what (never a hash)."""

    changed_at: str
    username: str
    change: str
    sync_run: Optional[int]
    command: str
    os_user: str
    host: str


class SyncRun(NamedTuple):
    """One row of ``sync_runs``: the audit record of a completed sync (never a password or hash)."""

    started_at: str
    ended_at: str
    source: str
    source_sha256: str
    created: int
    password_reset: int
    unchanged: int
    host: str
    os_user: str
    tool_version: str
    disabled: int = 0
    enabled: int = 0
    not_in_file: Optional[int] = None


def utc_now():
    """The current time as the store writes it: ISO 8601, UTC, whole seconds."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(TIME_FORMAT)


def database_error(error, path, wait=None, read_only=False):
    """The ``ProspectorError`` for an ``sqlite3.Error``, or None when it is a bug.

    ``read_only`` tells that the connection only reads: SQLite then says
    "readonly database" when it cannot roll back the write of an interrupted
    run (a hot journal) or cannot create the files a WAL database needs.

    SQLite's messages are fixed English text, the same in every version, and
    the error codes are only exposed from Python 3.11, so the text decides.
    """
    text = str(error)
    if isinstance(error, sqlite3.IntegrityError):
        shown = text if CONSTRAINT_MESSAGE.match(text) else "a constraint or trigger of the database refused it"
        return DataError(
            "the database %s refuses this data: %s (a rule of the database, not of prospector-scheduler; "
            "nothing was written)" % (path, shown)
        )
    if "database is locked" in text or "database table is locked" in text:
        waited = "" if wait is None else " after waiting %g seconds" % wait
        return BusyError(
            "another run holds the database %s; gave up%s, try again later" % (path, waited)
        )
    if "database or disk is full" in text:
        return OutputError("cannot write the database %s: the disk is full" % path)
    if "disk I/O error" in text:
        return OutputError("cannot write the database %s: disk I/O error" % path)
    if "not a database" in text:
        return CantCreateError("%s is not an SQLite database" % path)
    if "malformed" in text:
        return CantCreateError("the database %s is damaged (%s)" % (path, text))
    if ("readonly database" in text or "unable to open database file" in text) and read_only:
        return _read_only_problem(path)
    if "readonly database" in text:
        return CantCreateError(
            "the database %s is read-only: the file and its directory must be writable; %s"
            % (path, _facts(path, os.path.dirname(os.path.abspath(path))))
        )
    if "unable to open database file" in text:
        return CantCreateError(
            "cannot open the database %s: the file and its directory must be readable and writable; %s"
            % (path, _facts(path, os.path.dirname(os.path.abspath(path))))
        )
    return None


def _read_only_problem(path):
    """Why a read-only connection could not read ``path``, as a ``CantCreateError``."""
    directory = os.path.dirname(os.path.abspath(path))
    if _has_hot_journal(path):
        return CantCreateError(
            "the database %s holds the unfinished write of an interrupted run, which a read-only "
            "command cannot roll back: run sync-users (without --dry-run) to repair it" % path
        )
    if _is_wal(path) and not _may_write(directory, os.W_OK | os.X_OK):
        return CantCreateError(
            "cannot read the database %s: it is in WAL mode, and reading a WAL database needs its "
            "directory writable (SQLite creates %s-shm there); %s" % (path, path, _facts(directory))
        )
    return CantCreateError(
        "cannot read the database %s: the file and its directory must be readable; %s"
        % (path, _facts(path, directory))
    )


def _has_hot_journal(path):
    try:
        return os.path.getsize(path + "-journal") > 0
    except OSError:
        return False


def _is_wal(path):
    """Whether the file's header says WAL mode (bytes 18 and 19 are 2)."""
    try:
        with open(path, "rb") as stream:
            header = stream.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18:20] == b"\x02\x02"


# Who may do what: every permission message names the path, its owner and mode,
# and the effective user, so that the reader knows which side to change.


def effective_user():
    """The name of the effective user, from the password database rather than the environment."""
    if pwd is None:
        return "unknown"
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return "uid %d" % os.geteuid()


def _owner(status):
    if pwd is None:
        return "uid %d" % status.st_uid
    try:
        user = pwd.getpwuid(status.st_uid).pw_name
    except KeyError:
        user = str(status.st_uid)
    try:
        group = grp.getgrgid(status.st_gid).gr_name
    except KeyError:
        group = str(status.st_gid)
    return "%s:%s" % (user, group)


def ownership(path):
    """``"PATH is owned by USER:GROUP with mode 0640"``, or says that it cannot be looked at."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return "%s does not exist" % path
    except OSError as error:
        return "%s cannot be looked at (%s)" % (path, error.strerror)
    return "%s is owned by %s with mode %04o" % (path, _owner(status), stat.S_IMODE(status.st_mode))


def _facts(*paths):
    """The ownership of each path and the effective user, for the end of a message."""
    return "%s; this runs as %s" % ("; ".join(ownership(path) for path in paths), effective_user())


def _unsearchable_directory(path):
    """The first directory on the way to ``path`` that this process may not search, or None."""
    directory = os.path.dirname(os.path.abspath(path))
    ancestors = []
    while True:
        ancestors.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    for directory in reversed(ancestors):
        if os.path.isdir(directory) and not _may_write(directory, os.X_OK):
            return directory
    return None


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def exists(path):
    """Whether a database file exists at ``path``; ``CantCreateError`` when that cannot be told
    or when something other than a regular file is there, before SQLite touches it."""
    if path == "":
        raise CantCreateError("the database path is empty")
    try:
        status = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise CantCreateError(
                "cannot open the database %s: it is a symbolic link to %s, which does not exist"
                % (path, os.readlink(path))
            ) from None
        return False
    except NotADirectoryError:
        raise CantCreateError("cannot open the database %s: a part of the path is not a directory" % path) from None
    except PermissionError:
        directory = _unsearchable_directory(path) or os.path.dirname(os.path.abspath(path))
        raise CantCreateError(
            "cannot look at the database %s: permission denied on the directory %s; %s"
            % (path, directory, _facts(directory))
        ) from None
    for test, kind in _KINDS:
        if test(status.st_mode):
            raise CantCreateError("cannot open the database %s: it is %s, not a regular file" % (path, kind))
    if not stat.S_ISREG(status.st_mode):
        raise CantCreateError("cannot open the database %s: it is not a regular file" % path)
    return True


def remove_if_empty(path):
    """Remove the database file this run created when it is still empty (a failed first write).

    Only a 0-byte file without a journal beside it is removed: that can hold no
    one's data, so no overlapping run loses anything.
    """
    try:
        if os.path.getsize(path) == 0 and not any(
            os.path.exists(path + suffix) for suffix in ("-journal", "-wal")
        ):
            os.unlink(path)
    except OSError:
        pass


@contextlib.contextmanager
def translated_errors(path, wait=None, read_only=False, data=False):
    """Turn the SQLite errors a user can cause into ``ProspectorError``; keep bugs as they are.

    ``data`` tells that the statements write the users file's data: only there
    is a constraint failure the file's fault (an application's unique index on
    ``email``, say) rather than a bug of ours.
    """
    try:
        yield
    except sqlite3.Error as error:
        if isinstance(error, sqlite3.IntegrityError) and not data:
            raise
        translated = database_error(error, path, wait, read_only)
        if translated is None:
            raise
        raise translated from None


def create_file(path):
    """Create an empty database file readable and writable by its owner only.

    SQLite gives its journal (and WAL files) the permissions of the database
    file, so creating this file with 0600 before SQLite opens it is enough.
    Returns False when the file already existed.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as error:
        raise CantCreateError(_cannot_create_message(path, error)) from None
    try:
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)
    return True


def _cannot_create_message(path, error):
    directory = os.path.dirname(os.path.abspath(path))
    if error.errno == errno.ENOENT:
        reason = "the directory %s does not exist" % directory
    elif error.errno in (errno.EACCES, errno.EPERM):
        reason = "permission denied in %s; %s" % (directory, _facts(directory))
    elif error.errno == errno.EROFS:
        reason = "%s is on a read-only file system" % directory
    elif error.errno == errno.EISDIR:
        reason = "it is a directory"
    else:
        reason = error.strerror or str(error)
    return "cannot create the database %s: %s" % (path, reason)


def _may_write(path, mode=os.W_OK):
    """Whether this process may write ``path``, judged by its effective ids as the kernel will."""
    return os.access(path, mode, effective_ids=os.access in os.supports_effective_ids)


def check_creatable(path):
    """Raise the ``CantCreateError`` that creating a database at ``path`` would meet, without creating it."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        unsearchable = _unsearchable_directory(path)
        if unsearchable is not None:
            raise CantCreateError(
                "cannot create the database %s: permission denied on the directory %s; %s"
                % (path, unsearchable, _facts(unsearchable))
            )
        raise CantCreateError("cannot create the database %s: the directory %s does not exist" % (path, directory))
    if not _may_write(directory, os.W_OK | os.X_OK):
        raise CantCreateError(
            "cannot create the database %s: permission denied in %s; %s" % (path, directory, _facts(directory))
        )


def _check_writable(path):
    """Fail early, before any slow work, when the file or its directory cannot be written."""
    directory = os.path.dirname(os.path.abspath(path))
    if not _may_write(path, os.R_OK | os.W_OK):
        raise CantCreateError(
            "the database %s is not writable: the file must be readable and writable; %s" % (path, _facts(path))
        )
    if not _may_write(directory, os.W_OK | os.X_OK):
        raise CantCreateError(
            "the database %s cannot be written: its directory %s must be writable "
            "(SQLite creates its journal there); %s" % (path, directory, _facts(directory))
        )


def _check_readable(path):
    if not _may_write(path, os.R_OK):
        raise CantCreateError("cannot read the database %s: permission denied; %s" % (path, _facts(path)))


def _uri(path, mode):
    # A URI with mode=rw or mode=ro stops SQLite from creating the file with
    # its default permissions: only create_file() creates it.
    return pathlib.Path(os.path.abspath(path)).as_uri() + "?mode=" + mode


def open_database(path, create=True, wait=30.0, read_only=False, upgrade=True):
    """Open the database at ``path`` and return a ``UserStore``.

    ``create`` makes a missing file (0600). The schema is created or upgraded
    at once when ``upgrade``; pass False to do it later, inside the write
    transaction of the first change (``UserStore.upgrade``). ``read_only``
    opens an existing file and never writes to it. ``wait`` is how many seconds
    to wait for another run's lock before ``BusyError``. Raises
    ``CantCreateError`` (73) when the database cannot be opened or created, or
    has a newer schema than this tool knows.
    """
    if not 0 <= wait <= MAX_WAIT:
        raise ValueError("wait must be between 0 and %g seconds" % MAX_WAIT)
    created = False
    if not exists(path):
        if read_only or not create:
            directory = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(directory):
                raise CantCreateError(
                    "cannot open the database %s: the directory %s does not exist" % (path, directory)
                )
            raise CantCreateError("there is no database at %s" % path)
        created = create_file(path)
    elif read_only:
        _check_readable(path)
    else:
        _check_writable(path)
    connection = None
    try:
        with translated_errors(path, wait, read_only):
            connection = sqlite3.connect(
                _uri(path, "ro" if read_only else "rw"), uri=True, timeout=wait, isolation_level=None
            )
        store = UserStore(connection, path, wait, read_only)
        store.created = created
        if upgrade and not read_only:
            store.upgrade()
        else:
            store.check_version()
    except BaseException:
        if connection is not None:
            connection.close()
        if created:
            remove_if_empty(path)
        raise
    return store


class UserStore(object):
    """The users and sync runs of one open database.

    Reads outside a transaction see one consistent snapshot each; writes happen
    inside ``write_transaction()``, which holds SQLite's write lock.
    """

    def __init__(self, connection, path, wait, read_only):
        self.connection = connection
        self.path = path
        self.wait = wait
        self.read_only = read_only
        # Whether open_database created the file (see remove_if_empty).
        self.created = False

    def close(self):
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _errors(self, data=False):
        return translated_errors(self.path, self.wait, self.read_only, data)

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

    @contextlib.contextmanager
    def write_transaction(self):
        """Hold the write lock: every change inside is committed together or not at all.

        Waits up to ``wait`` seconds for another run's lock, then ``BusyError``.
        """
        with self._errors():
            self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self
            with self._errors():
                self.connection.execute("COMMIT")
        except BaseException:
            if self.connection.in_transaction:
                try:
                    self.connection.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite rolls back by itself when the file is gone bad; keep the first error
            raise

    def data_version(self):
        """A number that changes whenever another connection commits to the file."""
        with self._errors():
            return self.connection.execute("PRAGMA data_version").fetchone()[0]

    def snapshot(self, hashes_of=None):
        """``(data_version, StoredUsers)`` read in one transaction.

        ``StoredUsers.emails`` maps every username to its email;
        ``StoredUsers.hashes`` maps the usernames in ``hashes_of`` (all, when
        None) that exist to their password hash. A nightly sync needs the
        hashes of the users it may reset only, and at 100,000 users reading
        every hash would cost a third of the run. Comparing the version with
        ``data_version()`` later, inside the write lock, tells whether another
        run changed the database in between.
        """
        with self._errors():
            if not self.connection.in_transaction:
                self.connection.execute("BEGIN")
                try:
                    return self._snapshot(hashes_of)
                finally:
                    self.connection.execute("COMMIT")
            return self._snapshot(hashes_of)

    def _snapshot(self, hashes_of):
        from prospector_scheduler.sync_plan import StoredUsers

        emails = {}
        hashes = {}
        disabled = {}
        schema = self.schema_version()
        if schema >= 1:
            # dict() of the cursor's pairs: no Python-level step per user.
            # An email that another program stored as a BLOB is reported as x'HEX', never as bytes.
            emails = dict(self.connection.execute(
                "SELECT username, CASE WHEN typeof(email) = 'blob' THEN 'x''' || lower(hex(email)) || '''' "
                "ELSE email END FROM users"))
            if schema >= 2:
                # A disabled user's real hash is the kept one (see real_hash).
                column = "COALESCE(kept_password_hash, NULLIF(password_hash, '%s'))" % DISABLED_HASH
                # Few users are disabled: read all their hashes, which enabling one needs.
                for username, disabled_at, real in self.connection.execute(
                        "SELECT username, disabled_at, %s FROM users WHERE disabled_at IS NOT NULL" % column):
                    disabled[username] = disabled_at
                    hashes[username] = real
            else:
                column = "password_hash"
            if hashes_of is None:
                hashes = dict(self.connection.execute("SELECT username, %s FROM users" % column))
            else:
                wanted = sorted(set(hashes_of))
                for start in range(0, len(wanted), SQL_VARIABLES):
                    chunk = wanted[start:start + SQL_VARIABLES]
                    hashes.update(self.connection.execute(
                        "SELECT username, %s FROM users WHERE username IN (%s)"
                        % (column, ", ".join("?" * len(chunk))), chunk))
        # Read last, inside the same read transaction: no commit can come between.
        version = self.connection.execute("PRAGMA data_version").fetchone()[0]
        return version, StoredUsers(emails, hashes, disabled)

    def list_users(self, disabled=None):
        """Every user as a ``UserRow``, ordered by username.

        ``disabled`` True lists the disabled users only, False the enabled ones.
        """
        schema = self.schema_version()
        if schema < 1 or (disabled and schema < 2):
            return []
        columns = "id, username, email, password_hash, created_at, updated_at"
        where = ""
        if schema >= 2:
            columns += ", disabled_at, kept_password_hash"
            if disabled is not None:
                where = " WHERE disabled_at IS %sNULL" % ("NOT " if disabled else "")
        with self._errors():
            cursor = self.connection.execute("SELECT %s FROM users%s ORDER BY username" % (columns, where))
            return [UserRow(*row) for row in cursor]

    def add_users(self, users, now):
        """Insert ``NewUser`` rows (or ``(username, email, password_hash)`` triples), stamped ``now``."""
        rows = [NewUser(*user) for user in users]
        with self._errors(data=True):
            if any(row.disabled_at is not None or row.kept_password_hash is not None for row in rows):
                self.connection.executemany(
                    "INSERT INTO users (username, email, password_hash, kept_password_hash, disabled_at, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [tuple(row) + (now, now) for row in rows],
                )
                return
            self.connection.executemany(
                "INSERT INTO users (username, email, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(row.username, row.email, row.password_hash, now, now) for row in rows],
            )

    def disable_users(self, usernames, now):
        """Lock the enabled users named: their hash goes aside, ``password_hash`` becomes ``DISABLED_HASH``.

        Users already disabled are left as they are.
        """
        with self._errors():
            self.connection.executemany(
                "UPDATE users SET kept_password_hash = COALESCE(NULLIF(password_hash, ?), kept_password_hash), "
                "password_hash = ?, disabled_at = ?, updated_at = ? WHERE username = ? AND disabled_at IS NULL",
                [(DISABLED_HASH, DISABLED_HASH, now, now, username) for username in usernames],
            )

    def enable_users(self, usernames, now):
        """Unlock the disabled users named: the kept hash returns to ``password_hash`` as it was.

        A user without a kept hash keeps its ``password_hash`` (set a new one
        in the same transaction). Users already enabled are left as they are.
        """
        with self._errors():
            self.connection.executemany(
                "UPDATE users SET password_hash = COALESCE(kept_password_hash, password_hash), "
                "kept_password_hash = NULL, disabled_at = NULL, updated_at = ? "
                "WHERE username = ? AND disabled_at IS NOT NULL",
                [(now, username) for username in usernames],
            )

    def keep_password_hashes(self, changes, now):
        """Set the kept hash of disabled users from ``(username, password_hash)`` pairs: a reset while disabled."""
        with self._errors():
            self.connection.executemany(
                "UPDATE users SET kept_password_hash = ?, updated_at = ? WHERE username = ? AND disabled_at IS NOT NULL",
                [(password_hash, now, username) for username, password_hash in changes],
            )

    def delete_users(self, usernames):
        """Delete the users named; returns how many rows went."""
        with self._errors():
            cursor = self.connection.executemany("DELETE FROM users WHERE username = ?", [(name,) for name in usernames])
            return cursor.rowcount

    def add_user_changes(self, changes):
        """Append ``UserChange`` rows to ``user_changes``."""
        with self._errors():
            self.connection.executemany(
                "INSERT INTO user_changes (%s) VALUES (%s)"
                % (", ".join(UserChange._fields), ", ".join("?" * len(UserChange._fields))),
                [tuple(change) for change in changes],
            )

    def user_changes(self, username=None):
        """The recorded changes, oldest first; of one user when ``username`` is given."""
        if self.schema_version() < 2:
            return []
        where, parameters = ("", ()) if username is None else (" WHERE username = ?", (username,))
        with self._errors():
            cursor = self.connection.execute(
                "SELECT %s FROM user_changes%s ORDER BY id" % (", ".join(UserChange._fields), where), parameters
            )
            return [UserChange._make(row) for row in cursor]

    def set_password_hashes(self, changes, now):
        """Set the hash of each ``(username, password_hash)`` pair, stamping ``updated_at``."""
        with self._errors(data=True):
            self.connection.executemany(
                "UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?",
                [(password_hash, now, username) for username, password_hash in changes],
            )

    def add_sync_run(self, run):
        """Append one ``SyncRun`` to the audit table; returns its id."""
        with self._errors():
            cursor = self.connection.execute(
                "INSERT INTO sync_runs (%s) VALUES (%s)"
                % (", ".join(SyncRun._fields), ", ".join("?" * len(SyncRun._fields))),
                tuple(run),
            )
            return cursor.lastrowid

    def sync_runs(self):
        """Every recorded sync run, oldest first."""
        schema = self.schema_version()
        if schema < 1:
            return []
        fields = SyncRun._fields if schema >= 2 else SyncRun._fields[:-3]
        with self._errors():
            cursor = self.connection.execute("SELECT %s FROM sync_runs ORDER BY id" % ", ".join(fields))
            return [SyncRun(*row) for row in cursor]
