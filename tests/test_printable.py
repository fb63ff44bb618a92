"""Tests for prospector_scheduler.printable: the one rule for showing text from outside."""

import unittest

from prospector_scheduler.printable import printable


class PrintableTest(unittest.TestCase):
    def test_table(self):
        cases = [
            ("alice", "alice"),
            ("", ""),
            ("\u00e9milie \u4e2d \U0001f600", "\u00e9milie \u4e2d \U0001f600"),
            ("a\x1b[2Jb", "a\\x1b[2Jb"),
            ("tab\there", "tab\\there"),
            ("line\nbreak\r", "line\\nbreak\\r"),
            ("nul\x00", "nul\\x00"),
            ("del\x7f c1\x85\x9f", "del\\x7f c1\\x85\\x9f"),
            ("sep\u2028\u2029", "sep\\u2028\\u2029"),
            ("lone \udc80 surrogate", "lone \\udc80 surrogate"),
            ("back\\slash", "back\\slash"),
            ("\xa0nbsp \u00ad", "\xa0nbsp \u00ad"),
        ]
        for text, shown in cases:
            with self.subTest(text=text):
                self.assertEqual(printable(text), shown)

    def test_the_result_is_one_line_of_printable_text(self):
        every = "".join(map(chr, range(0x300))) + "\u2028\u2029\ud800\udfff"
        shown = printable(every)
        self.assertTrue(shown.isprintable() or all(c.isprintable() or c in "\xa0\xad" for c in shown))
        self.assertNotIn("\n", shown)

    def test_applying_it_twice_changes_nothing_more(self):
        # Messages escape what they quote, and the error output escapes them again.
        for text in ("a\x1b[2Jb", "x\ny", "\\x1b", "\udc80", "plain"):
            with self.subTest(text=text):
                self.assertEqual(printable(printable(text)), printable(text))


if __name__ == "__main__":
    unittest.main()
