"""backup-db: a backup of a 100,000-user database (about 20 MB) as a whole process, against its floor.

The floor, measured in the same run: a Python process that copies the same
database with sqlite3's online backup API and does nothing else. backup-db
does more on top: start-up, the integrity check of the copy (it reads the
copy once more), the flush to disk (fsync of the file and the folder) and
the rename. Both are timed as whole processes, median of several rounds.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USERS = 100000
ROUNDS = 5
GOAL = 2.5
# A stored hash as long as a real scrypt one: the database is then about 20 MB.
HASH = "$scrypt$ln=17,r=8,p=1$" + "A" * 22 + "$" + "B" * 43

FLOOR = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))"


def _median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _interpreter():
    return [sys.executable, "-E", "-s", "-S"]


def _cpu_of_children():
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command):
    """``(wall seconds, CPU seconds)`` of one process; CPU time is less sensitive to a busy machine."""
    cpu = _cpu_of_children()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError("%s failed: %r %r" % (command, out, err))
    return elapsed, _cpu_of_children() - cpu


def _fill(db):
    from prospector_scheduler import store

    with store.open_database(db) as database:
        with database.write_transaction():
            database.connection.executemany(
                "INSERT INTO users (username, email, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                [("user%06d" % n, "user%06d@example.com" % n, HASH, store.utc_now(), store.utc_now())
                 for n in range(USERS)])


def run(table):
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    if not hasattr(sqlite3.Connection, "backup"):
        table.row("backup-db, %d users" % USERS, "n/a", "no backup API (3.6)", None)
        return
    folder = tempfile.mkdtemp(prefix="prospector-bench-")
    try:
        db = os.path.join(folder, "prospector.db")
        backups = os.path.join(folder, "backups")
        os.mkdir(backups)
        _fill(db)
        copy = os.path.join(folder, "floor.db")
        # --keep high and the old backups removed between rounds, outside the timing, as the
        # floor's copy is: both processes then do one backup into an empty place.
        ours = _interpreter() + ["-m", "prospector_scheduler", "--db", db, "-q", "backup-db", "--keep", "100", backups]
        floors = []
        times = []
        _timed(ours)  # warm the page cache
        for _ in range(ROUNDS):
            if os.path.exists(copy):
                os.unlink(copy)
            for name in os.listdir(backups):
                os.unlink(os.path.join(backups, name))
            floors.append(_timed(_interpreter() + ["-c", FLOOR, db, copy]))
            times.append(_timed(ours))
        floor = _median([wall for wall, _ in floors])
        whole = _median([wall for wall, _ in times])
        floor_cpu = _median([cpu for _, cpu in floors])
        whole_cpu = _median([cpu for _, cpu in times])
        table.row("database: %d users" % USERS, "%.1f MB" % (os.path.getsize(db) / 1e6), "", None)
        table.row("floor: a process copying it with the backup API", "%.0f ms" % (floor * 1000), "", None)
        table.row("backup-db, whole process", "%.0f ms" % (whole * 1000), "", None)
        table.row("  ratio to the floor", "%.2fx" % (whole / floor), "<= %.1fx" % GOAL, whole / floor <= GOAL)
        table.row("  CPU time: floor %.0f ms, backup-db %.0f ms, ratio" % (floor_cpu * 1000, whole_cpu * 1000),
                  "%.2fx" % (whole_cpu / floor_cpu), "(no goal)", None)
    finally:
        shutil.rmtree(folder, True)


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    from tests.bench.__main__ import Table

    run(Table(sys.stdout))
