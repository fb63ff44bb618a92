"""How this process was started, so that a child can be started the same way.

``run-schedule`` runs each job as a child process of this same tool: the same
interpreter with the same interpreter options (``-I``, ``-E``, ``-s``, ``-S``,
``-W``, ``-X``, ``-O``, ``-B``), and the same entry: ``-m prospector_scheduler``,
the zip application, or the console script (both run as a file by the
interpreter). This module only builds the argument list; it starts nothing.
"""

import sys

PACKAGE = "prospector_scheduler"


def interpreter_options(flags=None, warnoptions=None, xoptions=None):
    """The command-line options of the running interpreter that change how code runs."""
    flags = sys.flags if flags is None else flags
    warnoptions = sys.warnoptions if warnoptions is None else warnoptions
    xoptions = getattr(sys, "_xoptions", {}) if xoptions is None else xoptions
    options = []
    if getattr(flags, "isolated", 0):
        options.append("-I")
    else:
        if flags.ignore_environment:
            options.append("-E")
        if flags.no_user_site:
            options.append("-s")
    if flags.no_site:
        options.append("-S")
    if getattr(flags, "safe_path", False) and not getattr(flags, "isolated", 0):
        options.append("-P")
    if flags.optimize:
        options.append("-" + "O" * flags.optimize)
    if flags.dont_write_bytecode:
        options.append("-B")
    options.extend("-W" + option for option in warnoptions)
    for name, value in sorted(xoptions.items()):
        options.append("-X" + (name if value is True else "%s=%s" % (name, value)))
    return options


def started_with_dash_m(main_module=None):
    """Whether ``__main__`` is this package's ``__main__`` run by ``-m``."""
    main_module = sys.modules.get("__main__") if main_module is None else main_module
    spec = getattr(main_module, "__spec__", None)
    return spec is not None and spec.name == PACKAGE + ".__main__"


def self_command(executable=None, argv0=None, main_module=None):
    """The argument list that starts this tool again, before its own options."""
    executable = sys.executable if executable is None else executable
    argv0 = sys.argv[0] if argv0 is None else argv0
    prefix = [executable] + interpreter_options()
    main_module = sys.modules.get("__main__") if main_module is None else main_module
    spec = getattr(main_module, "__spec__", None)
    # A script (the console script) has no spec; a zip application's is "__main__".
    runs_a_file = spec is None or spec.name == "__main__"
    if started_with_dash_m(main_module) or not runs_a_file or not argv0 or argv0 in ("-c", "-m"):
        # -m, and other Python code that called cli.main() (the package is importable there).
        return prefix + ["-m", PACKAGE]
    return prefix + [argv0]
