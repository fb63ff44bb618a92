"""Backups of the database: a consistent snapshot, written safely into a folder, and retention.

``take_backup`` copies the live database while other programs read and write
it, into a temporary file in the backup folder; it flushes the copy to disk,
checks it with ``PRAGMA integrity_check`` and only then gives it its final
name, ``prospector-YYYYMMDDTHHMMSSZ.db`` (UTC, readable by its owner only). A
failure at any step removes the temporary file and leaves earlier backups as
they were. The naming and retention rules are pure functions of names and a
time, testable without files. This module does not print and does not check
health: that is ``health`` and the commands.

Two ways to take the snapshot, equally consistent: SQLite's online backup API
(``sqlite3.Connection.backup``, Python 3.7+), and, where Python lacks it
(3.6), one read transaction that copies every table, index, view and trigger
and the header settings into the new file (``ATTACH``; ``VACUUM INTO`` would
need SQLite 3.27, and RHEL 8 has 3.26). Both hold only a read lock on the
database, never its write lock.
"""

import collections
import datetime
import errno
import os
import re
import sqlite3
import time

from prospector_scheduler.database_errors import CONSTRAINT_MESSAGE
from prospector_scheduler.errors import BusyError, CantCreateError, DataError, NoInputError, OutputError

DEFAULT_KEEP = 7
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# A second backup within the same second gets "-2", then "-3", ...: never an overwrite.
NAME = re.compile(r"prospector-([0-9]{8}T[0-9]{6}Z)(?:-([2-9]|[1-9][0-9]+))?\.db\Z")
TEMPORARY_PREFIX = ".prospector-backup-"

ONLINE_BACKUP = "online-backup"
READ_TRANSACTION = "read-transaction"
METHODS = (ONLINE_BACKUP, READ_TRANSACTION)

# errno values that mean "no space left": a full disk, a quota, a file-size limit.
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


# Not typing.NamedTuple, nor pathlib for URIs: backup-db is timed as a whole
# process (make bench), and those imports cost more than the rest of this module.
class Backup(collections.namedtuple("Backup", "path size duration method removed")):
    """What ``take_backup`` made: the file, its size in bytes, the seconds it took, the
    method, and the paths of the old backups that retention removed (a tuple)."""

    __slots__ = ()


def default_method():
    """The online backup API where this Python has it, else the read-transaction copy."""
    return ONLINE_BACKUP if hasattr(sqlite3.Connection, "backup") else READ_TRANSACTION


# ---- names and retention: pure ---------------------------------------------------------------

def backup_names(now):
    """The names a backup taken at ``now`` (an aware or UTC datetime) may get, in order of preference."""
    if now.tzinfo is not None:
        now = now.astimezone(datetime.timezone.utc)
    stamp = now.strftime(STAMP_FORMAT)
    yield "prospector-%s.db" % stamp
    number = 2
    while True:
        yield "prospector-%s-%d.db" % (stamp, number)
        number += 1


def sort_key(name):
    """``(stamp, number)`` for a name this module makes, else None (a file that is not ours)."""
    match = NAME.match(name)
    if match is None:
        return None
    stamp, number = match.groups()
    try:
        datetime.datetime.strptime(stamp, STAMP_FORMAT)
    except ValueError:
        return None
    return stamp, int(number or 1)


def to_remove(names, keep, protect=None):
    """Which of ``names`` retention removes: all of our backups but the newest ``keep``.

    Names that are not ours are never returned. ``protect`` (the backup just
    made) is always kept, even when a clock set back makes it look older.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    ours = sorted((name for name in names if sort_key(name) is not None), key=sort_key, reverse=True)
    kept = ours[:keep]
    if protect is not None and protect in ours and protect not in kept:
        kept = kept[:-1] + [protect]
    return [name for name in ours if name not in kept]


# ---- the snapshot ----------------------------------------------------------------------------

def _uri(path, mode):
    """An SQLite URI for ``path``: "%", "?" and "#" escaped, as SQLite decodes them."""
    escaped = os.path.abspath(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return "file:" + escaped + "?mode=" + mode


def _copy_online(source, destination):
    # The read transaction is taken first, so that a writer holding the database
    # makes us wait at most the busy timeout (backup() itself would retry forever),
    # and kept for the one step (pages=-1): a backup in several steps starts again
    # whenever another connection commits, and may never end under steady writes.
    source.execute("BEGIN")
    try:
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        source.backup(destination)
    finally:
        source.execute("COMMIT")


def _quoted(name):
    return '"%s"' % name.replace('"', '""')


_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*;?\s*\Z", re.I)


def _copy_in_read_transaction(destination):
    """Copy the attached ``source`` into ``main`` inside the caller's transaction.

    Reads of ``source`` share one read transaction, so they see one committed
    state: a SHARED lock in rollback-journal mode, one snapshot of the WAL in
    WAL mode.
    """
    execute = destination.execute
    # Settings that only an empty file takes come first.
    for pragma in ("page_size", "auto_vacuum"):
        value = execute("PRAGMA source.%s" % pragma).fetchone()[0]
        execute("PRAGMA main.%s = %d" % (pragma, value))
    objects = execute(
        "SELECT type, name, sql FROM source.sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
    ).fetchall()
    names = [name for kind, name, sql in objects if kind == "table"]
    for kind, name, sql in objects:
        if kind == "table" and not name.startswith("sqlite_"):
            if sql.upper().startswith("CREATE VIRTUAL TABLE"):
                raise CantCreateError(
                    "the table %s is a virtual table, which this Python's backup cannot copy: "
                    "run backup-db with Python 3.7 or newer" % name
                )
            execute(sql)
            columns = [row[1] for row in execute("PRAGMA source.table_info(%s)" % _quoted(name))]
            if not _WITHOUT_ROWID.search(sql) and "rowid" not in (column.lower() for column in columns):
                columns.insert(0, "rowid")
            listed = ", ".join(_quoted(column) if column != "rowid" else column for column in columns)
            execute("INSERT INTO main.%s (%s) SELECT %s FROM source.%s" % (_quoted(name), listed, listed, _quoted(name)))
    if "sqlite_sequence" in names:
        execute("DELETE FROM main.sqlite_sequence")
        execute("INSERT INTO main.sqlite_sequence SELECT * FROM source.sqlite_sequence")
    statistics = [name for name in names if name.startswith("sqlite_stat")]
    if statistics:
        execute("ANALYZE main")
        for name in statistics:
            if execute("SELECT 1 FROM main.sqlite_master WHERE name = ?", (name,)).fetchone():
                execute("DELETE FROM main.%s" % name)
                execute("INSERT INTO main.%s SELECT * FROM source.%s" % (name, name))
    for kind, name, sql in objects:
        if kind in ("index", "view", "trigger"):
            execute(sql)
    for pragma in ("user_version", "application_id"):
        value = execute("PRAGMA source.%s" % pragma).fetchone()[0]
        execute("PRAGMA main.%s = %d" % (pragma, value))


def _translate(error, db_path, directory, wait):
    """The ``ProspectorError`` for an ``sqlite3.Error`` met while backing up, or None (a bug)."""
    text = str(error)
    if isinstance(error, sqlite3.IntegrityError):
        # Only the copy inserts, into a new file with the source's own schema: rows of
        # the source that break that schema's constraints were read from damaged pages.
        return DataError(
            "the database %s is damaged (its rows break its own constraints: %s): run check-db"
            % (db_path, text if CONSTRAINT_MESSAGE.match(text) else "a constraint failed")
        )
    if "database is locked" in text or "database table is locked" in text:
        return BusyError(
            "another run holds the database %s; gave up after waiting %g seconds, try again later" % (db_path, wait)
        )
    if "database or disk is full" in text:
        return OutputError("cannot write the backup in %s: the disk is full" % directory)
    if "disk I/O error" in text:
        return OutputError("cannot back up %s to %s: disk I/O error" % (db_path, directory))
    if "not a database" in text:
        return CantCreateError("%s is not an SQLite database" % db_path)
    if "malformed" in text:
        return DataError("the database %s is damaged (%s): run check-db" % (db_path, text))
    if "unable to open database file" in text:
        return NoInputError("cannot read the database %s" % db_path)
    if "readonly database" in text:
        # Reading needs a write only to roll back an interrupted run's journal.
        return CantCreateError(
            "the database %s holds the unfinished write of an interrupted run, which this user "
            "cannot roll back (the file is read-only to it): run sync-users to repair it" % db_path
        )
    return None


def _os_error(error, action):
    """The ``ProspectorError`` for an ``OSError`` while writing a backup."""
    reason = error.strerror or str(error)
    if error.errno in _FULL:
        return OutputError("%s: the disk is full (%s)" % (action, reason))
    if error.errno in _DENIED:
        return CantCreateError("%s: %s" % (action, reason))
    return OutputError("%s: %s" % (action, reason))


def _may_write(path):
    return os.access(path, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids)


def check_paths(db_path, directory):
    """Raise the error a backup of ``db_path`` into ``directory`` would meet before any work."""
    if not os.path.exists(db_path):
        raise NoInputError("there is no database at %s" % db_path)
    if os.path.isdir(db_path):
        raise NoInputError("cannot read the database %s: it is a directory" % db_path)
    if not os.access(db_path, os.R_OK, effective_ids=os.access in os.supports_effective_ids):
        raise NoInputError("cannot read the database %s: permission denied" % db_path)
    if not os.path.isdir(directory):
        if os.path.exists(directory):
            raise CantCreateError("cannot write backups to %s: it is not a directory" % directory)
        raise CantCreateError("cannot write backups to %s: the directory does not exist" % directory)
    if not _may_write(directory):
        raise CantCreateError("cannot write backups to %s: permission denied" % directory)


def _fsync_directory(directory):
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_quietly(path):
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(path + suffix)
        except OSError:
            pass


def _write_snapshot(db_path, temporary, method, wait):
    """Copy the database into the (empty, 0600) file ``temporary`` and check the copy."""
    destination = sqlite3.connect(_uri(temporary, "rw"), uri=True, timeout=wait, isolation_level=None)
    try:
        # The copy is a new file that is removed on any failure: it needs no journal,
        # and the one fsync at the end replaces SQLite's.
        destination.execute("PRAGMA journal_mode = OFF")
        destination.execute("PRAGMA synchronous = OFF")
        # Pages written by the copy stay in this connection's cache for the integrity
        # check (up to 64 MiB): a fifth less work for it at 100,000 users.
        destination.execute("PRAGMA cache_size = -65536")
        if method == ONLINE_BACKUP:
            source = sqlite3.connect(_uri(db_path, "rw"), uri=True, timeout=wait, isolation_level=None)
            try:
                _copy_online(source, destination)
            finally:
                source.close()
        else:
            destination.execute("ATTACH DATABASE ? AS source", (_uri(db_path, "rw"),))
            destination.execute("BEGIN")
            try:
                _copy_in_read_transaction(destination)
                destination.execute("COMMIT")
            except BaseException:
                if destination.in_transaction:
                    destination.execute("ROLLBACK")
                raise
            destination.execute("DETACH DATABASE source")
        # A copy of a WAL-mode database says WAL in its header; a backup is kept in
        # rollback-journal mode, so that reading it (check-db, sqlite3) creates no files.
        destination.execute("PRAGMA journal_mode = DELETE")
        problems = [row[0] for row in destination.execute("PRAGMA integrity_check")]
    finally:
        destination.close()
    if problems != ["ok"]:
        raise DataError(
            "the copy of %s failed its integrity check (%s): the database itself may be damaged, "
            "run check-db" % (db_path, "; ".join(problems[:3]))
        )


def _place(temporary, directory, now):
    """Give ``temporary`` the first free backup name for ``now``, never replacing a file."""
    for name in backup_names(now):
        final = os.path.join(directory, name)
        try:
            os.link(temporary, final)
        except FileExistsError:
            continue
        except OSError as error:
            # EPERM from link() means a file system without hard links (vfat, some
            # network file systems): then a rename, after a check (not atomic).
            if error.errno != errno.EPERM and error.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            if os.path.lexists(final):
                continue
            os.rename(temporary, final)
            return final
        os.unlink(temporary)
        return final


def take_backup(db_path, directory, keep=DEFAULT_KEEP, wait=30.0, method=None, clock=None, timer=time.monotonic):
    """Back up the database at ``db_path`` into ``directory``; return a ``Backup``.

    ``keep`` backups made by this module remain afterwards (the new one
    included); other files in ``directory`` are never touched. ``wait`` is how
    long to wait for a writer that holds the database. ``method`` is one of
    ``METHODS`` (default: ``default_method()``). ``clock`` returns the current
    UTC time as a datetime (it names the file), ``timer`` measures the duration.
    Raises ``NoInputError`` (66) for a missing database, ``CantCreateError``
    (73) for a folder that cannot be written, ``OutputError`` (74) for a full
    disk, ``BusyError`` (75), ``DataError`` (65) for a damaged database.
    """
    started = timer()
    if clock is None:
        clock = _utc_now
    if method is None:
        method = default_method()
    if method not in METHODS:
        raise ValueError("unknown backup method %r" % method)
    check_paths(db_path, directory)
    now = clock()
    temporary = os.path.join(directory, "%s%d-%s.tmp" % (TEMPORARY_PREFIX, os.getpid(), os.urandom(4).hex()))
    try:
        descriptor = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise _os_error(error, "cannot write backups to %s" % directory) from None
    try:
        try:
            os.fchmod(descriptor, 0o600)
            _write_snapshot(db_path, temporary, method, wait)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        final = _place(temporary, directory, now)
        _fsync_directory(directory)
    except sqlite3.Error as error:
        _remove_quietly(temporary)
        translated = _translate(error, db_path, directory, wait)
        if translated is None:
            raise
        raise translated from None
    except OSError as error:
        _remove_quietly(temporary)
        raise _os_error(error, "cannot write the backup in %s" % directory) from None
    except BaseException:
        _remove_quietly(temporary)
        raise
    size = os.stat(final).st_size
    removed = remove_old_backups(directory, keep, protect=os.path.basename(final))
    return Backup(final, size, timer() - started, method, tuple(removed))


def remove_old_backups(directory, keep, protect=None):
    """Apply retention in ``directory``; return the paths removed (only regular files of ours)."""
    names = []
    for entry in os.scandir(directory):
        if sort_key(entry.name) is not None and entry.is_file(follow_symlinks=False):
            names.append(entry.name)
    removed = []
    for name in to_remove(names, keep, protect):
        path = os.path.join(directory, name)
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue  # another backup's retention was quicker
        except OSError as error:
            raise _os_error(error, "cannot remove the old backup %s" % path) from None
        removed.append(path)
    return removed


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc)
