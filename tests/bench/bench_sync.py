"""sync-users: a nightly sync of 100,000 users that changes nothing, against its floor.

The floor is what no implementation can avoid, measured in the same run:
json.load of the same JSON file plus one SELECT of every user. The sync runs
in-process through cli.main (as the tool does, minus interpreter start-up),
with JSON input (goal 2x), JSON whose entries give password_hash instead of
password (goal 2x) and YAML input (goal 3x the JSON floor), in the README's
shape and then in every other shape of bench_yaml (quoted, commented,
flow-style ...). Each sync is
measured right after a floor of its own, and its ratio is the median of these
pairs' ratios: a change of the machine's load moves both figures of a pair.
A second figure shows why stored hashes are verified in parallel: a sync
whose 16 users all have reset_on_next_run and already the right password, at
the standard hashing cost.
"""

import io
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USERS = 100000
ROUNDS = 5
JSON_GOAL = 2.0
YAML_GOAL = 3.0
VERIFY_USERS = 16


def _median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _entries(count):
    return [
        {
            "username": "user%06d" % n,
            "password": "bench-password-%06d" % n,
            "email": "user%06d@example.com" % n,
            "reset_on_next_run": False,
        }
        for n in range(count)
    ]


def _yaml_text(entries):
    lines = ["users:"]
    for entry in entries:
        lines.append("  - username: %s" % entry["username"])
        lines.append("    password: %s" % entry["password"])
        lines.append("    email: %s" % entry["email"])
        lines.append("    reset_on_next_run: %s" % ("true" if entry["reset_on_next_run"] else "false"))
    return "\n".join(lines) + "\n"


def _with_hash(entry, password_hash):
    given = dict((key, value) for key, value in entry.items() if key != "password")
    given["password_hash"] = password_hash
    return given


def _fill(db, entries, password_hash):
    from prospector_scheduler import store

    with store.open_database(db) as database:
        with database.write_transaction():
            database.add_users(
                [(entry["username"], entry["email"], password_hash) for entry in entries], store.utc_now()
            )


def _sync(db, path, environ):
    from prospector_scheduler.cli import main

    out = io.StringIO()
    err = io.StringIO()
    started = time.perf_counter()
    code = main(["--db", db, "sync-users", path], stdin=io.StringIO(""), stdout=out, stderr=err, environ=environ)
    elapsed = time.perf_counter() - started
    if code != 0 or not out.getvalue().startswith("created 0, password reset 0, disabled 0, enabled 0, unchanged "):
        raise RuntimeError("the sync failed or changed something: %r %r" % (out.getvalue(), err.getvalue()))
    return elapsed


def _floor(db, path):
    started = time.perf_counter()
    with open(path, "rb") as stream:
        json.load(stream)
    connection = sqlite3.connect(db)
    try:
        connection.execute(
            "SELECT id, username, email, password_hash, created_at, updated_at FROM users"
        ).fetchall()
    finally:
        connection.close()
    return time.perf_counter() - started


def _read(path):
    """users_file.read alone, with the garbage collector paused as sync-users pauses it."""
    import gc

    from prospector_scheduler import users_file

    gc.disable()
    try:
        started = time.perf_counter()
        users_file.read(path)
        return time.perf_counter() - started
    finally:
        gc.enable()


def _has_yaml():
    try:
        from prospector_scheduler import miniyaml
    except ImportError:
        return False
    return hasattr(miniyaml, "parse")


def nightly_sync(table, folder):
    from prospector_scheduler import passwords

    environ = {"PROSPECTOR_HASH_COST": "low"}
    entries = _entries(USERS)
    json_path = os.path.join(folder, "users.json")
    hash_path = os.path.join(folder, "hashes.json")
    yaml_path = os.path.join(folder, "users.yaml")
    policy = passwords.policy_from_environ(environ)
    stored_hash = passwords.hash_password("bench-password", policy)
    with open(json_path, "w") as stream:
        json.dump({"users": entries}, stream, indent=2)
    # The same users with their hash given instead of a password (hash-password's output).
    with open(hash_path, "w") as stream:
        json.dump({"users": [_with_hash(entry, stored_hash) for entry in entries]}, stream, indent=2)
    os.chmod(hash_path, 0o600)
    with open(yaml_path, "w") as stream:
        stream.write(_yaml_text(entries))
    os.chmod(json_path, 0o600)
    os.chmod(yaml_path, 0o600)
    db = os.path.join(folder, "prospector.db")
    _fill(db, entries, stored_hash)
    inputs = [("JSON", json_path), ("JSON with password_hash", hash_path)] + (
        [("YAML", yaml_path)] if _has_yaml() else [])
    times = dict((name, []) for name, _ in inputs)
    reads = dict((name, []) for name, _ in inputs)
    ratios = dict((name, []) for name, _ in inputs)
    floors = []
    _sync(db, json_path, environ)  # warm caches
    for _ in range(ROUNDS):
        for name, path in inputs:
            # Each sync against a floor measured just before it: a machine whose load
            # changes during the run moves both, not only one of them.
            floors.append(_floor(db, json_path))
            times[name].append(_sync(db, path, environ))
            ratios[name].append(times[name][-1] / floors[-1])
            reads[name].append(_read(path))
    floor = _median(floors)
    table.row("floor: json.load + SELECT of %d users" % USERS, "%.0f ms" % (floor * 1000), "", None)
    for name, _ in inputs:
        whole = _median(times[name])
        read = _median(reads[name])
        table.row("sync-users, %d users, no change, %s" % (USERS, name), "%.0f ms" % (whole * 1000), "", None)
        goal = YAML_GOAL if name == "YAML" else JSON_GOAL
        # The median of the rounds' ratios, each sync to the floor measured just before it.
        table.ratio("  ratio to the (JSON) floor, %s" % name, _median(ratios[name]), goal)
        table.row("  of which users_file.read (%s)" % name, "%.0f ms" % (read * 1000), "", None)
        table.row("  the rest: store, plan, write, output", "%.0f ms" % ((whole - read) * 1000), "", None)
    if not _has_yaml():
        table.row("sync-users, YAML input", "n/a", "no miniyaml yet", None)
        return
    yaml_shapes(table, folder, db, json_path, entries, environ)


def yaml_shapes(table, folder, db, json_path, entries, environ):
    """The YAML no-op sync of the same users written in every other shape of ``bench_yaml``."""
    from tests.bench import bench_yaml

    path = os.path.join(folder, "shape.yaml")
    for name, shape in bench_yaml.SHAPES:
        if shape is bench_yaml.plain:
            continue  # the README's shape, measured above
        with open(path, "w") as stream:
            stream.write(shape(entries))
        os.chmod(path, 0o600)
        ratios = []
        for _ in range(ROUNDS):
            floor = _floor(db, json_path)
            ratios.append(_sync(db, path, environ) / floor)
        table.ratio("  YAML no-op sync, %s" % name, _median(ratios), YAML_GOAL)


def parallel_verification(table):
    from prospector_scheduler import passwords

    policy = passwords.policy_from_environ({})
    secrets = ["bench-verify-%02d" % n for n in range(VERIFY_USERS)]
    stored = passwords.hash_many([("bench password", secret) for secret in secrets], policy)
    pairs = list(zip(secrets, stored))

    figures = []
    for workers in (1, None):
        started = time.perf_counter()
        results = passwords.verify_many(pairs, workers=workers)
        figures.append(time.perf_counter() - started)
        if not all(results):
            raise RuntimeError("a stored hash did not verify")
    label = "verify %d stored hashes (%s), 1 worker" % (VERIFY_USERS, policy.scheme)
    table.row(label, "%.2f s" % figures[0], "", None)
    table.row("  all %d CPUs: speedup" % (os.cpu_count() or 1), "%.2fx" % (figures[0] / figures[1]), "(no goal)", None)


def run(table):
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    folder = tempfile.mkdtemp(prefix="prospector-bench-")
    try:
        nightly_sync(table, folder)
    finally:
        shutil.rmtree(folder, True)
    parallel_verification(table)


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    from tests.bench.__main__ import Table

    run(Table(sys.stdout))
