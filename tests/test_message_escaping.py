"""Control characters in a path named by a message are shown escaped (issue 9 item 16)."""

import os

from tests.support import TemporaryDirectoryTestCase, run_cli

ESCAPE = "\x1b[31m"


class PathInMessagesTest(TemporaryDirectoryTestCase):
    def test_paths_with_control_characters_are_escaped(self):
        hostile = self.path("u" + ESCAPE + "\nforged: line.yaml")
        readable = self.write("ok" + ESCAPE + ".yaml", b"users: []\n", mode=0o644)
        cases = [
            # (arguments, exit code): a missing file, a group-readable file (a warning), a missing database.
            (["check-config", hostile], 66),
            (["check-config", readable], 0),
            (["--db", hostile + ".db", "list-users"], 73),
        ]
        for arguments, code in cases:
            with self.subTest(arguments=arguments):
                result = run_cli(arguments)
                self.assertEqual(result.code, code, result)
                self.assertNotIn("\x1b", result.stderr)
                self.assertIn("\\x1b[31m", result.stderr)
                # Each message is one line: the newline in the name cannot start a forged one.
                self.assertFalse([line for line in result.stderr.splitlines() if line.startswith("forged")],
                                 result.stderr)
