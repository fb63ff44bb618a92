"""hash-password: from a pipe, from a terminal (a pseudo-terminal), options and errors; never the password."""

import hashlib
import io
import os
import select
import sys
import time
import unittest
from unittest import mock

from prospector_scheduler import passwords
from prospector_scheduler.cli import main
from tests.support import process_environment, python_command, run_cli, run_process

try:
    import pty
    import termios  # noqa: F401 (getpass needs it to turn echo off)
except ImportError:  # not a POSIX system
    pty = None

HAS_SCRYPT = getattr(hashlib, "scrypt", None) is not None
LOW = {"PROSPECTOR_HASH_COST": "low"}
SECRET = "Correct Horse 42"
LOW_SCRYPT_WARNING = (
    "prospector-scheduler: warning: password hashed below the standard cost (scrypt ln=10,r=8,p=1"
    " instead of ln=17,r=8,p=1, see PROSPECTOR_HASH_COST): it will need rehashing\n"
)
LOW_PBKDF2_WARNING = (
    "prospector-scheduler: warning: password hashed below the standard cost (pbkdf2-sha256 1000 rounds"
    " instead of 600000 rounds, see PROSPECTOR_HASH_COST): it will need rehashing\n"
)
FALLBACK_WARNING = (
    "prospector-scheduler: warning: this Python's hashlib has no scrypt:"
    " passwords are hashed with PBKDF2-HMAC-SHA256 instead\n"
)
DEFAULT_SCHEME = "scrypt" if HAS_SCRYPT else "pbkdf2-sha256"
DEFAULT_WARNINGS = LOW_SCRYPT_WARNING if HAS_SCRYPT else FALLBACK_WARNING + LOW_PBKDF2_WARNING
# Where scrypt is missing, the run warns once before it reads the password.
BEFORE_READING = "" if HAS_SCRYPT else FALLBACK_WARNING


WRONG_ARGUMENTS = (
    "hash-password: wrong arguments (not repeated here, as one may be a password): it takes only --scheme "
    "scrypt or --scheme pbkdf2-sha256, and reads the password from the terminal or standard input (see "
    "'prospector-scheduler hash-password --help')"
)


class PipeTest(unittest.TestCase):
    def assertHashOf(self, result, password, scheme, warnings):
        self.assertEqual((result.code, result.stderr), (0, warnings))
        self.assertTrue(result.stdout.endswith("\n"))
        stored = result.stdout[:-1]
        self.assertNotIn("\n", stored)
        self.assertEqual(passwords.scheme_of(stored), scheme)
        self.assertTrue(passwords.verify_password(password, stored))
        self.assertNotIn(password, result.stdout + result.stderr)

    def test_the_first_line_is_the_password(self):
        cases = [
            (SECRET + "\n", SECRET),
            (SECRET, SECRET),
            (SECRET + "\r\n", SECRET),
            ("  spaces kept  \n", "  spaces kept  "),
            ("tab\tkept\t\n", "tab\tkept\t"),
            ("first line\nsecond line\n", "first line"),
            ("carriage\rinside\n", "carriage\rinside"),
            ("trailing CR kept alone\r", "trailing CR kept alone\r"),
            ("p\u00e4ssw\u00f6rd \u2713\n", "p\u00e4ssw\u00f6rd \u2713"),
        ]
        for stdin, password in cases:
            with self.subTest(stdin=stdin):
                result = run_cli(["hash-password"], stdin=stdin, environ=LOW)
                self.assertHashOf(result, password, DEFAULT_SCHEME, DEFAULT_WARNINGS)

    def test_bytes_are_read_as_utf8(self):
        for data, password in [(b"gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln\n", "gr\u00fc\u00dfe aus K\u00f6ln")]:
            with self.subTest(data=data):
                stdin = io.TextIOWrapper(io.BytesIO(data), encoding="ascii")
                stdout, stderr = io.StringIO(), io.StringIO()
                code = main(["hash-password"], stdin=stdin, stdout=stdout, stderr=stderr, environ=LOW)
                self.assertEqual((code, stderr.getvalue()), (0, DEFAULT_WARNINGS))
                self.assertTrue(passwords.verify_password(password, stdout.getvalue()[:-1]))

    def test_scheme(self):
        cases = [
            (["--scheme", "pbkdf2-sha256"], {}, "pbkdf2-sha256", LOW_PBKDF2_WARNING),
            ([], {"PROSPECTOR_HASH_SCHEME": "pbkdf2-sha256"}, "pbkdf2-sha256", LOW_PBKDF2_WARNING),
        ]
        if HAS_SCRYPT:
            cases.append((["--scheme", "scrypt"], {"PROSPECTOR_HASH_SCHEME": "pbkdf2-sha256"}, "scrypt",
                          LOW_SCRYPT_WARNING))
        for options, environ, scheme, warnings in cases:
            with self.subTest(options=options, environ=environ):
                environ = dict(environ, **LOW)
                result = run_cli(["hash-password"] + options, stdin=SECRET + "\n", environ=environ)
                self.assertHashOf(result, SECRET, scheme, warnings)

    def test_fallback_without_scrypt_warns_once(self):
        with mock.patch.object(hashlib, "scrypt", None, create=True):
            result = run_cli(["hash-password"], stdin=SECRET + "\n", environ=LOW)
        self.assertHashOf(result, SECRET, "pbkdf2-sha256", FALLBACK_WARNING + LOW_PBKDF2_WARNING)

    def test_short_password_warns_without_showing_it(self):
        result = run_cli(["hash-password", "--scheme", "pbkdf2-sha256"], stdin="abc12\n", environ=LOW)
        warnings = "prospector-scheduler: warning: the password is shorter than 8 characters\n" + LOW_PBKDF2_WARNING
        self.assertHashOf(result, "abc12", "pbkdf2-sha256", warnings)

    def test_no_argument_is_ever_repeated(self):
        """Issue 9.5: every argparse error path of hash-password, and the global parser's before it."""
        secret = "x9Secret-pw"
        cases = [
            ["hash-password", "-" + secret],
            ["hash-password", "--", "-" + secret],
            ["hash-password", "--" + secret],
            ["hash-password", "--scheme", secret],
            ["hash-password", "--scheme=" + secret],
            ["hash-password", "--scheme"],
            ["hash-password", "--sch", "scrypt", "-" + secret],
            ["-" + secret, "hash-password"],
            ["--db", "x.db", "-" + secret, "hash-password"],
        ]
        for argv in cases:
            with self.subTest(argv=argv):
                result = run_cli(argv, stdin=SECRET + "\n", environ=LOW)
                self.assertEqual((result.code, result.stdout), (64, ""))
                self.assertNotIn(secret, result.stderr)
                self.assertNotIn(secret[2:8], result.stderr)
                self.assertEqual(result.stderr.count("\n"), 1)
        result = run_cli(["hash-password", "--", "-" + secret], stdin=SECRET + "\n", environ=LOW)
        self.assertEqual(result.stderr, "prospector-scheduler: error: hash-password takes no password argument "
                         "(every user can read the command line): type it when asked, or give it on standard input\n")

    def test_errors(self):
        cases = [
            ([], "", 65, "standard input is empty: give the password on its first line"),
            ([], "\n", 65, "the password is empty"),
            ([], "\r\n", 65, "the password is empty"),
            ([], "x" * 4097 + "\n", 65, "the password is longer than 4096 bytes in UTF-8"),
            ([], "x" * 5000, 65, "the password is longer than 4096 bytes in UTF-8"),
            ([], "\u00e9" * 2049 + "\n", 65, "the password is longer than 4096 bytes in UTF-8"),
            ([SECRET], SECRET, 64, "hash-password takes no password argument (every user can read the"
                                   " command line): type it when asked, or give it on standard input"),
            (["--scheme", "md5"], SECRET, 64, WRONG_ARGUMENTS),
        ]
        for arguments, stdin, code, message in cases:
            with self.subTest(arguments=arguments, stdin=stdin[:10]):
                result = run_cli(["hash-password"] + arguments, stdin=stdin, environ=LOW)
                self.assertEqual((result.code, result.stdout), (code, ""))
                before = BEFORE_READING if code == 65 else ""
                self.assertEqual(result.stderr, before + "prospector-scheduler: error: %s\n" % message)

    def test_input_that_is_not_utf8(self):
        stdin = io.TextIOWrapper(io.BytesIO(b"caf\xe9 latin-1\n"), encoding="latin-1")
        stdout, stderr = io.StringIO(), io.StringIO()
        code = main(["hash-password"], stdin=stdin, stdout=stdout, stderr=stderr, environ=LOW)
        self.assertEqual((code, stdout.getvalue()), (65, ""))
        self.assertEqual(
            stderr.getvalue(), BEFORE_READING + "prospector-scheduler: error: standard input is not UTF-8 text\n"
        )

    @unittest.skipIf(HAS_SCRYPT, "hashlib.scrypt exists here; the fallback is simulated in other tests")
    def test_asking_for_scrypt_without_it(self):
        result = run_cli(["hash-password", "--scheme", "scrypt"], stdin=SECRET, environ=LOW)
        self.assertEqual((result.code, result.stdout), (78, ""))
        self.assertEqual(
            result.stderr, "prospector-scheduler: error: scrypt was asked for, but this Python's hashlib has no scrypt\n"
        )

    def test_help(self):
        result = run_cli(["hash-password", "--help"])
        self.assertEqual((result.code, result.stderr), (0, ""))
        self.assertIn("--scheme {scrypt,pbkdf2-sha256}", result.stdout)
        self.assertIn("Examples:  prospector-scheduler hash-password\n", result.stdout)
        self.assertNotIn("refused", result.stdout)

    def test_from_a_pipe_in_a_real_process(self):
        result = run_process(["hash-password"], stdin=(SECRET + "\nnext line\n").encode("utf-8"), env=LOW)
        self.assertHashOf(result, SECRET, DEFAULT_SCHEME, DEFAULT_WARNINGS)


@unittest.skipIf(pty is None, "no pseudo-terminals on this system")
class TerminalTest(unittest.TestCase):
    """The command run on a pseudo-terminal that is its controlling terminal and standard input."""

    TIMEOUT = 10.0

    def run_on_terminal(self, answers, arguments=()):
        """Run hash-password on a new terminal, typing each answer after its prompt.

        Returns (exit code, what the terminal showed, stdout, stderr); stdout
        and stderr are pipes, apart from the terminal.
        """
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        command = python_command("-m", "prospector_scheduler", "hash-password", *arguments)
        environ = process_environment(LOW)
        pid, terminal = pty.fork()
        if pid == 0:  # the child: stdin is the terminal, stdout and stderr the pipes
            try:
                os.dup2(out_write, 1)
                os.dup2(err_write, 2)
                os.execve(command[0], command, environ)
            finally:
                os._exit(127)
        os.close(out_write)
        os.close(err_write)
        shown = b""
        deadline = time.monotonic() + self.TIMEOUT
        prompts = [b"Password: ", b"Password again: "][: len(answers)]
        pending = list(zip(prompts, answers))
        while True:
            if pending and shown.endswith(pending[0][0]):
                # getpass turns echo off before it prompts, so typing now is not echoed.
                os.write(terminal, pending.pop(0)[1].encode("utf-8") + b"\n")
            ready, _, _ = select.select([terminal], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, 9)
                self.fail("no prompt or exit within %s seconds; the terminal showed %r" % (self.TIMEOUT, shown))
            try:
                chunk = os.read(terminal, 1024)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                break
            shown += chunk
        _, status = os.waitpid(pid, 0)
        os.close(terminal)
        with os.fdopen(out_read, "rb") as stream:
            stdout = stream.read().decode("utf-8")
        with os.fdopen(err_read, "rb") as stream:
            stderr = stream.read().decode("utf-8")
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
        return code, shown.decode("utf-8", "replace"), stdout, stderr

    def test_asked_twice_without_echo(self):
        for password in [SECRET, "p\u00e4ssw\u00f6rd \u2713 und mehr"]:
            with self.subTest(password=password):
                code, shown, stdout, stderr = self.run_on_terminal([password, password])
                self.assertEqual((code, stderr), (0, DEFAULT_WARNINGS))
                self.assertEqual(shown.replace("\r\n", "\n"), "Password: \nPassword again: \n")
                self.assertNotIn(password, shown + stdout + stderr)
                self.assertTrue(passwords.verify_password(password, stdout[:-1]))
                self.assertEqual(passwords.scheme_of(stdout[:-1]), DEFAULT_SCHEME)

    def test_scheme_option(self):
        code, shown, stdout, stderr = self.run_on_terminal([SECRET, SECRET], ["--scheme", "pbkdf2-sha256"])
        self.assertEqual((code, stderr), (0, LOW_PBKDF2_WARNING))
        self.assertEqual(passwords.scheme_of(stdout[:-1]), "pbkdf2-sha256")

    def test_the_two_must_match(self):
        code, shown, stdout, stderr = self.run_on_terminal([SECRET, SECRET + "!"])
        self.assertEqual((code, stdout), (65, ""))
        self.assertEqual(stderr, BEFORE_READING + "prospector-scheduler: error: the two passwords typed differ\n")
        self.assertNotIn(SECRET, shown + stdout + stderr)

    def test_an_empty_password_is_refused(self):
        code, shown, stdout, stderr = self.run_on_terminal(["", ""])
        self.assertEqual((code, stdout), (65, ""))
        self.assertEqual(stderr, BEFORE_READING + "prospector-scheduler: error: the password is empty\n")


if __name__ == "__main__":
    unittest.main()
