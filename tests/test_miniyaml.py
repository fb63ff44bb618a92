"""Tests for prospector_scheduler.miniyaml.

The table of cases lives in tests/data/yaml/: each NAME.yaml has a sibling
NAME.json (the data ``loads`` must return) or NAME.error (the exact error,
``LINE:COL: message``).
"""

import json
import os
import random
import unittest

from prospector_scheduler import miniyaml
from prospector_scheduler.errors import DataError
from prospector_scheduler.miniyaml import Mapping, Scalar, Sequence, YAMLError
from tests import support
from tests.test_yaml_suite import outcome, same, shown, untabled

CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "yaml")


def read(path):
    with open(path, encoding="utf-8", newline="") as stream:
        return stream.read()


def case_names(extension):
    return sorted(name[:-len(extension)] for name in os.listdir(CASES) if name.endswith(extension))


def parse_then_type(text):
    return miniyaml.to_data(miniyaml.parse(text))




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
                         ("duplicate key (first defined on line 1)", 2, 1))
        # The key is named only by a caller that knows it is safe to show.
        self.assertEqual((error.key, error.keyed_message),
                         ("a", 'duplicate key "a" (first defined on line 1)'))
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


def hot_steps_taken(text, nodes):
    """How many pairs the hot steps take in reading ``text`` (None when it is refused):
    one at a time, or in the entries a hot run reads."""
    taken = []
    originals = miniyaml._hot_pairs.copy(), miniyaml._HOT_FLOW_PAIR, miniyaml._hot_run

    def run(*arguments):
        entries, lines = originals[2](*arguments)
        for entry in entries:
            taken.extend(entry)
        return entries, lines

    def counting(match):
        def counted(*arguments):
            found = match(*arguments)
            if found is not None:
                taken.append(found)
            return found
        return counted

    miniyaml._hot_pairs.clear()
    for indent in range(0, 20):
        line_start, after_dash = miniyaml._hot_pair(indent)
        miniyaml._hot_pairs[indent] = (counting(line_start), counting(after_dash))
    miniyaml._HOT_FLOW_PAIR = type("Counted", (), {"match": staticmethod(counting(originals[1].match))})
    miniyaml._hot_run = run
    try:
        miniyaml._document(text, nodes)
    except YAMLError:
        return None
    finally:
        miniyaml._hot_pairs.clear()
        miniyaml._hot_pairs.update(originals[0])
        miniyaml._HOT_FLOW_PAIR = originals[1]
        miniyaml._hot_run = originals[2]
    return len(taken)


def run_entries_taken(text):
    """How many entries hot runs take in ``loads(text)`` (None when it is refused)."""
    taken = []
    original = miniyaml._hot_run

    def run(*arguments):
        entries, lines = original(*arguments)
        taken.extend(entries)
        return entries, lines

    miniyaml._hot_run = run
    try:
        miniyaml.loads(text)
    except YAMLError:
        return None
    finally:
        miniyaml._hot_run = original
    return len(taken)


# (document, how many entries hot runs take): all but the last of a sequence's compact
# mappings of simple pairs; refused runs leave their lines to the hot and general steps.
RUN_TABLE = [
    ("users:\n  - username: a\n    password: b\n  - username: c\n", 1),
    ("users:\n  - username: a\n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: a\n    reset_on_next_run: false\n  - username: b\n    n: 12\n  - username: c\n", 2),
    ("users:\n  - username: \"a\"\n    \"password\": 'b'\n  - username: c\n  - x: y\n", 2),
    ("users:\n    -   username: a\n        password: b\n    -   username: c\n", 1),
    ("users:\n- username: a\n\n# between\n- username: b\n  # inside\n  email: c@d.e\n- x: y\n", 2),
    ("users:\n  - username: a\n    email: b\n  - username: c\n    password: d\n  - x: y\n", 2),
    ("users:\n  - username: a  # comment\n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: a #c\n    n: 1 # one\n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: \"a\"  # comment\n  - username: b\n  - username: c\n", 0),
    ("users:\n  - username: a  # it's\n  - username: b\n  - username: c\n", 0),
    ("users:\n  - username: a#b\n  - username: b\n  - username: c\n", 2),
    # Comments after values, each case alone: taken off each value with the blanks before them.
    ("users:\n  - username: a #b\n    n: 1   #  two  \n  - username: b\n  - username: c\n", 0),
    ("users:\n  - username: a #b\n    n: 1   #  two\n  - username: b#\n  - username: c\n", 2),
    ("users:\n  - username: a b # c # d\n  - username: b # e#f\n  - username: c\n", 2),
    ("users:\n  - username: a # see: b\n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: a # see:b\n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: a\n  - username: b    # the last line\n  - username: c\n", 2),
    ("users:\n  - username: a\n    bad #x: y\n  - username: b\n  - username: c\n", None),
    ("users:\n  - username: a\n    bad # x: y\n  - username: b\n  - username: c\n", None),
    ("users:\n  - username: a\n    n:  # none\n  - username: b\n  - username: c\n", 0),
    ("users:\n  - username: a\n    n: # none\n  - username: b\n  - username: c\n", 0),
    ("users:\n  - #x: y\n  - username: b\n  - username: c\n", 0),
    ("users:\n  - username: a # c\n    # a comment line: too\n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: a #\n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: a\t# tab\n  - username: b\n  - username: c\n", 0),
    ("users:\n  - username: 'a' #c\n  - username: b\n  - username: c\n", 0),
    ("users:\n  - username: a #c\n    n: 12 #c\n    on: true #c\n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: a\n      # deeper\n  - username: b\n  - username: c\n", 0),
    # Lines with nothing to read, each alone: an empty line, blanks only, comments at the keys' column and at 0.
    ("users:\n  - username: a\n\n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: a\n   \n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: a\n  - username: b\n\n  - username: c\n", 2),
    ("users:\n  - username: a\n\n\n\n\n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: a\n#1\n # 2\n\n  #3\n   #4\n    # 5\n\n  - username: b\n  - username: c\n", 2),
    ("users:\n  - username: a\n     # deeper than the keys\n  - username: b\n  - username: c\n", 0),
    ("users:\n  - username: a\n  - username: b\n  \n  - username: c\n", 2),
    ("users:\n  - username: a\n    # at the keys\n    password: b\n  - username: c\n  - username: d\n", 2),
    ("users:\n  - username: a\n# at the margin\n    password: b\n  - username: c\n  - username: d\n", 2),
    ("users:\n  - username: a  # after a value\n    # at the keys\n  - username: c\n  - username: d\n", 2),
    ("users:\n  - username: # c\n  - username: b\n  - username: c\n", 0),
    # A line of another kind refuses all the lines up to where the sequence ends.
    ("users:\n  - username: a\n    roles:\n      - x\n  - username: b\n  - username: c\n", 0),
    ("users:\n  - username: a\n  - username: b\nother:\n  - username: c\n  - username: d\n", 2),
    ("users:\n  - username: a\n    username: b\n  - username: c\n", None),
    ("users:\n  - username: a\n    password: \"x\\ty\"\n  - username: c\n", 0),
    ("users:\n  - username: a\n    password: b\n      c\n  - username: d\n", 0),
    # Entries written as one-line flow mappings: taken as the block mappings they equal.
    ("users:\n  - {username: a}\n  - {username: b}\n", 1),
    ("users:\n  - {username: a, password: \"b c\", n: 1}\n  - {username: d, password: 'e', n: 2}\n  - {x: y}\n", 2),
    ("users:\n    -   {username: a, on: true}\n    -   {username: b, on: null}\n    -   {username: c}\n", 2),
    ("users:\n- {username: a}\n- {username: b, email: c@d.e}\nother: 1\n", 1),
    # ... and refused where a value may mean otherwise in a flow mapping, or the line is not one entry.
    ("users:\n  - {username: a,b}\n  - {username: c}\n  - {username: d}\n", 0),
    ("users:\n  - {username: a, password: \"b, c\"}\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a, password: \"{b}\"}\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a, roles: [x]}\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a}  # c\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a, }\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a ,n: 1}\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a , n: 1}\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - { username: a }\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a,\n     n: 1}\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a\n    , n: 1}\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a}\n    n: 1\n  - {username: d}\n  - {username: e}\n", None),
    ("users:\n  - {username: a}\n  - username: d\n  - {username: e}\n", 0),
    ("users:\n  - {username: a, username: b}\n  - {username: d}\n  - {username: e}\n", None),
    ("users:\n  - {\"username\":a}\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a, n: }\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a, ? n}\n  - {username: d}\n  - {username: e}\n", None),
    ("users:\n  - {username: a}\n  - {}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a}\n\n  - {username: d}\n  - {username: e}\n", 0),
    ("users:\n  - {username: a}\n  - {username: d\t}\n  - {username: e}\n", 0),
]

# (document, how many of its pairs the hot steps take).
HOT_TABLE = [
    ("users:\n  - username: a\n    password: b\n", 2),
    ("users:\n  - username: \"a\"\n    password: 'b'  # c\n", 2),
    ("users:\n    -   username: a\n        password: b\n", 2),
    ("users:\n  - {username: a, password: \"b\"}\n  - {username: c}\n", 3),
    ("a: 1\nb: x # c\nc: 'q'\n", 3),
    ("a: \"x\\ty\"\nb: c\n", 1),
    ("a: b\n  continued\nc: d\n", 1),
    ("a: x:y\nb: x#y\n", 0),
    ("a: b\n\nc: d\n", 2),
    ("a: b\n  \n\nc: d\n\n", 2),
    ("a: b\n\n  c\nd: e\n", 1),
    ("a: b\n\t\nc: d\n", 1),
    ("users:\n  - \"username\": \"a\"\n    \"password\": b\n", 2),
    ("\"null\": x\n\"true\": {\"y\": z}\n", 2),
    ("a: 'it''s'\n", 0),
    ("users:\n  - username: a\n  - username: b\n", 2),
    ("a: b\r\nc: d\r\n", 2),
    ("a: {b: c, d: [e]}\n", 1),
]

# Documents whose hot and general readings must agree (many of them tricky).
AGREEMENT_TABLE = [
    "users:\n  - username: a\n    password: b\n",
    "# head\n\n---\n# more\nusers:\n- username: a\n  email: a@b.c\n",
    "a: 1\nb: 0x1F\nc: 0o17\nd: 1.5e3\ne: .inf\nf: +12\ng: 0123\n",
    "a: 1\nusers:\n  - x: 007\n    y: .5\n  - x: +.nan\n    y: 1_000\n",
    "users:\n  - a: true\n    b: False\n    c: NULL\n    d: yes\n    e: no\n",
    "users:\n  - a: x#y\n    b: x:y\n    c: http://h/p?q=1\n    d: a b  c\n",
    "users:\n  - a:   spaced\n    b:    x\nc:  y\n",
    "users:\n  - a: b\n    c: d",
    "users:\n  - a: b\n\n# trailer\n   \n",
    "users:\n  - a: b\n    # indented comment\n",
    "users:\n  - a: b\nother:\n    - c: d\n",
    "users:\n  - a: x\u00e9t\u00e9 \U0001f600\n    b: x\u0085y\n",
    "users:\n  - a: \u00e9t\u00e9\n",
    "users:\n  - a: %s\n" % ("9" * 4001),
    "k: %s\n" % ("9" * 4001),
    "users:\n  - a: b # comment\n",
    "users:\n  - a: b #comment\n",
    "users:\n  - a: b  \n",
    "users:\n  - a: b\t\n",
    "users:\n  - a:\tb\n",
    "users:\n  - a:b\n",
    "users:\n  - a: b: c\n",
    "users:\n  - a: b:\n",
    "users:\n  - a: 'q'\n    b: \"q\"\n",
    "users:\n  - a: b\n    a: c\n",
    "a: 1\na: 2\n",
    "users:\n  - a: 1\nusers:\n  - a: 2\n",
    "users:\n  - a: b\n  - a: b\n",
    "users:\n  - true: b\n",
    "null: b\n",
    "users:\n  - a:\n    b: c\n",
    "users:\n  - a: b\n     continued\n",
    "users:\n  - a: b\n\n     continued\n",
    "users:\n  - a: b\n      c: d\n",
    "users:\n  - a: b\n   c: d\n",
    "users:\n  - a: b\n  # between\n  - a: c\n",
    "users:\n  - a: b\n\n  - a: c\n",
    "users:\r\n  - a: b\r\n    c: d\r\n",
    "users:\r  - a: b\r",
    "\ufeffusers:\n  - a: b\n",
    "users:\n  - a: b\n...\n",
    "users:\n  - a: b\n---\nx: y\n",
    "%YAML 1.2\n---\na: b\n",
    "--- a: b\n",
    "a: &x b\n",
    "a: !x b\n",
    "a: *x\n",
    "a: [b]\n",
    "a: -b\n",
    "a: - b\n",
    "a: b\n\tc: d\n",
    "<<: b\n",
    "users:\n  - a: b\n  -  c: d\n",
    "users:\n  -\ta: b\n",
    "users:\n  - a: x\x07\n",
    "users:\n  - %s: b\n" % ("k" * 1100),
    "users:\n  - a: b\n    c: d\n  e: f\n",
    "a: b\n  c\n",
    "",
    "# only a comment\n",
    "\"a\": 1\n\"a\": 2\n",
    "\"a\": 1\na: 2\n",
    "a: {\"b\": 1, b: 2}\n",
    "\"a\":1\n",
    "\"a\" : 1\n",
    "'a': 1\n",
    "\"a b\": 1\n",
    "a: b\n\n\n   c\n",
    "a: b\n\n\n",
    "a: b\n   \n",
    "- a: b\n\n- c: d\n\n\n",
    # Flow mappings, where the hot step must stop exactly where the general steps do.
    "a: {b: x,y}\n",
    "a: {b: x, y}\n",
    "a: {b: x,y: z}\n",
    "a: {b: x y, c: 'q', d: \"r\"}\n",
    "a: {b: x#y, c: d}\n",
    "a: {b: x #y\n  , c: d}\n",
    "a: {b: x}y\n",
    "a: {b: x}: y\n",
    "a: {b: x, b: y}\n",
    "a: {null: x}\n",
    "a: {b: x,}\n",
    "a: {b: x,\n  c: y}\n",
    "a: {b: x\n  , c: y}\n",
    "a: { b: x , c: y }\n",
    "a: {b: [x, y], c: z}\n",
    "a: {b: {c: d}, e: f}\n",
    "a: {b: \"x\\ty\", c: d}\n",
    "a: {b: 'x''y', c: d}\n",
    "a: {b:x}\n",
    "a: {b: x]}\n",
    "a: {b: -x, c: .5, d: 0x1F, e: true}\n",
    "- {a: b}\n- {c: d} # e\n-   {f: g}\n",
    "- {a: b}\n  - {c: d}\n",
    "- {a: b\n",
    "-\t{a: b}\n",
    # Hot runs (loads): whole entries at once, or refused for the steps above.
    "users:\n  - a: b: c\n    d\n  - e: f\n  - g: h\n",
    "users:\n  - a: x:     b\n    c\n  - d: e\n  - f: g\n",
    "users:\n- a: b\n  c: d\n\n# x\n  # y\n- a: b\n   # deeper\n- a: c\n",
    "users:\n  - a: b\n    a: c\n  - a: d\n",
    "users:\n  - a: b\n  - a: c\n    null: d\n  - a: e\n",
    "users:\n  - a: b\n    c: '' \n  - a: \"\"\n  - a: '\"'\n  - a: \"'\"\n  - a: x\n",
    "users:\n  - a: \"b\\\"\n  - a: 'it''s'\n  - a: \"x\" y\n  - a: x\n",
    "users:\n  - a: 1\n    b: 0x1F\n    c: .5\n    d: +1\n  - a: true\n    b: NULL\n    c: fine\n  - a: %s\n" % ("9" * 4001),
    "users:\n  - a: b\n    c: d\n  - a: e\n  - a: f\n    c: g\n    h: i\n  - j: k\n",
    "users:\n  - \"a\": b\n    \"null\": c\n  - \"a\": d\n    \"null\": e\n  - x: y\n",
    "users:\n  - a: b\n    c: d\n      e\n  - f: g\n",
    "users:\n  - a: b\n\n      c\n  - f: g\n  - h: i\n",
    "users:\n  - a: b\n    c:\n  - d: e\n  - f: g\n",
    "users:\n  - a: b\n    c: d\n\t\n  - a: e\n  - a: f\n",
    "users:\n  - a: b\n  - a: c\nx: y\n",
    "- a: b\n- a: c\n- a: d\n",
    "- a: b\n- - a: c\n- a: d\n",
    "users:\n  -  a: b\n     c: d\n  -  a: e\n     c: f\n  - a: g\n",
    # Comments after values, in runs without quotes.
    "users:\n  - a: b  # c\n    d: 1 #e\n  - a: x #\n    d: null # n\n  - a: y\n",
    "users:\n  - a: b  # c: d\n  - a: e#f\n  - a: g\n",
    "users:\n  - a: b     # five\n    c: d # one\n  - a: e   #\n  - a: f\n",
    "users:\n  - a: b\n    # c\n     # d\n  - a: e\n  - a: f\n",
    "users:\n  - a: b # c\n  - a:  # c\n  - a: g\n",
    "users:\n  - a: b # c\n    d: e\n      # deeper\n  - a: g\n  - a: h\n",
    "users:\n  - a: b # c\n    d: e\n      f\n  - a: g\n  - a: h\n",
    # Columns of quoted values, read at once when their quotes are two per value.
    "users:\n  - a: \"x\"\n  - a: \"\n  - a: \"y\"z\"\n  - a: q\n",
    "users:\n  - a: 'x'\n  - a: 'it''s'\n  - a: q\n",
    "users:\n  - a: \"x\\\\y\"\n  - a: \"z\"\n  - a: q\n",
    "users:\n  - a: \"\"\n  - a: \"x\"\n  - a: q\n",
    "users:\n  - a: \"x\"\n    b: 'y'\n  - a: \"\"\n    b: ''\n  - a: q\n",
    "users:\n  - a: \"x\" \n  - a: \"y\"\n  - a: q\n",
]

# Pieces of users files, many of them tricky, for the random documents below.
RANDOM_KEYS = ["username", "password", "email", "reset_on_next_run", "password_hash",
               "a", "_b", "c-d", "true", "null", "username", "k" * 3]
RANDOM_VALUES = ["admin", "user01", "s3cret_pass", "a@example.com", "true", "false", "True",
                 "yes", "null", "~", "", "0123", "12", "-5", "+7", "1.5", ".inf", ".NaN",
                 "0x1f", "0o17", "1e3", "a#b", "a #b", "a: b", "a:b", "http://x/y", "'q'",
                 '"q"', "it's", "x y", "x  y", "x ", "x\t", "\u00e9\u00e8", "\U0001f600",
                 "-", "- x", "[a]", "{a: b}", "&a", "*a", "!t", "|", ">", "%x", "@x", "`x",
                 "?", "? x", ":", "x:", "#", "...", "---", "9" * 4100,
                 '"a\\tb"', '"x, y"', "'it''s'", '"a: b"', '"#x"', "'a # b'", '"}"', "'{'",
                 '"x" # c', "x # c, d", "x #c", '"unterminated', '""', "''", "a, b", "a}", "a]"]


def random_users_document(generator):
    """A users-file-like document: mostly plainly simple, sometimes mangled."""
    lines = []
    rate = generator.choice([0, 0, 0.01, 0.1])  # how often a piece is a tricky one
    if generator.random() < 0.2:
        lines.append("# generated")
    if generator.random() < 0.1:
        lines.append("---")
    top_keys = ["users"] + generator.sample(["other", "users", "z"], generator.randint(0, 2))
    for top_key in top_keys:
        if top_key != "users" and generator.random() < 0.5:
            lines.append("%s: %s" % (top_key, generator.choice(RANDOM_VALUES)))
            continue
        lines.append("%s:" % top_key)
        indent = " " * generator.choice([0, 2, 2, 2, 4])
        dash = generator.choice(["- ", "- ", "- ", "-   "])  # compact entries, or four-space style
        for _ in range(generator.randint(1, 4)):
            keys = generator.sample(RANDOM_KEYS[:5], generator.randint(1, 5))
            if generator.random() < 0.2:
                # One flow mapping per entry.
                pairs = []
                for key in keys:
                    if generator.random() < rate:
                        key = generator.choice(RANDOM_KEYS)
                    value = generator.choice(RANDOM_VALUES) if generator.random() < rate * 3 \
                        else generator.choice(["user%d", '"user%d"', "'user%d'"]) % generator.randint(0, 99)
                    pairs.append(key + generator.choice([": ", ": ", ":  "]) + value)
                separator = generator.choice([", ", ", ", ",", " , "])
                lines.append(indent + dash + generator.choice(["{", "{", "{ "]) + separator.join(pairs)
                             + generator.choice(["}", "}", " }", "}  # c", "} x"][:4 if rate < 0.1 else 5]))
                continue
            for number, key in enumerate(keys):
                if generator.random() < rate:
                    key = generator.choice(RANDOM_KEYS)
                if generator.random() < rate * 3:
                    value = generator.choice(RANDOM_VALUES)
                else:
                    value = "user%d" % generator.randint(0, 99)
                separator = ": "
                if generator.random() < rate:
                    separator = generator.choice([":  ", ":", ":\t"])
                if generator.random() < 0.3:
                    value = generator.choice(['"%s"', "'%s'", "%s  # a comment", "%s #c", '"%s" # c']) % value
                lead = indent + (dash if number == 0 else " " * len(dash))
                lines.append(lead + key + separator + value)
                if generator.random() < rate:
                    lines.append(generator.choice(["", "#", "  # c", indent + "      more",
                                                   indent + "  \tx: y", "   "]))
    text = "\n".join(lines)
    ending = generator.random()
    if ending < 0.8:
        text += "\n"
    elif ending < 0.9:
        text += "\n\n# end\n"
    if generator.random() < 0.1:
        text = text.replace("\n", "\r\n")
    return text


class HotStepTest(unittest.TestCase):
    """The hot steps take the usual pairs and give what the general steps give, errors too;
    with tables too."""

    def assert_tables_agree(self, text):
        """``loads(text, tables=True)`` gives the same with hot steps and runs as without,
        and, its tables made rows again, what ``loads(text)`` gives (or both refuse)."""
        self.assertEqual(outcome(text, False, True, True), outcome(text, False, False, True))
        try:
            data = miniyaml.loads(text)
        except YAMLError:
            self.assertRaises(YAMLError, miniyaml.loads, text, tables=True)
            return
        self.assertTrue(same(untabled(miniyaml.loads(text, tables=True)), data))

    def test_the_usual_pairs_take_the_hot_steps(self):
        for text, expected in HOT_TABLE:
            for nodes in (False, True):
                with self.subTest(text=text, nodes=nodes):
                    self.assertEqual(hot_steps_taken(text, nodes), expected)
                    self.assertEqual(outcome(text, nodes, True), outcome(text, nodes, False))

    def test_hot_runs_take_whole_entries(self):
        for text, expected in RUN_TABLE:
            with self.subTest(text=text):
                self.assertEqual(run_entries_taken(text), expected)
                self.assertEqual(outcome(text, False, True), outcome(text, False, False))
                self.assert_tables_agree(text)

    def test_every_shape_of_the_benchmark_takes_them_throughout(self):
        from tests.bench import bench_yaml

        users = bench_yaml.entries(20)
        for name, shape in bench_yaml.SHAPES:
            with self.subTest(shape=name):
                text = shape(users)
                self.assertEqual(hot_steps_taken(text, False), 4 * len(users))
                self.assertEqual(miniyaml.loads(text), {"users": users})
                table = miniyaml.loads(text, tables=True)["users"]
                self.assertIs(type(table), miniyaml.Table)
                self.assertEqual(table.rows(), users)

    def test_tricky_documents(self):
        for text in AGREEMENT_TABLE + [text for text, _ in HOT_TABLE]:
            for nodes in (False, True):
                with self.subTest(text=text[:80], nodes=nodes):
                    self.assertEqual(outcome(text, nodes, True), outcome(text, nodes, False))
            with self.subTest(text=text[:80], tables=True):
                self.assert_tables_agree(text)

    def test_random_users_documents(self):
        generator = random.Random(20240601)
        taken = 0
        in_runs = 0
        for number in range(1500):
            text = random_users_document(generator)
            for nodes in (False, True):
                with self.subTest(number=number, text=text[:200], nodes=nodes):
                    self.assertEqual(outcome(text, nodes, True), outcome(text, nodes, False))
            with self.subTest(number=number, text=text[:200], tables=True):
                self.assert_tables_agree(text)
            taken += bool(hot_steps_taken(text, False))
            in_runs += bool(run_entries_taken(text))
        # Most take the hot steps somewhere, and some do not; many take hot runs.
        self.assertGreater(taken, 300)
        self.assertLess(taken, 1500)
        self.assertGreater(in_runs, 150)

    def test_a_large_users_file(self):
        from tests.bench.bench_yaml import users_yaml

        text = users_yaml(500)
        self.assertEqual(hot_steps_taken(text, False), 2000)
        for nodes in (False, True):
            with self.subTest(nodes=nodes):
                self.assertEqual(outcome(text, nodes, True), outcome(text, nodes, False))

    def test_a_large_run_with_one_odd_line_late_in_it(self):
        # A run reads a stretch of lines at a time: an odd line after the first must
        # still refuse it (or, for a repeated key, end in the general steps' error).
        from tests.bench.bench_yaml import users_yaml

        text = users_yaml(500)
        line = "    email: user000450@example.com\n"
        self.assertIn(line, text)
        for odd in ("    email: user000450@example.com  # c\n", "    email: user000450@example.com \n",
                    "    email:  user000450@example.com\n", "    email: a:b\n", "    null: x\n",
                    "    username: again\n", "    email: \"a\\tb\"\n", "\t\n", "      more\n",
                    "    # a comment\n\n", "  # a comment\n    x: 12\n    y: 1.5\n    z: 'q'\n"):
            changed = text.replace(line, line + odd)
            with self.subTest(odd=odd):
                self.assertEqual(outcome(changed, False, True), outcome(changed, False, False))
        # Blank and comment lines are read within the run: all but the last entry are taken.
        self.assertEqual(run_entries_taken(text.replace(line, line + "\n  # c\n")), 499)

    def test_runs_read_in_stretches_of_any_size_give_the_same(self):
        # A run is read a stretch of whole entries at a time; wherever the stretches
        # end, the result and every error are the general steps' ones.
        from tests.bench import bench_yaml

        users = bench_yaml.entries(30)
        large = bench_yaml.users_yaml(60)
        line = "    email: user000045@example.com\n"
        odd_lines = ("    email: user000045@example.com  # c\n", "    email:  x\n", "    null: x\n",
                     "    username: again\n", "\t\n", "      more\n", "    # a comment\n\n")
        generator = random.Random(20261130)
        documents = [text for text, _ in RUN_TABLE] + [random_users_document(generator) for _ in range(300)]
        documents += [large.replace(line, line + odd) for odd in odd_lines]
        original = miniyaml._RUN_STRETCH
        try:
            for stretch in (1, 30, 100, 1000):
                miniyaml._RUN_STRETCH = stretch
                for text in documents:
                    with self.subTest(stretch=stretch, text=text[:200]):
                        self.assertEqual(outcome(text, False, True), outcome(text, False, False))
                        self.assert_tables_agree(text)
                # A stretch takes no fewer entries than the whole run would: it ends where
                # the run does at the latest.
                for text, expected in RUN_TABLE:
                    if expected is not None:
                        with self.subTest(stretch=stretch, text=text):
                            self.assertGreaterEqual(run_entries_taken(text), expected)
                for name, shape in bench_yaml.SHAPES:
                    with self.subTest(stretch=stretch, shape=name):
                        text = shape(users)
                        self.assertEqual(run_entries_taken(text), len(users) - 1)
                        self.assertEqual(miniyaml.loads(text), {"users": users})
        finally:
            miniyaml._RUN_STRETCH = original

    def test_a_large_run_is_read_in_stretches(self):
        from tests.bench.bench_yaml import users_yaml

        text = users_yaml(1000)
        stretches = []
        original = miniyaml._run_entries

        def counted(block, *arguments):
            stretches.append(len(block))
            return original(block, *arguments)

        miniyaml._run_entries = counted
        try:
            self.assertEqual(run_entries_taken(text), 999)
        finally:
            miniyaml._run_entries = original
        # Each stretch but the last is at least _RUN_STRETCH long and ends at the next entry.
        self.assertGreater(len(stretches), len(text) // (2 * miniyaml._RUN_STRETCH))
        self.assertTrue(all(miniyaml._RUN_STRETCH <= size < miniyaml._RUN_STRETCH + 200
                            for size in stretches[:-1]), stretches)

    def test_runs_of_entries_with_many_keys(self):
        for size in (1, 2, 5, 200, 201, 300):
            entry = "".join("%s  k%d: v%d\n" % ("-" if number == 0 else " ", number, number)
                            for number in range(size))
            text = entry * 3
            with self.subTest(size=size):
                self.assertEqual(miniyaml.loads(text), [dict(("k%d" % n, "v%d" % n) for n in range(size))] * 3)
                self.assertEqual(run_entries_taken(text), 2)

    def test_a_line_that_is_almost_hot_is_refused_in_linear_time(self):
        # Long runs of words end in a character the hot steps refuse: a
        # backtracking regex would hang here (no timer: a slow machine must
        # not fail the suite).
        value = " ".join(["x" * 40] * 50)
        for text in ("users:\n  - a: %s:y\t\n" % value, "a: %s:y:\n" % value,
                     "a: {b: %s:y}\n" % value, "a: %s\n    b\n" % value):
            with self.subTest(text=text[:20]):
                self.assertFalse(hot_steps_taken(text, False))  # none taken, or an error
                self.assertEqual(outcome(text, False, True), outcome(text, False, False))

    def test_the_collector_is_left_as_it_was(self):
        import gc

        self.assertTrue(gc.isenabled())
        miniyaml.loads("a: b\n")
        self.assertTrue(gc.isenabled())
        gc.disable()
        try:
            miniyaml.loads("a: b\n")
            self.assertFalse(gc.isenabled())
        finally:
            gc.enable()


if __name__ == "__main__":
    unittest.main()


def table(keys, *columns):
    return miniyaml.Table(tuple(keys), [list(column) for column in columns])


RUN = "- a: 1\n  b: x\n" * 3  # a hot run takes the first two entries


# (document, what loads(text, tables=True) gives)
TABLES_TABLE = [
    ("- a: 1\n  b: x\n- a: 2\n  b: y\n", table("ab", [1, 2], ["x", "y"])),
    ("users:\n  - username: u\n    password: p\n", {"users": table(["username", "password"], ["u"], ["p"])}),
    ("[{a: 1, b: ~}, {a: 'q', b: 1.5}]", table("ab", [1, "q"], [None, 1.5])),
    ("- a: true\n- a: \n", table("a", [True, None])),
    ("- - a: 1\n- - a: 2\n  - a: 3\n", [table("a", [1]), table("a", [2, 3])]),
    ("x:\n  - a: 1\ny:\n  - a: 1\n  - b: 1\n", {"x": table("a", [1]), "y": [{"a": 1}, {"b": 1}]}),
    # not a table: other keys, another order, a value that is not a scalar, no key, no mapping
    ("- a: 1\n  b: 2\n- b: 2\n  a: 1\n", [{"a": 1, "b": 2}, {"b": 2, "a": 1}]),
    ("- a: 1\n  b: 2\n- a: 1\n", [{"a": 1, "b": 2}, {"a": 1}]),
    ("- a: 1\n- a: [1]\n", [{"a": 1}, {"a": [1]}]),
    ("- a: {b: 1}\n", [{"a": {"b": 1}}]),
    ("- a: [{b: 1}]\n", [{"a": table("b", [1])}]),
    ("- {}\n- {}\n", [{}, {}]),
    ("[]", []),
    ("- a\n- b: 1\n", ["a", {"b": 1}]),
    ("- b: 1\n- a\n", [{"b": 1}, "a"]),
    # hot runs: their columns join the entries read otherwise, or are made mappings
    (RUN + "- a: 4\n  b: y\n", table("ab", [1, 1, 1, 4], ["x", "x", "x", "y"])),
    (RUN + "- a: 4\n", [{"a": 1, "b": "x"}] * 3 + [{"a": 4}]),
    (RUN + "- a: 4\n  b: [y]\n", [{"a": 1, "b": "x"}] * 3 + [{"a": 4, "b": ["y"]}]),
    ("- z: 0\n" + RUN, [{"z": 0}] + [{"a": 1, "b": "x"}] * 3),
    (RUN + "- a: 1\n  b: |\n    x\n" + RUN, table("ab", [1] * 7, ["x"] * 3 + ["x\n"] + ["x"] * 3)),
    (RUN + "- b: x\n  a: 1\n" + RUN, [{"a": 1, "b": "x"}] * 3 + [{"b": "x", "a": 1}] + [{"a": 1, "b": "x"}] * 3),
]


class TableTest(unittest.TestCase):
    """loads(text, tables=True): a sequence of like mappings as the columns of a Table."""

    def test_tables(self):
        for text, expected in TABLES_TABLE:
            with self.subTest(text=text):
                found = miniyaml.loads(text, tables=True)
                self.assertEqual(shown(found), shown(expected))
                self.assertEqual(untabled(found), miniyaml.loads(text))

    def test_stretches_of_a_run_join_in_one_table_only_with_the_same_keys(self):
        original = miniyaml._RUN_STRETCH
        miniyaml._RUN_STRETCH = 1  # each entry a stretch of its own: the columns of each
        try:
            for text in (RUN + "- a: 1\n  c: x\n" * 3 + RUN, RUN + "- b: x\n  a: 1\n" * 3 + RUN, RUN * 3):
                with self.subTest(text=text):
                    self.assertEqual(outcome(text, False, True, True), outcome(text, False, False, True))
                    self.assertEqual(untabled(miniyaml.loads(text, tables=True)), miniyaml.loads(text))
            self.assertEqual(miniyaml.loads(RUN * 3, tables=True), table("ab", [1] * 9, ["x"] * 9))
        finally:
            miniyaml._RUN_STRETCH = original

    def test_the_repr_of_a_table_shows_no_key_and_no_value(self):
        secret = "pw-SECRET-table-repr"
        found = miniyaml.loads("- %s: %s\n  password: '%s'\n" % (secret, secret, secret) * 3, tables=True)
        self.assertIsInstance(found, miniyaml.Table)
        self.assertEqual(repr(found), "<Table rows=3 keys=2 (not shown)>")
        self.assertEqual(str(found), repr(found))
        self.assertEqual(repr(miniyaml._RunColumns(("a",), [[]])), "<_RunColumns rows=0 keys=1 (not shown)>")

    def test_rows_are_the_mappings_loads_gives(self):
        for size in (1, 3, 200, 201):
            keys = ["k%d" % number for number in range(size)]
            found = table(keys, *[[number, "v"] for number in range(size)])
            with self.subTest(size=size):
                self.assertEqual(found.rows(), [dict(zip(keys, range(size))), dict.fromkeys(keys, "v")])

    def test_a_run_read_for_a_table_makes_no_mapping(self):
        from tests.bench.bench_yaml import users_yaml

        text = users_yaml(500)
        made = []
        original = miniyaml._rows_of

        def counted(keys, columns):
            rows = original(keys, columns)
            made.extend(rows)
            return rows

        miniyaml._rows_of = counted
        try:
            users = miniyaml.loads(text, tables=True)["users"]
            self.assertEqual(made, [])
            self.assertEqual(len(users.columns[0]), 500)
            miniyaml.loads(text)
            self.assertEqual(len(made), 499)  # the hot run's entries, made mappings
        finally:
            miniyaml._rows_of = original


class LineStartsTest(unittest.TestCase):
    """miniyaml._LineStarts: each line's start worked out on demand, as a table made first gives it."""

    def expected(self, lines):
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))
        return starts

    def test_every_order_of_asking_gives_the_table(self):
        import random
        from unittest import mock

        rng = random.Random(11)
        for trial in range(200):
            lines = ["x" * rng.randint(0, 5) for _ in range(rng.randint(0, 40))]
            expected = self.expected(lines)
            text = "\n".join(lines)
            with self.subTest(trial=trial, lines=len(lines)), \
                    mock.patch.object(miniyaml, "_STARTS_CHUNK", rng.choice([1, 2, 3, 7, 4096])):
                starts = miniyaml._LineStarts(lines)
                asked = list(range(len(lines) + 1)) * 2
                rng.shuffle(asked)
                for index in asked:
                    if rng.random() < 0.2:
                        # A start found otherwise, as a hot run notes where it ended.
                        noted = rng.randint(0, len(lines))
                        starts.note(noted, expected[noted] + noted)
                    self.assertEqual(starts[index], expected[index], index)
                    # Line ``index`` starts at starts[index] + index in the text.
                    if index < len(lines):
                        self.assertEqual(text[starts[index] + index:].split("\n")[0], lines[index])
                for index in (-1, len(lines) + 1):
                    with self.assertRaises(KeyError):
                        starts[index]

    def test_a_large_file_read_by_hot_runs_works_out_few_starts(self):
        from unittest import mock

        text = "users:\n" + "".join("  - username: u%d\n    password: p%d\n" % (n, n) for n in range(20000))
        documents = []
        original = miniyaml._LineStarts

        class Recording(original):
            __slots__ = ()

            def __init__(self, lines):
                original.__init__(self, lines)
                documents.append(self)

        with mock.patch.object(miniyaml, "_LineStarts", Recording):
            data = miniyaml.loads(text)
        self.assertEqual(len(data["users"]), 20000)
        [starts] = documents
        # A table of every line would hold 40,002 starts; the runs leave all but a few unasked.
        self.assertLess(len(starts), 2 * miniyaml._STARTS_CHUNK + 100)


class LinearTimeTest(unittest.TestCase):
    """Parsing takes time linear in the input: doubling it about doubles the work (issue 9.13).

    Each size is large enough for a quadratic cost to show (the escapes took
    time quadratic in the line's length before) and small enough to be quick.
    """

    CASES = [
        ("escapes before a far quote", lambda n: 'a: "' + "\\t" * n + "x" * (8 * n) + '"\n', 40000),
        ("hex escapes before a far quote", lambda n: 'a: "' + "\\x41" * n + "x" * (8 * n) + '"\n',
         40000),
        ("quotes in a single-quoted scalar", lambda n: "a: '" + "''" * n + "'\n", 20000),
        ("a long plain scalar ending in ': '", lambda n: "a: " + "x " * n + ": b\n", 20000),
        ("a long flow sequence with an error at its end",
         lambda n: "a: [" + "b, " * (n // 4) + "b, @]\n", 20000),
        ("many blank lines before a mis-indented key",
         lambda n: "a:\n  b: 'c'\n" + "\n" * (8 * n) + "    d: e\n", 20000),
        ("a plain scalar over many lines", lambda n: "a: b\n" + "  c\n" * (n // 4), 20000),
        ("tabs before an error", lambda n: "a:\n  - b\n" + "\t" * (8 * n) + "x\n", 20000),
    ]

    def test_doubling_the_input_about_doubles_the_work(self):
        for name, make, size in self.CASES:
            with self.subTest(case=name):
                ratio = support.growth(miniyaml.parse, make, size)
                self.assertLess(ratio, 3.0, "%s: %.2f" % (name, ratio))


    # Hot runs (``loads`` only): blank and comment lines among entries whose keys stand far
    # right, and many blank lines in a row.
    LOADS_CASES = [
        ("comment lines of a run whose keys stand far right",
         lambda n: "users:\n" + ("-" + " " * n + "a: b\n" + " " * (n + 1) + "# c\n\n") * 6 + "- x: y\n", 2000),
        ("many blank lines in a run",
         lambda n: "users:\n- a: b\n" + "\n" * (8 * n) + "- a: c\n- x: y\n", 20000),
    ]

    def test_doubling_a_run_about_doubles_the_work(self):
        for name, make, size in self.LOADS_CASES:
            with self.subTest(case=name):
                self.assertGreaterEqual(run_entries_taken(make(size)), 2)  # read by a hot run
                ratio = support.growth(miniyaml.loads, make, size)
                self.assertLess(ratio, 3.0, "%s: %.2f" % (name, ratio))


class InvalidCharacterTest(unittest.TestCase):
    """Every character outside YAML's c-printable set is refused, in ASCII text and in other text."""

    @staticmethod
    def printable(code):
        # YAML 1.2 c-printable; the byte-order mark is allowed at the start only.
        return (code in (0x09, 0x0A, 0x0D, 0x85) or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF
                or 0xE000 <= code <= 0xFFFD and code != 0xFEFF or 0x10000 <= code <= 0x10FFFF)

    def test_each_character(self):
        codes = list(range(0, 0x300)) + [0x2028, 0xD800, 0xDFFF, 0xFEFF, 0xFFFE, 0xFFFF, 0x10000, 0x10FFFF]
        for code in codes:
            if code in (0x0A, 0x0D):
                continue  # line breaks
            for other in ("", "\u00e9"):  # the rest of the text ASCII, or not
                text = "a: %s\nb: x%sy\n" % (other or "c", chr(code))
                with self.subTest(code=hex(code), other=other):
                    try:
                        miniyaml.loads(text)
                        refused = None
                    except YAMLError as error:
                        refused = error
                    if self.printable(code):
                        self.assertIsNone(refused)
                    else:
                        self.assertIsNotNone(refused)
                        self.assertEqual((refused.line, refused.column), (2, 5))
                        self.assertIn("a character YAML does not allow", refused.message)

    def test_in_a_long_text_wherever_it_stands(self):
        # The check reads the text a stretch at a time: a character on either side of a
        # stretch's end, or in a late stretch, is found and placed all the same.
        stretch = miniyaml._RUN_STRETCH
        line = "k: value\n"
        for offset in (3, stretch - 1, stretch, 3 * stretch + 5):
            # The character at ``offset`` in the text, after ``lines`` whole lines.
            lines = (offset - 3) // len(line)
            before = line * lines + "k: " + "v" * (offset - 3 - lines * len(line))
            self.assertEqual(len(before), offset)
            for code in (0x00, 0x1F, 0x7F, 0xFFFE):
                text = before + chr(code) + "\n" + line * 3000
                with self.subTest(offset=offset, code=hex(code)):
                    with self.assertRaises(YAMLError) as raised:
                        miniyaml.loads(text)
                    self.assertEqual(raised.exception.line, lines + 1)
                    self.assertEqual(raised.exception.column, offset - lines * len(line) + 1)
