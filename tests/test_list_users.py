"""Tests for the list-users command."""

import hashlib
import json
import os
import sqlite3
from unittest import mock

from prospector_scheduler import passwords, store, users_table
from tests import support

ENV = {"PROSPECTOR_HASH_COST": "low"}
SECRET = "pw-List-users-1"


def fallback_warning():
    """What stderr holds when the policy is worked out: nothing, or the one no-scrypt warning."""
    if passwords.scrypt_unavailable_reason() is None:
        return ""
    return "prospector-scheduler: warning: %s: passwords are hashed with PBKDF2-HMAC-SHA256 instead\n" % (
        passwords.scrypt_unavailable_reason()
    )


class ListUsersTestCase(support.TemporaryDirectoryTestCase):
    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("prospector.db")
        low = passwords.policy_from_environ(ENV)
        self.current = passwords.hash_password(SECRET, low)
        self.weak = passwords.hash_password(SECRET, low._replace(scheme="pbkdf2-sha256", pbkdf2_rounds=10))
        self.hashes = (self.current, self.weak, "$2b$12$notourformat")

    def fill(self):
        with store.open_database(self.db) as database:
            with database.write_transaction():
                database.add_users(
                    [
                        ("carol", None, self.hashes[2]),
                        ("alice", "alice@example.com", self.hashes[0]),
                        ("bob", "bob@example.com", self.hashes[1]),
                    ],
                    "2024-05-01T02:00:00Z",
                )
                database.set_password_hashes([("alice", self.hashes[0])], "2024-05-02T03:04:05Z")

    def run_list(self, *args):
        result = support.run_cli(["--db", self.db] + list(args), environ=ENV)
        for secret in (SECRET,) + self.hashes:
            self.assertNotIn(secret, result.stdout + result.stderr)
        return result

    def db_bytes(self):
        with open(self.db, "rb") as handle:
            return handle.read()

class ListUsersTest(ListUsersTestCase):
    def test_table(self):
        self.fill()
        before = self.db_bytes()
        scheme = passwords.scheme_of(self.current)
        width = max(len(scheme), len("pbkdf2-sha256"))
        result = self.run_list("list-users")
        self.assertEqual(result.code, 0)
        self.assertEqual(result.stderr, "", "list-users makes and checks no hash: no fallback warning")
        self.assertEqual(
            result.stdout.splitlines(),
            [
                "USERNAME  EMAIL              CREATED               UPDATED               DISABLED  %-*s  NEEDS REHASH" % (width, "SCHEME"),
                "alice     alice@example.com  2024-05-01T02:00:00Z  2024-05-02T03:04:05Z  -         %-*s  no" % (width, scheme),
                "bob       bob@example.com    2024-05-01T02:00:00Z  2024-05-01T02:00:00Z  -         %-*s  yes" % (width, "pbkdf2-sha256"),
                "carol     -                  2024-05-01T02:00:00Z  2024-05-01T02:00:00Z  -         %-*s  yes" % (width, "unknown"),
            ],
        )
        self.assertEqual(self.db_bytes(), before, "list-users never writes")

    def test_no_fallback_warning_without_scrypt(self):
        # Issue 10.5: list-users neither makes nor checks a hash.
        self.fill()
        with mock.patch.object(hashlib, "scrypt", None, create=True):
            result = self.run_list("list-users")
        self.assertEqual((result.code, result.stderr), (0, ""))

    def test_json_and_quiet(self):
        self.fill()
        for options in ([], ["-q"]):
            with self.subTest(options=options):
                result = self.run_list(*(options + ["list-users", "--format", "json"]))
                self.assertEqual(result.code, 0)
                users = json.loads(result.stdout)["users"]
                self.assertEqual([u["username"] for u in users], ["alice", "bob", "carol"])
                self.assertEqual(
                    users[1],
                    {
                        "username": "bob",
                        "email": "bob@example.com",
                        "created_at": "2024-05-01T02:00:00Z",
                        "updated_at": "2024-05-01T02:00:00Z",
                        "disabled_at": None,
                        "hash_scheme": "pbkdf2-sha256",
                        "needs_rehash": True,
                    },
                )
                self.assertEqual(users[0]["needs_rehash"], False)
                self.assertEqual(users[2]["email"], None)
        self.assertEqual(self.run_list("-q", "list-users").stdout.count("\n"), 4, "-q keeps the table")

    def test_empty_database(self):
        store.open_database(self.db).close()
        self.assertEqual(self.run_list("list-users").stdout.split(), "USERNAME EMAIL CREATED UPDATED DISABLED SCHEME NEEDS REHASH".split())
        self.assertEqual(json.loads(self.run_list("list-users", "--format", "json").stdout), {"users": []})
        open(self.db, "wb").close()
        self.assertEqual(json.loads(self.run_list("list-users", "--format", "json").stdout), {"users": []})
        self.assertEqual(self.db_bytes(), b"", "an empty file is not given a schema")

    def test_missing_or_newer_database(self):
        result = self.run_list("list-users")
        self.assertEqual(result.code, 73)
        self.assertEqual(result.stderr, "prospector-scheduler: error: there is no database at %s\n" % self.db)
        self.assertFalse(os.path.exists(self.db))
        self.fill()
        connection = sqlite3.connect(self.db)
        connection.execute("PRAGMA user_version = 99")
        connection.close()
        result = self.run_list("list-users")
        self.assertEqual(result.code, 73)
        self.assertIn("has schema version 99, newer than", result.stderr)


class DisabledUsersTest(ListUsersTestCase):
    def fill_states(self):
        self.fill()
        with store.open_database(self.db) as database:
            with database.write_transaction():
                database.disable_users(["bob"], "2024-06-01T00:00:00Z")
                database.add_users([users_table.NewUser("dora\x1b[2J", "d\u2028@example.com", users_table.DISABLED_HASH, None,
                                                  "2024-06-02T00:00:00Z")], "2024-06-02T00:00:00Z")

    def test_state_column_filters_and_escapes(self):
        self.fill_states()
        before = self.db_bytes()
        result = self.run_list("list-users")
        self.assertEqual(result.code, 0, result.stderr)
        lines = [line.split() for line in result.stdout.splitlines()]
        self.assertEqual(lines[0], "USERNAME EMAIL CREATED UPDATED DISABLED SCHEME NEEDS REHASH".split())
        self.assertEqual([line[0] for line in lines[1:]], ["alice", "bob", "carol", "dora\\x1b[2J"])
        self.assertEqual(lines[2][4:], ["2024-06-01T00:00:00Z", "pbkdf2-sha256", "yes"], "the kept hash's scheme")
        self.assertEqual(lines[4][1], "d\\u2028@example.com")
        self.assertEqual(lines[4][4:], ["2024-06-02T00:00:00Z", "none", "yes"])
        self.assertNotIn("\x1b", result.stdout)
        disabled = self.run_list("list-users", "--disabled")
        self.assertEqual([line.split()[0] for line in disabled.stdout.splitlines()[1:]], ["bob", "dora\\x1b[2J"])
        enabled = self.run_list("list-users", "--enabled")
        self.assertEqual([line.split()[0] for line in enabled.stdout.splitlines()[1:]], ["alice", "carol"])
        users = json.loads(self.run_list("list-users", "--disabled", "--format", "json").stdout)["users"]
        self.assertEqual([(u["username"], u["disabled_at"], u["hash_scheme"]) for u in users],
                         [("bob", "2024-06-01T00:00:00Z", "pbkdf2-sha256"), ("dora\x1b[2J", "2024-06-02T00:00:00Z", "none")])
        both = self.run_list("list-users", "--disabled", "--enabled")
        self.assertEqual(both.code, 64)
        self.assertEqual(self.db_bytes(), before)

    def test_version_1_database(self):
        import shutil

        shutil.copyfile(os.path.join(support.DATA, "schema-v1.sqlite"), self.db)
        before = self.db_bytes()
        users = json.loads(self.run_list("list-users", "--format", "json").stdout)["users"]
        self.assertEqual([(u["username"], u["disabled_at"]) for u in users],
                         [("alice", None), ("bob", None), ("carol", None), ("dave", None)])
        self.assertEqual(self.run_list("list-users", "--disabled").stdout.count("\n"), 1, "the heading only")
        self.assertEqual(self.run_list("list-users", "--enabled").stdout.count("\n"), 5)
        self.assertEqual(self.db_bytes(), before, "read as it is, never upgraded")


class ForeignValuesTest(support.TemporaryDirectoryTestCase):
    """Issue 9.10: values another program stored as BLOBs are shown safely, never a traceback."""

    def test_blob_username_and_email(self):
        db = self.path("prospector.db")
        store.open_database(db).close()
        connection = sqlite3.connect(db)
        with connection:
            connection.execute(
                "INSERT INTO users (username, email, password_hash, created_at, updated_at) "
                "VALUES (?, ?, 'h', '2024-05-01T02:00:00Z', '2024-05-01T02:00:00Z')",
                (b"\xffbob", b"bob@\x00example.com"),
            )
        connection.close()
        warning = (
            "prospector-scheduler: warning: the database %s holds 2 values that are not text (written by "
            "another program), shown as SQL blob literals x'HEX'\n" % db
        )
        result = support.run_cli(["--db", db, "list-users", "--format", "json"], environ=ENV)
        self.assertEqual(result.code, 0, result.stderr)
        self.assertEqual(result.stderr, warning)
        users = json.loads(result.stdout)["users"]
        self.assertEqual((users[0]["username"], users[0]["email"]), ("x'ff626f62'", "x'626f6240006578616d706c652e636f6d'"))
        result = support.run_cli(["--db", db, "list-users"], environ=ENV)
        self.assertEqual(result.code, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines()[1].split()[:2], ["x'ff626f62'", "x'626f6240006578616d706c652e636f6d'"])


class UnreadableDatabaseTest(support.TemporaryDirectoryTestCase):
    """Issue 10.3: a database that exists but may not be read is never called missing."""

    def test_messages_name_owner_mode_and_user(self):
        if os.geteuid() != 0:
            self.skipTest("needs another user to own the files")
        from tests.test_store import facts

        db = self.path("prospector.db")
        store.open_database(db).close()
        os.chmod(db, 0o600)
        with support.without_root_privileges(self.tmp):
            result = support.run_cli(["--db", db, "list-users"], environ=ENV)
            self.assertEqual(result.code, 73)
            self.assertEqual(
                result.stderr,
                "prospector-scheduler: error: cannot read the database %s: permission denied; %s\n" % (db, facts(db)),
            )
        os.chown(self.tmp, 0, 0)
        os.chmod(self.tmp, 0o700)
        with support.without_root_privileges():
            result = support.run_cli(["--db", db, "list-users"], environ=ENV)
            self.assertEqual(result.code, 73)
            self.assertEqual(
                result.stderr,
                "prospector-scheduler: error: cannot look at the database %s: permission denied on the directory "
                "%s; %s\n" % (db, self.tmp, facts(self.tmp)),
            )


class ControlCharacterTest(support.TemporaryDirectoryTestCase):
    """Issue 9.16: control characters from the database and the command line are shown escaped."""

    def test_escaped_in_text_and_json(self):
        db = self.path("prospector.db")
        store.open_database(db).close()
        hostile = ["\x1b[2Jroot", "bell\x07", "cr\rforged", "nl\nline", "c1\x9b", "ls\u2028x", "back\\slash"]
        connection = sqlite3.connect(db)
        with connection:
            connection.executemany(
                "INSERT INTO users (username, email, password_hash, created_at, updated_at) "
                "VALUES (?, ?, 'h', '2024-05-01T02:00:00Z', '2024-05-01T02:00:00Z')",
                [(name, name + "@example.com") for name in hostile],
            )
        connection.close()
        text = support.run_cli(["--db", db, "list-users"], environ=ENV)
        self.assertEqual(text.code, 0, text.stderr)
        self.assertEqual(len(text.stdout.splitlines()), len(hostile) + 1)
        for character in "\x1b\x07\r\x9b\u2028":
            self.assertNotIn(character, text.stdout)
        for shown in ["\\x1b[2Jroot", "bell\\x07", "c1\\x9b"]:
            self.assertIn(shown + " ", text.stdout)
        listed = json.loads(support.run_cli(["--db", db, "list-users", "--format", "json"], environ=ENV).stdout)
        self.assertEqual(sorted(user["username"] for user in listed["users"]), sorted(hostile))

    def test_unknown_command_names(self):
        result = support.run_cli(["\x1b[2Jlist"], environ=ENV)
        self.assertEqual(result.code, 64)
        self.assertNotIn("\x1b", result.stderr)
        self.assertIn("unknown command '\\x1b[2Jlist'", result.stderr)
