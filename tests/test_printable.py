"""Tests for prospector_scheduler.printable: control characters shown as escapes."""

import unittest

from prospector_scheduler.printable import printable


class PrintableTest(unittest.TestCase):
    def test_table(self):
        cases = [
            ("alice", "alice"),
            ("\u00e9milie \u4e2d", "\u00e9milie \u4e2d"),
            ("a\x1b[2Jb", "a\\x1b[2Jb"),
            ("tab\there", "tab\\there"),
            ("line\nbreak\r", "line\\nbreak\\r"),
            ("del\x7f c1\x85", "del\\x7f c1\\x85"),
            ("sep\u2028\u2029", "sep\\u2028\\u2029"),
            ("back\\slash", "back\\slash"),
        ]
        for text, shown in cases:
            with self.subTest(text=text):
                self.assertEqual(printable(text), shown)


if __name__ == "__main__":
    unittest.main()
