"""Check our hashes against passlib (``make check-passlib``); not part of the test suite.

The fixed hashes of tests/test_passwords.py (KNOWN_HASHES, made by this tool)
must verify unchanged in passlib, the library the ProspecTor application may
use, and the hashes passlib made (PASSLIB_HASHES) must verify in ours. passlib
is never a dependency: this script installs it into a throwaway virtual
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

from prospector_scheduler import passwords  # noqa: E402
from tests.test_passwords import KNOWN_HASHES, PASSLIB_HASHES, UMLAUTS  # noqa: E402

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


def main():
    folder = tempfile.mkdtemp(prefix="prospector-passlib-")
    try:
        venv = os.path.join(folder, "venv")
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        python = os.path.join(venv, "bin", "python")
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", "passlib"])
        version = subprocess.check_output([python, "-c", "import passlib; print(passlib.__version__)"],
                                          universal_newlines=True).strip()
        cases = [[password, stored] for password, _salt, _policy, stored in KNOWN_HASHES]
        process = subprocess.Popen([python, "-c", VERIFY], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   universal_newlines=True)
        answers = process.communicate(json.dumps(cases))[0].split()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    passed = failed = 0
    for (password, stored), answer in zip(cases, answers):
        good = answer == "ok"
        passed, failed = passed + good, failed + (not good)
        print("%s: passlib %s verifies our %s" % ("ok" if good else "FAILED", version, stored[:30] + "..."))
    for stored in PASSLIB_HASHES:
        good = passwords.verify_password(UMLAUTS, stored) and not passwords.verify_password(UMLAUTS + "x", stored)
        passed, failed = passed + good, failed + (not good)
        print("%s: we verify passlib's %s" % ("ok" if good else "FAILED", stored[:30] + "..."))
    if len(answers) != len(cases):
        failed += 1
        print("FAILED: passlib answered %d of %d cases" % (len(answers), len(cases)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
