"""Tests for prospector_scheduler.user_changes: the table's round trip and its CHECK of the change."""

import sqlite3
import unittest

from prospector_scheduler import user_changes
from tests.test_store import StoreTestCase


class UserChangesTest(StoreTestCase):
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


if __name__ == "__main__":
    unittest.main()
