"""An administrator's first day: the README's Quick start, Installing and schedule setup, followed literally.

The commands are read from README.md itself, so these tests fail when the
README drifts from what works. They run in a fresh copy of the checkout in a
temporary directory, with a ``python3`` on ``PATH`` that is the interpreter
running the suite, ``HOME`` in the temporary directory, and, where the
machine allows it (``unshare -n``), without any network. Production paths
(``/usr/local/bin``, ``/opt/prospector``, ``/etc/prospector``, ...) are mapped
into the temporary directory; a command that needs the package index says so
in its comment (``needs the package index``) and is the only kind left out.
"""

import hashlib
import os
import pwd
import grp
import re
import shlex
import shutil
import subprocess
import sys
import unittest

from prospector_scheduler import __version__
from tests import build_dist
from tests.support import ROOT, Result, TemporaryDirectoryTestCase
from tests.test_contrib import cron_jobs

NEEDS_INDEX = "needs the package index"
VERSION_LINE = "prospector-scheduler %s\n" % __version__


def readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as stream:
        return stream.read()


def section(text, heading):
    """The text of the ``## heading`` section, up to the next ``## `` heading."""
    start = text.index("\n## %s\n" % heading)
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def code_blocks(text, language):
    """The contents of every fenced block of ``language`` ("" for a bare fence), in order."""
    blocks = []
    current = None
    for line in text.splitlines(True):
        if current is None and line.startswith("```"):
            current = (line[3:].strip(), [])
        elif current is not None and line.rstrip() == "```":
            if current[0] == language:
                blocks.append("".join(current[1]))
            current = None
        elif current is not None:
            current[1].append(line)
    return blocks


def shell_commands(block):
    """The commands of a sh block: one per line (joining backslash continuations), without blank and comment lines."""
    commands = []
    pending = ""
    for line in block.splitlines():
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        line = (pending + line).strip()
        pending = ""
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def comment_of(command):
    """The text after the command's `` # `` comment marker, or ""."""
    words = shlex.split(command, comments=False)
    if "#" not in words:
        return ""
    return command[command.index(" # ") + 3:].strip()


def network_free_prefix():
    """``["unshare", "-n"]`` where this process may make a network namespace without interfaces, else []."""
    if shutil.which("unshare") is None:
        return []
    try:
        code = subprocess.call(["unshare", "-n", "true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return []
    return ["unshare", "-n"] if code == 0 else []


NO_NETWORK = network_free_prefix()


def fresh_checkout(target):
    """Copy what a clone of this checkout holds into ``target``; return True if it is a git repository.

    With git, the tracked files with git's modes (what ``git clone`` gives),
    committed in a new repository so that ``git status`` can be asked; without
    git (an unpacked sdist), the files less the build's and the runs' leftovers.
    """
    tracked = build_dist.tracked_files(ROOT)
    if tracked is None:
        shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(
            "__pycache__", "dist", "build", "*.egg-info", "*.db", "*.db-journal", "users.yaml", "users.yml", "users.json"))
        return False
    for path, mode in tracked:
        copy = os.path.join(target, path)
        if not os.path.isdir(os.path.dirname(copy)):
            os.makedirs(os.path.dirname(copy))
        shutil.copyfile(os.path.join(ROOT, path), copy)
        os.chmod(copy, mode)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    for arguments in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "fresh clone"]):
        subprocess.check_call(git + arguments, cwd=target, stdout=subprocess.DEVNULL)
    return True


def copy_build_inputs(target):
    """What ``make dist`` reads, copied into ``target`` (a smaller copy than ``fresh_checkout``'s, and no git)."""
    names = ["Makefile", "README.md", "setup.cfg", "pyproject.toml", os.path.join("tests", "__init__.py"),
             os.path.join("tests", "build_dist.py")]
    os.makedirs(os.path.join(target, "tests"))
    for name in names:
        shutil.copyfile(os.path.join(ROOT, name), os.path.join(target, name))
    shutil.copytree(os.path.join(ROOT, "prospector_scheduler"), os.path.join(target, "prospector_scheduler"),
                    ignore=shutil.ignore_patterns("__pycache__"))


def files_under(folder):
    """Every file under ``folder`` (relative paths), leaving out .git and __pycache__."""
    found = set()
    for parent, subfolders, files in os.walk(folder):
        subfolders[:] = [name for name in subfolders if name not in (".git", "__pycache__")]
        for name in files:
            found.add(os.path.relpath(os.path.join(parent, name), folder))
    return found


class ShellTestCase(TemporaryDirectoryTestCase):
    """Runs README commands with ``sh`` in a copy of the checkout, this interpreter as ``python3``."""

    def setUp(self):
        TemporaryDirectoryTestCase.setUp(self)
        self.checkout = self.path("checkout")
        self.bin = self.path("bin")
        os.mkdir(self.bin)
        os.symlink(sys.executable, os.path.join(self.bin, "python3"))
        os.mkdir(self.path("home"))
        self.path_front = [self.bin]

    def environment(self):
        # A new administrator's shell: none of our settings, and no make of ours around it (under
        # `make test-all`, MAKELEVEL and MAKEFLAGS would change what the README's `make` prints).
        environ = dict((key, value) for key, value in os.environ.items()
                       if not key.startswith(("PROSPECTOR_", "PYTHON", "PIP_", "SOURCE_DATE_EPOCH", "MAKE", "MFLAGS")))
        environ["HOME"] = self.path("home")
        environ["PATH"] = os.pathsep.join(self.path_front + [environ.get("PATH", os.defpath)])
        environ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        environ["PIP_CONFIG_FILE"] = os.devnull
        return environ

    def sh(self, command, cwd, timeout=120):
        process = subprocess.Popen(NO_NETWORK + ["sh", "-c", command], cwd=cwd, env=self.environment(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = process.communicate(timeout=timeout)
        return Result(process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))

    def assertRuns(self, command, cwd, **kwargs):
        result = self.sh(command, cwd, **kwargs)
        self.assertEqual(result.code, 0, "%s\n%r" % (command, result))
        return result


class QuickStartTest(ShellTestCase):
    def setUp(self):
        ShellTestCase.setUp(self)
        self.section = section(readme(), "Quick start")
        self.blocks = [shell_commands(block) for block in code_blocks(self.section, "sh")]

    def test_its_first_two_commands_are_the_main_job_on_the_example_and_the_tests(self):
        first, tests = self.blocks[0][:2]
        self.assertEqual(shlex.split(first), ["python3", "-m", "prospector_scheduler", "sync-users", "contrib/users.example.yaml"])
        self.assertEqual(tests, "make test")
        for command in sum(self.blocks, []):
            with self.subTest(command=command):
                self.assertNotIn("--db", command)  # the database in the working directory
                words = shlex.split(command, comments=True)
                self.assertEqual([word for word in words if word.startswith("/")], [], "a path outside the checkout")

    def test_it_runs_as_written_in_a_fresh_copy_and_leaves_git_nothing_to_commit(self):
        is_git = fresh_checkout(self.checkout)
        before = files_under(self.checkout)
        first, tests = self.blocks[0][:2]
        result = self.assertRuns(first, self.checkout)
        shown = code_blocks(self.section, "")[0].splitlines(True)
        stderr = [line for line in shown if line.startswith("prospector-scheduler: ")]
        stdout = [line for line in shown if not line.startswith("prospector-scheduler: ")]
        self.assertEqual(result.stdout, "".join(stdout))
        got = result.stderr.splitlines(True)
        if not hasattr(hashlib, "scrypt"):  # this Python cannot run scrypt: one warning more, about the fallback
            got = [line for line in got if "PBKDF2" not in line]
        self.assertEqual("".join(got), "".join(stderr))
        self.assertEqual(files_under(self.checkout) - before, {"prospector.db"})

        # `make test` runs the whole suite, this test included: make runs the same command on one
        # small module instead, so that the suite neither recurses nor takes twice as long.
        self.assertEqual(tests, "make test")
        dry = self.assertRuns("make -n test", self.checkout)
        self.assertEqual(dry.stdout, "python3 -E -s -S -W error -m tests \n")
        suite = self.assertRuns("make test TESTS=tests.test_errors", self.checkout)
        self.assertEqual(suite.stdout.splitlines()[0], "python3 -E -s -S -W error -m tests tests.test_errors")
        self.assertRegex(suite.stdout.splitlines()[-1], r"\A[1-9]\d* passed, 0 failed, 0 skipped\Z")

        for command in self.blocks[0][2:] + sum(self.blocks[1:], []):
            with self.subTest(command=command):
                result = self.assertRuns(command, self.checkout)
                comment = comment_of(command)
                if comment.startswith("again: "):
                    self.assertEqual(result.stdout, comment[len("again: "):] + "\n")
        made = files_under(self.checkout) - before
        self.assertEqual(made, {"prospector.db", "users.yaml"})
        for name in made:
            with self.subTest(file=name):
                self.assertEqual(os.stat(os.path.join(self.checkout, name)).st_mode & 0o777, 0o600)
        if is_git:
            status = self.assertRuns("git status --porcelain --untracked-files=all", self.checkout)
            self.assertEqual(status.stdout, "", "git would commit what the Quick start made")


class InstallingTest(ShellTestCase):
    """Every shell command of "Installing" that runs offline, with /usr/local/bin and /opt in the temporary directory."""

    def setUp(self):
        ShellTestCase.setUp(self)
        self.section = section(readme(), "Installing")
        self.server = self.path("server")
        self.venv = self.path("venv")
        for folder in (self.server, self.path("usr", "local", "bin"), self.path("opt")):
            os.makedirs(folder)
        self.places = [
            ("/usr/local/bin", self.path("usr", "local", "bin")),
            ("/usr/bin/python3", os.path.join(self.bin, "python3")),
            ("/opt/prospector", self.path("opt", "prospector")),
        ]
        # A virtual environment for the pip block, made in a second: no pip of its own, the
        # interpreter's (--system-site-packages) installs into it.
        subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", self.venv])
        self.path_front = [os.path.join(self.venv, "bin"), self.path("usr", "local", "bin"), self.bin]

    def localized(self, command):
        for production, here in self.places:
            command = command.replace(production, here)
        for word in shlex.split(command, comments=True):
            if word.startswith("/"):
                self.assertTrue(word.startswith(self.tmp), "%s: %s is outside the temporary directory" % (command, word))
        return command

    def test_every_offline_command_runs_as_written(self):
        copy_build_inputs(self.checkout)
        blocks = [shell_commands(block) for block in code_blocks(self.section, "sh")]
        self.assertEqual(blocks[0], ["make dist"])
        ran = []
        for block in blocks:
            for command in block:
                if NEEDS_INDEX in comment_of(command):
                    continue
                if "sha256sum" in command and shutil.which("sha256sum") is None:
                    continue
                with self.subTest(command=command):
                    # "Copy the .pyz and its .sha256 to the server": that block runs where only they are.
                    cwd = self.server if any("prospector-scheduler.pyz" in line for line in block) else self.checkout
                    result = self.assertRuns(self.localized(command), cwd, timeout=300)
                    ran.append(command)
                    if command == "make dist":
                        for name in (build_dist.ARCHIVE_NAME, build_dist.ARCHIVE_NAME + ".sha256"):
                            shutil.copy(os.path.join(self.checkout, "dist", name), self.server)
                        self.assertIn("built dist/%s  sha256 " % build_dist.wheel_name(ROOT), result.stdout)
                    if command.startswith("sha256sum -c"):
                        self.assertEqual(result.stdout, comment_of(command) + "\n")
                    if shlex.split(command, comments=True)[-1] == "--version":
                        self.assertEqual((result.stdout, result.stderr), (VERSION_LINE, ""))
        pip = [command for command in ran if "pip install" in command]
        self.assertEqual(len(pip), 1, "the offline wheel install ran")
        self.assertTrue(os.path.isfile(os.path.join(self.venv, "bin", "prospector-scheduler")))
        self.assertTrue(os.path.isfile(self.path("usr", "local", "bin", "prospector-scheduler")))
        self.assertTrue(os.path.isfile(self.path("opt", "prospector", "prospector_scheduler", "cli.py")))

    def test_the_commands_left_out_are_the_ones_that_need_the_package_index(self):
        left_out = [command for block in code_blocks(self.section, "sh") for command in shell_commands(block)
                    if NEEDS_INDEX in comment_of(command)]
        self.assertEqual([shlex.split(command, comments=True) for command in left_out],
                         [["python3", "-m", "pip", "install", "."]])


def account_reason():
    """Why the schedule setup cannot be walked here, or None."""
    if os.geteuid() != 0:
        return "the setup runs as root (install -o, runuser)"
    if shutil.which("runuser") is None:
        return "runuser (util-linux) is not installed"
    if shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin") is None:
        return "no python3 outside root's home for the unprivileged account"
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return "there is no account nobody to stand for prospector"
    return None


@unittest.skipIf(account_reason() is not None, account_reason() or "")
class ScheduleSetupTest(ShellTestCase):
    """The "Running on a schedule" setup, with nobody standing for the prospector account, then the cron.d job."""

    def setUp(self):
        ShellTestCase.setUp(self)
        os.chmod(self.tmp, 0o755)  # the unprivileged account must reach the files below it
        account = pwd.getpwnam("nobody")
        self.user = account.pw_name
        self.group = grp.getgrgid(account.pw_gid).gr_name
        self.root = self.path("root")
        self.places = [
            ("/usr/local/bin", os.path.join(self.root, "usr", "local", "bin")),
            ("/etc/prospector", os.path.join(self.root, "etc", "prospector")),
            ("/var/lib/prospector", os.path.join(self.root, "var", "lib", "prospector")),
            ("/var/log/prospector", os.path.join(self.root, "var", "log", "prospector")),
        ]
        tool_dir = os.path.join(self.root, "usr", "local", "bin")
        os.makedirs(tool_dir)
        for folder in ("etc", os.path.join("var", "lib"), os.path.join("var", "log")):
            os.makedirs(os.path.join(self.root, folder))
        for parent, subfolders, _ in os.walk(self.root):
            os.chmod(parent, 0o755)
        archive = build_dist.build_zipapp(tool_dir)
        os.rename(archive, os.path.join(tool_dir, "prospector-scheduler"))
        # The Quick start's own users file, in the folder the administrator works in.
        self.work = self.path("work")
        os.mkdir(self.work)
        shutil.copyfile(os.path.join(ROOT, "contrib", "users.example.yaml"), os.path.join(self.work, "users.yaml"))
        os.chmod(os.path.join(self.work, "users.yaml"), 0o600)
        # The unprivileged account finds no python3 under /root: the system's is used.
        self.path_front = [tool_dir]

    def environment(self):
        environ = ShellTestCase.environment(self)
        environ["PATH"] = os.pathsep.join(self.path_front + ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"])
        environ["PROSPECTOR_HASH_COST"] = "low"  # the cost is not what is walked here
        return environ

    def localized(self, command):
        for production, here in self.places:
            command = command.replace(production, here)
        for option in ("-o", "-u"):
            command = command.replace("%s prospector " % option, "%s %s " % (option, self.user))
        return command.replace("-g prospector ", "-g %s " % self.group)

    def setup_commands(self):
        block = code_blocks(section(readme(), "Running on a schedule"), "sh")[0]
        commands = shell_commands(block)
        self.assertTrue(commands[0].startswith("useradd --system "), commands[0])
        return commands[1:]  # the account: nobody stands for it

    def nightly_job(self):
        """The job of the cron.d file, as its user."""
        _, jobs = cron_jobs(os.path.join(ROOT, "contrib", "cron", "prospector-scheduler"), has_user_field=True)
        self.assertEqual(jobs[0].user, "prospector")
        return "runuser -u %s -- %s" % (self.user, self.localized(jobs[0].command))

    def crontab_job(self):
        """The line of the account's own crontab, as that account, through sh as cron runs it."""
        _, jobs = cron_jobs(os.path.join(ROOT, "contrib", "cron", "crontab"), has_user_field=False)
        return "runuser -u %s -- sh -c %s" % (self.user, shlex.quote(self.localized(jobs[0].command)))

    def database(self):
        return os.path.join(self.root, "var", "lib", "prospector", "prospector.db")

    def test_after_the_setup_the_account_owns_the_database_and_the_nightly_job_succeeds(self):
        for command in self.setup_commands():
            with self.subTest(command=command):
                self.assertRuns(self.localized(command), self.work)
        info = os.stat(self.database())
        self.assertEqual((info.st_uid, info.st_mode & 0o777), (pwd.getpwnam(self.user).pw_uid, 0o600))
        nightly = self.sh(self.nightly_job(), self.work)
        self.assertEqual((nightly.code, nightly.stdout, nightly.stderr), (0, "", ""))
        logged = self.sh(self.crontab_job(), self.work)
        self.assertEqual((logged.code, logged.stdout, logged.stderr), (0, "", ""))
        with open(os.path.join(self.root, "var", "log", "prospector", "scheduler.log"), encoding="utf-8") as stream:
            # One summary line (after a time stamp where the crontab line asks for one): all was
            # created by the setup's first sync.
            self.assertRegex(stream.read(), r"\A(\S+ )?created 0, password reset 0, [^\n]*\n\Z")

    def test_a_database_that_root_created_fails_the_nightly_job_with_73(self):
        # What the old Quick start led to: the first sync run as root, at the production path.
        commands = [command for command in self.setup_commands() if "sync-users" not in command]
        for command in commands:
            self.assertRuns(self.localized(command), self.work)
        as_root = self.localized("prospector-scheduler --db /var/lib/prospector/prospector.db sync-users /etc/prospector/users.yaml")
        self.assertRuns(as_root, self.work)
        nightly = self.sh(self.nightly_job(), self.work)
        self.assertEqual(nightly.code, 73, nightly)


if __name__ == "__main__":
    unittest.main()
