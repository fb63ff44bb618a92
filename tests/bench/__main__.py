"""``python3 -m tests.bench [TOPIC ...]``: run the benchmarks and print one table."""

import importlib
import os
import sys

FOLDER = os.path.dirname(os.path.abspath(__file__))


class Table(object):
    """Prints one row per figure: what was measured, the figure, the goal, and whether it is met."""

    def __init__(self, stream):
        self.stream = stream
        self.missed = 0
        self.worst = None  # (figure / goal, label, figure, goal) of the ratio furthest from its goal

    def section(self, title):
        self.stream.write("\n%s\n" % title)
        self.stream.flush()

    def row(self, label, figure, goal="", met=None):
        verdict = "" if met is None else ("met" if met else "MISSED")
        if met is False:
            self.missed += 1
        self.stream.write("  %-58s %14s   %-16s %s\n" % (label, figure, goal, verdict))
        self.stream.flush()

    def ratio(self, label, value, goal):
        """A ratio with an upper goal ("at most GOAL x"); the worst against its goal is kept."""
        self.row(label, "%.2fx" % value, "<= %.1fx" % goal, value <= goal)
        if self.worst is None or value / goal > self.worst[0]:
            self.worst = (value / goal, label.strip(), value, goal)


USAGE = "usage: python3 -m tests.bench [TOPIC ...]  (topics: %s; none given: all)"


def main(argv, stdout=None, stderr=None):
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    known = sorted(name[len("bench_"):-len(".py")] for name in os.listdir(FOLDER)
                   if name.startswith("bench_") and name.endswith(".py"))
    if "-h" in argv or "--help" in argv:
        stdout.write(USAGE % ", ".join(known) + "\n")
        return 0
    unknown = [topic for topic in argv if topic not in known]
    if unknown:
        stderr.write("tests.bench: no such topic: %s\n%s\n" % (", ".join(unknown), USAGE % ", ".join(known)))
        return 64  # EX_USAGE
    topics = argv or known
    table = Table(sys.stdout)
    print("python %s (%s)" % (sys.version.split()[0], os.path.realpath(sys.executable)))
    for topic in topics:
        module = importlib.import_module("tests.bench.bench_" + topic)
        table.section("%s: %s" % (topic, (module.__doc__ or "").strip().splitlines()[0]))
        module.run(table)
    if table.worst is not None:
        share, label, value, goal = table.worst
        print("\nworst ratio against its goal: %s: %.2fx (goal <= %.1fx, %.0f%% of it)"
              % (label, value, goal, share * 100))
    print("%d goal(s) missed" % table.missed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
