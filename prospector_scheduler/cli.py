"""The command line: global options, dispatch to a command, and the error boundary.

``main(argv)`` is the only place that reads argv, prints errors and chooses the
exit code. A ``ProspectorError`` becomes its one-line report and exit code;
Ctrl-C exits 130; anything else is a bug, printed with its traceback, exit 70.
"""

import argparse
import os
import sys

from prospector_scheduler import __version__
from prospector_scheduler.context import (
    PROGRAM, QUIET, NORMAL, VERBOSE, Context, Log, Settings, db_path_from, db_path_given,
)
from prospector_scheduler.errors import ExitCode, ProspectorError, UsageError
from prospector_scheduler.registry import Registry
from prospector_scheduler.streams import StreamError

# The command whose argument words may be a password typed in the wrong place:
# no error about its command line repeats any of them.
SECRET_ARGUMENTS = "hash-password"
USAGE = "%s [--db PATH] [-q | -v] <command> [arguments]" % PROGRAM
ABOUT = "Runs the administrative and scheduled jobs of the ProspecTor system."
GLOBAL_OPTIONS = """\
global options (before the command):
  --db PATH      the SQLite database (default: $PROSPECTOR_DB, else ./prospector.db)
  -q, --quiet    print only warnings and errors (a successful run under cron prints nothing)
  -v, --verbose  print more about what is done
  --timestamps   start every line of output and errors with the UTC time (ISO 8601)
  --metrics-file PATH
                 after the run, failed or not, write the jobs' status there in the
                 Prometheus text format (for node_exporter's textfile collector)
  --version      print the version and exit
  -h, --help     print this list and exit
"""


class _HelpShown(Exception):
    """argparse printed help or a version and wants to exit with ``status``."""

    def __init__(self, status):
        Exception.__init__(self, status)
        self.status = status


def _terminal_width():
    """Like argparse's own choice, without importing shutil (slow) to make it."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 80
    return max(columns, 40) - 2


def _formatter(prog):
    return argparse.RawDescriptionHelpFormatter(prog, width=_terminal_width())


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser that raises instead of exiting and prints to given streams."""

    def __init__(self, *args, **kwargs):
        self.output = kwargs.pop("output")
        self.secret_arguments = kwargs.pop("secret_arguments", False)
        kwargs.setdefault("formatter_class", _formatter)
        kwargs.setdefault("allow_abbrev", False)
        argparse.ArgumentParser.__init__(self, *args, **kwargs)

    def print_help(self, file=None):
        self._print_message(self.format_help(), file or self.output)

    def print_usage(self, file=None):
        self._print_message(self.format_usage(), file or self.output)

    def exit(self, status=0, message=None):
        raise _HelpShown(status)

    def error(self, message):
        command = self.prog[len(PROGRAM) + 1:]
        where = "%s: " % command if command else ""
        if self.secret_arguments:
            # One of the words may be a password typed in the wrong place: repeat none.
            message = ("wrong arguments (not repeated here, as one may be a password): it takes only "
                       "--scheme scrypt or --scheme pbkdf2-sha256, and reads the password from the terminal "
                       "or standard input")
        else:
            misplaced = _misplaced_global_option(message)
            if misplaced:
                message = "%s is a global option: give it before the command (%s %s %s ...)" % (
                    misplaced, PROGRAM, misplaced + (" PATH" if misplaced in _GLOBAL_WITH_VALUE else ""), command)
        raise UsageError("%s%s (see '%s --help')" % (where, message, self.prog))


_GLOBAL_WITH_VALUE = ("--db", "--metrics-file")
_GLOBAL_FLAGS = ("-q", "--quiet", "-v", "--verbose", "--timestamps", "--version")


def _misplaced_global_option(message):
    """The global option that argparse's "unrecognized arguments: ..." starts with, or None."""
    prefix = "unrecognized arguments: "
    if not message.startswith(prefix):
        return None
    first = message[len(prefix):].split(" ", 1)[0].split("=", 1)[0]
    return first if first in _GLOBAL_WITH_VALUE + _GLOBAL_FLAGS else None


def split_command(argv):
    """``(global options, command or None, the command's arguments)`` of ``argv``, split by hand.

    argparse would take a ``--`` meant for the command as its own
    (``check-config -- -u.yaml``): the command's words are passed on exactly.
    """
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--":
            index += 1
            break
        if not word.startswith("-") or word == "-":
            break
        if word in _GLOBAL_WITH_VALUE:
            index += 2
        else:
            index += 1
    if index >= len(argv):
        return argv[:index], None, []
    return [word for word in argv[:index] if word != "--"], argv[index], argv[index + 1:]


def _global_parser(stdout, secret_arguments=False):
    parser = ArgumentParser(prog=PROGRAM, usage=USAGE, add_help=False, output=stdout,
                            secret_arguments=secret_arguments)
    parser.add_argument("--db", metavar="PATH")
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true")
    loudness.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--timestamps", action="store_true")
    parser.add_argument("--metrics-file", metavar="PATH")
    parser.add_argument("--version", action="store_true")
    parser.add_argument("-h", "--help", action="store_true")
    return parser


def parse_global(argv, stdout):
    """The global options of ``argv``, with ``.command`` (or None) and ``.arguments``, the command's words."""
    global_words, command, command_words = split_command(argv)
    options = _global_parser(stdout, secret_arguments=SECRET_ARGUMENTS in argv).parse_args(global_words)
    options.command, options.arguments = command, command_words
    return options


def command_list(registry):
    """The usage line and the list of commands with their summaries."""
    specs = registry.all()
    width = max([len(spec.name) for spec in specs] + [10])
    lines = ["usage: " + USAGE, "", ABOUT, "", "commands:"]
    for spec in specs:
        lines.append("  %-*s  %s" % (width, spec.name, spec.summary))
    if not specs:
        lines.append("  (none)")
    lines.extend(["", GLOBAL_OPTIONS.rstrip("\n"), ""])
    lines.append("Run '%s <command> --help' for the arguments of a command." % PROGRAM)
    return "\n".join(lines) + "\n"


def unknown_command(name, registry):
    """The UsageError for a name that is no command, with the closest names."""
    import difflib

    names = registry.names()
    close = [candidate for candidate in names if candidate.startswith(name)]
    for candidate in difflib.get_close_matches(name, names, n=3, cutoff=0.75):
        if candidate not in close:
            close.append(candidate)
    close = close[:3]
    if close:
        hint = "did you mean %s?" % " or ".join("'%s'" % candidate for candidate in close)
    else:
        hint = "run '%s' for the list of commands" % PROGRAM
    from prospector_scheduler.printable import printable

    return UsageError("unknown command '%s' (%s)" % (printable(name), hint))


def run(argv, stdin, stdout, stderr, environ, registry_factory=Registry, invocation=None):
    """Parse ``argv``, run the command and return its exit code; errors propagate.

    ``invocation``, a dict, receives the command's name (``"command"``) once
    it is known and whether it is a dry run (``"dry_run"``): the metrics file
    records the run as a job run by that name.
    """
    invocation = {} if invocation is None else invocation
    options = parse_global(argv, stdout)
    verbosity = QUIET if options.quiet else VERBOSE if options.verbose else NORMAL
    settings = Settings(
        db_path=db_path_from(options.db, environ),
        verbosity=verbosity,
        metrics_file=options.metrics_file,
        db_path_given=db_path_given(options.db, environ),
    )
    log = Log(stderr, verbosity)
    if options.version:
        stdout.write("%s %s\n" % (PROGRAM, __version__))
        return ExitCode.OK
    registry = registry_factory(warn=log.warning)
    if options.help or options.command is None:
        stdout.write(command_list(registry))
        return ExitCode.OK
    spec = registry.get(options.command)
    if spec is None:
        raise unknown_command(options.command, registry)
    parser = ArgumentParser(
        prog="%s %s" % (PROGRAM, spec.name), description=spec.description or spec.summary, output=stdout,
        secret_arguments=spec.name == SECRET_ARGUMENTS,
    )
    if spec.add_arguments is not None:
        spec.add_arguments(parser)
    invocation["command"] = spec.name
    try:
        arguments = parser.parse_args(options.arguments)
    except UsageError as error:
        # A command may report its own wrong command lines (status --check: Nagios' UNKNOWN).
        translate = getattr(parser, "usage_error", None)
        if translate is None:
            raise
        raise translate(error, options.arguments) from None
    invocation["dry_run"] = bool(getattr(arguments, "dry_run", False))
    context = Context(settings, stdin, stdout, stderr, environ, log)
    code = spec.run(context, arguments)
    return ExitCode.OK if code is None else code


def _silence_stdout():
    """After a broken pipe, point stdout at /dev/null so the exit flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def early_options(argv):
    """``(timestamps, metrics_file, db)`` from the global options of ``argv``, read before parsing.

    Both options must work even when the command line is wrong: its error
    gets a time, and its failure reaches the metrics file.
    """
    timestamps, metrics_file, db = False, None, None
    words = iter(argv)
    for word in words:
        name, equals, value = word.partition("=")
        if name in ("--metrics-file", "--db"):
            if not equals:
                value = next(words, None)
            if name == "--db":
                db = value
            else:
                metrics_file = value
        elif word == "--timestamps":
            timestamps = True
        elif word == "--" or not word.startswith("-"):
            break
    return timestamps, metrics_file, db


def main(argv=None, stdin=None, stdout=None, stderr=None, environ=None, registry_factory=Registry):
    """Run the tool as from the command line and return its exit code.

    Every argument defaults to the real process's: ``sys.argv[1:]``, the
    standard streams and ``os.environ``; tests and other Python code pass
    their own.
    """
    import time

    from prospector_scheduler.streams import GuardedStream

    argv = sys.argv[1:] if argv is None else list(argv)
    stdin = sys.stdin if stdin is None else stdin
    # A stream closed before the start (">&-") is None here: GuardedStream makes that 74.
    raw_stdout = sys.stdout if stdout is None else stdout
    raw_stderr = sys.stderr if stderr is None else stderr
    stdout = GuardedStream(raw_stdout, "standard output")
    stderr = GuardedStream(raw_stderr, "standard error")
    environ = os.environ if environ is None else environ
    timestamps, metrics_file, db = early_options(argv)
    if not timestamps:
        return _main(argv, stdin, stdout, stderr, environ, registry_factory, metrics_file, db, time.time())
    from prospector_scheduler.timestamps import TimestampedStream

    real = (sys.stdout, sys.stderr)
    stamped_out, stamped_err = TimestampedStream(stdout), TimestampedStream(stderr)
    # Warnings and the like that Python itself prints go to sys.stderr: stamp them too.
    if raw_stdout is sys.stdout and raw_stdout is not None:
        sys.stdout = stamped_out
    if raw_stderr is sys.stderr and raw_stderr is not None:
        sys.stderr = stamped_err
    try:
        return _main(argv, stdin, stamped_out, stamped_err, environ, registry_factory, metrics_file, db, time.time())
    finally:
        sys.stdout, sys.stderr = real


def _main(argv, stdin, stdout, stderr, environ, registry_factory, metrics_file, db, started):
    import time

    invocation = {}
    code = _guarded(lambda: run(argv, stdin, stdout, stderr, environ, registry_factory, invocation),
                    invocation, stdout, stderr)
    if metrics_file is None:
        return code

    def update():
        from prospector_scheduler import metrics, metrics_file as textfile

        job = invocation.get("command")
        run = None
        if job is not None and job not in metrics.NOT_JOBS and not invocation.get("dry_run") \
                and not invocation.get("help_shown"):
            ended = time.time()
            run = textfile.Run(job, metrics.from_epoch(ended), code, round(ended - started, 3))
        textfile.update(metrics_file, db_path_from(db, environ), run)
        return ExitCode.OK

    written = _guarded(update, {}, stdout, stderr)
    return code if code != ExitCode.OK else written


def _guarded(function, invocation, stdout, stderr):
    """The error boundary: ``function()``'s exit code, or the code of what it raised, reported."""
    try:
        code = function()
        stdout.flush()
        return code
    except _HelpShown as shown:
        invocation["help_shown"] = True
        return shown.status
    except ProspectorError as error:
        if isinstance(error, StreamError):
            # Standard output failed (or went away, ``| head``): say so once on
            # standard error where that still works; a broken pipe needs no word.
            if not error.silent:
                _report(stderr, ["%s: error: %s" % (PROGRAM, error.message)])
            return error.exit_code
        stream = stdout if error.report_to_stdout else stderr
        _report(stream, error.report_lines(PROGRAM))
        return error.exit_code
    except KeyboardInterrupt:
        _report(stderr, ["%s: interrupted" % PROGRAM])
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (``| head``): nothing left to say.
        if stdout is sys.stdout or getattr(stdout, "stream", None) is sys.__stdout__:
            _silence_stdout()
        return ExitCode.IOERR
    except Exception:
        import traceback

        _report(stderr, traceback.format_exc().rstrip("\n").split("\n") + [
            "%s: internal error (a bug; please report it with the traceback above)" % PROGRAM])
        return ExitCode.SOFTWARE


def _report(stream, lines):
    """Write ``lines`` to ``stream``; when that stream has failed too, there is nobody left to tell."""
    try:
        for line in lines:
            stream.write(line + "\n")
        stream.flush()
    except StreamError:
        pass
