"""Tests of the check-config command, through cli.main and once as a real process."""

import io
import os
import unittest

from prospector_scheduler.cli import main
from tests.support import Result, TemporaryDirectoryTestCase, run_cli, run_process

VALID = b'{"users": [{"username": "admin", "password": "SECRET-1"}, {"username": "bob", "password": "SECRET-3"}]}'
INVALID = (b'{"users": [{"username": "admin", "password": "SECRET-1", "emial": "a@b.co"},\n'
           b'  {"username": "admin", "password": 1234, "reset_on_next_run": "SECRET-2"}]}')
INVALID_REPORT = (
    '%s: users[0].emial: unknown key; did you mean "email"?\n'
    '%s: users[1].username: duplicate username "admin"; first given at users[0]\n'
    "%s: users[1].password: expected a string, got a number\n"
    "%s: users[1].reset_on_next_run: expected a boolean (true or false), got a string\n"
)


def run_with_stdin_bytes(args, data):
    """Run main(args) with a standard input whose bytes are ``data``."""
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="ascii")
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(list(args), stdin=stdin, stdout=stdout, stderr=stderr, environ={})
    return Result(code, stdout.getvalue(), stderr.getvalue())


class CheckConfigTest(TemporaryDirectoryTestCase):
    def assertNoSecret(self, result):
        self.assertNotIn("SECRET", result.stdout + result.stderr)
        self.assertNotIn("1234", result.stdout + result.stderr)

    def test_valid_file(self):
        path = self.write("users.json", VALID)
        cases = [
            ([], "%s: 2 users OK\n" % path),
            (["-v"], "%s: 2 users OK\n" % path),
            (["-q"], ""),
        ]
        for options, stdout in cases:
            with self.subTest(options=options):
                result = run_cli(options + ["check-config", path])
                self.assertEqual((result.code, result.stdout, result.stderr), (0, stdout, ""))

    def test_entries_without_password_get_a_note(self):
        # Issue 10.4: sync-users can only update these; check-config says so, as a note (exit 0, not with -q).
        path = self.write("u.json", b'{"users": [{"username": "admin", "password": "SECRET-1"}, {"username": "bob"},'
                                    b' {"username": "carol", "disabled": true}]}')
        note = ('prospector-scheduler: note: %s: users[%d] "%s" has no password: it can only be updated if already '
                'in the database, not created\n')
        cases = [
            # carol says disabled: true: a new user is then created locked, without a password.
            ([], "%s: 3 users OK\n" % path, note % (path, 1, "bob")),
            (["-q"], "", ""),
        ]
        for options, stdout, stderr in cases:
            with self.subTest(options=options):
                result = run_cli(options + ["check-config", path])
                self.assertEqual((result.code, result.stdout, result.stderr), (0, stdout, stderr))

    def test_counts(self):
        for document, line in ((b'{"users": []}', "0 users OK"), (b'{"users": [{"username": "a"}]}', "1 user OK")):
            with self.subTest(line=line):
                path = self.write("u.json", document)
                self.assertEqual(run_cli(["check-config", path]).stdout, "%s: %s\n" % (path, line))

    def test_invalid_file_reports_every_error(self):
        path = self.write("users.json", INVALID)
        result = run_cli(["check-config", path])
        self.assertEqual((result.code, result.stdout), (65, ""))
        self.assertEqual(result.stderr, INVALID_REPORT.replace("%s", path))
        self.assertNoSecret(result)

    def test_unreadable_input_exits_66(self):
        missing = os.path.join(self.tmp, "nope.yaml")
        cases = [
            (missing, "%s: cannot read the users file: No such file or directory\n" % missing),
            (self.tmp, "%s: cannot read the users file: it is a directory\n" % self.tmp),
        ]
        for path, stderr in cases:
            with self.subTest(path=path):
                result = run_cli(["check-config", path])
                self.assertEqual((result.code, result.stdout, result.stderr), (66, "", stderr))

    def test_group_readable_file_warns_and_passes(self):
        path = self.write("users.json", VALID, 0o644)
        result = run_cli(["check-config", path])
        self.assertEqual(result.code, 0)
        self.assertEqual(result.stdout, "%s: 2 users OK\n" % path)
        self.assertEqual(result.stderr, "prospector-scheduler: warning: %s can be read by group or others; "
                                        "it may hold passwords: run chmod 600 %s\n" % (path, path))
        quiet = run_cli(["-q", "check-config", path])
        self.assertEqual((quiet.stdout, quiet.stderr), ("", result.stderr))

    def test_standard_input(self):
        result = run_with_stdin_bytes(["check-config", "-"], VALID)
        self.assertEqual((result.code, result.stdout, result.stderr), (0, "<stdin>: 2 users OK\n", ""))
        result = run_with_stdin_bytes(["check-config", "-"], INVALID)
        self.assertEqual((result.code, result.stdout), (65, ""))
        self.assertEqual(result.stderr, INVALID_REPORT.replace("%s", "<stdin>"))
        result = run_with_stdin_bytes(["check-config", "-"], b'{"users": [{"username": "\xff"}]}')
        self.assertEqual((result.code, result.stderr), (
            65, "<stdin>:1:26: invalid UTF-8; a users file is UTF-8 text\n"))
        result = run_cli(["check-config", "-"], stdin=VALID.decode("ascii"))
        self.assertEqual((result.code, result.stdout), (0, "<stdin>: 2 users OK\n"))

    def test_input_format_option(self):
        path = self.write("users.txt", b'{"users": []}')
        result = run_cli(["check-config", "--input-format", "json", path])
        self.assertEqual((result.code, result.stdout), (0, "%s: 0 users OK\n" % path))
        path = self.write("users.yaml", b'{"users": []}')
        result = run_cli(["check-config", "--input-format", "json", path])
        self.assertEqual((result.code, result.stdout), (0, "%s: 0 users OK\n" % path))
        result = run_cli(["check-config", "--input-format", "toml", path])
        self.assertEqual(result.code, 64)
        self.assertIn("invalid choice: 'toml'", result.stderr)
        result = run_cli(["check-config", "--input-format", "json", self.write("u.json", b"users: []\n")])
        self.assertEqual((result.code, result.stderr), (
            65, "%s:1:1: invalid JSON: Expecting value\n" % os.path.join(self.tmp, "u.json")))

    def test_no_database_is_touched(self):
        path = self.write("users.json", VALID)
        database = os.path.join(self.tmp, "missing-dir", "db.sqlite")
        not_a_database = self.write("garbage.db", b"not sqlite")
        for db in (database, not_a_database):
            with self.subTest(db=db):
                result = run_cli(["--db", db, "check-config", path], environ={"PROSPECTOR_DB": db})
                self.assertEqual((result.code, result.stderr), (0, ""))
        self.assertFalse(os.path.exists(os.path.dirname(database)))
        with open(not_a_database, "rb") as stream:
            self.assertEqual(stream.read(), b"not sqlite")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["garbage.db", "users.json"])

    def test_usage(self):
        result = run_cli(["check-config"])
        self.assertEqual(result.code, 64)
        result = run_cli(["check-config", "--help"])
        self.assertEqual(result.code, 0)
        self.assertIn("--input-format {yaml,json}", result.stdout)
        self.assertIn("Example:  prospector-scheduler check-config users.yaml", result.stdout)

    def test_real_process(self):
        good = self.write("users.json", VALID)
        bad = self.write("bad.json", INVALID)
        result = run_process(["check-config", good])
        self.assertEqual((result.code, result.stdout, result.stderr), (0, "%s: 2 users OK\n" % good, ""))
        result = run_process(["check-config", bad])
        self.assertEqual((result.code, result.stdout, result.stderr), (65, "", INVALID_REPORT.replace("%s", bad)))
        result = run_process(["check-config", "-"], stdin=INVALID)
        self.assertEqual((result.code, result.stderr), (65, INVALID_REPORT.replace("%s", "<stdin>")))
        result = run_process(["check-config", os.path.join(self.tmp, "nope.json")])
        self.assertEqual(result.code, 66)
        self.assertNotIn("Traceback", result.stderr)


if __name__ == "__main__":
    unittest.main()
