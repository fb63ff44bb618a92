"""The schedule file: which jobs ``run-schedule`` runs, when, and how.

A schedule file is YAML or JSON, checked as strictly as the users file (every
error at once with ``FILE:LINE:COL``, did-you-mean for unknown keys, values
typed by this schema, through ``config_schema``)::

    timezone: UTC            # optional: UTC or an IANA name; default: local time (TZ)
    keep_runs: 100           # optional: finished runs kept per job in job_runs
    jobs:
      - name: sync-users
        command: [sync-users, /etc/prospector/users.yaml]
        schedule: "0 2 * * *"
        timeout: 3600        # optional, seconds
        jitter: 300          # optional, seconds of random delay
        catch_up: true       # optional, default true
        enabled: true        # optional, default true

A job's command is a command of the registry with its arguments; when a
``registry`` is given, an unknown command or arguments that command's parser
rejects are errors here, at load time. This module reads one file and runs
nothing (``scheduler`` does).
"""

import os
import re
import stat
import typing

from prospector_scheduler import config_schema, cron
from prospector_scheduler.config_schema import WRONG
from prospector_scheduler.errors import DataError, NoInputError, ProspectorError

__all__ = ["Job", "Schedule", "read", "parse", "TOP_KEYS", "JOB_KEYS"]

TOP_KEYS = ("jobs", "timezone", "keep_runs")
JOB_KEYS = ("name", "command", "schedule", "timeout", "jitter", "catch_up", "enabled")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
# Commands that make no sense as a job of a scheduler.
NOT_A_JOB = ("run-schedule",)
MAX_TIMEOUT = 7 * 86400
MAX_JITTER = 86400
MAX_KEEP = 100000
WHAT = "a schedule file"


class Job(typing.NamedTuple):
    """One job of the schedule file. ``line`` is where its entry starts (None in JSON)."""

    name: str
    command: typing.Tuple[str, ...]
    schedule: cron.CronExpression
    timeout: typing.Optional[int]
    jitter: int
    catch_up: bool
    enabled: bool
    line: typing.Optional[int]


class Schedule(typing.NamedTuple):
    """A read and checked schedule file: its jobs in file order, their zone, how much history to keep."""

    source: str
    timezone: str
    zone: cron.Zone
    keep_runs: int
    jobs: typing.List[Job]

    def job(self, name):
        """The job called ``name``, or None."""
        for job in self.jobs:
            if job.name == name:
                return job
        return None


def read(path, registry=None, format=None, stdin=None):
    """Read and check the schedule file at ``path`` (``"-"``: the bytes of ``stdin``).

    Raises ``NoInputError`` (66) when it cannot be read, ``ErrorList`` of
    ``DataError`` (65) when its content is invalid.
    """
    if path == "-":
        return parse(read_stdin(stdin), "<stdin>", registry, format)
    return parse(read_bytes(path), path, registry, format)


def read_stdin(stdin):
    """The bytes of standard input (a binary or text stream), up to the input size limit."""
    return config_schema.read_input("-", stdin, "the file")[1]


def looks_like_schedule(data, source, format=None):
    """Whether the bytes are a schedule file rather than a users file: a mapping whose
    top-level keys include ``jobs`` and not ``users`` (anything unreadable: False)."""
    if b"jobs" not in data:
        return False
    try:
        top = config_schema.load(data, source, WHAT, format).top
    except ProspectorError:  # the users file's reading will report it
        return False
    if top is None or top.kind != "mapping":
        return False
    keys = set(key.text for key, _value in top.items)
    return "jobs" in keys and "users" not in keys


def read_bytes(path, name="the schedule file"):
    """The bytes of the file at ``path``, up to the input size limit (``config_schema.read_input``);
    ``NoInputError`` when it cannot be read. ``name`` is the file's kind in messages."""
    return config_schema.read_input(path, None, name)[1]


def parse(data, source, registry=None, format=None):
    """Check the bytes of a schedule file and return its ``Schedule``."""
    document = config_schema.load(data, source, WHAT, format)
    checker = config_schema.Checker(document, TOP_KEYS + JOB_KEYS)
    top = document.top
    timezone, zone, keep_runs, jobs = "local", cron.local_zone(), 100, []
    if top is None or top.kind != "mapping":
        checker.error(top, "expected a mapping with the key jobs, got %s"
                      % ("an empty file" if top is None else config_schema.describe(top)))
        checker.raise_errors()
    given = set()
    for name, key, value in checker.fields(top, "", TOP_KEYS):
        given.add(name)
        if name == "jobs":
            jobs = _jobs(checker, value, registry)
        elif name == "timezone":
            text = checker.string(value, "timezone")
            if text is None:
                checker.error(value, "timezone: expected a time zone (UTC or an IANA name such as Europe/Berlin); "
                                     "leave the key out for local time")
            elif text is not WRONG:
                try:
                    zone = cron.zone_named(text)
                    timezone = text
                except DataError as error:
                    checker.error(value, "timezone: %s" % error.message)
        elif name == "keep_runs":
            number = checker.integer(value, "keep_runs", 1, MAX_KEEP)
            if number is None:
                checker.error(value, "keep_runs: expected a whole number, got nothing")
            elif number is not WRONG:
                keep_runs = number
    if "jobs" not in given:
        checker.error(top, "jobs: missing (the list of jobs; jobs: [] for none)")
    checker.raise_errors()
    return Schedule(source, timezone, zone, keep_runs, jobs)


def _jobs(checker, node, registry):
    if node.kind != "sequence":
        checker.error(node, "jobs: expected a list of jobs, got %s" % config_schema.describe(node))
        return []
    jobs = []
    first_line = {}
    for index, item in enumerate(node.items):
        where = "jobs[%d]" % index
        if item.kind != "mapping":
            checker.error(item, "%s: expected a mapping (name, command, schedule, ...), got %s"
                          % (where, config_schema.describe(item)))
            continue
        job = _job(checker, item, where, registry)
        if job is None:
            continue
        if job.name in first_line:
            checker.error(item, "%s.name: %s is the name of an earlier job (%s)"
                          % (where, config_schema.quote(job.name), first_line[job.name]))
            continue
        first_line[job.name] = "jobs[%d]" % len(jobs) if item.line is None else "line %d" % item.line
        jobs.append(job)
    return jobs


def _job(checker, item, where, registry):
    errors_before = len(checker)
    values = {"timeout": None, "jitter": 0, "catch_up": True, "enabled": True}
    nodes = {}
    for name, key, value in checker.fields(item, where + ".", JOB_KEYS):
        nodes[name] = value
        path = "%s.%s" % (where, name)
        if name == "name":
            text = checker.string(value, path)
            if text not in (None, WRONG) and not NAME.match(text):
                checker.error(value, "%s: a job name is 1 to 64 letters, digits, '.', '_' or '-', "
                                     "starting with a letter or digit" % path)
            values[name] = text
        elif name == "command":
            values[name] = _command(checker, value, path, registry)
        elif name == "schedule":
            text = checker.string(value, path)
            if text not in (None, WRONG):
                try:
                    values[name] = cron.parse(text)
                except DataError as error:
                    checker.error(value, "%s: %s" % (path, error.message))
        elif name == "timeout":
            values[name] = checker.integer(value, path, 1, MAX_TIMEOUT)
        elif name == "jitter":
            number = checker.integer(value, path, 0, MAX_JITTER)
            values[name] = 0 if number is None else number
        else:
            flag = checker.boolean(value, path)
            values[name] = True if flag is None else flag
    for required in ("name", "command", "schedule"):
        if values.get(required) is None and required not in nodes:
            checker.error(item, "%s: missing key %s" % (where, required))
        elif values.get(required) is None and required != "schedule":
            checker.error(nodes[required], "%s.%s: expected a value, got nothing" % (where, required))
        elif required == "schedule" and values.get(required) is None and len(checker) == errors_before:
            checker.error(nodes[required], "%s.schedule: expected a cron expression, got nothing" % where)
    if len(checker) > errors_before:
        return None
    return Job(values["name"], values["command"], values["schedule"], values["timeout"],
               values["jitter"], values["catch_up"], values["enabled"], item.line)


def _command(checker, node, path, registry):
    if node.kind != "sequence":
        checker.error(node, "%s: expected a list (the command and its arguments, "
                            "e.g. [sync-users, users.yaml]), got %s" % (path, config_schema.describe(node)))
        return WRONG
    if not node.items:
        checker.error(node, "%s: expected the command and its arguments, got an empty list" % path)
        return WRONG
    words = []
    for index, item in enumerate(node.items):
        word = checker.string(item, "%s[%d]" % (path, index))
        if word is None:
            checker.error(item, "%s[%d]: expected a string, got nothing" % (path, index))
            return WRONG
        if word is WRONG:
            return WRONG
        words.append(word)
    if registry is not None:
        problem = command_line_problem(registry, words)
        if problem is not None:
            checker.error(node, "%s: %s" % (path, problem))
            return WRONG
    return tuple(words)


def command_line_problem(registry, words):
    """Why ``words`` (a command name and its arguments) would not run, or None when it would.

    The words go through the command's own argument parser, exactly as on
    the command line; the message never repeats an argument.
    """
    from prospector_scheduler import cli
    from prospector_scheduler.errors import UsageError

    name = words[0]
    if name.startswith("-"):
        return ("the first word is the command; global options such as --db are passed on by "
                "run-schedule, from its own command line")
    if name in NOT_A_JOB:
        return "%s cannot be a job" % name
    spec = registry.get(name)
    if spec is None:
        return cli.unknown_command(name, registry).message
    import io

    parser = cli.ArgumentParser(prog="%s %s" % (cli.PROGRAM, spec.name), output=io.StringIO(),
                                description=spec.description or spec.summary)
    if spec.add_arguments is not None:
        spec.add_arguments(parser)
    try:
        parser.parse_args(list(words[1:]))
    except UsageError as error:
        message = error.message
        if message.startswith(name + ": "):
            message = message[len(name) + 2:]
        return "%s does not accept these arguments: %s" % (name, _without_values(message))
    except cli._HelpShown:  # --help or --version among the arguments
        return "asks %s for its help or version, which is not a job" % name
    return None


def _without_values(message):
    """argparse's message, less what it quotes of the arguments (they may be anything)."""
    message = re.sub(r"(unrecognized arguments:).*?( \(see|$)", r"\1 (not shown)\2", message)
    return re.sub(r"(invalid [\w ]*?(?:value|choice)): '[^']*'", r"\1: (not shown)", message)
