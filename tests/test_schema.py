"""Tests for prospector_scheduler.schema: the migrations, the fixture files of every released version, foreign databases."""

import hashlib
import os
import shutil
import sqlite3
import unittest
from unittest import mock

from prospector_scheduler import job_history, passwords, schema, store, user_changes, users_table
from prospector_scheduler.errors import CantCreateError
from tests import support
from tests.test_store import StoreTestCase


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
        # The prefix that the first digests without secrets (schema version 2) were written with.
        kept = "nosecrets-sha256:" + "ab" * 32
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
                    # Written by f210191, before sync_runs.SOURCE_DIGEST_PREFIX became "nosecrets2-sha256:".
                    self.assertTrue(run.source_sha256.startswith("nosecrets-sha256:"), run.source_sha256)
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


if __name__ == "__main__":
    unittest.main()
