""".gitignore keeps users files and databases out of git, and the examples and fixtures in.

A users file holds passwords and a database holds their hashes: ``git add -A``
after the Quick start (or the Docker Compose setup) must not pick either up.
"""

import os
import shutil
import subprocess
import unittest

from tests.support import ROOT

IGNORED = [
    "users.yaml",                     # the Quick start's own users file
    "users.yml",
    "users.json",
    "contrib/docker/users.yaml",      # the Compose secret
    "prospector.db",                  # the default database in the working directory
    "prospector.db-journal",
    "prospector.db-wal",
    "prospector.db-shm",
    "users.db",                       # the README's and the tests' examples
    "contrib/docker/prospector.db",
    "dist/prospector-scheduler.pyz",
    "prospector_scheduler/__pycache__/cli.cpython-311.pyc",
]
KEPT = [
    "contrib/users.example.yaml",
    "contrib/users.example.json",
    "tests/data/schema-v1.sqlite",    # fixture databases use .sqlite
    "tests/data/schema-v2.sqlite",
    "tests/data/schema-v3.sqlite",
    "tests/data/users/valid/minimal.yaml",
    "tests/data/users/invalid/json_missing_users.json",
    "users.yaml.gpg",                 # an encrypted users file may be committed
    "README.md",
]


def git_check_ignore(path):
    """True if git's ignore rules match ``path`` (whether or not it is tracked or exists)."""
    process = subprocess.Popen(
        # Only the repository's rules: a personal excludes file must not change the answer.
        ["git", "-c", "core.excludesFile=/dev/null", "check-ignore", "--quiet", "--no-index", path],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    _, err = process.communicate()
    if process.returncode not in (0, 1):
        raise AssertionError("git check-ignore %s exited %d: %s" % (path, process.returncode, err.decode("utf-8", "replace")))
    return process.returncode == 0


def git_reason():
    """Why the rules cannot be checked here, or None."""
    if shutil.which("git") is None:
        return "git is not installed"
    if not os.path.exists(os.path.join(ROOT, ".git")):
        return "not a git checkout (no .git here, e.g. an unpacked sdist)"
    return None


@unittest.skipIf(git_reason() is not None, git_reason() or "")
class GitIgnoreTest(unittest.TestCase):
    def test_users_files_and_databases_are_ignored(self):
        for path in IGNORED:
            with self.subTest(path=path):
                self.assertTrue(git_check_ignore(path), "%s is not ignored" % path)

    def test_examples_and_fixtures_are_not_ignored(self):
        for path in KEPT:
            with self.subTest(path=path):
                self.assertFalse(git_check_ignore(path), "%s is ignored" % path)


if __name__ == "__main__":
    unittest.main()
