"""The arguments several commands share."""

import unittest

from prospector_scheduler import arguments, users_file
from prospector_scheduler.cli import ArgumentParser
from prospector_scheduler.errors import UsageError


class SharedArgumentsTest(unittest.TestCase):
    def parser(self, *adders):
        parser = ArgumentParser(prog="prospector-scheduler probe", output=None)
        for add in adders:
            add(parser)
        return parser

    def test_users_file_and_its_format(self):
        parser = self.parser(arguments.add_users_file)
        table = [
            (["u.yaml"], ("u.yaml", None)),
            (["-"], ("-", None)),
            (["--input-format", "yaml", "-"], ("-", "yaml")),
            (["x", "--input-format", "json"], ("x", "json")),
        ]
        for argv, expected in table:
            with self.subTest(argv=argv):
                parsed = parser.parse_args(argv)
                self.assertEqual((parsed.file, parsed.input_format), expected)

    def test_the_input_formats_are_those_the_users_file_reads(self):
        self.assertEqual(arguments.INPUT_FORMATS, users_file.FORMATS)

    def test_a_format_that_does_not_exist_is_a_usage_error(self):
        with self.assertRaises(UsageError) as caught:
            self.parser(arguments.add_users_file).parse_args(["--input-format", "toml", "x"])
        self.assertIn("argument --input-format: invalid choice: 'toml'", caught.exception.message)

    def test_output_format(self):
        parser = self.parser(arguments.add_output_format)
        self.assertEqual(parser.parse_args([]).format, "text")
        self.assertEqual(parser.parse_args(["--format", "json"]).format, "json")


if __name__ == "__main__":
    unittest.main()
