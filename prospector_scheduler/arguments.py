"""Command-line arguments that several commands share, declared once.

Kept apart from the modules that act on them so that ``COMMAND --help`` does
not import the users-file schema or the database layer.
"""

INPUT_FORMATS = ("yaml", "json")
OUTPUT_FORMATS = ("text", "json")


def add_users_file(parser):
    """``FILE`` (a path, or ``-`` for standard input) and ``--input-format yaml|json``."""
    parser.add_argument("file", metavar="FILE", help='the users file, or "-" for standard input')
    parser.add_argument(
        "--input-format", choices=INPUT_FORMATS, default=None, metavar="{yaml,json}",
        help="read the users file as this format (default: from the extension "
             ".yaml, .yml or .json, else JSON when the content starts with { or [, else YAML)")


def add_output_format(parser):
    """``--format text|json``: how the command prints its result."""
    parser.add_argument(
        "--format", choices=OUTPUT_FORMATS, default="text",
        help="print the result as text (default) or as one JSON object")


def seconds(text):
    """An argparse type: a number of seconds, zero or more."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of seconds, got %r" % text) from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("expected a number of seconds, zero or more, got %r" % text)
    return value


def add_wait(parser):
    """``--wait SECONDS`` (default 30): how long to wait for another run holding the database."""
    parser.add_argument(
        "--wait", type=seconds, default=30.0, metavar="SECONDS",
        help="how long to wait for another run holding the database before exiting 75 (default: 30)")


SCHEDULE_ENVIRONMENT_VARIABLE = "PROSPECTOR_SCHEDULE"


def add_schedule_file(parser):
    """``--schedule FILE``: the schedule file (default: $PROSPECTOR_SCHEDULE)."""
    parser.add_argument(
        "--schedule", metavar="FILE", default=None,
        help="the schedule file (default: the environment variable %s)" % SCHEDULE_ENVIRONMENT_VARIABLE)


def schedule_path(args, environ):
    """The schedule file's path from ``--schedule`` or the environment; a UsageError when neither."""
    path = args.schedule or environ.get(SCHEDULE_ENVIRONMENT_VARIABLE)
    if not path:
        from prospector_scheduler.errors import UsageError

        raise UsageError("no schedule file: give --schedule FILE or set %s" % SCHEDULE_ENVIRONMENT_VARIABLE)
    return path
