"""The database file on disk: whether it is there, creating it owner-only, and who may use it.

Every check runs before SQLite touches the file, so that a path that is not a
regular file, a missing directory or a permission problem gets a message that
names the path, its owner and mode, and the effective user. This module does
not open connections (``store``) nor translate SQLite's errors
(``database_errors``), which uses its facts.
"""

import errno
import os
import stat

from prospector_scheduler.errors import CantCreateError

try:  # Imported now: after a change of effective user the modules' directory may be out of reach.
    import grp
    import pwd
except ImportError:  # not on Windows
    grp = pwd = None


def read_only_problem(path):
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
            "directory writable (SQLite creates %s-shm there); %s" % (path, path, facts(directory))
        )
    return CantCreateError(
        "cannot read the database %s: the file and its directory must be readable; %s"
        % (path, facts(path, directory))
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


def facts(*paths):
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
            % (path, directory, facts(directory))
        ) from None
    for test, kind in _KINDS:
        if test(status.st_mode):
            raise CantCreateError("cannot open the database %s: it is %s, not a regular file" % (path, kind))
    if not stat.S_ISREG(status.st_mode):
        raise CantCreateError("cannot open the database %s: it is not a regular file" % path)
    return True


def remove_if_empty(path):
    """Remove the database file this run created when it is still empty (a failed first write).

    Only a 0-byte file without a journal beside it is removed, and only while
    this function holds SQLite's exclusive lock on it, taken without waiting:
    a run that holds any lock on the file (one that is writing its first
    transaction into it, say) keeps it. A run that opened the file before it
    was removed and locks it afterwards finds it gone (``store.UserStore``
    checks that after taking the write lock) and writes nothing. So no
    overlapping run loses anything.
    """
    import pathlib
    import sqlite3

    if not _empty_without_journal(path):
        return
    try:
        connection = sqlite3.connect(pathlib.Path(os.path.abspath(path)).as_uri() + "?mode=rw", uri=True,
                                     timeout=0, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        # A journal in memory: this transaction writes nothing and leaves no file.
        connection.execute("PRAGMA journal_mode = MEMORY")
        connection.execute("BEGIN EXCLUSIVE")
        if _empty_without_journal(path):
            os.unlink(path)
    except (sqlite3.Error, OSError):
        pass  # another run holds the file (or it is gone already): it stays as it is
    finally:
        connection.close()


def _empty_without_journal(path):
    try:
        return os.path.getsize(path) == 0 and not any(
            os.path.exists(path + suffix) for suffix in ("-journal", "-wal"))
    except OSError:
        return False


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
        reason = "permission denied in %s; %s" % (directory, facts(directory))
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
                % (path, unsearchable, facts(unsearchable))
            )
        raise CantCreateError("cannot create the database %s: the directory %s does not exist" % (path, directory))
    if not _may_write(directory, os.W_OK | os.X_OK):
        raise CantCreateError(
            "cannot create the database %s: permission denied in %s; %s" % (path, directory, facts(directory))
        )


def check_writable(path):
    """Fail early, before any slow work, when the file or its directory cannot be written."""
    directory = os.path.dirname(os.path.abspath(path))
    if not _may_write(path, os.R_OK | os.W_OK):
        raise CantCreateError(
            "the database %s is not writable: the file must be readable and writable; %s" % (path, facts(path))
        )
    if not _may_write(directory, os.W_OK | os.X_OK):
        raise CantCreateError(
            "the database %s cannot be written: its directory %s must be writable "
            "(SQLite creates its journal there); %s" % (path, directory, facts(directory))
        )


def check_readable(path):
    if not _may_write(path, os.R_OK):
        raise CantCreateError("cannot read the database %s: permission denied; %s" % (path, facts(path)))
