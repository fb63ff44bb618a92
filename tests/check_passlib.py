"""Check our hashes against passlib (``make check-passlib``); not part of the test suite.

The fixed hashes of tests/test_passwords.py (KNOWN_HASHES, made by this tool)
must verify unchanged in passlib (and in libpass, its maintained fork), the library the ProspecTor application may
use, and the hashes passlib made (PASSLIB_HASHES) must verify in ours. The
password_hash of a disabled user (users_table.DISABLED_HASH) must be refused by
passlib's scrypt, pbkdf2_sha256 and a CryptContext of both, each raising a
ValueError as the README tells the application to expect. passlib
is never a dependency: this script installs each into a throwaway virtual
environment from the package index pip is configured with. It ends with
``N passed, N failed`` and exits 1 on a failure.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from prospector_scheduler import passwords, users_table  # noqa: E402
from tests.test_passwords import KNOWN_HASHES, PASSLIB_HASHES, UMLAUTS  # noqa: E402

# passlib, and libpass, its maintained fork (it installs the same ``passlib`` module).
PACKAGES = ("passlib", "libpass")

VERIFY = """
import json, sys
from passlib.hash import pbkdf2_sha256, scrypt
cases = json.load(sys.stdin)
for password, stored in cases:
    handler = scrypt if stored.startswith("$scrypt$") else pbkdf2_sha256
    right = handler.verify(password, stored)
    wrong = handler.verify(password + "x", stored)
    print("ok" if right and not wrong else "FAILED")
"""

# Each verifier must refuse the disabled user's password_hash with a ValueError, for any password.
REFUSE = """
import sys
from passlib.context import CryptContext
from passlib.hash import pbkdf2_sha256, scrypt
stored = sys.stdin.read()
for name, verify in (("scrypt", scrypt.verify), ("pbkdf2_sha256", pbkdf2_sha256.verify),
                     ("CryptContext", CryptContext(schemes=["scrypt", "pbkdf2_sha256"]).verify)):
    outcomes = set()
    for password in ("", "x", stored, "correct horse battery staple"):
        try:
            outcomes.add("accepted" if verify(password, stored) else "returned False")
        except ValueError as error:
            outcomes.add("refused: %s" % error)
    print("%s\t%s" % (name, "; ".join(sorted(outcomes))))
"""


def main():
    passed = failed = 0
    for package in PACKAGES:
        good, bad = check(package)
        passed, failed = passed + good, failed + bad
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def check(package):
    """Install ``package`` (which provides the ``passlib`` module) and check; ``(passed, failed)``."""
    folder = tempfile.mkdtemp(prefix="prospector-passlib-")
    try:
        venv = os.path.join(folder, "venv")
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        python = os.path.join(venv, "bin", "python")
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", package])
        version = package + " " + subprocess.check_output(
            [python, "-c", "import passlib; print(passlib.__version__)"], universal_newlines=True).strip()
        cases = [[password, stored] for password, _salt, _policy, stored in KNOWN_HASHES]
        process = subprocess.Popen([python, "-c", VERIFY], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   universal_newlines=True)
        answers = process.communicate(json.dumps(cases))[0].split()
        process = subprocess.Popen([python, "-c", REFUSE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   universal_newlines=True)
        refusals = process.communicate(users_table.DISABLED_HASH)[0].splitlines()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    passed = failed = 0
    for (password, stored), answer in zip(cases, answers):
        good = answer == "ok"
        passed, failed = passed + good, failed + (not good)
        print("%s: %s verifies our %s" % ("ok" if good else "FAILED", version, stored[:30] + "..."))
    for stored in PASSLIB_HASHES:
        good = passwords.verify_password(UMLAUTS, stored) and not passwords.verify_password(UMLAUTS + "x", stored)
        passed, failed = passed + good, failed + (not good)
        print("%s: we verify passlib's %s (%s)" % ("ok" if good else "FAILED", stored[:30] + "...", package))
    for line in refusals:
        name, outcome = line.split("\t")
        good = outcome.startswith("refused: ") and ";" not in outcome
        passed, failed = passed + good, failed + (not good)
        print("%s: %s's %s refuses a disabled user's %r (%s)" % (
            "ok" if good else "FAILED", version, name, users_table.DISABLED_HASH, outcome))
    for marker in ("$scrypt$", "$pbkdf2-sha256$"):
        good = marker not in users_table.DISABLED_HASH
        passed, failed = passed + good, failed + (not good)
        print("%s: a disabled user's password_hash holds no %s (%s)" % ("ok" if good else "FAILED", marker, package))
    if len(refusals) != 3:
        failed += 1
        print("FAILED: %s answered %d of 3 refusal checks" % (version, len(refusals)))
    if len(answers) != len(cases):
        failed += 1
        print("FAILED: %s answered %d of %d cases" % (version, len(answers), len(cases)))
    return passed, failed


if __name__ == "__main__":
    sys.exit(main())
