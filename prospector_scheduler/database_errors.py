"""SQLite's errors turned into ``ProspectorError``: the ones a user can cause, each with its exit code.

A locked database is ``BusyError``, a full disk ``OutputError``, a file that is
not a database, is damaged or cannot be opened ``CantCreateError`` (with the
ownership facts of ``database_files``), and a constraint refusal ``DataError``
that repeats only the constraint's name. Anything else is a bug and stays the
``sqlite3.Error`` it was.
"""

import contextlib
import os
import re
import sqlite3

from prospector_scheduler.database_files import facts, read_only_problem
from prospector_scheduler.errors import BusyError, CantCreateError, DataError, OutputError

# The constraint messages of SQLite that name only the constraint, never a value.
CONSTRAINT_MESSAGE = re.compile(
    r"(UNIQUE|NOT NULL|CHECK|FOREIGN KEY|PRIMARY KEY) constraint failed(: [A-Za-z0-9_., ]{1,200})?\Z"
)


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
        return read_only_problem(path)
    if "readonly database" in text:
        return CantCreateError(
            "the database %s is read-only: the file and its directory must be writable; %s"
            % (path, facts(path, os.path.dirname(os.path.abspath(path))))
        )
    if "unable to open database file" in text:
        return CantCreateError(
            "cannot open the database %s: the file and its directory must be readable and writable; %s"
            % (path, facts(path, os.path.dirname(os.path.abspath(path))))
        )
    return None


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
