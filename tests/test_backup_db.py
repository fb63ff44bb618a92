"""Tests for the backup-db command: output, exit codes, and a sync running beside it."""

import json
import os
import re
import sqlite3
import subprocess

from tests import support
from tests.test_backup import fill

ENV = {"PROSPECTOR_HASH_COST": "low"}
NAME = r"prospector-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\.db"


class BackupDbTest(support.TemporaryDirectoryTestCase):
    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.db = self.path("prospector.db")
        self.folder = self.path("backups")
        os.mkdir(self.folder)

    def run_backup(self, *args):
        return support.run_cli(["--db", self.db] + list(args), environ=ENV)

    def test_text_output_json_quiet_and_verbose(self):
        fill(self.db, users=5)
        result = self.run_backup("backup-db", self.folder)
        self.assertEqual((result.code, result.stderr), (0, ""))
        match = re.match(r"\A(%s/%s): ([0-9]+) bytes in [0-9]+\.[0-9]{2} s\n\Z" % (re.escape(self.folder), NAME),
                         result.stdout)
        self.assertIsNotNone(match, result.stdout)
        self.assertEqual(int(match.group(3)), os.path.getsize(match.group(1)))

        result = self.run_backup("backup-db", "--format", "json", self.folder)
        self.assertEqual((result.code, result.stderr), (0, ""))
        made = json.loads(result.stdout)
        self.assertEqual(sorted(made), ["duration", "method", "path", "removed", "size"])
        self.assertRegex(made["path"], r"\A%s/%s\Z" % (re.escape(self.folder), NAME))
        self.assertEqual(made["size"], os.path.getsize(made["path"]))
        self.assertIsInstance(made["duration"], float)
        self.assertEqual(made["removed"], [])

        result = self.run_backup("-q", "backup-db", self.folder)
        self.assertEqual((result.code, result.stdout, result.stderr), (0, "", ""))
        self.assertEqual(len(os.listdir(self.folder)), 3)

        result = self.run_backup("-v", "backup-db", "--keep", "1", self.folder)
        self.assertEqual(result.code, 0)
        removed = re.findall(r"prospector-scheduler: removed the old backup (.*)\n", result.stderr)
        self.assertEqual(len(removed), 3, result.stderr)
        self.assertEqual(len(os.listdir(self.folder)), 1)
        for path in removed:
            self.assertFalse(os.path.exists(path))

    def test_exit_codes(self):
        missing = self.path("missing")
        table = [
            (["backup-db", self.folder], 66, "prospector-scheduler: error: there is no database at %s\n" % self.db),
            (["backup-db", missing], 73,
             "prospector-scheduler: error: cannot write backups to %s: the directory does not exist\n" % missing),
            (["backup-db", "--keep", "0", self.folder], 64,
             "prospector-scheduler: error: backup-db: argument --keep: expected 1 or more, got '0' "
             "(see 'prospector-scheduler backup-db --help')\n"),
            (["backup-db", "--wait", "x", self.folder], 64,
             "prospector-scheduler: error: backup-db: argument --wait: expected a number of seconds, got 'x' "
             "(see 'prospector-scheduler backup-db --help')\n"),
            (["backup-db"], 64,
             "prospector-scheduler: error: backup-db: the following arguments are required: DIR "
             "(see 'prospector-scheduler backup-db --help')\n"),
        ]
        for index, (args, code, stderr) in enumerate(table):
            if index == 1:
                fill(self.db, users=1)
            with self.subTest(args=args):
                result = self.run_backup(*args)
                self.assertEqual((result.code, result.stdout, result.stderr), (code, "", stderr))
        self.assertEqual(os.listdir(self.folder), [])

    def test_a_backup_never_makes_a_sync_fail(self):
        """Real sync-users processes while backups run back to back: every sync succeeds."""
        fill(self.db, users=3000)
        users = self.write("users.json", json.dumps({"users": [
            {"username": "extra%d" % n, "password": "pw-backup-sync-%d" % n} for n in range(4)]}))
        stop = self.path("stop")
        backups = subprocess.Popen(
            support.python_command("-c", BACKUP_LOOP, self.db, self.folder, stop),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=support.process_environment())
        try:
            self.assertEqual(backups.stdout.readline(), b"started\n")
            syncs = [support.run_process(["--db", self.db, "sync-users", "--wait", "10", users], env=ENV)
                     for _ in range(3)]
        finally:
            with open(stop, "w"):
                pass
            out, err = backups.communicate(timeout=60)
        self.assertEqual((backups.returncode, err), (0, b""))
        self.assertGreater(int(out), 1)
        for result in syncs:
            self.assertEqual(result.code, 0, result)
            self.assertNotIn("error", result.stderr)  # the low-cost hashing warning only
        self.assertEqual([result.stdout.split(",")[0] for result in syncs], ["created 4", "created 0", "created 0"])
        connection = sqlite3.connect(self.db)
        self.assertEqual(connection.execute("SELECT count(*) FROM sync_runs").fetchone()[0], 3)
        connection.close()


BACKUP_LOOP = """
import datetime, os, sys
from prospector_scheduler import backup
db, folder, stop = sys.argv[1:4]
n = 0
start = datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)
while not os.path.exists(stop):
    backup.take_backup(db, folder, keep=2, clock=lambda: start + datetime.timedelta(seconds=n))
    n += 1
    if n == 1:
        sys.stdout.write("started\\n")
        sys.stdout.flush()
sys.stdout.write("%d\\n" % n)
"""
