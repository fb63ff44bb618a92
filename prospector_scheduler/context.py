"""What a command receives: settings, streams, a log and a way to open the database.

One ``Context`` is made per run by the CLI and passed to the command body
explicitly; there is no module-level state. Tests build their own.
"""

import collections

PROGRAM = "prospector-scheduler"
DEFAULT_DB = "prospector.db"
DB_ENVIRONMENT_VARIABLE = "PROSPECTOR_DB"

QUIET = -1
NORMAL = 0
VERBOSE = 1


# Not a typing.NamedTuple: typing is too slow to import at every start-up.
class Settings(collections.namedtuple("Settings", "db_path verbosity metrics_file db_path_given")):
    """The global options of one run: the database path, the verbosity (-1, 0 or 1),
    the ``--metrics-file`` path (None without it), and whether the database path was
    given (``--db`` or $PROSPECTOR_DB) rather than the default."""

    __slots__ = ()

    def __new__(cls, db_path=DEFAULT_DB, verbosity=NORMAL, metrics_file=None, db_path_given=True):
        return super(Settings, cls).__new__(cls, db_path, verbosity, metrics_file, db_path_given)

    @property
    def quiet(self):
        return self.verbosity <= QUIET

    @property
    def verbose(self):
        return self.verbosity >= VERBOSE


class Log(object):
    """Messages for the operator, on stderr: warnings always, the rest by verbosity."""

    def __init__(self, stream, verbosity, program=PROGRAM):
        self.stream = stream
        self.verbosity = verbosity
        self.program = program

    def _write(self, kind, message):
        from prospector_scheduler.printable import printable

        # Messages name paths and values from outside: control characters escaped.
        self.stream.write("%s: %s%s\n" % (self.program, kind, printable(message)))
        self.stream.flush()

    def error(self, message):
        self._write("error: ", message)

    def warning(self, message):
        self._write("warning: ", message)

    def info(self, message):
        if self.verbosity >= NORMAL:
            self._write("", message)

    def debug(self, message):
        if self.verbosity >= VERBOSE:
            self._write("", message)


class Context(object):
    """Everything a command body needs, passed as one object."""

    def __init__(self, settings, stdin, stdout, stderr, environ, log=None):
        self.settings = settings
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.environ = environ
        self.log = log if log is not None else Log(stderr, settings.verbosity)

    def open_database(self, create=True, wait=30.0):
        """Open the database named by ``--db`` (see ``store.open_database``)."""
        from prospector_scheduler import store

        return store.open_database(self.settings.db_path, create=create, wait=wait)


def db_path_from(option, environ):
    """The database path: ``--db``, else $PROSPECTOR_DB, else ``prospector.db``.

    An empty ``--db ""`` is a UsageError rather than the default (a variable
    that expanded to nothing in a crontab); an empty $PROSPECTOR_DB counts as
    unset, as the shell's convention has it.
    """
    if option is not None:
        if not option:
            from prospector_scheduler.errors import UsageError

            raise UsageError("--db: the path is empty (leave out --db for the default, %s)" % DEFAULT_DB)
        return option
    return environ.get(DB_ENVIRONMENT_VARIABLE) or DEFAULT_DB


def db_path_given(option, environ):
    """Whether the database path was chosen (``--db`` or $PROSPECTOR_DB) rather than defaulted."""
    return bool(option) or bool(environ.get(DB_ENVIRONMENT_VARIABLE))
