"""schedule_file: the schedule file's schema, errors with places, and command checks at load time."""

import unittest

from prospector_scheduler import cron, schedule_file
from prospector_scheduler.errors import ErrorList, NoInputError
from prospector_scheduler.registry import Registry
from tests.support import TemporaryDirectoryTestCase, run_cli

PROGRAM = "prospector-scheduler"
REGISTRY = Registry(entry_points=[])


def report(data, source="schedule.yaml"):
    try:
        schedule_file.parse(data, source, REGISTRY)
    except ErrorList as error:
        return "\n".join(error.report_lines(PROGRAM)) + "\n"
    raise AssertionError("no error for %r" % (data,))


GOOD = b"""\
timezone: UTC
keep_runs: 20
jobs:
  - name: sync-users
    command: [sync-users, /etc/prospector/users.yaml]
    schedule: "0 2 * * *"
    timeout: 3600
  - name: list
    command:
      - list-users
      - --format
      - json
    schedule: '@hourly'
    jitter: 30
    catch_up: no
    enabled: false
"""

# (file content, the exact report)
ERRORS = [
    (b'',
     'schedule.yaml: expected a mapping with the key jobs, got an empty file\n'),
    (b'- a\n',
     'schedule.yaml:1:1: expected a mapping with the key jobs, got a sequence\n'),
    (b'timezone: UTC\n',
     'schedule.yaml:1:1: jobs: missing (the list of jobs; jobs: [] for none)\n'
     '    timezone: UTC\n'
     '    ^\n'),
    (b'jobs: {}\n',
     'schedule.yaml:1:7: jobs: expected a list of jobs, got a mapping\n'
     '    jobs: {}\n'
     '          ^\n'),
    (b'jobs:\n  - x\n',
     'schedule.yaml:2:5: jobs[0]: expected a mapping (name, command, schedule, ...), got a scalar\n'),
    (b'jobs:\n  - name: a\n',
     'schedule.yaml:2:5: jobs[0]: missing key command\n'
     '      - name: a\n'
     '        ^\n'
     'schedule.yaml:2:5: jobs[0]: missing key schedule\n'
     '      - name: a\n'
     '        ^\n'),
    (b"jobs:\n  - name: a b\n    command: [list-users]\n    schedule: '@daily'\n",
     "schedule.yaml:2:11: jobs[0].name: a job name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit\n"
     '      - name: a b\n'
     '              ^\n'),
    (b"jobs:\n  - name: a\n    command: list-users\n    schedule: '@daily'\n",
     'schedule.yaml:3:14: jobs[0].command: expected a list (the command and its arguments, e.g. [sync-users, users.yaml]), got a scalar\n'
     '        command: list-users\n'
     '                 ^\n'),
    (b"jobs:\n  - name: a\n    command: []\n    schedule: '@daily'\n",
     'schedule.yaml:3:14: jobs[0].command: expected the command and its arguments, got an empty list\n'
     '        command: []\n'
     '                 ^\n'),
    (b"jobs:\n  - name: a\n    command: [lst-users]\n    schedule: '@daily'\n",
     "schedule.yaml:3:14: jobs[0].command: unknown command 'lst-users' (did you mean 'list-users' or 'delete-users'?)\n"),
    (b"jobs:\n  - name: a\n    command: [--db, x.db, list-users]\n    schedule: '@daily'\n",
     'schedule.yaml:3:14: jobs[0].command: the first word is the command; global options such as --db are passed on by run-schedule, from its own command line\n'),
    (b"jobs:\n  - name: a\n    command: [run-schedule]\n    schedule: '@daily'\n",
     'schedule.yaml:3:14: jobs[0].command: run-schedule cannot be a job\n'),
    (b"jobs:\n  - name: a\n    command: [sync-users]\n    schedule: '@daily'\n",
     "schedule.yaml:3:14: jobs[0].command: sync-users does not accept these arguments: the following arguments are required: FILE (see 'prospector-scheduler sync-users --help')\n"),
    (b"jobs:\n  - name: a\n    command: [list-users, hunter2]\n    schedule: '@daily'\n",
     "schedule.yaml:3:14: jobs[0].command: list-users does not accept these arguments: unrecognized arguments: (not shown) (see 'prospector-scheduler list-users --help')\n"),
    (b"jobs:\n  - name: a\n    command: [list-users, --help]\n    schedule: '@daily'\n",
     'schedule.yaml:3:14: jobs[0].command: asks list-users for its help or version, which is not a job\n'),
    (b"jobs:\n  - name: a\n    command: [list-users, [x]]\n    schedule: '@daily'\n",
     'schedule.yaml:3:27: jobs[0].command[1]: expected a string, got a sequence\n'),
    (b"jobs:\n  - name: a\n    command: [list-users]\n    schedule: '0 2 * *'\n",
     'schedule.yaml:4:15: jobs[0].schedule: a cron expression has 5 fields (minute hour day-of-month month day-of-week) or is a macro such as @daily; this one has 4\n'
     "        schedule: '0 2 * *'\n"
     '                  ^\n'),
    (b'jobs:\n  - name: a\n    command: [list-users]\n    schedule:\n',
     'schedule.yaml:4:14: jobs[0].schedule: expected a cron expression, got nothing\n'
     '        schedule:\n'
     '                 ^\n'),
    (b"jobs:\n  - name: a\n    command: [list-users]\n    schedule: '@daily'\n    timeout: 1h\n    jitter: -1\n    catch_up: 'yes'\n    enabled: maybe\n",
     'schedule.yaml:5:14: jobs[0].timeout: expected a whole number, got "1h"\n'
     '        timeout: 1h\n'
     '                 ^\n'
     'schedule.yaml:6:13: jobs[0].jitter: -1 is out of range (from 0 to 86400)\n'
     '        jitter: -1\n'
     '                ^\n'
     'schedule.yaml:7:15: jobs[0].catch_up: expected a boolean (true, false, yes, no, on or off, in any case, without quotes), got a quoted string\n'
     "        catch_up: 'yes'\n"
     '                  ^\n'
     'schedule.yaml:8:14: jobs[0].enabled: expected a boolean (true, false, yes, no, on or off, in any case), got "maybe"\n'
     '        enabled: maybe\n'
     '                 ^\n'),
    (b"jobs:\n  - name: a\n    comand: [list-users]\n    schedule: '@daily'\n",
     'schedule.yaml:2:5: jobs[0]: missing key command\n'
     '      - name: a\n'
     '        ^\n'
     'schedule.yaml:3:5: jobs[0].comand: unknown key; did you mean "command"?\n'),
    (b"jobs:\n  - name: a\n    command: [list-users]\n    schedule: '@daily'\n  - name: a\n    command: [list-users]\n    schedule: '@weekly'\n",
     'schedule.yaml:5:5: jobs[1].name: "a" is the name of an earlier job (line 2)\n'
     '      - name: a\n'
     '        ^\n'),
    (b'keep_runs: 0\njobs: []\n',
     'schedule.yaml:1:12: keep_runs: 0 is out of range (from 1 to 100000)\n'
     '    keep_runs: 0\n'
     '               ^\n'),
    (b'{"jobs": [{"name": "a", "command": ["list-users"], "schedule": 5}]}',
     'schedule.json: jobs[0].schedule: expected a string, got a number\n'),
]


class ParseTest(unittest.TestCase):
    def test_a_good_file(self):
        schedule = schedule_file.parse(GOOD, "schedule.yaml", REGISTRY)
        self.assertEqual((schedule.timezone, schedule.zone.name, schedule.keep_runs), ("UTC", "UTC", 20))
        first, second = schedule.jobs
        self.assertEqual(first, schedule_file.Job("sync-users", ("sync-users", "/etc/prospector/users.yaml"),
                                                  cron.parse("0 2 * * *"), 3600, 0, True, True, 4))
        self.assertEqual(second, schedule_file.Job("list", ("list-users", "--format", "json"),
                                                   cron.parse("@hourly"), None, 30, False, False, 8))
        self.assertIs(schedule.job("list"), second)
        self.assertIsNone(schedule.job("nothing"))

    def test_defaults(self):
        schedule = schedule_file.parse(b"jobs: []\n", "s.yaml")
        self.assertEqual((schedule.timezone, schedule.zone.name, schedule.keep_runs, schedule.jobs),
                         ("local", "local", 100, []))

    def test_without_a_registry_commands_are_not_checked(self):
        schedule = schedule_file.parse(b"jobs:\n  - {name: b, command: [backup-db, /x], schedule: '@daily'}\n",
                                       "s.yaml")
        self.assertEqual(schedule.jobs[0].command, ("backup-db", "/x"))

    def test_errors(self):
        for data, expected in ERRORS:
            with self.subTest(data=data):
                source = "schedule.json" if data.startswith(b"{") else "schedule.yaml"
                self.assertEqual(report(data, source), expected)

    def test_an_unknown_time_zone(self):
        try:
            cron.zone_named("Mars/Olympus")
        except Exception as error:
            reason = error.message
        self.assertEqual(report(b"timezone: Mars/Olympus\njobs: []\n"),
                         "schedule.yaml:1:11: timezone: %s\n    timezone: Mars/Olympus\n              ^\n" % reason)
        self.assertEqual(report(b"timezone:\njobs: []\n"),
                         "schedule.yaml:1:10: timezone: expected a time zone (UTC or an IANA name such as "
                         "Europe/Berlin); leave the key out for local time\n    timezone:\n             ^\n")

    def test_tells_schedule_files_from_users_files(self):
        table = [
            (b"jobs: []\n", True),
            (b'{"jobs": []}', True),
            (b"users: []\n", False),
            (b"users:\n  - username: jobs\n", False),
            (b"jobs: [\n", False),
            (b"- jobs\n", False),
        ]
        for data, expected in table:
            with self.subTest(data=data):
                self.assertEqual(schedule_file.looks_like_schedule(data, "f"), expected)


class ReadTest(TemporaryDirectoryTestCase):
    def test_missing_and_directory(self):
        for path, message in [(self.path("none.yaml"), "cannot read the schedule file: No such file or directory"),
                              (self.tmp, "cannot read the schedule file: it is a directory")]:
            with self.subTest(path=path):
                with self.assertRaises(NoInputError) as caught:
                    schedule_file.read(path)
                self.assertEqual(caught.exception.message, message)
                self.assertEqual(caught.exception.path, path)


class CheckConfigTest(TemporaryDirectoryTestCase):
    def test_check_config_checks_a_schedule_file(self):
        good = self.write("schedule.yaml", GOOD)
        bad = self.write("bad.yaml", b"jobs:\n  - name: a\n    command: [lst-users]\n    schedule: '@daily'\n")
        table = [
            (["check-config", good], "", 0, "%s: 2 jobs OK\n" % good, ""),
            (["-q", "check-config", good], "", 0, "", ""),
            (["check-config", "-"], "jobs: []\n", 0, "<stdin>: 0 jobs OK\n", ""),
            (["check-config", "--kind", "schedule", "-"], "jobs: []\n", 0, "<stdin>: 0 jobs OK\n", ""),
            (["check-config", "--kind", "users", "-"], "jobs: []\n", 65, "",
             '<stdin>:1:1: missing the key "users" (a list of users; "users: []" for none)\n'
             '<stdin>:1:1: top level: unknown key (not named: it is not close to any key of this file); '
                 'expected only "users"\n'),
            (["check-config", bad], "", 65, "",
             "%s:3:14: jobs[0].command: unknown command 'lst-users' (did you mean 'list-users' or 'delete-users'?)\n" % bad),
        ]
        for args, stdin, code, stdout, stderr in table:
            with self.subTest(args=args):
                result = run_cli(args, stdin=stdin, registry_factory=lambda **kwargs: Registry(entry_points=[], **kwargs))
                self.assertEqual((result.code, result.stdout, result.stderr), (code, stdout, stderr))


if __name__ == "__main__":
    unittest.main()
