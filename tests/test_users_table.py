"""Tests for prospector_scheduler.users_table: users round trip, disabling and enabling."""

import unittest
from prospector_scheduler import users_table
from tests.test_store import StoreTestCase


class RoundTripTest(StoreTestCase):
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

    def test_disabled_hash_is_no_hash(self):
        self.assertNotIn("$", users_table.DISABLED_HASH)
        self.assertTrue(users_table.DISABLED_HASH.startswith("!"))


if __name__ == "__main__":
    unittest.main()
