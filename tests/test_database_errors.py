"""Tests for prospector_scheduler.database_errors: SQLite's errors as ProspectorError, constraint messages."""

import sqlite3
import unittest

from prospector_scheduler import database_errors, store
from prospector_scheduler.errors import BusyError, CantCreateError, DataError, OutputError
from tests.test_store import StoreTestCase


class ConstraintTest(StoreTestCase):
    """A constraint refusal repeats only the constraint's name (65), nothing written."""

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
