"""contrib/monitoring/ and the Docker health check: each example's exact command, run.

The Nagios and Icinga command definitions, the NRPE line, the node_exporter
cron.d file and the Dockerfile's HEALTHCHECK are read the way their consumer
reads them; the command each names is then run through /bin/sh as written,
only the absolute paths moved into a temporary directory (the tool becomes a
wrapper script running this checkout), against a database in each state.
"""

import os
import re
import shlex
import sqlite3
import stat
import subprocess
import time
import unittest

from prospector_scheduler import metrics
from tests import support
from tests.prometheus_format import naming_problems, parse
from tests.test_contrib import contrib, cron_jobs, dockerfile_instructions, read, tool_invocation
from tests.test_nagios_check import check_format

TOOL = "/usr/local/bin/prospector-scheduler"
DB_PATH = "/var/lib/prospector/prospector.db"
USERS_PATH = "/etc/prospector/users.yaml"
TEXTFILE_DIRECTORY = "/var/lib/node_exporter/textfile"
HOUR = 3600


def nagios_objects(text, kind):
    """The ``define KIND { directive value }`` blocks of a Nagios object file, as dicts."""
    objects = []
    for body in re.findall(r"^define %s\s*\{(.*?)^\}" % kind, text, re.M | re.S):
        directives = {}
        for line in body.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, value = line.partition(" ")
                directives[name] = value.strip()
        objects.append(directives)
    return objects


def nagios_command_line(text, service_description):
    """The command line Nagios runs for the service: its command's line with $ARGn$ filled in."""
    (service,) = [s for s in nagios_objects(text, "service") if s["service_description"] == service_description]
    name, *arguments = service["check_command"].split("!")
    (command,) = [c for c in nagios_objects(text, "command") if c["command_name"] == name]
    line = command["command_line"]
    for number, value in enumerate(arguments, 1):
        line = line.replace("$ARG%d$" % number, value)
    return line


def icinga2_command(text):
    """The argv of the Icinga 2 CheckCommand, its $macros$ filled in from its own vars."""
    array = re.search(r"^\s*command = \[(.*)\]\s*$", text, re.M).group(1)
    words = re.findall(r'"([^"]*)"', array)
    variables = dict(re.findall(r'^\s*vars\.(\w+) = "([^"]*)"\s*$', text, re.M))
    return [re.sub(r"\$(\w+)\$", lambda match: variables[match.group(1)], word) for word in words]


class MonitoringExamplesTest(support.TemporaryDirectoryTestCase):
    def setUp(self):
        support.TemporaryDirectoryTestCase.setUp(self)
        bin_directory = self.path("bin")
        os.mkdir(bin_directory)
        self.tool = os.path.join(bin_directory, "prospector-scheduler")
        with open(self.tool, "w") as stream:
            stream.write('#!/bin/sh\nexec %s "$@"\n' % " ".join(
                shlex.quote(word) for word in support.python_command("-m", "prospector_scheduler")))
        os.chmod(self.tool, 0o755)
        self.env = support.process_environment({
            "PROSPECTOR_HASH_COST": "low",
            "PATH": bin_directory + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        })
        self.db = self.path("prospector.db")
        self.users = self.write("users.yaml", "users:\n  - username: ann\n    password: Monitoring-secret-1\n")
        self.textfiles = self.path("textfile")
        os.mkdir(self.textfiles)

    def localized(self, command):
        for real, here in ((TOOL, self.tool), (DB_PATH, self.db), (USERS_PATH, self.users),
                           (TEXTFILE_DIRECTORY, self.textfiles)):
            command = command.replace(real, here)
        return command

    def sh(self, command, env=None):
        """Run ``command`` as cron and Nagios do: /bin/sh -c."""
        process = subprocess.Popen(["/bin/sh", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=env or self.env, cwd=self.tmp, universal_newlines=True)
        out, err = process.communicate(timeout=60)
        return support.Result(process.returncode, out, err)

    def sync(self):
        result = self.sh(shlex.quote(self.tool) + " -q --db %s sync-users %s" % (self.db, self.users))
        self.assertEqual(result.code, 0, result)

    def age_last_success(self, seconds):
        """Move the last sync back in time (what a few missed nights would leave)."""
        connection = sqlite3.connect(self.db)
        try:
            when = metrics.from_epoch(time.time() - seconds)
            with connection:
                connection.execute("UPDATE sync_runs SET started_at = ?, ended_at = ?", (when, when))
        finally:
            connection.close()

    STATES = [
        ("no database", None, 3, "UNKNOWN"),
        ("a fresh success", 0, 0, "OK"),
        ("a success 30 hours ago", 30 * HOUR, 1, "WARNING"),
        ("a success 3 days ago", 72 * HOUR, 2, "CRITICAL"),
    ]

    def assert_every_state(self, command, states=STATES):
        """``command`` (a shell command line) gives each state in turn, its one line in the plugin format."""
        for name, age, code, state in states:
            with self.subTest(name, command=command):
                if age == 0:
                    self.sync()
                elif age is not None:
                    self.age_last_success(age)
                result = self.sh(command)
                self.assertEqual((result.code, result.stderr), (code, ""), result)
                self.assertEqual(check_format(self, result.stdout.rstrip("\n"))[0], state)
                self.assertEqual(len(result.stdout.splitlines()), 1)

    def test_the_nagios_command_definition(self):
        line = nagios_command_line(read(contrib("monitoring", "nagios.cfg")), "ProspecTor user sync")
        self.assertEqual(line, TOOL + " --db " + DB_PATH + " status --check --job sync-users --warning 26h "
                         "--critical 50h")
        self.assert_every_state(self.localized(line))

    def test_the_nrpe_command(self):
        (line,) = re.findall(r"^command\[check_prospector_sync\]=(.*)$", read(contrib("monitoring", "nrpe.cfg")), re.M)
        self.assertEqual(line, nagios_command_line(read(contrib("monitoring", "nagios.cfg")), "ProspecTor user sync"))
        self.assert_every_state(self.localized(line), self.STATES[:2])  # the same command as nagios.cfg's

    def test_the_icinga2_check_command(self):
        argv = icinga2_command(read(contrib("monitoring", "icinga2.conf")))
        self.assertEqual(argv[0], TOOL)
        options, spec, arguments = tool_invocation(argv)
        self.assertEqual((spec.name, arguments.check, arguments.job), ("status", True, "sync-users"))
        self.assertEqual(" ".join(argv), nagios_command_line(read(contrib("monitoring", "nagios.cfg")),
                                                             "ProspecTor user sync"))
        self.assert_every_state(self.localized(" ".join(shlex.quote(word) for word in argv)), self.STATES[:2])

    def test_the_docker_health_check(self):
        instructions = dockerfile_instructions(contrib("docker", "Dockerfile"))
        (health,) = [arguments for instruction, arguments in instructions if instruction == "HEALTHCHECK"]
        options, _, command = health.partition(" CMD ")
        self.assertIn("--start-period=", options)
        self.assertTrue(command.endswith(" || exit 1"), "Docker knows 0 and 1 only; 2 is reserved")
        # ENV PROSPECTOR_DB of the image names the database; the tool is found on PATH.
        env = dict(self.env, PROSPECTOR_DB=self.db)
        table = [("no database", None, 1), ("a fresh success", 0, 0), ("a day and three hours", 27 * HOUR, 1),
                 ("three days", 72 * HOUR, 1)]
        for name, age, code in table:
            with self.subTest(name):
                if age == 0:
                    self.sync()
                elif age is not None:
                    self.age_last_success(age)
                result = self.sh(command, env=env)
                self.assertEqual(result.code, code, result)
                check_format(self, result.stdout.rstrip("\n"))

    def test_the_node_exporter_textfile_setup(self):
        environment, jobs = cron_jobs(contrib("monitoring", "prospector-scheduler-metrics"), True)
        (job,) = jobs
        self.assertEqual((job.times, job.user), (["0", "2", "*", "*", "*"], "prospector"))
        self.assertRegex(environment["MAILTO"], r"@")
        options, spec, _ = tool_invocation(shlex.split(job.command))
        self.assertEqual((spec.name, options.metrics_file),
                         ("sync-users", TEXTFILE_DIRECTORY + "/prospector-scheduler.prom"))
        prom = os.path.join(self.textfiles, "prospector-scheduler.prom")
        result = self.sh(self.localized(job.command))
        self.assertEqual((result.code, result.stdout), (0, ""), result)
        self.assertNotIn("error", result.stderr)  # -q: at most the warning of PROSPECTOR_HASH_COST=low
        self.assertEqual(stat.S_IMODE(os.stat(prom).st_mode), 0o644)
        self.assertEqual(os.listdir(self.textfiles), ["prospector-scheduler.prom"])
        with open(prom) as stream:
            text = stream.read()
        samples = dict(((name, labels["job_name"]), value) for name, labels, value in parse(text)
                       if "outcome" not in labels)
        self.assertEqual(naming_problems(text, "prospector_scheduler_"), [])
        success = samples[("prospector_scheduler_last_success_timestamp_seconds", "sync-users")]
        self.assertGreater(success, 0)
        self.assertEqual(samples[("prospector_scheduler_last_exit_code", "sync-users")], 0)
        # The same line with a users file gone bad: the file tells of it, the last success stays.
        with open(self.users, "w") as stream:
            stream.write("users:\n  - username: ann\n    pasword: x\n")
        failed = self.sh(self.localized(job.command))
        self.assertEqual(failed.code, 65)
        with open(prom) as stream:
            samples = dict(((name, labels["job_name"]), value) for name, labels, value in parse(stream.read())
                           if "outcome" not in labels)
        self.assertEqual(samples[("prospector_scheduler_last_exit_code", "sync-users")], 65)
        self.assertEqual(samples[("prospector_scheduler_last_success_timestamp_seconds", "sync-users")], success)
        self.assertEqual(samples[("prospector_scheduler_consecutive_failures", "sync-users")], 1)




class ReadmeMonitoringTest(unittest.TestCase):
    """The README's Monitoring section shows what contrib/ holds, word for word."""

    def setUp(self):
        text = read(os.path.join(support.ROOT, "README.md"))
        self.section = text[text.index("\n## Monitoring\n"):text.index("\n## Security\n")]

    def test_the_examples_are_those_of_contrib(self):
        words = lambda text: " ".join(text.split())  # noqa: E731
        blocks = re.findall(r"```(\w*)\n(.*?)```", self.section, re.S)
        shown = dict((kind or "plain", words(body)) for kind, body in blocks if kind != "sh")
        (health,) = [arguments for instruction, arguments in dockerfile_instructions(contrib("docker", "Dockerfile"))
                     if instruction == "HEALTHCHECK"]
        self.assertEqual(shown["dockerfile"].replace("\\ ", ""), words("HEALTHCHECK " + health))
        nrpe = re.search(r"^command\[\w+\]=(.*)$", read(contrib("monitoring", "nrpe.cfg")), re.M).group(1)
        self.assertIn("$ " + nrpe + " PROSPECTOR OK - ", words(self.section))
        (job,) = cron_jobs(contrib("monitoring", "prospector-scheduler-metrics"), True)[1]
        self.assertIn(words(" ".join(job.times + [job.user, job.command])), words(self.section))


if __name__ == "__main__":
    unittest.main()
