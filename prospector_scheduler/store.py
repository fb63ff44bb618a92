"""The SQLite database that ``sync-users`` writes and the ProspecTor application reads: opening it.

``open_database`` opens (or creates, owner-only) the file and returns a
``UserStore``: one connection that serialises writers with ``BEGIN
IMMEDIATE``, waits a bounded time for another run's lock, and turns every
SQLite failure a user can cause into a ``ProspectorError`` with its exit code.
The file checks are ``database_files``'s, the error translation
``database_errors``'s, the schema versions and migrations ``schema``'s, and
each table's operations its own module's (``users_table``, ``user_changes``,
``sync_runs``; ``job_history`` wraps a store). It does not decide what to
write: that is ``sync_plan`` and the commands. The journal is SQLite's default
rollback journal, which the tool never changes (see the README, "The database").
"""

import contextlib
import datetime
import os
import pathlib
import sqlite3

from prospector_scheduler.database_errors import translated_errors
from prospector_scheduler.database_files import (
    check_readable, check_writable, create_file, exists, remove_if_empty,
)
from prospector_scheduler.errors import BusyError, CantCreateError, ProspectorError
from prospector_scheduler.schema import SchemaVersioning
from prospector_scheduler.sync_runs import SyncRunsTable
from prospector_scheduler.user_changes import UserChangesTable
from prospector_scheduler.users_table import UsersTable

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# SQLite keeps its busy timeout in milliseconds in a C int: 2**31 ms is 24.8 days.
# A day is far more than any run should wait for another.
MAX_WAIT = 86400.0
# A run that holds the write lock waits at least this long for readers to finish (another
# run's snapshot, list-users, a backup's copy) before it can commit. New readers cannot start
# while it waits, so the wait ends with the longest read already running. Without it, with
# --wait 0, runs that overlap could each give up for the other's read and none would finish.
READERS_WAIT = 60.0


def utc_now():
    """The current time as the store writes it: ISO 8601, UTC, whole seconds."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(TIME_FORMAT)


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
        check_readable(path)
    else:
        check_writable(path)
    connection = None
    try:
        with translated_errors(path, wait, read_only):
            connection = sqlite3.connect(
                _uri(path, "ro" if read_only else "rw"), uri=True, timeout=wait, isolation_level=None
            )
        store = UserStore(connection, path, wait, read_only)
        store.created = created
        # The file this connection has open (SQLite opened it in connect): the write
        # lock checks that the path still names it (see remove_if_empty).
        store.identity = _identity(path)
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


def _identity(path):
    """(device, inode) of the file at ``path``; None when there is none."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


class UserStore(SchemaVersioning, UsersTable, UserChangesTable, SyncRunsTable):
    """One open database: its connection, transactions and locks.

    The schema checks and each table's operations are methods mixed in from
    their modules. Reads outside a transaction see one consistent snapshot each; writes happen
    inside ``write_transaction()``, which holds SQLite's write lock.
    """

    def __init__(self, connection, path, wait, read_only):
        self.connection = connection
        self.path = path
        self.wait = wait
        # The busy timeout in force: ``wait``, or more inside the write lock (see READERS_WAIT).
        self.busy_wait = wait
        self.read_only = read_only
        # Whether open_database created the file (see remove_if_empty).
        self.created = False
        self.identity = None

    def close(self):
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _errors(self, data=False):
        return translated_errors(self.path, self.busy_wait, self.read_only, data)

    @contextlib.contextmanager
    def write_transaction(self):
        """Hold the write lock: every change inside is committed together or not at all.

        Waits up to ``wait`` seconds for another run's lock, then ``BusyError``.
        Once it holds the lock, it waits up to ``max(wait, READERS_WAIT)`` for
        readers to finish wherever a write needs them gone (the commit, a spill
        of the cache): the run that got the lock finishes.
        """
        try:
            with self._errors():
                self.connection.execute("BEGIN IMMEDIATE")
        except ProspectorError:
            self._check_not_removed()  # SQLite says "disk I/O error" for a removed file
            raise
        try:
            self._set_busy_wait(max(self.wait, READERS_WAIT))
            self._check_not_removed()
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
        finally:
            self._set_busy_wait(self.wait)

    def _set_busy_wait(self, seconds):
        # Setting SQLite's busy timeout touches no file and cannot fail on an open connection.
        if seconds != self.busy_wait:
            self.connection.execute("PRAGMA busy_timeout = %d" % int(seconds * 1000))
            self.busy_wait = seconds

    def _check_not_removed(self):
        """Raise ``BusyError`` when the path no longer names the file this connection has open.

        Another run that created the file at the same moment, failed and removed it
        while it was empty (``remove_if_empty``): a write now would go to a file no
        one can open again.
        """
        if self.identity is not None and _identity(self.path) != self.identity:
            raise BusyError(
                "another run holds the database %s: it created the file at the same moment and "
                "removed it after failing; nothing was written, try again later" % self.path
            )

    def data_version(self):
        """A number that changes whenever another connection commits to the file."""
        with self._errors():
            return self.connection.execute("PRAGMA data_version").fetchone()[0]
