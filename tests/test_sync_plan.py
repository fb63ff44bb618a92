"""Tests for prospector_scheduler.sync_plan: entries against rows, decided without I/O."""

import unittest

from prospector_scheduler import sync_plan
from prospector_scheduler.errors import DataError, ErrorList
from prospector_scheduler.sync_plan import CREATE, DISABLE, ENABLE, NOT_IN_FILE, RESET, UNCHANGED
from prospector_scheduler.users_file import UserEntry

SOURCE = "users.yaml"


def entry(username, password=None, password_hash=None, email=None, reset=False, line=None, column=None, disabled=None):
    return UserEntry(username, password, password_hash, email, reset, line, column, disabled)


# As store.UserStore.snapshot reads them.
STORED = sync_plan.StoredUsers(
    emails={"ann": "ann@example.com", "ben": None, "cid": "cid@example.com"},
    hashes={"ann": "$stored$ann", "ben": "$stored$ben", "cid": "$stored$cid"},
)


# Two users disabled: dee with its hash kept aside, eve created disabled without one.
LOCKING = sync_plan.StoredUsers(
    emails={"ann": None, "ben": None, "cid": None, "dee": None, "eve": None},
    hashes={"ann": "$stored$ann", "ben": "$stored$ben", "cid": "$stored$cid", "dee": "$stored$dee", "eve": None},
    disabled={"dee": "2024-05-01T02:00:00Z", "eve": "2024-05-02T02:00:00Z"},
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
        self.assertEqual(plan.counts(), {CREATE: 2, RESET: 0, DISABLE: 0, ENABLE: 0, UNCHANGED: 1, NOT_IN_FILE: 2})
        self.assertEqual([(a.kind, a.username, a.changes) for a in plan.missing],
                         [(NOT_IN_FILE, "ben", ()), (NOT_IN_FILE, "cid", ())], "reported, never changed")
        self.assertEqual([a.username for a in plan.of_kind(CREATE)], ["zed", "abe"])
        self.assertEqual([a.username for a in plan.changes()], ["zed", "abe"])

    def test_empty_file_plans_nothing(self):
        plan = sync_plan.plan_sync([], STORED, {}, SOURCE)
        self.assertEqual(plan.actions, [])
        self.assertEqual(plan.counts(), {CREATE: 0, RESET: 0, DISABLE: 0, ENABLE: 0, UNCHANGED: 0, NOT_IN_FILE: 3})

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
        made = sync_plan.writes(plan, {"new1": "$made$1", "ann": "$made$2", "cid": "$unused$"})
        self.assertEqual(made.new_users, [("new1", "n1@example.com", "$made$1", False), ("new2", None, "$given$6", False)])
        self.assertEqual(made.set_hashes, [("ann", "$made$2"), ("ben", "$given$7")])
        self.assertEqual((made.enable, made.keep_hashes, made.disable), ([], [], []))
        self.assertEqual(made.changes, [("new1", CREATE), ("ann", RESET), ("new2", CREATE), ("ben", RESET)])

    def test_disabling_enabling_and_resets_of_disabled_users(self):
        entries = [
            entry("ann", "pw-ann-9", reset=True, disabled=True),     # lock and reset: the new hash set, then locked
            entry("dee", "pw-dee-1", reset=True),                    # reset while disabled: kept aside
            entry("eve", password_hash="$given$8", reset=True, disabled=False),  # reset and enable
            entry("ben", disabled=True),
            entry("new", disabled=True),                             # created disabled, no password
            entry("new2", "pw-new-7", disabled=True),                # created disabled, its hash kept aside
        ]
        answers = {("ann", "$stored$ann"): False, ("dee", "$stored$dee"): False}
        plan = sync_plan.plan_sync(entries, LOCKING, answers, SOURCE, disable_missing=True)
        made = sync_plan.writes(plan, {"ann": "$made$ann", "dee": "$made$dee", "new2": "$made$new2"})
        self.assertEqual(made.new_users, [("new", None, None, True), ("new2", None, "$made$new2", True)])
        self.assertEqual(made.enable, ["eve"])
        self.assertEqual(made.set_hashes, [("ann", "$made$ann"), ("eve", "$given$8")])
        self.assertEqual(made.keep_hashes, [("dee", "$made$dee")])
        self.assertEqual(made.disable, ["ann", "ben", "cid"])
        self.assertEqual(made.changes, [
            ("ann", RESET), ("ann", DISABLE), ("dee", RESET), ("eve", RESET), ("eve", ENABLE), ("ben", DISABLE),
            ("new", CREATE), ("new", DISABLE), ("new2", CREATE), ("new2", DISABLE), ("cid", DISABLE)])


class DisabledTest(unittest.TestCase):
    def test_one_entry_at_a_time(self):
        # (name, entry, current answers, changes, needs_hashing, disabled_after)
        wrong = {("ann", "$stored$ann"): False, ("dee", "$stored$dee"): False}
        right = {("ann", "$stored$ann"): True, ("dee", "$stored$dee"): True}
        cases = [
            ("lock", entry("ann", disabled=True), {}, (DISABLE,), False, True),
            ("enabled stays enabled", entry("ann", disabled=False), {}, (), False, False),
            ("absent leaves enabled", entry("ann"), {}, (), False, False),
            ("already locked: nothing", entry("dee", disabled=True), {}, (), False, True),
            ("absent leaves disabled", entry("dee"), {}, (), False, True),
            ("unlock", entry("dee", disabled=False), {}, (ENABLE,), False, False),
            ("unlock, the file's password ignored without reset", entry("dee", "pw-dee-2", disabled=False), {},
             (ENABLE,), False, False),
            ("lock and reset", entry("ann", "pw-ann-10", reset=True, disabled=True), wrong, (RESET, DISABLE), True, True),
            ("lock, the password already right", entry("ann", "pw-ann-11", reset=True, disabled=True), right,
             (DISABLE,), False, True),
            ("reset while locked", entry("dee", "pw-dee-3", reset=True), wrong, (RESET,), True, True),
            ("reset while locked, already right", entry("dee", "pw-dee-4", reset=True), right, (), False, True),
            ("reset and unlock", entry("dee", "pw-dee-5", reset=True, disabled=False), wrong, (RESET, ENABLE), True, False),
            ("reset to the kept hash", entry("dee", password_hash="$stored$dee", reset=True), {}, (), False, True),
            ("unlock without a kept hash, with a reset", entry("eve", "pw-eve-1", reset=True, disabled=False), {},
             (RESET, ENABLE), True, False),
            ("reset without a kept hash", entry("eve", "pw-eve-2", reset=True), {}, (RESET,), True, True),
            ("new, locked, no password", entry("new", disabled=True), {}, (CREATE, DISABLE), False, True),
            ("new, locked, a password", entry("new", "pw-new-8", disabled=True), {}, (CREATE, DISABLE), True, True),
            ("new, locked, a hash", entry("new", password_hash="$given$9", disabled=True), {}, (CREATE, DISABLE),
             False, True),
            ("new, enabled", entry("new", "pw-new-9", disabled=False), {}, (CREATE,), True, False),
        ]
        for name, one, current, changes, needs_hashing, disabled_after in cases:
            with self.subTest(name):
                plan = sync_plan.plan_sync([one], LOCKING, current, SOURCE)
                action = plan.actions[0]
                self.assertEqual(action.changes, changes)
                self.assertEqual(action.needs_hashing, needs_hashing)
                self.assertEqual(action.disabled_after, disabled_after)
                self.assertEqual(action.disabled_before, LOCKING.disabled.get(one.username))
                self.assertEqual(len(plan.changes()), 1 if changes else 0)

    def test_a_stored_user_without_a_hash_is_never_checked(self):
        self.assertEqual(sync_plan.checks_needed([entry("eve", "pw-eve-3", reset=True)], LOCKING), [])

    def test_unlocking_a_user_without_a_kept_hash_needs_a_new_password(self):
        with self.assertRaises(ErrorList) as caught:
            sync_plan.plan_sync([entry("ann"), entry("eve", disabled=False, line=4, column=5)], LOCKING, {}, SOURCE)
        self.assertEqual(str(caught.exception),
                         'users.yaml:4:5: users[1]: "eve" has no password to restore (it was created disabled without '
                         'one): to enable it, give it a password or password_hash with reset_on_next_run: true')

    def test_counts_and_changes_agree_with_the_actions(self):
        import random

        rng = random.Random(5)
        names = ["ann", "ben", "cid", "dee", "eve", "new1", "new2"]
        for trial in range(200):
            entries = [entry(name, rng.choice([None, "pw-%s-1" % name]), rng.choice([None, None, "$stored$" + name]),
                             reset=rng.random() < 0.3, disabled=rng.choice([None, None, True, False]))
                       for name in rng.sample(names, rng.randint(1, len(names)))]
            entries = [one._replace(password=None) if one.password_hash else one for one in entries]
            current = dict(((one.username, LOCKING.hashes.get(one.username)), rng.random() < 0.5) for one in entries)
            with self.subTest(trial=trial, entries=entries):
                try:
                    plan = sync_plan.plan_sync(entries, LOCKING, current, SOURCE, disable_missing=rng.random() < 0.5,
                                               max_disable=None)
                except ErrorList:
                    continue
                self.assertEqual(plan.counts(), dict((kind, len(plan.of_kind(kind))) for kind in sync_plan.KINDS))
                self.assertEqual(plan.changes(), [action for action in plan.actions + plan.missing if action.changes])
                for action, one in zip(plan.actions, entries):
                    if one.username in LOCKING.emails and not one.reset_on_next_run and one.disabled is None:
                        self.assertEqual(action.changes, ())
                        self.assertEqual(action.disabled_before, LOCKING.disabled.get(one.username))

    def test_actions_of_unchanged_users_are_made_when_asked_for(self):
        entries = [entry("ann", "pw-ann-1", email="other@example.com"), entry("new", "pw-new-1"), entry("ben"),
                   entry("cid", "pw-cid-1", reset=True), entry("dee"), entry("eve", disabled=True)]
        plan = sync_plan.plan_sync(entries, LOCKING, {("cid", "$stored$cid"): True}, SOURCE)
        actions = plan.actions
        # Decided: the new user, the reset asked for, the disabled users; the others are made on access.
        self.assertEqual(sorted(actions.decided), [1, 3, 4, 5])
        expected = [
            sync_plan.Action("ann", entries[0], None, None, (), None),
            sync_plan.Action("new", entries[1], None, None, (CREATE,), None),
            sync_plan.Action("ben", entries[2], None, None, (), None),
            sync_plan.Action("cid", entries[3], None, None, (), None),
            sync_plan.Action("dee", entries[4], None, None, (), "2024-05-01T02:00:00Z"),
            sync_plan.Action("eve", entries[5], None, None, (), "2024-05-02T02:00:00Z"),
        ]
        self.assertEqual(len(actions), 6)
        self.assertEqual(list(actions), expected)
        self.assertEqual(actions, expected)
        self.assertEqual(expected, actions)
        self.assertNotEqual(actions, expected[:-1])
        for index in range(-6, 6):
            with self.subTest(index=index):
                self.assertEqual(actions[index], expected[index])
                self.assertEqual(tuple(actions[index]), tuple(expected[index]))
        for index in (6, -7):
            with self.subTest(index=index), self.assertRaises(IndexError):
                actions[index]
        self.assertEqual(actions[1:3], expected[1:3])
        self.assertEqual(actions + plan.missing, expected + plan.missing)
        self.assertEqual(plan.missing + actions, plan.missing + expected)
        self.assertEqual([action.username for action in plan.of_kind(UNCHANGED)], ["ann", "ben", "cid", "dee", "eve"])
        self.assertTrue(actions[0].email_differs)
        self.assertNotIn("pw-", repr(actions))

    def test_places_are_asked_for_errors_only(self):
        asked = []

        def place_of(index):
            asked.append(index)
            return 10 + index, 3

        sync_plan.plan_sync([entry("ann"), entry("new", "pw-new-1")], LOCKING, {}, SOURCE, place_of=place_of)
        self.assertEqual(asked, [])
        with self.assertRaises(ErrorList) as caught:
            sync_plan.plan_sync([entry("ann"), entry("eve", disabled=False), entry("new")], LOCKING, {}, SOURCE,
                                place_of=place_of)
        self.assertEqual(asked, [1, 2])
        self.assertEqual([(error.line, error.column) for error in caught.exception.errors], [(11, 3), (12, 3)])

    def test_users_not_in_the_file_are_reported_or_disabled(self):
        entries = [entry("ann"), entry("ben", disabled=True)]
        reported = sync_plan.plan_sync(entries, LOCKING, {}, SOURCE)
        self.assertEqual([(a.username, a.changes, a.disabled_before) for a in reported.missing],
                         [("cid", (), None), ("dee", (), "2024-05-01T02:00:00Z"), ("eve", (), "2024-05-02T02:00:00Z")])
        self.assertEqual(reported.counts(), {CREATE: 0, RESET: 0, DISABLE: 1, ENABLE: 0, UNCHANGED: 1, NOT_IN_FILE: 3})
        disabling = sync_plan.plan_sync(entries, LOCKING, {}, SOURCE, disable_missing=True)
        self.assertEqual([(a.username, a.changes) for a in disabling.missing],
                         [("cid", (DISABLE,)), ("dee", ()), ("eve", ())], "the disabled stay as they are")
        self.assertEqual([a.username for a in disabling.of_kind(DISABLE)], ["ben", "cid"])
        self.assertEqual([a.username for a in disabling.of_kind(NOT_IN_FILE)], ["cid", "dee", "eve"])
        self.assertEqual(disabling.counts(), {CREATE: 0, RESET: 0, DISABLE: 2, ENABLE: 0, UNCHANGED: 1, NOT_IN_FILE: 3})

    def test_guards_of_disable_missing(self):
        many = sync_plan.StoredUsers(dict(("u%02d" % n, None) for n in range(15)),
                                     dict(("u%02d" % n, "$h$") for n in range(15)), {"u14": "T"})
        empty = ('users.yaml: the file lists no users, so --disable-missing would disable every user of the database '
                 '(15): refusing, since an empty file is more likely a mistake than a wish; to disable users, '
                 'list them with "disabled: true"')

        def too_many(count, limit):
            return ("users.yaml: --disable-missing would disable %d users that are not in the file, more than "
                    "--max-disable %d: refusing; check the file, then allow it with --max-disable %d "
                    "(or --max-disable all)" % (count, limit, count))

        keep = lambda *numbers: [entry("u%02d" % n) for n in numbers]  # noqa: E731
        # (name, entries, max_disable, error or the number disabled)
        cases = [
            ("empty file", [], 10, empty),
            ("empty file, no limit", [], None, empty),
            ("11 of 14 enabled missing", keep(0, 1, 2), 10, too_many(11, 10)),
            ("at the limit: 11 missing, u14 disabled already does not count", keep(0, 1, 2, 3), 10, 10),
            ("explicit disabled: true entries do not count",
             keep(0, 1, 2, 3) + [entry("u%02d" % n, disabled=True) for n in (4, 5, 6)], 7, 7),
            ("a lower limit", keep(0, 1, 2, 3), 9, too_many(10, 9)),
            ("zero", keep(*range(13)), 0, too_many(1, 0)),
            ("zero, nothing to disable", keep(*range(14)), 0, 0),
            ("all", keep(0), None, 13),
        ]
        for name, entries, limit, expected in cases:
            with self.subTest(name):
                if isinstance(expected, str):
                    with self.assertRaises(DataError) as caught:
                        sync_plan.plan_sync(entries, many, {}, SOURCE, disable_missing=True, max_disable=limit)
                    self.assertEqual(str(caught.exception), expected)
                    self.assertEqual(caught.exception.exit_code, 65)
                else:
                    plan = sync_plan.plan_sync(entries, many, {}, SOURCE, disable_missing=True, max_disable=limit)
                    self.assertEqual(len([a for a in plan.missing if a.changes]), expected)
                # Without --disable-missing no guard applies: users not in the file are only reported.
                plan = sync_plan.plan_sync(entries, many, {}, SOURCE, max_disable=limit)
                self.assertEqual([a for a in plan.missing if a.changes], [])


if __name__ == "__main__":
    unittest.main()
