"""Tests for delete-users and prospector_scheduler.deletion: the second step of offboarding."""

import io
import json
import os
import shutil
import sqlite3

from prospector_scheduler import deletion, passwords, store, users_table
from tests import support

ENV = {"PROSPECTOR_HASH_COST": "low"}
DISABLE_FIRST = ('prospector-scheduler: error: "%s" is not disabled: disable it first ("disabled: true" in the '
                 'users file, or sync-users --disable-missing without it), then delete it; nothing deleted')


class Terminal(io.StringIO):
    """Standard input as a terminal that answers the prompt."""

    def isatty(self):
        return True


class DeleteUsersTest(support.TemporaryDirectoryTestCase):
    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("prospector.db")
        given = passwords.hash_password("pw-delete-1", passwords.policy_from_environ(ENV))
        entries = [{"username": name, "password_hash": given, "disabled": name != "alice"}
                   for name in ("alice", "mallory", "trudy")]
        path = self.write("users.json", json.dumps({"users": entries}))
        result = support.run_cli(["--db", self.db, "sync-users", path], environ=ENV)
        self.assertEqual(result.code, 0, result.stderr)
        # A name no users file allows, written by another program.
        with store.open_database(self.db) as database:
            with database.write_transaction():
                database.add_users([users_table.NewUser("x\x1by", None, users_table.DISABLED_HASH, None, store.utc_now())],
                                   store.utc_now())

    def cli(self, *args, stdin=""):
        stream = stdin if not isinstance(stdin, str) else io.StringIO(stdin)
        stdout, stderr = io.StringIO(), io.StringIO()
        from prospector_scheduler.cli import main

        code = main(["--db", self.db] + list(args), stdin=stream, stdout=stdout, stderr=stderr, environ=ENV)
        return support.Result(code, stdout.getvalue(), stderr.getvalue())

    def query(self, sql):
        connection = sqlite3.connect(self.db)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    def usernames(self):
        return [row[0] for row in self.query("SELECT username FROM users ORDER BY username")]

    def db_bytes(self):
        with open(self.db, "rb") as handle:
            return handle.read()

    def test_deletes_disabled_users_in_one_transaction_and_logs_it(self):
        result = self.cli("delete-users", "--yes", "mallory", "trudy", "mallory")
        self.assertEqual((result.code, result.stdout, result.stderr), (0, "deleted mallory, trudy\n", ""))
        self.assertEqual(self.usernames(), ["alice", "x\x1by"])
        self.assertEqual(self.query("SELECT username, change, sync_run, command FROM user_changes WHERE change = 'deleted'"),
                         [("mallory", "deleted", None, "delete-users"), ("trudy", "deleted", None, "delete-users")])
        self.assertEqual(self.cli("-q", "delete-users", "--yes", "x\x1by").stdout, "")
        self.assertEqual(self.usernames(), ["alice"])

    def test_refusals_delete_nothing(self):
        before = self.db_bytes()
        cases = [
            (["alice"], [DISABLE_FIRST % "alice"]),
            (["mallory", "alice"], [DISABLE_FIRST % "alice"]),
            (["zed", "mallory", "y\x1b[2J"], [
                'prospector-scheduler: error: no user "zed" in the database %s; nothing deleted' % self.db,
                'prospector-scheduler: error: no user "y\\x1b[2J" in the database %s; nothing deleted' % self.db]),
        ]
        for names, errors in cases:
            with self.subTest(names=names):
                result = self.cli(*(["delete-users", "--yes"] + names))
                self.assertEqual((result.code, result.stdout), (65, ""))
                self.assertEqual(result.stderr.splitlines(), errors)
                self.assertEqual(self.db_bytes(), before)

    def test_no_terminal_without_yes_is_a_usage_error(self):
        before = self.db_bytes()
        for stdin in ("", "y\n"):
            with self.subTest(stdin=stdin):
                result = self.cli("delete-users", "mallory", stdin=stdin)
                self.assertEqual((result.code, result.stdout), (64, ""))
                self.assertEqual(result.stderr, "prospector-scheduler: error: delete-users asks for confirmation, and "
                                                "standard input is not a terminal: give --yes to delete without asking\n")
        self.assertEqual(self.db_bytes(), before)

    def test_asks_on_a_terminal(self):
        before = self.db_bytes()
        for answer in ("\n", "n\n", "no\n", "yep\n", ""):
            with self.subTest(answer=answer):
                result = self.cli("delete-users", "mallory", "trudy", stdin=Terminal(answer))
                self.assertEqual((result.code, result.stdout), (0, ""))
                self.assertEqual(result.stderr, "Delete 2 users for good (mallory, trudy)? [y/N] "
                                                "prospector-scheduler: nothing deleted\n")
                self.assertEqual(self.db_bytes(), before)
        # Refused names are reported before any question.
        result = self.cli("delete-users", "alice", stdin=Terminal("y\n"))
        self.assertEqual((result.code, result.stderr), (65, DISABLE_FIRST % "alice" + "\n"))
        result = self.cli("delete-users", "mallory", stdin=Terminal(" Y \n"))
        self.assertEqual((result.code, result.stdout), (0, "deleted mallory\n"))
        self.assertEqual(result.stderr, "Delete 1 user for good (mallory)? [y/N] ")
        self.assertEqual(self.usernames(), ["alice", "trudy", "x\x1by"])

    def test_missing_and_version_1_databases(self):
        missing = self.path("missing.db")
        result = support.run_cli(["--db", missing, "delete-users", "--yes", "mallory"], environ=ENV)
        self.assertEqual(result.code, 73)
        self.assertFalse(os.path.exists(missing))
        shutil.copyfile(os.path.join(support.DATA, "schema-v1.sqlite"), self.db)
        before = self.db_bytes()
        result = self.cli("delete-users", "--yes", "bob")
        self.assertEqual((result.code, result.stderr), (65, DISABLE_FIRST % "bob" + "\n"))
        self.assertEqual(self.db_bytes(), before, "refused before the schema is upgraded")

    def test_a_user_enabled_after_the_question_is_not_deleted(self):
        def enable_meanwhile(names):
            with store.open_database(self.db) as database:
                with database.write_transaction():
                    database.enable_users(["trudy"], store.utc_now())
            return True

        with self.assertRaises(Exception) as caught:
            deletion.delete_users(self.db, ["mallory", "trudy"], confirm=enable_meanwhile)
        self.assertEqual(caught.exception.exit_code, 65)
        self.assertIn('"trudy" is not disabled', str(caught.exception))
        self.assertEqual(self.usernames(), ["alice", "mallory", "trudy", "x\x1by"])
