"""The one error hierarchy of prospector-scheduler.

Every failure a user can cause is a ``ProspectorError``: it carries a message,
the place it happened (file, line, column) where there is one, and the exit
code from sysexits.h that the command-line tool ends with. Library code raises
these; only ``cli`` prints them. Anything that is not a ``ProspectorError`` is a
bug, and the tool prints its traceback and exits 70.
"""


class ExitCode(object):
    """Exit codes, as in sysexits.h (plus 130 for Ctrl-C)."""

    OK = 0
    USAGE = 64
    DATAERR = 65
    NOINPUT = 66
    SOFTWARE = 70
    CANTCREAT = 73
    IOERR = 74
    TEMPFAIL = 75
    NOPERM = 77
    CONFIG = 78
    INTERRUPTED = 130


class ProspectorError(Exception):
    """A failure the user can act on: message, place and exit code.

    ``path`` is the file the error is about (``"<stdin>"`` for standard input),
    ``line`` and ``column`` count from 1. ``excerpt`` is the text of the
    offending line, shown under the message with a caret below ``column``;
    leave it ``None`` when the line may hold a secret.
    """

    exit_code = ExitCode.SOFTWARE
    # Where the CLI prints the report: stderr, except for a monitoring check's verdict.
    report_to_stdout = False

    def __init__(self, message, path=None, line=None, column=None, excerpt=None):
        Exception.__init__(self, message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.excerpt = excerpt

    def place(self):
        """``FILE:LINE:COL``, or as much of it as is known, or ``""``."""
        parts = [] if self.path is None else [str(self.path)]
        if self.line is not None:
            if not parts:
                parts.append("line")
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self):
        place = self.place()
        return "%s: %s" % (place, self.message) if place else self.message

    def report_lines(self, program):
        """The lines the tool prints for this error, without newlines."""
        from prospector_scheduler.printable import printable

        # A path or a name inside the message may hold control characters:
        # escaped, so that they can neither drive a terminal nor forge a log line.
        place = self.place()
        if place:
            lines = [printable("%s: %s" % (place, self.message))]
        else:
            lines = [printable("%s: error: %s" % (program, self.message))]
        if self.excerpt is not None and self.column is not None:
            lines.append("    " + self.excerpt.rstrip("\r\n"))
            lines.append("    " + " " * (self.column - 1) + "^")
        return lines


class UsageError(ProspectorError):
    """The command line is wrong (64)."""

    exit_code = ExitCode.USAGE


class DataError(ProspectorError):
    """The input data is invalid (65)."""

    exit_code = ExitCode.DATAERR


class NoInputError(ProspectorError):
    """An input file is missing or unreadable (66)."""

    exit_code = ExitCode.NOINPUT


class CantCreateError(ProspectorError):
    """An output, such as the database, cannot be created or opened (73)."""

    exit_code = ExitCode.CANTCREAT


class OutputError(ProspectorError):
    """Reading or writing failed part way, e.g. a full disk (74)."""

    exit_code = ExitCode.IOERR


class BusyError(ProspectorError):
    """A temporary failure: try again later, e.g. another run holds the database (75)."""

    exit_code = ExitCode.TEMPFAIL


class NoPermissionError(ProspectorError):
    """The operating system refused permission (77)."""

    exit_code = ExitCode.NOPERM


class ConfigError(ProspectorError):
    """The tool's own configuration is wrong (78)."""

    exit_code = ExitCode.CONFIG


class CheckUnknownError(ProspectorError):
    """``status --check`` cannot judge: the Nagios state UNKNOWN (3), printed on stdout as a plugin must.

    A monitoring check follows the plugin conventions, not sysexits: its bad
    arguments, a missing database or an unknown job are all UNKNOWN.
    """

    exit_code = 3
    report_to_stdout = True

    def report_lines(self, program):
        return ["PROSPECTOR UNKNOWN - %s" % self.message]


class ErrorList(ProspectorError):
    """Several errors found in one pass, reported together in order.

    The exit code is that of the first error.
    """

    def __init__(self, errors):
        errors = list(errors)
        if not errors:
            raise ValueError("ErrorList needs at least one error")
        first = errors[0]
        ProspectorError.__init__(self, first.message, first.path, first.line, first.column)
        self.errors = errors
        self.exit_code = first.exit_code

    def __str__(self):
        return "\n".join(str(error) for error in self.errors)

    def report_lines(self, program):
        lines = []
        for error in self.errors:
            lines.extend(error.report_lines(program))
        return lines
