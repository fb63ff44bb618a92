"""miniyaml.loads against json.loads of the same users file (goal: at most 10x).

Both read the same data in the same run; each figure is the best of several
rounds. 10,000 and 100,000 users show whether the cost grows linearly.
"""

import json
import sys
import time

from prospector_scheduler import miniyaml

GOAL = 10.0
ROUNDS = 9


def users_yaml(count):
    """A users file of ``count`` users in YAML, in the shape the README shows."""
    lines = ["# generated for the benchmark", "users:"]
    for number in range(count):
        lines.append("  - username: user%06d" % number)
        lines.append("    password: secure_password_%06d" % number)
        lines.append("    email: user%06d@example.com" % number)
        lines.append("    reset_on_next_run: %s" % ("true" if number % 7 == 0 else "false"))
    return "\n".join(lines) + "\n"


def best_seconds(functions, rounds):
    """The best time of each (function, argument) pair, the pairs interleaved round by round."""
    best = [None] * len(functions)
    for _ in range(rounds):
        for number, (function, argument) in enumerate(functions):
            started = time.perf_counter()
            function(argument)
            elapsed = time.perf_counter() - started
            if best[number] is None or elapsed < best[number]:
                best[number] = elapsed
    return best


def measure(count, rounds=ROUNDS):
    """(yaml seconds, json seconds) for a file of ``count`` users; checks both read the same data."""
    yaml_text = users_yaml(count)
    data = miniyaml.loads(yaml_text)
    json_text = json.dumps(data, indent=2)
    if json.loads(json_text) != data:
        raise AssertionError("the YAML and JSON files do not hold the same data")
    return best_seconds([(miniyaml.loads, yaml_text), (json.loads, json_text)], rounds)


def run(table):
    for count, rounds in ((10000, ROUNDS), (100000, 4)):
        yaml_seconds, json_seconds = measure(count, rounds)
        ratio = yaml_seconds / json_seconds
        table.row("miniyaml.loads, %d users (json.loads: %.1f ms)" % (count, json_seconds * 1000),
                  "%.1f ms" % (yaml_seconds * 1000), "", None)
        table.row("  ratio to json.loads, %d users" % count, "%.1fx" % ratio,
                  "<= %.0fx" % GOAL, ratio <= GOAL)


if __name__ == "__main__":
    from tests.bench.__main__ import Table

    run(Table(sys.stdout))
