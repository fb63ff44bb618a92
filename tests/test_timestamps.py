"""Tests for --timestamps: every line of stdout and stderr starts with the UTC time, errors included."""

import io
import re
import unittest

from prospector_scheduler.timestamps import TimestampedStream
from tests import support

STAMPED = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ")
ENV = {"PROSPECTOR_HASH_COST": "low"}


class TimestampedStreamTest(unittest.TestCase):
    def test_each_line_gets_the_time_its_first_character_was_written(self):
        ticks = iter(range(0, 100, 10))
        out = io.StringIO()
        stream = TimestampedStream(out, clock=lambda: 1714528800 + next(ticks))
        stream.write("first ")
        stream.write("line\nsecond line\n\nthird")
        stream.write("")
        stream.write(" line\r\n")
        stream.writelines(["a\n", "b"])
        self.assertEqual(out.getvalue(), (
            "2024-05-01T02:00:00Z first line\n"
            "2024-05-01T02:00:10Z second line\n"
            "2024-05-01T02:00:20Z \n"
            "2024-05-01T02:00:30Z third line\r\n"
            "2024-05-01T02:00:40Z a\n"
            "2024-05-01T02:00:50Z b"
        ))

    def test_it_passes_the_rest_through(self):
        out = io.StringIO()
        stream = TimestampedStream(out)
        self.assertEqual(stream.write("abc\n"), 4)
        self.assertFalse(stream.isatty())
        stream.flush()


def assert_every_line_stamped(testcase, text):
    lines = text.splitlines()
    testcase.assertGreater(len(lines), 0)
    for line in lines:
        testcase.assertRegex(line, STAMPED)


class TimestampsOptionTest(support.TemporaryDirectoryTestCase):
    """A real process each, so that what Python itself prints is covered too."""

    def test_every_line_of_both_streams_errors_included(self):
        users = self.write("users.json", '{"users": [{"username": "ann", "password": "Stamp-secret-1"}]}')
        bad = self.write("bad.json", '{"users": [{"username": "ann", "pasword": "x", "emial": "y"}]}')
        db = self.path("p.db")
        table = [
            # (arguments, exit code, which streams must have lines)
            (["-v", "--db", db, "sync-users", users], 0, ("stdout", "stderr")),  # summary; low-cost warning
            (["--db", db, "sync-users", bad], 65, ("stderr",)),                  # two errors, two lines each
            (["--db", db, "sync-users", self.path("missing.json")], 66, ("stderr",)),
            (["--db", db, "sync-users"], 64, ("stderr",)),                       # the command's usage error
            (["--bogus"], 64, ("stderr",)),                                      # the global parser's
            (["--db", db, "list-users"], 0, ("stdout",)),
            (["--db", self.path("none.db"), "status"], 73, ("stderr",)),
            (["--db", self.path("none.db"), "status", "--check", "--warning", "1h", "--critical", "2h"], 3,
             ("stdout",)),
            ([], 0, ("stdout",)),                                                # the command list
            (["sync-users", "--help"], 0, ("stdout",)),
        ]
        for arguments, code, streams in table:
            with self.subTest(arguments=arguments):
                result = support.run_process(["--timestamps"] + arguments, env=ENV)
                self.assertEqual(result.code, code, result)
                for name in ("stdout", "stderr"):
                    text = getattr(result, name)
                    if name in streams:
                        assert_every_line_stamped(self, text)
                    for line in text.splitlines():  # a warning may come where none is expected (no scrypt)
                        self.assertRegex(line, STAMPED)

    def test_a_traceback_is_stamped_too(self):
        def broken(**kwargs):
            raise RuntimeError("a bug")

        result = support.run_cli(["--timestamps", "list-users"], registry_factory=broken)
        self.assertEqual(result.code, 70)
        assert_every_line_stamped(self, result.stderr)
        self.assertIn("RuntimeError: a bug", result.stderr)
        self.assertTrue(result.stderr.splitlines()[-1].endswith(
            "prospector-scheduler: internal error (a bug; please report it with the traceback above)"))

    def test_without_the_option_nothing_is_stamped(self):
        result = support.run_cli(["--bogus"])
        self.assertEqual(result.stderr, "prospector-scheduler: error: unrecognized arguments: --bogus "
                                        "(see 'prospector-scheduler --help')\n")


if __name__ == "__main__":
    unittest.main()
