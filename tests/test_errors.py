"""The error hierarchy: places, reports and exit codes."""

import unittest

from prospector_scheduler import errors
from prospector_scheduler.errors import DataError, ErrorList, NoInputError


class ReportTest(unittest.TestCase):
    def test_report_lines(self):
        table = [
            (DataError("bad"), ["prog: error: bad"]),
            (DataError("bad", path="u.yaml"), ["u.yaml: bad"]),
            (DataError("bad", path="u.yaml", line=3), ["u.yaml:3: bad"]),
            (DataError("bad", path="u.yaml", line=3, column=9), ["u.yaml:3:9: bad"]),
            (DataError("bad", line=3, column=9), ["line:3:9: bad"]),
            (DataError("bad", path="u.yaml", line=2, column=5, excerpt="  - x: 1\n"),
             ["u.yaml:2:5: bad", "      - x: 1", "        ^"]),
        ]
        for error, lines in table:
            with self.subTest(error=str(error)):
                self.assertEqual(error.report_lines("prog"), lines)

    def test_exit_codes_follow_sysexits(self):
        table = [
            ("UsageError", 64), ("DataError", 65), ("NoInputError", 66), ("CantCreateError", 73),
            ("OutputError", 74), ("BusyError", 75), ("NoPermissionError", 77), ("ConfigError", 78),
        ]
        for name, code in table:
            with self.subTest(name=name):
                error = getattr(errors, name)("x")
                self.assertIsInstance(error, errors.ProspectorError)
                self.assertEqual(error.exit_code, code)

    def test_an_error_list_reports_every_error_in_order_with_the_first_code(self):
        error = ErrorList([NoInputError("gone", path="a"), DataError("bad", path="b", line=1, column=2)])
        self.assertEqual(error.exit_code, 66)
        self.assertEqual(error.report_lines("prog"), ["a: gone", "b:1:2: bad"])
        self.assertEqual(str(error), "a: gone\nb:1:2: bad")

    def test_an_empty_error_list_is_a_bug(self):
        with self.assertRaises(ValueError):
            ErrorList([])


if __name__ == "__main__":
    unittest.main()
