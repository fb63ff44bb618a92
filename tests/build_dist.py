"""Build the distributions of prospector-scheduler (``make dist``), reproducibly, with the standard library alone.

``python3 tests/build_dist.py [DIR]`` writes into DIR (default ``dist``):

- ``prospector-scheduler.pyz``: the package alone in a zip application
  (shebang ``/usr/bin/env python3``, deflate-compressed), which runs from any
  directory without unpacking anything, and ``prospector-scheduler.pyz.sha256``,
  its checksum in ``sha256sum -c`` format, naming the file without a directory
  so it checks wherever the two are copied;
- ``prospector_scheduler-VERSION-py3-none-any.whl``: the wheel, a zip with the
  package and a ``.dist-info`` (METADATA from ``setup.cfg`` and README.md,
  WHEEL, entry_points.txt, top_level.txt, RECORD with sha256 and sizes), which
  ``pip install --no-index`` installs offline;
- ``prospector_scheduler-VERSION.tar.gz``: the sdist, the files git tracks
  (never an untracked users file or database lying in the checkout) plus
  PKG-INFO; where git or the .git directory is missing it is not built, and
  ``make dist`` says so.

Nothing is downloaded and no build tool is needed: not setuptools, not the
``wheel`` package. **Reproducible**: every entry has the same time, the
``SOURCE_DATE_EPOCH`` of the environment, else the time of the last commit,
else the newest of the files' times (an unpacked sdist has its build's); entries
are sorted, modes fixed (0644, 0755 for what git marks executable), owners
blank; so two builds of one commit with one Python give the same bytes.

The test suite imports the ``build_*`` functions. This module is a build
script, not part of the package: it is not in the archive or the wheel.
"""

import base64
import configparser
import gzip
import hashlib
import io
import os
import re
import stat
import subprocess
import sys
import tarfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "prospector_scheduler"
DIST_NAME = "prospector-scheduler"
ARCHIVE_NAME = "prospector-scheduler.pyz"
INTERPRETER = "/usr/bin/env python3"
ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z: a zip file cannot record an earlier time
FILE_MODE = 0o644
EXECUTABLE_MODE = 0o755
# zipapp's own generated __main__.py (``main=``) drops the function's return
# value, so every run would exit 0; this one passes the exit code on.
ARCHIVE_MAIN = '''"""Run prospector-scheduler from its zip application."""
import sys

from prospector_scheduler.cli import main

sys.exit(main())
'''
WHEEL_FILE = """Wheel-Version: 1.0
Generator: prospector-scheduler tests/build_dist.py
Root-Is-Purelib: true
Tag: py3-none-any
"""
# The setup.cfg [metadata] keys this script turns into METADATA; any other key
# is an error, so that setup.cfg cannot say more than the wheel does.
METADATA_FIELDS = [
    ("name", "Name"),
    ("version", "Version"),
    ("description", "Summary"),
    ("license", "License"),
    ("classifiers", "Classifier"),
    ("long_description_content_type", "Description-Content-Type"),
]


class BuildError(Exception):
    """Something in the checkout that the build cannot turn into a distribution."""


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


def _git(root, *arguments):
    """The output of ``git ARGUMENTS`` in ``root``, or None where git or the .git directory is missing."""
    if not os.path.exists(os.path.join(root, ".git")):
        return None
    try:
        process = subprocess.Popen(["git"] + list(arguments), cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError:
        return None
    out, _ = process.communicate()
    if process.returncode != 0:
        return None
    return out.decode("utf-8")


def build_time(root=ROOT, environ=None):
    """(seconds since the epoch, where it comes from) for every entry of every distribution."""
    environ = os.environ if environ is None else environ
    given = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if given:
        if not given.isdigit():
            raise BuildError("SOURCE_DATE_EPOCH=%s is not a whole number of seconds" % given)
        return max(int(given), ZIP_EPOCH), "SOURCE_DATE_EPOCH"
    committed = _git(root, "log", "-1", "--format=%ct")
    if committed and committed.strip().isdigit():
        return max(int(committed.strip()), ZIP_EPOCH), "the last commit"
    newest = max(os.stat(path).st_mtime for _, path in package_sources(root))
    return max(int(newest), ZIP_EPOCH), "the newest package file"


def _zip_entry(name, epoch, mode=FILE_MODE):
    info = zipfile.ZipInfo(name, date_time=time.gmtime(epoch)[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so that the mode below is read
    info.external_attr = (stat.S_IFREG | mode) << 16
    return info


def _read(path):
    with open(path, "rb") as stream:
        return stream.read()


def build_zipapp(target_dir, root=ROOT, epoch=None):
    """Write ``prospector-scheduler.pyz`` into ``target_dir`` and return its path.

    The archive holds the package's ``.py`` files and ``ARCHIVE_MAIN`` as its
    ``__main__.py``; no tests, no compiled files (they are tied to one Python
    version, the archive is not). It is what ``zipapp.create_archive`` would
    write, with fixed times and order.
    """
    if epoch is None:
        epoch = build_time(root)[0]
    entries = [("__main__.py", ARCHIVE_MAIN.encode("utf-8"))]
    for relative, path in package_sources(root):
        entries.append((relative.replace(os.sep, "/"), _read(path)))
    target = os.path.join(target_dir, ARCHIVE_NAME)
    with open(target, "wb") as stream:
        stream.write(("#!%s\n" % INTERPRETER).encode("utf-8"))
        with zipfile.ZipFile(stream, "w") as archive:
            for name, data in sorted(entries):
                archive.writestr(_zip_entry(name, epoch), data)
    os.chmod(target, EXECUTABLE_MODE)
    return target


def read_setup_cfg(root=ROOT):
    """setup.cfg as {section: {key: value}}."""
    parser = configparser.RawConfigParser()
    with open(os.path.join(root, "setup.cfg"), encoding="utf-8") as stream:
        parser.read_file(stream)
    return dict((section, dict(parser.items(section))) for section in parser.sections())


def package_version(root=ROOT):
    """``__version__`` of the package, read from its ``__init__.py`` without importing it."""
    with open(os.path.join(root, PACKAGE, "__init__.py"), encoding="utf-8") as stream:
        match = re.search(r'^__version__ = "([^"]+)"$', stream.read(), re.M)
    if match is None:
        raise BuildError("%s/__init__.py has no __version__ = \"...\" line" % PACKAGE)
    return match.group(1)


def _lines(value):
    return [line.strip() for line in value.strip().splitlines() if line.strip()]


def core_metadata(root=ROOT):
    """The METADATA (and PKG-INFO) text: the core metadata 2.1 that setup.cfg declares."""
    config = read_setup_cfg(root)
    metadata = dict(config.get("metadata", {}))
    known = set(key for key, _ in METADATA_FIELDS) | {"long_description"}
    unknown = sorted(set(metadata) - known)
    if unknown:
        raise BuildError("setup.cfg [metadata] %s: not known to tests/build_dist.py, which writes the wheel's METADATA" % ", ".join(unknown))
    if metadata.get("version") != "attr: %s.__version__" % PACKAGE:
        raise BuildError("setup.cfg [metadata] version must be attr: %s.__version__" % PACKAGE)
    metadata["version"] = package_version(root)
    headers = ["Metadata-Version: 2.1"]
    for key, field in METADATA_FIELDS:
        for value in _lines(metadata.get(key, "")):
            headers.append("%s: %s" % (field, value))
    requires_python = config.get("options", {}).get("python_requires", "").strip()
    if requires_python:
        headers.insert(3, "Requires-Python: %s" % requires_python)
    description = ""
    long_description = metadata.get("long_description", "").strip()
    if long_description:
        if not long_description.startswith("file: "):
            raise BuildError("setup.cfg [metadata] long_description must be file: NAME")
        with open(os.path.join(root, long_description[len("file: "):]), encoding="utf-8") as stream:
            description = stream.read()
    return "\n".join(headers) + "\n\n" + description


def entry_points_text(root=ROOT):
    """entry_points.txt: the groups of setup.cfg's [options.entry_points], in their order."""
    groups = read_setup_cfg(root).get("options.entry_points", {})
    text = ""
    for group, value in groups.items():
        text += "[%s]\n" % group
        for line in _lines(value):
            name, _, target = line.partition("=")
            text += "%s = %s\n" % (name.strip(), target.strip())
        text += "\n"
    return text


def _record_digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def wheel_name(root=ROOT):
    return "%s-%s-py3-none-any.whl" % (PACKAGE, package_version(root))


def build_wheel(target_dir, root=ROOT, epoch=None):
    """Write the wheel into ``target_dir`` and return its path (the format of PEP 427, built with zipfile)."""
    if epoch is None:
        epoch = build_time(root)[0]
    dist_info = "%s-%s.dist-info" % (PACKAGE, package_version(root))
    entries = sorted((relative.replace(os.sep, "/"), _read(path)) for relative, path in package_sources(root))
    for name, text in (
        ("METADATA", core_metadata(root)),
        ("WHEEL", WHEEL_FILE),
        ("entry_points.txt", entry_points_text(root)),
        ("top_level.txt", PACKAGE + "\n"),
    ):
        entries.append(("%s/%s" % (dist_info, name), text.encode("utf-8")))
    record = "".join("%s,%s,%d\n" % (name, _record_digest(data), len(data)) for name, data in entries)
    record += "%s/RECORD,,\n" % dist_info
    entries.append(("%s/RECORD" % dist_info, record.encode("utf-8")))
    target = os.path.join(target_dir, wheel_name(root))
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in entries:  # the package, then the .dist-info with RECORD last, as PEP 427 advises
            archive.writestr(_zip_entry(name, epoch), data)
    os.chmod(target, FILE_MODE)
    return target


def tracked_files(root=ROOT):
    """(relative path, mode) of every file git tracks in ``root``, sorted; None without git."""
    listing = _git(root, "ls-files", "-s", "-z")
    if listing is None:
        return None
    found = []
    for line in listing.split("\0"):
        if not line:
            continue
        fields, _, path = line.partition("\t")
        git_mode = fields.split()[0]
        if git_mode == "160000" or not os.path.isfile(os.path.join(root, path)):
            continue  # a submodule, or a file deleted but not yet committed
        found.append((path, EXECUTABLE_MODE if git_mode == "100755" else FILE_MODE))
    return sorted(found)


def sdist_name(root=ROOT):
    return "%s-%s.tar.gz" % (PACKAGE, package_version(root))


def build_sdist(target_dir, root=ROOT, epoch=None):
    """Write the sdist into ``target_dir`` and return its path, or None where git cannot list the files."""
    files = tracked_files(root)
    if files is None:
        return None
    if epoch is None:
        epoch = build_time(root)[0]
    prefix = "%s-%s" % (PACKAGE, package_version(root))
    entries = [(path, _read(os.path.join(root, path)), mode) for path, mode in files]
    entries.append(("PKG-INFO", core_metadata(root).encode("utf-8"), FILE_MODE))
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, data, mode in sorted(entries):
            info = tarfile.TarInfo("%s/%s" % (prefix, path))
            info.size = len(data)
            info.mtime = epoch
            info.mode = mode
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
    target = os.path.join(target_dir, sdist_name(root))
    with open(target, "wb") as stream:
        # No file name and a fixed time in the gzip header: both would differ between builds.
        with gzip.GzipFile(filename="", mode="wb", fileobj=stream, mtime=epoch, compresslevel=9) as compressed:
            compressed.write(tar_bytes.getvalue())
    os.chmod(target, FILE_MODE)
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


def main(argv, root=ROOT, environ=None, say=print):
    target_dir = argv[0] if argv else os.path.join(root, "dist")
    if not os.path.isdir(target_dir):
        os.makedirs(target_dir)
    try:
        epoch, source = build_time(root, environ)
        say("timestamps: %s (%s)" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)), source))
        archive = build_zipapp(target_dir, root, epoch)
        built = [archive, write_checksum(archive), build_wheel(target_dir, root, epoch)]
        sdist = build_sdist(target_dir, root, epoch)
    except BuildError as error:
        say("make dist: %s" % error)
        return 1
    if sdist is None:
        say("sdist: not built (it holds the files git tracks, and git or the .git directory is missing here)")
    else:
        built.append(sdist)
    for path in built:
        say("built %s  sha256 %s" % (os.path.relpath(path), sha256_of(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
