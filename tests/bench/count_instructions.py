"""``python3 -E -s -S -m tests.bench.count_instructions``: issue 11's no-op sync in instructions.

``make bench`` times the nightly no-op sync of ``bench_sync`` against its floor; on a busy machine
those times are noisy. This harness counts instructions instead, under valgrind's callgrind. For
the floor (``json.load`` of users.json plus one SELECT of every user) and for a no-op
``sync-users`` of users.json, of hashes.json (each entry gives ``password_hash``) and of
users.yaml, it counts one process that does the measured call ("run") and the same process
stopped just before it ("setup": start-up, every import the call needs, which the child checks),
and prints the difference, in millions, with its ratio to the floor against issue 11's goals.
The data are ``bench_sync``'s own (its generators, 100,000 users by default), made by the
interpreter measured, in a temporary folder. The children run with PYTHONHASHSEED=0, so that
string hashing, and so every dict and set, is the same in every count (two counts of a sync of
2,000 users differed by 76 instructions in 67 million; issue 11's two counts of the floor of
100,000 users, made with random seeds, by 7 million).

Not part of ``make test`` or ``make bench``: it takes minutes (``make count-instructions``).
Exits 69 (EX_UNAVAILABLE) when valgrind is not on PATH.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE = "tests.bench.count_instructions"
EX_USAGE = 64
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
ENVIRON = {"PROSPECTOR_HASH_COST": "low"}
DATABASE = "prospector.db"
JSON_FILE = "users.json"
FLOOR = "floor"
# (name, the file synced (FLOOR: none, the floor), goal as a ratio to the floor)
CASES = [
    (FLOOR, FLOOR, None),
    ("JSON", JSON_FILE, 2.0),
    ("JSON with password_hash", "hashes.json", 2.0),
    ("YAML", "users.yaml", 3.0),
]
# --shapes: the YAML sync of the same users in every other shape of bench_yaml, each goal 3x.
SHAPE_FILE = "shape-%d.yaml"


def shape_cases():
    """(name, file, goal) of the YAML sync of each shape of bench_yaml but the README's (plain)."""
    from tests.bench import bench_yaml

    return [("YAML, " + name, SHAPE_FILE % number, 3.0) for number, (name, shape) in enumerate(bench_yaml.SHAPES)
            if shape is not bench_yaml.plain]


TOTALS = re.compile(r"^(totals|summary):\s*(\d+)", re.MULTILINE)


def callgrind_total(text):
    """The instructions (the first event, Ir) of a callgrind output file: its totals, else its summary."""
    found = dict(TOTALS.findall(text))
    for key in ("totals", "summary"):
        if key in found:
            return int(found[key])
    raise ValueError("no totals: or summary: line in the callgrind output")


# --- in the child processes (the interpreter measured) ---

def make_data(folder, users, shapes=False):
    """users.json, hashes.json, users.yaml and the database of the same users, as bench_sync makes them;
    with ``shapes``, the same users in every other shape of bench_yaml too."""
    import json

    from prospector_scheduler import passwords
    from tests.bench import bench_sync, bench_yaml

    entries = bench_sync._entries(users)
    stored_hash = passwords.hash_password("bench-password", passwords.policy_from_environ(ENVIRON))
    documents = [
        (JSON_FILE, json.dumps({"users": entries}, indent=2)),
        ("hashes.json", json.dumps({"users": [bench_sync._with_hash(entry, stored_hash) for entry in entries]}, indent=2)),
        ("users.yaml", bench_sync._yaml_text(entries)),
    ]
    if shapes:
        documents += [(SHAPE_FILE % number, shape(entries)) for number, (_, shape) in enumerate(bench_yaml.SHAPES)
                      if shape is not bench_yaml.plain]
    for name, text in documents:
        path = os.path.join(folder, name)
        with open(path, "w") as stream:
            stream.write(text)
        os.chmod(path, 0o600)
    bench_sync._fill(os.path.join(folder, DATABASE), entries, stored_hash)


def child(case, phase, folder):
    """Import what the sync imports, then, in the "run" phase only, do the measured call."""
    # Everything the measured calls import, so that its cost is counted in both phases.
    import collections, concurrent.futures, hashlib, io, itertools, json, json.decoder, json.encoder
    import operator, socket, sqlite3
    from prospector_scheduler import cli, config_schema, miniyaml, passwords, store, sync, sync_plan
    from prospector_scheduler import hash_workers, registry, users_file, users_table
    from tests.bench import bench_sync

    registry.Registry()  # cli.main makes one: it imports every command module

    db = os.path.join(folder, DATABASE)
    before = set(sys.modules)
    if phase == "run":
        if case == FLOOR:
            bench_sync._floor(db, os.path.join(folder, JSON_FILE))
        else:
            bench_sync._sync(db, os.path.join(folder, case), dict(ENVIRON))
    imported = sorted(set(sys.modules) - before)
    if imported:
        raise RuntimeError("the measured call imported %s: import it in count_instructions.child, "
                           "so that its cost is counted as setup" % ", ".join(imported))


# --- in the parent process ---

def check_interpreter(python):
    """None, or the one-line reason why valgrind cannot run ``python`` and its exit code."""
    if not os.path.isfile(python) or not os.access(python, os.X_OK):
        return "no such interpreter: %s" % python, EX_NOINPUT
    with open(python, "rb") as stream:
        if stream.read(2) == b"#!":
            return ("%s is a script (a pyenv shim?), not an interpreter: give the interpreter itself, "
                    "e.g. --python \"$(pyenv which python3)\"" % python), EX_USAGE
    return None


def child_environment():
    """Ours without any PYTHON* variable, plus a fixed hash seed."""
    environ = dict((key, value) for key, value in os.environ.items() if not key.startswith("PYTHON"))
    environ["PYTHONHASHSEED"] = "0"
    return environ


def run(command, what):
    """Run a child to its end; its stdout, or RuntimeError with its stderr."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                               env=child_environment())
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError("%s failed (exit %d):\n%s" % (what, process.returncode, err.decode("utf-8", "replace")))
    return out.decode("utf-8", "replace")


def count(valgrind, python, case, phase, folder):
    """Instructions of one child process from start to exit, as callgrind counts them."""
    out_file = os.path.join(folder, "callgrind.out")
    command = [valgrind, "--tool=callgrind", "--callgrind-out-file=" + out_file,
               python, "-s", "-S", "-m", MODULE, "--child", case, phase, folder]
    run(command, "%s (%s) under callgrind" % (case, phase))
    with open(out_file) as stream:
        text = stream.read()
    os.remove(out_file)
    return callgrind_total(text)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python3 -E -s -S -m " + MODULE,
        description="Count the instructions of issue 11's no-op sync and its floor under valgrind's callgrind.")
    parser.add_argument("--python", default=os.path.realpath(sys.executable),
                        help="the interpreter to measure (default: this one, %(default)s)")
    parser.add_argument("--users", type=int, default=100000, help="users in the files (default: %(default)s)")
    parser.add_argument("--shapes", action="store_true",
                        help="also the YAML sync of the same users in every other shape of bench_yaml")
    return parser.parse_args(argv)


def main(argv):
    if argv[:1] == ["--child"]:
        child(*argv[1:])
        return 0
    if argv[:1] == ["--data"]:
        make_data(argv[1], int(argv[2]), argv[3:] == ["shapes"])
        return 0
    arguments = parse_arguments(argv)
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.stderr.write("count_instructions: valgrind is not on PATH; install it to count instructions\n")
        return EX_UNAVAILABLE
    python = os.path.realpath(arguments.python)
    problem = check_interpreter(python)
    if problem is not None:
        sys.stderr.write("count_instructions: %s\n" % problem[0])
        return problem[1]

    from tests.bench.__main__ import Table

    version = run([python, "-s", "-S", "-c", "import sys; print(sys.version.split()[0])"], "the interpreter").strip()
    tool = run([valgrind, "--version"], "valgrind --version").strip()
    print("python %s (%s), %s, %d users" % (version, python, tool, arguments.users))
    folder = tempfile.mkdtemp(prefix="prospector-count-")
    try:
        cases = CASES + (shape_cases() if arguments.shapes else [])
        run([python, "-s", "-S", "-m", MODULE, "--data", folder, str(arguments.users)]
            + (["shapes"] if arguments.shapes else []), "making the data")
        # Without valgrind first: a sync that fails or imports in its measured part fails in seconds.
        for _, case, _ in cases:
            run([python, "-s", "-S", "-m", MODULE, "--child", case, "run", folder], "%s (check)" % case)
        table = Table(sys.stdout)
        table.section("instructions under callgrind: a run minus the same process stopped before the call")
        floor = None
        for name, case, goal in cases:
            figures = []
            for phase in ("setup", "run"):
                sys.stderr.write("counting %s, %s...\n" % (name, phase))
                sys.stderr.flush()
                figures.append(count(valgrind, python, case, phase, folder))
            instructions = figures[1] - figures[0]
            millions = "{:,} M".format(int(round(instructions / 1e6)))
            if case == FLOOR:
                floor = instructions
                table.row("floor: json.load + SELECT of %d users" % arguments.users, millions, "", None)
            else:
                table.row("sync-users, %d users, no change, %s" % (arguments.users, name), millions, "", None)
                table.ratio("  ratio to the (JSON) floor, %s" % name, instructions / float(floor), goal)
    finally:
        shutil.rmtree(folder, True)
    share, label, value, goal = table.worst
    print("\nworst ratio against its goal: %s: %.2fx (goal <= %.1fx, %.0f%% of it)" % (label, value, goal, share * 100))
    print("%d goal(s) missed" % table.missed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
