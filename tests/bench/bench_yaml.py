"""miniyaml.loads against json.loads of the same users file (goal: at most 10x).

Both read the same data in the same run; each figure is the best of several
rounds. 10,000 and 100,000 users show whether the cost grows linearly.
"""

import json
import sys
import time

from prospector_scheduler import miniyaml

GOAL = 10.0
ROUNDS = 5


def users_yaml(count):
    """A users file of ``count`` users in YAML, in the shape the README shows."""
    lines = ["# generated for the benchmark", "users:"]
    for number in range(count):
        lines.append("  - username: user%06d" % number)
        lines.append("    password: secure_password_%06d" % number)
        lines.append("    email: user%06d@example.com" % number)
        lines.append("    reset_on_next_run: %s" % ("true" if number % 7 == 0 else "false"))
    return "\n".join(lines) + "\n"


def best_seconds(function, argument, rounds):
    best = None
    for _ in range(rounds):
        started = time.perf_counter()
        function(argument)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best


def measure(count, rounds=ROUNDS):
    """(yaml seconds, json seconds) for a file of ``count`` users; checks both read the same data."""
    yaml_text = users_yaml(count)
    data = miniyaml.loads(yaml_text)
    json_text = json.dumps(data, indent=2)
    if json.loads(json_text) != data:
        raise AssertionError("the YAML and JSON files do not hold the same data")
    return best_seconds(miniyaml.loads, yaml_text, rounds), best_seconds(json.loads, json_text, rounds)


def run(table):
    for count, rounds in ((10000, ROUNDS), (100000, 3)):
        yaml_seconds, json_seconds = measure(count, rounds)
        ratio = yaml_seconds / json_seconds
        table.row("miniyaml.loads, %d users (json.loads: %.1f ms)" % (count, json_seconds * 1000),
                  "%.1f ms" % (yaml_seconds * 1000), "", None)
        table.row("  ratio to json.loads, %d users" % count, "%.1fx" % ratio,
                  "<= %.0fx" % GOAL, ratio <= GOAL)


if __name__ == "__main__":
    from tests.bench.__main__ import Table

    run(Table(sys.stdout))
