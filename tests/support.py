"""What many test modules share: running the tool in-process and as a real process."""

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from prospector_scheduler.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
DATA = os.path.join(TESTS, "data")


NOBODY = 65534


@contextlib.contextmanager
def without_root_privileges(*paths):
    """Run the block as user and group 65534 (nobody) when we are root, who may write anywhere.

    CI runs as root: without this, permission tests would pass trivially or not
    run. ``paths`` are given to nobody first. Only the effective ids change, so
    root takes them back afterwards.
    """
    if os.geteuid() != 0:
        yield
        return
    for path in paths:
        os.chown(path, NOBODY, NOBODY)
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


class Result(object):
    """What a run of the tool left: its exit code and its two output streams."""

    def __init__(self, code, stdout, stderr):
        self.code = code
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self):
        return "Result(code=%r, stdout=%r, stderr=%r)" % (self.code, self.stdout, self.stderr)


def run_cli(args, stdin="", environ=None, **kwargs):
    """Run ``main(args)`` in this process with string streams and return a Result."""
    stdout = io.StringIO()
    stderr = io.StringIO()
    code = main(
        list(args),
        stdin=io.StringIO(stdin),
        stdout=stdout,
        stderr=stderr,
        environ={} if environ is None else environ,
        **kwargs
    )
    return Result(code, stdout.getvalue(), stderr.getvalue())


def python_command(*arguments):
    """This interpreter, kept away from site-packages like the suite itself."""
    flags = ["-s", "-S"] + ["-W" + option for option in sys.warnoptions]
    return [sys.executable] + flags + list(arguments)


def process_environment(extra=None):
    """The environment for a child process: ours, less PROSPECTOR_*, plus the checkout on PYTHONPATH."""
    environ = dict((key, value) for key, value in os.environ.items() if not key.startswith("PROSPECTOR_"))
    environ["PYTHONPATH"] = ROOT
    environ.pop("PYTHONHOME", None)
    environ.update(extra or {})
    return environ


def run_process(args, stdin=b"", env=None, cwd=None, timeout=60):
    """Run ``python -m prospector_scheduler ARGS`` as a real process; bytes in, text out."""
    process = subprocess.Popen(
        python_command("-m", "prospector_scheduler", *args),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=process_environment(env),
        cwd=cwd,
    )
    out, err = process.communicate(stdin, timeout=timeout)
    return Result(process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


class TemporaryDirectoryTestCase(unittest.TestCase):
    """A test case with a fresh temporary directory in ``self.tmp``."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="prospector-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def write(self, name, content, mode=0o600):
        """Write ``content`` (str or bytes) to ``name`` in the temporary directory."""
        path = self.path(name)
        data = content.encode("utf-8") if isinstance(content, str) else content
        with open(path, "wb") as stream:
            stream.write(data)
        os.chmod(path, mode)
        return path


def growth(function, make, size, repeat=3):
    """How many times longer the work gets when the input doubles: the square root of how much
    longer ``function(make(2 * size))`` takes than ``function(make(size // 2))``, two doublings.

    About 2 for work linear in the size, 4 for quadratic. Two doublings
    leave a wider gap between those than one (4 against 16, before the
    root), so that a stall of the machine moves the figure less across the
    line drawn between them. The best of ``repeat`` CPU-time measurements of
    each (process time, so that other processes on a shared machine count
    less): a ratio, never an absolute time. A high ratio is measured again,
    up to three times, and the lowest kept. Exceptions are part of the work
    (error paths are measured too).
    """
    import time

    def best(data):
        times = []
        for _ in range(repeat):
            started = time.process_time()
            try:
                function(data)
            except Exception:  # the error path is the work being measured
                pass
            times.append(time.process_time() - started)
        return max(min(times), 1e-6)

    small, large = make(size // 2), make(2 * size)
    # A shared machine may stall one measurement: a high ratio is measured
    # again (up to three times) and the lowest kept. A quadratic cost stays high.
    ratio = (best(large) / best(small)) ** 0.5
    for _ in range(2):
        if ratio < 2.5:
            break
        ratio = min(ratio, (best(large) / best(small)) ** 0.5)
    return ratio
