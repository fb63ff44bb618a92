"""No password, nor any piece of one, in any output of any command reading a users file.

Hostile users files (and the same bytes on standard input) of every class
issue 9 found leaking: a password piped into the wrong command, a comma
splitting a flow-mapping password, a password run into its key, duplicate and
misspelled keys, a password as a key, unusual characters and bytes in a
password, comments. Each is run through check-config (file and standard
input), sync-users --dry-run and sync-users; every output and the database
are searched for each secret and each of its 4-character pieces.
"""

import os

from tests import support

ENV = {"PROSPECTOR_HASH_COST": "low"}

# (name, document, secrets): every secret below must stay out of every output.
CASES = [
    ("bare password", b"Tr0ub4dor&3\n", ["Tr0ub4dor&3"]),
    ("password:colon", b"hunter2:S3cr3tPW\n", ["hunter2", "S3cr3tPW"]),
    ("password as a key", b"hunter2: S3cr3tPW\n", ["hunter2", "S3cr3tPW"]),
    ("password as a key in an entry", b"users:\n  - username: bob\n    Tr0ub4dorZ: x\n", ["Tr0ub4dorZ"]),
    ("flow comma", b"users: [{username: bob, password: pa,ss-Tr0ub4dor}]\n", ["ss-Tr0ub4dor"]),
    ("flow comma number", b"users: [{username: bob, password: ab, 12345678}]\n", ["12345678"]),
    ("flow comma then known key", b"users: [{username: bob, password: ab, email: Tr0ub4dor}]\n",
     ["Tr0ub4dor"]),
    ("flow comma then username", b"users:\n  - {username: bob}\n  - {password: ab, username: bob}\n",
     []),
    ("flow comma boolean", b"users: [{username: bob, password: ab, reset_on_next_run: Tr0ub4dor}]\n",
     ["Tr0ub4dor"]),
    ("flow comma over lines", b"users: [{username: bob, password: pa,\n    ss-Tr0ub4dor: x}]\n",
     ["ss-Tr0ub4dor"]),
    ("duplicate run-in keys", b"users: [{username: bob, password:Tr0ub4dor, password:Tr0ub4dor}]\n",
     ["Tr0ub4dor"]),
    ("duplicate block keys", b"users:\n  - username: bob\n    password: Tr0ub4dor\n    password: Tr0ub4dor\n",
     ["Tr0ub4dor"]),
    ("run-in key", b"users:\n  - username: bob\n    password:Tr0ub4dor\n", ["Tr0ub4dor"]),
    ("fused key", b"users:\n  - username: bob\n    passwordTr0ub4dor: x\n", ["Tr0ub4dor"]),
    ("misspelled key", b"users:\n  - username: bob\n    pasword: Tr0ub4dor\n    email: x\n",
     ["Tr0ub4dor"]),
    ("misspelled hash key", b"users:\n  - username: bob\n    password_hsh: Tr0ub4dor\n    email: x\n",
     ["Tr0ub4dor"]),
    ("capitalised key", b"users:\n  - username: bob\n    Password: Tr0ub4dor\n", ["Tr0ub4dor"]),
    ("reserved first character", b"users:\n  - username: bob\n    password: @Tr0ub4dor\n", ["Tr0ub4dor"]),
    ("flow first character", b"users:\n  - username: bob\n    password: ]Tr0ub4dor\n", ["Tr0ub4dor"]),
    ("control character", b"users:\n  - username: bob\n    password: Tr0\x07ub4dor\n", ["Tr0", "ub4dor"]),
    ("invalid UTF-8", b"users:\n  - username: bob\n    password: Tr0\xffub4dor\n", ["Tr0", "ub4dor"]),
    ("CR-only invalid UTF-8", b"users:\r  - username: bob\r    password: Tr0\xffub4dor\r", ["ub4dor"]),
    ("bad escape", b'users:\n  - username: bob\n    password: "Tr0ub\\q4dor"\n', ["Tr0ub", "4dor"]),
    ("unterminated quote", b'users:\n  - username: bob\n    password: "Tr0ub4dor\n', ["Tr0ub4dor"]),
    ("colon in a password", b"users:\n  - username: bob\n    password: Tr0ub: 4dorX\n", ["Tr0ub", "4dorX"]),
    ("anchor-like password", b"users:\n  - username: bob\n    password: &Tr0ub4dor\n", ["Tr0ub4dor"]),
    ("multi-line password", b'users: [{password: "Tr0ub4dor\n  S3cr3tPW", username: " bob"}]\n',
     ["Tr0ub4dor", "S3cr3tPW"]),
    ("comment after a value", b'users:\n  - username: " bob" # Tr0ub4dor\n', ["Tr0ub4dor"]),
    ("scalar in the list", b"users:\n  - Tr0ub4dor\n", ["Tr0ub4dor"]),
    ("long password", b"users:\n  - username: bob\n    password: " + b"Tr0ub4dor" * 600 + b"\n",
     ["Tr0ub4dor"]),
    ("JSON misspelled", b'{"users": [{"username": "bob", "pasword": "Tr0ub4dor"}]}', ["Tr0ub4dor"]),
    ("JSON key", b'{"users": [{"username": "bob", "password:Tr0ub4dor": 1, "password:Tr0ub4dor": 2}]}',
     ["Tr0ub4dor"]),
    ("JSON trailing comma", b'{"users": [{"username": "bob", "password": "Tr0ub4dor",}]}', ["Tr0ub4dor"]),
    ("JSON control character", b'{"users": [{"username": "bob", "password": "Tr0\x07ub4dor"}]}',
     ["Tr0", "ub4dor"]),
    ("JSON duplicate username", b'{"users": [{"username": "bob", "password": "Tr0ub4dor", '
                                b'"password": "S3cr3tPW"}]}', ["Tr0ub4dor", "S3cr3tPW"]),
]


def pieces(secret):
    """The secret and every 4-character piece of it."""
    return set([secret] + [secret[start:start + 4] for start in range(len(secret) - 3)])


class HostileFilesTest(support.TemporaryDirectoryTestCase):
    def runs(self, data, extension):
        path = self.write("users" + extension, data)
        db = self.path("p.db")
        for args, stdin in ((["check-config", path], ""),
                            (["check-config", "-"], data.decode("utf-8", "surrogateescape")),
                            (["--db", db, "sync-users", "--dry-run", path], ""),
                            (["--db", db, "sync-users", path], "")):
            yield args, support.run_cli(args, stdin=stdin, environ=dict(ENV))

    def test_no_piece_of_a_password_in_any_output(self):
        for name, data, secrets in CASES:
            extension = ".json" if data.startswith(b"{") else ".yaml"
            with self.subTest(case=name):
                for args, result in self.runs(data, extension):
                    output = result.stdout + result.stderr
                    self.assertEqual(result.code, 65, (args, output))
                    self.assertNotIn("Traceback", output)
                    for secret in secrets:
                        for piece in pieces(secret):
                            self.assertNotIn(piece, output, (args, output))
                    # No character of a password is quoted, nor its code point or byte.
                    for shown in ("'@'", "U+00", "0xff", "\\x07", "'&'", "']'"):
                        self.assertNotIn(shown, output, (args, output))
                    self.assertFalse(os.path.exists(self.path("p.db")), args)

    def test_standard_input_is_never_shown(self):
        data = "users:\n  - username: \" bob\"\n"
        result = support.run_cli(["check-config", "-"], stdin=data, environ=dict(ENV))
        self.assertEqual((result.code, result.stderr), (
            65, '<stdin>:2:15: users[0].username: " bob" begins or ends with white space\n'))
        path = self.write("u.yaml", data)
        result = support.run_cli(["check-config", path], environ=dict(ENV))
        self.assertEqual(result.stderr, '%s:2:15: users[0].username: " bob" begins or ends with '
                                        'white space\n      - username: " bob"\n'
                                        '                  ^\n' % path)
