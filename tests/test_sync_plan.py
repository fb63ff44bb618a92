"""Tests for prospector_scheduler.sync_plan: entries against rows, decided without I/O."""

import unittest

from prospector_scheduler import sync_plan
from prospector_scheduler.errors import DataError, ErrorList
from prospector_scheduler.sync_plan import CREATE, RESET, UNCHANGED
from prospector_scheduler.users_file import UserEntry

SOURCE = "users.yaml"


def entry(username, password=None, password_hash=None, email=None, reset=False, line=None, column=None):
    return UserEntry(username, password, password_hash, email, reset, line, column)


# As store.UserStore.snapshot reads them.
STORED = sync_plan.StoredUsers(
    emails={"ann": "ann@example.com", "ben": None, "cid": "cid@example.com"},
    hashes={"ann": "$stored$ann", "ben": "$stored$ben", "cid": "$stored$cid"},
)


class PlanTest(unittest.TestCase):
    def test_one_entry_at_a_time(self):
        # (entry, current answers, kind, given_hash, needs_hashing, email_differs)
        cases = [
            ("new with password", entry("new", "pw-new-1"), {}, CREATE, None, True, False),
            ("new with hash", entry("new", password_hash="$given$1"), {}, CREATE, "$given$1", False, False),
            ("new with email", entry("new", "pw-new-2", email="n@example.com"), {}, CREATE, None, True, False),
            ("new with reset", entry("new", "pw-new-3", reset=True), {}, CREATE, None, True, False),
            ("existing, no reset", entry("ann", "pw-ann-1"), {}, UNCHANGED, None, False, False),
            ("existing, same email", entry("ann", email="ann@example.com"), {}, UNCHANGED, None, False, False),
            ("existing, other email", entry("ann", email="a@example.org"), {}, UNCHANGED, None, False, True),
            ("existing, email where none stored", entry("ben", email="b@example.com"), {}, UNCHANGED, None, False, True),
            ("existing, no email in file", entry("cid"), {}, UNCHANGED, None, False, False),
            (
                "reset, stored hash right",
                entry("ann", "pw-ann-2", reset=True),
                {("ann", "$stored$ann"): True},
                UNCHANGED,
                None,
                False,
                False,
            ),
            (
                "reset, stored hash wrong or weak",
                entry("ann", "pw-ann-3", reset=True),
                {("ann", "$stored$ann"): False},
                RESET,
                None,
                True,
                False,
            ),
            (
                "reset, other email noted, never written",
                entry("ann", "pw-ann-4", email="x@example.org", reset=True),
                {("ann", "$stored$ann"): False},
                RESET,
                None,
                True,
                True,
            ),
            ("reset to the same given hash", entry("ben", password_hash="$stored$ben", reset=True), {}, UNCHANGED, "$stored$ben", False, False),
            ("reset to another given hash", entry("ben", password_hash="$given$2", reset=True), {}, RESET, "$given$2", False, False),
            ("given hash without reset", entry("ben", password_hash="$given$3"), {}, UNCHANGED, None, False, False),
        ]
        for name, one, current, kind, given_hash, needs_hashing, email_differs in cases:
            with self.subTest(name):
                plan = sync_plan.plan_sync([one], STORED, current, SOURCE)
                self.assertEqual(len(plan.actions), 1)
                action = plan.actions[0]
                self.assertEqual(action.kind, kind)
                self.assertEqual(action.username, one.username)
                self.assertEqual(action.given_hash, given_hash)
                self.assertEqual(action.needs_hashing, needs_hashing)
                self.assertEqual(action.email_differs, email_differs)
                self.assertEqual(action.stored_email, STORED.emails.get(one.username))

    def test_actions_follow_file_order_and_ignore_users_not_in_file(self):
        entries = [entry("zed", "pw-zed-1"), entry("ann"), entry("abe", password_hash="$given$4")]
        plan = sync_plan.plan_sync(entries, STORED, {}, SOURCE)
        self.assertEqual([(a.kind, a.username) for a in plan.actions], [(CREATE, "zed"), (UNCHANGED, "ann"), (CREATE, "abe")])
        self.assertEqual(plan.counts(), {CREATE: 2, RESET: 0, UNCHANGED: 1})
        self.assertEqual([a.username for a in plan.of_kind(CREATE)], ["zed", "abe"])
        self.assertEqual([a.username for a in plan.changes()], ["zed", "abe"])

    def test_empty_file_plans_nothing(self):
        plan = sync_plan.plan_sync([], STORED, {}, SOURCE)
        self.assertEqual(plan.actions, [])
        self.assertEqual(plan.counts(), {CREATE: 0, RESET: 0, UNCHANGED: 0})

    def test_new_users_without_password_are_all_reported_in_file_order(self):
        entries = [
            entry("ann"),
            entry("new1", line=5, column=17),
            entry("new2", "pw-new-4"),
            entry("new3", email="n3@example.com", line=9, column=5),
        ]
        with self.assertRaises(ErrorList) as caught:
            sync_plan.plan_sync(entries, STORED, {}, SOURCE)
        errors = caught.exception.errors
        self.assertEqual(
            [(type(e), e.path, e.line, e.column, e.message) for e in errors],
            [
                (DataError, SOURCE, 5, 17, 'users[1]: "new1" is a new user and needs a password or a password_hash'),
                (DataError, SOURCE, 9, 5, 'users[3]: "new3" is a new user and needs a password or a password_hash'),
            ],
        )
        self.assertEqual(caught.exception.exit_code, 65)
        self.assertEqual(
            str(caught.exception),
            'users.yaml:5:17: users[1]: "new1" is a new user and needs a password or a password_hash\n'
            'users.yaml:9:5: users[3]: "new3" is a new user and needs a password or a password_hash',
        )

    def test_an_unchecked_stored_hash_is_a_bug_not_a_reset(self):
        with self.assertRaises(ValueError):
            sync_plan.plan_sync([entry("ann", "pw-ann-5", reset=True)], STORED, {}, SOURCE)

    def test_reprs_never_show_passwords_or_hashes(self):
        one = entry("ann", "pw-secret-repr", reset=True)
        plan = sync_plan.plan_sync([one], STORED, {("ann", "$stored$ann"): False}, SOURCE)
        check = sync_plan.checks_needed([one], STORED)[0]
        for text in (repr(plan), repr(plan.actions[0]), repr(check)):
            with self.subTest(text=text):
                self.assertNotIn("pw-secret-repr", text)
                self.assertNotIn("$stored$ann", text)
                self.assertIn("ann", text)


class ChecksTest(unittest.TestCase):
    def test_only_resets_of_existing_users_with_a_password_are_checked(self):
        entries = [
            entry("ann", "pw-ann-6", reset=True),
            entry("ben", "pw-ben-1"),
            entry("cid", password_hash="$given$5", reset=True),
            entry("new", "pw-new-5", reset=True),
        ]
        checks = sync_plan.checks_needed(entries, STORED)
        self.assertEqual(checks, [sync_plan.Check("ann", "pw-ann-6", "$stored$ann")])

    def test_answered_pairs_are_not_checked_again(self):
        entries = [entry("ann", "pw-ann-7", reset=True), entry("ben", "pw-ben-2", reset=True)]
        answered = {("ann", "$stored$ann"): True, ("ben", "$older$ben"): False}
        checks = sync_plan.checks_needed(entries, STORED, answered)
        self.assertEqual([c.username for c in checks], ["ben"], "ben's stored hash changed since it was checked")


class WritesTest(unittest.TestCase):
    def test_only_the_hashes_of_users_to_reset_are_wanted(self):
        entries = [entry("ann", "pw-1", reset=True), entry("ben"), entry("new", password_hash="$h$", reset=True)]
        self.assertEqual(sync_plan.hashes_wanted(entries), ["ann", "new"])

    def test_rows_to_insert_and_hashes_to_set(self):
        entries = [
            entry("new1", "pw-new-6", email="n1@example.com"),
            entry("ann", "pw-ann-8", reset=True),
            entry("new2", password_hash="$given$6"),
            entry("ben", password_hash="$given$7", reset=True),
            entry("cid"),
        ]
        plan = sync_plan.plan_sync(entries, STORED, {("ann", "$stored$ann"): False}, SOURCE)
        self.assertEqual([a.username for a in sync_plan.hashes_missing(plan, {})], ["new1", "ann"])
        self.assertEqual([a.username for a in sync_plan.hashes_missing(plan, {"new1": "$made$1"})], ["ann"])
        created, reset = sync_plan.writes(plan, {"new1": "$made$1", "ann": "$made$2", "cid": "$unused$"})
        self.assertEqual(created, [("new1", "n1@example.com", "$made$1"), ("new2", None, "$given$6")])
        self.assertEqual(reset, [("ann", "$made$2"), ("ben", "$given$7")])


if __name__ == "__main__":
    unittest.main()
