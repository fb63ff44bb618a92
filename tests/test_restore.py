"""The README's restore procedure, run as it stands, against a test folder."""

import grp
import os
import pwd
import re
import shutil
import subprocess
import unittest

from tests import support
from tests.test_backup import contents, fill
from tests.test_health import damage_a_table_page
from tests.test_readme import readme
from prospector_scheduler import backup


def restore_block(text):
    """The shell block of the README's "Restore" section."""
    section = text[text.index("\n### Restore\n"):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


@unittest.skipUnless(shutil.which("bash") and shutil.which("install"), "needs bash and install")
class RestoreProcedureTest(support.TemporaryDirectoryTestCase):
    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        self.live = self.path("live")
        self.backups = self.path("backups")
        os.mkdir(self.live)
        os.mkdir(self.backups)
        self.db = os.path.join(self.live, "prospector.db")
        # The live database as a killed writer left it: a hot journal beside it.
        shutil.copy(os.path.join(support.DATA, "schema-v1-hot-journal.sqlite"), self.db)
        shutil.copy(os.path.join(support.DATA, "schema-v1-hot-journal.sqlite-journal"), self.db + "-journal")
        source = self.path("source.db")
        fill(source, users=25)
        self.backup = backup.take_backup(source, self.backups).path
        self.log = self.path("systemctl.log")

    def script(self):
        block = restore_block(readme())
        user = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(os.getegid()).gr_name
        replacements = [
            ("DB=/var/lib/prospector/prospector.db\n", "DB=%s\n" % self.db),
            ("BACKUP=/var/backups/prospector/prospector-20240501T020500Z.db\n", "BACKUP=%s\n" % self.backup),
            ("-o prospector -g prospector", "-o %s -g %s" % (user, group)),
        ]
        for old, new in replacements:
            self.assertIn(old, block)
            block = block.replace(old, new)
        python = " ".join(support.python_command())
        prelude = (
            "set -e\n"
            "systemctl() { echo \"systemctl $*\" >> '%s'; }\n"
            "prospector-scheduler() { %s -m prospector_scheduler \"$@\"; }\n" % (self.log, python)
        )
        return prelude + block

    def run_script(self):
        process = subprocess.Popen(["bash", "-c", self.script()], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=support.process_environment())
        out, err = process.communicate(timeout=60)
        return support.Result(process.returncode, out.decode(), err.decode())

    def test_the_procedure_puts_the_backup_in_place(self):
        expected = contents(self.backup)
        result = self.run_script()
        self.assertEqual((result.code, result.stderr), (0, ""), result)
        self.assertEqual(result.stdout.count(": healthy\n"), 2, result.stdout)
        with open(self.log) as stream:
            self.assertEqual(stream.read().splitlines(), [
                "systemctl stop prospector-scheduler-sync.timer prospector-scheduler-sync.service",
                "systemctl start prospector-scheduler-sync.timer"])
        self.assertEqual(sorted(os.listdir(self.live)), [
            "prospector.db", "prospector.db-journal.before-restore", "prospector.db.before-restore"])
        self.assertEqual(os.stat(self.db).st_mode & 0o777, 0o600)
        self.assertEqual((os.stat(self.db).st_uid, os.stat(self.db).st_gid), (os.geteuid(), os.getegid()))
        # The old hot journal was not applied to the restored file.
        self.assertEqual(contents(self.db), expected)
        check = support.run_cli(["--db", self.db, "check-db"])
        self.assertEqual(check.code, 0, check)

    def test_a_damaged_backup_stops_the_procedure_before_anything_moves(self):
        os.chmod(self.backup, 0o600)
        fill(self.path("big.db"), users=2000)
        self.backup = backup.take_backup(self.path("big.db"), self.backups).path
        damage_a_table_page(self.backup)
        before = sorted(os.listdir(self.live))
        result = self.run_script()
        self.assertEqual(result.code, 65, result)
        self.assertEqual(sorted(os.listdir(self.live)), before)
