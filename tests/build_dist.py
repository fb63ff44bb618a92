"""Build the distributions of prospector-scheduler (``make dist``).

``python3 tests/build_dist.py [DIR]`` writes into DIR (default ``dist``):

- ``prospector-scheduler.pyz``: the package alone in a zip application made by
  the standard library's ``zipapp`` (shebang ``/usr/bin/env python3``,
  compressed where zipapp can compress, i.e. Python 3.7+), which runs from any
  directory without unpacking anything;
- ``prospector-scheduler.pyz.sha256``: its checksum in ``sha256sum -c`` format,
  naming the file without a directory so it checks wherever the two are copied;
- a wheel and an sdist, built by calling setuptools' PEP 517 backend in a
  child process of this interpreter, only where setuptools (and, for the wheel,
  the ``wheel`` package or setuptools 70.1+) is installed. Nothing is ever
  downloaded; what cannot be built is said, and is not a failure.

The test suite imports ``build_zipapp`` to build the archive with whichever
interpreter runs the tests. This module is a build script, not part of the
package: it is not in the archive or the wheel.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipapp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "prospector_scheduler"
ARCHIVE_NAME = "prospector-scheduler.pyz"
INTERPRETER = "/usr/bin/env python3"
# zipapp's own generated __main__.py (``main=``) drops the function's return
# value, so every run would exit 0; this one passes the exit code on.
ARCHIVE_MAIN = '''"""Run prospector-scheduler from its zip application."""
import sys

from prospector_scheduler.cli import main

sys.exit(main())
'''

# Run in a child process so that the backend sees the interpreter's normal
# site-packages (the test suite runs with -S) and its output stays apart.
BACKEND_PROBE = """\
import importlib.util, sys
try:
    import setuptools
except ImportError:
    print("no setuptools"); sys.exit(0)
version = tuple(int(part) for part in setuptools.__version__.split(".")[:2] if part.isdigit())
has_wheel = importlib.util.find_spec("wheel") is not None or version >= (70, 1)
print("setuptools %s%s" % (setuptools.__version__, "" if has_wheel else ", no wheel"))
"""
BACKEND_CALL = """\
import sys
import setuptools.build_meta as backend
name = getattr(backend, sys.argv[1])(sys.argv[2])
print(name)
"""


def package_sources(root=ROOT):
    """(path relative to ``root``, absolute path) of every ``.py`` file of the package, sorted."""
    found = []
    for folder, subfolders, files in os.walk(os.path.join(root, PACKAGE)):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                found.append((os.path.relpath(path, root), path))
    return found


def build_zipapp(target_dir, root=ROOT):
    """Write ``prospector-scheduler.pyz`` into ``target_dir`` and return its path.

    The archive holds the package's ``.py`` files and ``ARCHIVE_MAIN`` as its
    ``__main__.py``; no tests, no compiled files (they are tied to one Python
    version, the archive is not).
    """
    target = os.path.join(target_dir, ARCHIVE_NAME)
    staging = tempfile.mkdtemp(prefix="prospector-zipapp-")
    try:
        for relative, path in package_sources(root):
            copy = os.path.join(staging, relative)
            if not os.path.isdir(os.path.dirname(copy)):
                os.makedirs(os.path.dirname(copy))
            shutil.copyfile(path, copy)
        with open(os.path.join(staging, "__main__.py"), "w", encoding="utf-8") as stream:
            stream.write(ARCHIVE_MAIN)
        options = {"interpreter": INTERPRETER}
        if sys.version_info >= (3, 7):
            options["compressed"] = True  # Python 3.6's zipapp always stores
        zipapp.create_archive(staging, target, **options)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def sha256_of(path):
    """The SHA-256 of the file at ``path``, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksum(path):
    """Write ``PATH.sha256`` in ``sha256sum`` format, with the bare file name; return its path."""
    checksum_path = path + ".sha256"
    with open(checksum_path, "w", encoding="ascii", newline="\n") as stream:
        stream.write("%s  %s\n" % (sha256_of(path), os.path.basename(path)))
    return checksum_path


def _python_output(python, code, arguments=(), cwd=ROOT):
    process = subprocess.Popen(
        [python, "-c", code] + list(arguments),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    out, err = process.communicate()
    return process.returncode, out.strip(), err.strip()


def build_wheel_and_sdist(target_dir, python=sys.executable, root=ROOT, say=print):
    """Build the sdist and the wheel where setuptools can.

    Returns (paths built, number of builds that failed). Missing tools are
    said through ``say`` and are not failures.
    """
    code, found, error = _python_output(python, BACKEND_PROBE)
    if code != 0:
        say("wheel and sdist: not built (could not ask %s about setuptools: %s)" % (python, error))
        return [], 0
    if found == "no setuptools":
        say("wheel and sdist: not built (setuptools is not installed for %s)" % python)
        return [], 0
    hooks = ["build_sdist"]
    if found.endswith("no wheel"):
        say("wheel: not built (%s has %s: install the 'wheel' package)" % (python, found))
    else:
        hooks.append("build_wheel")
    built = []
    failed = 0
    for hook in hooks:
        code, out, error = _python_output(python, BACKEND_CALL, [hook, os.path.abspath(target_dir)], cwd=root)
        if code != 0:
            say("%s: failed with setuptools' backend:\n%s" % (hook, error))
            failed += 1
            continue
        built.append(os.path.join(target_dir, out.splitlines()[-1]))
    return built, failed


def main(argv):
    target_dir = argv[0] if argv else os.path.join(ROOT, "dist")
    if not os.path.isdir(target_dir):
        os.makedirs(target_dir)
    archive = build_zipapp(target_dir)
    os.chmod(archive, 0o755)
    checksum = write_checksum(archive)
    print("built %s" % os.path.relpath(archive))
    print("built %s" % os.path.relpath(checksum))
    built, failed = build_wheel_and_sdist(target_dir)
    for path in built:
        print("built %s" % os.path.relpath(path))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
