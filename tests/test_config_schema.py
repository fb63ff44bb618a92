"""Tests of the machinery shared by the configuration files (prospector_scheduler.config_schema).

The users file's own rules are tested in test_users_file; here a small schema
of the kind a schedule file has shows what any schema gets.
"""

import os
import unittest

from prospector_scheduler import config_schema
from prospector_scheduler.config_schema import WRONG
from prospector_scheduler.errors import ErrorList
from tests.support import TemporaryDirectoryTestCase, growth, run_cli

PROGRAM = "prospector-scheduler"
JOB_KEYS = ("name", "command", "enabled", "timeout", "token")
SECRET_KEYS = ("token",)


def check_jobs(data, source="jobs.yaml"):
    """A tiny schema: ``jobs:``, a list of mappings of typed fields; returns the typed values."""
    document = config_schema.load(data, source, "a jobs file")
    checker = config_schema.Checker(document, JOB_KEYS + ("jobs",), SECRET_KEYS)
    jobs = []
    top = document.top
    if top is None or top.kind != "mapping":
        checker.error(top, "expected a mapping")
    else:
        for _name, _key, value in checker.fields(top, "", ("jobs",)):
            for index, item in enumerate(value.items):
                where = "jobs[%d]" % index
                job = {}
                for name, _key, field in checker.fields(item, where + ".", JOB_KEYS):
                    if name == "enabled":
                        job[name] = checker.boolean(field, where + "." + name)
                    elif name == "timeout":
                        job[name] = checker.integer(field, where + "." + name, 1, 86400)
                    else:
                        job[name] = checker.string(field, where + "." + name)
                jobs.append(job)
    checker.raise_errors()
    return jobs


def report(data, source="jobs.yaml"):
    try:
        check_jobs(data, source)
    except ErrorList as error:
        return "\n".join(error.report_lines(PROGRAM)) + "\n"
    raise AssertionError("no error for %r" % (data,))


class TypedFieldsTest(unittest.TestCase):
    def test_values_are_typed_by_the_schema(self):
        jobs = check_jobs(b"jobs:\n  - name: 0123\n    enabled: yes\n    timeout: 60\n"
                          b"  - name: 'yes'\n    enabled: Off\n    timeout: ~\n")
        self.assertEqual(jobs, [{"name": "0123", "enabled": True, "timeout": 60},
                                {"name": "yes", "enabled": False, "timeout": None}])
        jobs = check_jobs(b'{"jobs": [{"name": "a", "enabled": false, "timeout": 5}]}', "jobs.json")
        self.assertEqual(jobs, [{"name": "a", "enabled": False, "timeout": 5}])

    def test_every_error_at_once_in_file_order_with_places(self):
        data = (b"jobs:\n"
                b"  - name: [a]\n"
                b"    enabled: maybe\n"
                b"    timeout: 0\n"
                b"    comand: x\n"
                b"  - timeout: 1.5\n"
                b"    enabled: 'true'\n")
        self.assertEqual(report(data), (
            # a scalar in a sequence may be anything, a secret too: not shown
            "jobs.yaml:2:11: jobs[0].name: expected a string, got a sequence\n"
            'jobs.yaml:3:14: jobs[0].enabled: expected a boolean (true, false, yes, no, on or off, '
            'in any case), got "maybe"\n'
            "        enabled: maybe\n"
            "                 ^\n"
            "jobs.yaml:4:14: jobs[0].timeout: 0 is out of range (from 1 to 86400)\n"
            "        timeout: 0\n"
            "                 ^\n"
            'jobs.yaml:5:5: jobs[0].comand: unknown key; did you mean "command"?\n'
            "        comand: x\n"
            "        ^\n"
            'jobs.yaml:6:14: jobs[1].timeout: expected a whole number, got "1.5"\n'
            "      - timeout: 1.5\n"
            "                 ^\n"
            "jobs.yaml:7:14: jobs[1].enabled: expected a boolean (true, false, yes, no, on or off, "
            "in any case, without quotes), got a quoted string\n"
            "        enabled: 'true'\n"
            "                 ^\n"))

    def test_json_errors_have_no_line_and_keep_document_order(self):
        data = b'{"jobs": [{"timeout": "5", "name": 1, "name": "b", "enabld": true}]}'
        self.assertEqual(report(data, "jobs.json"), (
            "jobs.json: jobs[0].timeout: expected a whole number, got a string\n"
            "jobs.json: jobs[0].name: expected a string, got a number\n"
            "jobs.json: jobs[0].name: duplicate key\n"
            'jobs.json: jobs[0].enabld: unknown key; did you mean "enabled"?\n'))

    def test_a_secret_key_hides_its_line(self):
        self.assertEqual(report(b"jobs:\n  - token: SECRET\n    timeout: x\n"),
                         'jobs.yaml:3:14: jobs[0].timeout: expected a whole number, got "x"\n'
                         "        timeout: x\n"
                         "                 ^\n")
        self.assertEqual(report(b"jobs:\n  - {token: SECRET, timeout: x}\n"),
                         'jobs.yaml:2:30: jobs[0].timeout: expected a whole number, got "x"\n')

    def test_the_file_names_its_kind_in_byte_errors(self):
        self.assertEqual(report(b"jobs: []\n\xff\n"),
                         "jobs.yaml:2:1: invalid UTF-8; a jobs file is UTF-8 text\n")

    def test_format(self):
        cases = [("a.json", "x", None, ("json", False)), ("a.yml", "{", None, ("yaml", False)),
                 ("-", " [", None, ("json", True)), ("-", "a: 1", None, ("yaml", True)),
                 ("a.json", "", "yaml", ("yaml", False))]
        for source, text, forced, expected in cases:
            with self.subTest(source=source, text=text):
                self.assertEqual(config_schema.detect_format(source, text, forced), expected)
        with self.assertRaises(ValueError):
            config_schema.detect_format("a", "", "toml")

    def test_wrong_marks_a_reported_value(self):
        document = config_schema.load(b"a: [1]\n", "a.yaml", "a file")
        checker = config_schema.Checker(document, ("a",))
        self.assertIs(checker.string(document.top.items[0][1], "a"), WRONG)
        self.assertEqual(len(checker), 1)


if __name__ == "__main__":
    unittest.main()


class InputLimitTest(TemporaryDirectoryTestCase):
    def test_larger_input_is_refused_without_reading_it_all(self):
        path = self.write("u.yaml", b"users: []\n" + b"#" * 100)
        self.assertEqual(config_schema.read_input(path, None, "the users file", 110)[1][:6], b"users:")
        with self.assertRaises(ErrorList) as caught:
            config_schema.read_input(path, None, "the users file", 109)
        self.assertEqual(str(caught.exception),
                         "%s: the users file is larger than 109 bytes, the most this tool reads" % path)
        self.assertEqual(caught.exception.exit_code, 65)
        stream = CountingStream(b"x" * 1000)
        with self.assertRaises(ErrorList) as caught:
            config_schema.read_input("-", stream, "the users file", 100)
        self.assertEqual(str(caught.exception),
                         "<stdin>: standard input is larger than 100 bytes, the most this tool reads")
        self.assertEqual(stream.asked, [101])

    def test_endless_devices_are_refused_quickly(self):
        if not os.path.exists("/dev/zero"):
            self.skipTest("no /dev/zero here")
        result = run_cli(["check-config", "/dev/zero"])
        self.assertEqual((result.code, result.stdout, result.stderr), (
            65, "", "/dev/zero: the file is larger than 64 MiB, the most this tool reads\n"))
        result = run_cli(["check-config", "--kind", "users", "/dev/zero"])
        self.assertEqual((result.code, result.stdout, result.stderr), (
            65, "", "/dev/zero: the users file is larger than 64 MiB, the most this tool reads\n"))

    def test_the_limit_is_64_mib(self):
        self.assertEqual(config_schema.MAX_INPUT_BYTES, 64 * 1024 * 1024)


class CountingStream(object):
    """A binary standard input that records how much each read asked for."""

    def __init__(self, data):
        self.buffer = self
        self.data = data
        self.asked = []

    def read(self, size=-1):
        self.asked.append(size)
        return self.data[:size] if size >= 0 else self.data


class PlacesTest(unittest.TestCase):
    def test_lines_end_at_lf_crlf_and_lone_cr(self):
        cases = [
            (b"users: []\r# a\r# \xff\r", "u.yaml:3:3: invalid UTF-8; a jobs file is UTF-8 text"),
            (b"users: []\r\n# a\r\n# \xff\r\n", "u.yaml:3:3: invalid UTF-8; a jobs file is UTF-8 text"),
            (b"users: []\r\r\n\n# \x00", "u.yaml:4:3: NUL byte; a jobs file is UTF-8 text"),
            (b"\xef\xbb\xbf\xff", "u.yaml:1:1: invalid UTF-8; a jobs file is UTF-8 text"),
            (b'{"users":\r[\r1,\r]}', "u.json:3:2: invalid JSON: trailing comma (JSON allows no comma "
                                      "before ]); remove it"),
            (b'{"users":\r[\r1\r}', "u.json:4:1: invalid JSON: Expecting ',' delimiter"),
            (b'{"a": 1 ,\n }', "u.json:1:9: invalid JSON: trailing comma (JSON allows no comma "
                               "before }); remove it"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                source = "u.json" if message.startswith("u.json") else "u.yaml"
                with self.assertRaises(ErrorList) as caught:
                    config_schema.load(data, source, "a jobs file")
                self.assertEqual(str(caught.exception), message)


class ErrorCountTest(unittest.TestCase):
    def test_only_the_first_errors_are_worded(self):
        data = b"jobs:\n  - " + b"\n  - ".join(b"nme%d: x" % number for number in range(150)) + b"\n"
        with self.assertRaises(ErrorList) as caught:
            check_jobs(data)
        errors = caught.exception.errors
        self.assertEqual(len(errors), config_schema.MAX_ERRORS + 1)
        self.assertEqual(str(errors[-1]), "jobs.yaml: 50 more errors not shown (only the first 100 are)")


class LinearTimeTest(unittest.TestCase):
    """Reading, checking and reporting take time linear in the input: doubling it about doubles the work."""

    CASES = [
        ("errors in a long flow sequence", lambda n: b"jobs: [" + b"a, " * n + b"a]\n"),
        ("errors in a long flow mapping", lambda n: b"jobs: [{" + b", ".join(
            b"k%d: v" % number for number in range(n // 4)) + b"}]\n"),
        ("an error line after many lines", lambda n: b"jobs:\n" + b"  - name: a\n" * (n // 4)
         + b"  - name: [a]\n"),
        ("unknown keys", lambda n: b"jobs:\n  - name: a\n" + b"".join(
            b"    k%d: v\n" % number for number in range(n // 8))),
        ("JSON trailing comma", lambda n: b'{"jobs": [' + b'{"name": "a"},' * (n // 4) + b"]}"),
        ("invalid UTF-8 at the end of CR-only lines", lambda n: b"jobs: []\r" + b"#\r" * n + b"\xff"),
    ]

    def test_doubling_the_input_about_doubles_the_work(self):
        for name, make in self.CASES:
            with self.subTest(case=name):
                source = "jobs.json" if make(1).startswith(b"{") else "jobs.yaml"
                ratio = growth(lambda data: check_jobs(data, source), make, 5000)
                self.assertLess(ratio, 3.0, "%s: %.2f" % (name, ratio))
