"""Run the test suite under every Python 3 interpreter on this machine (``make test-all``).

Interpreters are every ``pyenv versions`` entry where pyenv exists and every
``python3`` / ``python3.N`` on PATH, counted once each (by the real path of the
binary). Prints one line per interpreter with its counts, then one line
``N passed, N failed`` for the whole run; exits 1 if any interpreter failed.
"""

import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = ["-E", "-s", "-S", "-W", "error", "-m", "tests"]
COUNTS = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", re.M)
PROBE = "import os, sys; print(os.path.realpath(sys.executable)); print('%d.%d.%d' % sys.version_info[:3])"


def candidates():
    """Paths that may be Python 3 interpreters, pyenv's first."""
    found = []
    try:
        root = subprocess.check_output(["pyenv", "root"], stderr=subprocess.DEVNULL, universal_newlines=True).strip()
    except (OSError, subprocess.CalledProcessError):
        root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    if root:
        found.extend(sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3"))))
    names = ["python3"] + ["python3.%d" % minor for minor in range(6, 30)]
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if ".pyenv/shims" in folder:
            continue  # the shims run whichever version pyenv selects: the versions are listed above
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                found.append(path)
    return found


def interpreters():
    """(version, real path) of each distinct Python 3.6+ interpreter, oldest first."""
    seen = {}
    for path in candidates():
        try:
            out = subprocess.check_output([path, "-c", PROBE], stderr=subprocess.DEVNULL, universal_newlines=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue
        real, version = out.split()
        if tuple(int(part) for part in version.split(".")[:2]) >= (3, 6):
            seen.setdefault(real, version)
    return sorted(((version, real) for real, version in seen.items()), key=lambda item: [int(p) for p in item[0].split(".")])


def main():
    total_passed = total_failed = 0
    failures = []
    found = interpreters()
    if not found:
        print("no Python 3.6+ interpreter found")
        print("0 passed, 1 failed")
        return 1
    for version, path in found:
        process = subprocess.Popen([path] + SUITE, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        output = process.communicate()[0]
        counts = COUNTS.findall(output)
        if counts:
            passed, failed, skipped = (int(n) for n in counts[-1])
        else:
            passed, failed, skipped = 0, 1, 0
        if process.returncode != 0 and failed == 0:
            failed = 1
        total_passed += passed
        total_failed += failed
        status = "ok" if failed == 0 else "FAILED"
        print("python %-8s %s: %d passed, %d failed, %d skipped: %s" % (version, path, passed, failed, skipped, status))
        sys.stdout.flush()
        if failed:
            failures.append((version, output))
    for version, output in failures:
        print("\n===== output of python %s =====\n%s" % (version, output))
    print("%d passed, %d failed" % (total_passed, total_failed))
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
