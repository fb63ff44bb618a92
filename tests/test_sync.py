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


def digest_by_definition(entries):
    """The definition of sync.source_digest, written the plain way, one entry at a time."""
    import hashlib

    lines = []
    for entry in entries:
        flags = ""
        flags += "p" if entry.password is not None else "-"
        flags += "h" if entry.password_hash is not None else "-"
        flags += "r" if entry.reset_on_next_run else "-"
        if entry.disabled is True:
            flags += "d"
        elif entry.disabled is False:
            flags += "e"
        else:
            flags += "-"
        email = "" if entry.email is None else entry.email
        lines.append(entry.username + "\t" + email + "\t" + flags + "\n")
    return "nosecrets2-sha256:" + hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def every_kind_of_entry():
    """Entries with every combination of the four flags, non-ASCII usernames and emails, and no email."""
    from prospector_scheduler.users_file import UserEntry

    names = ["alice", "b\u00e9a", 'quo"te', "back\\slash", "\u00fcml\u00e4ut", "\U0001f600", "x" * 300, "with space"]
    emails = ["a@b.example", None, "\u00fc@\u00e4.de", 'q"@x.y', None, "e@f.gh", None, "z@z.zz"]
    entries = []
    for password in ("pw", None):
        for password_hash in ("$scrypt$x", None):
            for reset in (False, True):
                for disabled in (None, True, False):
                    index = len(entries)
                    entries.append(UserEntry(
                        "%s-%d" % (names[index % len(names)], index), password, password_hash,
                        emails[index % len(emails)], reset, index or None, 5 if index % 2 else None, disabled))
    return entries


class SourceDigestTest(support.TemporaryDirectoryTestCase):
    def test_the_digest_is_its_definition(self):
        entries = every_kind_of_entry()
        self.assertEqual(len(set((e.password, e.password_hash, e.reset_on_next_run, e.disabled) for e in entries)), 24)
        for count in (0, 1, 2, 7, len(entries)):
            with self.subTest(count=count):
                self.assertEqual(sync.source_digest(entries[:count]), digest_by_definition(entries[:count]))
        # The order of the entries counts.
        self.assertNotEqual(sync.source_digest(entries[::-1]), sync.source_digest(entries))

    def test_entries_that_all_have_the_same_flags_and_those_that_differ_in_one(self):
        # The digest takes a shortcut when every entry has the same flags, or every entry an email.
        kinds = every_kind_of_entry()
        for kind in kinds:
            alike = [kind._replace(username="u%d" % n, email=email)
                     for n, email in enumerate(("a@b.example", None, "c@d.example"))]
            with_email = [entry._replace(email="x@y.example") for entry in alike]
            for entries in (alike, with_email, alike[:1]):
                with self.subTest(flags=(kind.password, kind.password_hash, kind.reset_on_next_run, kind.disabled),
                                  entries=len(entries), emails=[entry.email for entry in entries]):
                    self.assertEqual(sync.source_digest(entries), digest_by_definition(entries))
            # One flag of the last entry differs from the others'.
            for field, other in (("password", None if kind.password else "pw"),
                                 ("password_hash", None if kind.password_hash else "$scrypt$x"),
                                 ("reset_on_next_run", not kind.reset_on_next_run),
                                 ("disabled", {None: True, True: False, False: None}[kind.disabled])):
                entries = alike[:-1] + [alike[-1]._replace(**{field: other})]
                with self.subTest(flags=(kind.password, kind.password_hash, kind.reset_on_next_run, kind.disabled),
                                  last_differs_in=field):
                    self.assertEqual(sync.source_digest(entries), digest_by_definition(entries))
                    self.assertNotEqual(sync.source_digest(entries), sync.source_digest(alike))

    def test_the_text_it_digests(self):
        import hashlib

        from prospector_scheduler.users_file import UserEntry

        cases = [
            ([], ""),
            ([UserEntry("alice", "pw", None, "alice@example.com", False, 3, 5)], "alice\talice@example.com\tp---\n"),
            ([UserEntry("b\u00e9a", None, "$scrypt$x", None, True, None, None, False),
              UserEntry("carl", None, None, "c@d.ef", False, None, None, True)],
             "b\u00e9a\t\t-hre\ncarl\tc@d.ef\t---d\n"),
        ]
        for entries, text in cases:
            with self.subTest(text=text):
                self.assertEqual(sync.source_digest(entries),
                                 "nosecrets2-sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest())

    def test_the_quick_and_the_full_check_give_the_same_digest(self):
        text = "users:\n" + "".join("  - username: u%d\n    password: pw-%d\n    email: u%d@x.example\n" % (n, n, n)
                                    for n in range(50))
        quick = users_file.parse(text.encode("utf-8"), "u.yaml")
        full = users_file.full_check(text, "u.yaml", "yaml")
        self.assertEqual(sync.source_digest(quick), digest_by_definition(full))

    def test_the_readme_recipe_recomputes_it(self):
        """The README's one-line recomputation for a JSON users file, which an auditor runs without this tool."""
        import shlex
        import subprocess

        with open(os.path.join(support.ROOT, "README.md"), encoding="utf-8") as stream:
            [recipe] = [line.strip(" `") for line in stream if line.strip(" `").startswith("python3 -c 'import hashlib")]
        command = shlex.split(recipe)
        self.assertEqual(command[0], "python3")
        entries = every_kind_of_entry()
        data = {"users": [dict((key, value) for key, value in entry._asdict().items()
                               if key not in ("line", "column") and value is not None) for entry in entries]}
        data["users"][1]["email"] = None  # an explicit null is no email
        path = self.write(command[-1], json.dumps(data, ensure_ascii=False))
        child = subprocess.Popen(support.python_command(*command[1:-1]) + [path], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, universal_newlines=True)
        output, errors = child.communicate()
        self.assertEqual((child.returncode, errors), (0, ""))  # no warning either (a file left open)
        self.assertEqual(output, sync.source_digest(entries) + "\n")
