"""Tests for the sync-users command, run in-process through cli.main."""

import hashlib
import json
import os
import re
import sqlite3
import stat
from unittest import mock

from prospector_scheduler import __version__, database_errors, passwords, schema, store, users_table
from prospector_scheduler import sync
from prospector_scheduler.commands import sync_users
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


def user(username, password=None, email=None, reset=None, password_hash=None, disabled=None):
    entry = {"username": username}
    if disabled is not None:
        entry["disabled"] = disabled
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
        self.assert_ok(result, "created 2, password reset 0, disabled 0, enabled 0, unchanged 0, not in file 0\n")
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
            self.assert_ok(self.sync(), "created 0, password reset 0, disabled 0, enabled 0, unchanged 0, not in file 0\n")
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
        self.assert_ok(self.sync(user("carol", CAROL)), "created 1, password reset 0, disabled 0, enabled 0, unchanged 0, not in file 0\n")
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
        self.assert_ok(result, "created 2, password reset 0, disabled 0, enabled 0, unchanged 0, not in file 0\n")
        self.assertIn('warning: the password of "bob" is shorter than 8 characters\n', result.stderr)


class RepeatTest(SyncTestCase):
    def test_second_run_changes_nothing_in_users(self):
        entries = (
            user("alice", ALICE, "alice@example.com", reset=True),
            user("bob", BOB),
            user("carol", password_hash=passwords.hash_password(CAROL, low_policy()), reset=True),
        )
        self.assert_ok(self.sync(*entries), "created 3, password reset 0, disabled 0, enabled 0, unchanged 0, not in file 0\n")
        self.backdate()
        before = self.users()
        connection = sqlite3.connect(self.db)
        self.addCleanup(connection.close)
        changes_before = connection.execute("SELECT count(*) FROM users").fetchone()
        result = self.sync(*entries)
        self.assert_ok(result, "created 0, password reset 0, disabled 0, enabled 0, unchanged 3, not in file 0\n")
        self.assertEqual(self.users(), before)
        self.assertEqual(connection.execute("SELECT count(*) FROM users").fetchone(), changes_before)
        self.assertEqual(len(self.query("SELECT id FROM sync_runs")), 2, "every run is recorded")

    def test_reset_with_a_new_password(self):
        self.sync(user("alice", ALICE, reset=True), user("bob", BOB))
        self.backdate()
        result = self.sync(user("alice", ALICE2, reset=True), user("bob", BOB))
        self.assert_ok(result, "created 0, password reset 1, disabled 0, enabled 0, unchanged 1, not in file 0\n")
        users = self.users()
        self.assertTrue(passwords.verify_password(ALICE2, users["alice"][1]))
        self.assertEqual(users["alice"][2], "2023-01-01T00:00:00Z", "created_at is kept")
        self.assertNotEqual(users["alice"][3], "2023-01-01T00:00:00Z", "updated_at moves")
        self.assertRegex(users["alice"][3], TIME)
        self.assertEqual(users["bob"][3], "2023-01-01T00:00:00Z")

    def test_password_change_without_reset_is_ignored(self):
        self.sync(user("alice", ALICE))
        before = self.users()
        self.assert_ok(self.sync(user("alice", ALICE2)), "created 0, password reset 0, disabled 0, enabled 0, unchanged 1, not in file 0\n")
        self.assertEqual(self.users(), before)

    def test_reset_replaces_a_hash_weaker_than_the_policy(self):
        weak = passwords.hash_password(ALICE, low_policy()._replace(scheme="pbkdf2-sha256", pbkdf2_rounds=10))
        self.sync(user("alice", password_hash=weak))
        result = self.sync(user("alice", ALICE, reset=True), env={"PROSPECTOR_HASH_SCHEME": "pbkdf2-sha256"})
        self.assert_ok(result, "created 0, password reset 1, disabled 0, enabled 0, unchanged 0, not in file 0\n")
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
        self.assert_ok(self.sync(user("alice", ALICE, reset=True)), "created 0, password reset 1, disabled 0, enabled 0, unchanged 0, not in file 0\n")
        self.assertTrue(passwords.verify_password(ALICE, self.users()["alice"][1]))

    def test_reset_with_password_hash(self):
        first = passwords.hash_password(ALICE, low_policy())
        second = passwords.hash_password(ALICE2, low_policy())
        self.sync(user("alice", password_hash=first))
        self.backdate()
        self.assert_ok(
            self.sync(user("alice", password_hash=first, reset=True)), "created 0, password reset 0, disabled 0, enabled 0, unchanged 1, not in file 0\n"
        )
        self.assertEqual(self.users()["alice"][3], "2023-01-01T00:00:00Z")
        self.assert_ok(
            self.sync(user("alice", password_hash=second, reset=True)), "created 0, password reset 1, disabled 0, enabled 0, unchanged 0, not in file 0\n"
        )
        self.assertEqual(self.users()["alice"][1], second)

    def test_users_not_in_the_file_are_left_alone(self):
        self.sync(user("alice", ALICE), user("bob", BOB))
        before = self.users()
        self.assert_ok(self.sync(user("carol", CAROL)), "created 1, password reset 0, disabled 0, enabled 0, unchanged 0, not in file 2\n")
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
            "created 1, password reset 1, disabled 0, enabled 0, unchanged 1, not in file 0\n",
        )
        self.assertEqual(self.users()["alice"][0], "alice@example.com")
        self.assertEqual(self.users()["bob"][0], "bob@example.com")

    def test_quiet_prints_nothing(self):
        result = self.cli("-q", "sync-users", self.users_file(*self.entries()))
        self.assert_ok(result, "")
        result = self.cli("-q", "sync-users", self.users_file(*self.entries()))
        self.assert_ok(result, "")
        self.assertEqual(result.stderr, "", "no change, nothing hashed: nothing to warn about")

    def test_fallback_warns_once_and_only_when_hashing(self):
        # Issue 10.5: without scrypt, the PBKDF2 warning comes once, in the run that makes a hash.
        fallback = ("prospector-scheduler: warning: this Python's hashlib has no scrypt: passwords are hashed "
                    "with PBKDF2-HMAC-SHA256 instead\n")
        with mock.patch.object(hashlib, "scrypt", None, create=True):
            first = self.cli("-q", "sync-users", self.users_file(*self.entries()))
            again = self.cli("-q", "sync-users", self.users_file(*self.entries()))
        self.assertEqual(first.code, 0, first.stderr)
        self.assertEqual(first.stderr.count(fallback), 1)
        self.assertTrue(first.stderr.startswith(fallback), first.stderr)
        self.assertEqual((again.code, again.stdout, again.stderr), (0, "", ""))

    def test_json(self):
        result = self.cli("sync-users", "--format", "json", self.users_file(*self.entries()))
        self.assertEqual(result.code, 0, result.stderr)
        self.assertEqual(
            json.loads(result.stdout),
            {
                "dry_run": False,
                "created": ["carol"],
                "password_reset": ["bob"],
                "disabled": [],
                "enabled": [],
                "unchanged": ["alice"],
                "not_in_file": [],
                "email_differs": [{"username": "alice", "file": "alice@example.org", "database": "alice@example.com"}],
                "counts": {"created": 1, "password_reset": 1, "disabled": 0, "enabled": 0, "unchanged": 1,
                           "not_in_file": 0},
            },
        )
        result = self.cli("-q", "sync-users", "--format", "json", self.users_file(*self.entries()))
        self.assertEqual(json.loads(result.stdout)["unchanged"], ["alice", "bob", "carol"], "-q keeps asked-for JSON")


class DryRunTest(SyncTestCase):
    def test_missing_database_is_not_created(self):
        result = self.sync(user("alice", ALICE), user("bob", BOB, reset=True), options=["--dry-run"])
        self.assert_ok(result, "created alice\ncreated bob\ncreated 2, password reset 0, disabled 0, enabled 0, unchanged 0, not in file 0 (dry run)\n")
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
            "created 1, password reset 1, disabled 0, enabled 0, unchanged 1, not in file 0 (dry run)\n",
        )
        result = self.sync(*entries, options=["--dry-run", "--format", "json"])
        self.assertEqual(json.loads(result.stdout)["dry_run"], True)
        self.assertEqual(json.loads(result.stdout)["counts"], {"created": 1, "password_reset": 1, "disabled": 0,
                                                               "enabled": 0, "unchanged": 1, "not_in_file": 0})
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
            self.assertTrue(run.source_sha256.startswith("nosecrets2-sha256:"), run.source_sha256)
            self.assertNotIn(digest, run.source_sha256, "never the plain SHA-256 of the file")
            self.assertEqual((run.created, run.password_reset, run.unchanged), counts)
            self.assertEqual(run.host, socket.gethostname())
            self.assertEqual(run.os_user, pwd.getpwuid(os.geteuid()).pw_name)
            self.assertEqual(run.tool_version, __version__)
            self.assertRegex(run.started_at, TIME)
            self.assertLessEqual(run.started_at, run.ended_at)

    def test_standard_input(self):
        text = "users:\n  - username: alice\n    password: %s\n    email: alice@example.com\n" % ALICE
        result = self.cli("sync-users", "-", stdin=text)
        self.assert_ok(result, "created 1, password reset 0, disabled 0, enabled 0, unchanged 0, not in file 0\n")
        self.assertEqual(self.users()["alice"][0], "alice@example.com")
        [(source, digest)] = self.query("SELECT source, source_sha256 FROM sync_runs")
        self.assertEqual(source, "<stdin>")
        self.assertEqual(digest, sync.source_digest(sync_plan_entries(text)))


def sync_plan_entries(text, source="users.yaml"):
    from prospector_scheduler import users_file

    return users_file.parse(text.encode("utf-8"), source)


class SourceDigestTest(SyncTestCase):
    """Issue 9.4: no value in the database lets a password guess be checked faster than its hash."""

    TEMPLATE = "users:\n  - username: alice\n    password: %s\n    email: alice@example.com\n    reset_on_next_run: %s\n"

    def fast_digests(self, data):
        """Every quick digest an attacker could compare with: of the bytes, in hex and base64."""
        import base64

        found = set()
        for name in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "blake2b", "blake2s"):
            digest = hashlib.new(name, data).digest()
            found.update([digest.hex(), digest.hex().upper(), base64.b64encode(digest).decode("ascii")])
        return found

    def test_the_digest_leaves_every_secret_out(self):
        texts = [self.TEMPLATE % (password, "false") for password in (ALICE, ALICE2, "x")]
        digests = set(sync.source_digest(sync_plan_entries(text)) for text in texts)
        self.assertEqual(len(digests), 1, "a password alone never changes it")
        given = passwords.hash_password(ALICE, low_policy())
        hashed = "users:\n  - username: alice\n    password_hash: '%s'\n    email: alice@example.com\n" % given
        other = passwords.hash_password(ALICE2, low_policy())
        self.assertEqual(
            sync.source_digest(sync_plan_entries(hashed)),
            sync.source_digest(sync_plan_entries(hashed.replace(given, other))),
            "nor a password hash alone",
        )
        changed = [
            self.TEMPLATE % (ALICE, "true"),
            self.TEMPLATE.replace("alice@", "alicia@") % (ALICE, "false"),
            self.TEMPLATE.replace("username: alice", "username: alicia") % (ALICE, "false"),
            hashed,
        ]
        for text in changed:
            with self.subTest(text=text):
                self.assertNotIn(sync.source_digest(sync_plan_entries(text)), digests)
        as_json = json.dumps({"users": [user("alice", ALICE2, "alice@example.com", reset=False)]})
        self.assertEqual(sync.source_digest(sync_plan_entries(as_json, "users.json")), digests.pop(),
                         "the same entries in JSON")

    def test_no_stored_value_checks_a_guess_quickly(self):
        texts = [self.TEMPLATE % (ALICE, "false"), self.TEMPLATE % (ALICE2, "true")]
        for text in texts:
            self.assert_ok(self.cli("sync-users", "-", stdin=text), mock.ANY)
            path = self.write("users.yaml", text)
            self.assert_ok(self.cli("sync-users", path), mock.ANY)
        quick = set()
        for text in texts:
            quick |= self.fast_digests(text.encode("utf-8"))
        for secret in SECRETS:
            quick |= self.fast_digests(secret.encode("utf-8"))
        stored = self.db_bytes().decode("latin-1")
        values = [value for row in self.query("SELECT * FROM sync_runs") for value in row]
        self.assertEqual(len(self.query("SELECT id FROM sync_runs")), 4)
        for digest in quick:
            with self.subTest(digest=digest):
                self.assertNotIn(digest, stored)
                self.assertNotIn(digest, [str(value) for value in values])


class GarbageCollectorTest(SyncTestCase):
    """Issue 11: the collector is paused from the read of the file until the plan is freed, then runs again.

    Running in between, its first collection would scan every entry and action of a large run.
    """

    def test_paused_from_the_read_to_the_report(self):
        import gc

        from prospector_scheduler import users_file

        if not gc.isenabled():
            self.skipTest("the collector is disabled in this test run")
        seen = []

        def watched(name, function):
            def call(*arguments, **keywords):
                seen.append((name, gc.isenabled()))
                return function(*arguments, **keywords)

            return call

        path = self.users_file(user("alice", ALICE))
        with mock.patch.object(users_file, "read", watched("read", users_file.read)), \
                mock.patch.object(sync, "sync_users", watched("sync_users", sync.sync_users)), \
                mock.patch.object(sync_users, "report", watched("report", sync_users.report)):
            self.assert_ok(self.cli("sync-users", path), mock.ANY)
            self.assertEqual(seen, [("read", False), ("sync_users", False), ("report", False)])
            self.assertTrue(gc.isenabled(), "enabled again after the command")
            del seen[:]
            sync.sync_file(path, self.db, environ=ENV)
            self.assertEqual(seen, [("read", False), ("sync_users", False)])
            self.assertTrue(gc.isenabled(), "enabled again after the library call")


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
                    % (self.db, schema.SCHEMA_VERSION, __version__),
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

    def test_bad_hash_workers_is_a_config_error(self):
        for value in ("0", "many", "1.5"):
            with self.subTest(value=value):
                result = self.sync(user("alice", ALICE), user("bob", BOB), env={"PROSPECTOR_HASH_WORKERS": value})
                self.assertEqual(result.code, 78, result.stderr)
                self.assertEqual(
                    result.stderr,
                    "prospector-scheduler: error: PROSPECTOR_HASH_WORKERS must be a whole number of at least 1, not %r\n"
                    % value,
                )
                self.assertEqual(self.users() if os.path.exists(self.db) else {}, {})
        self.assert_ok(self.sync(user("alice", ALICE), env={"PROSPECTOR_HASH_WORKERS": "2"}), SUMMARY % (1, 0, 0, 0, 0, 0))

    def test_bad_wait_is_a_usage_error(self):
        for value in ("-1", "soon", "nan"):
            with self.subTest(value=value):
                result = self.sync(user("alice", ALICE), options=["--wait", value])
                self.assertEqual(result.code, 64)
                self.assertIn("--wait", result.stderr)
        self.assertFalse(os.path.exists(self.db))


SUMMARY = "created %d, password reset %d, disabled %d, enabled %d, unchanged %d, not in file %d\n"
# A stored hash as this tool writes it, anywhere in a text.
ANY_HASH = re.compile(r"\$(scrypt|pbkdf2-sha256)\$")


class OffboardingTest(SyncTestCase):
    """disabled: true|false in the file, users not in the file, --disable-missing and its guards."""

    def row(self, username):
        """(password_hash, kept_password_hash, disabled_at) of one user."""
        rows = self.query("SELECT password_hash, kept_password_hash, disabled_at FROM users WHERE username = '%s'"
                          % username)
        return rows[0] if rows else None

    def changes(self):
        return self.query("SELECT username, change, sync_run, command FROM user_changes ORDER BY id")

    def test_lock_then_unlock_restores_the_hash_byte_for_byte(self):
        self.assert_ok(self.sync(user("alice", ALICE), user("bob", BOB)), SUMMARY % (2, 0, 0, 0, 0, 0))
        hash_before = self.row("alice")[0]
        self.assert_ok(self.sync(user("alice", ALICE, disabled=True), user("bob", BOB)), SUMMARY % (0, 0, 1, 0, 1, 0))
        password_hash, kept, disabled_at = self.row("alice")
        self.assertEqual(password_hash, users_table.DISABLED_HASH)
        self.assertIsNone(ANY_HASH.search(password_hash), "no hash is left in password_hash")
        self.assertEqual(kept, hash_before)
        self.assertRegex(disabled_at, TIME)
        self.assertFalse(passwords.verify_password(ALICE, password_hash) if ANY_HASH.search(password_hash) else False)
        self.assertEqual(self.row("bob")[1:], (None, None))
        # Already locked: nothing is written, not even updated_at.
        before = self.query("SELECT * FROM users ORDER BY id")
        self.assert_ok(self.sync(user("alice", disabled=True), user("bob")), SUMMARY % (0, 0, 0, 0, 2, 0))
        self.assertEqual(self.query("SELECT * FROM users ORDER BY id"), before)
        # Absent key: the state stays as it is.
        self.assert_ok(self.sync(user("alice"), user("bob")), SUMMARY % (0, 0, 0, 0, 2, 0))
        self.assertEqual(self.query("SELECT * FROM users ORDER BY id"), before)
        self.assert_ok(self.sync(user("alice", disabled=False), user("bob")), SUMMARY % (0, 0, 0, 1, 1, 0))
        self.assertEqual(self.row("alice"), (hash_before, None, None))
        self.assertTrue(passwords.verify_password(ALICE, self.row("alice")[0]))
        self.assertEqual(self.changes(), [("alice", "created", 1, "sync-users"), ("bob", "created", 1, "sync-users"),
                                          ("alice", "disabled", 2, "sync-users"), ("alice", "enabled", 5, "sync-users")])

    def test_lock_and_reset_then_unlock_gives_the_new_password(self):
        self.sync(user("alice", ALICE))
        self.assert_ok(self.sync(user("alice", ALICE2, reset=True, disabled=True)), SUMMARY % (0, 1, 1, 0, 0, 0))
        password_hash, kept, _ = self.row("alice")
        self.assertEqual(password_hash, users_table.DISABLED_HASH)
        self.assertTrue(passwords.verify_password(ALICE2, kept))
        self.assertEqual(self.changes()[1:], [("alice", "password reset", 2, "sync-users"),
                                              ("alice", "disabled", 2, "sync-users")])
        self.assert_ok(self.sync(user("alice", disabled=False)), SUMMARY % (0, 0, 0, 1, 0, 0))
        self.assertEqual(self.row("alice"), (kept, None, None))

    def test_reset_while_locked_keeps_the_new_hash_aside(self):
        self.sync(user("alice", ALICE, disabled=True))
        result = self.cli("-v", "sync-users", self.users_file(user("alice", ALICE2, reset=True)))
        self.assert_ok(result, "password reset alice: the new password is kept aside while the user is disabled\n"
                       + SUMMARY % (0, 1, 0, 0, 0, 0))
        password_hash, kept, disabled_at = self.row("alice")
        self.assertEqual(password_hash, users_table.DISABLED_HASH)
        self.assertTrue(passwords.verify_password(ALICE2, kept))
        # The same file again: the kept hash already verifies, nothing is written.
        self.assert_ok(self.sync(user("alice", ALICE2, reset=True)), SUMMARY % (0, 0, 0, 0, 1, 0))
        self.assertEqual(self.row("alice"), (password_hash, kept, disabled_at))
        self.assert_ok(self.sync(user("alice", ALICE, reset=True, disabled=False)), SUMMARY % (0, 1, 0, 1, 0, 0))
        self.assertTrue(passwords.verify_password(ALICE, self.row("alice")[0]))
        self.assertEqual(self.row("alice")[1:], (None, None))

    def test_new_user_created_locked(self):
        given = passwords.hash_password(BOB, low_policy())
        result = self.cli("-v", "sync-users", self.users_file(
            user("alice", disabled=True), user("bob", password_hash=given, disabled=True), user("carol", CAROL, disabled=True)))
        self.assert_ok(result, "created and disabled alice: without a password\ncreated and disabled bob\n"
                       "created and disabled carol\n" + SUMMARY % (3, 0, 3, 0, 0, 0))
        self.assertEqual(self.row("alice")[:2], (users_table.DISABLED_HASH, None))
        self.assertEqual(self.row("bob")[:2], (users_table.DISABLED_HASH, given))
        self.assertTrue(passwords.verify_password(CAROL, self.row("carol")[1]))
        self.assertEqual([change[:2] for change in self.changes()],
                         [("alice", "created"), ("alice", "disabled"), ("bob", "created"), ("bob", "disabled"),
                          ("carol", "created"), ("carol", "disabled")])
        # Without a password there is nothing to restore: enabling needs a new one.
        before = self.db_bytes()
        result = self.sync(user("alice", disabled=False))
        self.assertEqual(result.code, 65)
        self.assertEqual(result.stderr.splitlines()[-1],
                         '%s: users[0]: "alice" has no password to restore (it was created disabled without one): '
                         'to enable it, give it a password or password_hash with reset_on_next_run: true'
                         % self.path("users.json"))
        self.assertEqual(self.db_bytes(), before)
        self.assert_ok(self.sync(user("alice", ALICE, reset=True, disabled=False)), SUMMARY % (0, 1, 0, 1, 0, 2))
        self.assertTrue(passwords.verify_password(ALICE, self.row("alice")[0]))

    def test_a_hash_starting_with_an_exclamation_mark_is_refused(self):
        given = passwords.hash_password(BOB, low_policy())
        for name, text in (("users.json", json.dumps({"users": [user("bob", password_hash="!" + given)]})),
                           ("users.yaml", 'users:\n  - username: bob\n    password_hash: "!%s"\n' % given)):
            with self.subTest(name=name):
                path = self.write(name, text)
                for command in ("sync-users", "check-config"):
                    result = self.cli(command, path)
                    self.assertEqual(result.code, 65)
                    self.assertIn('password_hash: a hash starting with "!" is not accepted; to disable the user, '
                                  'write "disabled: true"', result.stderr)
                    self.assertNotIn(given, result.stderr)
        self.assertFalse(os.path.exists(self.db))

    def test_users_not_in_the_file_are_reported_never_changed(self):
        self.sync(user("alice", ALICE), user("bob", BOB), user("carol", CAROL, disabled=True))
        before = self.query("SELECT * FROM users ORDER BY id")
        path = self.users_file(user("alice", ALICE))
        self.assert_ok(self.cli("sync-users", path), SUMMARY % (0, 0, 0, 0, 1, 2))
        self.assert_ok(self.cli("-v", "sync-users", path),
                       "unchanged alice\nnot in file bob\nnot in file carol (disabled)\n" + SUMMARY % (0, 0, 0, 0, 1, 2))
        self.assert_ok(self.cli("sync-users", "--dry-run", path),
                       "unchanged alice\nnot in file bob\nnot in file carol (disabled)\n"
                       + (SUMMARY % (0, 0, 0, 0, 1, 2))[:-1] + " (dry run)\n")
        result = json.loads(self.cli("sync-users", "--format", "json", path).stdout)
        self.assertEqual((result["not_in_file"], result["disabled"], result["counts"]["not_in_file"]),
                         (["bob", "carol"], [], 2))
        self.assertEqual(self.query("SELECT * FROM users ORDER BY id"), before)
        self.assertEqual(self.query("SELECT disabled, enabled, not_in_file FROM sync_runs ORDER BY id DESC LIMIT 1"),
                         [(0, 0, 2)])

    def test_disable_missing(self):
        self.sync(user("alice", ALICE), user("bob", BOB), user("carol", CAROL, disabled=True), user("dave", DAVE))
        bob_hash = self.row("bob")[0]
        path = self.users_file(user("alice", ALICE), user("dave", DAVE, disabled=True))
        dry = self.cli("-v", "sync-users", "--disable-missing", "--dry-run", path)
        result = self.cli("-v", "sync-users", "--disable-missing", path)
        expected = ("unchanged alice\ndisabled dave\ndisabled bob: not in the file\nnot in file carol (disabled)\n"
                    + SUMMARY % (0, 0, 2, 0, 1, 2))
        self.assert_ok(result, expected)
        self.assert_ok(dry, expected[:-1] + " (dry run)\n")
        self.assertEqual(self.row("bob")[:2], (users_table.DISABLED_HASH, bob_hash))
        self.assertEqual(self.query("SELECT disabled, enabled, not_in_file FROM sync_runs ORDER BY id DESC LIMIT 1"),
                         [(2, 0, 2)])
        self.assertEqual(self.changes()[-2:], [("dave", "disabled", 2, "sync-users"), ("bob", "disabled", 2, "sync-users")])

    def test_guards_refuse_the_whole_run(self):
        self.sync(*[user("user%02d" % n, password_hash=passwords.hash_password(BOB, low_policy())) for n in range(12)])
        before = self.db_bytes()
        empty = self.users_file(name="empty.json")
        keep_one = self.users_file(user("user00"), user("alice", ALICE), name="one.json")
        explicit = self.users_file(user("user00"), user("user01", disabled=True), user("user02", disabled=True),
                                   name="explicit.json")
        cases = [
            ([empty], "%s: the file lists no users, so --disable-missing would disable every user of the database (12): "
                      "refusing, since an empty file is more likely a mistake than a wish; to disable users, list them "
                      'with "disabled: true"' % empty),
            (["--max-disable", "all", empty], None),
            ([keep_one], "%s: --disable-missing would disable 11 users that are not in the file, more than "
                         "--max-disable 10: refusing; check the file, then allow it with --max-disable 11 "
                         "(or --max-disable all)" % keep_one),
            (["--max-disable", "8", explicit], "%s: --disable-missing would disable 9 users that are not in the file, "
                                               "more than --max-disable 8: refusing; check the file, then allow it "
                                               "with --max-disable 9 (or --max-disable all)" % explicit),
        ]
        for options, message in cases:
            for dry in ([], ["--dry-run"]):
                with self.subTest(options=options, dry=dry):
                    result = self.cli("sync-users", "--disable-missing", *(dry + options))
                    self.assertEqual((result.code, result.stdout), (65, ""))
                    self.assertEqual(result.stderr, (message or result.stderr.splitlines()[0]) + "\n")
                    self.assertEqual(self.db_bytes(), before, "nothing written")
        self.assertEqual(self.query("SELECT count(*) FROM sync_runs"), [(1,)])
        # The limits, met: the run goes through.
        self.assert_ok(self.cli("sync-users", "--disable-missing", "--max-disable", "9", explicit),
                       SUMMARY % (0, 0, 11, 0, 1, 9))
        self.assert_ok(self.cli("sync-users", "--disable-missing", "--max-disable", "0", explicit),
                       SUMMARY % (0, 0, 0, 0, 3, 9))

    def test_bad_max_disable_is_a_usage_error(self):
        for value in ("-1", "ten", "", "1e3", "ALL", "\u0661"):
            with self.subTest(value=value):
                result = self.sync(user("alice", ALICE), options=["--disable-missing", "--max-disable", value])
                self.assertEqual(result.code, 64)
                self.assertIn("--max-disable", result.stderr)
        self.assertFalse(os.path.exists(self.db))

    def test_dry_run_equals_the_real_run(self):
        self.sync(user("alice", ALICE), user("bob", BOB), user("carol", CAROL, disabled=True), user("dave", DAVE),
                  user("erin", disabled=True))
        entries = [user("alice", ALICE2, reset=True, disabled=True), user("carol", BOB, reset=True, disabled=False),
                   user("frank", disabled=True), user("gina", DAVE), user("erin", ALICE, reset=True)]
        for before_command, options in ((["-v"], []), ([], ["--format", "json"])):
            with self.subTest(options=options):
                path = self.users_file(*entries)
                before = self.db_bytes()
                dry = self.cli(*(before_command + ["sync-users", "--disable-missing", "--dry-run"] + options + [path]))
                self.assertEqual(self.db_bytes(), before)
                real = self.cli(*(before_command + ["sync-users", "--disable-missing"] + options + [path]))
                self.assertEqual((dry.code, real.code), (0, 0), dry.stderr + real.stderr)
                if not options:
                    self.assertEqual(dry.stdout, real.stdout[:-1] + " (dry run)\n")
                    self.assertIn("password reset and disabled alice", real.stdout)
                    self.assertIn("password reset and enabled carol", real.stdout)
                else:
                    self.assertEqual(dict(json.loads(dry.stdout), dry_run=False), json.loads(real.stdout))
                # Put the database back for the second format.
                with open(self.db, "wb") as handle:
                    handle.write(before)

    def test_a_second_run_writes_no_user_and_no_change(self):
        self.sync(user("alice", ALICE), user("bob", BOB), user("carol", CAROL))
        path = self.users_file(user("alice", ALICE2, reset=True, disabled=True), user("bob", disabled=False),
                               user("dave", DAVE, disabled=True))
        self.assert_ok(self.cli("sync-users", "--disable-missing", path), SUMMARY % (1, 1, 3, 0, 1, 1))
        users = self.query("SELECT * FROM users ORDER BY id")
        changes = self.changes()
        self.assert_ok(self.cli("sync-users", "--disable-missing", path), SUMMARY % (0, 0, 0, 0, 3, 1))
        self.assertEqual(self.query("SELECT * FROM users ORDER BY id"), users)
        self.assertEqual(self.changes(), changes)
        self.assertEqual(self.query("SELECT count(*) FROM sync_runs"), [(3,)], "still one sync_runs row per run")

    def test_version_1_database_is_upgraded_by_the_first_sync(self):
        import shutil

        shutil.copyfile(os.path.join(support.DATA, "schema-v1.sqlite"), self.db)
        before = self.db_bytes()
        path = self.users_file(user("alice"), user("dave"), user("carol", disabled=True))
        result = self.cli("-v", "sync-users", "--disable-missing", "--dry-run", path)
        self.assert_ok(result, "unchanged alice\nunchanged dave\ndisabled carol\ndisabled bob: not in the file\n"
                       + (SUMMARY % (0, 0, 2, 0, 2, 1))[:-1] + " (dry run)\n")
        self.assertEqual(self.db_bytes(), before, "a dry run leaves version 1 as it is")
        self.assert_ok(self.cli("sync-users", "--disable-missing", path), SUMMARY % (0, 0, 2, 0, 2, 1))
        self.assertEqual(self.query("PRAGMA user_version"), [(schema.SCHEMA_VERSION,)])
        self.assertEqual(self.row("bob")[0], users_table.DISABLED_HASH)
        self.assertEqual([change[:3] for change in self.changes()], [("carol", "disabled", 4), ("bob", "disabled", 4)])
        self.assertEqual(self.query("SELECT source_sha256 FROM sync_runs WHERE id < 4"), [("",)] * 3)


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
        self.assert_ok(result, "created 0, password reset 0, disabled 0, enabled 0, unchanged 2, not in file 0\n")
        self.assertEqual(calls, [["bob"], []], "bob's stored hash is verified, nothing more is hashed")
        self.assertEqual(self.users()["bob"][1], made)
        self.assertEqual(self.query("SELECT created, unchanged FROM sync_runs ORDER BY id DESC LIMIT 1"), [(0, 2)])

    def test_password_changed_meanwhile_is_reset_again(self):
        self.sync(user("alice", ALICE))
        other_hash = passwords.hash_password(ALICE2, low_policy())

        def other_run(connection):
            connection.execute("UPDATE users SET password_hash = ? WHERE username = 'alice'", (other_hash,))

        result, calls = self.run_with_interloper([user("alice", ALICE, reset=True)], other_run)
        self.assert_ok(result, "created 0, password reset 1, disabled 0, enabled 0, unchanged 0, not in file 0\n")
        self.assertEqual(calls, [[], ["alice"]], "hashed under the lock, the only way to avoid a lost update")
        self.assertTrue(passwords.verify_password(ALICE, self.users()["alice"][1]))

    def test_user_deleted_meanwhile_is_created(self):
        self.sync(user("alice", ALICE), user("bob", BOB))

        def other_run(connection):
            connection.execute("DELETE FROM users WHERE username = 'bob'")

        result, calls = self.run_with_interloper([user("alice", ALICE), user("bob", BOB)], other_run)
        self.assert_ok(result, "created 1, password reset 0, disabled 0, enabled 0, unchanged 1, not in file 0\n")
        self.assertTrue(passwords.verify_password(BOB, self.users()["bob"][1]))

    def test_no_change_meanwhile_reads_nothing_again(self):
        self.sync(user("alice", ALICE))

        with mock.patch.object(store.UserStore, "snapshot", autospec=True, side_effect=store.UserStore.snapshot) as spy:
            result = self.sync(user("alice", ALICE, reset=True), user("bob", BOB))
        self.assert_ok(result, "created 1, password reset 0, disabled 0, enabled 0, unchanged 1, not in file 0\n")
        self.assertEqual(spy.call_count, 1)


class HardeningTest(SyncTestCase):
    """Issue 9 items 9, 10, 11, 14, 17 and issue 10 item 2, through the command line."""

    def test_users_file_name_that_is_not_utf8(self):
        name = os.fsdecode(b"us\xffers.json")
        path = self.write(name, json.dumps({"users": [user("alice", ALICE)]}))
        result = self.cli("sync-users", path)
        self.assert_ok(result, "created 1, password reset 0, disabled 0, enabled 0, unchanged 0, not in file 0\n")
        source = self.query("SELECT source FROM sync_runs")[0][0]
        self.assertEqual(source, os.path.join(self.tmp, "us\\xffers.json"))

    def test_a_failing_first_write_leaves_no_database(self):
        for error in ("database or disk is full", "disk I/O error"):
            with self.subTest(error=error):
                failure = database_errors.database_error(sqlite3.OperationalError(error), self.db)
                with mock.patch.object(store.UserStore, "add_sync_run", side_effect=failure):
                    result = self.sync(user("alice", ALICE))
                self.assertEqual(result.code, 74, result.stderr)
                self.assertEqual(os.listdir(self.tmp), ["users.json"])

    def test_not_a_regular_file(self):
        fifo = self.path("fifo.db")
        os.mkfifo(fifo)
        journal_before = os.path.exists(os.devnull + "-journal")  # another program's stray file
        for path, kind in [(os.devnull, "a character device"), (fifo, "a FIFO (named pipe)"), (self.tmp, "a directory")]:
            for options in ([], ["--dry-run"]):
                with self.subTest(path=path, options=options):
                    users = self.users_file(user("alice", ALICE))
                    result = support.run_cli(["--db", path, "sync-users"] + options + [users], environ=ENV)
                    self.assertEqual(result.code, 73)
                    self.assertEqual(
                        result.stderr,
                        "prospector-scheduler: error: cannot open the database %s: it is %s, not a regular file\n"
                        % (path, kind),
                    )
                    result = support.run_cli(["--db", path, "list-users"], environ=ENV)
                    self.assertEqual(result.code, 73)
        self.assertEqual(os.path.exists(os.devnull + "-journal"), journal_before)
        self.assertFalse(os.path.exists(fifo + "-journal"))

    def test_an_applications_unique_email_index(self):
        self.sync(user("alice", ALICE, "shared@example.com"))
        self.query("CREATE UNIQUE INDEX users_email ON users (email)")
        before = self.db_bytes()
        result = self.sync(user("alice", ALICE, "shared@example.com"), user("bob", BOB, "shared@example.com"))
        self.assertEqual(result.code, 65)
        self.assertEqual(
            result.stderr,
            fallback_warning() + "prospector-scheduler: warning: %s\n"
            "prospector-scheduler: error: the database %s refuses this data: UNIQUE constraint failed: users.email "
            "(a rule of the database, not of prospector-scheduler; nothing was written)\n"
            % (passwords.below_standard(low_policy()), self.db),
        )
        self.assertEqual(self.db_bytes(), before)

    def test_foreign_databases(self):
        cases = [
            ("PRAGMA user_version = 1", "has schema version 1 but no table sync_runs"),
            ("CREATE TABLE users (name TEXT)", "has a table users but no prospector-scheduler schema version"),
        ]
        for sql, message in cases:
            for command in (["sync-users", self.users_file(user("alice", ALICE))], ["sync-users", "--dry-run",
                            self.users_file(user("alice", ALICE))], ["list-users"], ["list-users", "--format", "json"]):
                with self.subTest(sql=sql, command=command):
                    if os.path.exists(self.db):
                        os.unlink(self.db)
                    self.query(sql)
                    before = self.db_bytes()
                    result = self.cli(*command)
                    self.assertEqual(result.code, 73, result.stderr)
                    self.assertIn(message, result.stderr)
                    self.assertEqual(result.stdout, "")
                    self.assertEqual(self.db_bytes(), before)

    def test_wait_is_bounded(self):
        for value in ("2147484", "86401", "inf"):
            with self.subTest(value=value):
                result = self.sync(user("alice", ALICE), options=["--wait", value])
                self.assertEqual(result.code, 64)
                self.assertEqual(
                    result.stderr,
                    "prospector-scheduler: error: sync-users: argument --wait: expected a number of seconds from 0 "
                    "to 86400 (a day), got %r (see 'prospector-scheduler sync-users --help')\n" % value,
                )
        self.assertFalse(os.path.exists(self.db))
        self.assert_ok(self.sync(user("alice", ALICE), options=["--wait", "86400"]),
                       "created 1, password reset 0, disabled 0, enabled 0, unchanged 0, not in file 0\n")
        self.assertEqual(sync_users.MAX_WAIT, store.MAX_WAIT)

    def test_empty_db_option_is_refused(self):
        for command in (["sync-users", self.users_file(user("alice", ALICE))], ["list-users"]):
            with self.subTest(command=command):
                result = support.run_cli(["--db", ""] + command, environ=ENV)
                self.assertEqual(result.code, 64)
                self.assertEqual(
                    result.stderr,
                    "prospector-scheduler: error: --db: the path is empty (leave out --db for the default, "
                    "prospector.db)\n",
                )
        self.assertEqual(sorted(os.listdir(self.tmp)), ["users.json"])


class NewDatabaseNoticeTest(SyncTestCase):
    """Issue 10.2: a sync that creates a database says so; loudly when the path was only the default."""

    def run_in(self, args, env):
        previous = os.getcwd()
        os.chdir(self.tmp)
        try:
            return support.run_cli(args, environ=dict(ENV, **env))
        finally:
            os.chdir(previous)

    def test_default_path(self):
        users = self.users_file(user("alice", ALICE))
        warning = (
            "prospector-scheduler: warning: created a new database prospector.db in the working directory, as "
            "neither --db nor $PROSPECTOR_DB was given: if the application reads another database, give its "
            "path with --db\n"
        )
        for quiet in ([], ["-q"]):
            with self.subTest(quiet=quiet):
                if os.path.exists(self.db):
                    os.unlink(self.db)
                result = self.run_in(quiet + ["sync-users", users], {"PROSPECTOR_DB": ""})
                self.assertEqual(result.code, 0)
                self.assertEqual(result.stderr.splitlines(True)[-1], warning)
                again = self.run_in(quiet + ["sync-users", users], {})
                self.assertNotIn("created a new database", again.stderr)

    def test_explicit_path(self):
        users = self.users_file(user("alice", ALICE))
        for args, env in [(["--db", self.db], {}), ([], {"PROSPECTOR_DB": self.db})]:
            for quiet in ([], ["-q"]):
                with self.subTest(args=args, env=env, quiet=quiet):
                    if os.path.exists(self.db):
                        os.unlink(self.db)
                    result = support.run_cli(args + quiet + ["sync-users", users], environ=dict(ENV, **env))
                    self.assertEqual(result.code, 0)
                    notice = "prospector-scheduler: created a new database at %s\n" % self.db
                    self.assertEqual(notice in result.stderr, not quiet)
                    self.assertNotIn("warning: created", result.stderr)

    def test_dry_run_tells_there_is_none(self):
        result = self.cli("sync-users", "--dry-run", self.users_file(user("alice", ALICE)))
        self.assertEqual(result.code, 0)
        self.assertIn(
            "prospector-scheduler: there is no database at %s yet: a run without --dry-run creates it\n" % self.db,
            result.stderr,
        )
        self.assertFalse(os.path.exists(self.db))
