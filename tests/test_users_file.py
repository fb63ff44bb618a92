"""Tests of the users-file schema and of reading users files (prospector_scheduler.users_file)."""

import hashlib
import io
import json
import os
import typing
import unittest

from prospector_scheduler import config_schema, users_file
from prospector_scheduler.errors import DataError, ErrorList, NoInputError
from tests.support import DATA, TemporaryDirectoryTestCase, run_cli, without_root_privileges

CASES = os.path.join(DATA, "users")
PROGRAM = "prospector-scheduler"

from prospector_scheduler import miniyaml, passwords


def case_files(folder):
    """(name, path) of the input files of a case folder, sorted."""
    directory = os.path.join(CASES, folder)
    for name in sorted(os.listdir(directory)):
        if os.path.splitext(name)[1] in (".yaml", ".yml", ".json", ".in"):
            yield name, os.path.join(directory, name)


def read_bytes(path):
    with open(path, "rb") as stream:
        return stream.read()


def read_text(path):
    with open(path, encoding="utf-8") as stream:
        return stream.read()


def report(error):
    return "\n".join(error.report_lines(PROGRAM)) + "\n"


class CaseFilesTest(unittest.TestCase):
    def test_valid_files_give_their_entries(self):
        for name, path in case_files("valid"):
            with self.subTest(case=name):
                expected = json.loads(read_text(os.path.splitext(path)[0] + ".entries"))
                entries = users_file.parse(read_bytes(path), name)
                self.assertEqual([entry._asdict() for entry in entries], expected)
                for entry in entries:
                    self.assertIsInstance(entry, users_file.UserEntry)

    def test_invalid_files_give_every_error_and_no_password(self):
        for name, path in case_files("invalid"):
            with self.subTest(case=name):
                expected = read_text(os.path.splitext(path)[0] + ".errors")
                with self.assertRaises(ErrorList) as caught:
                    users_file.parse(read_bytes(path), name)
                self.assertEqual(report(caught.exception), expected)
                self.assertNotIn("SECRET", report(caught.exception) + str(caught.exception))
                for error in caught.exception.errors:
                    self.assertIsInstance(error, DataError)
                    self.assertEqual(error.exit_code, 65)
                    self.assertEqual(error.path, name)

    def test_every_case_has_its_expectation(self):
        for folder, suffix in (("valid", ".entries"), ("invalid", ".errors")):
            for name, path in case_files(folder):
                with self.subTest(case=name):
                    self.assertTrue(os.path.exists(os.path.splitext(path)[0] + suffix))


def parse_json(document):
    return users_file.parse(json.dumps(document).encode("utf-8"), "t.json")


def json_errors(document):
    try:
        parse_json(document)
    except ErrorList as error:
        return [str(item) for item in error.errors]
    raise AssertionError("no error for %r" % (document,))


class SchemaRulesTest(unittest.TestCase):
    def test_email_addresses(self):
        good = ["a@b.co", "first.last+tag@mail.example.org", "\u00e9@\u00e9xample.fr", "a@b.c.d"]
        bad = [
            ("a.example.com", "it needs exactly one @"),
            ("a@b@c.com", "it needs exactly one @"),
            ("@example.com", "nothing before the @"),
            ("a@localhost", "the domain after the @ needs a dot between non-empty names"),
            ("a@.example", "the domain after the @ needs a dot between non-empty names"),
            ("a@example.", "the domain after the @ needs a dot between non-empty names"),
            ("a@ex..ample", "the domain after the @ needs a dot between non-empty names"),
            ("a b@example.com", "it contains white space or a control character"),
            ("a@example.com\n", "it contains white space or a control character"),
            ("a\u0085@example.com", "it contains white space or a control character"),
        ]
        for email in good:
            with self.subTest(email=email):
                self.assertEqual(parse_json({"users": [{"username": "u", "email": email}]})[0].email, email)
        for email, reason in bad:
            with self.subTest(email=email):
                self.assertEqual(json_errors({"users": [{"username": "u", "email": email}]}), [
                    "t.json: users[0].email: %s does not look like an email address (%s)"
                    % (config_schema.quote(email), reason)])

    def test_usernames(self):
        for username in ["admin", "a b", "\u00e9milie", "0123", "x" * 300]:
            with self.subTest(username=username):
                self.assertEqual(parse_json({"users": [{"username": username}]})[0].username, username)
        bad = [
            ("", "t.json: users[0].username: empty; a username is required"),
            (" a", 't.json: users[0].username: " a" begins or ends with white space'),
            ("a\t", 't.json: users[0].username: "a\\t" begins or ends with white space'),
            ("a\u00a0", 't.json: users[0].username: "a\\xa0" begins or ends with white space'),
            ("a\x1bb", 't.json: users[0].username: "a\\x1bb" contains a control character'),
            ("a\x7f", 't.json: users[0].username: "a\\x7f" contains a control character'),
            ("a\u2028b", 't.json: users[0].username: "a\\u2028b" contains a control character'),
            ('a"\\', 't.json: users[0].username: "a\\"\\\\" contains a control character'),
        ]
        for username, message in bad[:-1]:
            with self.subTest(username=username):
                self.assertEqual(json_errors({"users": [{"username": username}]}), [message])
        self.assertEqual(config_schema.quote('a"\\'), '"a\\"\\\\"')

    def test_missing_username_and_duplicates_name_both_places(self):
        self.assertEqual(json_errors({"users": [{"email": "a@b.co"}]}),
                         ['t.json: users[0]: missing the key "username"'])
        self.assertEqual(json_errors({"users": [{"username": "a"}, {"username": "b"}, {"username": "a"}]}),
                         ['t.json: users[2].username: duplicate username "a"; first given at users[0]'])

    def test_duplicate_found_even_when_the_first_entry_has_other_errors(self):
        self.assertEqual(json_errors({"users": [{"username": "a", "email": "x"}, {"username": "a"}]}), [
            't.json: users[0].email: "x" does not look like an email address (it needs exactly one @)',
            't.json: users[1].username: duplicate username "a"; first given at users[0]'])

    def test_password_rules(self):
        cases = [
            ({"username": "a", "password": "p", "password_hash": "h"},
             ['t.json: users[0]: both "password" and "password_hash" are given; give one']),
            ({"username": "a", "password": ""},
             ["t.json: users[0].password: empty; leave the key out to give no password"]),
            ({"username": "a", "reset_on_next_run": True},
             ['t.json: users[0].reset_on_next_run: true requires "password" or "password_hash"']),
            ({"username": "a", "reset_on_next_run": True, "password": None},
             ['t.json: users[0].reset_on_next_run: true requires "password" or "password_hash"']),
        ]
        for entry, expected in cases:
            with self.subTest(entry=entry):
                errors = json_errors({"users": [entry]})
                if "password_hash" in entry and passwords is not None:
                    errors = [error for error in errors if ".password_hash:" not in error]
                self.assertEqual(errors, expected)
        self.assertFalse(parse_json({"users": [{"username": "a", "reset_on_next_run": False}]})[0]
                         .reset_on_next_run)

    def test_disabled_key(self):
        self.assertIsNone(parse_json({"users": [{"username": "a"}]})[0].disabled, "absent: leave the state")
        for value in (True, False, None):
            with self.subTest(json=value):
                self.assertIs(parse_json({"users": [{"username": "a", "disabled": value}]})[0].disabled, value)
        spellings = [("true", True), ("Yes", True), ("ON", True), ("false", False), ("no", False), ("off", False),
                     ("", None), ("~", None)]
        for text, value in spellings:
            with self.subTest(yaml=text):
                entries = users_file.parse(("users:\n  - username: a\n    disabled: %s\n" % text).encode(), "t.yaml")
                self.assertIs(entries[0].disabled, value)
        for bad, got in (('"true"', "a string"), ("1", "a number")):
            with self.subTest(json=bad):
                self.assertEqual(json_errors(json.loads('{"users": [{"username": "a", "disabled": %s}]}' % bad)),
                                 ["t.json: users[0].disabled: expected a boolean (true or false), got %s" % got])
        with self.assertRaises(ErrorList) as caught:
            users_file.parse(b'users:\n  - username: a\n    disabled: "yes"\n', "t.yaml")
        self.assertEqual([str(error) for error in caught.exception.errors], [
            't.yaml:3:15: users[0].disabled: expected a boolean (true, false, yes, no, on or off, in any case, '
            'without quotes), got a quoted string'])
        # A new user created disabled needs no password; a reset still does.
        self.assertEqual(parse_json({"users": [{"username": "a", "disabled": True}]})[0].password, None)
        self.assertEqual(json_errors({"users": [{"username": "a", "disabled": True, "reset_on_next_run": True}]}),
                         ['t.json: users[0].reset_on_next_run: true requires "password" or "password_hash"'])

    def test_a_hash_starting_with_an_exclamation_mark_points_to_disabled(self):
        policy = passwords.Policy("pbkdf2-sha256", 1, 8, 1, 1000)
        good = passwords.hash_password("SECRET-pw", policy)
        message = ('users[0].password_hash: a hash starting with "!" is not accepted; '
                   'to disable the user, write "disabled: true" and keep its hash as it is')
        for bad in ["!" + good, "!", "!!SECRET", "!disabled"]:
            with self.subTest(hash=bad):
                self.assertEqual(json_errors({"users": [{"username": "a", "password_hash": bad}]}), ["t.json: " + message])
        with self.assertRaises(ErrorList) as caught:
            users_file.parse(('users:\n  - username: a\n    password_hash: "!%s"\n' % good).encode(), "t.yaml")
        self.assertEqual(report(caught.exception), "t.yaml:3:20: " + message + "\n")

    def test_password_hash_is_checked_by_the_passwords_module(self):
        policy = passwords.Policy("pbkdf2-sha256", 1, 8, 1, 1000)
        good = passwords.hash_password("SECRET-pw", policy)
        entry = parse_json({"users": [{"username": "a", "password_hash": good}]})[0]
        self.assertEqual(entry.password_hash, good)
        for bad in ["SECRET-not-a-hash", good[:-4], "$scrypt$ln=40,r=8,p=1$SECRET$SECRET"]:
            with self.subTest(hash=bad):
                errors = json_errors({"users": [{"username": "a", "password_hash": bad}]})
                self.assertEqual(len(errors), 1)
                self.assertTrue(errors[0].startswith("t.json: users[0].password_hash: "), errors[0])
                self.assertNotIn(bad, errors[0])
                self.assertNotIn("SECRET", errors[0])

    def test_unknown_keys(self):
        cases = [
            ("reset_on_next_rn", 'users[0].reset_on_next_rn: unknown key; did you mean "reset_on_next_run"?'),
            ("Username", 'users[0].Username: unknown key; did you mean "username"?'),
            ("passwd", 'users[0].passwd: unknown key; did you mean "password"?'),
            ("mail", 'users[0].mail: unknown key; did you mean "email"?'),
            ("groups", "users[0]: unknown key (not named: it is not close to any key of this file); "
                       "expected one of: username, password, password_hash, email, reset_on_next_run, disabled"),
            ("hunter2", "users[0]: unknown key (not named: it is not close to any key of this file); "
                        "expected one of: username, password, password_hash, email, reset_on_next_run, disabled"),
            ("password:hunter2", 'users[0]: unknown key (not named: it may hold a secret); did you mean "password"?'),
            ("pass word", 'users[0]: unknown key (not named: it may hold a secret); did you mean "password"?'),
            ("passwordhunter2", 'users[0]: unknown key (not named: it may hold a secret); did you mean "password"?'),
            ("Password1", 'users[0]: unknown key (not named: it may hold a secret); did you mean "password"?'),
            ("users", 'users[0].users: unknown key here; expected one of: username, password, '
                      'password_hash, email, reset_on_next_run, disabled ("users" is a key of another level)'),
        ]
        for key, message in cases:
            with self.subTest(key=key):
                self.assertEqual(json_errors({"users": [{"username": "a", key: "hunter2"}]}),
                                 ["t.json: " + message])

    def test_top_level(self):
        cases = [
            ({}, ['t.json: missing the key "users" (a list of users; "users: []" for none)']),
            ({"users": None}, ['t.json: users: expected a sequence of users, got null (write "users: []" for none)']),
            ({"users": "a"}, ["t.json: users: expected a sequence of users, got a string"]),
            ("users", ['t.json: expected a mapping with the key "users" at the top level, got a string']),
            (None, ['t.json: expected a mapping with the key "users" at the top level, got null']),
            ({"users": [], "version": 1}, ['t.json: top level: unknown key (not named: it is not close '
                                           'to any key of this file); expected only "users"']),
            ({"users": [], "usres": 1}, ['t.json: usres: unknown key; did you mean "users"?']),
            ({"users": [], "email": 1}, ['t.json: email: unknown key here; expected only "users" '
                                         '("email" is a key of another level)']),
        ]
        for document, expected in cases:
            with self.subTest(document=document):
                self.assertEqual(json_errors(document), expected)

    def test_json_types_are_never_converted(self):
        for field in ("username", "password", "password_hash", "email"):
            for value, kind in ((123, "a number"), (1.5, "a number"), (True, "a boolean"),
                                ([], "a sequence"), ({}, "a mapping")):
                with self.subTest(field=field, value=value):
                    entry = {"username": "a", field: value}
                    self.assertEqual(json_errors({"users": [entry]}), [
                        "t.json: users[0].%s: expected a string, got %s" % (field, kind)])
        for value, kind in (("true", "a string"), (1, "a number"), ([], "a sequence")):
            with self.subTest(field="reset_on_next_run", value=value):
                self.assertEqual(json_errors({"users": [{"username": "a", "reset_on_next_run": value}]}), [
                    "t.json: users[0].reset_on_next_run: expected a boolean (true or false), got %s" % kind])


# --- YAML, fed nodes built by hand as miniyaml's API describes them ---------

class Scalar(typing.NamedTuple):
    text: str
    style: str
    line: int
    column: int


class Mapping(typing.NamedTuple):
    items: list
    line: int
    column: int


class Sequence(typing.NamedTuple):
    items: list
    line: int
    column: int


HAND_MADE = (Scalar, Mapping, Sequence)
QUOTES = {"plain": "", "single": "'", "double": '"'}


def block_document(entries):
    """The text and the nodes of ``users:`` with block entries of (key, text, style) fields."""
    lines = ["users:"]
    users = []
    for fields in entries:
        pairs = []
        for index, (key, text, style) in enumerate(fields):
            line = len(lines) + 1
            written = QUOTES[style] + text + QUOTES[style]
            lines.append(("  - " if index == 0 else "    ") + "%s: %s" % (key, written))
            pairs.append((Scalar(key, "plain", line, 5), Scalar(text, style, line, 7 + len(key))))
        users.append(Mapping(pairs, pairs[0][0].line, 5))
    root = Mapping([(Scalar("users", "plain", 1, 1), Sequence(users, 2, 3))], 1, 1)
    return "\n".join(lines) + "\n", root


def yaml_entries(text, root):
    return users_file.check(config_schema.yaml_document(root, text, "hand.yaml", HAND_MADE,
                                                        users_file.ALL_KEYS, users_file.SECRET_KEYS))


def yaml_report(text, root):
    with self_raises() as caught:
        yaml_entries(text, root)
    return report(caught.error)


class self_raises(object):
    """A tiny assertRaises(ErrorList) usable outside a TestCase."""

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if not isinstance(value, ErrorList):
            raise AssertionError("expected ErrorList, got %r" % (value,))
        self.error = value
        return True


class YAMLTypingTest(unittest.TestCase):
    def test_string_fields_take_the_text_as_written(self):
        cases = [
            ("0123", "plain", "0123"), ("yes", "plain", "yes"), ("1_000", "plain", "1_000"),
            ("1:20", "plain", "1:20"), ("2001-01-01", "plain", "2001-01-01"), ("1e3", "plain", "1e3"),
            (".inf", "plain", ".inf"), ("nULL", "plain", "nULL"), ("null", "double", "null"),
            ("~", "single", "~"), ("", "plain", None), ("~", "plain", None), ("null", "plain", None),
            ("Null", "plain", None), ("NULL", "plain", None), ("x\n", "literal", "x\n"),
            ("", "double", ""), ("", "folded", ""),
        ]
        for text, style, expected in cases:
            with self.subTest(text=text, style=style):
                root = Mapping([(Scalar("users", "plain", 1, 1), Sequence([Mapping([
                    (Scalar("username", "plain", 2, 5), Scalar("u", "plain", 2, 15)),
                    (Scalar("password", "plain", 3, 5), Scalar(text, style, 3, 15)),
                ], 2, 5)], 2, 3))], 1, 1)
                if expected == "":
                    with self.assertRaises(ErrorList):
                        yaml_entries("", root)
                elif expected is None:
                    self.assertIsNone(yaml_entries("", root)[0].password)
                else:
                    self.assertEqual(yaml_entries("", root)[0].password, expected)

    def test_boolean_field(self):
        for word in ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "tRuE", "yEs", "oN"]:
            with self.subTest(word=word):
                text, root = block_document([[("username", "u", "plain"), ("password", "p", "plain"),
                                              ("reset_on_next_run", word, "plain")]])
                self.assertIs(yaml_entries(text, root)[0].reset_on_next_run, True)
        for word in ["false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "fAlSe", "", "~", "null"]:
            with self.subTest(word=word):
                text, root = block_document([[("username", "u", "plain"), ("reset_on_next_run", word, "plain")]])
                self.assertIs(yaml_entries(text, root)[0].reset_on_next_run, False)
        accepted = "true, false, yes, no, on or off, in any case"
        bad = [
            ("1", "plain", '"1"'), ("y", "plain", '"y"'), ("nope", "plain", '"nope"'),
            ("true", "double", None), ("false", "single", None),
        ]
        for word, style, got in bad:
            with self.subTest(word=word, style=style):
                text, root = block_document([[("username", "u", "plain"), ("reset_on_next_run", word, style)]])
                if got is None:
                    message = "expected a boolean (%s, without quotes), got a quoted string" % accepted
                else:
                    message = "expected a boolean (%s), got %s" % (accepted, got)
                written = QUOTES[style] + word + QUOTES[style]
                self.assertEqual(yaml_report(text, root), (
                    "hand.yaml:3:24: users[0].reset_on_next_run: %s\n"
                    "        reset_on_next_run: %s\n"
                    "                           ^\n") % (message, written))

    def test_collections_where_a_string_belongs(self):
        root = Mapping([(Scalar("users", "plain", 1, 1), Sequence([Mapping([
            (Scalar("username", "plain", 2, 5), Sequence([Scalar("a", "plain", 2, 16)], 2, 15)),
            (Scalar("email", "plain", 3, 5), Mapping([], 3, 12)),
        ], 2, 5), Scalar("SECRET", "plain", 4, 5)], 2, 3))], 1, 1)
        text = "users:\n  - username: [a]\n    email: {}\n  - SECRET\n"
        # Only a key and a scalar (or {} or []) on a line are shown; a scalar in a sequence may
        # be a password too.
        self.assertEqual(yaml_report(text, root), (
            "hand.yaml:2:15: users[0].username: expected a string, got a sequence\n"
            "hand.yaml:3:12: users[0].email: expected a string, got a mapping\n"
            "        email: {}\n"
            "               ^\n"
            "hand.yaml:4:5: users[1]: expected a mapping (one user), got a scalar\n"))

    def test_empty_document(self):
        with self.assertRaises(ErrorList) as caught:
            yaml_entries("# nothing\n", None)
        self.assertEqual(report(caught.exception),
                         'hand.yaml: the file is empty; expected a mapping with the key "users"\n')


class NoSecretInExcerptsTest(unittest.TestCase):
    """An error's line is shown only when no password or hash can lie on it."""

    def test_line_of_its_own_is_shown_and_password_lines_are_not(self):
        text, root = block_document([
            [("username", " bob", "double"), ("password", "SECRET-1", "plain"), ("email", "x", "plain")],
            [("username", "ann", "plain"), ("pasword", "SECRET-2", "plain"), ("reset_on_next_rn", "yes", "plain"),
             ("pw", "SECRET-3", "plain"), ("password_hash", "SECRET-4", "plain")],
        ])
        self.assertEqual(yaml_report(text, root), (
            'hand.yaml:2:15: users[0].username: " bob" begins or ends with white space\n'
            '      - username: " bob"\n'
            "                  ^\n"
            'hand.yaml:4:12: users[0].email: "x" does not look like an email address (it needs exactly one @)\n'
            "        email: x\n"
            "               ^\n"
            'hand.yaml:6:5: users[1].pasword: unknown key; did you mean "password"?\n'
            'hand.yaml:7:5: users[1].reset_on_next_rn: unknown key; did you mean "reset_on_next_run"?\n'
            "        reset_on_next_rn: yes\n"
            "        ^\n"
            "hand.yaml:8:5: users[1]: unknown key (not named: it is not close to any key of this file); "
            "expected one of: username, password, password_hash, email, reset_on_next_run, disabled\n"
            + self.hash_error("hand.yaml:9:20: users[1].password_hash: ", "SECRET-4")))

    @staticmethod
    def hash_error(prefix, bad):
        """The report line for a bad hash, as the passwords module words it."""
        try:
            passwords.check_hash(bad)
        except DataError as error:
            return prefix + error.message + "\n"
        raise AssertionError("check_hash accepted %r" % (bad,))

    def test_flow_line_with_a_password_is_not_shown(self):
        text = 'users: [{username: " bob", password: SECRET-1}]\n'
        root = Mapping([(Scalar("users", "plain", 1, 1), Sequence([Mapping([
            (Scalar("username", "plain", 1, 10), Scalar(" bob", "double", 1, 20)),
            (Scalar("password", "plain", 1, 28), Scalar("SECRET-1", "plain", 1, 38)),
        ], 1, 10)], 1, 8))], 1, 1)
        self.assertEqual(yaml_report(text, root),
                         'hand.yaml:1:20: users[0].username: " bob" begins or ends with white space\n')

    def test_multi_line_password(self):
        # The password runs on to the line of the username: not shown.
        text = 'users: [{password: "SECRET-a\n  SECRET-b", username: " bob"}]\n'
        root = Mapping([(Scalar("users", "plain", 1, 1), Sequence([Mapping([
            (Scalar("password", "plain", 1, 10), Scalar("SECRET-a SECRET-b", "double", 1, 20)),
            (Scalar("username", "plain", 2, 15), Scalar(" bob", "double", 2, 25)),
        ], 1, 10)], 1, 8))], 1, 1)
        self.assertEqual(yaml_report(text, root),
                         'hand.yaml:2:25: users[0].username: " bob" begins or ends with white space\n')
        # The password ends before the next line starts: that line is shown.
        text = 'users:\n  - password: "SECRET-a\n      SECRET-b"\n    username: " bob"\n'
        root = Mapping([(Scalar("users", "plain", 1, 1), Sequence([Mapping([
            (Scalar("password", "plain", 2, 5), Scalar("SECRET-a SECRET-b", "double", 2, 15)),
            (Scalar("username", "plain", 4, 5), Scalar(" bob", "double", 4, 15)),
        ], 2, 5)], 2, 3))], 1, 1)
        self.assertEqual(yaml_report(text, root), (
            'hand.yaml:4:15: users[0].username: " bob" begins or ends with white space\n'
            '        username: " bob"\n'
            "                  ^\n"))

    def test_secret_deep_inside_a_value_hides_its_line(self):
        text = "users:\n  - username: {a: {b: {password: SECRET}}}\n"
        deep = Mapping([(Scalar("b", "plain", 2, 20), Mapping([
            (Scalar("password", "plain", 2, 24), Scalar("SECRET", "plain", 2, 34))], 2, 23))], 2, 19)
        root = Mapping([(Scalar("users", "plain", 1, 1), Sequence([Mapping([
            (Scalar("username", "plain", 2, 5), Mapping([(Scalar("a", "plain", 2, 16), deep)], 2, 15)),
        ], 2, 5)], 2, 3))], 1, 1)
        self.assertEqual(yaml_report(text, root),
                         "hand.yaml:2:15: users[0].username: expected a string, got a mapping\n")

    def test_only_lines_of_a_known_key_and_its_value_are_shown(self):
        text = "users:\n  - username: a # SECRET\n    password: SECRET\n    # SECRET\n"
        _text, root = block_document([[("username", "a", "plain"), ("password", "SECRET", "plain")]])
        self.assertEqual(config_schema.shown_lines(root, text, HAND_MADE, users_file.ALL_KEYS,
                                                   users_file.SECRET_KEYS),
                         {1: "users:", 2: "  - username: a"})

    def test_unprintable_line_is_not_shown(self):
        text, root = block_document([[("username", "a\x1b[2Jb", "double")]])
        self.assertEqual(yaml_report(text, root),
                         'hand.yaml:2:15: users[0].username: "a\\x1b[2Jb" contains a control character\n')


class YAMLSyntaxErrorTest(unittest.TestCase):
    def test_syntax_errors_have_a_place_and_never_the_line(self):
        documents = [
            'users:\n  - username: a\n    password: "SECRET-abc\n',
            "users:\n  - username: a\n    password: 'SECRET-abc\n",
            'users:\n  - username: a\n    password: "SECRET\\qabc"\n',
            "users:\n  - username: a\n    password: SECRET: abc\n",
            "users:\n  - username: a\n    password: &x SECRET-abc\n",
            "users:\n  - username: a\n\tpassword: SECRET-abc\n",
            "users:\n  - {username: a, password: SECRET-abc\n",
        ]
        for document in documents:
            with self.subTest(document=document):
                with self.assertRaises(ErrorList) as caught:
                    users_file.parse(document.encode("utf-8"), "s.yaml")
                (error,) = caught.exception.errors
                self.assertIsInstance(error, DataError)
                self.assertEqual(error.path, "s.yaml")
                self.assertIsNotNone(error.line)
                self.assertIsNone(error.excerpt)
                self.assertNotIn("SECRET", report(caught.exception))


# --- format, reading, and the option ----------------------------------------

class FormatTest(unittest.TestCase):
    def test_format_from_extension_then_content(self):
        cases = [
            ("u.json", b'{"users": []}', None), ("U.JSON", b'{"users": []}', None),
            ("u", b' \n\t{"users": []}', None), ("<stdin>", b'[]', 'expected a mapping'),
            ("u.txt", b'{"users": [', "invalid JSON"),
        ]
        for source, data, error in cases:
            with self.subTest(source=source):
                if error is None:
                    self.assertEqual(users_file.parse(data, source), [])
                else:
                    with self.assertRaises(ErrorList) as caught:
                        users_file.parse(data, source)
                    self.assertIn(error, str(caught.exception))

    def test_forced_format_wins(self):
        with self.assertRaises(ErrorList) as caught:
            users_file.parse(b"users: []\n", "u.yaml", format="json")
        self.assertEqual(str(caught.exception), "u.yaml:1:1: invalid JSON: Expecting value")
        self.assertEqual(users_file.parse(b'{"users": []}', "u.yaml", format="json"), [])
        with self.assertRaises(ValueError):
            users_file.parse(b"{}", "u.json", format="toml")

    def test_content_that_is_not_json_is_read_as_yaml(self):
        self.assertEqual(users_file.parse(b"# users\nusers: []\n", "<stdin>"), [])


class QuickCheckTest(unittest.TestCase):
    """The quick check accepts only what the full check accepts, with the same entries (less
    their places), for JSON and YAML alike: tables, then seeded random documents."""

    JSON_DOCUMENTS = [
        '{"users": []}',
        '{"users": [{"username": "a", "password": "secret-1", "email": "a@b.example"}]}',
        '{"users": [{"username": "a", "password_hash": null, "reset_on_next_run": null}]}',
        '{"users": [{"username": "a:b", "password": "x:y", "email": "a@b.c", "reset_on_next_run": true}]}',
        '{"users": [{"username": "\u00e9l\u00e8ve", "password": "p\u00e4ss w\u00f6rd", "email": "\u00fc@\u00e4.de"}]}',
        # duplicates, also disguised by an escaped colon
        '{"users": [{"username": "a", "password": "x:y", "password": "q"}]}',
        '{"users": [{"username": "a", "password": "x", "password": "q\u003a"}]}',
        '{"users": [{"username": "a"}], "users": []}',
        '{"users": [{"username": "a"}, {"username": "a"}]}',
        # every kind of invalid value
        '{"users": [{"username": " a"}]}',
        '{"users": [{"username": ""}]}',
        '{"users": [{"username": "a\u0007"}]}',
        '{"users": [{"username": "a", "password": ""}]}',
        '{"users": [{"username": "a", "password": "\ud800"}]}',
        '{"users": [{"username": "a", "password": "x", "password_hash": "y"}]}',
        '{"users": [{"username": "a", "reset_on_next_run": true}]}',
        '{"users": [{"username": "a", "reset_on_next_run": 1}]}',
        '{"users": [{"username": 1}]}',
        '{"users": [{"username": "a", "pasword": "x"}]}',
        '{"users": [{"username": "a"}], "extra": 1}',
        '{"users": {}}',
        '{"users": ["a"]}',
        '[]',
        '{"users": [{"username": "a", "email": "a@b"}]}',
        '{"users": [{"username": "a", "email": "a@b.c", "password": "tab\\there"}]}',
        '{"users": [{"username": "a", "email": "a@@b.c"}]}',
        '{"users": [{"username": "a", "email": "a@b.c@d.e"}, {"username": "b", "email": "x.y"}]}',
        '{"users": [{"username": "a", "email": "a@b..c"}]}',
        '{"users": [{"username": "a", "email": "a..b@c.d"}]}',
        '{"users": [{"username": "a", "email": "@b.c"}]}',
        '{"users": [{"username": "a", "email": "a@.c"}]}',
        '{"users": [{"username": "a", "email": "a@b.c."}]}',
        '{"users": [{"username": "a", "email": "a b@c.d"}]}',
        '{"users": [{"username": "a", "email": "a@b.c\u00a0"}]}',
        '{"users": [{"username": "a", "password_hash": "not a hash"}]}',
        # the edges of the quick check's shortcuts: an entry that is not a mapping, no username
        '{"users": [1]}',
        '{"users": [null]}',
        '{"users": [{"username": "a"}, []]}',
        '{"users": [{"username": "a"}, "username"]}',
        '{"users": [{}]}',
        '{"users": [{"username": "a"}, {"password": "x"}]}',
        # an empty username first, last, or alone in a list
        '{"users": [{"username": ""}, {"username": "a"}]}',
        '{"users": [{"username": "a"}, {"username": ""}]}',
        '{"users": [{"username": "a"}, {"username": "b "}, {"username": "c"}]}',
        # a value other than a string where one belongs: truthy, or falsy ("", 0, false, [])
        '{"users": [{"username": 0}]}',
        '{"users": [{"username": false}]}',
        '{"users": [{"username": ["a"]}]}',
        '{"users": [{"username": "a", "password": 5}]}',
        '{"users": [{"username": "a", "password": 0}]}',
        '{"users": [{"username": "a", "password": false}]}',
        '{"users": [{"username": "a", "password": []}]}',
        '{"users": [{"username": "a", "password": {"x": 1}}]}',
        '{"users": [{"username": "a", "email": 7}]}',
        '{"users": [{"username": "a", "email": ""}]}',
        '{"users": [{"username": "a", "email": "a@b.c"}, {"username": "b", "email": 0}]}',
        '{"users": [{"username": "a", "password_hash": 5}]}',
        '{"users": [{"username": "a", "password_hash": ""}]}',
        '{"users": [{"username": "a", "password_hash": true}]}',
        '{"users": [{"username": "a", "password_hash": {"$scrypt$": 1}}]}',
        '{"users": [{"username": "a", "password": "x", "disabled": "yes"}]}',
        '{"users": [{"username": "a", "password": "x", "reset_on_next_run": 0}]}',
        # unprintable characters: ASCII (DEL, a tab in an email) and not (C1, a line separator)
        '{"users": [{"username": "a\u007f"}]}',
        '{"users": [{"username": "a", "email": "a\tb@c.d"}]}',
        '{"users": [{"username": "a", "email": "a\u007f@c.d"}]}',
        '{"users": [{"username": "a", "password": "x\u0085y"}]}',
        '{"users": [{"username": "a\u2028b", "password": "x"}]}',
        '{"users": [{"username": "\u00e9", "password": "x\u007f"}]}',
    ]

    YAML_DOCUMENTS = [
        "users: []\n",
        "users:\n  - username: a\n    password: secret-1\n    email: a@b.example\n",
        "users:\r\n  - username: a\r\n    password: \"x:y\"  # quoted\r\n    reset_on_next_run: true\r\n",
        "users:\n    -   username: 'a b'\n        password_hash: null\n",
        "users:\n  - {username: a, password: \"p\\u00e4ss w\\u00f6rd\", disabled: false}\n",
        "users:\n- username: \u00e9l\u00e8ve\n  password: pw\n  email: \u00fc@\u00e4.de\n  disabled: true\n",
        # typed by the schema, not by YAML's core schema: the full check's business
        "users:\n  - username: a\n    password: 0123\n",
        "users:\n  - username: a\n    password: true\n",
        "users:\n  - username: 1.5\n    password: x\n",
        "users:\n  - username: a\n    password: x\n    reset_on_next_run: yes\n",
        "users:\n  - username: a\n    password: x\n    disabled: Off\n",
        # refused by both
        "users:\n  - username: a\n    reset_on_next_run: \"true\"\n",
        "users:\n  - username: a\n    password: x\n    password: y\n",
        "users:\n  - &a username: a\n",
        "users:\n  - username: a\n  - username: a\n",
        "users:\n  - username: a\n    password: |\n      two\n      lines\n",
        "users:\n  - username: a\n    password: \"\"\n",
        "users:\n  - username: a\n    password:\n",
        "users:\n  - username: a\n    pasword: x\n",
        "users:\n  - username: a\n  password: x\n",
        "users:\n  - username: \" a\"\n",
        "users:\n  - username: a\n    email: a@b\n",
        "users:\n  - username: a\n    password_hash: not a hash\n",
        "users:\n  - username: a\n    password: x\n    password_hash: y\n",
        "users: {}\n",
        "",
        "- a\n",
        # the edges of the quick check's shortcuts
        "users:\n  - 1\n",
        "users:\n  - username: a\n  - []\n",
        "users:\n  - username: a\n    password: 5\n",
        "users:\n  - username: a\n    email: 7\n",
        "users:\n  - username: a\n    password: false\n",
        "users:\n  - username: 0\n",
        "users:\n  - username: a\n    password_hash: 5\n",
        "users:\n  - username: \"a\\x7f\"\n",
        "users:\n  - username: a\n    email: \"a\\tb@c.d\"\n",
        "users:\n  - username: \"\u00e9\\u0085\"\n",
    ]

    def full_check(self, text, format):
        try:
            entries = users_file.full_check(text, "u." + format, format)
        except ErrorList:
            return None
        return [entry._replace(line=None, column=None) for entry in entries]

    def assert_agree(self, text, format):
        """The quick check's entries (None: it did not accept); fails if it accepts otherwise than the full check."""
        quick = users_file.quick_check(text, format)
        if quick is not None:
            self.assertEqual(quick, self.full_check(text, format))
            self.assertEqual([type(entry) for entry in quick], [users_file.UserEntry] * len(quick))
        return quick

    def test_tables(self):
        for format, documents, plainly_valid in (("json", self.JSON_DOCUMENTS, 4), ("yaml", self.YAML_DOCUMENTS, 5)):
            accepted = 0
            for text in documents:
                with self.subTest(format=format, document=text):
                    accepted += self.assert_agree(text, format) is not None
            # the plainly valid ones; explicit nulls and typing by the schema take the full check
            self.assertEqual(accepted, plainly_valid, format)

    def test_seeded_random_documents(self):
        import random

        rng = random.Random(2026)
        good_hash = passwords.hash_password("pw", passwords.Policy("pbkdf2-sha256", 1, 8, 1, 1000))
        strings = ["a", "bob", "x:y", "a b", " a", "a ", "", "0123", "yes", "true", "null", "1.5",
                   "\u00e9l\u00e8ve", "tab\there", "bell\u0007", "a@b.example", "a@b", "@b.c", "a@@b.c",
                   "a..b@c.d", "a@b.c.", "x\\u003ay", good_hash, good_hash[:-1] + "B", "!" + good_hash,
                   "p" * 1100, "\u00a0", "#c", "- d", "{e}"]
        others = [True, False, None, 0, 7, 1.5, [], {}]
        keys = list(users_file.ENTRY_KEYS) + ["pasword", "extra"]
        counts = {"json": 0, "yaml": 0}
        for trial in range(300):
            users = []
            for _ in range(rng.randint(0, 4)):
                entry = {"username": rng.choice(["alice", "bob", "carol", "dave"] + strings[:3])}
                for key in rng.sample(keys, rng.randint(0, 3)):
                    if key in ("reset_on_next_run", "disabled"):
                        entry[key] = rng.choice([True, False, True, False, None, "yes", "true", 1])
                    elif key == "password_hash":
                        entry[key] = rng.choice([good_hash, good_hash, good_hash[:-1] + "B", None])
                    elif key == "email":
                        entry[key] = rng.choice(["a@b.example", "x.y@z.example", "a@b", "a b@c.de", None])
                    else:
                        entry[key] = rng.choice(strings + others) if rng.random() < 0.4 else "pw-%d" % rng.randrange(99)
                users.append(entry)
            document = {"users": users}
            as_json = json.dumps(document, ensure_ascii=rng.random() < 0.5)
            if users and rng.random() < 0.1:
                as_json = as_json.replace('"username": ', '"username": "dup", "username": ', 1)
            as_yaml = yaml_text(document, rng)
            for format, text in (("json", as_json), ("yaml", as_yaml)):
                with self.subTest(trial=trial, format=format, document=text):
                    counts[format] += self.assert_agree(text, format) is not None
        self.assertGreater(min(counts.values()), 30, counts)

    def test_yaml_entries_are_checked_as_the_columns_of_a_table(self):
        from unittest import mock

        from tests.test_yaml_suite import shown, untabled

        text = "users:\n  - username: a\n    password: x\n  - username: b\n    password: y\n"
        with mock.patch.object(miniyaml, "loads", wraps=miniyaml.loads) as loads:
            self.assertEqual([entry.username for entry in users_file.quick_check(text, "yaml")], ["a", "b"])
        loads.assert_called_once_with(text, tables=True)
        # A table and its rows get the same judgement: the entries, or None (the full check).
        import random

        rng = random.Random(1130)
        documents = self.YAML_DOCUMENTS + [
            yaml_text({"users": [dict(entry, username="u%d" % number) for number in range(rng.randint(1, 4))]}, rng)
            for entry in ({"password": "pw"}, {"password": "pw", "reset_on_next_run": True},
                          {"password": "pw", "reset_on_next_run": None}, {"password_hash": "x"},
                          {"email": "a@b.example", "disabled": False}, {"password": 5}, {"password": ""},
                          {"password": None}, {"extra": "x"}, {"disabled": "no"}) for _ in range(10)]
        tables = 0
        for text in documents:
            try:
                data = miniyaml.loads(text, tables=True)
            except miniyaml.YAMLError:
                continue
            with self.subTest(text=text):
                tables += "Table(" in shown(data)
                self.assertEqual(users_file._entries(data, None), users_file._entries(untabled(data), None))
        self.assertGreater(tables, 60)

    def test_any_failure_of_the_yaml_loader_leaves_the_judgement_to_the_full_check(self):
        from unittest import mock

        text = "users:\n  - username: a\n    password: x\n"
        with mock.patch.object(miniyaml, "loads", side_effect=IndexError("a bug")):
            self.assertIsNone(users_file.quick_check(text, "yaml"))
            self.assertEqual([entry.username for entry in users_file.parse(text.encode("utf-8"), "u.yaml")], ["a"])

    def test_entries_that_give_both_secrets_or_a_reset_without_one(self):
        # The quick check tells these by counts over the columns; the full check refuses both kinds.
        good_hash = passwords.hash_password("pw", passwords.Policy("pbkdf2-sha256", 1, 8, 1, 1000))
        pw, hashed, neither = {"password": "pw-1"}, {"password_hash": good_hash}, {}
        both = {"password": "pw-2", "password_hash": good_hash}
        reset, kept = {"reset_on_next_run": True}, {"reset_on_next_run": False}
        # (label, the entries' secrets and resets, accepted)
        cases = [
            ("passwords and hashes", [pw, hashed, pw, hashed], True),
            ("hashes only", [hashed, hashed], True),
            ("one without either", [pw, hashed, neither], True),
            ("hashes and one without either", [hashed, neither, hashed], True),
            ("passwords and one without either", [neither, pw], True),
            ("both in one of them", [pw, hashed, both], False),
            ("both in the first", [both, pw, hashed], False),
            ("both, no hash elsewhere", [pw, pw, both], False),
            ("both, no password elsewhere", [hashed, both], False),
            ("both and one without either", [pw, both, neither, hashed], False),
            ("resets with a secret", [dict(pw, **reset), dict(hashed, **reset), neither], True),
            ("a reset without either, both columns given", [pw, hashed, dict(neither, **reset)], False),
            ("a reset without either, hashes only", [hashed, dict(neither, **reset)], False),
            ("a reset without either, passwords only", [dict(pw, **reset), dict(neither, **reset)], False),
            ("a reset without either, alone", [dict(neither, **reset)], False),
            ("reset false without either", [dict(hashed, **reset), dict(neither, **kept), pw], True),
        ]
        for label, secrets, accepted in cases:
            users = [dict(secret, username="u%d" % n) for n, secret in enumerate(secrets)]
            text = json.dumps({"users": users})
            for format, document in (("json", text), ("yaml", yaml_text({"users": users}, None))):
                with self.subTest(label, format=format):
                    self.assertEqual(self.assert_agree(document, format) is not None, accepted)
                    self.assertEqual(self.full_check(document, format) is not None, accepted)

    def test_a_large_valid_file_takes_the_quick_check(self):
        users = ['{"username": "u%d", "password": "pw-%d-long", "email": "u%d@example.com"}' % (n, n, n)
                 for n in range(500)]
        text = '{"users": [%s]}' % ", ".join(users)
        self.assertEqual(len(self.assert_agree(text, "json")), 500)
        self.assertEqual(len(self.assert_agree(yaml_text(json.loads(text), None), "yaml")), 500)


def yaml_scalar(value, rng):
    """``value`` written as a YAML scalar: plain where it can be, else quoted in a random style."""
    if value is None:
        return rng.choice(["~", "null", ""]) if rng else "null"
    if value is True or value is False:
        return rng.choice([str(value).lower(), str(value)]) if rng else str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, dict)):
        return "[]" if isinstance(value, list) else "{}"
    plain = value and value[0] not in " -#{[!&*'\"@%|>?:,`]}" and value[-1] != " " and ": " not in value \
        and " #" not in value and value.isprintable() and "\\" not in value and ":" not in value[-1:]
    if plain and (rng is None or rng.random() < 0.6):
        return value
    if rng is not None and value.isprintable() and rng.random() < 0.3:
        return "'%s'" % value.replace("'", "''")
    return json.dumps(value)


def yaml_text(document, rng):
    """A YAML users file holding ``document``: block or flow entries, two or four spaces, LF or CRLF, comments."""
    indent = rng.choice([2, 4]) if rng else 2
    lines = ["users:" if document["users"] else "users: []"]
    for entry in document["users"]:
        pairs = ["%s: %s" % (key, yaml_scalar(value, rng)) for key, value in entry.items()]
        if rng is not None and rng.random() < 0.2:
            lines.append("%s- {%s}" % (" " * indent, ", ".join(pair.rstrip() for pair in pairs)))
            continue
        for number, pair in enumerate(pairs or ["{}"]):
            prefix = " " * indent + ("- " if number == 0 else "  ")
            comment = "  # note" if rng is not None and rng.random() < 0.1 else ""
            lines.append((prefix + pair).rstrip() + comment)
    newline = "\r\n" if rng is not None and rng.random() < 0.2 else "\n"
    return newline.join(lines) + newline


class BytesStream(object):
    """A text stream over bytes, like sys.stdin, with the bytes in ``buffer``."""

    def __init__(self, data):
        self.buffer = io.BytesIO(data)

    def read(self):
        raise AssertionError("the text layer must not be read")


class ReadTest(TemporaryDirectoryTestCase):
    DOCUMENT = b'{"users": [{"username": "a", "password": "SECRET-1"}]}'

    def test_read_a_path(self):
        path = self.write("u.json", self.DOCUMENT)
        warnings = []
        loaded = users_file.read(path, warn=warnings.append)
        self.assertEqual(loaded.source, path)
        self.assertEqual([entry.username for entry in loaded.entries], ["a"])
        self.assertIsNone(loaded.place_of, "JSON entries have no places")
        self.assertEqual(warnings, [])

    def test_yaml_entries_of_the_quick_check_find_their_places_on_demand(self):
        text = "users:\n  - username: a\n    password: SECRET-1\n\n  -   username: b\n      email: b@c.de\n"
        loaded = users_file.read(self.write("u.yaml", text.encode("utf-8")))
        self.assertEqual([(entry.username, entry.line) for entry in loaded.entries], [("a", None), ("b", None)])
        self.assertEqual([loaded.place_of(index) for index in (1, 0)], [(5, 7), (2, 5)])

    def test_readable_by_others_warns_once(self):
        for mode in (0o640, 0o604, 0o644, 0o666):
            with self.subTest(mode=oct(mode)):
                path = self.write("u s.json", self.DOCUMENT, mode)
                warnings = []
                users_file.read(path, warn=warnings.append)
                self.assertEqual(warnings, ["%s can be read by group or others; it may hold passwords: "
                                            "run chmod 600 '%s'" % (path, path)])
        for mode in (0o600, 0o400, 0o620, 0o602):
            with self.subTest(mode=oct(mode)):
                warnings = []
                users_file.read(self.write("u.json", self.DOCUMENT, mode), warn=warnings.append)
                self.assertEqual(warnings, [])

    def test_stdin_bytes(self):
        loaded = users_file.read("-", stdin=BytesStream(self.DOCUMENT), warn=self.fail)
        self.assertEqual(loaded.source, "<stdin>")
        self.assertEqual([entry.username for entry in loaded.entries], ["a"])
        with self.assertRaises(ErrorList) as caught:
            users_file.read("-", stdin=BytesStream(b'{"users": [{"username": "\xe9"}]}'))
        self.assertEqual(str(caught.exception), "<stdin>:1:26: invalid UTF-8; a users file is UTF-8 text")

    def test_stdin_text(self):
        loaded = users_file.read("-", stdin=io.StringIO(self.DOCUMENT.decode("utf-8")))
        self.assertEqual([entry.username for entry in loaded.entries], ["a"])
        with self.assertRaises(ErrorList) as caught:
            users_file.read("-", stdin=io.StringIO('{"users": [{"username": "\udce9"}]}'))
        self.assertEqual(str(caught.exception), "<stdin>:1:26: invalid UTF-8; a users file is UTF-8 text")
        with self.assertRaises(NoInputError):
            users_file.read("-")

    def test_unreadable_paths(self):
        directory = os.path.join(self.tmp, "d.yaml")
        os.mkdir(directory)
        cases = [
            (os.path.join(self.tmp, "missing.yaml"), "cannot read the users file: No such file or directory"),
            (directory, "cannot read the users file: it is a directory"),
            (os.path.join(self.tmp, "missing", "u.yaml"), "cannot read the users file: No such file or directory"),
        ]
        locked = self.write("locked.yaml", b"", 0o000)
        cases.append((locked, "cannot read the users file: Permission denied"))
        for path, message in cases:
            with self.subTest(path=path):
                with self.assertRaises(NoInputError) as caught, without_root_privileges(self.tmp, locked):
                    users_file.read(path, warn=self.fail)
                self.assertEqual(caught.exception.message, message)
                self.assertEqual(caught.exception.path, path)
                self.assertEqual(caught.exception.exit_code, 66)

    def test_bad_bytes_have_a_place(self):
        cases = [
            (b'{"users": [\n  {"username": "a\x00"}]}', "u.json:2:18: NUL byte; a users file is UTF-8 text"),
            (b'\xef\xbb\xbf{"a\x00": 1}', "u.json:1:4: NUL byte; a users file is UTF-8 text"),
            (b'{"u\x00\xff": 1}', "u.json:1:4: NUL byte; a users file is UTF-8 text"),
            (b'{"u\xff\x00": 1}', "u.json:1:4: invalid UTF-8; a users file is UTF-8 text"),
            (b'{"\xc3\xa9\xc3": 1}', "u.json:1:4: invalid UTF-8; a users file is UTF-8 text"),
            (b'\n\n{"\xed\xa0\x80": 1}', "u.json:3:3: invalid UTF-8; a users file is UTF-8 text"),
            (b'\xff\xfeu\x00', "u.json:1:1: invalid UTF-8; a users file is UTF-8 text"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                with self.assertRaises(ErrorList) as caught:
                    users_file.read(self.write("u.json", data), warn=self.fail)
                self.assertEqual(str(caught.exception), message.replace("u.json", os.path.join(self.tmp, "u.json")))


if __name__ == "__main__":
    unittest.main()


class SameJudgementAsSyncTest(TemporaryDirectoryTestCase):
    """check-config and --dry-run refuse every password that sync-users could not hash (issue 9.7)."""

    def test_passwords_hashing_refuses_are_refused_by_the_check(self):
        folded = "users:\n  - username: bob\n    password: " + "\n      ".join(["abcdefgh"] * 460) + "\n"
        cases = [
            ('{"users": [{"username": "bob", "password": "%s"}]}' % ("x" * 5000), "u.json", None),
            ('{"users": [{"username": "bob", "password": "%s"}]}' % ("\u00e9" * 2049), "u.json", None),
            (folded, "u.yaml", 3),
            ("users:\n  - username: bob\n    password: '%s'\n" % ("\U0001F600" * 1025), "u.yaml", 3),
        ]
        for text, name, line in cases:
            with self.subTest(name=name, size=len(text)):
                with self.assertRaises(ErrorList) as caught:
                    users_file.parse(text.encode("utf-8"), name)
                (error,) = caught.exception.errors
                self.assertEqual(error.message, "users[0].password: is longer than 4096 bytes in UTF-8")
                self.assertEqual(error.line, line)
                path = self.write(name, text)
                for args in (["check-config", path], ["--db", self.path("p.db"), "sync-users", "--dry-run", path],
                             ["--db", self.path("p.db"), "sync-users", path]):
                    result = run_cli(args, environ={"PROSPECTOR_HASH_COST": "low"})
                    self.assertEqual(result.code, 65, (args, result.stderr))
        for password in ("x" * 4096, "\U0001F600" * 1024, "\u00e9" * 2048):
            with self.subTest(size=len(password)):
                text = '{"users": [{"username": "bob", "password": "%s"}]}' % password
                self.assertEqual(len(users_file.parse(text.encode("utf-8"), "u.json")), 1)

    def test_the_rule_is_the_passwords_module_own(self):
        self.assertEqual(passwords.password_problem("x" * 4096), "")
        self.assertEqual(passwords.password_problem("x" * 4097), "is longer than 4096 bytes in UTF-8")
        self.assertEqual(passwords.password_problem(""), "is empty")


class PasswordLimitTest(unittest.TestCase):
    def test_the_limit_is_the_one_of_the_passwords_module(self):
        self.assertEqual(users_file.MAX_PASSWORD_BYTES, passwords.MAX_PASSWORD_BYTES)


class MessagesSayWhatToDoTest(unittest.TestCase):
    """Issue 10.8: the parser's messages say what was expected, word for word."""

    CASES = [
        ("u.yaml", "users:\n  - username: 'bob'\n      password: x\n",
         "u.yaml:3:7: unexpected indentation: this line is indented 6 spaces; expected 4, as the keys "
         "of the mapping on line 2 (or fewer, to end that mapping)\n"),
        ("u.yaml", "users:\n  - username: bob\n      password: x\n",
         "u.yaml:3:7: unexpected indentation: this line is indented 6 spaces, more than the key on "
         "line 2 (4 spaces), so it continues that key's value, where ': ' is not allowed; indent it "
         "4 spaces to make it a key of the same mapping, or quote the value\n"),
        ("u.yaml", "users:\n  - username: bob\n  email: bob@example.com\n",
         "u.yaml:3:3: unexpected indentation: this line is indented 2 spaces; expected 0, as the keys "
         "of the mapping on line 1 (or fewer, to end that mapping)\n"),
        ("u.yaml", "users:\n    - username: bob\n    - {username: ann}\n      - username: cy\n",
         "u.yaml:4:7: unexpected indentation: this line is indented 6 spaces; expected 4, as the "
         '"- " entries of the sequence on line 2 (or fewer, to end that sequence)\n'),
        ("u.yaml", "users:\n  - username: bob\nemail: bob@example.com\n",
         'u.yaml:3:1: email: unknown key here; expected only "users" (it looks mis-indented: '
         '"email" is a key of another level)\n'
         "    email: bob@example.com\n"
         "    ^\n"),
        ("u.yaml", "users:\n  - username: bob\n    users: []\n",
         "u.yaml:3:5: users[0].users: unknown key here; expected one of: username, password, "
         "password_hash, email, reset_on_next_run, disabled (it looks mis-indented: \"users\" is a "
         "key of another level)\n"
         "        users: []\n"
         "        ^\n"),
        ("u.json", '{"users": [{"username": "bob",}]}',
         "u.json:1:30: invalid JSON: trailing comma (JSON allows no comma before }); remove it\n"),
        ("u.json", '{"users": [{"username": "bob"},\n ]}',
         "u.json:1:31: invalid JSON: trailing comma (JSON allows no comma before ]); remove it\n"),
        ("u", '{"users": [{"username": "bob"}\n,]}',
         "u:2:1: invalid JSON: trailing comma (JSON allows no comma before ]); remove it (read as JSON "
         "because the content starts with {; use --input-format yaml to read it as YAML)\n"),
        ("u.json", '{"users": [{"username": "bob"}], "email": "a@b.co"}',
         'u.json: email: unknown key here; expected only "users" ("email" is a key of another level)\n'),
    ]

    def test_messages(self):
        for name, text, expected in self.CASES:
            with self.subTest(text=text):
                with self.assertRaises(ErrorList) as caught:
                    users_file.parse(text.encode("utf-8"), name)
                self.assertEqual(report(caught.exception), expected)
