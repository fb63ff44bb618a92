"""miniyaml.loads against json.loads of the same users file, in every shape (goal: at most 10x).

Each shape administrators write (plain, double-quoted, commented, four-space
indented, one flow mapping per user, CRLF; single-quoted values, double-quoted
keys, blank and comment lines between users) is generated in the run from the
same users and compared with json.loads of the same data; each figure is the
best of several rounds. 100,000 users show whether the cost grows linearly.
"""

import json
import sys
import time

from prospector_scheduler import miniyaml

GOAL = 10.0
ROUNDS = 9


def entries(count):
    """The users of every shape's file: the same data for all."""
    return [{"username": "user%06d" % number, "password": "secure_password_%06d" % number,
             "email": "user%06d@example.com" % number, "reset_on_next_run": number % 7 == 0}
            for number in range(count)]


def _word(value):
    return "true" if value else "false"


def plain(users):
    lines = ["# generated for the benchmark", "users:"]
    for user in users:
        lines += ["  - username: %s" % user["username"], "    password: %s" % user["password"],
                  "    email: %s" % user["email"],
                  "    reset_on_next_run: %s" % _word(user["reset_on_next_run"])]
    return "\n".join(lines) + "\n"


def double_quoted(users):
    """As contrib/users.example.yaml writes passwords."""
    lines = ["users:"]
    for user in users:
        lines += ['  - username: "%s"' % user["username"], '    password: "%s"' % user["password"],
                  '    email: "%s"' % user["email"],
                  "    reset_on_next_run: %s" % _word(user["reset_on_next_run"])]
    return "\n".join(lines) + "\n"


def commented(users):
    lines = ["users:"]
    for user in users:
        lines += ["  - username: %s  # the login" % user["username"],
                  "    password: %s # set by the admin" % user["password"],
                  "    email: %s" % user["email"],
                  "    reset_on_next_run: %s  # %s" % (_word(user["reset_on_next_run"]), "weekly")]
    return "\n".join(lines) + "\n"


def four_spaces(users):
    lines = ["users:"]
    for user in users:
        lines += ["    -   username: %s" % user["username"], "        password: %s" % user["password"],
                  "        email: %s" % user["email"],
                  "        reset_on_next_run: %s" % _word(user["reset_on_next_run"])]
    return "\n".join(lines) + "\n"


def flow(users):
    lines = ["users:"]
    for user in users:
        lines.append('  - {username: %s, password: "%s", email: %s, reset_on_next_run: %s}' % (
            user["username"], user["password"], user["email"], _word(user["reset_on_next_run"])))
    return "\n".join(lines) + "\n"


def crlf(users):
    return plain(users).replace("\n", "\r\n")


def single_quoted(users):
    return double_quoted(users).replace('"', "'")


def quoted_keys(users):
    """Keys in double quotes, as files converted from JSON keep them."""
    lines = ["users:"]
    for user in users:
        lines += ['  - "username": %s' % user["username"], '    "password": "%s"' % user["password"],
                  '    "email": %s' % user["email"],
                  '    "reset_on_next_run": %s' % _word(user["reset_on_next_run"])]
    return "\n".join(lines) + "\n"


def spaced(users):
    """A blank line and a comment line between users, and a sequence not indented under its key."""
    lines = ["users:"]
    for user in users:
        lines += ["", "# %s" % user["username"], "- username: %s" % user["username"],
                  "  password: %s" % user["password"], "  email: %s" % user["email"],
                  "  reset_on_next_run: %s" % _word(user["reset_on_next_run"])]
    return "\n".join(lines) + "\n"


# The shapes the issue names first; then other ways the same file is written.
SHAPES = [("plain values", plain), ("double-quoted values", double_quoted),
          ("a comment after a value", commented), ("four-space indentation", four_spaces),
          ("one flow mapping per user", flow), ("CRLF line ends", crlf),
          ("single-quoted values", single_quoted), ("double-quoted keys", quoted_keys),
          ("blank and comment lines between users", spaced)]


def users_yaml(count):
    """A users file of ``count`` users in YAML, in the shape the README shows."""
    return plain(entries(count))


def best_seconds(functions, rounds):
    """The best time of each (function, argument) pair, the pairs interleaved round by round.

    Both parsers are pure computation in this process: their CPU time (process
    time) is measured, which other processes on a shared machine disturb less
    than the wall clock.
    """
    best = [None] * len(functions)
    for _ in range(rounds):
        for number, (function, argument) in enumerate(functions):
            started = time.process_time()
            function(argument)
            elapsed = time.process_time() - started
            if best[number] is None or elapsed < best[number]:
                best[number] = elapsed
    return best


def measure(yaml_text, rounds=ROUNDS):
    """(yaml seconds, json seconds) for one YAML text and the JSON of the same data."""
    data = miniyaml.loads(yaml_text)
    json_text = json.dumps(data, indent=2)
    if json.loads(json_text) != data:
        raise AssertionError("the YAML and JSON files do not hold the same data")
    return best_seconds([(miniyaml.loads, yaml_text), (json.loads, json_text)], rounds)


def run(table):
    """Every shape administrators write, 10,000 users each, then the plain shape at 100,000."""
    users = entries(10000)
    expected = {"users": users}
    for name, shape in SHAPES:
        text = shape(users)
        if miniyaml.loads(text) != expected:
            raise AssertionError("the %s file does not hold the benchmark's data" % name)
        yaml_seconds, json_seconds = measure(text)
        table.row("miniyaml.loads, 10000 users, %s" % name, "%.1f ms" % (yaml_seconds * 1000),
                  "(json.loads %.1f ms)" % (json_seconds * 1000), None)
        table.ratio("  ratio to json.loads, %s" % name, yaml_seconds / json_seconds, GOAL)
    yaml_seconds, json_seconds = measure(plain(entries(100000)), 4)
    table.row("miniyaml.loads, 100000 users, plain values", "%.1f ms" % (yaml_seconds * 1000),
              "(json.loads %.1f ms)" % (json_seconds * 1000), None)
    table.ratio("  ratio to json.loads, 100000 users", yaml_seconds / json_seconds, GOAL)


if __name__ == "__main__":
    from tests.bench.__main__ import Table

    run(Table(sys.stdout))
