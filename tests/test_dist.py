"""The zip application of ``make dist``: what it holds, and that it runs alone, isolated, unpacking nothing.

The wheel, the sdist and reproducibility are in ``test_build_dist``.

Each test builds the archive with the interpreter running the suite (so
``make test-all`` covers every version), copies nothing else beside it, and
runs it with ``-I`` from another temporary directory.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import unittest
import zipfile

from prospector_scheduler import __version__
from prospector_scheduler.registry import Registry
from tests import build_dist
from tests.support import ROOT, Result, TemporaryDirectoryTestCase

ARCHIVE_COMMAND = '''
"""exit-with: a command that exists only in the archive built by this test."""
from prospector_scheduler.registry import command

def add_arguments(parser):
    parser.add_argument("code", type=int)

@command("exit-with", "Print where it runs from and exit with CODE.", add_arguments)
def exit_with(ctx, args):
    ctx.stdout.write("running from %s\\n" % __loader__.archive)
    return args.code
'''


def archive_environment():
    """Our environment less PYTHON* and PROSPECTOR_* variables: nothing may lead back to the checkout."""
    return dict(
        (key, value)
        for key, value in os.environ.items()
        if not key.startswith("PYTHON") and not key.startswith("PROSPECTOR_")
    )


def run_archive(archive, args, cwd, stdin=b"", env=None, timeout=60):
    """Run ``python -I -W error ARCHIVE ARGS`` in ``cwd``; bytes in, text out."""
    environ = archive_environment()
    environ.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-I", "-W", "error", archive] + list(args),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=environ,
    )
    out, err = process.communicate(stdin, timeout=timeout)
    return Result(process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def tree(folder):
    """Every file and folder under ``folder``, as sorted relative paths."""
    found = []
    for parent, subfolders, files in os.walk(folder):
        for name in subfolders + files:
            found.append(os.path.relpath(os.path.join(parent, name), folder))
    return sorted(found)


class ArchiveTestCase(TemporaryDirectoryTestCase):
    """Builds the archive into ``self.dist``; runs happen in ``self.work``."""

    def setUp(self):
        TemporaryDirectoryTestCase.setUp(self)
        self.dist = self.path("dist")
        self.work = self.path("work")
        os.mkdir(self.dist)
        os.mkdir(self.work)

    def build(self, root=ROOT):
        return build_dist.build_zipapp(self.dist, root=root)

    def assertNothingUnpacked(self, archive, work_files):
        """The archive's folder holds the archive alone; the work folder only ``work_files``."""
        self.assertEqual(tree(os.path.dirname(archive)), [os.path.basename(archive)])
        self.assertEqual(tree(self.work), sorted(work_files))


class ArchiveContentsTest(ArchiveTestCase):
    def test_it_holds_the_package_sources_and_a_main_only(self):
        archive = self.build()
        expected = [relative.replace(os.sep, "/") for relative, _ in build_dist.package_sources()]
        with zipfile.ZipFile(archive) as opened:
            names = opened.namelist()
            main = opened.read("__main__.py").decode("utf-8")
        self.assertEqual(sorted(names), sorted(expected + ["__main__.py"]))
        self.assertIn("prospector_scheduler/cli.py", names)
        for name in names:
            with self.subTest(name=name):
                self.assertTrue(name.endswith(".py"))
                self.assertNotIn("__pycache__", name)
                self.assertFalse(name.startswith("tests/"))
        self.assertEqual(main, build_dist.ARCHIVE_MAIN)

    def test_it_starts_with_the_env_shebang_and_is_compressed(self):
        archive = self.build()
        with open(archive, "rb") as stream:
            self.assertEqual(stream.readline(), b"#!/usr/bin/env python3\n")
        with zipfile.ZipFile(archive) as opened:
            methods = set(info.compress_type for info in opened.infolist())
        self.assertEqual(methods, {zipfile.ZIP_DEFLATED})

    def test_the_checksum_file_names_the_archive_alone_and_matches(self):
        archive = self.build()
        checksum = build_dist.write_checksum(archive)
        self.assertEqual(checksum, archive + ".sha256")
        with open(checksum, encoding="ascii") as stream:
            content = stream.read()
        self.assertRegex(content, r"\A[0-9a-f]{64}  prospector-scheduler\.pyz\n\Z")
        self.assertEqual(content.split()[0], build_dist.sha256_of(archive))

    @unittest.skipIf(shutil.which("sha256sum") is None, "sha256sum (GNU coreutils) is not installed")
    def test_sha256sum_checks_it_where_both_files_are_copied_and_catches_a_change(self):
        archive = self.build()
        checksum = build_dist.write_checksum(archive)
        for path in (archive, checksum):
            shutil.copy(path, self.work)
        check = ["sha256sum", "-c", os.path.basename(checksum)]
        process = subprocess.Popen(check, cwd=self.work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.assertEqual(process.communicate()[0], b"prospector-scheduler.pyz: OK\n")
        self.assertEqual(process.returncode, 0)
        with open(os.path.join(self.work, "prospector-scheduler.pyz"), "ab") as stream:
            stream.write(b"\0")
        process = subprocess.Popen(check, cwd=self.work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.assertIn(b"FAILED", process.communicate()[0])
        self.assertEqual(process.returncode, 1)

    def test_no_module_of_the_package_looks_for_files_beside_itself(self):
        # Inside the archive, __file__ names a path in the zip that open() cannot read.
        for relative, path in build_dist.package_sources():
            with self.subTest(module=relative):
                with open(path, encoding="utf-8") as stream:
                    self.assertNotIn("__file__", stream.read())


class ArchiveRunTest(ArchiveTestCase):
    def test_version_listing_and_every_command_help_run_from_the_archive(self):
        archive = self.build()
        result = run_archive(archive, ["--version"], cwd=self.work)
        self.assertEqual((result.code, result.stdout, result.stderr), (0, "prospector-scheduler %s\n" % __version__, ""))
        listing = run_archive(archive, [], cwd=self.work)
        self.assertEqual((listing.code, listing.stderr), (0, ""))
        self.assertTrue(listing.stdout.startswith("usage: prospector-scheduler "), listing.stdout)
        for spec in Registry(entry_points=[]).all():
            with self.subTest(command=spec.name):
                self.assertRegex(listing.stdout, r"\n  %s +%s\n" % (re.escape(spec.name), re.escape(spec.summary)))
                result = run_archive(archive, [spec.name, "--help"], cwd=self.work)
                self.assertEqual((result.code, result.stderr), (0, ""))
                self.assertIn("usage: prospector-scheduler %s" % spec.name, result.stdout)
        self.assertNothingUnpacked(archive, [])

    def test_an_unknown_command_exits_64_from_the_archive(self):
        archive = self.build()
        result = run_archive(archive, ["no-such-command"], cwd=self.work)
        self.assertEqual(result.code, 64)
        self.assertEqual(result.stdout, "")
        self.assertIn("unknown command 'no-such-command'", result.stderr)

    def test_a_command_file_is_discovered_inside_the_archive_and_its_exit_code_passes_through(self):
        root = self.path("checkout")
        shutil.copytree(
            os.path.join(ROOT, "prospector_scheduler"),
            os.path.join(root, "prospector_scheduler"),
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        with open(os.path.join(root, "prospector_scheduler", "commands", "exit_with.py"), "w") as stream:
            stream.write(textwrap.dedent(ARCHIVE_COMMAND))
        archive = self.build(root=root)
        shutil.rmtree(root)  # the archive alone must be enough
        listing = run_archive(archive, [], cwd=self.work)
        self.assertIn("\n  exit-with ", listing.stdout)
        result = run_archive(archive, ["exit-with", "3"], cwd=self.work)
        self.assertEqual((result.code, result.stdout, result.stderr), (3, "running from %s\n" % archive, ""))
        self.assertNothingUnpacked(archive, [])


class ArchiveJobTest(ArchiveTestCase):
    """The commands an administrator runs, from the archive alone, on the example users files."""

    EXAMPLES = ["users.example.json", "users.example.yaml"]

    def example(self, name):
        """Copy an example users file into the work folder, readable by its owner only."""
        with open(os.path.join(ROOT, "contrib", name), encoding="utf-8") as stream:
            return self.write(os.path.join("work", name), stream.read(), mode=0o600)

    def test_check_config_reads_each_example_from_the_archive(self):
        archive = self.build()
        for name in self.EXAMPLES:
            with self.subTest(file=name):
                self.example(name)
                result = run_archive(archive, ["check-config", name], cwd=self.work)
                self.assertEqual((result.code, result.stdout, result.stderr), (0, "%s: 4 users OK\n" % name, ""))
        self.assertNothingUnpacked(archive, [name for name in self.EXAMPLES if os.path.exists(os.path.join(self.work, name))])

    def test_sync_users_fills_a_fresh_database_from_the_archive_then_changes_nothing(self):
        archive = self.build()
        self.example("users.example.json")
        env = {"PROSPECTOR_HASH_COST": "low"}  # the example's cost is not what is tested here
        first = run_archive(archive, ["--db", "users.db", "sync-users", "users.example.json"], cwd=self.work, env=env)
        self.assertEqual(first.code, 0, first)
        self.assertRegex(first.stdout, r"^created 4\b")
        again = run_archive(archive, ["--db", "users.db", "sync-users", "users.example.json"], cwd=self.work, env=env)
        self.assertEqual(again.code, 0, again)
        self.assertRegex(again.stdout, r"^created 0\b")
        listing = run_archive(archive, ["--db", "users.db", "list-users"], cwd=self.work, env=env)
        self.assertEqual(listing.code, 0, listing)
        for username in ("admin", "reporting", "alice"):
            self.assertIn(username, listing.stdout)
        with open(os.path.join(ROOT, "contrib", "users.example.json"), encoding="utf-8") as stream:
            secrets = [user.get("password") or user.get("password_hash") for user in json.load(stream)["users"]
                       if user.get("password") or user.get("password_hash")]
        with open(os.path.join(self.work, "users.db"), "rb") as stream:
            database = stream.read()
        for secret in secrets:
            for result in (first, again, listing):
                self.assertNotIn(secret, result.stdout + result.stderr)
            if not secret.startswith("$"):  # a given hash is stored as it is; a password never
                self.assertNotIn(secret.encode("utf-8"), database)
        self.assertNothingUnpacked(archive, ["users.db", "users.example.json"])

    def test_hash_password_reads_standard_input_from_the_archive(self):
        archive = self.build()
        password = "correct horse battery staple"
        result = run_archive(archive, ["hash-password", "--scheme", "pbkdf2-sha256"], cwd=self.work,
                             stdin=(password + "\n").encode("utf-8"), env={"PROSPECTOR_HASH_COST": "low"})
        self.assertEqual(result.code, 0, result)
        self.assertRegex(result.stdout, r"\A\$pbkdf2-sha256\$\d+\$[A-Za-z0-9./]+\$[A-Za-z0-9./]+\n\Z")
        self.assertNotIn(password, result.stdout + result.stderr)
        self.assertNothingUnpacked(archive, [])


if __name__ == "__main__":
    unittest.main()
