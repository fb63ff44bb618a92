"""The health of a database file: SQLite's own checks and what this tool knows of its content.

``check`` opens the live database or a backup strictly read-only (it never
creates, upgrades or writes the file, not even to roll back an interrupted
write) and runs ``PRAGMA integrity_check`` (or ``quick_check``) and
``PRAGMA foreign_key_check``, then reads the schema version, the counts of
users and of locked users, and the time of the last sync. It returns a
``Health`` record and does not print; damage is data in the record, not an
exception. Files it cannot judge at all raise the usual errors.
"""

import os
import pathlib
import sqlite3
from typing import List, NamedTuple, Optional

from prospector_scheduler import database_errors, schema
from prospector_scheduler.errors import CantCreateError, NoInputError
from prospector_scheduler.printable import printable

HEADER = b"SQLite format 3\x00"


class Health(NamedTuple):
    """What ``check`` found. ``problems`` lists every problem SQLite reported, escaped; empty when healthy."""

    path: str
    check: str
    problems: List[str]
    schema_version: int
    tool_schema_version: int
    users: Optional[int]
    locked_users: Optional[int]
    last_sync: Optional[str]

    @property
    def healthy(self):
        return not self.problems




def _uri(path):
    """A read-only URI; a WAL-mode file with no WAL beside it is read as immutable.

    A read-only connection to a WAL-mode database creates the -wal and -shm
    files when they are missing (and cannot remove them): with no -wal file no
    committed page lives outside the database file, so reading the file as it
    is, without locks, sees everything.
    """
    uri = pathlib.Path(os.path.abspath(path)).as_uri() + "?mode=ro"
    with open(path, "rb") as stream:
        header = stream.read(20)
    if len(header) == 20 and header[18] == 2 and not os.path.exists(path + "-wal"):
        uri += "&immutable=1"
    return uri


def _open(path):
    if not os.path.exists(path):
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise NoInputError("there is no database at %s: the directory %s does not exist" % (path, directory))
        raise NoInputError("there is no database at %s" % path)
    if os.path.isdir(path):
        raise NoInputError("cannot read the database %s: it is a directory" % path)
    try:
        with open(path, "rb") as stream:
            header = stream.read(len(HEADER))
    except OSError as error:
        raise NoInputError("cannot read the database %s: %s" % (path, error.strerror or error)) from None
    if header != HEADER:
        raise CantCreateError("%s is not an SQLite database" % path)
    try:
        return sqlite3.connect(_uri(path), uri=True, isolation_level=None, timeout=5.0)
    except sqlite3.Error as error:
        raise _translated(error, path) from None


def _translated(error, path):
    translated = database_errors.database_error(error, path, read_only=True)
    if translated is None:
        return CantCreateError("cannot read the database %s: %s" % (path, printable(str(error))))
    return translated


def _damage(error):
    """Whether an sqlite3 error while reading means the file is damaged."""
    text = str(error)
    return "malformed" in text or "not a database" in text or "disk I/O error" in text


def check(path, quick=False):
    """Check the database at ``path`` and return its ``Health``; never writes.

    Raises ``NoInputError`` (66) for a missing or unreadable file,
    ``CantCreateError`` (73) for a file that is not an SQLite database, has a
    newer schema than this tool, or holds an interrupted write that only a
    writer can roll back.
    """
    connection = _open(path)
    problems = []
    version = 0
    users = locked = last_sync = None
    name = "quick_check" if quick else "integrity_check"
    try:
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as error:
            if not _damage(error):
                raise _translated(error, path) from None
            problems.append(printable(str(error)))
        if version > schema.SCHEMA_VERSION:
            from prospector_scheduler import __version__

            raise CantCreateError(
                "the database %s has schema version %d, newer than the version %d that "
                "prospector-scheduler %s knows: upgrade prospector-scheduler"
                % (path, version, schema.SCHEMA_VERSION, __version__)
            )
        for pragma, describe in ((name, _integrity_problem), ("foreign_key_check", _foreign_key_problem)):
            try:
                rows = connection.execute("PRAGMA %s" % pragma).fetchall()
            except sqlite3.Error as error:
                if not _damage(error):
                    raise _translated(error, path) from None
                problems.append("PRAGMA %s failed: %s" % (pragma, printable(str(error))))
                continue
            for row in rows:
                if row != ("ok",):
                    problems.extend(describe(row))
        if version >= 1:
            try:
                users, locked, last_sync = _content(connection)
            except sqlite3.Error as error:
                if not _damage(error):
                    raise _translated(error, path) from None
                problems.append("reading the users and sync runs failed: %s" % printable(str(error)))
    finally:
        connection.close()
    return Health(path, name, problems, version, schema.SCHEMA_VERSION, users, locked, last_sync)


def _integrity_problem(row):
    """The problems of one row of integrity_check: SQLite may put several in one, a line each."""
    return [printable(line) for line in str(row[0]).splitlines()
            if line.strip() and not line.startswith("*** in database ")]


def _foreign_key_problem(row):
    table, rowid, parent, _ = row
    return [printable("foreign key: row %s of %s refers to a missing row of %s" % (rowid, table, parent))]


def _content(connection):
    """``(users, locked users or None, the end of the last sync or None)``."""
    connection.execute("BEGIN")
    try:
        users = connection.execute("SELECT count(*) FROM users").fetchone()[0]
        columns = [row[1] for row in connection.execute("PRAGMA table_info(users)")]
        locked = None
        if "disabled_at" in columns:
            locked = connection.execute("SELECT count(*) FROM users WHERE disabled_at IS NOT NULL").fetchone()[0]
        last_sync = connection.execute("SELECT max(ended_at) FROM sync_runs").fetchone()[0]
    finally:
        connection.execute("COMMIT")
    return users, locked, last_sync
