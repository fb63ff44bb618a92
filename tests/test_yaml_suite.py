"""The official YAML conformance suite against miniyaml: never a wrong answer, never a crash.

For every case, ``loads`` either raises YAMLError or returns data equal to
``in.json``; every case marked ``error`` raises. The suite is found through
PROSPECTOR_YAML_TEST_SUITE, else beside the checkout at ../shared/yaml-test-suite.

``python3 -m tests.test_yaml_suite --count`` prints how many valid cases are accepted.
"""

import json
import math
import os
import sys
import unittest

from prospector_scheduler import miniyaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Upstream marks these both invalid and gives a stale in.json: they are error cases.
ERROR_CASES = frozenset(["9MQT-01", "DK95-01", "DK95-06"])


def suite_folder():
    return os.environ.get("PROSPECTOR_YAML_TEST_SUITE") or os.path.join(
        os.path.dirname(ROOT), "shared", "yaml-test-suite")


class Case(object):
    def __init__(self, folder, name):
        self.name = name
        path = os.path.join(folder, name)
        with open(os.path.join(path, "in.yaml"), "rb") as stream:
            self.source = stream.read()
        self.is_error = name in ERROR_CASES or os.path.exists(os.path.join(path, "error"))
        self.expected = None
        json_path = os.path.join(path, "in.json")
        if not self.is_error and os.path.exists(json_path):
            with open(json_path, encoding="utf-8") as stream:
                self.expected = json_values(stream.read())


def cases(folder):
    names = sorted(name for name in os.listdir(folder)
                   if os.path.isfile(os.path.join(folder, name, "in.yaml")))
    return [Case(folder, name) for name in names]


def json_values(text):
    """The JSON values written one after another in ``text``."""
    decoder = json.JSONDecoder()
    values = []
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position == len(text):
            return values
        value, position = decoder.raw_decode(text, position)
        values.append(value)


def same(actual, expected):
    """Equality that tells bool from int, int from float, and finds NaN equal to NaN."""
    if type(actual) is not type(expected):
        return False
    if isinstance(actual, dict):
        return (sorted(actual) == sorted(expected)
                and all(same(actual[key], expected[key]) for key in actual))
    if isinstance(actual, list):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected))
    if isinstance(actual, float) and math.isnan(actual):
        return math.isnan(expected)
    return actual == expected


def outcome(text, nodes, hot, tables=False):
    """What reading ``text`` gives, as comparable text: the result written out, or the exact error."""
    try:
        return "read " + shown(miniyaml._document(text, nodes, hot, tables))
    except miniyaml.YAMLError as error:
        return "error %s:%s: %s" % (error.line, error.column, error.message)


def shown(data):
    """``repr(data)`` with every ``miniyaml.Table`` written out as its type, keys and columns
    (the repr of a table shows neither: a users file's holds passwords)."""
    if isinstance(data, miniyaml.Table):
        return "%s(%r, [%s])" % (type(data).__name__, data.keys, ", ".join(
            "[%s]" % ", ".join(map(shown, column)) for column in data.columns))
    if type(data) is dict:
        return "{%s}" % ", ".join("%r: %s" % (key, shown(value)) for key, value in data.items())
    if type(data) is list:
        return "[%s]" % ", ".join(map(shown, data))
    return repr(data)


def untabled(data):
    """``data`` with each ``miniyaml.Table`` made its rows, as ``loads`` without tables gives them."""
    if type(data) is miniyaml.Table:
        return data.rows()
    if type(data) is dict:
        return dict((key, untabled(value)) for key, value in data.items())
    if type(data) is list:
        return [untabled(item) for item in data]
    return data


def run_case(case):
    """``(accepted, data)``: whether loads accepted the case, and what it returned."""
    text = case.source.decode("utf-8")
    try:
        return True, miniyaml.loads(text)
    except miniyaml.YAMLError:
        return False, None


class YAMLTestSuiteTest(unittest.TestCase):
    def setUp(self):
        self.folder = suite_folder()
        if not os.path.isdir(self.folder):
            self.skipTest("YAML test suite not found at %s (set PROSPECTOR_YAML_TEST_SUITE)"
                          % self.folder)

    def test_every_case_is_read_exactly_or_refused(self):
        for case in cases(self.folder):
            with self.subTest(case=case.name):
                accepted, data = run_case(case)
                if case.is_error:
                    self.assertFalse(accepted, "an invalid document was accepted")
                elif accepted and case.expected is not None:
                    if len(case.expected) > 1:
                        self.fail("several documents were accepted")
                    expected = case.expected[0] if case.expected else None
                    self.assertTrue(same(data, expected), "read %r, expected %r" % (data, expected))

    def test_the_hot_steps_change_no_outcome(self):
        # Every case, valid or not, read with and without the hot steps (miniyaml's
        # one-regular-expression steps for usual pairs) and hot runs (whole entries of a
        # sequence at once): the same data, or the same error.
        for case in cases(self.folder):
            text = case.source.decode("utf-8")
            for nodes in (False, True):
                with self.subTest(case=case.name, nodes=nodes):
                    self.assertEqual(outcome(text, nodes, True), outcome(text, nodes, False))

    def test_tables_hold_the_same_data(self):
        # loads(text, tables=True): the same with hot steps and runs as without, and its
        # tables, made rows again, are what loads gives without tables.
        tables = 0
        for case in cases(self.folder):
            text = case.source.decode("utf-8")
            with self.subTest(case=case.name):
                self.assertEqual(outcome(text, False, True, True), outcome(text, False, False, True))
                accepted, data = run_case(case)
                if accepted:
                    as_tables = miniyaml.loads(text, tables=True)
                    tables += "Table(" in shown(as_tables)
                    self.assertTrue(same(untabled(as_tables), data), "read " + shown(as_tables))
        self.assertGreaterEqual(tables, 5)  # 6 cases hold a sequence of like mappings

    def test_the_suite_is_complete(self):
        all_cases = cases(self.folder)
        self.assertEqual(len(all_cases), 402)
        self.assertEqual(sum(1 for case in all_cases if not case.is_error), 308)


def count(folder):
    """(accepted, valid): how many valid cases loads reads."""
    valid = [case for case in cases(folder) if not case.is_error]
    return sum(1 for case in valid if run_case(case)[0]), len(valid)


if __name__ == "__main__":
    if "--count" in sys.argv:
        accepted, valid = count(suite_folder())
        print("accepted %d of %d valid cases" % (accepted, valid))
        if "-v" in sys.argv:
            for case in cases(suite_folder()):
                if not case.is_error:
                    try:
                        miniyaml.loads(case.source.decode("utf-8"))
                    except miniyaml.YAMLError as error:
                        print("%s: refused: %s" % (case.name, error))
    else:
        unittest.main()
