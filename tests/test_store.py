"""Tests for prospector_scheduler.store: the file, its schema, its locks and its errors."""

import hashlib
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import time
import unittest
from unittest import mock

from prospector_scheduler import (
    database_errors, database_files, job_history, passwords, schema, store, sync_runs, user_changes, users_table,
)
from prospector_scheduler.errors import BusyError, CantCreateError, DataError, OutputError
from tests import support
from tests.support import without_root_privileges

TIME_PATTERN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def facts(*paths):
    """What every permission message ends with: each path's owner and mode, and who runs."""
    import grp
    import pwd

    described = []
    for path in paths:
        status = os.stat(path)
        described.append("%s is owned by %s:%s with mode %04o" % (
            path, pwd.getpwuid(status.st_uid).pw_name, grp.getgrgid(status.st_gid).gr_name,
            stat.S_IMODE(status.st_mode)))
    return "%s; this runs as %s" % ("; ".join(described), pwd.getpwuid(os.geteuid()).pw_name)


def run_record(**changes):
    fields = dict(
        started_at="2024-05-01T02:00:00Z",
        ended_at="2024-05-01T02:00:01Z",
        source="/etc/prospector/users.yaml",
        source_sha256="ab" * 32,
        created=2,
        password_reset=1,
        unchanged=5,
        host="db1",
        os_user="prospector",
        tool_version="0.1.0",
    )
    fields.update(changes)
    return sync_runs.SyncRun(**fields)


class StoreTestCase(unittest.TestCase):
    def setUp(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.directory = directory.name
        self.path = os.path.join(self.directory, "prospector.db")

    def open(self, **options):
        opened = store.open_database(self.path, **options)
        self.addCleanup(opened.close)
        return opened

    def file_bytes(self):
        with open(self.path, "rb") as handle:
            return handle.read()

    def raw(self, sql, parameters=()):
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            return connection.execute(sql, parameters).fetchall()
        finally:
            connection.close()


class CreateTest(StoreTestCase):
    def test_new_database_has_the_schema(self):
        self.open()
        self.assertEqual(self.raw("PRAGMA user_version"), [(schema.SCHEMA_VERSION,)])
        tables = [row[0] for row in self.raw("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        self.assertEqual(tables, ["job_runs", "sync_runs", "user_changes", "users"])
        columns = [row[1] for row in self.raw("PRAGMA table_info(users)")]
        self.assertEqual(columns, ["id", "username", "email", "password_hash", "created_at", "updated_at",
                                   "disabled_at", "kept_password_hash"])

    def test_new_database_and_its_journal_are_owner_only_whatever_the_umask(self):
        old_umask = os.umask(0)
        try:
            opened = self.open()
            with opened.write_transaction():
                opened.add_users([("alice", None, "$scrypt$x")], store.utc_now())
                journal = self.path + "-journal"
                self.assertTrue(os.path.exists(journal), "a write in progress has a rollback journal")
                self.assertEqual(stat.S_IMODE(os.stat(journal).st_mode), 0o600)
        finally:
            os.umask(old_umask)
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)
        self.assertFalse(os.path.exists(self.path + "-journal"), "the journal is gone after commit")
        self.assertFalse(os.path.exists(self.path + "-wal"))

    def test_existing_permissions_are_kept(self):
        self.open().close()
        os.chmod(self.path, 0o640)
        self.open().close()
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o640)

    def test_empty_file_becomes_a_database(self):
        open(self.path, "wb").close()
        self.open()
        self.assertEqual(self.raw("PRAGMA user_version"), [(schema.SCHEMA_VERSION,)])

    def test_create_false_refuses_a_missing_file(self):
        with self.assertRaises(CantCreateError) as caught:
            store.open_database(self.path, create=False)
        self.assertEqual(caught.exception.message, "there is no database at %s" % self.path)
        self.assertFalse(os.path.exists(self.path))


class OpenErrorsTest(StoreTestCase):
    def assert_cannot(self, path, message, **options):
        with self.assertRaises(CantCreateError) as caught:
            store.open_database(path, **options)
        self.assertEqual(caught.exception.message, message)
        self.assertEqual(caught.exception.exit_code, 73)

    def test_missing_directory(self):
        missing = os.path.join(self.directory, "no", "such")
        path = os.path.join(missing, "x.db")
        for options in ({}, {"read_only": True}):
            with self.subTest(options=options):
                if options:
                    message = "cannot open the database %s: the directory %s does not exist" % (path, missing)
                else:
                    message = "cannot create the database %s: the directory %s does not exist" % (path, missing)
                self.assert_cannot(path, message, **options)
        self.assertFalse(os.path.exists(missing))

    def test_check_creatable_creates_nothing(self):
        missing = os.path.join(self.directory, "no")
        path = os.path.join(missing, "x.db")
        with self.assertRaises(CantCreateError) as caught:
            database_files.check_creatable(path)
        self.assertEqual(
            caught.exception.message, "cannot create the database %s: the directory %s does not exist" % (path, missing)
        )
        database_files.check_creatable(self.path)
        self.assertEqual(os.listdir(self.directory), [])

    def test_not_a_database(self):
        contents = [
            b"users:\n  - username: alice\n",
            b"SQLite format 3\x00" + b"\xff" * 200,
            b"\x00" * 4096,
        ]
        for content in contents:
            for options in ({}, {"read_only": True}):
                with self.subTest(content=content[:20], options=options):
                    with open(self.path, "wb") as handle:
                        handle.write(content)
                    self.assert_cannot(self.path, "%s is not an SQLite database" % self.path, **options)
                    self.assertEqual(self.file_bytes(), content)

    def test_a_directory(self):
        os.mkdir(self.path)
        self.assert_cannot(self.path, "cannot open the database %s: it is a directory, not a regular file" % self.path)

    def test_newer_schema_is_refused(self):
        self.open().close()
        self.raw("PRAGMA user_version = %d" % (schema.SCHEMA_VERSION + 1))
        before = self.file_bytes()
        from prospector_scheduler import __version__

        message = (
            "the database %s has schema version %d, newer than the version %d that "
            "prospector-scheduler %s knows: upgrade prospector-scheduler"
            % (self.path, schema.SCHEMA_VERSION + 1, schema.SCHEMA_VERSION, __version__)
        )
        for options in ({}, {"read_only": True}):
            with self.subTest(options=options):
                self.assert_cannot(self.path, message, **options)
        self.assertEqual(self.file_bytes(), before)

    def test_foreign_users_table_is_refused(self):
        self.raw("CREATE TABLE users (name TEXT)")
        before = self.file_bytes()
        self.assert_cannot(
            self.path,
            "the database %s has a table users but no prospector-scheduler schema version: "
            "it was not made by this tool, refusing to change it" % self.path,
        )
        self.assertEqual(self.file_bytes(), before)

    def test_read_only_directory(self):
        locked = os.path.join(self.directory, "locked")
        os.mkdir(locked, 0o500)
        self.addCleanup(os.chmod, locked, 0o700)
        path = os.path.join(locked, "x.db")
        with without_root_privileges(self.directory, locked):
            self.assert_cannot(
                path, "cannot create the database %s: permission denied in %s; %s" % (path, locked, facts(locked))
            )

    def test_read_only_file(self):
        self.open().close()
        os.chmod(self.path, 0o400)
        with without_root_privileges(self.directory, self.path):
            self.assert_cannot(
                self.path,
                "the database %s is not writable: the file must be readable and writable; %s"
                % (self.path, facts(self.path)),
            )

    def test_existing_file_in_read_only_directory(self):
        self.open().close()
        os.chmod(self.directory, 0o500)
        self.addCleanup(os.chmod, self.directory, 0o700)
        with without_root_privileges(self.directory, self.path):
            self.assert_cannot(
                self.path,
                "the database %s cannot be written: its directory %s must be writable "
                "(SQLite creates its journal there); %s" % (self.path, self.directory, facts(self.directory)),
            )

    @unittest.skipUnless(os.geteuid() == 0, "only for root")
    def test_read_only_location_as_root(self):
        path = "/sys/prospector-test.db"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except PermissionError:
            pass
        else:
            os.unlink(path)
            self.skipTest("/sys is writable here")
        self.assert_cannot(path, "cannot create the database %s: permission denied in /sys; %s" % (path, facts("/sys")))


class MigrationTest(StoreTestCase):
    def test_migrations_run_only_the_missing_steps(self):
        opened = self.open()
        with opened.write_transaction():
            opened.add_users([("alice", "a@example.com", "$scrypt$x")], "2024-05-01T02:00:00Z")
        opened.close()
        newer = schema.MIGRATIONS + ((schema.SCHEMA_VERSION + 1, ("ALTER TABLE users ADD COLUMN note TEXT",)),)
        with mock.patch.object(schema, "MIGRATIONS", newer), mock.patch.object(
            schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1
        ):
            self.open().close()
            self.open().close()  # a second open has nothing to do (a repeat would fail: duplicate column)
        self.assertEqual(self.raw("PRAGMA user_version"), [(schema.SCHEMA_VERSION + 1,)])
        self.assertEqual(self.raw("SELECT username, note FROM users"), [("alice", None)])

    def test_upgrade_inside_a_transaction_is_undone_with_it(self):
        open(self.path, "wb").close()
        opened = self.open(upgrade=False)
        self.assertEqual(opened.schema_version(), 0)
        with self.assertRaises(ZeroDivisionError):
            with opened.write_transaction():
                opened.upgrade()
                opened.add_users([("alice", None, "h")], store.utc_now())
                1 / 0
        self.assertEqual(self.file_bytes(), b"")
        with opened.write_transaction():
            opened.upgrade()
            opened.add_users([("alice", None, "h")], store.utc_now())
        self.assertEqual(self.raw("SELECT username FROM users"), [("alice",)])
        self.assertEqual(self.raw("PRAGMA user_version"), [(schema.SCHEMA_VERSION,)])

    def test_failed_migration_changes_nothing(self):
        self.open().close()
        before = self.file_bytes()
        broken = schema.MIGRATIONS + (
            (schema.SCHEMA_VERSION + 1, ("ALTER TABLE users ADD COLUMN note TEXT", "NOT SQL")),
        )
        with mock.patch.object(schema, "MIGRATIONS", broken), mock.patch.object(
            schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1
        ):
            with self.assertRaises(sqlite3.OperationalError):
                store.open_database(self.path)
        self.assertEqual(self.file_bytes(), before)


V1_USERS = ["alice", "bob", "carol", "dave"]


class FixtureMigrationTest(StoreTestCase):
    """The version-1 files that f662bb7 wrote (tests/make_schema_fixtures.py), upgraded to today's schema."""

    def copy_fixture(self, name):
        shutil.copyfile(os.path.join(support.DATA, name), self.path)
        if os.path.exists(os.path.join(support.DATA, name + "-journal")):
            shutil.copyfile(os.path.join(support.DATA, name + "-journal"), self.path + "-journal")

    def v1_content(self):
        connection = sqlite3.connect("file:%s?mode=ro" % os.path.join(support.DATA, "schema-v1.sqlite"), uri=True)
        try:
            return (
                connection.execute("SELECT * FROM users ORDER BY id").fetchall(),
                connection.execute("SELECT * FROM sync_runs ORDER BY id").fetchall(),
            )
        finally:
            connection.close()

    def test_version_1_file_is_read_without_upgrading(self):
        self.copy_fixture("schema-v1.sqlite")
        before = self.file_bytes()
        opened = self.open(read_only=True)
        self.assertEqual(opened.schema_version(), 1)
        users = opened.list_users()
        self.assertEqual([(u.username, u.disabled_at, u.kept_password_hash) for u in users],
                         [(name, None, None) for name in V1_USERS])
        self.assertEqual(opened.list_users(disabled=True), [])
        self.assertEqual([u.username for u in opened.list_users(disabled=False)], V1_USERS)
        _, stored = opened.snapshot()
        self.assertEqual(sorted(stored.emails), V1_USERS)
        self.assertEqual(stored.hashes["alice"], users[0].password_hash)
        self.assertEqual(stored.disabled, {})
        self.assertEqual([(run.created, run.disabled, run.not_in_file) for run in opened.sync_runs()],
                         [(3, 0, None), (1, 0, None), (0, 0, None)])
        self.assertEqual(opened.user_changes(), [])
        self.assertEqual(self.file_bytes(), before)

    def test_version_1_file_upgrades_keeping_every_row(self):
        self.copy_fixture("schema-v1.sqlite")
        users_before, runs_before = self.v1_content()
        self.open().close()
        self.assertEqual(self.raw("PRAGMA user_version"), [(schema.SCHEMA_VERSION,)])
        self.assertEqual(self.raw("PRAGMA integrity_check"), [("ok",)])
        # Every user as it was, byte for byte, enabled and with no hash kept aside.
        self.assertEqual(self.raw("SELECT * FROM users ORDER BY id"), [row + (None, None) for row in users_before])
        runs = self.raw("SELECT * FROM sync_runs ORDER BY id")
        self.assertEqual(len(runs), 3)
        for before, after in zip(runs_before, runs):
            self.assertEqual(len(before[4]), 64, "version 1 wrote a plain SHA-256")
            # The old digests could check a password guess: blanked. Nothing else changes.
            self.assertEqual(after, before[:4] + ("",) + before[5:] + (0, 0, None))
        self.assertEqual(self.raw("SELECT count(*) FROM user_changes"), [(0,)])

    def test_version_2_digests_survive_the_migration(self):
        self.copy_fixture("schema-v1.sqlite")
        kept = sync_runs.SOURCE_DIGEST_PREFIX + "ab" * 32
        self.raw("UPDATE sync_runs SET source_sha256 = ? WHERE id = 2", (kept,))
        self.raw("UPDATE sync_runs SET source_sha256 = ? WHERE id = 3", ("NOSECRETS-SHA256:" + "ab" * 32,))
        self.open().close()
        self.assertEqual(self.raw("SELECT source_sha256 FROM sync_runs ORDER BY id"), [("",), (kept,), ("",)])

    def test_hot_journal_of_a_killed_version_1_writer(self):
        self.copy_fixture("schema-v1-hot-journal.sqlite")
        self.assertTrue(os.path.exists(self.path + "-journal"))
        users_before, runs_before = self.v1_content()
        with self.assertRaises(CantCreateError) as caught:
            self.open(read_only=True).list_users()
        self.assertIn("holds the unfinished write of an interrupted run", caught.exception.message)
        opened = self.open(upgrade=False)
        with opened.write_transaction():
            opened.upgrade()
            self.assertEqual(opened.schema_version(), schema.SCHEMA_VERSION)
        opened.close()
        self.assertFalse(os.path.exists(self.path + "-journal"))
        self.assertEqual(self.raw("PRAGMA integrity_check"), [("ok",)])
        # The killed run's 300 users and its reset are gone: the state before it, upgraded.
        self.assertEqual(self.raw("SELECT * FROM users ORDER BY id"), [row + (None, None) for row in users_before])
        self.assertEqual(self.raw("SELECT count(*) FROM sync_runs"), [(len(runs_before),)])

    def test_version_2_file_upgrades_keeping_every_row(self):
        self.copy_fixture("schema-v2.sqlite")
        tables = ("users", "sync_runs", "user_changes")
        before = dict((table, self.raw("SELECT * FROM %s ORDER BY id" % table)) for table in tables)
        self.assertEqual(self.raw("PRAGMA user_version"), [(2,)])
        opened = self.open(read_only=True)
        self.assertEqual([u.username for u in opened.list_users(disabled=True)], ["bob", "dave", "erin"])
        self.assertEqual(len(opened.user_changes()), 12)
        opened.close()
        self.open().close()
        self.assertEqual(self.raw("PRAGMA user_version"), [(schema.SCHEMA_VERSION,)])
        self.assertEqual(self.raw("PRAGMA integrity_check"), [("ok",)])
        for table in tables:
            self.assertEqual(self.raw("SELECT * FROM %s ORDER BY id" % table), before[table], table)

    def test_version_3_file_is_read_as_written(self):
        # Made by main at f210191, the release of schema version 3 (tests/make_schema_fixtures.py v3).
        self.copy_fixture("schema-v3.sqlite")
        before = self.file_bytes()
        self.assertEqual(self.raw("PRAGMA user_version"), [(3,)])
        for read_only in (True, False):
            with self.subTest(read_only=read_only):
                opened = self.open(read_only=read_only)
                self.assertEqual(opened.schema_version(), 3)
                users = dict((user.username, user) for user in opened.list_users())
                self.assertEqual(
                    [(u.username, u.email, u.password_hash == users_table.DISABLED_HASH, u.kept_password_hash is not None,
                      u.disabled_at is not None) for u in opened.list_users()],
                    [("alice", "alice@example.com", False, False, False), ("bob", None, True, True, True),
                     ("carol", None, True, True, True), ("dave", "dave@example.org", True, True, True),
                     ("erin", None, True, False, True)])
                for username, password in (("alice", "pw-fixture-alice-1"), ("bob", "pw-fixture-bob-1"),
                                           ("carol", "pw-fixture-carol-2"), ("dave", "pw-fixture-dave-1")):
                    self.assertTrue(users[username].real_hash.startswith("$scrypt$"), username)
                    if hasattr(hashlib, "scrypt"):  # some builds (this machine's 3.6) lack it
                        self.assertTrue(passwords.verify_password(password, users[username].real_hash), username)
                self.assertIsNone(users["erin"].real_hash)
                self.assertEqual([u.username for u in opened.list_users(disabled=True)], ["bob", "carol", "dave", "erin"])
                self.assertEqual(
                    [(r.created, r.password_reset, r.disabled, r.enabled, r.unchanged, r.not_in_file)
                     for r in opened.sync_runs()],
                    [(5, 0, 1, 0, 0, 0), (0, 1, 3, 0, 2, 1), (0, 0, 0, 0, 4, 1)])
                for run in opened.sync_runs():
                    self.assertTrue(run.source_sha256.startswith(sync_runs.SOURCE_DIGEST_PREFIX), run.source_sha256)
                self.assertEqual(
                    [(c.username, c.change, c.sync_run, c.command) for c in opened.user_changes()],
                    [("alice", "created", 1, "sync-users"), ("bob", "created", 1, "sync-users"),
                     ("carol", "created", 1, "sync-users"), ("dave", "created", 1, "sync-users"),
                     ("erin", "created", 1, "sync-users"), ("erin", "disabled", 1, "sync-users"),
                     ("carol", "password reset", 2, "sync-users"), ("carol", "disabled", 2, "sync-users"),
                     ("dave", "disabled", 2, "sync-users"), ("bob", "disabled", 2, "sync-users")])
                runs = job_history.JobHistory(opened, host="test").runs()
                self.assertEqual(
                    [(r.id, r.job, r.scheduled_for, r.trigger, r.exit_code, r.outcome) for r in runs],
                    [(6, "broken", "2026-11-30T00:00:00Z", "catch-up", 66, "failed"),
                     (5, "check", "2026-11-29T00:00:00Z", "catch-up", 0, "ok"),
                     (4, "sync", "2026-11-29T02:00:00Z", "catch-up", 0, "ok"),
                     (3, "broken", None, "manual", 66, "failed"),
                     (2, "check", None, "manual", 0, "ok"),
                     (1, "sync", None, "manual", 0, "ok")])
                for run in runs:
                    self.assertIsNotNone(run.ended_at)
                    self.assertIsInstance(run.duration, float)
                opened.close()
        self.assertEqual(self.file_bytes(), before, "opening the newest schema changes no byte")

    def test_a_failed_first_write_leaves_version_1(self):
        self.copy_fixture("schema-v1.sqlite")
        before = self.file_bytes()
        opened = self.open(upgrade=False)
        with self.assertRaises(ZeroDivisionError):
            with opened.write_transaction():
                opened.upgrade()
                opened.add_users([users_table.NewUser("eve", None, users_table.DISABLED_HASH, None, "2024-05-01T02:00:00Z")],
                                 store.utc_now())
                1 / 0
        opened.close()
        self.assertEqual(self.file_bytes(), before)


class DisabledUsersTest(StoreTestCase):
    def test_disable_keep_and_enable(self):
        opened = self.open()
        with opened.write_transaction():
            opened.add_users([("alice", None, "h1"), ("bob", None, "h2"),
                              users_table.NewUser("eve", None, users_table.DISABLED_HASH, None, "T1")], "T0")

        def rows():
            return [(u.username, u.password_hash, u.kept_password_hash, u.disabled_at, u.updated_at, u.real_hash)
                    for u in opened.list_users()]

        with opened.write_transaction():
            opened.disable_users(["alice", "eve"], "T2")
        self.assertEqual(rows(), [("alice", users_table.DISABLED_HASH, "h1", "T2", "T2", "h1"),
                                  ("bob", "h2", None, None, "T0", "h2"),
                                  ("eve", users_table.DISABLED_HASH, None, "T1", "T0", None)], "eve was disabled already")
        _, stored = opened.snapshot()
        self.assertEqual(stored, ({"alice": None, "bob": None, "eve": None}, {"alice": "h1", "bob": "h2", "eve": None},
                                  {"alice": "T2", "eve": "T1"}))
        self.assertEqual(opened.snapshot([])[1].hashes, {"alice": "h1", "eve": None}, "a disabled user's hash always")
        self.assertEqual([u.username for u in opened.list_users(disabled=False)], ["bob"])
        self.assertEqual([u.username for u in opened.list_users(disabled=True)], ["alice", "eve"])
        with opened.write_transaction():
            opened.keep_password_hashes([("alice", "h3"), ("bob", "never")], "T3")
        with opened.write_transaction():
            opened.enable_users(["alice", "bob"], "T4")
        self.assertEqual(rows(), [("alice", "h3", None, None, "T4", "h3"), ("bob", "h2", None, None, "T0", "h2"),
                                  ("eve", users_table.DISABLED_HASH, None, "T1", "T0", None)])

    def test_user_changes_round_trip_and_refuse_an_unknown_change(self):
        opened = self.open()
        changes = [user_changes.UserChange("T1", "alice", change, 1, "sync-users", "prospector", "db1")
                   for change in user_changes.CHANGES]
        with opened.write_transaction():
            opened.add_user_changes(changes)
        self.assertEqual(opened.user_changes(), changes)
        self.assertEqual(opened.user_changes("bob"), [])
        with self.assertRaises(sqlite3.IntegrityError):
            with opened.write_transaction():
                opened.add_user_changes([changes[0]._replace(change="renamed")])

    def test_disabled_hash_is_no_hash(self):
        self.assertNotIn("$", users_table.DISABLED_HASH)
        self.assertTrue(users_table.DISABLED_HASH.startswith("!"))


class ReadOnlyTest(StoreTestCase):
    def test_read_only_open_of_missing_file_creates_nothing(self):
        with self.assertRaises(CantCreateError) as caught:
            store.open_database(self.path, read_only=True)
        self.assertEqual(caught.exception.message, "there is no database at %s" % self.path)
        self.assertEqual(os.listdir(self.directory), [])

    def test_read_only_open_of_an_empty_file_never_writes(self):
        open(self.path, "wb").close()
        opened = self.open(read_only=True)
        self.assertEqual(opened.snapshot()[1], ({}, {}, {}))
        self.assertEqual(opened.list_users(), [])
        self.assertEqual(opened.sync_runs(), [])
        self.assertEqual(self.file_bytes(), b"")

    def test_read_only_store_cannot_roll_back_an_interrupted_write(self):
        self.open().close()
        child = (
            "import os, signal, sys\n"
            "from prospector_scheduler import store\n"
            "database = store.open_database(sys.argv[1])\n"
            "database.connection.execute('PRAGMA cache_size = 10')\n"
            "database.connection.execute('BEGIN IMMEDIATE')\n"
            "database.add_users([('user%d' % n, None, 'h' * 500) for n in range(2000)], 'now')\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n"
        )
        subprocess.call(support.python_command("-c", child, self.path), env=support.process_environment())
        self.assertTrue(os.path.exists(self.path + "-journal"), "the killed write left a hot journal")
        with self.assertRaises(CantCreateError) as caught:
            self.open(read_only=True).list_users()
        self.assertEqual(
            caught.exception.message,
            "the database %s holds the unfinished write of an interrupted run, which a read-only "
            "command cannot roll back: run sync-users (without --dry-run) to repair it" % self.path,
        )
        self.assertEqual(self.open().list_users(), [], "a writer rolls it back")
        self.assertEqual(self.raw("PRAGMA integrity_check"), [("ok",)])


class ReadWriteTest(StoreTestCase):
    def test_users_round_trip_in_username_order(self):
        opened = self.open()
        with opened.write_transaction():
            opened.add_users([("bob", None, "h1"), ("alice", "a@example.com", "h2")], "2024-05-01T02:00:00Z")
        with opened.write_transaction():
            opened.set_password_hashes([("bob", "h3")], "2024-05-02T02:00:00Z")
        users = opened.list_users()
        self.assertEqual(
            [(u.username, u.email, u.password_hash, u.created_at, u.updated_at) for u in users],
            [
                ("alice", "a@example.com", "h2", "2024-05-01T02:00:00Z", "2024-05-01T02:00:00Z"),
                ("bob", None, "h3", "2024-05-01T02:00:00Z", "2024-05-02T02:00:00Z"),
            ],
        )
        version, stored = opened.snapshot()
        self.assertEqual(stored.emails, {"alice": "a@example.com", "bob": None})
        self.assertEqual(stored.hashes, {"alice": "h2", "bob": "h3"})
        self.assertEqual(opened.snapshot(["bob", "nobody"])[1], ({"alice": "a@example.com", "bob": None}, {"bob": "h3"}, {}))
        self.assertEqual(opened.snapshot([])[1].hashes, {})

    def test_sync_runs_round_trip(self):
        opened = self.open()
        with opened.write_transaction():
            opened.add_sync_run(run_record())
            opened.add_sync_run(run_record(source="<stdin>", created=0))
        self.assertEqual(opened.sync_runs(), [run_record(), run_record(source="<stdin>", created=0)])

    def test_exception_rolls_back_everything(self):
        opened = self.open()
        before = self.file_bytes()
        with self.assertRaises(ZeroDivisionError):
            with opened.write_transaction():
                opened.add_users([("alice", None, "h")], store.utc_now())
                opened.add_sync_run(run_record())
                1 / 0
        self.assertEqual(opened.list_users(), [])
        self.assertEqual(opened.sync_runs(), [])
        self.assertEqual(self.file_bytes(), before)

    def test_utc_now_format(self):
        self.assertRegex(store.utc_now(), TIME_PATTERN)

    def test_data_version_changes_only_for_other_connections(self):
        first = self.open()
        second = self.open()
        version, rows = first.snapshot()
        with first.write_transaction():
            first.add_users([("alice", None, "h")], store.utc_now())
        self.assertEqual(first.data_version(), version, "own commits do not count")
        with second.write_transaction():
            second.set_password_hashes([("alice", "h2")], store.utc_now())
        with first.write_transaction():
            self.assertNotEqual(first.data_version(), version)


class LockingTest(StoreTestCase):
    def test_second_writer_waits_then_gets_busy_error(self):
        holder = self.open()
        waiter = self.open(wait=0.3)
        with holder.write_transaction():
            started = time.monotonic()
            with self.assertRaises(BusyError) as caught:
                with waiter.write_transaction():
                    self.fail("the lock is held")
            waited = time.monotonic() - started
        self.assertGreaterEqual(waited, 0.25)
        self.assertEqual(caught.exception.exit_code, 75)
        self.assertEqual(
            caught.exception.message,
            "another run holds the database %s; gave up after waiting 0.3 seconds, try again later" % self.path,
        )
        with waiter.write_transaction():  # the lock is free again
            waiter.add_users([("alice", None, "h")], store.utc_now())

    def test_readers_wait_for_an_exclusive_lock_then_get_busy_error(self):
        opened = self.open(wait=0.1)
        opened.close()
        holder = sqlite3.connect(self.path, isolation_level=None)
        self.addCleanup(holder.close)
        holder.execute("BEGIN EXCLUSIVE")
        with self.assertRaises(BusyError):
            store.open_database(self.path, wait=0.1)
        with self.assertRaises(BusyError):
            store.open_database(self.path, wait=0.1, read_only=True)
        holder.execute("COMMIT")
        opened = self.open(wait=0.1)
        holder.execute("BEGIN EXCLUSIVE")
        with self.assertRaises(BusyError):
            opened.snapshot()
        holder.execute("ROLLBACK")
        self.assertEqual(opened.snapshot()[1], ({}, {}, {}))

    def test_full_disk_is_an_output_error(self):
        opened = self.open()
        pages = opened.connection.execute("PRAGMA page_count").fetchone()[0]
        opened.connection.execute("PRAGMA max_page_count = %d" % pages)
        with self.assertRaises(OutputError) as caught:
            with opened.write_transaction():
                opened.add_users([("user%d" % n, None, "h" * 100) for n in range(1000)], store.utc_now())
        self.assertEqual(caught.exception.exit_code, 74)
        self.assertEqual(caught.exception.message, "cannot write the database %s: the disk is full" % self.path)
        self.assertEqual(opened.list_users(), [])


class NotARegularFileTest(StoreTestCase):
    """Issue 9.14: a path that exists but is no regular file is refused (73) before SQLite touches it."""

    def special_files(self):
        import socket

        fifo = os.path.join(self.directory, "fifo.db")
        os.mkfifo(fifo)
        listening = socket.socket(socket.AF_UNIX)
        self.addCleanup(listening.close)
        sock = os.path.join(self.directory, "socket.db")
        listening.bind(sock)
        folder = os.path.join(self.directory, "folder.db")
        os.mkdir(folder)
        return [
            (os.devnull, "a character device"),
            (fifo, "a FIFO (named pipe)"),
            (sock, "a socket"),
            (folder, "a directory"),
        ]

    def test_refused_before_sqlite_opens_it(self):
        for path, kind in self.special_files():
            for options in ({}, {"read_only": True}, {"create": False}):
                with self.subTest(path=path, options=options):
                    with mock.patch.object(sqlite3, "connect", side_effect=AssertionError("SQLite was called")):
                        with self.assertRaises(CantCreateError) as caught:
                            store.open_database(path, **options)
                    self.assertEqual(
                        caught.exception.message, "cannot open the database %s: it is %s, not a regular file" % (path, kind)
                    )
                    self.assertEqual(caught.exception.exit_code, 73)
                    if path != os.devnull:  # another program may have left a /dev/null-journal
                        self.assertFalse(os.path.exists(path + "-journal"))

    def test_exists(self):
        self.assertFalse(database_files.exists(self.path))
        open(self.path, "wb").close()
        self.assertTrue(database_files.exists(self.path))
        link = os.path.join(self.directory, "link.db")
        os.symlink(self.path, link)
        self.assertTrue(database_files.exists(link), "a link to a regular file is that file")
        dangling = os.path.join(self.directory, "dangling.db")
        os.symlink(os.path.join(self.directory, "gone"), dangling)
        with self.assertRaises(CantCreateError) as caught:
            database_files.exists(dangling)
        self.assertEqual(
            caught.exception.message,
            "cannot open the database %s: it is a symbolic link to %s, which does not exist"
            % (dangling, os.path.join(self.directory, "gone")),
        )
        with self.assertRaises(CantCreateError) as caught:
            database_files.exists(os.path.join(self.path, "x.db"))
        self.assertEqual(
            caught.exception.message,
            "cannot open the database %s: a part of the path is not a directory" % os.path.join(self.path, "x.db"),
        )


class ForeignDatabaseTest(StoreTestCase):
    """Issue 9.10 and 9.17: databases this tool did not make are refused (73), nothing written."""

    def assert_refused(self, message, options_list=({}, {"read_only": True}, {"upgrade": False})):
        before = self.file_bytes()
        for options in options_list:
            with self.subTest(options=options):
                with self.assertRaises(CantCreateError) as caught:
                    store.open_database(self.path, **options)
                self.assertEqual(caught.exception.message, message)
                self.assertEqual(caught.exception.exit_code, 73)
        self.assertEqual(self.file_bytes(), before)

    def test_version_1_without_our_tables(self):
        self.raw("PRAGMA user_version = 1")
        self.assert_refused(
            "the database %s has schema version 1 but no table sync_runs: it was not made by this tool "
            "(or was damaged), refusing to use it" % self.path
        )
        self.raw("CREATE TABLE sync_runs (%s)" % ", ".join(schema.COLUMNS_OF_VERSION[1]["sync_runs"]))
        self.assert_refused(
            "the database %s has schema version 1 but no table users: it was not made by this tool "
            "(or was damaged), refusing to use it" % self.path
        )
        self.raw("CREATE TABLE users (id, username, email, created_at, updated_at)")
        self.assert_refused(
            "the database %s has schema version 1 but its table users has no column password_hash: it was "
            "not made by this tool (or was damaged), refusing to use it" % self.path
        )

    def test_negative_version(self):
        self.open().close()
        for version in (-5, -1):
            with self.subTest(version=version):
                self.raw("PRAGMA user_version = %d" % version)
                self.assert_refused(
                    "the database %s has schema version %d, which prospector-scheduler never writes: "
                    "it was not made by this tool, refusing to use it" % (self.path, version)
                )

    def test_version_0_with_a_foreign_users_table_is_refused_when_reading_too(self):
        self.raw("CREATE TABLE users (name TEXT)")
        self.raw("INSERT INTO users VALUES ('someone')")
        self.assert_refused(
            "the database %s has a table users but no prospector-scheduler schema version: "
            "it was not made by this tool, refusing to change it" % self.path
        )

    def test_an_applications_unique_index_is_a_data_error(self):
        opened = self.open()
        with opened.write_transaction():
            opened.add_users([("alice", "shared@example.com", "h")], store.utc_now())
        self.raw("CREATE UNIQUE INDEX users_email ON users (email)")
        before = self.file_bytes()
        for write in (
            lambda: opened.add_users([("bob", "shared@example.com", "h")], store.utc_now()),
            lambda: opened.add_users([("bob", "b@example.com", "h"), ("carol", "b@example.com", "h")], store.utc_now()),
        ):
            with self.assertRaises(DataError) as caught:
                with opened.write_transaction():
                    write()
            self.assertEqual(caught.exception.exit_code, 65)
            self.assertEqual(
                caught.exception.message,
                "the database %s refuses this data: UNIQUE constraint failed: users.email (a rule of the "
                "database, not of prospector-scheduler; nothing was written)" % self.path,
            )
        self.assertEqual(self.file_bytes(), before)

    def test_only_constraint_names_are_repeated(self):
        cases = [
            ("UNIQUE constraint failed: users.email", "UNIQUE constraint failed: users.email"),
            ("NOT NULL constraint failed: users.email", "NOT NULL constraint failed: users.email"),
            ("CHECK constraint failed: email_has_at", "CHECK constraint failed: email_has_at"),
            ("FOREIGN KEY constraint failed", "FOREIGN KEY constraint failed"),
            ("CHECK constraint failed: length(email) > 'Tr0ub4dor'", "a constraint or trigger of the database refused it"),
            ("emails must end in Tr0ub4dor&3", "a constraint or trigger of the database refused it"),
        ]
        for text, shown in cases:
            with self.subTest(text=text):
                translated = database_errors.database_error(sqlite3.IntegrityError(text), "x.db")
                self.assertEqual(
                    translated.message,
                    "the database x.db refuses this data: %s (a rule of the database, not of "
                    "prospector-scheduler; nothing was written)" % shown,
                )


class PermissionMessageTest(StoreTestCase):
    """Issue 10.3: every permission message names the path, its owner and mode, and the effective user."""

    def test_unreadable_database(self):
        self.open().close()
        os.chmod(self.path, 0o600)
        if os.geteuid() != 0:
            self.skipTest("needs another user to own the file")
        # root owns it; nobody may not read it.
        with without_root_privileges(self.directory):
            for options in ({"read_only": True}, {}):
                with self.subTest(options=options):
                    with self.assertRaises(CantCreateError) as caught:
                        store.open_database(self.path, **options)
                    if options:
                        expected = "cannot read the database %s: permission denied; %s" % (self.path, facts(self.path))
                    else:
                        expected = "the database %s is not writable: the file must be readable and writable; %s" % (
                            self.path, facts(self.path))
                    self.assertEqual(caught.exception.message, expected)
                    self.assertIn("is owned by root:root with mode 0600; this runs as nobody", expected)

    def test_unsearchable_directory_is_not_called_missing(self):
        os.chmod(self.directory, 0o700)
        self.open().close()
        if os.geteuid() != 0:
            self.skipTest("needs another user to own the directory")
        with without_root_privileges():
            for options in ({"read_only": True}, {}):
                with self.subTest(options=options):
                    with self.assertRaises(CantCreateError) as caught:
                        store.open_database(self.path, **options)
                    self.assertEqual(
                        caught.exception.message,
                        "cannot look at the database %s: permission denied on the directory %s; %s"
                        % (self.path, self.directory, facts(self.directory)),
                    )
            with self.assertRaises(CantCreateError) as caught:
                database_files.check_creatable(os.path.join(self.directory, "new.db"))
            self.assertEqual(
                caught.exception.message,
                "cannot create the database %s: permission denied in %s; %s"
                % (os.path.join(self.directory, "new.db"), self.directory, facts(self.directory)),
            )

    def test_wal_database_in_a_read_only_directory(self):
        opened = self.open()
        opened.connection.execute("PRAGMA journal_mode = WAL")
        opened.close()
        os.chmod(self.directory, 0o555)
        self.addCleanup(os.chmod, self.directory, 0o700)
        with without_root_privileges(self.directory, self.path):
            with self.assertRaises(CantCreateError) as caught:
                store.open_database(self.path, read_only=True)
            self.assertEqual(
                caught.exception.message,
                "cannot read the database %s: it is in WAL mode, and reading a WAL database needs its "
                "directory writable (SQLite creates %s-shm there); %s" % (self.path, self.path, facts(self.directory)),
            )
            self.assertNotIn("interrupted", caught.exception.message)


class CreatedFileTest(StoreTestCase):
    """Issue 9.17: a first write that fails leaves no 0-byte database."""

    def test_remove_if_empty(self):
        open(self.path, "wb").close()
        with open(self.path + "-journal", "wb") as journal:
            journal.write(b"x")
        database_files.remove_if_empty(self.path)
        self.assertTrue(os.path.exists(self.path), "a journal beside it: someone is writing")
        os.unlink(self.path + "-journal")
        database_files.remove_if_empty(self.path)
        self.assertFalse(os.path.exists(self.path))
        self.open().close()
        database_files.remove_if_empty(self.path)
        self.assertTrue(os.path.exists(self.path), "a database with a schema is kept")

    def test_open_that_fails_after_creating_removes_the_file(self):
        with mock.patch.object(store.UserStore, "upgrade", side_effect=OutputError("disk full")):
            with self.assertRaises(OutputError):
                store.open_database(self.path)
        self.assertEqual(os.listdir(self.directory), [])
        opened = self.open(upgrade=False)
        self.assertTrue(opened.created)
        opened.close()
        self.assertFalse(self.open(upgrade=False).created)

    def test_wait_is_bounded(self):
        for wait in (-1, store.MAX_WAIT + 1, 2147484.0, float("inf"), float("nan")):
            with self.subTest(wait=wait):
                with self.assertRaises(ValueError):
                    store.open_database(self.path, wait=wait)
        self.assertEqual(os.listdir(self.directory), [])
        self.open(wait=store.MAX_WAIT).close()


class ErrorTranslationTest(unittest.TestCase):
    def test_table(self):
        cases = [
            ("database is locked", BusyError),
            ("database table is locked", BusyError),
            ("database or disk is full", OutputError),
            ("disk I/O error", OutputError),
            ("file is not a database", CantCreateError),
            ("file is encrypted or is not a database", CantCreateError),
            ("database disk image is malformed", CantCreateError),
            ("attempt to write a readonly database", CantCreateError),
            ("unable to open database file", CantCreateError),
            ("no such table: users", None),
            ('near "NOT": syntax error', None),
            ("UNIQUE constraint failed: users.username", None),
        ]
        for text, expected in cases:
            with self.subTest(text=text):
                translated = database_errors.database_error(sqlite3.OperationalError(text), "x.db", 1.0, False)
                if expected is None:
                    self.assertIsNone(translated)
                else:
                    self.assertIs(type(translated), expected)
                    self.assertIn("x.db", translated.message)


if __name__ == "__main__":
    unittest.main()
