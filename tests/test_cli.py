"""The command line: listing, help, version, dispatch, global options and exit codes."""

import functools
import unittest

from prospector_scheduler import __version__
from prospector_scheduler.registry import Registry
from tests.support import run_cli, run_process
from tests.test_registry import CommandPackage

PROBE = '''
"""probe: a command for testing the command line.

Example:  prospector-scheduler probe --raise DataError
"""
import os
from prospector_scheduler import errors
from prospector_scheduler.registry import command

def add_arguments(parser):
    parser.add_argument("--raise", dest="error", help="raise this error class")
    parser.add_argument("--code", type=int, help="return this exit code")

@command("probe", "Report what a command receives.", add_arguments)
def probe(ctx, args):
    ctx.log.debug("debug line")
    ctx.log.info("info line")
    ctx.log.warning("warning line")
    ctx.stdout.write("result db=%s verbosity=%d\\n" % (ctx.settings.db_path, ctx.settings.verbosity))
    if args.error == "KeyboardInterrupt":
        raise KeyboardInterrupt()
    if args.error == "RuntimeError":
        raise RuntimeError("a bug")
    if args.error == "BrokenPipeError":
        raise BrokenPipeError()
    if args.error:
        raise getattr(errors, args.error)("it failed", path="users.yaml", line=3, column=7)
    return args.code
'''

SYNC = '''
from prospector_scheduler.registry import command

@command("sync-users", "Bring users in step.")
def sync_users(ctx, args):
    pass

@command("list-users", "List users.")
def list_users(ctx, args):
    pass
'''


class CliTest(CommandPackage):
    def setUp(self):
        CommandPackage.setUp(self)
        package = self.make_package({"probe": PROBE, "sync": SYNC})
        self.registry_factory = functools.partial(Registry, package, entry_points=[])

    def run_cli(self, *args, **kwargs):
        return run_cli(args, registry_factory=self.registry_factory, **kwargs)

    def test_no_arguments_lists_the_commands(self):
        for args in [(), ("--help",), ("-h",), ("-q",)]:
            with self.subTest(args=args):
                result = self.run_cli(*args)
                self.assertEqual(result.code, 0)
                self.assertEqual(result.stderr, "")
                lines = result.stdout.splitlines()
                self.assertEqual(lines[0], "usage: prospector-scheduler [--db PATH] [-q | -v] <command> [arguments]")
                self.assertIn("  list-users  List users.", lines)
                self.assertIn("  probe       Report what a command receives.", lines)
                self.assertIn("  sync-users  Bring users in step.", lines)

    def test_version(self):
        result = self.run_cli("--version")
        self.assertEqual((result.code, result.stdout, result.stderr), (0, "prospector-scheduler %s\n" % __version__, ""))

    def test_command_help_shows_its_arguments_and_description(self):
        result = self.run_cli("probe", "--help")
        self.assertEqual(result.code, 0)
        self.assertTrue(result.stdout.startswith("usage: prospector-scheduler probe [-h] [--raise ERROR] [--code CODE]"), result.stdout)
        self.assertIn("Example:  prospector-scheduler probe --raise DataError", result.stdout)
        self.assertIn("raise this error class", result.stdout)
        self.assertEqual(result.stderr, "")

    def test_unknown_command_suggests_the_closest_names(self):
        table = [
            ("sync-user", "unknown command 'sync-user' (did you mean 'sync-users'?)"),
            ("lst-users", "unknown command 'lst-users' (did you mean 'list-users'?)"),
            ("sync", "unknown command 'sync' (did you mean 'sync-users'?)"),
            ("frobnicate", "unknown command 'frobnicate' (run 'prospector-scheduler' for the list of commands)"),
        ]
        for name, message in table:
            with self.subTest(name=name):
                result = self.run_cli(name)
                self.assertEqual(result.code, 64)
                self.assertEqual(result.stdout, "")
                self.assertEqual(result.stderr, "prospector-scheduler: error: %s\n" % message)

    def test_usage_errors_exit_64_with_one_line(self):
        table = [
            (("probe", "--code", "x"), "prospector-scheduler: error: probe: argument --code: invalid int value: 'x' (see 'prospector-scheduler probe --help')\n"),
            (("probe", "extra"), "prospector-scheduler: error: probe: unrecognized arguments: extra (see 'prospector-scheduler probe --help')\n"),
            (("-q", "-v", "probe"), "prospector-scheduler: error: argument -v/--verbose: not allowed with argument -q/--quiet (see 'prospector-scheduler --help')\n"),
            (("--db",), "prospector-scheduler: error: argument --db: expected one argument (see 'prospector-scheduler --help')\n"),
            (("probe", "--cod", "3"), "prospector-scheduler: error: probe: unrecognized arguments: --cod 3 (see 'prospector-scheduler probe --help')\n"),
        ]
        for args, stderr in table:
            with self.subTest(args=args):
                result = self.run_cli(*args)
                self.assertEqual((result.code, result.stdout, result.stderr), (64, "", stderr))

    def test_global_options_reach_the_command(self):
        table = [
            ((), {}, "prospector.db", 0),
            ((), {"PROSPECTOR_DB": "/var/lib/p.db"}, "/var/lib/p.db", 0),
            (("--db", "x.db"), {"PROSPECTOR_DB": "/var/lib/p.db"}, "x.db", 0),
            (("-q",), {}, "prospector.db", -1),
            (("--verbose",), {}, "prospector.db", 1),
        ]
        for options, environ, db, verbosity in table:
            with self.subTest(options=options, environ=environ):
                result = self.run_cli(*(options + ("probe",)), environ=environ)
                self.assertEqual(result.code, 0)
                self.assertEqual(result.stdout, "result db=%s verbosity=%d\n" % (db, verbosity))

    def test_quiet_and_verbose_decide_what_reaches_stderr(self):
        prefix = "prospector-scheduler: "
        table = [
            ("-q", ["warning: warning line"]),
            (None, ["info line", "warning: warning line"]),
            ("-v", ["debug line", "info line", "warning: warning line"]),
        ]
        for option, lines in table:
            with self.subTest(option=option):
                result = self.run_cli(*([option] if option else []) + ["probe"])
                self.assertEqual(result.stderr.splitlines(), [prefix + line for line in lines])

    def test_errors_map_to_their_exit_codes_with_one_line(self):
        table = [
            ("UsageError", 64), ("DataError", 65), ("NoInputError", 66), ("CantCreateError", 73),
            ("OutputError", 74), ("BusyError", 75), ("NoPermissionError", 77), ("ConfigError", 78),
        ]
        for error, code in table:
            with self.subTest(error=error):
                result = self.run_cli("-q", "probe", "--raise", error)
                self.assertEqual(result.code, code)
                self.assertEqual(result.stderr, "prospector-scheduler: warning: warning line\nusers.yaml:3:7: it failed\n")

    def test_a_command_returns_its_exit_code(self):
        self.assertEqual(self.run_cli("probe", "--code", "3").code, 3)

    def test_a_bug_prints_its_traceback_and_exits_70(self):
        result = self.run_cli("-q", "probe", "--raise", "RuntimeError")
        self.assertEqual(result.code, 70)
        self.assertIn("Traceback (most recent call last):", result.stderr)
        self.assertIn("RuntimeError: a bug", result.stderr)
        self.assertTrue(result.stderr.endswith("prospector-scheduler: internal error (a bug; please report it with the traceback above)\n"))

    def test_ctrl_c_exits_130_without_a_traceback(self):
        result = self.run_cli("-q", "probe", "--raise", "KeyboardInterrupt")
        self.assertEqual(result.code, 130)
        self.assertEqual(result.stderr, "prospector-scheduler: warning: warning line\nprospector-scheduler: interrupted\n")

    def test_a_closed_output_pipe_exits_74_quietly(self):
        result = self.run_cli("-q", "probe", "--raise", "BrokenPipeError")
        self.assertEqual(result.code, 74)
        self.assertNotIn("Traceback", result.stderr)


class ProcessTest(unittest.TestCase):
    """``python -m prospector_scheduler`` as a real process."""

    def test_listing(self):
        result = run_process([])
        self.assertEqual(result.code, 0, result)
        self.assertTrue(result.stdout.startswith("usage: prospector-scheduler"), result.stdout)
        self.assertEqual(result.stderr, "")

    def test_unknown_command(self):
        result = run_process(["no-such-command"])
        self.assertEqual(result.code, 64)
        self.assertTrue(result.stderr.startswith("prospector-scheduler: error: unknown command 'no-such-command'"))
        self.assertEqual(len(result.stderr.splitlines()), 1)


if __name__ == "__main__":
    unittest.main()


class CommandLineSplitTest(unittest.TestCase):
    """Issue 9.17 (the global parser swallowed ``--``) and 10.8 (``--db`` after the command)."""

    def test_split_command(self):
        from prospector_scheduler.cli import split_command

        cases = [
            (["check-config", "--", "-u.yaml"], ([], "check-config", ["--", "-u.yaml"])),
            (["--db", "x.db", "-q", "list-users", "--format", "json"], (["--db", "x.db", "-q"], "list-users", ["--format", "json"])),
            (["--db=x.db", "list-users"], (["--db=x.db"], "list-users", [])),
            (["--", "list-users", "-q"], ([], "list-users", ["-q"])),
            (["-q"], (["-q"], None, [])),
            ([], ([], None, [])),
        ]
        for argv, expected in cases:
            with self.subTest(argv=argv):
                self.assertEqual(split_command(argv), expected)

    def test_double_dash_reaches_the_command(self):
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as directory:
            previous = os.getcwd()
            os.chdir(directory)
            try:
                with open("-u.yaml", "w") as stream:
                    stream.write("users: []\n")
                os.chmod("-u.yaml", 0o600)
                result = run_cli(["check-config", "--", "-u.yaml"])
            finally:
                os.chdir(previous)
        self.assertEqual((result.code, result.stdout, result.stderr), (0, "-u.yaml: 0 users OK\n", ""))

    def test_global_option_after_the_command(self):
        cases = [
            (["list-users", "--db", "good.yaml"], "list-users: --db is a global option: give it before the command "
             "(prospector-scheduler --db PATH list-users ...) (see 'prospector-scheduler list-users --help')"),
            (["check-config", "users.yaml", "-q"], "check-config: -q is a global option: give it before the command "
             "(prospector-scheduler -q check-config ...) (see 'prospector-scheduler check-config --help')"),
            (["list-users", "--bogus"], "list-users: unrecognized arguments: --bogus "
             "(see 'prospector-scheduler list-users --help')"),
        ]
        for argv, message in cases:
            with self.subTest(argv=argv):
                result = run_cli(argv)
                self.assertEqual((result.code, result.stderr), (64, "prospector-scheduler: error: %s\n" % message))
