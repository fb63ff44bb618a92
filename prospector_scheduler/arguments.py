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
