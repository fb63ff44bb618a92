"""Tests for prospector_scheduler.streams: closed or failing standard streams end in 74, never a traceback.

Issue 9 items 8 and 15, tried as real processes with the shell's redirections.
"""

import io
import json
import os
import shlex
import subprocess
import unittest

from prospector_scheduler.streams import GuardedStream, StreamError
from tests import support

ENV = {"PROSPECTOR_HASH_COST": "low"}
SECRET = "pw-Streams-1"


class GuardedStreamTest(unittest.TestCase):
    def test_failures_become_stream_errors(self):
        class Full(io.StringIO):
            def flush(self):
                raise OSError(28, "No space left on device")

        class Gone(io.StringIO):
            def write(self, text):
                raise BrokenPipeError(32, "Broken pipe")

        closed = io.StringIO()
        closed.close()
        cases = [
            (None, "write", "cannot write standard output: it is closed", False),
            (closed, "write", "cannot write standard output: it is closed", False),
            (Full(), "flush", "cannot write standard output: No space left on device", False),
            (Gone(), "write", "cannot write standard output: the reader went away (broken pipe)", True),
        ]
        for stream, method, message, silent in cases:
            with self.subTest(message=message):
                guarded = GuardedStream(stream, "standard output")
                with self.assertRaises(StreamError) as caught:
                    guarded.write("x")
                    guarded.flush()
                self.assertEqual((caught.exception.message, caught.exception.silent), (message, silent))
                self.assertEqual(caught.exception.exit_code, 74)
                with self.assertRaises(StreamError):
                    guarded.write("again")


@unittest.skipUnless(os.path.exists("/dev/full"), "needs /dev/full")
class RedirectionTest(support.TemporaryDirectoryTestCase):
    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("prospector.db")
        self.users = self.write("users.json", json.dumps({"users": [{"username": "alice", "password": SECRET}]}),
                                mode=0o644)
        self.password = self.write("password.txt", SECRET + "\n")

    def shell(self, words, redirection, stdin=None):
        command = " ".join(shlex.quote(word) for word in support.python_command(
            "-m", "prospector_scheduler", "--db", self.db) + words)
        if stdin is not None:
            command += " <" + shlex.quote(stdin)
        process = subprocess.Popen(["sh", "-c", "exec 3>&2; %s %s 2>&3" % (command, redirection)
                                    if "2>" not in redirection else "%s %s" % (command, redirection)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=support.process_environment(ENV))
        out, err = process.communicate(timeout=60)
        return process.returncode, err.decode("utf-8", "replace")

    def test_every_command_ends_in_74(self):
        commands = [
            (["--version"], None),
            (["sync-users", self.users], None),
            (["list-users"], None),
            (["list-users", "--format", "json"], None),
            (["check-config", self.users], None),
            (["hash-password"], self.password),
        ]
        redirections = [
            (">&-", "cannot write standard output: it is closed"),
            (">/dev/full", "cannot write standard output: No space left on device"),
            (">/dev/full 2>&1", None),
            (">&- 2>&-", None),
        ]
        for words, stdin in commands:
            for redirection, line in redirections:
                with self.subTest(words=words, redirection=redirection):
                    code, err = self.shell(words, redirection, stdin)
                    self.assertEqual(code, 74, err)
                    self.assertNotIn("Traceback", err)
                    self.assertNotIn(SECRET, err)
                    if line is not None:
                        self.assertEqual(err.splitlines()[-1], "prospector-scheduler: error: " + line, err)

    def test_closed_standard_error_with_a_warning(self):
        # The users file is group-readable: the warning cannot be written.
        code, err = self.shell(["check-config", self.users], "2>&-")
        self.assertEqual(code, 74)

    def test_hash_password_with_standard_input_closed(self):
        code, err = self.shell(["hash-password"], "<&-")
        self.assertEqual(code, 74, err)
        self.assertEqual(
            err, "prospector-scheduler: error: cannot read standard input: it is closed (give the password on it, "
                 "or run on a terminal)\n")

    def test_broken_pipe_in_every_format(self):
        self.shell(["sync-users", self.users], "")
        connection = __import__("sqlite3").connect(self.db)
        with connection:
            connection.executemany(
                "INSERT INTO users (username, password_hash, created_at, updated_at) VALUES (?, 'h', 'x', 'x')",
                [("user%06d" % n,) for n in range(20000)])
        connection.close()
        for words in (["list-users"], ["list-users", "--format", "json"]):
            with self.subTest(words=words):
                command = " ".join(shlex.quote(word) for word in support.python_command(
                    "-m", "prospector_scheduler", "--db", self.db) + words)
                process = subprocess.Popen(
                    ["sh", "-c", "{ %s; echo \"exit $?\" >&2; } | head -c 10 >/dev/null" % command],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=support.process_environment(ENV))
                out, err = process.communicate(timeout=60)
                self.assertIn("exit 74", err.decode())
                self.assertNotIn("Traceback", err.decode())


if __name__ == "__main__":
    unittest.main()
