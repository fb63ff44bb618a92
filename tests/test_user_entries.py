"""Tests for prospector_scheduler.user_entries: entries kept column by column, read as a sequence."""

import unittest

from prospector_scheduler.user_entries import FIELDS, UserEntries, UserEntry

ENTRIES = [
    UserEntry("ann", "pw-ann", None, "ann@example.com", False, 2, 5, None),
    UserEntry("b\u00e9a", None, "$scrypt$x", None, True, None, None, True),
    UserEntry("cid", None, None, "c@d.ef", False, 9, 3, False),
]


class UserEntryTest(unittest.TestCase):
    def test_its_repr_shows_no_secret(self):
        password, password_hash = "Tr0ub4dor&3-horse", "scrypt$16384$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5"
        entry = UserEntry("ada", password, password_hash, "ada@example.com", True, 3, 5, False)
        for shown in (repr(entry), str(entry), repr(UserEntries.of([entry])), repr([entry])):
            with self.subTest(shown=shown):
                for secret in (password, password_hash):
                    # Neither the secret nor any piece of it of four characters.
                    pieces = [secret[start:start + 4] for start in range(len(secret) - 3)]
                    self.assertEqual([piece for piece in pieces if piece in shown], [])
                self.assertIn("username='ada'", shown)
                self.assertIn("password=<hidden>, password_hash=<hidden>", shown)
                self.assertIn("email='ada@example.com', reset_on_next_run=True, line=3, column=5, disabled=False", shown)
        absent = UserEntry("bob", None, None, None, False, None, None)
        self.assertEqual(repr(absent), "UserEntry(username='bob', password=None, password_hash=None, email=None, "
                                       "reset_on_next_run=False, line=None, column=None, disabled=None)")


class UserEntriesTest(unittest.TestCase):
    def test_it_reads_as_the_entries_it_was_made_of(self):
        entries = UserEntries.of(ENTRIES)
        self.assertEqual(len(entries), 3)
        self.assertEqual(list(entries), ENTRIES)
        self.assertEqual([type(entry) for entry in entries], [UserEntry] * 3)
        # (index, the entry it gives)
        cases = [(0, ENTRIES[0]), (2, ENTRIES[2]), (-1, ENTRIES[2]), (-3, ENTRIES[0])]
        for index, expected in cases:
            with self.subTest(index=index):
                self.assertEqual(entries[index], expected)
                self.assertIs(type(entries[index]), UserEntry)
        for index in (3, -4, 100):
            with self.subTest(index=index), self.assertRaises(IndexError):
                entries[index]
        self.assertEqual(entries[1:], ENTRIES[1:])
        self.assertEqual(entries[::-1], ENTRIES[::-1])
        self.assertEqual(list(reversed(entries)), ENTRIES[::-1])
        self.assertEqual(entries.index(ENTRIES[1]), 1)
        self.assertIn(ENTRIES[2], entries)

    def test_its_columns(self):
        entries = UserEntries.of(ENTRIES)
        for position, name in enumerate(FIELDS):
            with self.subTest(field=name):
                self.assertEqual(entries.column(name), [entry[position] for entry in ENTRIES])
        self.assertEqual(entries.column("username"), ["ann", "b\u00e9a", "cid"])
        with self.assertRaises(ValueError):
            entries.column("pasword")

    def test_it_is_made_from_columns_which_it_keeps(self):
        usernames = ["a", "b"]
        nothing = [None, None]
        columns = dict.fromkeys(FIELDS, nothing)
        columns.update(username=usernames, reset_on_next_run=[False, True])
        entries = UserEntries(columns)
        self.assertIs(entries.column("username"), usernames)
        self.assertEqual(list(entries), [UserEntry("a", None, None, None, False, None, None, None),
                                         UserEntry("b", None, None, None, True, None, None, None)])

    def test_columns_that_do_not_make_entries_are_refused(self):
        # (what is wrong, the columns)
        cases = [
            ("a field missing", dict((name, [1]) for name in FIELDS if name != "disabled")),
            ("lengths differ", dict((name, [1, 2] if name == "email" else [1]) for name in FIELDS)),
        ]
        for label, columns in cases:
            with self.subTest(label), self.assertRaises(ValueError):
                UserEntries(columns)

    def test_equality(self):
        entries = UserEntries.of(ENTRIES)
        # (other, equal)
        cases = [
            (ENTRIES, True),
            (tuple(ENTRIES), True),
            (UserEntries.of(list(ENTRIES)), True),
            (ENTRIES[:2], False),
            (ENTRIES[::-1], False),
            (ENTRIES[:2] + [ENTRIES[2]._replace(disabled=None)], False),
            ([], False),
            (set(), False),
            ("ann", False),
        ]
        for other, equal in cases:
            with self.subTest(other=other):
                self.assertEqual(entries == other, equal)
                self.assertEqual(other == entries, equal)
                self.assertEqual(entries != other, not equal)
        self.assertEqual(UserEntries.of([]), [])
        self.assertEqual(len(UserEntries.of([])), 0)
        with self.assertRaises(TypeError):
            hash(entries)

    def test_of_gives_a_user_entries_back_as_it_is(self):
        entries = UserEntries.of(ENTRIES)
        self.assertIs(UserEntries.of(entries), entries)
        self.assertEqual(UserEntries.of(iter(ENTRIES)), ENTRIES)


if __name__ == "__main__":
    unittest.main()
