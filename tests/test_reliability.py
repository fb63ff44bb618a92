"""Reliability of sync-users, each test driving real processes.

A sync killed at random moments leaves the database consistent and either
all before or all after; overlapping syncs all succeed or give up cleanly;
bad files change no byte of the database; and no password used anywhere in
the tests reaches an output or the database in plain text. Every test is
bounded in time (a few seconds each on a small machine).
"""

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import time
import unittest

from prospector_scheduler import passwords
from tests import support

ENV = {"PROSPECTOR_HASH_COST": "low"}
BAD_FILES = os.path.join(support.DATA, "sync_users", "bad")
# Every password in the tests and their data is written "pw-..." (these tests) or holds the
# word SECRET (the users-file tests, see tests/data/users/README.md), so that it can be found.
PASSWORD_PATTERN = re.compile(r"pw-[A-Za-z0-9-]+|SECRET")
USERS_FILES = os.path.join(support.DATA, "users")
# A hash as stored, as opposed to the formats named in error messages.
HASH_PATTERN = re.compile(r"\$(scrypt\$ln=[0-9]+,r=[0-9]+,p=[0-9]+|pbkdf2-sha256\$[0-9]+)\$[A-Za-z0-9+/.]+\$[A-Za-z0-9+/.]+")


def sync_command(db, *arguments):
    return support.python_command("-m", "prospector_scheduler", "--db", db, "sync-users", *arguments)


def start(command, stdin=None):
    return subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=support.process_environment(ENV),
    )


def finish(process, stdin=None, timeout=30):
    out, err = process.communicate(stdin, timeout=timeout)
    return support.Result(process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def users_json(entries):
    return json.dumps({"users": entries}).encode("utf-8")


def rows_of(db):
    """``(integrity, {username: password_hash}, number of sync runs)``; rolls back a hot journal."""
    connection = sqlite3.connect(db)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchall()
        rows = dict(connection.execute("SELECT username, password_hash FROM users"))
        runs = connection.execute("SELECT count(*) FROM sync_runs").fetchone()[0]
        return integrity, rows, runs
    finally:
        connection.close()


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


class KillTest(support.TemporaryDirectoryTestCase):
    def test_sigkill_at_random_moments_leaves_all_before_or_all_after(self):
        policy = passwords.policy_from_environ(ENV)
        old_hash = passwords.hash_password("pw-kill-old-1", policy)
        new_hash = passwords.hash_password("pw-kill-new-1", policy)
        existing = ["old%04d" % n for n in range(1500)]
        newcomers = ["new%04d" % n for n in range(1500)]
        hashed = ["hashed%02d" % n for n in range(16)]
        before_file = self.write("before.json", users_json([{"username": name, "password_hash": old_hash} for name in existing]))
        after_entries = [{"username": name, "password_hash": new_hash, "reset_on_next_run": True} for name in existing]
        after_entries += [{"username": name, "password_hash": new_hash} for name in newcomers]
        after_entries += [{"username": name, "password": "pw-kill-hashed-%d" % n} for n, name in enumerate(hashed)]
        after_file = self.write("after.json", users_json(after_entries))

        template = self.path("template.db")
        self.assertEqual(finish(start(sync_command(template, before_file))).code, 0)
        before = rows_of(template)
        self.assertEqual((before[0], len(before[1]), before[2]), ([("ok",)], 1500, 1))
        db = self.path("prospector.db")
        after_names = set(existing + newcomers + hashed)

        def fresh_copy():
            for suffix in ("", "-journal"):
                if os.path.exists(db + suffix):
                    os.unlink(db + suffix)
            shutil.copyfile(template, db)

        def state():
            integrity, rows, runs = rows_of(db)
            self.assertEqual(integrity, [("ok",)])
            if (rows, runs) == (before[1], before[2]):
                return "before"
            self.assertEqual(set(rows), after_names, "users neither all before nor all after")
            self.assertEqual(runs, 2)
            for name in existing + newcomers:
                self.assertEqual(rows[name], new_hash)
            return "after"

        fresh_copy()
        started = time.monotonic()
        self.assertEqual(finish(start(sync_command(db, after_file))).code, 0)
        duration = time.monotonic() - started
        self.assertEqual(state(), "after")

        seed = random.randrange(1 << 30)
        chooser = random.Random(seed)
        outcomes = []
        journal_left = []
        for trial in range(10):
            fresh_copy()
            process = start(sync_command(db, after_file))
            if trial % 2:
                time.sleep(chooser.uniform(0, 1.2 * duration))
            else:
                # Aim at the write itself: the rollback journal exists only while it lasts.
                limit = time.monotonic() + 2 * duration + 5
                while not os.path.exists(db + "-journal") and process.poll() is None and time.monotonic() < limit:
                    time.sleep(0.0002)
                time.sleep(chooser.uniform(0, 0.005))
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
            journal_left.append(os.path.exists(db + "-journal"))
            with self.subTest(trial=trial, seed=seed, returncode=process.returncode):
                outcomes.append(state())
        # The database left by a kill is usable: the next sync completes it.
        self.assertEqual(finish(start(sync_command(db, after_file))).code, 0)
        integrity, rows, _ = rows_of(db)
        self.assertEqual((integrity, set(rows)), ([("ok",)], after_names))
        self.assertEqual(len(outcomes), 10)
        self.assertTrue(any(journal_left), "no kill landed inside the write: the test proved nothing")


class DisableMissingKillTest(support.TemporaryDirectoryTestCase):
    def test_disable_missing_killed_at_random_moments_is_all_or_nothing(self):
        policy = passwords.policy_from_environ(ENV)
        old_hash = passwords.hash_password("pw-kill-off-1", policy)
        staying = ["stay%04d" % n for n in range(1000)]
        leaving = ["gone%04d" % n for n in range(1000)]
        newcomers = ["hired%02d" % n for n in range(8)]
        before_file = self.write("before.json", users_json([{"username": name, "password_hash": old_hash}
                                                            for name in staying + leaving]))
        after_entries = [{"username": name, "password_hash": old_hash} for name in staying]
        after_entries += [{"username": name, "password": "pw-kill-off-new-%d" % n} for n, name in enumerate(newcomers)]
        after_file = self.write("after.json", users_json(after_entries))
        template = self.path("template.db")
        self.assertEqual(finish(start(sync_command(template, before_file))).code, 0)
        before = rows_of(template)
        connection = sqlite3.connect(template)
        before_changes = connection.execute("SELECT count(*) FROM user_changes").fetchone()[0]
        connection.close()
        self.assertEqual(before_changes, len(staying + leaving))
        db = self.path("prospector.db")
        command = sync_command(db, "--disable-missing", "--max-disable", "all", after_file)

        def fresh_copy():
            for suffix in ("", "-journal"):
                if os.path.exists(db + suffix):
                    os.unlink(db + suffix)
            shutil.copyfile(template, db)

        def tables():
            connection = sqlite3.connect(db)
            try:
                return [connection.execute("SELECT * FROM %s ORDER BY 1" % table).fetchall()
                        for table in ("users", "sync_runs", "user_changes")]
            finally:
                connection.close()

        def state():
            integrity, rows, runs = rows_of(db)
            self.assertEqual(integrity, [("ok",)])
            connection = sqlite3.connect(db)
            try:
                changes = connection.execute("SELECT count(*) FROM user_changes").fetchone()[0]
                kept = dict(connection.execute("SELECT username, kept_password_hash FROM users"))
                disabled = dict(connection.execute("SELECT username, disabled_at FROM users"))
            finally:
                connection.close()
            if (rows, runs, changes) == (before[1], before[2], before_changes):
                self.assertEqual(tables(), before_tables, "every row of users, sync_runs and user_changes as before")
                return "before"
            self.assertEqual(set(rows), set(staying + leaving + newcomers), "users neither all before nor all after")
            self.assertEqual(runs, 2)
            self.assertEqual(changes, before_changes + len(leaving) + len(newcomers))
            for name in leaving:
                self.assertEqual((rows[name], kept[name]), ("!disabled", old_hash))
                self.assertIsNotNone(disabled[name])
            for name in staying + newcomers:
                self.assertIsNone(disabled[name])
            for name in staying:
                self.assertEqual((rows[name], kept[name]), (old_hash, None))
            return "after"

        fresh_copy()
        before_tables = tables()
        started = time.monotonic()
        self.assertEqual(finish(start(command)).code, 0)
        duration = time.monotonic() - started
        self.assertEqual(state(), "after")
        seed = random.randrange(1 << 30)
        chooser = random.Random(seed)
        journal_left = []
        outcomes = []
        for trial in range(8):
            fresh_copy()
            process = start(command)
            if trial % 2:
                time.sleep(chooser.uniform(0, 1.2 * duration))
            else:
                limit = time.monotonic() + 2 * duration + 5
                while not os.path.exists(db + "-journal") and process.poll() is None and time.monotonic() < limit:
                    time.sleep(0.0002)
                time.sleep(chooser.uniform(0, 0.005))
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
            journal_left.append(os.path.exists(db + "-journal"))
            with self.subTest(trial=trial, seed=seed, returncode=process.returncode):
                outcomes.append(state())
                if journal_left[-1] and journal_left.count(True) == 1:
                    # A journal left behind means the run did not commit: the next run rolls it
                    # back and does the whole work. (After a committed run, a next run would
                    # rightly add a third, empty sync_runs row.)
                    self.assertEqual(outcomes[-1], "before")
                    self.assertEqual(finish(start(command)).code, 0, "the next run completes it")
                    self.assertEqual(state(), "after")
        self.assertEqual(len(outcomes), 8)
        self.assertTrue(any(journal_left), "no kill landed inside the write: the test proved nothing")


class OverlapTest(support.TemporaryDirectoryTestCase):
    """Several syncs of overlapping files started together."""

    def files(self):
        # User n has one password in every file; files overlap by half, all share user0..user4.
        paths = []
        for k in range(4):
            numbers = sorted(set(range(5)) | set(range(10 * k, 10 * k + 20)))
            entries = [
                {"username": "user%d" % n, "password": "pw-overlap-%d" % n, "reset_on_next_run": n % 2 == 0}
                for n in numbers
            ]
            paths.append((self.write("users%d.json" % k, users_json(entries)), set("user%d" % n for n in numbers)))
        return paths

    def run_together(self, wait, attempt=0):
        db = self.path("prospector-%s-%d.db" % (wait, attempt))
        files = self.files()
        processes = [start(sync_command(db, "--format", "json", "--wait", wait, path)) for path, _ in files]
        results = [finish(process) for process in processes]
        return db, files, results

    def check(self, db, files, results):
        succeeded = [names for (_, names), result in zip(files, results) if result.code == 0]
        for result in results:
            self.assertIn(result.code, (0, 75), result.stderr)
            if result.code == 75:
                self.assertRegex(result.stderr, r"error: another run holds the database .*try again later\n$")
        self.assertTrue(succeeded, "at least one run gets the lock")
        integrity, rows, runs = rows_of(db)
        self.assertEqual(integrity, [("ok",)])
        self.assertEqual(set(rows), set().union(*succeeded))
        self.assertEqual(runs, len(succeeded))
        created = sum(json.loads(result.stdout)["counts"]["created"] for result in results if result.code == 0)
        self.assertEqual(created, len(rows), "every user created exactly once")
        for name, stored in rows.items():
            self.assertTrue(passwords.verify_password("pw-overlap-%s" % name[len("user"):], stored), name)

    def test_all_wait_and_succeed(self):
        db, files, results = self.run_together("30")
        self.assertEqual([result.code for result in results], [0, 0, 0, 0], [r.stderr for r in results])
        self.check(db, files, results)

    def test_without_waiting_each_succeeds_or_exits_75(self):
        for attempt in range(3):
            with self.subTest(attempt=attempt):
                db, files, results = self.run_together("0", attempt)
                self.check(db, files, results)

    def test_a_run_holding_the_lock_finishes_while_another_program_reads(self):
        # The run that got the write lock must not give up at COMMIT for a reader (list-users,
        # a backup, the application), even with --wait 0: else overlapping runs could all give up.
        db = self.path("prospector.db")
        first = self.write("first.json", users_json([{"username": "alice", "password": "pw-reader-1"}]))
        second = self.write("second.json", users_json([
            {"username": "alice", "password": "pw-reader-1"}, {"username": "bob", "password": "pw-reader-2"}]))
        self.assertEqual(finish(start(sync_command(db, first))).code, 0)
        reader = sqlite3.connect(db, isolation_level=None)
        self.addCleanup(reader.close)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM users").fetchone()
        process = start(sync_command(db, "--wait", "0", second))
        limit = time.monotonic() + 30
        while not os.path.exists(db + "-journal") and process.poll() is None and time.monotonic() < limit:
            time.sleep(0.001)
        time.sleep(0.2)
        reader.execute("COMMIT")
        result = finish(process)
        self.assertEqual(result.code, 0, result.stderr)
        self.assertEqual(sorted(rows_of(db)[1]), ["alice", "bob"])


class BadFilesTest(support.TemporaryDirectoryTestCase):
    def test_bad_files_change_no_byte(self):
        db = self.path("prospector.db")
        good = self.write("good.json", users_json([{"username": "alice", "password": "pw-bad-base-1"}, {"username": "bob", "password": "pw-bad-base-2"}]))
        self.assertEqual(finish(start(sync_command(db, good))).code, 0)
        before = read_bytes(db)
        names = sorted(os.listdir(BAD_FILES))
        self.assertGreaterEqual(len(names), 20)
        missing = self.path("missing.db")
        for name in names:
            path = os.path.join(BAD_FILES, name)
            with self.subTest(name=name):
                for target in (db, missing):
                    result = finish(start(sync_command(target, path)))
                    self.assertEqual(result.code, 65, result.stderr)
                    self.assertEqual(result.stdout, "")
                    self.assertEqual(read_bytes(db), before)
                    self.assertEqual(sorted(os.listdir(self.tmp)), ["good.json", "prospector.db"])


class SecretsTest(support.TemporaryDirectoryTestCase):
    """No password used anywhere in the tests reaches an output or the database in plain text."""

    def all_test_passwords(self):
        found = set()
        for folder, _, files in os.walk(support.TESTS):
            for name in files:
                if name.endswith((".py", ".json", ".yaml", ".yml")):
                    found.update(PASSWORD_PATTERN.findall(read_bytes(os.path.join(folder, name)).decode("latin-1")))
        return sorted(found)

    def test_no_password_anywhere(self):
        secrets = self.all_test_passwords()
        self.assertGreater(len(secrets), 40)
        for example in ("pw-Alice-first-1", "pw-corpus-anchor-1", "pw-overlap-", "SECRET"):
            self.assertIn(example, secrets)
        db = self.path("prospector.db")
        first = self.write(
            "first.json",
            users_json(
                [
                    {"username": "alice", "password": "pw-secret-alice-1", "email": "a@example.com"},
                    {"username": "bob", "password": "pw-sh7x"},
                    {"username": "carol", "password": "pw-secret-carol-1", "reset_on_next_run": True},
                ]
            ),
        )
        second = self.write(
            "second.json",
            users_json(
                [
                    {"username": "alice", "password": "pw-secret-alice-2", "email": "b@example.com", "reset_on_next_run": True},
                    {"username": "carol", "password": "pw-secret-carol-1", "reset_on_next_run": True},
                    {"username": "dave", "password": "pw-secret-dave-1"},
                ]
            ),
        )
        runs = [
            (sync_command(db, first), None),
            (sync_command(db, "--dry-run", second), None),
            (support.python_command("-m", "prospector_scheduler", "--db", db, "-v", "sync-users", second), None),
            (sync_command(db, "--format", "json", second), None),
            (sync_command(db, "-"), read_bytes(first)),
            (support.python_command("-m", "prospector_scheduler", "--db", db, "list-users"), None),
            (support.python_command("-m", "prospector_scheduler", "--db", db, "list-users", "--format", "json"), None),
        ]
        runs += [(sync_command(db, os.path.join(BAD_FILES, name)), None) for name in sorted(os.listdir(BAD_FILES))]
        runs += [(sync_command(db, "--input-format", "yaml", "-"), read_bytes(os.path.join(BAD_FILES, "anchor.yaml")))]
        outputs = []
        codes = []
        stored_hashes = set()
        for command, stdin in runs:
            result = finish(start(command, stdin), stdin)
            codes.append(result.code)
            outputs.append(result.stdout + result.stderr)
            stored_hashes.update(rows_of(db)[1].values())
        self.assertEqual(codes[:7], [0] * 7, outputs[:7])
        self.assertEqual(set(codes[7:]), {65})
        # Every users file of the users-file tests, valid or not, through a real sync: eight at a time.
        data_files = []
        for kind in ("valid", "invalid"):
            folder = os.path.join(USERS_FILES, kind)
            data_files += [os.path.join(folder, name) for name in sorted(os.listdir(folder)) if not name.endswith(".entries")]
        self.assertGreater(len(data_files), 30)
        other_db = self.path("other.db")
        for first_of_batch in range(0, len(data_files), 8):
            batch = [start(sync_command(other_db, path)) for path in data_files[first_of_batch:first_of_batch + 8]]
            for path, process in zip(data_files[first_of_batch:], batch):
                result = finish(process)
                self.assertIn(result.code, (0, 65, 66), (path, result.stderr))
                outputs.append(result.stdout + result.stderr)
        stored_hashes.update(rows_of(other_db)[1].values())
        self.assertTrue(rows_of(other_db)[1], "some of those files create users")
        stored = [read_bytes(path) for path in (db, other_db)]
        for secret in secrets:
            with self.subTest(secret=secret):
                for output in outputs:
                    self.assertNotIn(secret, output)
                for data in stored:
                    self.assertNotIn(secret.encode("utf-8"), data)
        self.assertGreaterEqual(len(stored_hashes), 4)
        for output in outputs:
            self.assertIsNone(HASH_PATTERN.search(output), "a hash in the output")
            for stored in stored_hashes:
                self.assertNotIn(stored, output)


if __name__ == "__main__":
    unittest.main()
