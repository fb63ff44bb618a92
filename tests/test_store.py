"""Tests for prospector_scheduler.store: opening and creating the file, reading it, transactions and locks.

StoreTestCase, facts and run_record are shared with the tests of the table, schema and file modules.
"""

import os
import re
import sqlite3
import stat
import subprocess
import tempfile
import threading
import time
import unittest
from unittest import mock

from prospector_scheduler import database_files, schema, store, sync_runs, users_table
from prospector_scheduler.errors import BusyError, CantCreateError, OutputError
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

    def reader_holding_a_snapshot(self):
        """A connection of another program in a read transaction: it holds SQLite's shared lock."""
        reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.addCleanup(reader.close)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM users").fetchone()
        return reader

    def test_a_writer_holding_the_lock_waits_for_readers_then_commits(self):
        # Overlapping runs with --wait 0 all gave up in CI: the run holding the write lock gave up
        # at COMMIT for another's short read, and none finished. The holder now waits for readers.
        cases = [
            # (wait, users written, cache pages): a big write spills the cache before COMMIT
            (0, 1, None),
            (0.05, 1, None),
            (0, 2000, 10),
            (90, 1, None),
        ]
        for wait, count, cache_pages in cases:
            with self.subTest(wait=wait, count=count):
                if os.path.exists(self.path):
                    os.unlink(self.path)
                self.open().close()
                writer = self.open(wait=wait)
                if cache_pages:
                    writer.connection.execute("PRAGMA cache_size = %d" % cache_pages)
                reader = self.reader_holding_a_snapshot()
                release = threading.Timer(0.3, reader.execute, ("COMMIT",))
                self.addCleanup(release.cancel)
                with writer.write_transaction():
                    release.start()
                    self.assertEqual(writer.connection.execute("PRAGMA busy_timeout").fetchone(),
                                     (1000 * max(wait, store.READERS_WAIT),))
                    writer.add_users([("user%d" % n, None, "h" * 100) for n in range(count)], store.utc_now())
                release.join()
                self.assertEqual(len(writer.list_users()), count)
                self.assertEqual(reader.execute("SELECT count(*) FROM users").fetchone(), (count,))
                # Outside the write lock the run's own --wait holds again.
                self.assertEqual(writer.connection.execute("PRAGMA busy_timeout").fetchone(), (int(wait * 1000),))
                reader.close()
                writer.close()

    def test_a_reader_longer_than_the_readers_wait_is_a_busy_error_and_nothing_is_written(self):
        self.open().close()
        writer = self.open(wait=0)
        reader = self.reader_holding_a_snapshot()
        with mock.patch.object(store, "READERS_WAIT", 0.2):
            with self.assertRaises(BusyError) as caught:
                with writer.write_transaction():
                    writer.add_users([("alice", None, "h")], store.utc_now())
        self.assertEqual(caught.exception.exit_code, 75)
        self.assertEqual(
            caught.exception.message,
            "another run holds the database %s; gave up after waiting 0.2 seconds, try again later" % self.path,
        )
        self.assertEqual(writer.connection.execute("PRAGMA busy_timeout").fetchone(), (0,))
        reader.execute("COMMIT")
        self.assertEqual(writer.list_users(), [])
        self.assertFalse(os.path.exists(self.path + "-journal"))

    def test_the_readme_gives_the_readers_wait(self):
        with open(os.path.join(support.ROOT, "README.md"), encoding="utf-8") as handle:
            readme = " ".join(handle.read().split())
        self.assertEqual(readme.count("up to %g seconds or" % store.READERS_WAIT), 3)

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

    def test_a_file_another_run_is_writing_is_kept(self):
        # The overlap that lost a run's users: run A created the file and holds the write
        # lock, its first transaction not yet written; run B, which also tried, failed and
        # cleans up. The file is still 0 bytes with no journal, but it is A's.
        writer = store.open_database(self.path, upgrade=False)
        self.addCleanup(writer.close)
        with writer.write_transaction():
            self.assertEqual(os.path.getsize(self.path), 0)
            database_files.remove_if_empty(self.path)
            self.assertTrue(os.path.exists(self.path), "removed under a run that holds its lock")
            writer.upgrade()
            writer.add_users([users_table.NewUser("alice", None, "$h")], "2024-05-01T02:00:00Z")
        with store.open_database(self.path, read_only=True) as reader:
            self.assertEqual([row.username for row in reader.list_users()], ["alice"])

    def test_a_first_write_that_lands_during_the_cleanup_is_kept(self):
        # The race that lost a run's users in CI: run B saw the file empty, then run A
        # committed its first write, then B removed the file (and A's users with it).
        open(self.path, "wb").close()
        landed = []
        real_getsize = os.path.getsize

        def getsize_then_another_run_commits(path):
            size = real_getsize(path)
            if not landed:
                other = sqlite3.connect(self.path, timeout=0, isolation_level=None)
                try:
                    other.execute("BEGIN IMMEDIATE")
                    other.execute("CREATE TABLE written_by_another_run (x)")
                    other.execute("COMMIT")
                    landed.append(True)
                finally:
                    other.close()
            return size

        with mock.patch.object(os.path, "getsize", getsize_then_another_run_commits):
            database_files.remove_if_empty(self.path)
        self.assertEqual(landed, [True])
        self.assertTrue(os.path.exists(self.path), "another run's committed write was removed")
        connection = sqlite3.connect(self.path)
        self.addCleanup(connection.close)
        self.assertEqual(connection.execute("SELECT name FROM sqlite_master").fetchall(),
                         [("written_by_another_run",)])

    def test_a_run_whose_file_was_removed_writes_nothing_and_says_busy(self):
        # Run A opened the empty file; run B removed it (no lock was held yet). A's write
        # would go to a file no one can open again: A refuses it with 75 instead.
        writer = store.open_database(self.path, upgrade=False)
        self.addCleanup(writer.close)
        database_files.remove_if_empty(self.path)
        self.assertFalse(os.path.exists(self.path))
        with self.assertRaises(BusyError) as caught:
            with writer.write_transaction():
                writer.upgrade()
                writer.add_users([users_table.NewUser("alice", None, "$h")], "2024-05-01T02:00:00Z")
        self.assertEqual(caught.exception.exit_code, 75)
        self.assertIn("another run holds the database %s" % self.path, caught.exception.message)
        self.assertIn("try again later", caught.exception.message)
        self.assertFalse(os.path.exists(self.path))

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


if __name__ == "__main__":
    unittest.main()
