"""How many passwords to hash at once: bounded by the CPUs and the memory this process may use.

One scrypt hash at the standard cost holds 128 MiB, so ``os.cpu_count()``
threads can exceed a container's memory limit. The count chosen is the
smallest of: the CPUs in this process's affinity mask (else ``os.cpu_count()``),
the cgroup v2 CPU quota (``cpu.max``, "QUOTA PERIOD", rounded up; "max" is no
limit), and the memory available (cgroup v2 ``memory.max`` minus
``memory.current``; else ``MemAvailable`` of /proc/meminfo) divided by the memory
of one hash; never less than one. $PROSPECTOR_HASH_WORKERS sets it outright.

The parsers take text, so tests feed them fake files; text they cannot read is
ignored (no limit from that source), never an error. Only ``for_this_process``
reads files.
"""

import os
import re
from typing import NamedTuple

from prospector_scheduler.errors import ConfigError

WORKERS_VARIABLE = "PROSPECTOR_HASH_WORKERS"
CPU_MAX_PATH = "/sys/fs/cgroup/cpu.max"
MEMORY_MAX_PATH = "/sys/fs/cgroup/memory.max"
MEMORY_CURRENT_PATH = "/sys/fs/cgroup/memory.current"
MEMINFO_PATH = "/proc/meminfo"
# Besides the hash itself: the thread's stack, the interpreter, OpenSSL's buffers.
MARGIN_BYTES = 16 * 1024 * 1024
MIB = 1024 * 1024

_WHOLE = re.compile(r"[0-9]{1,18}\Z")
_MEMAVAILABLE = re.compile(r"^MemAvailable:[ \t]*([0-9]{1,18})[ \t]*kB[ \t]*$", re.MULTILINE)


class Choice(NamedTuple):
    """The number of workers and why, for ``make bench`` and debugging."""

    workers: int
    reason: str


def workers_from_text(text):
    """The count $PROSPECTOR_HASH_WORKERS sets, None when it is unset or empty; ConfigError when not a whole number >= 1."""
    if text is None or text.strip() == "":
        return None
    value = text.strip()
    if not _WHOLE.match(value) or int(value) < 1:
        raise ConfigError("%s must be a whole number of at least 1, not %r" % (WORKERS_VARIABLE, text))
    return int(value)


def cpus_from_cpu_max(text):
    """The CPUs a cgroup v2 ``cpu.max`` ("QUOTA PERIOD") allows, rounded up; None for "max" or anything unreadable."""
    if text is None:
        return None
    fields = text.split()
    if len(fields) != 2 or not _WHOLE.match(fields[0]) or not _WHOLE.match(fields[1]):
        return None
    quota, period = int(fields[0]), int(fields[1])
    if quota < 1 or period < 1:
        return None
    return max(1, -(-quota // period))


def bytes_from_memory_max(text):
    """The bytes a cgroup v2 ``memory.max`` (or ``memory.current``) says; None for "max" or anything unreadable."""
    if text is None:
        return None
    value = text.strip()
    if not _WHOLE.match(value):
        return None
    return int(value)


def bytes_from_meminfo(text):
    """MemAvailable of /proc/meminfo in bytes; None when absent or unreadable."""
    if text is None:
        return None
    match = _MEMAVAILABLE.search(text)
    if match is None:
        return None
    return int(match.group(1)) * 1024


def choose(memory_per_hash, environ, cpu_count, affinity=None, cpu_max=None, memory_max=None,
           memory_current=None, meminfo=None):
    """The Choice for these facts: ``affinity`` a set of CPUs or None, the others file texts or None."""
    override = workers_from_text(environ.get(WORKERS_VARIABLE))
    if override is not None:
        return Choice(override, "%s=%d" % (WORKERS_VARIABLE, override))
    reasons = []
    if affinity:
        cpus = len(affinity)
        reasons.append("%d CPUs in this process's affinity" % cpus)
    else:
        cpus = max(1, cpu_count or 1)
        reasons.append("%d CPUs" % cpus)
    quota = cpus_from_cpu_max(cpu_max)
    if quota is not None:
        reasons.append("cgroup cpu.max allows %d" % quota)
        cpus = min(cpus, quota)
    workers = cpus
    limit = bytes_from_memory_max(memory_max)
    per_hash = memory_per_hash + MARGIN_BYTES
    if limit is not None:
        used = bytes_from_memory_max(memory_current) or 0
        available = max(0, limit - used)
        where = "cgroup memory.max %d MiB, %d MiB in use" % (limit // MIB, used // MIB)
    else:
        available = bytes_from_meminfo(meminfo)
        where = "MemAvailable %d MiB" % (available // MIB) if available is not None else None
    if available is not None:
        fit = available // per_hash
        reasons.append("%s fits %d hashes of %d MiB" % (where, fit, per_hash // MIB))
        workers = min(workers, fit)
    workers = max(1, workers)
    return Choice(workers, "%d worker%s: %s" % (workers, "" if workers == 1 else "s", "; ".join(reasons)))


def read_text(path):
    """The text of ``path``, or None when it cannot be read (absent, not text, not permitted)."""
    try:
        with open(path, "r", encoding="ascii") as stream:
            return stream.read(1024 * 1024)
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def for_this_process(memory_per_hash, environ=None):
    """The Choice for this process, reading its affinity, its cgroup v2 files and /proc/meminfo."""
    if environ is None:
        environ = os.environ
    affinity = None
    getaffinity = getattr(os, "sched_getaffinity", None)
    if getaffinity is not None:
        try:
            affinity = getaffinity(0)
        except OSError:
            affinity = None
    return choose(memory_per_hash, environ, os.cpu_count(), affinity, read_text(CPU_MAX_PATH),
                  read_text(MEMORY_MAX_PATH), read_text(MEMORY_CURRENT_PATH), read_text(MEMINFO_PATH))
