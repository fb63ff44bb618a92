"""Start-up time, as a ratio to a bare ``python3 -c pass`` of the same interpreter binary.

Both sides run as a user runs them (site enabled), interleaved, many times;
the figure is the ratio of the medians.
"""

import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUNDS = 30
HELP_GOAL = 1.5


def _seconds(command):
    started = time.perf_counter()
    subprocess.check_call(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def built_in_command():
    """A built-in command's name, or None while there is none."""
    sys.path.insert(0, ROOT)
    from prospector_scheduler.registry import Registry

    names = Registry(entry_points=[]).names()
    for preferred in ("sync-users", "check-config"):
        if preferred in names:
            return preferred
    return names[0] if names else None


def run(table):
    python = os.path.realpath(sys.executable)
    cases = [("bare python3 -c pass", [python, "-c", "pass"]),
             ("prospector-scheduler (the command list)", [python, "-m", "prospector_scheduler"])]
    name = built_in_command()
    if name:
        cases.append(("prospector-scheduler %s --help" % name, [python, "-m", "prospector_scheduler", name, "--help"]))
        # Site-packages make the baseline slower on a developer's machine than on
        # a lean server; the same pair without them shows the harder ratio.
        cases.append(("bare python3 -S -c pass (no site-packages)", [python, "-S", "-c", "pass"]))
        cases.append(("python3 -S -m prospector_scheduler %s --help" % name,
                      [python, "-S", "-m", "prospector_scheduler", name, "--help"]))
    times = dict((label, []) for label, _ in cases)
    for _ in range(3):
        for label, command in cases:
            _seconds(command)  # warm the caches and the .pyc files
    for _ in range(ROUNDS):
        for label, command in cases:
            times[label].append(_seconds(command))
    baseline = None
    for label, _ in cases:
        if label.startswith("bare"):
            baseline = _median(times[label])
            table.row(label, "%.1f ms" % (baseline * 1000), "(the baseline)", None)
            continue
        ratio = _median(times[label]) / baseline
        if "-S" in label:
            table.row(label, "%.2fx" % ratio, "(informative)", None)
        elif "--help" in label:
            table.row(label, "%.2fx" % ratio, "<= %.1fx" % HELP_GOAL, ratio <= HELP_GOAL)
        else:
            table.row(label, "%.2fx" % ratio, "(no goal)", None)
    if not name:
        table.row("<command> --help", "n/a", "no built-in command yet", None)


if __name__ == "__main__":
    from tests.bench.__main__ import Table

    run(Table(sys.stdout))
