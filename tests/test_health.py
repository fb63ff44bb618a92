"""Tests for prospector_scheduler.health and the check-db command.

Every case checks that the file and its folder are exactly as before: check-db
never writes, creates or rolls back anything.
"""

import json
import os
import re
import shutil
import sqlite3

from prospector_scheduler import health, schema
from prospector_scheduler.errors import CantCreateError, NoInputError
from tests import support
from tests.test_backup import fill

PROGRAM = "prospector-scheduler"


def snapshot(folder):
    """Every file in ``folder`` with its bytes and modification time.

    A -shm file is listed without its content: every reader of a live WAL
    database writes its read marks there, as SQLite requires.
    """
    found = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith("-shm"):
            found[name] = None
            continue
        path = os.path.join(folder, name)
        with open(path, "rb") as stream:
            found[name] = (stream.read(), os.stat(path).st_mtime_ns)
    return found


def damage_a_table_page(path):
    """Overwrite 16 bytes in the middle of a page of ``users`` (cell content, not the page header)."""
    connection = sqlite3.connect(path)
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.close()
    with open(path, "r+b") as stream:
        stream.seek((pages // 2 - 1) * page_size + 100)
        stream.write(b"\xff" * 16)


class HealthTestCase(support.TemporaryDirectoryTestCase):
    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.folder = self.path("data")
        os.mkdir(self.folder)
        self.db = os.path.join(self.folder, "prospector.db")

    def check(self, *args, **kwargs):
        before = snapshot(self.folder)
        try:
            return health.check(*args, **kwargs)
        finally:
            self.assertEqual(snapshot(self.folder), before, "check-db changed the folder")

    def run_check(self, *args):
        before = snapshot(self.folder)
        result = support.run_cli(["--db", self.db, "check-db"] + list(args))
        self.assertEqual(snapshot(self.folder), before, "check-db changed the folder")
        return result


class CheckTest(HealthTestCase):
    def test_healthy_database(self):
        fill(self.db, users=30)
        connection = sqlite3.connect(self.db)
        connection.execute("UPDATE users SET disabled_at = '2024-05-02T00:00:00Z' WHERE id <= 3")
        connection.execute("INSERT INTO sync_runs (started_at, ended_at, source, source_sha256, created, "
                           "password_reset, unchanged, host, os_user, tool_version) VALUES "
                           "('2024-05-01T02:00:00Z', '2024-05-01T02:00:03Z', 'u', 'x', 0, 0, 0, 'h', 'u', 't'), "
                           "('2024-05-02T02:00:00Z', '2024-05-02T02:00:04Z', 'u', 'x', 0, 0, 0, 'h', 'u', 't')")
        connection.commit()
        connection.close()
        for quick in (False, True):
            with self.subTest(quick=quick):
                self.assertEqual(
                    self.check(self.db, quick=quick),
                    health.Health(self.db, "quick_check" if quick else "integrity_check", [],
                                  schema.SCHEMA_VERSION, schema.SCHEMA_VERSION, 30, 3, "2024-05-02T02:00:04Z"))

    def test_version_1_database_has_no_locked_count(self):
        shutil.copy(os.path.join(support.DATA, "schema-v1.sqlite"), self.db)
        found = self.check(self.db)
        self.assertEqual((found.problems, found.schema_version, found.locked_users), ([], 1, None))
        self.assertEqual(found.users, 4)

    def test_damaged_copy_lists_every_problem(self):
        fill(self.db, users=2000)
        damage_a_table_page(self.db)
        found = self.check(self.db)
        self.assertFalse(found.healthy)
        self.assertGreater(len(found.problems), 1, found.problems)
        for problem in found.problems:
            self.assertNotIn("\n", problem)
            self.assertNotIn("*** in database", problem)
        self.assertRegex(found.problems[0], r"page [0-9]+")

    def test_errors(self):
        self.write("data/not-a-database.db", b"just some text, not a database\n" * 10)
        self.write("data/empty.db", b"")
        newer = os.path.join(self.folder, "newer.db")
        fill(newer, users=1)
        connection = sqlite3.connect(newer)
        connection.execute("PRAGMA user_version = %d" % (schema.SCHEMA_VERSION + 1))
        connection.close()
        missing = os.path.join(self.folder, "missing.db")
        table = [
            (missing, NoInputError, "there is no database at %s" % missing),
            (self.folder, NoInputError, "cannot read the database %s: it is a directory" % self.folder),
            (os.path.join(self.folder, "not-a-database.db"), CantCreateError,
             "%s is not an SQLite database" % os.path.join(self.folder, "not-a-database.db")),
            (os.path.join(self.folder, "empty.db"), CantCreateError,
             "%s is not an SQLite database" % os.path.join(self.folder, "empty.db")),
            (newer, CantCreateError, "the database %s has schema version %d, newer than the version %d that "
             "prospector-scheduler" % (newer, schema.SCHEMA_VERSION + 1, schema.SCHEMA_VERSION)),
        ]
        for path, error_type, message in table:
            with self.subTest(path=path):
                with self.assertRaises(error_type) as caught:
                    self.check(path)
                self.assertTrue(str(caught.exception).startswith(message), str(caught.exception))

    def test_a_hot_journal_is_never_rolled_back(self):
        for name in ("schema-v1-hot-journal.sqlite", "schema-v1-hot-journal.sqlite-journal"):
            shutil.copy(os.path.join(support.DATA, name), os.path.join(self.folder, name))
        path = os.path.join(self.folder, "schema-v1-hot-journal.sqlite")
        with self.assertRaises(CantCreateError) as caught:
            self.check(path)
        self.assertIn("holds the unfinished write of an interrupted run", str(caught.exception))

    def test_a_wal_database_without_its_wal_creates_no_file(self):
        fill(self.db, users=3, journal_mode="wal")
        self.assertEqual(sorted(os.listdir(self.folder)), ["prospector.db"])
        self.assertEqual(self.check(self.db).users, 3)

    def test_a_live_wal_database_is_read_with_its_wal(self):
        fill(self.db, users=3, journal_mode="wal")
        holder = sqlite3.connect(self.db, isolation_level=None)
        self.addCleanup(holder.close)
        holder.execute("PRAGMA wal_autocheckpoint = 0")
        holder.execute("UPDATE users SET disabled_at = 'x' WHERE id = 1")
        self.assertEqual(self.check(self.db).locked_users, 1)


class CheckDbCommandTest(HealthTestCase):
    def test_text_json_and_quiet(self):
        fill(self.db, users=2)
        result = self.run_check()
        self.assertEqual((result.code, result.stderr), (0, ""))
        self.assertEqual(result.stdout, (
            "%s: healthy\n"
            "  integrity_check, foreign_key_check: ok\n"
            "  schema version: %d (this tool's: %d)\n"
            "  users: 2, of which 0 locked\n"
            "  last sync: never\n") % (self.db, schema.SCHEMA_VERSION, schema.SCHEMA_VERSION))
        result = self.run_check("--quick", "--format", "json")
        self.assertEqual((result.code, result.stderr), (0, ""))
        self.assertEqual(json.loads(result.stdout), {
            "path": self.db, "check": "quick_check", "problems": [], "healthy": True,
            "schema_version": schema.SCHEMA_VERSION, "tool_schema_version": schema.SCHEMA_VERSION,
            "users": 2, "locked_users": 0, "last_sync": None})
        result = support.run_cli(["-q", "--db", self.db, "check-db"])
        self.assertEqual((result.code, result.stdout, result.stderr), (0, "", ""))

    def test_a_path_instead_of_the_database(self):
        fill(self.db, users=1)
        result = support.run_cli(["--db", self.path("elsewhere.db"), "check-db", self.db])
        self.assertEqual(result.code, 0)
        self.assertTrue(result.stdout.startswith("%s: healthy\n" % self.db))

    def test_damaged_exits_65_and_lists_every_problem(self):
        fill(self.db, users=2000)
        damage_a_table_page(self.db)
        problems = health.check(self.db).problems
        result = self.run_check()
        self.assertEqual(result.code, 65)
        self.assertTrue(result.stdout.startswith("%s: DAMAGED\n" % self.db))
        self.assertIn("  integrity_check, foreign_key_check: %d problems\n" % len(problems), result.stdout)
        self.assertEqual(result.stderr.splitlines(),
                         ["%s: error: %s: %s" % (PROGRAM, self.db, problem) for problem in problems])
        quiet = support.run_cli(["-q", "--db", self.db, "check-db"])
        self.assertEqual((quiet.code, quiet.stderr), (65, result.stderr))

    def test_exit_codes(self):
        self.write("data/text.db", b"not a database at all\n")
        table = [
            ([], 66, "%s: error: there is no database at %s\n" % (PROGRAM, self.db)),
            ([os.path.join(self.folder, "text.db")], 73,
             "%s: error: %s is not an SQLite database\n" % (PROGRAM, os.path.join(self.folder, "text.db"))),
        ]
        for args, code, stderr in table:
            with self.subTest(args=args):
                result = self.run_check(*args)
                self.assertEqual((result.code, result.stdout, result.stderr), (code, "", stderr))
        fill(self.db, users=1)
        connection = sqlite3.connect(self.db)
        connection.execute("PRAGMA user_version = 99")
        connection.close()
        result = self.run_check()
        self.assertEqual(result.code, 73)
        self.assertRegex(result.stderr, r"\A%s: error: the database %s has schema version 99, newer than"
                         % (PROGRAM, re.escape(self.db)))
