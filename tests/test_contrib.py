"""contrib/: the cron lines, systemd units, Docker files, logrotate file, example users files and example plugin.

Each file an administrator copies is read the way its consumer reads it, and
every command line in it must name a registered command with arguments that
command accepts. Docker is not run here: its files are checked statically (the
scheduler they run is tested as a real process in test_run_schedule).
"""

import configparser
import io
import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

from prospector_scheduler import cli
from prospector_scheduler.registry import Registry
from tests import build_dist
from tests.support import ROOT, TemporaryDirectoryTestCase, run_cli, run_process

CONTRIB = os.path.join(ROOT, "contrib")
TOOL = "prospector-scheduler"
# Where the files put things: the sandbox and the log rotation must agree with these.
DB_PATH = "/var/lib/prospector/prospector.db"
USERS_PATH = "/etc/prospector/users.yaml"
LOG_PATH = "/var/log/prospector/scheduler.log"
CRON_FIELDS = [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7)]
SHELL_OPERATORS = {">", ">>", "2>", "2>>", "2>&1", ">&2", "|", "||", "&&", ";", "&", "<"}


def contrib(*parts):
    return os.path.join(CONTRIB, *parts)


def read(path):
    with open(path, encoding="utf-8") as stream:
        return stream.read()


def tool_invocation(words):
    """(global options, command spec, command arguments) of a tool invocation; fails if it resolves to no command.

    ``words`` starts with the tool itself. The words are parsed by the tool's
    own global parser and the command's own argument parser, so an option a
    command does not take is a UsageError here too.
    """
    if os.path.basename(words[0]) != TOOL:
        raise AssertionError("%r does not run %s" % (words[0], TOOL))
    options = cli.parse_global(words[1:], io.StringIO())
    spec = Registry(entry_points=[]).get(options.command)
    if spec is None:
        raise AssertionError("%r is not a built-in command of %s" % (options.command, TOOL))
    parser = cli.ArgumentParser(prog="%s %s" % (TOOL, spec.name), output=io.StringIO())
    if spec.add_arguments is not None:
        spec.add_arguments(parser)
    return options, spec, parser.parse_args(options.arguments)


def shell_command_words(command):
    """The words of a simple shell command, up to its first redirection or operator."""
    words = []
    for word in shlex.split(command):
        if word in SHELL_OPERATORS or word.startswith(">") or word.startswith("2>"):
            break
        words.append(word)
    return words


def cron_field_problem(field, low, high):
    """What is wrong with one cron time field (numbers, *, lists, ranges, steps), or None."""
    for item in field.split(","):
        match = re.match(r"^(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?$", item)
        if not match:
            return "%r is not a cron time field" % item
        numbers = [int(number) for number in match.group(2, 3) if number is not None]
        if any(number < low or number > high for number in numbers):
            return "%r is outside %d-%d" % (item, low, high)
        if match.group(4) is not None and int(match.group(4)) == 0:
            return "%r has a step of 0" % item
    return None


class CronJob(object):
    """One job line of a crontab or cron.d file."""

    def __init__(self, line_number, times, user, command):
        self.line_number = line_number
        self.times = times
        self.user = user
        self.command = command


def cron_jobs(path, has_user_field):
    """The (environment assignments, jobs) of a cron file, as cron reads it."""
    environment = {}
    jobs = []
    for number, line in enumerate(read(path).splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        assignment = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", stripped)
        if assignment:
            environment[assignment.group(1)] = assignment.group(2)
            continue
        fields = stripped.split(None, 6 if has_user_field else 5)
        if has_user_field:
            jobs.append(CronJob(number, fields[:5], fields[5], fields[6] if len(fields) > 6 else ""))
        else:
            jobs.append(CronJob(number, fields[:5], None, fields[5] if len(fields) > 5 else ""))
    return environment, jobs


class CronTest(unittest.TestCase):
    FILES = [
        # (file, has a user field, quiet so that cron mails only problems)
        ("prospector-scheduler", True, True),
        ("crontab", False, False),
    ]

    def test_every_job_runs_sync_users_daily_at_two_with_absolute_paths(self):
        for name, has_user_field, quiet in self.FILES:
            environment, jobs = cron_jobs(contrib("cron", name), has_user_field)
            self.assertEqual(len(jobs), 1, name)
            for job in jobs:
                with self.subTest(file=name, line=job.line_number):
                    self.assertEqual(len(job.times), 5)
                    for value, (field, low, high) in zip(job.times, CRON_FIELDS):
                        self.assertIsNone(cron_field_problem(value, low, high), field)
                    self.assertEqual(job.times, ["0", "2", "*", "*", "*"])
                    self.assertNotRegex(job.command, r"(?<!\\)%", "cron turns an unescaped % into a newline")
                    words = shell_command_words(job.command)
                    self.assertTrue(words[0].startswith("/"), "the tool is named by its absolute path")
                    options, spec, arguments = tool_invocation(words)
                    self.assertEqual(spec.name, "sync-users")
                    self.assertEqual(options.quiet, quiet)
                    self.assertEqual(options.db, DB_PATH)
                    self.assertIn(USERS_PATH, words)

    def test_the_cron_d_file_names_a_user_sets_path_and_says_where_mail_goes(self):
        environment, jobs = cron_jobs(contrib("cron", "prospector-scheduler"), True)
        for job in jobs:
            with self.subTest(line=job.line_number):
                self.assertRegex(job.user, r"^[a-z_][a-z0-9_-]*$")
                self.assertNotEqual(job.user, "root")
        self.assertIn("/usr/local/bin", environment["PATH"].split(":"))
        self.assertRegex(environment["MAILTO"], r"^[^@\s]+@[^@\s]+\.[a-z]+$")
        # Debian's cron skips files in /etc/cron.d whose names hold a dot.
        self.assertRegex("prospector-scheduler", r"^[A-Za-z0-9_-]+$")

    def test_a_crontab_line_has_no_user_field_and_appends_to_the_rotated_log_with_times(self):
        environment, jobs = cron_jobs(contrib("cron", "crontab"), False)
        self.assertRegex(environment["MAILTO"], r"^[^@\s]+@[^@\s]+\.[a-z]+$")
        for job in jobs:
            with self.subTest(line=job.line_number):
                words = shlex.split(job.command)
                self.assertTrue(words[0].startswith("/"), "a user name here would be run as the command")
                self.assertEqual(words[words.index(">>") + 1], LOG_PATH)
                self.assertEqual(words[-1], "2>&1")
                options, _, _ = tool_invocation(shell_command_words(job.command))
                self.assertTrue(options.timestamps, "a log file gets no time from cron")

    def test_every_cron_file_says_what_happens_without_a_mail_transfer_agent(self):
        for name, _, _ in self.FILES:
            with self.subTest(file=name):
                text = " ".join(line.lstrip("# ") for line in read(contrib("cron", name)).splitlines())
                self.assertIn("mail transfer agent", text)
                self.assertIn("discards", text)
                self.assertIn("README, \"Monitoring\"" if name == "crontab" else "contrib/monitoring/", text)

    def test_the_field_check_catches_what_cron_refuses(self):
        table = [("0", 0, 59, None), ("*/15", 0, 59, None), ("1-5", 0, 7, None), ("0,30", 0, 59, None),
                 ("60", 0, 59, "'60' is outside 0-59"), ("0", 1, 31, "'0' is outside 1-31"),
                 ("*/0", 0, 59, "'*/0' has a step of 0"), ("prospector", 0, 59, "'prospector' is not a cron time field")]
        for field, low, high, problem in table:
            with self.subTest(field=field):
                self.assertEqual(cron_field_problem(field, low, high), problem)


def unit_entries(path):
    """The (section, key, value) entries of a systemd unit file, in order, duplicates kept.

    Comments (# or ;), blank lines and backslash continuations as systemd
    reads them; any other line is an error naming its number.
    """
    entries = []
    section = None
    pending = ""
    for number, line in enumerate(read(path).splitlines(), 1):
        stripped = line.strip()
        if not pending and (not stripped or stripped[0] in "#;"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        stripped, pending = pending + stripped, ""
        header = re.match(r"^\[([A-Za-z]+)\]$", stripped)
        if header:
            section = header.group(1)
            continue
        entry = re.match(r"^([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$", stripped)
        if entry is None or section is None:
            raise AssertionError("%s:%d: not a section header or Key=value" % (path, number))
        entries.append((section, entry.group(1), entry.group(2)))
    return entries


def unit_values(entries, section, key):
    return [value for entry_section, entry_key, value in entries if (entry_section, entry_key) == (section, key)]


class SystemdTest(TemporaryDirectoryTestCase):
    SERVICE = "prospector-scheduler-sync.service"
    TIMER = "prospector-scheduler-sync.timer"
    HARDENING = [
        ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"), ("ProtectKernelTunables", "yes"), ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"), ("ProtectControlGroups", "yes"), ("RestrictAddressFamilies", "AF_UNIX"),
        ("RestrictNamespaces", "yes"), ("LockPersonality", "yes"), ("MemoryDenyWriteExecute", "yes"),
        ("CapabilityBoundingSet", ""), ("UMask", "0077"), ("IPAddressDeny", "any"), ("PrivateNetwork", "yes"),
        ("RestrictSUIDSGID", "yes"), ("SystemCallArchitectures", "native"),
    ]
    HIDDEN = ["/home/", "/root/", "/run/user/", "/tmp/", "/var/tmp/"]  # ProtectHome, PrivateTmp

    def test_the_service_is_a_hardened_oneshot_of_sync_users_under_its_own_user(self):
        entries = unit_entries(contrib("systemd", self.SERVICE))
        self.assertEqual(unit_values(entries, "Service", "Type"), ["oneshot"])
        user = unit_values(entries, "Service", "User")
        self.assertEqual(len(user), 1)
        self.assertNotIn(user[0], ("", "root", "0"))
        for key, value in self.HARDENING:
            with self.subTest(key=key):
                self.assertEqual(unit_values(entries, "Service", key), [value])
        self.assertIn("@system-service", unit_values(entries, "Service", "SystemCallFilter"))

    def test_the_service_command_resolves_and_its_files_are_inside_the_sandbox(self):
        entries = unit_entries(contrib("systemd", self.SERVICE))
        (exec_start,) = unit_values(entries, "Service", "ExecStart")
        words = shlex.split(exec_start)
        self.assertTrue(words[0].startswith("/"))
        options, spec, arguments = tool_invocation(words)
        self.assertEqual(spec.name, "sync-users")
        writable = unit_values(entries, "Service", "ReadWritePaths")
        self.assertEqual(writable, [posixpath.dirname(DB_PATH)])
        self.assertEqual(posixpath.dirname(options.db), writable[0], "the database folder must be writable")
        for path in [options.db] + [word for word in words if word.startswith("/")]:
            with self.subTest(path=path):
                for hidden in self.HIDDEN:
                    self.assertFalse(path.startswith(hidden), "the sandbox hides %s" % hidden)

    def test_the_timer_runs_the_service_daily_and_catches_up(self):
        entries = unit_entries(contrib("systemd", self.TIMER))
        self.assertEqual(unit_values(entries, "Timer", "OnCalendar"), ["*-*-* 02:00:00"])
        self.assertEqual(unit_values(entries, "Timer", "Persistent"), ["true"])
        self.assertRegex(unit_values(entries, "Timer", "RandomizedDelaySec")[0], r"^\d+(min|s|h)?$")
        self.assertEqual(unit_values(entries, "Timer", "Unit"), [self.SERVICE])
        self.assertEqual(unit_values(entries, "Install", "WantedBy"), ["timers.target"])

    def test_a_line_that_is_not_an_entry_is_reported_with_its_number(self):
        path = self.path("broken.service")
        with open(path, "w") as stream:
            stream.write("[Service]\n# comment\nType=oneshot\nExecStart=/bin/true \\\n  --flag\nnot an entry\n")
        with self.assertRaises(AssertionError) as caught:
            unit_entries(path)
        self.assertEqual(str(caught.exception), "%s:6: not a section header or Key=value" % path)

    @unittest.skipIf(shutil.which("systemd-analyze") is None, "systemd-analyze is not installed")
    def test_systemd_analyze_verify_finds_nothing_to_say(self):
        # verify insists that ExecStart's program exists: point it at a stand-in.
        folder = self.tmp
        stand_in = os.path.join(folder, TOOL)
        with open(stand_in, "w") as stream:
            stream.write("#!/bin/sh\n")
        os.chmod(stand_in, 0o755)
        for name in (self.SERVICE, self.TIMER):
            text = read(contrib("systemd", name)).replace("/usr/local/bin/" + TOOL, stand_in)
            with open(os.path.join(folder, name), "w") as stream:
                stream.write(text)
        process = subprocess.Popen(
            ["systemd-analyze", "verify", self.SERVICE, self.TIMER],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            universal_newlines=True,
        )
        output = process.communicate(timeout=60)[0]
        self.assertEqual((process.returncode, output), (0, ""))


class SchedulerServiceTest(unittest.TestCase):
    SERVICE = "prospector-scheduler.service"

    def setUp(self):
        self.entries = unit_entries(contrib("systemd", self.SERVICE))

    def test_it_runs_run_schedule_hardened_under_its_own_user(self):
        self.assertEqual(unit_values(self.entries, "Service", "Type"), ["simple"])
        self.assertEqual(unit_values(self.entries, "Service", "User"), ["prospector"])
        for key, value in SystemdTest.HARDENING:
            with self.subTest(key=key):
                self.assertEqual(unit_values(self.entries, "Service", key), [value])
        (exec_start,) = unit_values(self.entries, "Service", "ExecStart")
        options, spec, arguments = tool_invocation(shlex.split(exec_start))
        self.assertEqual((spec.name, options.db, arguments.schedule), ("run-schedule", DB_PATH,
                                                                        "/etc/prospector/schedule.yaml"))
        self.assertIn(posixpath.dirname(DB_PATH), unit_values(self.entries, "Service", "ReadWritePaths"))
        self.assertEqual(unit_values(self.entries, "Install", "WantedBy"), ["multi-user.target"])

    def test_stop_and_reload_reach_the_scheduler_as_it_expects(self):
        (exec_start,) = unit_values(self.entries, "Service", "ExecStart")
        _options, _spec, arguments = tool_invocation(shlex.split(exec_start))
        self.assertEqual(unit_values(self.entries, "Service", "ExecReload"), ["/bin/kill -HUP $MAINPID"])
        self.assertEqual(unit_values(self.entries, "Service", "KillMode"), ["mixed"])
        (timeout,) = unit_values(self.entries, "Service", "TimeoutStopSec")
        self.assertLess(arguments.grace, int(timeout.rstrip("s")), "the jobs must get their grace before SIGKILL")

    @unittest.skipIf(shutil.which("systemd-analyze") is None, "systemd-analyze is not installed")
    def test_systemd_analyze_verify_finds_nothing_to_say(self):
        folder = tempfile.mkdtemp(prefix="prospector-unit-")
        self.addCleanup(shutil.rmtree, folder, True)
        stand_in = os.path.join(folder, TOOL)
        with open(stand_in, "w") as stream:
            stream.write("#!/bin/sh\n")
        os.chmod(stand_in, 0o755)
        text = read(contrib("systemd", self.SERVICE)).replace("/usr/local/bin/" + TOOL, stand_in)
        with open(os.path.join(folder, self.SERVICE), "w") as stream:
            stream.write(text)
        process = subprocess.Popen(["systemd-analyze", "verify", self.SERVICE], cwd=folder, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, universal_newlines=True)
        output = process.communicate(timeout=60)[0]
        self.assertEqual((process.returncode, output), (0, ""))


class ScheduleExampleTest(unittest.TestCase):
    PATH = contrib("schedule.example.yaml")

    def test_it_loads_with_every_command_checked(self):
        from prospector_scheduler import schedule_file

        registry = Registry(entry_points=[])
        missing = [name for name in ("backup-db", "check-db") if registry.get(name) is None]
        if missing:
            self.skipTest("%s not on this branch yet (issue 13)" % ", ".join(missing))
        schedule = schedule_file.read(self.PATH, registry)
        self.assertEqual([(job.name, job.command[0], job.schedule.text) for job in schedule.jobs], [
            ("sync-users", "sync-users", "0 2 * * *"),
            ("backup-db", "backup-db", "30 2 * * *"),
            ("check-db", "check-db", "0 4 * * sun"),
        ])

    def test_the_backup_runs_after_the_sync_and_the_check_weekly(self):
        from prospector_scheduler import cron, schedule_file

        schedule = schedule_file.read(self.PATH)  # commands are checked above
        utc = cron.zone_named("UTC")
        start = 1704067200
        sync, backup, check = (cron.next_after(job.schedule, utc, start) for job in schedule.jobs)
        self.assertLess(sync + schedule.jobs[0].timeout, backup + 1)
        weekly = cron.next_times(schedule.jobs[2].schedule, utc, start, 2)
        self.assertEqual(weekly[1] - weekly[0], 7 * 86400)
        self.assertEqual(schedule.jobs[0].command[1], USERS_PATH)

    def test_every_key_is_commented(self):
        from prospector_scheduler import schedule_file

        text = read(self.PATH)
        for key in schedule_file.TOP_KEYS + schedule_file.JOB_KEYS:
            with self.subTest(key=key):
                commented = [line for line in text.splitlines()
                             if re.match(r"^\s*(- )?%s:" % key, line) and "#" in line]
                explained = re.search(r"#[^\n]*\n(\s*#[^\n]*\n)*\s*(- )?%s:" % key, text)
                self.assertTrue(commented or explained, "%s has no comment" % key)


class LogrotateTest(unittest.TestCase):
    def test_it_rotates_the_log_of_the_crontab_line_safely(self):
        text = read(contrib("logrotate", "prospector-scheduler"))
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
        self.assertEqual(lines[0], LOG_PATH + " {")
        self.assertEqual(lines[-1], "}")
        directives = dict((line.split()[0], line.split()[1:]) for line in lines[1:-1])
        for name in ("missingok", "notifempty", "compress"):
            with self.subTest(directive=name):
                self.assertEqual(directives.get(name), [])
        self.assertTrue(set(directives) & {"daily", "weekly", "monthly"})
        self.assertRegex(" ".join(directives["rotate"]), r"^\d+$")
        self.assertEqual(directives["create"][0], "0600")


def dockerfile_instructions(path):
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    instructions = []
    pending = ""
    for line in read(path).splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        instruction, _, arguments = (pending + stripped).partition(" ")
        instructions.append((instruction.upper(), arguments.strip()))
        pending = ""
    return instructions


class DockerfileTest(unittest.TestCase):
    def setUp(self):
        self.instructions = dockerfile_instructions(contrib("docker", "Dockerfile"))

    def values(self, name):
        return [arguments for instruction, arguments in self.instructions if instruction == name]

    def test_it_builds_on_a_slim_supported_python_and_runs_unprivileged(self):
        (base,) = self.values("FROM")
        match = re.match(r"^python:3\.(\d+)-slim$", base)
        self.assertIsNotNone(match, base)
        self.assertTrue(6 <= int(match.group(1)) <= 13)
        self.assertEqual(self.values("USER"), ["prospector"])
        self.assertEqual(self.instructions[-1][0], "CMD")

    def test_it_copies_the_checked_archive_and_the_schedule_only(self):
        sources = []
        for arguments in self.values("COPY"):
            words = arguments.split()
            sources.extend(word for word in words[:-1] if not word.startswith("--"))
        archive = "dist/" + build_dist.ARCHIVE_NAME
        self.assertEqual(sorted(sources), sorted([archive, archive + ".sha256", "contrib/docker/schedule.yaml"]))
        self.assertFalse(os.path.exists(os.path.join(ROOT, "contrib/docker/daily.py")))
        self.assertTrue(any("sha256sum -c %s.sha256" % build_dist.ARCHIVE_NAME in run for run in self.values("RUN")))
        ignore = [line for line in read(contrib("docker", "Dockerfile.dockerignore")).splitlines() if line and line[0] != "#"]
        self.assertEqual(ignore[0], "*")
        self.assertEqual(sorted(line.lstrip("!") for line in ignore[1:]), sorted(sources))

    def test_entrypoint_and_command_are_exec_form_and_run_the_scheduler(self):
        (entrypoint,) = self.values("ENTRYPOINT")
        (command,) = self.values("CMD")
        self.assertEqual(json.loads(entrypoint), ["/usr/local/bin/" + TOOL])
        arguments = check_run_schedule(self, json.loads(command))
        self.assertIsNone(arguments.grace, "the default grace is below Docker's 10-second stop timeout")
        environment = " ".join(self.values("ENV"))
        self.assertIn("PROSPECTOR_DB=%s" % DB_PATH, environment)
        self.assertIn("PROSPECTOR_SCHEDULE=/etc/prospector/schedule.yaml", environment)
        self.assertIn("install -m 0644 schedule.yaml /etc/prospector/schedule.yaml", " ".join(self.values("RUN")))

    def test_the_image_schedule_syncs_the_secret_nightly_and_at_the_first_start(self):
        from prospector_scheduler import schedule_file

        schedule = schedule_file.read(contrib("docker", "schedule.yaml"), Registry(entry_points=[]))
        sync = schedule.job("sync-users")
        self.assertEqual((sync.command, sync.schedule.text, sync.catch_up, sync.enabled),
                         (("sync-users", "/run/secrets/users.yaml"), "0 2 * * *", True, True))


def check_run_schedule(test, words):
    """``words`` (after the tool) run run-schedule on the image's schedule file; its arguments parse."""
    options, spec, arguments = tool_invocation([TOOL] + list(words))
    test.assertEqual(spec.name, "run-schedule")
    test.assertIsNone(arguments.schedule, "the image's PROSPECTOR_SCHEDULE names the file")
    return arguments


class ComposeTest(unittest.TestCase):
    def setUp(self):
        from prospector_scheduler import miniyaml

        self.compose = miniyaml.loads(read(contrib("docker", "docker-compose.yml")))

    def test_the_scheduler_builds_the_image_and_runs_run_schedule_on_the_secret(self):
        scheduler = self.compose["services"]["scheduler"]
        context = os.path.normpath(os.path.join(contrib("docker"), scheduler["build"]["context"]))
        self.assertEqual(context, ROOT)
        self.assertTrue(os.path.isfile(os.path.join(context, scheduler["build"]["dockerfile"])))
        arguments = check_run_schedule(self, scheduler["command"])
        grace = re.match(r"^(\d+)(s|m)$", scheduler["stop_grace_period"])
        docker_grace = int(grace.group(1)) * (60 if grace.group(2) == "m" else 1)
        self.assertLess(arguments.grace, docker_grace, "the scheduler must stop before Docker kills it")
        (secret,) = scheduler["secrets"]
        self.assertEqual(secret["target"], "users.yaml")
        self.assertIn(secret["source"], self.compose["secrets"])
        self.assertEqual(self.compose["secrets"][secret["source"]], {"file": "./users.yaml"})
        self.assertIs(scheduler["init"], True)
        self.assertEqual(scheduler["network_mode"], "none")

    def test_the_database_is_on_a_named_volume_shared_with_the_app(self):
        services = self.compose["services"]
        mounts = []
        for name in ("scheduler", "app"):
            with self.subTest(service=name):
                self.assertEqual(services[name]["environment"]["PROSPECTOR_DB"], DB_PATH)
                (volume,) = services[name]["volumes"]
                source, target = volume.split(":")
                self.assertEqual(target, posixpath.dirname(DB_PATH))
                mounts.append(source)
        self.assertEqual(mounts[0], mounts[1])
        self.assertIn(mounts[0], self.compose["volumes"])


class UsersExampleTest(TemporaryDirectoryTestCase):
    FILES = ["users.example.yaml", "users.example.json"]

    def test_every_example_users_file_passes_check_config(self):
        for name in self.FILES:
            with self.subTest(file=name):
                # Installed as the README says: readable by its owner only (else check-config warns).
                path = self.write(name, read(contrib(name)), mode=0o600)
                result = run_cli(["check-config", path])
                self.assertEqual((result.code, result.stdout, result.stderr), (0, "%s: 4 users OK\n" % path, ""))

    def test_the_two_examples_hold_the_same_users(self):
        with open(contrib("users.example.json"), encoding="utf-8") as stream:
            json_users = json.load(stream)["users"]
        yaml_text = read(contrib("users.example.yaml"))
        self.assertEqual([user["username"] for user in json_users], re.findall(r"- username: (\S+)", yaml_text))
        for user in json_users:
            for key, value in user.items():
                with self.subTest(user=user["username"], key=key):
                    if isinstance(value, str):  # plain, or double-quoted where YAML needs it
                        written = "(%s|%s)" % (re.escape(value), re.escape(json.dumps(value)))
                    else:
                        written = re.escape(json.dumps(value))
                    line = r"\n  (- |  )%s: %s +#" % (re.escape(key), written)
                    self.assertTrue(re.search(line, yaml_text), "%s: %r is not in the YAML example" % (key, value))

    def test_every_field_line_of_the_yaml_example_has_a_comment(self):
        for number, line in enumerate(read(contrib("users.example.yaml")).splitlines(), 1):
            if re.match(r"^\s*(- )?[a-z_]+:", line):
                with self.subTest(line=number):
                    self.assertRegex(line, r"\s#\s\S")


PLUGIN = contrib("example-plugin")


def plugin_setup_cfg():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(os.path.join(PLUGIN, "setup.cfg"), encoding="utf-8")
    return parser


def install_plugin(target):
    """Install the example plugin into the folder ``target`` as pip would: its package and a dist-info.

    The dist-info's METADATA and entry_points.txt are written from the
    plugin's setup.cfg, which is what setuptools does at build time.
    """
    config = plugin_setup_cfg()
    name = config.get("metadata", "name")
    version = config.get("metadata", "version")
    for package in config.get("options", "packages").split():
        shutil.copytree(os.path.join(PLUGIN, package), os.path.join(target, package),
                        ignore=shutil.ignore_patterns("__pycache__"))
    dist_info = os.path.join(target, "%s-%s.dist-info" % (name.replace("-", "_"), version))
    os.mkdir(dist_info)
    with open(os.path.join(dist_info, "METADATA"), "w", encoding="utf-8") as stream:
        stream.write("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version))
    with open(os.path.join(dist_info, "entry_points.txt"), "w", encoding="utf-8") as stream:
        for group, text in config.items("options.entry_points"):
            stream.write("[%s]\n" % group)
            for line in text.strip().splitlines():
                stream.write(line.strip() + "\n")


class ExamplePluginTest(TemporaryDirectoryTestCase):
    def test_it_declares_one_command_in_the_entry_point_group(self):
        config = plugin_setup_cfg()
        groups = dict(config.items("options.entry_points"))
        self.assertEqual(list(groups), ["prospector_scheduler.commands"])
        self.assertEqual(groups["prospector_scheduler.commands"].strip(), "greet = prospector_greet.greet:greet")
        self.assertEqual(config.get("options", "python_requires"), ">=3.8")

    @unittest.skipIf(sys.version_info < (3, 8), "plugins need importlib.metadata (Python 3.8+)")
    def test_installed_it_is_listed_and_runs(self):
        site = self.path("site-packages")
        os.mkdir(site)
        install_plugin(site)
        env = {"PYTHONPATH": os.pathsep.join([ROOT, site])}
        listing = run_process([], env=env, cwd=self.tmp)
        self.assertEqual((listing.code, listing.stderr), (0, ""))
        self.assertIn("\n  greet ", listing.stdout)
        self.assertIn("Greet NAME (an example command from a plugin package).", listing.stdout)
        result = run_process(["--db", "x.db", "greet", "--times", "2", "Ada"], env=env, cwd=self.tmp)
        self.assertEqual(result.code, 0, result)
        self.assertEqual(result.stdout, "hello Ada\nhello Ada\n")
        self.assertEqual(result.stderr, "prospector-scheduler: the database would be x.db\n")
        refused = run_process(["greet", "--times", "11", "Ada"], env=env, cwd=self.tmp)
        self.assertEqual(refused.code, 64)
        self.assertEqual(refused.stderr, "prospector-scheduler: error: greet: --times must be from 1 to 10, not 11\n")

    def test_without_installing_it_there_is_no_greet(self):
        result = run_process(["greet", "Ada"], env={"PYTHONPATH": ROOT}, cwd=self.tmp)
        self.assertEqual(result.code, 64)
        self.assertIn("unknown command 'greet'", result.stderr)


if __name__ == "__main__":
    unittest.main()
