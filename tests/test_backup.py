"""Tests for prospector_scheduler.backup: names, retention, and consistent, safe snapshots.

Every snapshot test runs with both methods where this Python has them: the
online backup API (3.7+) and the read-transaction copy (the only one on 3.6),
so that both pass the same tests.
"""

import datetime
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
import unittest

from prospector_scheduler import backup, store
from prospector_scheduler.errors import CantCreateError, DataError, NoInputError
from tests import support

UTC = datetime.timezone.utc
NOW = datetime.datetime(2024, 5, 1, 2, 0, 0, tzinfo=UTC)
AVAILABLE_METHODS = [method for method in backup.METHODS
                     if method != backup.ONLINE_BACKUP or hasattr(sqlite3.Connection, "backup")]


def fixed_clock(when=NOW):
    return lambda: when


def contents(path):
    """Everything a backup must reproduce: schema, rows with rowids, header settings."""
    connection = sqlite3.connect(support_uri(path), uri=True)
    try:
        master = connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        tables = {}
        for kind, name, _, sql in master:
            if kind != "table":
                continue
            if sql and "WITHOUT ROWID" in sql.upper():
                select = "SELECT * FROM %s ORDER BY 1" % quoted(name)
            else:
                select = "SELECT rowid, * FROM %s ORDER BY rowid" % quoted(name)
            tables[name] = connection.execute(select).fetchall()
        pragmas = dict(
            (pragma, connection.execute("PRAGMA %s" % pragma).fetchone()[0])
            for pragma in ("user_version", "application_id", "page_size", "auto_vacuum", "encoding")
        )
        return master, tables, pragmas
    finally:
        connection.close()


def quoted(name):
    return '"%s"' % name.replace('"', '""')


def support_uri(path):
    return backup._uri(path, "ro")


def header_journal_mode(path):
    """Bytes 18 and 19 of the header: 1 rollback journal, 2 WAL."""
    with open(path, "rb") as stream:
        header = stream.read(20)
    return header[18], header[19]


class NamesTest(unittest.TestCase):
    def test_backup_names(self):
        table = [
            (NOW, ["prospector-20240501T020000Z.db", "prospector-20240501T020000Z-2.db",
                   "prospector-20240501T020000Z-3.db"]),
            (datetime.datetime(2024, 12, 31, 23, 59, 59), ["prospector-20241231T235959Z.db"]),
            # An aware time elsewhere is named in UTC.
            (datetime.datetime(2024, 5, 1, 4, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
             ["prospector-20240501T020000Z.db"]),
        ]
        for now, expected in table:
            with self.subTest(now=now):
                names = backup.backup_names(now)
                self.assertEqual([next(names) for _ in expected], expected)

    def test_sort_key_recognises_only_our_own_names(self):
        table = [
            ("prospector-20240501T020000Z.db", ("20240501T020000Z", 1)),
            ("prospector-20240501T020000Z-2.db", ("20240501T020000Z", 2)),
            ("prospector-20240501T020000Z-10.db", ("20240501T020000Z", 10)),
            ("prospector-20240501T020000Z-1.db", None),
            ("prospector-20240501T020000Z-02.db", None),
            ("prospector-20241301T020000Z.db", None),
            ("prospector-20240501T250000Z.db", None),
            ("prospector-20240501T020000.db", None),
            ("prospector-20240501T020000Z.db-journal", None),
            ("prospector-20240501T020000Z.db.gz", None),
            ("prospector-20240501T020000Z.sqlite", None),
            ("Prospector-20240501T020000Z.db", None),
            ("old-prospector-20240501T020000Z.db", None),
            ("prospector.db", None),
            (".prospector-backup-12-abcd.tmp", None),
        ]
        for name, expected in table:
            with self.subTest(name=name):
                self.assertEqual(backup.sort_key(name), expected)

    def test_to_remove(self):
        a = "prospector-20240101T000000Z.db"
        b = "prospector-20240102T000000Z.db"
        b2 = "prospector-20240102T000000Z-2.db"
        b10 = "prospector-20240102T000000Z-10.db"
        c = "prospector-20240103T000000Z.db"
        foreign = ["notes.txt", "prospector-20240101T000000Z.db.gz", "prospector.db"]
        table = [
            ([a, b, c] + foreign, 7, None, []),
            ([a, b, c] + foreign, 2, None, [a]),
            ([a, b, c] + foreign, 1, None, [b, a]),
            ([c, b10, b, b2, a], 2, None, [b2, b, a]),
            # The backup just made is kept even when it sorts oldest (a clock set back).
            ([a, b, c], 2, a, [b]),
            ([a, b, c], 1, a, [c, b]),
            (foreign, 1, None, []),
        ]
        for names, keep, protect, expected in table:
            with self.subTest(names=names, keep=keep, protect=protect):
                self.assertEqual(backup.to_remove(names, keep, protect), expected)

    def test_keep_must_be_positive(self):
        with self.assertRaises(ValueError):
            backup.to_remove([], 0)


def fill(path, users=50, journal_mode=None):
    """A database of this tool with ``users`` users (and a journal mode, when given)."""
    with store.open_database(path) as database:
        if journal_mode:
            database.connection.execute("PRAGMA journal_mode = %s" % journal_mode)
        with database.write_transaction():
            database.add_users(
                [("user%04d" % n, "user%04d@example.com" % n, "$pbkdf2-sha256$1000$c2FsdA$%04d" % n)
                 for n in range(users)],
                "2024-05-01T02:00:00Z",
            )


class BackupTestCase(support.TemporaryDirectoryTestCase):
    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("prospector.db")
        self.folder = self.path("backups")
        os.mkdir(self.folder)

    def take(self, method, **options):
        options.setdefault("clock", fixed_clock())
        return backup.take_backup(self.db, self.folder, method=method, **options)

    def listing(self):
        return sorted(os.listdir(self.folder))


class TakeBackupTest(BackupTestCase):
    def test_copy_equals_the_database_is_0600_and_leaves_nothing_else(self):
        fill(self.db)
        for method in AVAILABLE_METHODS:
            with self.subTest(method=method):
                for name in self.listing():
                    os.unlink(os.path.join(self.folder, name))
                old_umask = os.umask(0)
                try:
                    made = self.take(method)
                finally:
                    os.umask(old_umask)
                expected = os.path.join(self.folder, "prospector-20240501T020000Z.db")
                self.assertEqual(made.path, expected)
                self.assertEqual(made.method, method)
                self.assertEqual(made.size, os.path.getsize(expected))
                self.assertEqual(made.removed, ())
                self.assertEqual(self.listing(), ["prospector-20240501T020000Z.db"])
                self.assertEqual(os.stat(expected).st_mode & 0o777, 0o600)
                self.assertEqual(contents(expected), contents(self.db))

    def test_paths_with_uri_characters(self):
        odd = self.path("odd ?#% name")
        os.mkdir(odd)
        self.db = os.path.join(odd, "a?b#c%25d.db")
        self.folder = os.path.join(odd, "back ups?#%")
        os.mkdir(self.folder)
        fill(self.db, users=3)
        for method in AVAILABLE_METHODS:
            with self.subTest(method=method):
                made = self.take(method, keep=10, clock=fixed_clock(NOW + datetime.timedelta(days=len(self.listing()))))
                self.assertEqual(os.path.dirname(made.path), self.folder)
                self.assertEqual(contents(made.path), contents(self.db))
        self.assertEqual(sorted(os.listdir(odd)), ["a?b#c%25d.db", "back ups?#%"])

    def test_default_method(self):
        expected = backup.READ_TRANSACTION if sys.version_info < (3, 7) else backup.ONLINE_BACKUP
        self.assertEqual(backup.default_method(), expected)
        fill(self.db, users=1)
        self.assertEqual(backup.take_backup(self.db, self.folder).method, expected)

    def test_two_backups_in_one_second_never_overwrite(self):
        fill(self.db, users=1)
        for method in AVAILABLE_METHODS:
            with self.subTest(method=method):
                for name in self.listing():
                    os.unlink(os.path.join(self.folder, name))
                paths = [self.take(method).path for _ in range(3)]
                self.assertEqual(
                    [os.path.basename(path) for path in paths],
                    ["prospector-20240501T020000Z.db", "prospector-20240501T020000Z-2.db",
                     "prospector-20240501T020000Z-3.db"])
                self.assertEqual(self.listing(), sorted(os.path.basename(path) for path in paths))

    def test_read_transaction_copy_is_faithful(self):
        connection = sqlite3.connect(self.db, isolation_level=None)
        connection.executescript(textwrap.dedent('''
            PRAGMA page_size = 8192;
            PRAGMA auto_vacuum = 1;
            CREATE TABLE counted (id INTEGER PRIMARY KEY AUTOINCREMENT, value TEXT);
            CREATE TABLE plain (a, b);
            CREATE TABLE "odd ""name""" (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
            CREATE INDEX plain_b ON plain (b);
            CREATE VIEW summary AS SELECT count(*) AS n FROM plain;
            CREATE TRIGGER plain_added AFTER INSERT ON plain BEGIN
                INSERT INTO counted (value) VALUES ('trigger ' || new.a);
            END;
            INSERT INTO counted (value) VALUES ('one'), ('two'), ('three');
            DELETE FROM counted WHERE value = 'three';
            INSERT INTO plain VALUES (1, x'00ff'), (2, NULL), (3, 'three');
            DELETE FROM plain WHERE a = 2;
            INSERT INTO "odd ""name""" VALUES ('k1', x'01'), ('k2', 2.5);
            CREATE TABLE analysed (x);
            CREATE INDEX analysed_x ON analysed (x);
            INSERT INTO analysed VALUES (1), (1), (2);
            ANALYZE;
            PRAGMA user_version = 42;
            PRAGMA application_id = 1234567;
        '''))
        connection.close()
        made = self.take(backup.READ_TRANSACTION)
        self.assertEqual(contents(made.path), contents(self.db))

    def test_a_backup_of_a_wal_database_holds_the_committed_pages_of_the_wal(self):
        fill(self.db, users=10, journal_mode="wal")
        holder = sqlite3.connect(self.db, isolation_level=None)
        self.addCleanup(holder.close)
        holder.execute("PRAGMA wal_autocheckpoint = 0")
        holder.execute("INSERT INTO users (username, password_hash, created_at, updated_at) "
                       "VALUES ('only-in-the-wal', 'x', 'now', 'now')")
        # The main file alone does not have the row yet: it sits in the WAL.
        immutable = sqlite3.connect("file:%s?immutable=1" % self.db, uri=True)
        self.assertEqual(immutable.execute("SELECT count(*) FROM users").fetchone()[0], 10)
        immutable.close()
        self.assertGreater(os.path.getsize(self.db + "-wal"), 0)
        for method in AVAILABLE_METHODS:
            with self.subTest(method=method):
                made = self.take(method, clock=fixed_clock(NOW + datetime.timedelta(days=len(self.listing()))))
                copy = sqlite3.connect(made.path)
                self.assertEqual(
                    copy.execute("SELECT count(*) FROM users WHERE username = 'only-in-the-wal'").fetchone()[0], 1)
                self.assertEqual(copy.execute("SELECT count(*) FROM users").fetchone()[0], 11)
                copy.close()
                # Kept in rollback-journal mode, so that reading it creates no -wal or -shm.
                self.assertEqual(header_journal_mode(made.path), (1, 1))
                self.assertEqual(contents(made.path)[1], contents(self.db)[1])
        self.assertEqual([name for name in self.listing() if not name.endswith(".db")], [])


class RetentionTest(BackupTestCase):
    def test_keeps_the_newest_n_and_never_touches_foreign_files(self):
        fill(self.db, users=1)
        old = ["prospector-2024010%dT000000Z.db" % day for day in range(1, 6)]
        foreign = ["notes.txt", "prospector-20240101T000000Z.db.gz", "prospector.db",
                   "prospector-20240101T000000Z-1.db", ".prospector-backup-1-00000000.tmp"]
        for name in old + foreign:
            with open(os.path.join(self.folder, name), "w") as stream:
                stream.write(name)
        os.mkdir(os.path.join(self.folder, "prospector-20231231T000000Z.db"))
        os.symlink(self.db, os.path.join(self.folder, "prospector-20231230T000000Z.db"))
        made = self.take(AVAILABLE_METHODS[0], keep=3)
        survivors = ["prospector-20240104T000000Z.db", "prospector-20240105T000000Z.db",
                     "prospector-20240501T020000Z.db"]
        self.assertEqual(sorted(os.path.basename(path) for path in made.removed),
                         ["prospector-20240101T000000Z.db", "prospector-20240102T000000Z.db",
                          "prospector-20240103T000000Z.db"])
        self.assertEqual(self.listing(), sorted(survivors + foreign + [
            "prospector-20231231T000000Z.db", "prospector-20231230T000000Z.db"]))
        for name in foreign:
            with open(os.path.join(self.folder, name)) as stream:
                self.assertEqual(stream.read(), name)


class FailureTest(BackupTestCase):
    def assert_fails(self, error_type, message, method=None):
        before = self.listing()
        with self.assertRaises(error_type) as caught:
            self.take(method or AVAILABLE_METHODS[0])
        self.assertEqual(str(caught.exception), message)
        self.assertEqual(self.listing(), before)

    def test_missing_database(self):
        self.assert_fails(NoInputError, "there is no database at %s" % self.db)
        self.assertFalse(os.path.exists(self.db))

    def test_database_is_a_directory(self):
        os.mkdir(self.db)
        self.assert_fails(NoInputError, "cannot read the database %s: it is a directory" % self.db)

    def test_folder_missing_or_not_a_folder(self):
        fill(self.db, users=1)
        self.folder = self.path("nowhere")
        with self.assertRaises(CantCreateError) as caught:
            self.take(AVAILABLE_METHODS[0])
        self.assertEqual(str(caught.exception), "cannot write backups to %s: the directory does not exist" % self.folder)
        self.folder = self.db
        with self.assertRaises(CantCreateError) as caught:
            self.take(AVAILABLE_METHODS[0])
        self.assertEqual(str(caught.exception), "cannot write backups to %s: it is not a directory" % self.db)

    def test_folder_not_writable(self):
        fill(self.db, users=1)
        os.chmod(self.folder, 0o500)
        self.addCleanup(os.chmod, self.folder, 0o700)
        with support.without_root_privileges(self.tmp, self.folder, self.db):
            self.assert_fails(CantCreateError, "cannot write backups to %s: permission denied" % self.folder)

    def test_a_read_only_database_with_an_interrupted_write(self):
        for name, target in (("schema-v1-hot-journal.sqlite", self.db),
                             ("schema-v1-hot-journal.sqlite-journal", self.db + "-journal")):
            with open(os.path.join(support.DATA, name), "rb") as source, open(target, "wb") as copy:
                copy.write(source.read())
            os.chmod(target, 0o444)
        os.chmod(self.tmp, 0o755)
        with support.without_root_privileges(self.folder):
            for method in AVAILABLE_METHODS:
                with self.subTest(method=method):
                    self.assert_fails(
                        CantCreateError,
                        "the database %s holds the unfinished write of an interrupted run, which this user "
                        "cannot roll back (the file is read-only to it): run sync-users to repair it" % self.db,
                        method)

    def test_not_a_database_leaves_nothing(self):
        self.write("prospector.db", b"this is not an SQLite database, just text " * 100)
        for method in AVAILABLE_METHODS:
            with self.subTest(method=method):
                self.assert_fails(CantCreateError, "%s is not an SQLite database" % self.db, method)

    def test_a_damaged_database_leaves_nothing(self):
        fill(self.db, users=2000)
        damage(self.db)
        for method in AVAILABLE_METHODS:
            with self.subTest(method=method):
                with self.assertRaises(DataError) as caught:
                    self.take(method)
                self.assertIn("run check-db", str(caught.exception))
                self.assertEqual(self.listing(), [])

    def test_rows_that_break_their_own_schema_are_damage_not_a_bug(self):
        # Damaged pages can read back as rows that the table's own rules forbid (a
        # NULL username): the row-by-row copy then meets a constraint error.
        fill(self.db, users=20)
        break_schema(self.db)
        for method in AVAILABLE_METHODS:
            with self.subTest(method=method):
                with self.assertRaises(DataError) as caught:
                    self.take(method)
                self.assertIn("damaged", str(caught.exception))
                self.assertIn("run check-db", str(caught.exception))
                self.assertEqual(self.listing(), [])


def break_schema(path):
    """Give ``users`` a NULL username behind the schema's back, as damage can."""
    connection = sqlite3.connect(path, isolation_level=None)
    sql = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'users'").fetchone()[0]
    connection.execute("PRAGMA writable_schema = ON")
    loose = re.sub(r"(username\s+TEXT) NOT NULL", r"\1", sql)
    assert loose != sql, sql
    connection.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'users'", (loose,))
    connection.close()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("UPDATE users SET username = NULL WHERE id = 3")
    connection.execute("PRAGMA writable_schema = ON")
    connection.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'users'", (sql,))
    connection.close()


def damage(path):
    """Overwrite the middle of a table page of ``users`` (not the header, not page 1)."""
    connection = sqlite3.connect(path)
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'users'").fetchone()[0]
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.close()
    page = max(root + 1, pages // 2)
    with open(path, "r+b") as stream:
        stream.seek((page - 1) * page_size + 8)
        stream.write(b"\xff" * 64)


WRITER_CHILD = """
import os, sys, time
from prospector_scheduler import store, sync_runs
db, stop = sys.argv[1], sys.argv[2]
n = 0
with store.open_database(db, wait=20) as database:
    execute = database.connection.execute
    while not os.path.exists(stop):
        n += 1
        with database.write_transaction():
            execute("INSERT INTO users (username, password_hash, created_at, updated_at) "
                    "VALUES (?, ?, 'now', 'now')", ("new%06d" % n, "h" * 500))
            execute("UPDATE users SET email = ? WHERE id = ?", ("v%d" % n, 1 + (n * 7919) % USERS))
            execute("UPDATE users SET updated_at = ? WHERE username = 'user0000'", (str(n),))
            database.add_sync_run(sync_runs.SyncRun("s", "e", "w", "x", n, 0, 0, "h", "u", "t"))
        if n == 1:
            sys.stdout.write("started\\n")
            sys.stdout.flush()
        time.sleep(0.003)
sys.stdout.write("%d\\n" % n)
"""
WRITER_USERS = 2000


def expected_state(initial, commits):
    """The users (username, email) after the writer's first ``commits`` commits."""
    emails = dict(initial)
    for n in range(1, commits + 1):
        emails["user%04d" % ((n * 7919) % WRITER_USERS)] = "v%d" % n
        emails["new%06d" % n] = None
    return emails


class ConcurrentWritesTest(BackupTestCase):
    """Backups taken while another process commits every few milliseconds."""

    def test_every_backup_is_one_committed_state_and_the_writer_never_fails(self):
        for journal_mode in ("delete", "wal"):
            for method in AVAILABLE_METHODS:
                with self.subTest(journal_mode=journal_mode, method=method):
                    self.check_concurrent(journal_mode, method)

    def check_concurrent(self, journal_mode, method):
        for name in os.listdir(self.tmp):
            if name.startswith("prospector.db"):
                os.unlink(self.path(name))
        for name in self.listing():
            os.unlink(os.path.join(self.folder, name))
        fill(self.db, users=WRITER_USERS, journal_mode=journal_mode)
        connection = sqlite3.connect(self.db)
        try:
            initial = dict(connection.execute("SELECT username, email FROM users").fetchall())
        finally:
            connection.close()
        stop = self.path("stop")
        writer = subprocess.Popen(
            support.python_command("-c", WRITER_CHILD.replace("USERS", str(WRITER_USERS)), self.db, stop),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=support.process_environment())
        try:
            self.assertEqual(writer.stdout.readline(), b"started\n")
            made = [self.take(method, keep=100, clock=fixed_clock(NOW + datetime.timedelta(seconds=n))).path
                    for n in range(8)]
        finally:
            with open(stop, "w"):
                pass
            out, err = writer.communicate(timeout=60)
            os.unlink(stop)
        self.assertEqual((writer.returncode, err), (0, b""))
        committed = int(out)
        seen = []
        for path in made:
            copy = sqlite3.connect(path)
            self.assertEqual(copy.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            counter = copy.execute("SELECT updated_at FROM users WHERE username = 'user0000'").fetchone()[0]
            commits = 0 if counter.startswith("2024") else int(counter)
            state = dict(copy.execute("SELECT username, email FROM users").fetchall())
            runs = [row[0] for row in copy.execute("SELECT created FROM sync_runs ORDER BY id")]
            copy.close()
            self.assertLessEqual(commits, committed)
            # Two tables, written in one transaction each time: a copy that is not one
            # read transaction would see them at different moments.
            self.assertEqual((state, runs), (expected_state(initial, commits), list(range(1, commits + 1))), path)
            seen.append(commits)
        self.assertEqual(seen, sorted(seen))
        self.assertGreater(len(set(seen)), 1, "the writer committed between the backups")


FULL_DISK_CHILD = """
import resource, sys
from prospector_scheduler import backup
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    backup.take_backup(sys.argv[1], sys.argv[2], method=sys.argv[4])
except Exception as error:
    print(type(error).__name__, error.exit_code, str(error))
"""


class FullDiskTest(BackupTestCase):
    def test_a_full_disk_leaves_nothing_and_keeps_earlier_backups(self):
        fill(self.db, users=3000)
        earlier = self.take(AVAILABLE_METHODS[0], clock=fixed_clock(NOW - datetime.timedelta(days=1))).path
        with open(earlier, "rb") as stream:
            earlier_bytes = stream.read()
        limit = os.path.getsize(self.db) // 3
        for method in AVAILABLE_METHODS:
            with self.subTest(method=method):
                child = subprocess.Popen(
                    support.python_command("-c", FULL_DISK_CHILD, self.db, self.folder, str(limit), method),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=support.process_environment())
                out, err = child.communicate(timeout=60)
                self.assertEqual((child.returncode, err), (0, b""))
                # A file-size limit is EFBIG, which SQLite reports as an I/O error; a full disk
                # (ENOSPC) says "cannot write the backup in DIR: the disk is full". Both exit 74.
                self.assertEqual(out.decode(), "OutputError 74 cannot back up %s to %s: disk I/O error\n"
                                 % (self.db, self.folder))
                self.assertEqual(self.listing(), [os.path.basename(earlier)])
                with open(earlier, "rb") as stream:
                    self.assertEqual(stream.read(), earlier_bytes)


if __name__ == "__main__":
    unittest.main()
