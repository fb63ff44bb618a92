"""Check that pip installs the console script (``make check-install``); not part of the test suite.

``python3 tests/check_install.py`` makes throwaway virtual environments with
this interpreter and checks, each by running the installed script:

1. ``pip install .`` gives ``prospector-scheduler``;
2. ``pip install --no-index`` of the wheel that ``make dist`` builds (built
   afresh here by ``tests/build_dist.py``) gives it too, offline;
3. ``pip install contrib/example-plugin`` adds its ``greet`` command.

pip builds in isolation, so steps 1 and 3 fetch setuptools and wheel from the
package index that pip is configured with: this needs that index (the test
suite never does); where the venv's pip is older than 19 (Python 3.6 bundles
pip 18.1), it is upgraded first, as the README tells users to. It ends with ``N passed, N failed`` and exits 1 on a failure.
"""

import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from prospector_scheduler import __version__  # noqa: E402  (the checkout, not an installed copy)
from tests import build_dist  # noqa: E402


class Checks(object):
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, what, command, cwd, expect_out=None):
        """Run ``command``; it passes if it exits 0 (and prints ``expect_out``, when given)."""
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   universal_newlines=True)
        output = process.communicate()[0]
        ok = process.returncode == 0 and (expect_out is None or output == expect_out)
        if ok:
            self.passed += 1
            print("ok: %s" % what)
        else:
            self.failed += 1
            print("FAILED: %s (exit %d): %s\n%s" % (what, process.returncode, " ".join(command), output))
        sys.stdout.flush()
        return ok


def make_venv(checks, folder):
    return checks.run("python -m venv %s" % os.path.basename(folder), [sys.executable, "-m", "venv", folder], ROOT)


def upgrade_old_pip(checks, pip, work):
    """pip before 19 (Python 3.6's bundled 18.1) cannot build a project that has no setup.py: upgrade it."""
    version = subprocess.check_output(pip + ["--version"], universal_newlines=True).split()[1]
    if int(version.split(".")[0]) < 19:
        print("pip %s is older than 19 and cannot install from pyproject.toml alone: upgrading it" % version)
        checks.run("pip install --upgrade 'pip<22' (21.3 is the last for 3.6)", pip + ["install", "--quiet", "--upgrade", "pip<22"], work)


def check_script(checks, venv, label, work):
    script = os.path.join(venv, "bin", "prospector-scheduler")
    checks.run("%s: prospector-scheduler --version" % label, [script, "--version"], work,
               "prospector-scheduler %s\n" % __version__)
    checks.run("%s: prospector-scheduler check-config users.example.json" % label,
               [script, "check-config", "users.example.json"], work, "users.example.json: 4 users OK\n")


def main():
    checks = Checks()
    tmp = tempfile.mkdtemp(prefix="prospector-check-install-")
    try:
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        example = os.path.join(work, "users.example.json")
        shutil.copyfile(os.path.join(ROOT, "contrib", "users.example.json"), example)
        os.chmod(example, 0o600)

        source_venv = os.path.join(tmp, "from-source")
        if make_venv(checks, source_venv):
            pip = [os.path.join(source_venv, "bin", "python"), "-m", "pip", "--disable-pip-version-check"]
            upgrade_old_pip(checks, pip, work)
            if checks.run("pip install . (from the checkout)", pip + ["install", "--quiet", ROOT], work):
                check_script(checks, source_venv, "pip install .", work)
                # A copy, so that the build folders pip leaves behind stay out of the checkout.
                plugin = os.path.join(tmp, "example-plugin")
                shutil.copytree(os.path.join(ROOT, "contrib", "example-plugin"), plugin)
                if sys.version_info < (3, 8):
                    print("skipped: the example plugin (entry-point plugins need Python 3.8+; its python_requires says so)")
                elif checks.run("pip install contrib/example-plugin", pip + ["install", "--quiet", "--no-deps", plugin], work):
                    script = os.path.join(source_venv, "bin", "prospector-scheduler")
                    checks.run("plugin: prospector-scheduler greet Ada", [script, "-q", "greet", "Ada"], work, "hello Ada\n")

            # The wheel that `make dist` builds from this checkout, with the standard library alone.
            wheel_dir = os.path.join(tmp, "wheels")
            os.mkdir(wheel_dir)
            wheels = [build_dist.build_wheel(wheel_dir)]
            wheel_venv = os.path.join(tmp, "from-wheel")
            if wheels and make_venv(checks, wheel_venv):
                # No pip upgrade: even Python 3.6's pip 18.1 installs a wheel, offline.
                wheel_pip = [os.path.join(wheel_venv, "bin", "python"), "-m", "pip", "--disable-pip-version-check"]
                if checks.run("pip install --no-index %s" % os.path.basename(wheels[-1]),
                              wheel_pip + ["install", "--quiet", "--no-index", wheels[-1]], work):
                    check_script(checks, wheel_venv, "pip install *.whl", work)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
