"""README.md documents every command and every exit code, and its examples work."""

import functools
import os
import re
import unittest

from prospector_scheduler.errors import ExitCode
from prospector_scheduler.registry import Registry
from tests.support import ROOT, run_cli
from tests.test_registry import CommandPackage


def readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as stream:
        return stream.read()


class ReadmeTest(unittest.TestCase):
    def setUp(self):
        self.text = readme()

    def test_every_built_in_command_has_a_section_help_and_a_row(self):
        specs = Registry(entry_points=[]).all()
        self.assertGreater(len(specs), 0)
        for spec in specs:
            with self.subTest(command=spec.name):
                self.assertIn("\n### %s\n" % spec.name, self.text)
                self.assertRegex(self.text, r"\n\| `%s[ `]" % re.escape(spec.name))
                self.assertTrue(spec.summary.strip())
                self.assertRegex(spec.description or "", r"\nExamples?: ")

    def test_every_exit_code_is_in_the_table(self):
        codes = [value for name, value in vars(ExitCode).items() if name.isupper()]
        for code in codes:
            with self.subTest(code=code):
                self.assertRegex(self.text, r"\n\| %d \|" % code)

    def test_no_placeholder_is_left(self):
        self.assertNotIn("<!-- section:", self.text)


def adding_a_command_example(text):
    """(file name, source) of the worked example in "Adding a command"."""
    section = text[text.index("\n## Adding a command\n"):]
    match = re.search(r"Save this as\s+`prospector_scheduler/commands/(\w+)\.py`:\s+```python\n(.*?)```", section, re.S)
    return match.group(1), match.group(2)


class AddingACommandExampleTest(CommandPackage):
    """The README's worked example, saved as a command file, works as the README says."""

    def test_the_example_command_runs(self):
        name, source = adding_a_command_example(readme())
        package = self.make_package({name: source})

        def registry(**kwargs):
            merged = Registry(entry_points=[], **kwargs)
            merged.add_package(package)
            return merged

        database = self.path("p.db")
        users = self.write("users.json", '{"users": [{"username": "ann", "password": "README-example-1"}]}')
        environ = {"PROSPECTOR_HASH_COST": "low"}
        synced = run_cli(["-q", "--db", database, "sync-users", users], environ=environ)
        self.assertEqual(synced.code, 0, synced)
        table = [
            (["count-users"], 0, "1\n", ""),
            (["count-users", "--at-least", "2"], 65, "", "prospector-scheduler: error: 1 users, fewer than 2\n"),
        ]
        for args, code, stdout, stderr in table:
            with self.subTest(args=args):
                result = run_cli(["--db", database] + args, environ=environ, registry_factory=registry)
                self.assertEqual((result.code, result.stdout, result.stderr), (code, stdout, stderr))
        listed = run_cli([], registry_factory=registry)
        self.assertIn("count-users", listed.stdout)


if __name__ == "__main__":
    unittest.main()
