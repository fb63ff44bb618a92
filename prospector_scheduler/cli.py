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
        raise UsageError("%s%s (see '%s --help')" % (where, message, self.prog))


def _global_parser(stdout):
    parser = ArgumentParser(prog=PROGRAM, usage=USAGE, add_help=False, output=stdout)
    parser.add_argument("--db", metavar="PATH")
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true")
    loudness.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--timestamps", action="store_true")
    parser.add_argument("--metrics-file", metavar="PATH")
    parser.add_argument("--version", action="store_true")
    parser.add_argument("-h", "--help", action="store_true")
    parser.add_argument("command", nargs="?")
    parser.add_argument("arguments", nargs=argparse.REMAINDER)
    return parser


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
    return UsageError("unknown command '%s' (%s)" % (name, hint))


def run(argv, stdin, stdout, stderr, environ, registry_factory=Registry, invocation=None):
    """Parse ``argv``, run the command and return its exit code; errors propagate.

    ``invocation``, a dict, receives the command's name (``"command"``) once
    it is known and whether it is a dry run (``"dry_run"``): the metrics file
    records the run as a job run by that name.
    """
    invocation = {} if invocation is None else invocation
    options = _global_parser(stdout).parse_args(argv)
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
        prog="%s %s" % (PROGRAM, spec.name), description=spec.description or spec.summary, output=stdout
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

    argv = sys.argv[1:] if argv is None else list(argv)
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    environ = os.environ if environ is None else environ
    timestamps, metrics_file, db = early_options(argv)
    if not timestamps:
        return _main(argv, stdin, stdout, stderr, environ, registry_factory, metrics_file, db, time.time())
    from prospector_scheduler.timestamps import TimestampedStream

    real = (sys.stdout, sys.stderr)
    stamped_out, stamped_err = TimestampedStream(stdout), TimestampedStream(stderr)
    # Warnings and the like that Python itself prints go to sys.stderr: stamp them too.
    if stdout is sys.stdout:
        sys.stdout = stamped_out
    if stderr is sys.stderr:
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
        stream = stdout if error.report_to_stdout else stderr
        for line in error.report_lines(PROGRAM):
            stream.write(line + "\n")
        return error.exit_code
    except KeyboardInterrupt:
        stderr.write("%s: interrupted\n" % PROGRAM)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (``| head``): nothing left to say.
        if stdout is sys.stdout or getattr(stdout, "stream", None) is sys.__stdout__:
            _silence_stdout()
        return ExitCode.IOERR
    except Exception:
        import traceback

        traceback.print_exc(file=stderr)
        stderr.write("%s: internal error (a bug; please report it with the traceback above)\n" % PROGRAM)
        return ExitCode.SOFTWARE
