"""Tests for the sync-users command, run in-process through cli.main."""

import hashlib
import json
import os
import re
import sqlite3
import stat
from unittest import mock

from prospector_scheduler import __version__, passwords, store
from prospector_scheduler import sync
from tests import support
from tests.test_list_users import fallback_warning

ENV = {"PROSPECTOR_HASH_COST": "low"}
# Every plain-text password this module uses: none may appear in any output or database byte.
SECRETS = (
    "pw-Alice-first-1",
    "pw-Alice-second-2",
    "pw-Bob-first-3",
    "pw-Carol-first-4",
    "pw-Dave-first-5",
    "pw-sh7x",
)
ALICE, ALICE2, BOB, CAROL, DAVE, SHORT = SECRETS
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def user(username, password=None, email=None, reset=None, password_hash=None):
    entry = {"username": username}
    if password is not None:
        entry["password"] = password
    if password_hash is not None:
        entry["password_hash"] = password_hash
    if email is not None:
        entry["email"] = email
    if reset is not None:
        entry["reset_on_next_run"] = reset
    return entry


def low_policy():
    return passwords.policy_from_environ(ENV)


class SyncTestCase(support.TemporaryDirectoryTestCase):
    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("prospector.db")

    def users_file(self, *entries, name="users.json"):
        return self.write(name, json.dumps({"users": list(entries)}, indent=1))

    def cli(self, *args, stdin="", env=None):
        result = support.run_cli(["--db", self.db] + list(args), stdin=stdin, environ=dict(ENV, **(env or {})))
        self.assert_no_secret(result.stdout + result.stderr, "output")
        if os.path.exists(self.db):
            self.assert_no_secret(self.db_bytes().decode("latin-1"), "database")
        return result

    def sync(self, *entries, options=(), env=None):
        return self.cli("sync-users", *(list(options) + [self.users_file(*entries)]), env=env)

    def assert_no_secret(self, text, where):
        for secret in SECRETS:
            self.assertNotIn(secret, text, "a password in the %s" % where)

    def assert_ok(self, result, stdout):
        self.assertEqual((result.code, result.stdout), (0, stdout), result.stderr)

    def db_bytes(self):
        with open(self.db, "rb") as handle:
            return handle.read()

    def query(self, sql):
        connection = sqlite3.connect(self.db)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    def users(self):
        """{username: (email, password_hash, created_at, updated_at)}"""
        return dict(
            (row[0], row[1:])
            for row in self.query("SELECT username, email, password_hash, created_at, updated_at FROM users")
        )

    def backdate(self):
        """Move every stored time a year back, so a later write shows in updated_at."""
        connection = sqlite3.connect(self.db)
        with connection:
            connection.execute("UPDATE users SET created_at = '2023-01-01T00:00:00Z', updated_at = '2023-01-01T00:00:00Z'")
        connection.close()


class CreateTest(SyncTestCase):
    def test_creates_users_with_hashed_passwords_and_given_hashes(self):
        given = passwords.hash_password(BOB, low_policy())
        result = self.sync(user("alice", ALICE, "alice@example.com"), user("bob", password_hash=given))
        self.assert_ok(result, "created 2, password reset 0, unchanged 0\n")
        users = self.users()
        self.assertEqual(sorted(users), ["alice", "bob"])
        self.assertEqual(users["alice"][0], "alice@example.com")
        self.assertTrue(passwords.verify_password(ALICE, users["alice"][1]))
        self.assertFalse(passwords.needs_rehash(users["alice"][1], low_policy()))
        self.assertEqual(users["bob"][1], given)
        self.assertIsNone(users["bob"][0])
        for username in users:
            self.assertRegex(users[username][2], TIME)
            self.assertEqual(users[username][2], users[username][3])

    def test_new_database_is_owner_only(self):
        old = os.umask(0o022)
        try:
            self.assert_ok(self.sync(), "created 0, password reset 0, unchanged 0\n")
        finally:
            os.umask(old)
        self.assertEqual(stat.S_IMODE(os.stat(self.db).st_mode), 0o600)

    def test_new_user_without_password_writes_nothing(self):
        path = self.write(
            "users.yaml",
            "users:\n  - username: alice\n    password: %s\n  - username: bob\n    email: bob@example.com\n" % ALICE,
        )
        result = self.cli("sync-users", path)
        self.assertEqual(result.code, 65)
        self.assertEqual(result.stdout, "")
        self.assertEqual(
            result.stderr,
            '%s:4:5: users[1]: "bob" is a new user and needs a password or a password_hash\n' % path,
        )
        self.assertFalse(os.path.exists(self.db), "a file with errors creates no database")
        self.assert_ok(self.sync(user("carol", CAROL)), "created 1, password reset 0, unchanged 0\n")
        before = self.db_bytes()
        result = self.sync(user("alice", ALICE), user("bob"), user("dave", DAVE), user("eve"))
        self.assertEqual(result.code, 65)
        self.assertEqual(
            result.stderr.splitlines(),
            [
                '%s: users[1]: "bob" is a new user and needs a password or a password_hash' % self.path("users.json"),
                '%s: users[3]: "eve" is a new user and needs a password or a password_hash' % self.path("users.json"),
            ],
        )
        self.assertEqual(self.db_bytes(), before)

    def test_short_password_is_hashed_with_a_warning_naming_the_user(self):
        result = self.sync(user("alice", ALICE), user("bob", SHORT))
        self.assert_ok(result, "created 2, password reset 0, unchanged 0\n")
        self.assertIn('warning: the password of "bob" is shorter than 8 characters\n', result.stderr)


class RepeatTest(SyncTestCase):
    def test_second_run_changes_nothing_in_users(self):
        entries = (
            user("alice", ALICE, "alice@example.com", reset=True),
            user("bob", BOB),
            user("carol", password_hash=passwords.hash_password(CAROL, low_policy()), reset=True),
        )
        self.assert_ok(self.sync(*entries), "created 3, password reset 0, unchanged 0\n")
        self.backdate()
        before = self.users()
        connection = sqlite3.connect(self.db)
        self.addCleanup(connection.close)
        changes_before = connection.execute("SELECT count(*) FROM users").fetchone()
        result = self.sync(*entries)
        self.assert_ok(result, "created 0, password reset 0, unchanged 3\n")
        self.assertEqual(self.users(), before)
        self.assertEqual(connection.execute("SELECT count(*) FROM users").fetchone(), changes_before)
        self.assertEqual(len(self.query("SELECT id FROM sync_runs")), 2, "every run is recorded")

    def test_reset_with_a_new_password(self):
        self.sync(user("alice", ALICE, reset=True), user("bob", BOB))
        self.backdate()
        result = self.sync(user("alice", ALICE2, reset=True), user("bob", BOB))
        self.assert_ok(result, "created 0, password reset 1, unchanged 1\n")
        users = self.users()
        self.assertTrue(passwords.verify_password(ALICE2, users["alice"][1]))
        self.assertEqual(users["alice"][2], "2023-01-01T00:00:00Z", "created_at is kept")
        self.assertNotEqual(users["alice"][3], "2023-01-01T00:00:00Z", "updated_at moves")
        self.assertRegex(users["alice"][3], TIME)
        self.assertEqual(users["bob"][3], "2023-01-01T00:00:00Z")

    def test_password_change_without_reset_is_ignored(self):
        self.sync(user("alice", ALICE))
        before = self.users()
        self.assert_ok(self.sync(user("alice", ALICE2)), "created 0, password reset 0, unchanged 1\n")
        self.assertEqual(self.users(), before)

    def test_reset_replaces_a_hash_weaker_than_the_policy(self):
        weak = passwords.hash_password(ALICE, low_policy()._replace(scheme="pbkdf2-sha256", pbkdf2_rounds=10))
        self.sync(user("alice", password_hash=weak))
        result = self.sync(user("alice", ALICE, reset=True), env={"PROSPECTOR_HASH_SCHEME": "pbkdf2-sha256"})
        self.assert_ok(result, "created 0, password reset 1, unchanged 0\n")
        stored = self.users()["alice"][1]
        self.assertNotEqual(stored, weak)
        self.assertTrue(stored.startswith("$pbkdf2-sha256$1000$"), "the low-cost policy's rounds")
        self.assertTrue(passwords.verify_password(ALICE, stored))

    def test_reset_replaces_a_hash_it_cannot_read(self):
        self.sync(user("alice", ALICE))
        connection = sqlite3.connect(self.db)
        with connection:
            connection.execute("UPDATE users SET password_hash = '$2b$12$notourformat'")
        connection.close()
        self.assert_ok(self.sync(user("alice", ALICE, reset=True)), "created 0, password reset 1, unchanged 0\n")
        self.assertTrue(passwords.verify_password(ALICE, self.users()["alice"][1]))

    def test_reset_with_password_hash(self):
        first = passwords.hash_password(ALICE, low_policy())
        second = passwords.hash_password(ALICE2, low_policy())
        self.sync(user("alice", password_hash=first))
        self.backdate()
        self.assert_ok(
            self.sync(user("alice", password_hash=first, reset=True)), "created 0, password reset 0, unchanged 1\n"
        )
        self.assertEqual(self.users()["alice"][3], "2023-01-01T00:00:00Z")
        self.assert_ok(
            self.sync(user("alice", password_hash=second, reset=True)), "created 0, password reset 1, unchanged 0\n"
        )
        self.assertEqual(self.users()["alice"][1], second)

    def test_users_not_in_the_file_are_left_alone(self):
        self.sync(user("alice", ALICE), user("bob", BOB))
        before = self.users()
        self.assert_ok(self.sync(user("carol", CAROL)), "created 1, password reset 0, unchanged 0\n")
        after = self.users()
        self.assertEqual(after["alice"], before["alice"])
        self.assertEqual(after["bob"], before["bob"])


class OutputTest(SyncTestCase):
    def setUp(self):
        SyncTestCase.setUp(self)
        self.sync(user("alice", ALICE, "alice@example.com"), user("bob", BOB, "bob@example.com"))

    def entries(self):
        return (
            user("alice", ALICE, "alice@example.org"),
            user("bob", ALICE2, reset=True),
            user("carol", CAROL),
        )

    def test_verbose_names_each_user_and_the_email_difference(self):
        result = self.cli("-v", "sync-users", self.users_file(*self.entries()))
        self.assert_ok(
            result,
            "unchanged alice: the file's email alice@example.org differs from the database's "
            "alice@example.com, which is kept\n"
            "password reset bob\n"
            "created carol\n"
            "created 1, password reset 1, unchanged 1\n",
        )
        self.assertEqual(self.users()["alice"][0], "alice@example.com")
        self.assertEqual(self.users()["bob"][0], "bob@example.com")

    def test_quiet_prints_nothing(self):
        result = self.cli("-q", "sync-users", self.users_file(*self.entries()))
        self.assert_ok(result, "")
        result = self.cli("-q", "sync-users", self.users_file(*self.entries()))
        self.assert_ok(result, "")
        self.assertEqual(result.stderr, fallback_warning(), "no change, nothing hashed: nothing to warn about")

    def test_json(self):
        result = self.cli("sync-users", "--format", "json", self.users_file(*self.entries()))
        self.assertEqual(result.code, 0, result.stderr)
        self.assertEqual(
            json.loads(result.stdout),
            {
                "dry_run": False,
                "created": ["carol"],
                "password_reset": ["bob"],
                "unchanged": ["alice"],
                "email_differs": [{"username": "alice", "file": "alice@example.org", "database": "alice@example.com"}],
                "counts": {"created": 1, "password_reset": 1, "unchanged": 1},
            },
        )
        result = self.cli("-q", "sync-users", "--format", "json", self.users_file(*self.entries()))
        self.assertEqual(json.loads(result.stdout)["unchanged"], ["alice", "bob", "carol"], "-q keeps asked-for JSON")


class DryRunTest(SyncTestCase):
    def test_missing_database_is_not_created(self):
        result = self.sync(user("alice", ALICE), user("bob", BOB, reset=True), options=["--dry-run"])
        self.assert_ok(result, "created alice\ncreated bob\ncreated 2, password reset 0, unchanged 0 (dry run)\n")
        self.assertEqual(os.listdir(self.tmp), ["users.json"])

    def test_existing_database_is_not_written(self):
        self.sync(user("alice", ALICE, "alice@example.com"), user("bob", BOB))
        before = self.db_bytes()
        entries = (
            user("alice", ALICE, "alice@example.org", reset=True),
            user("bob", ALICE2, reset=True),
            user("carol", CAROL),
        )
        result = self.sync(*entries, options=["--dry-run"])
        self.assert_ok(
            result,
            "unchanged alice: the file's email alice@example.org differs from the database's "
            "alice@example.com, which is kept\n"
            "password reset bob\n"
            "created carol\n"
            "created 1, password reset 1, unchanged 1 (dry run)\n",
        )
        result = self.sync(*entries, options=["--dry-run", "--format", "json"])
        self.assertEqual(json.loads(result.stdout)["dry_run"], True)
        self.assertEqual(json.loads(result.stdout)["counts"], {"created": 1, "password_reset": 1, "unchanged": 1})
        self.assertEqual(self.db_bytes(), before)
        self.assertEqual(len(self.query("SELECT id FROM sync_runs")), 1, "a dry run is not recorded")

    def test_dry_run_reports_errors_too(self):
        result = self.sync(user("alice"), options=["--dry-run"])
        self.assertEqual(result.code, 65)
        self.assertFalse(os.path.exists(self.db))


class SourceAndAuditTest(SyncTestCase):
    def test_audit_row_for_a_file(self):
        path = self.users_file(user("alice", ALICE), user("bob", BOB, reset=True))
        self.cli("sync-users", path)
        self.cli("sync-users", path)
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        with store.open_database(self.db) as database:
            runs = database.sync_runs()
        self.assertEqual(len(runs), 2)
        import pwd
        import socket

        for run, counts in zip(runs, [(2, 0, 0), (0, 0, 2)]):
            self.assertEqual(run.source, os.path.abspath(path))
            self.assertEqual(run.source_sha256, digest)
            self.assertEqual((run.created, run.password_reset, run.unchanged), counts)
            self.assertEqual(run.host, socket.gethostname())
            self.assertEqual(run.os_user, pwd.getpwuid(os.geteuid()).pw_name)
            self.assertEqual(run.tool_version, __version__)
            self.assertRegex(run.started_at, TIME)
            self.assertLessEqual(run.started_at, run.ended_at)

    def test_standard_input(self):
        text = "users:\n  - username: alice\n    password: %s\n    email: alice@example.com\n" % ALICE
        result = self.cli("sync-users", "-", stdin=text)
        self.assert_ok(result, "created 1, password reset 0, unchanged 0\n")
        self.assertEqual(self.users()["alice"][0], "alice@example.com")
        self.assertEqual(
            self.query("SELECT source, source_sha256 FROM sync_runs"),
            [("<stdin>", hashlib.sha256(text.encode("utf-8")).hexdigest())],
        )


class ArgumentsTest(SyncTestCase):
    def test_help_does_not_import_the_heavy_modules(self):
        code = (
            "import sys\n"
            "from prospector_scheduler.cli import main\n"
            "main(['sync-users', '--help'])\n"
            "main(['list-users', '--help'])\n"
            "heavy = ['json', 'hashlib', 'sqlite3', 'concurrent.futures', 'prospector_scheduler.users_file']\n"
            "print('heavy: ' + ' '.join(name for name in heavy if name in sys.modules))\n"
        )
        import subprocess

        output = subprocess.check_output(
            support.python_command("-c", code), env=support.process_environment(), universal_newlines=True
        )
        self.assertEqual(output.splitlines()[-1], "heavy: ")


class DatabaseErrorTest(SyncTestCase):
    def test_exit_73_cases(self):
        missing = self.path("no", "such")
        not_db = self.write("not.db", b"this is not a database, just some text\n" * 10)
        cases = [
            (
                os.path.join(missing, "x.db"),
                "cannot create the database %s: the directory %s does not exist" % (os.path.join(missing, "x.db"), missing),
            ),
            (not_db, "%s is not an SQLite database" % not_db),
        ]
        for db, message in cases:
            for dry in ([], ["--dry-run"]):
                with self.subTest(db=db, dry=dry):
                    result = support.run_cli(
                        ["--db", db, "sync-users"] + dry + [self.users_file(user("alice", ALICE))], environ=ENV
                    )
                    self.assertEqual(result.code, 73)
                    self.assertEqual(result.stderr, "prospector-scheduler: error: %s\n" % message)
        self.assertFalse(os.path.exists(missing))

    def test_newer_schema_is_refused(self):
        self.sync(user("alice", ALICE))
        connection = sqlite3.connect(self.db)
        connection.execute("PRAGMA user_version = 99")
        connection.close()
        before = self.db_bytes()
        for dry in ([], ["--dry-run"]):
            with self.subTest(dry=dry):
                result = self.sync(user("bob", BOB), options=dry)
                self.assertEqual(result.code, 73)
                self.assertEqual(
                    result.stderr,
                    "prospector-scheduler: error: the database %s has schema version 99, newer than the "
                    "version %d that prospector-scheduler %s knows: upgrade prospector-scheduler\n"
                    % (self.db, store.SCHEMA_VERSION, __version__),
                )
        self.assertEqual(self.db_bytes(), before)

    def test_busy_database_exits_75_after_waiting(self):
        self.sync(user("alice", ALICE))
        holder = store.open_database(self.db)
        self.addCleanup(holder.close)
        with holder.write_transaction():
            result = self.sync(user("bob", BOB), options=["--wait", "0.2"])
        self.assertEqual(result.code, 75)
        self.assertEqual(
            result.stderr.splitlines()[-1],
            "prospector-scheduler: error: another run holds the database %s; gave up after waiting "
            "0.2 seconds, try again later" % self.db,
        )
        self.assertEqual(sorted(self.users()), ["alice"])

    def test_bad_wait_is_a_usage_error(self):
        for value in ("-1", "soon", "nan"):
            with self.subTest(value=value):
                result = self.sync(user("alice", ALICE), options=["--wait", value])
                self.assertEqual(result.code, 64)
                self.assertIn("--wait", result.stderr)
        self.assertFalse(os.path.exists(self.db))


class OverlapTest(SyncTestCase):
    """Another run commits between this run's first read and its write lock."""

    def run_with_interloper(self, entries, interloper):
        original = sync.Hashing.hash_for
        calls = []

        def hash_then_interlope(hashing, actions):
            made = original(hashing, actions)
            if not calls:
                connection = sqlite3.connect(self.db, isolation_level=None)
                try:
                    interloper(connection)
                finally:
                    connection.close()
            calls.append([action.username for action in actions])
            return made

        with mock.patch.object(sync.Hashing, "hash_for", hash_then_interlope):
            result = self.sync(*entries)
        return result, calls

    def test_user_created_meanwhile_is_not_duplicated(self):
        self.sync(user("alice", ALICE))
        made = passwords.hash_password(BOB, low_policy())

        def other_run(connection):
            connection.execute(
                "INSERT INTO users (username, password_hash, created_at, updated_at) VALUES ('bob', ?, 'x', 'x')",
                (made,),
            )

        result, calls = self.run_with_interloper([user("alice", ALICE), user("bob", BOB, reset=True)], other_run)
        self.assert_ok(result, "created 0, password reset 0, unchanged 2\n")
        self.assertEqual(calls, [["bob"], []], "bob's stored hash is verified, nothing more is hashed")
        self.assertEqual(self.users()["bob"][1], made)
        self.assertEqual(self.query("SELECT created, unchanged FROM sync_runs ORDER BY id DESC LIMIT 1"), [(0, 2)])

    def test_password_changed_meanwhile_is_reset_again(self):
        self.sync(user("alice", ALICE))
        other_hash = passwords.hash_password(ALICE2, low_policy())

        def other_run(connection):
            connection.execute("UPDATE users SET password_hash = ? WHERE username = 'alice'", (other_hash,))

        result, calls = self.run_with_interloper([user("alice", ALICE, reset=True)], other_run)
        self.assert_ok(result, "created 0, password reset 1, unchanged 0\n")
        self.assertEqual(calls, [[], ["alice"]], "hashed under the lock, the only way to avoid a lost update")
        self.assertTrue(passwords.verify_password(ALICE, self.users()["alice"][1]))

    def test_user_deleted_meanwhile_is_created(self):
        self.sync(user("alice", ALICE), user("bob", BOB))

        def other_run(connection):
            connection.execute("DELETE FROM users WHERE username = 'bob'")

        result, calls = self.run_with_interloper([user("alice", ALICE), user("bob", BOB)], other_run)
        self.assert_ok(result, "created 1, password reset 0, unchanged 1\n")
        self.assertTrue(passwords.verify_password(BOB, self.users()["bob"][1]))

    def test_no_change_meanwhile_reads_nothing_again(self):
        self.sync(user("alice", ALICE))

        with mock.patch.object(store.UserStore, "snapshot", autospec=True, side_effect=store.UserStore.snapshot) as spy:
            result = self.sync(user("alice", ALICE, reset=True), user("bob", BOB))
        self.assert_ok(result, "created 1, password reset 0, unchanged 1\n")
        self.assertEqual(spy.call_count, 1)
