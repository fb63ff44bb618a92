"""Parallel password hashing: 16 hashes at the standard cost, one worker against all workers.

Each configuration runs in a child process of its own, which reports the time
``hash_many`` took and its own peak resident memory (``ru_maxrss``), so the
figures of one configuration never include another's. For scale, the same 16
hashes are also shared out between one process per CPU: that speedup is what
the machine can give at best (on a shared or busy machine it is well below the
number of CPUs, and threads cannot beat it). Runs as part of ``make bench`` or
alone: ``python3 tests/bench/bench_passwords.py``.
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HASHES = 16
MIB = 1024 * 1024
PER_WORKER_MIB = 130
BASE_MIB = 60
SPEEDUP_GOAL_TWO_CPUS = 1.8


def child(workers, count):
    """In the child process: hash ``count`` passwords, then print seconds, peak memory in bytes and the scheme."""
    import resource
    import time

    sys.path.insert(0, ROOT)
    from prospector_scheduler import passwords

    policy = passwords.policy_from_environ({})  # the row names the scheme, fallback included
    secrets = ["benchmark password %02d" % number for number in range(count)]
    started = time.perf_counter()
    stored = passwords.hash_many([("bench password", secret) for secret in secrets], policy, workers=workers)
    seconds = time.perf_counter() - started
    assert len(stored) == count
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_bytes = peak if sys.platform == "darwin" else peak * 1024  # Linux counts KiB
    print("%f %d %s" % (seconds, peak_bytes, describe(policy)))


def describe(policy):
    if policy.scheme == "scrypt":
        return "scrypt-ln=%d,r=%d,p=%d" % (policy.scrypt_ln, policy.scrypt_r, policy.scrypt_p)
    return "pbkdf2-sha256-%d-rounds" % policy.pbkdf2_rounds


def command(workers, count):
    return [sys.executable, "-E", "-s", "-S", os.path.abspath(__file__), "--child", str(workers), str(count)]


def measure(workers):
    """(seconds, peak bytes, scheme) of one child process hashing with ``workers``."""
    output = subprocess.check_output(command(workers, HASHES), cwd=ROOT, universal_newlines=True)
    seconds, peak, scheme = output.split()
    return float(seconds), int(peak), scheme


def measure_processes(processes):
    """Seconds for the hashes shared out between ``processes`` one-worker processes at once."""
    share = HASHES // processes
    children = [
        subprocess.Popen(command(1, share), cwd=ROOT, stdout=subprocess.PIPE, universal_newlines=True)
        for _ in range(processes)
    ]
    slowest = 0.0
    for process in children:
        output, _ = process.communicate()
        if process.returncode != 0:
            raise subprocess.CalledProcessError(process.returncode, process.args)
        slowest = max(slowest, float(output.split()[0]))
    return slowest * HASHES / (share * processes)


def run(table):
    cpus = os.cpu_count() or 1
    table.row("load average when the benchmark started", "%.2f" % os.getloadavg()[0], "(quiet: near 0)", None)
    from prospector_scheduler import hash_workers, passwords

    choice = hash_workers.for_this_process(passwords.hash_memory(passwords.policy_from_environ({})))
    table.row("workers sync-users would use here", "%d" % choice.workers, "(%s)" % choice.reason, None)
    configurations = [1] if cpus == 1 else [1, cpus]
    results = {}
    for workers in configurations:
        results[workers] = seconds, peak, scheme = measure(workers)
        table.row(
            "%d hashes, %s, %d worker%s" % (HASHES, scheme, workers, "" if workers == 1 else "s"),
            "%.2f s" % seconds,
            "(%.0f ms each)" % (seconds * 1000 / HASHES),
            None,
        )
    if cpus > 1:
        speedup = results[1][0] / results[cpus][0]
        goal = SPEEDUP_GOAL_TWO_CPUS if cpus == 2 else 0.9 * cpus
        table.row("speedup, %d workers against 1 (%d CPUs)" % (cpus, cpus), "%.2fx" % speedup,
                  ">= %.1fx" % goal, speedup >= goal)
        ceiling = results[1][0] / measure_processes(cpus)
        table.row("for scale: %d processes against 1 (the machine's best)" % cpus, "%.2fx" % ceiling, "", None)
    else:
        table.row("speedup", "n/a", "one CPU only", None)
    for workers in configurations:
        peak_mib = results[workers][1] / MIB
        limit = workers * PER_WORKER_MIB + BASE_MIB
        table.row("peak memory, %d worker%s" % (workers, "" if workers == 1 else "s"), "%.0f MiB" % peak_mib,
                  "<= %d MiB" % limit, peak_mib <= limit)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.path.insert(0, ROOT)
        from tests.bench.__main__ import Table

        run(Table(sys.stdout))
