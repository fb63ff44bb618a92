"""How the fixture databases under tests/data/ were made (kept as documentation; not a test).

The migration tests open real database files written by each released schema,
so that an upgrade is tried on what an older tool actually left behind, not on
what today's code believes it left. This script made them:

    python3 tests/make_schema_fixtures.py v1    # schema-v1.sqlite and schema-v1-hot-journal.sqlite(-journal)
    python3 tests/make_schema_fixtures.py v2    # schema-v2.sqlite
    python3 tests/make_schema_fixtures.py v3    # schema-v3.sqlite

``v1`` runs the code of commit f662bb7 (schema version 1, the first release),
taken from git with ``git archive``, as real ``sync-users`` processes with
``PROSPECTOR_HASH_COST=low``:

1. users-1.yaml creates alice (email), bob (a given password_hash) and carol;
2. users-2.yaml (from standard input) resets alice's password and creates dave;
3. users-2.yaml again: nothing changes, one more sync_runs row.

That is ``schema-v1.sqlite``: 4 users, 3 sync_runs rows, with the old unprefixed
``source_sha256`` digests that the version-2 migration blanks. The passwords are
``pw-fixture-NAME-N`` (alice's is now ``pw-fixture-alice-2``).

``schema-v1-hot-journal.sqlite`` is a copy of it on which a fourth sync
(users-3.json: 300 new users and a reset of carol) was killed with SIGKILL
inside its write transaction, just before COMMIT, with SQLite's page cache made
tiny so that changed pages had already spilled into the database file. It is
committed together with the rollback journal the killed writer left
(``schema-v1-hot-journal.sqlite-journal``): a "hot journal". The next writer
(or any connection that may write) rolls it back, which gives the content of
schema-v1.sqlite again; read alone, without its journal, the file is neither
state. The script checks all of that before it keeps the files.

``v2`` runs the code of commit 47d9bbf (schema version 2, offboarding) the same
way, on a new database:

1. users-1.yaml creates alice, bob, carol and dave, and erin disabled without a password;
2. users-3.yaml disables dave (disabled: true), resets carol's password and
   disables her in the same entry, and, run with --disable-missing, disables
   bob, who is no longer listed;
3. users-4.yaml enables carol again (her new password back) and resets dave's
   password while he stays disabled; bob is still missing, already disabled.

That is ``schema-v2.sqlite``: 5 users (bob, dave and erin disabled, erin
without a kept hash), 3 sync_runs rows, 12 user_changes rows. Its
source_sha256 values are what 47d9bbf wrote: plain SHA-256, before ops'
"nosecrets-sha256:" digests.

``v3`` runs the code of commit f210191 (main when schema version 3, the
scheduler, was released) the same way, on a new database, with a schedule file
(schedule-v3.yaml) whose jobs are ``sync`` (sync-users --disable-missing
users-3.yaml), ``check`` (check-db) and ``broken`` (check-config of a file that
does not exist, exit 66):

1. sync-users users-1.yaml, as for v2 (alice, bob, carol, dave; erin disabled);
2. run-job sync: users-3.yaml with --disable-missing (bob, carol and dave disabled);
3. run-job check, then run-job broken (exits 66);
4. run-schedule --once: every job never ran, so each catches up once (trigger
   catch-up), the sync changing nothing.

That is ``schema-v3.sqlite``: 5 users (bob, carol, dave and erin disabled,
erin without a kept hash), 3 sync_runs rows, 10 user_changes rows and 6
job_runs rows (3 manual: ok, ok, failed 66; 3 catch-up: ok, ok, failed 66).
Its source_sha256 values are what f210191 wrote: "nosecrets-sha256:" digests
of the entries as canonical JSON, before today's "nosecrets2-sha256:" lines
(see README, Security); no migration touches them.
"""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
V1_COMMIT = "f662bb7"
V2_COMMIT = "47d9bbf"
V3_COMMIT = "f210191"
ENV = {"PROSPECTOR_HASH_COST": "low"}

# Run inside the old code: shrink SQLite's page cache so that the transaction's
# pages spill into the database file, and die (SIGKILL) right before COMMIT.
KILLED_WRITER = """
import os, signal, sqlite3, sys
from prospector_scheduler import store
connect = sqlite3.connect
def connect_with_a_tiny_cache(*args, **kwargs):
    connection = connect(*args, **kwargs)
    connection.execute("PRAGMA cache_size = 1")
    return connection
sqlite3.connect = connect_with_a_tiny_cache
add_sync_run = store.UserStore.add_sync_run
def add_then_die(self, run):
    add_sync_run(self, run)
    os.kill(os.getpid(), signal.SIGKILL)
store.UserStore.add_sync_run = add_then_die
from prospector_scheduler.cli import main
sys.exit(main(sys.argv[1:]))
"""

USERS_1 = """\
users:
  - username: alice
    password: pw-fixture-alice-1
    email: alice@example.com
  - username: bob
    password_hash: "%(bob_hash)s"
  - username: carol
    password: pw-fixture-carol-1
"""

USERS_2 = """\
users:
  - username: alice
    password: pw-fixture-alice-2
    email: alice@example.com
    reset_on_next_run: true
  - username: bob
    password_hash: "%(bob_hash)s"
  - username: carol
    password: pw-fixture-carol-1
  - username: dave
    password: pw-fixture-dave-1
    email: dave@example.org
"""


USERS_V2_1 = USERS_1 + """\
  - username: dave
    password: pw-fixture-dave-1
    email: dave@example.org
  - username: erin
    disabled: true
"""

USERS_V2_3 = """\
users:
  - username: alice
    password: pw-fixture-alice-1
    email: alice@example.com
  - username: carol
    password: pw-fixture-carol-2
    reset_on_next_run: true
    disabled: true
  - username: dave
    disabled: true
  - username: erin
"""

USERS_V2_4 = """\
users:
  - username: alice
    password: pw-fixture-alice-1
  - username: carol
    disabled: false
  - username: dave
    password: pw-fixture-dave-2
    reset_on_next_run: true
  - username: erin
"""


def old_code(commit, folder):
    """Extract the package as it was at ``commit`` into ``folder``; returns ``folder``."""
    archive = subprocess.check_output(["git", "-C", ROOT, "archive", "--format=tar", commit, "prospector_scheduler"])
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder)
    return folder


def run(code, arguments, stdin=b"", script=None, expect=0):
    environ = dict(os.environ, PYTHONPATH=code, **ENV)
    command = [sys.executable, "-s", "-S"]
    command += ["-c", script] if script else ["-m", "prospector_scheduler"]
    # Run from the old code's folder: "-m" and "-c" put the working directory first on sys.path.
    process = subprocess.Popen(command + arguments, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=environ, cwd=code)
    out, err = process.communicate(stdin)
    if expect is not None and process.returncode != expect:
        raise SystemExit("%s exited %d, not %d:\n%s" % (arguments, process.returncode, expect, err.decode()))
    return out.decode()


def content(path):
    """Everything but the times: the users and the counts of every run."""
    connection = sqlite3.connect(path)
    try:
        return (
            connection.execute("PRAGMA user_version").fetchone()[0],
            connection.execute("PRAGMA integrity_check").fetchall(),
            connection.execute("SELECT username, email, password_hash FROM users ORDER BY id").fetchall(),
            connection.execute("SELECT created, password_reset, unchanged FROM sync_runs ORDER BY id").fetchall(),
        )
    finally:
        connection.close()


def read(path):
    with open(path, "rb") as stream:
        return stream.read()


def make_v1(work):
    code = old_code(V1_COMMIT, os.path.join(work, "v1-code"))
    bob_hash = run(code, ["hash-password"], stdin=b"pw-fixture-bob-1\n").strip()
    files = {}
    for name, text in (("users-1.yaml", USERS_1), ("users-2.yaml", USERS_2)):
        files[name] = os.path.join(work, name)
        with open(files[name], "w") as stream:
            stream.write(text % {"bob_hash": bob_hash})
        os.chmod(files[name], 0o600)
    db = os.path.join(work, "schema-v1.sqlite")
    run(code, ["--db", db, "sync-users", files["users-1.yaml"]])
    run(code, ["--db", db, "sync-users", "-"], stdin=read(files["users-2.yaml"]))
    run(code, ["--db", db, "sync-users", files["users-2.yaml"]])
    made = content(db)
    assert made[0] == 1 and made[1] == [("ok",)], made
    assert [row[0] for row in made[2]] == ["alice", "bob", "carol", "dave"], made
    assert made[3] == [(3, 0, 0), (1, 1, 2), (0, 0, 4)], made

    hot = os.path.join(work, "schema-v1-hot-journal.sqlite")
    shutil.copyfile(db, hot)
    entries = [{"username": "temp%03d" % n, "password_hash": bob_hash} for n in range(300)]
    entries.append({"username": "carol", "password_hash": bob_hash, "reset_on_next_run": True})
    third = os.path.join(work, "users-3.json")
    with open(third, "w") as stream:
        json.dump({"users": entries}, stream)
    run(code, ["--db", hot, "sync-users", third], script=KILLED_WRITER, expect=-9)
    assert os.path.getsize(hot + "-journal") > 0, "no journal left"
    assert read(hot) != read(db), "nothing spilled into the file: the journal would have nothing to undo"

    # Check on copies that SQLite treats the journal as hot and rolls back to schema-v1's content.
    trial = os.path.join(work, "trial.sqlite")
    shutil.copyfile(hot, trial)
    shutil.copyfile(hot + "-journal", trial + "-journal")
    assert content(trial) == made, "the hot journal did not roll back to the state before the killed run"
    assert not os.path.exists(trial + "-journal")

    for name in ("schema-v1.sqlite", "schema-v1-hot-journal.sqlite", "schema-v1-hot-journal.sqlite-journal"):
        shutil.copyfile(os.path.join(work, name), os.path.join(DATA, name))
        print("wrote tests/data/%s" % name)


def make_v2(work):
    code = old_code(V2_COMMIT, os.path.join(work, "v2-code"))
    bob_hash = run(code, ["hash-password"], stdin=b"pw-fixture-bob-1\n").strip()
    db = os.path.join(work, "schema-v2.sqlite")
    for number, text, options in ((1, USERS_V2_1, []), (3, USERS_V2_3, ["--disable-missing"]),
                                  (4, USERS_V2_4, ["--disable-missing"])):
        path = os.path.join(work, "users-%d.yaml" % number)
        with open(path, "w") as stream:
            stream.write(text % {"bob_hash": bob_hash})
        os.chmod(path, 0o600)
        run(code, ["--db", db, "sync-users"] + options + [path])
    connection = sqlite3.connect(db)
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        assert version == 2, version
        states = connection.execute(
            "SELECT username, password_hash = '!disabled', kept_password_hash IS NOT NULL, disabled_at IS NOT NULL "
            "FROM users ORDER BY id").fetchall()
        assert states == [("alice", 0, 0, 0), ("bob", 1, 1, 1), ("carol", 0, 0, 0), ("dave", 1, 1, 1),
                          ("erin", 1, 0, 1)], states
        counts = connection.execute(
            "SELECT created, password_reset, disabled, enabled, unchanged, not_in_file FROM sync_runs ORDER BY id"
        ).fetchall()
        assert counts == [(5, 0, 1, 0, 0, 0), (0, 1, 3, 0, 2, 1), (0, 1, 0, 1, 2, 1)], counts
        changes = connection.execute("SELECT count(*) FROM user_changes").fetchone()[0]
        assert changes == 12, changes
    finally:
        connection.close()
    shutil.copyfile(db, os.path.join(DATA, "schema-v2.sqlite"))
    print("wrote tests/data/schema-v2.sqlite")


SCHEDULE_V3 = """\
timezone: UTC
jobs:
  - name: sync
    command: [sync-users, --disable-missing, %(users)s]
    schedule: "0 2 * * *"
  - name: check
    command: [check-db]
    schedule: "@weekly"
  - name: broken
    command: [check-config, %(missing)s]
    schedule: "@daily"
"""


def make_v3(work):
    code = old_code(V3_COMMIT, os.path.join(work, "v3-code"))
    bob_hash = run(code, ["hash-password"], stdin=b"pw-fixture-bob-1\n").strip()
    db = os.path.join(work, "schema-v3.sqlite")
    paths = {}
    for number, text in ((1, USERS_V2_1), (3, USERS_V2_3)):
        paths[number] = os.path.join(work, "users-%d.yaml" % number)
        with open(paths[number], "w") as stream:
            stream.write(text % {"bob_hash": bob_hash})
        os.chmod(paths[number], 0o600)
    schedule = os.path.join(work, "schedule-v3.yaml")
    with open(schedule, "w") as stream:
        stream.write(SCHEDULE_V3 % {"users": paths[3], "missing": os.path.join(work, "missing.yaml")})
    run(code, ["--db", db, "sync-users", paths[1]])
    run(code, ["--db", db, "run-job", "--schedule", schedule, "sync"])
    run(code, ["--db", db, "run-job", "--schedule", schedule, "check"])
    run(code, ["--db", db, "run-job", "--schedule", schedule, "broken"], expect=66)
    # Its exit status (one job failed) is not what this fixture is about: the rows below are.
    run(code, ["--db", db, "-q", "run-schedule", "--once", "--schedule", schedule], expect=None)
    connection = sqlite3.connect(db)
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        assert version == 3, version
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        states = connection.execute(
            "SELECT username, password_hash = '!disabled', kept_password_hash IS NOT NULL, disabled_at IS NOT NULL "
            "FROM users ORDER BY id").fetchall()
        assert states == [("alice", 0, 0, 0), ("bob", 1, 1, 1), ("carol", 1, 1, 1), ("dave", 1, 1, 1),
                          ("erin", 1, 0, 1)], states
        counts = connection.execute(
            "SELECT created, password_reset, disabled, enabled, unchanged, not_in_file FROM sync_runs ORDER BY id"
        ).fetchall()
        assert counts == [(5, 0, 1, 0, 0, 0), (0, 1, 3, 0, 2, 1), (0, 0, 0, 0, 4, 1)], counts
        changes = connection.execute("SELECT count(*) FROM user_changes").fetchone()[0]
        assert changes == 10, changes
        runs = connection.execute(
            "SELECT job, trigger, exit_code, outcome, scheduled_for IS NULL FROM job_runs ORDER BY id").fetchall()
        assert runs == [("sync", "manual", 0, "ok", 1), ("check", "manual", 0, "ok", 1),
                        ("broken", "manual", 66, "failed", 1), ("sync", "catch-up", 0, "ok", 0),
                        ("check", "catch-up", 0, "ok", 0), ("broken", "catch-up", 66, "failed", 0)], runs
    finally:
        connection.close()
    shutil.copyfile(db, os.path.join(DATA, "schema-v3.sqlite"))
    print("wrote tests/data/schema-v3.sqlite")


def main(argv):
    makers = {"v1": make_v1, "v2": make_v2, "v3": make_v3}
    if len(argv) != 1 or argv[0] not in makers:
        raise SystemExit("usage: python3 tests/make_schema_fixtures.py v1|v2|v3")
    work = tempfile.mkdtemp(prefix="prospector-fixtures-")
    try:
        makers[argv[0]](work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
