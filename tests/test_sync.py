"""Tests for the sync library, called without argparse or the CLI (the command's own tests are in test_sync_users)."""

import io
import os
import json

from prospector_scheduler import store, sync, sync_plan, users_file
from prospector_scheduler.errors import DataError
from tests import support

ENV = {"PROSPECTOR_HASH_COST": "low"}


class SyncFileTest(support.TemporaryDirectoryTestCase):
    def users(self, *entries):
        return self.write("users.json", json.dumps({"users": list(entries)}))

    def test_result_of_a_first_and_a_second_run(self):
        path = self.users({"username": "alice", "password": "pw-Alice-lib-1", "reset_on_next_run": True})
        db = self.path("prospector.db")
        warnings = []
        first = sync.sync_file(path, db, environ=ENV, warn=warnings.append)
        self.assertEqual((first.dry_run, first.database_created), (False, True))
        self.assertEqual(first.plan.counts(), {sync_plan.CREATE: 1, sync_plan.RESET: 0, sync_plan.DISABLE: 0,
                                               sync_plan.ENABLE: 0, sync_plan.UNCHANGED: 0, sync_plan.NOT_IN_FILE: 0})
        second = sync.sync_file(path, db, environ=ENV, warn=warnings.append)
        self.assertEqual((second.dry_run, second.database_created), (False, False))
        self.assertEqual(second.plan.counts()[sync_plan.UNCHANGED], 1)
        with store.open_database(db, read_only=True) as database:
            self.assertEqual([row.username for row in database.list_users()], ["alice"])
            self.assertEqual(len(database.sync_runs()), 2)
        # The low cost, once: the second run verified and hashed nothing.
        self.assertEqual(len([warning for warning in warnings if "below the standard cost" in warning]), 1)

    def test_dry_run_from_standard_input_creates_nothing(self):
        stdin = io.StringIO(json.dumps({"users": [{"username": "bob", "password": "pw-Bob-lib-2"}]}))
        result = sync.sync_file("-", self.path("new.db"), stdin=stdin, dry_run=True, environ=ENV)
        self.assertEqual((result.dry_run, result.database_created), (True, False))
        self.assertEqual([action.username for action in result.plan.of_kind(sync_plan.CREATE)], ["bob"])
        self.assertEqual(os.listdir(self.tmp), [])


class HashingTest(support.TemporaryDirectoryTestCase):
    def test_labels_carry_the_username_into_errors(self):
        from prospector_scheduler import users_file

        loaded = users_file.UsersFile("users.json", [
            users_file.UserEntry("bob", "x" * 5000, None, None, False, None, None),
        ])
        with self.assertRaises(DataError) as caught:
            sync.sync_users(loaded, self.path("prospector.db"), environ=ENV)
        self.assertEqual(str(caught.exception), 'users.json: the password of "bob" is longer than 4096 bytes in UTF-8')
        self.assertEqual(caught.exception.exit_code, 65)


def canonical_digest(entries):
    """The definition of sync.source_digest, written the plain way: json.dumps of every entry's
    fields as a dict, sorted keys, no spaces, ASCII; secrets as whether they were given; no places."""
    import hashlib

    canonical = []
    for entry in entries:
        fields = entry._asdict()
        for name in ("password", "password_hash"):
            fields[name] = fields[name] is not None
        del fields["line"], fields["column"]
        canonical.append(fields)
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "nosecrets-sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


class SourceDigestTest(support.TemporaryDirectoryTestCase):
    def test_the_digest_is_its_definition(self):
        from prospector_scheduler.users_file import UserEntry

        names = ["alice", "b\u00e9a", 'quo"te', "back\\slash", "tab\there", "\u2028", "\U0001f600", "x" * 300]
        entries = [
            UserEntry(name, password, password_hash, email, reset, line, column, disabled)
            for name, password, password_hash, email, reset, line, column, disabled in zip(
                names,
                ["pw", None, "pw-2", None, "p\u00e4", None, "x", None],
                [None, "$scrypt$x", None, "$pbkdf2-sha256$y", None, None, None, "h"],
                ["a@b.example", None, "\u00fc@\u00e4.de", 'q"@x.y', None, "e@f.gh", None, "z@z.zz"],
                [False, True, False, True, True, False, False, True],
                [None, 3, None, 7, None, None, 9, None],
                [None, 5, None, 5, None, None, 1, None],
                [None, True, False, None, True, False, None, None],
            )
        ]
        self.assertEqual(len(entries), len(names))
        for count in (0, 1, 2, len(entries)):
            with self.subTest(count=count):
                self.assertEqual(sync.source_digest(entries[:count]), canonical_digest(entries[:count]))
        text = "users:\n" + "".join("  - username: u%d\n    password: pw-%d\n    email: u%d@x.example\n" % (n, n, n)
                                    for n in range(50))
        quick = users_file.parse(text.encode("utf-8"), "u.yaml")
        full = users_file.full_check(text, "u.yaml", "yaml")
        self.assertEqual(sync.source_digest(quick), canonical_digest(full))
