"""Tests for prospector_scheduler.miniyaml.

The table of cases lives in tests/data/yaml/: each NAME.yaml has a sibling
NAME.json (the data ``loads`` must return) or NAME.error (the exact error,
``LINE:COL: message``).
"""

import json
import math
import os
import unittest

from prospector_scheduler import miniyaml
from prospector_scheduler.errors import DataError
from prospector_scheduler.miniyaml import Mapping, Scalar, Sequence, YAMLError

CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "yaml")


def read(path):
    with open(path, encoding="utf-8", newline="") as stream:
        return stream.read()


def case_names(extension):
    return sorted(name[:-len(extension)] for name in os.listdir(CASES) if name.endswith(extension))


def parse_then_type(text):
    return miniyaml.to_data(miniyaml.parse(text))


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


class CaseTableTest(unittest.TestCase):
    def test_every_case_has_one_expectation(self):
        for name in case_names(".yaml"):
            with self.subTest(case=name):
                found = [os.path.exists(os.path.join(CASES, name + extension))
                         for extension in (".json", ".error")]
                self.assertEqual(sum(found), 1)

    def test_supported_cases_give_the_expected_data(self):
        names = case_names(".json")
        self.assertGreater(len(names), 30)
        for name in names:
            with self.subTest(case=name):
                text = read(os.path.join(CASES, name + ".yaml"))
                expected = json.loads(read(os.path.join(CASES, name + ".json")))
                data = miniyaml.loads(text)
                self.assertTrue(same(data, expected), "read %r, expected %r" % (data, expected))
                self.assertTrue(same(miniyaml.to_data(miniyaml.parse(text)), expected))

    def test_refused_cases_give_the_exact_error(self):
        names = case_names(".error")
        self.assertGreater(len(names), 40)
        for name in names:
            with self.subTest(case=name):
                text = read(os.path.join(CASES, name + ".yaml"))
                expected = read(os.path.join(CASES, name + ".error")).rstrip("\n")
                for function in (miniyaml.loads, parse_then_type):
                    with self.assertRaises(YAMLError) as caught:
                        function(text)
                    error = caught.exception
                    self.assertEqual("%d:%d: %s" % (error.line, error.column, error.message),
                                     expected)


class NodeTest(unittest.TestCase):
    def test_a_scalar_keeps_its_text_style_and_place(self):
        node = miniyaml.parse("users:\n  - username: admin\n    password: 0123\n    other: yes\n")
        entry = node.items[0][1].items[0]
        self.assertEqual(entry.items, [
            (Scalar("username", "plain", 2, 5), Scalar("admin", "plain", 2, 15)),
            (Scalar("password", "plain", 3, 5), Scalar("0123", "plain", 3, 15)),
            (Scalar("other", "plain", 4, 5), Scalar("yes", "plain", 4, 12)),
        ])
        self.assertEqual((entry.line, entry.column), (2, 5))
        self.assertEqual((node.items[0][1].line, node.items[0][1].column), (2, 3))

    def test_styles(self):
        table = [
            ("a: plain text\n", Scalar("plain text", "plain", 1, 4)),
            ("a: 'single'\n", Scalar("single", "single", 1, 4)),
            ('a:   "double"\n', Scalar("double", "double", 1, 6)),
            ("a: |\n  literal\n", Scalar("literal\n", "literal", 1, 4)),
            ("a: >-\n  folded\n  text\n", Scalar("folded text", "folded", 1, 4)),
            ("a:\n  on the next line\n", Scalar("on the next line", "plain", 2, 3)),
            ("a: 1_000\n", Scalar("1_000", "plain", 1, 4)),
        ]
        for text, expected in table:
            with self.subTest(text=text):
                self.assertEqual(miniyaml.parse(text).items[0][1], expected)

    def test_an_empty_value_is_an_empty_plain_scalar(self):
        node = miniyaml.parse("a:\nb: # comment\n")
        self.assertEqual([value for _, value in node.items],
                         [Scalar("", "plain", 1, 3), Scalar("", "plain", 2, 3)])
        self.assertIsNone(miniyaml.to_data(node.items[0][1]))

    def test_collections(self):
        node = miniyaml.parse("- [a, {b: c}]\n")
        self.assertIsInstance(node, Sequence)
        flow = node.items[0]
        self.assertEqual(flow, Sequence([Scalar("a", "plain", 1, 4),
                                         Mapping([(Scalar("b", "plain", 1, 8),
                                                   Scalar("c", "plain", 1, 11))], 1, 7)], 1, 3))

    def test_an_empty_document_is_none(self):
        for text in ("", "\n", "# only a comment\n", "---\n", "---\n...\n"):
            with self.subTest(text=text):
                self.assertIsNone(miniyaml.parse(text))
                self.assertIsNone(miniyaml.loads(text))

    def test_to_data_types_plain_scalars_only(self):
        self.assertEqual(miniyaml.to_data(Scalar("0123", "plain", 1, 1)), 123)
        self.assertEqual(miniyaml.to_data(Scalar("0123", "single", 1, 1)), "0123")
        self.assertIs(miniyaml.to_data(Scalar("false", "plain", 1, 1)), False)
        self.assertIsNone(miniyaml.to_data(None))


class ErrorTest(unittest.TestCase):
    def test_the_error_is_a_data_error_and_a_value_error(self):
        with self.assertRaises(YAMLError) as caught:
            miniyaml.loads("a: 1\na: 2\n")
        error = caught.exception
        self.assertIsInstance(error, DataError)
        self.assertIsInstance(error, ValueError)
        self.assertEqual((error.message, error.line, error.column),
                         ("duplicate key 'a' (first defined on line 1)", 2, 1))
        self.assertIsNone(error.path)
        self.assertEqual(error.exit_code, 65)

    def test_messages_never_hold_a_value(self):
        secret = "Sup3rS3cret"
        table = [
            'password: "%s\\q"\n',
            "password: '%s\n",
            "password: %s: x\n",
            "password: |\n  %s",
            "password: [%s\n",
            "password: \"%s\" trailing\n",
            "password: %s\n  more: x\n",
            "password: !!str %s\n",
            "password: &%s x\n",
            "password: %s\x07\n",
        ]
        for template in table:
            text = template % secret
            with self.subTest(text=text):
                with self.assertRaises(YAMLError) as caught:
                    miniyaml.loads(text)
                self.assertNotIn(secret, str(caught.exception))
                self.assertNotIn(secret[:4], caught.exception.message)

    def test_every_error_is_a_yaml_error(self):
        # Mangled variants of valid input: each is read or refused, never a crash.
        base = read(os.path.join(CASES, "compact_sequence_of_mappings.yaml"))
        for cut in range(len(base)):
            for insert in ("", "\t", ":", "- ", "'", '"', "[", "{", "#", "|", "&", "\n"):
                text = base[:cut] + insert + base[cut + 1:]
                try:
                    miniyaml.loads(text)
                except YAMLError:
                    pass

    def test_deep_nesting_is_refused_not_a_crash(self):
        for text in ("[" * 10000, "{a: " * 10000, "- " * 10000 + "x\n",
                     "".join(" " * depth + "k:\n" for depth in range(1000))):
            with self.subTest(text=text[:20]):
                with self.assertRaises(YAMLError) as caught:
                    miniyaml.loads(text)
                self.assertIn("nesting deeper than 100 levels", caught.exception.message)

    def test_the_deepest_nesting_allowed_is_read(self):
        text = "".join(" " * depth + "k:\n" for depth in range(99)) + " " * 99 + "v\n"
        data = miniyaml.loads(text)
        for _ in range(99):
            data = data["k"]
        self.assertEqual(data, "v")


if __name__ == "__main__":
    unittest.main()
