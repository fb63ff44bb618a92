"""``make dist`` (tests/build_dist.py): the wheel and the sdist it writes with the standard library, and reproducibility.

The zip application's contents and runs are in ``test_dist``; installing the
wheel with pip, offline, is in ``test_first_day`` (the README's Installing
section).
"""

import base64
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import time
import zipfile

from prospector_scheduler import __version__
from tests import build_dist
from tests.support import ROOT, TemporaryDirectoryTestCase

EPOCH = 1700000000  # 2023-11-14T22:13:20Z
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]


def git_checkout_reason():
    if shutil.which("git") is None:
        return "git is not installed"
    return None


def copy_project(target):
    """A copy of what the distributions are built from (not the .git directory)."""
    os.mkdir(target)
    for name in ("README.md", "setup.cfg", "pyproject.toml", "Makefile"):
        shutil.copy2(os.path.join(ROOT, name), target)
    shutil.copytree(os.path.join(ROOT, "prospector_scheduler"), os.path.join(target, "prospector_scheduler"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    return target


def run_git(cwd, *arguments, **extra_env):
    environ = dict(os.environ)
    environ.update(extra_env)
    process = subprocess.Popen(GIT + list(arguments), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environ)
    out = process.communicate()[0]
    if process.returncode != 0:
        raise AssertionError("git %s: %s" % (" ".join(arguments), out.decode("utf-8", "replace")))
    return out.decode("utf-8")


def read_bytes(path):
    with open(path, "rb") as stream:
        return stream.read()


class BuildTimeTest(TemporaryDirectoryTestCase):
    def test_where_the_time_comes_from(self):
        project = copy_project(self.path("project"))
        newest = max(os.stat(path).st_mtime for _, path in build_dist.package_sources(project))
        table = [
            ({"SOURCE_DATE_EPOCH": "1700000000"}, (1700000000, "SOURCE_DATE_EPOCH")),
            ({"SOURCE_DATE_EPOCH": " 1700000000\n"}, (1700000000, "SOURCE_DATE_EPOCH")),
            ({"SOURCE_DATE_EPOCH": "0"}, (build_dist.ZIP_EPOCH, "SOURCE_DATE_EPOCH")),  # zip cannot go before 1980
            ({"SOURCE_DATE_EPOCH": ""}, (int(newest), "the newest package file")),
            ({}, (int(newest), "the newest package file")),
        ]
        for environ, expected in table:
            with self.subTest(environ=environ):
                self.assertEqual(build_dist.build_time(project, environ), expected)

    def test_a_source_date_epoch_that_is_not_a_number_is_refused(self):
        for value in ("yesterday", "-1", "1.5"):
            with self.subTest(value=value):
                with self.assertRaises(build_dist.BuildError) as caught:
                    build_dist.build_time(ROOT, {"SOURCE_DATE_EPOCH": value})
                self.assertEqual(str(caught.exception), "SOURCE_DATE_EPOCH=%s is not a whole number of seconds" % value)

    def test_in_a_git_checkout_it_is_the_time_of_the_last_commit(self):
        reason = git_checkout_reason()
        if reason:
            self.skipTest(reason)
        project = copy_project(self.path("project"))
        run_git(project, "init", "-q")
        run_git(project, "add", "-A")
        run_git(project, "commit", "-q", "-m", "x", GIT_COMMITTER_DATE="@1600000000 +0000", GIT_AUTHOR_DATE="@1500000000 +0000")
        self.assertEqual(build_dist.build_time(project, {}), (1600000000, "the last commit"))


class ReproducibleTest(TemporaryDirectoryTestCase):
    def build_all(self, project, folder, epoch):
        target = self.path(folder)
        messages = []
        code = build_dist.main([target], root=project, environ={"SOURCE_DATE_EPOCH": str(epoch)}, say=messages.append)
        self.assertEqual(code, 0, messages)
        return dict((name, read_bytes(os.path.join(target, name))) for name in sorted(os.listdir(target)))

    def test_two_builds_give_the_same_bytes_whatever_the_files_times_and_the_umask(self):
        project = copy_project(self.path("project"))
        first = self.build_all(project, "first", EPOCH)
        for _, path in build_dist.package_sources(project):
            os.utime(path, (EPOCH + 12345, EPOCH + 12345))
        old_umask = os.umask(0o077)
        try:
            second = self.build_all(project, "second", EPOCH)
        finally:
            os.umask(old_umask)
        self.assertEqual(sorted(first), sorted(second))
        self.assertIn(build_dist.ARCHIVE_NAME, first)
        self.assertIn(build_dist.wheel_name(project), first)
        for name in first:
            with self.subTest(file=name):
                self.assertEqual(hashlib.sha256(first[name]).hexdigest(), hashlib.sha256(second[name]).hexdigest())
        for name in (build_dist.ARCHIVE_NAME, build_dist.wheel_name(project)):
            with self.subTest(file=name):
                self.assertEqual(os.stat(os.path.join(self.path("second"), name)).st_mode & 0o777,
                                 0o755 if name.endswith(".pyz") else 0o644)

    def test_another_time_gives_other_bytes_and_every_entry_has_the_time(self):
        project = copy_project(self.path("project"))
        first = self.build_all(project, "first", EPOCH)
        later = self.build_all(project, "later", EPOCH + 2)  # zip times have a 2-second resolution
        for name in (build_dist.ARCHIVE_NAME, build_dist.wheel_name(project)):
            with self.subTest(file=name):
                self.assertNotEqual(first[name], later[name])
                with zipfile.ZipFile(io.BytesIO(first[name])) as opened:
                    infos = opened.infolist()
                self.assertEqual(set(info.date_time for info in infos), {time.gmtime(EPOCH)[:6]})
                self.assertEqual(set(info.external_attr >> 16 for info in infos), {0o100644})
                self.assertEqual([info.filename for info in infos if ".dist-info/" not in info.filename],
                                 sorted(info.filename for info in infos if ".dist-info/" not in info.filename))


class WheelTest(TemporaryDirectoryTestCase):
    def setUp(self):
        TemporaryDirectoryTestCase.setUp(self)
        self.wheel = build_dist.build_wheel(self.tmp, ROOT, EPOCH)
        self.dist_info = "prospector_scheduler-%s.dist-info/" % __version__

    def read(self, name):
        with zipfile.ZipFile(self.wheel) as opened:
            return opened.read(name).decode("utf-8")

    def test_its_name_and_its_files_are_the_package_and_a_dist_info(self):
        self.assertEqual(os.path.basename(self.wheel), "prospector_scheduler-%s-py3-none-any.whl" % __version__)
        with zipfile.ZipFile(self.wheel) as opened:
            names = opened.namelist()
        package = sorted(relative.replace(os.sep, "/") for relative, _ in build_dist.package_sources())
        self.assertIn("prospector_scheduler/cli.py", package)
        self.assertEqual(names, package + [self.dist_info + name for name in
                                           ("METADATA", "WHEEL", "entry_points.txt", "top_level.txt", "RECORD")])

    def test_record_lists_every_other_file_with_its_sha256_and_size(self):
        with zipfile.ZipFile(self.wheel) as opened:
            contents = dict((name, opened.read(name)) for name in opened.namelist())
        lines = self.read(self.dist_info + "RECORD").splitlines()
        self.assertEqual(lines[-1], self.dist_info + "RECORD,,")
        recorded = [line.split(",") for line in lines[:-1]]
        self.assertEqual(sorted(name for name, _, _ in recorded), sorted(set(contents) - {self.dist_info + "RECORD"}))
        for name, digest, size in recorded:
            with self.subTest(name=name):
                expected = base64.urlsafe_b64encode(hashlib.sha256(contents[name]).digest()).rstrip(b"=").decode("ascii")
                self.assertEqual((digest, int(size)), ("sha256=" + expected, len(contents[name])))

    def test_wheel_entry_points_and_metadata(self):
        self.assertEqual(self.read(self.dist_info + "WHEEL"),
                         "Wheel-Version: 1.0\nGenerator: prospector-scheduler tests/build_dist.py\n"
                         "Root-Is-Purelib: true\nTag: py3-none-any\n")
        self.assertEqual(self.read(self.dist_info + "entry_points.txt"),
                         "[console_scripts]\nprospector-scheduler = prospector_scheduler.cli:main\n\n")
        self.assertEqual(self.read(self.dist_info + "top_level.txt"), "prospector_scheduler\n")
        headers, _, body = self.read(self.dist_info + "METADATA").partition("\n\n")
        self.assertEqual(headers.splitlines()[:5], [
            "Metadata-Version: 2.1",
            "Name: prospector-scheduler",
            "Version: %s" % __version__,
            "Requires-Python: >=3.6",
            "Summary: Runs the administrative and scheduled jobs of the ProspecTor system (sync-users and more).",
        ])
        self.assertIn("Classifier: Programming Language :: Python :: 3.6", headers.splitlines())
        self.assertIn("Classifier: Programming Language :: Python :: 3.13", headers.splitlines())
        self.assertEqual(headers.splitlines()[-1], "Description-Content-Type: text/markdown")
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as stream:
            self.assertEqual(body, stream.read())

    def test_a_setup_cfg_key_the_script_does_not_write_is_an_error(self):
        project = copy_project(self.path("project"))
        with open(os.path.join(project, "setup.cfg"), encoding="utf-8") as stream:
            text = stream.read()
        text = text.replace("license = Proprietary\n", "license = Proprietary\nauthor = Someone\nurl = https://example.com\n")
        with open(os.path.join(project, "setup.cfg"), "w", encoding="utf-8") as stream:
            stream.write(text)
        with self.assertRaises(build_dist.BuildError) as caught:
            build_dist.build_wheel(self.tmp, project, EPOCH)
        self.assertEqual(str(caught.exception), "setup.cfg [metadata] author, url: not known to tests/build_dist.py, "
                                                "which writes the wheel's METADATA")


class SdistTest(TemporaryDirectoryTestCase):
    def test_it_holds_the_tracked_files_and_pkg_info_never_an_untracked_users_file(self):
        reason = git_checkout_reason()
        if reason:
            self.skipTest(reason)
        project = copy_project(self.path("project"))
        os.chmod(os.path.join(project, "Makefile"), 0o755)
        run_git(project, "init", "-q")
        run_git(project, "add", "-A")
        run_git(project, "commit", "-q", "-m", "x")
        tracked = run_git(project, "ls-files").split()
        for name in ("users.yaml", "prospector.db", os.path.join("prospector_scheduler", "scratch.py")):
            with open(os.path.join(project, name), "w") as stream:
                stream.write("password: not-for-the-sdist\n")
        sdist = build_dist.build_sdist(self.tmp, project, EPOCH)
        self.assertEqual(os.path.basename(sdist), "prospector_scheduler-%s.tar.gz" % __version__)
        prefix = "prospector_scheduler-%s/" % __version__
        with tarfile.open(sdist) as opened:
            members = opened.getmembers()
            pkg_info = opened.extractfile(prefix + "PKG-INFO").read().decode("utf-8")
        self.assertEqual([member.name for member in members], sorted(prefix + name for name in tracked + ["PKG-INFO"]))
        for member in members:
            with self.subTest(name=member.name):
                self.assertEqual((member.mtime, member.uid, member.gid, member.uname, member.gname), (EPOCH, 0, 0, "", ""))
                self.assertEqual(member.mode, 0o755 if member.name.endswith("/Makefile") else 0o644)
        self.assertEqual(pkg_info, build_dist.core_metadata(project))
        with open(sdist, "rb") as stream:
            header = stream.read(10)
        self.assertEqual(header[4:8], EPOCH.to_bytes(4, "little"))  # the gzip header's time

    def test_without_git_there_is_no_sdist_and_make_dist_says_why(self):
        project = copy_project(self.path("project"))
        self.assertIsNone(build_dist.build_sdist(self.tmp, project, EPOCH))
        messages = []
        self.assertEqual(build_dist.main([self.path("dist")], root=project, environ={}, say=messages.append), 0)
        self.assertIn("sdist: not built (it holds the files git tracks, and git or the .git directory is missing here)", messages)
        self.assertEqual(sorted(os.listdir(self.path("dist"))),
                         sorted([build_dist.ARCHIVE_NAME, build_dist.ARCHIVE_NAME + ".sha256", build_dist.wheel_name(project)]))
