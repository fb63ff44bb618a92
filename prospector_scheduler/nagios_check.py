"""The monitoring check of ``status --check``, by the Nagios plugin conventions.

Nagios, Icinga, Zabbix, Checkmk and Sensu run a check as a program and read
its exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) and one line of
output: a status text, then performance data after ``|``, each item
``'label'=value[unit];warn;crit;min;max``. This module judges job statuses
(``metrics.JobStatus``) by the age of their last success against two
thresholds and writes that line. It is pure: the caller passes the current
time. The check deliberately does not use the sysexits codes of the other
commands; a check that cannot judge (no database, an unknown job, bad
arguments) is UNKNOWN.
"""

import re
from typing import NamedTuple, Tuple

OK = 0
WARNING = 1
CRITICAL = 2
UNKNOWN = 3
STATE_NAMES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
SERVICE = "PROSPECTOR"

AGE_UNITS = (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_AGE = re.compile(r"\A([0-9]{1,9})([smhdw])\Z")


class CheckResult(NamedTuple):
    """A check's verdict: its state (0-3, also the exit code), text and performance data."""

    state: int
    text: str
    perfdata: Tuple[str, ...] = ()

    def line(self):
        """The one line a plugin prints: ``SERVICE STATE - text | perfdata``."""
        # A "|" would start the performance data early; a line break would end the line.
        text = re.sub(r"[|\r\n]", "/", self.text)
        head = "%s %s - %s" % (SERVICE, STATE_NAMES[self.state], text)
        return head + (" | " + " ".join(self.perfdata) if self.perfdata else "")


def parse_age(text):
    """Seconds in an AGE such as ``26h``, ``90m``, ``2d``, ``1w`` or ``45s``; ValueError if not one."""
    match = _AGE.match(text)
    if match is None:
        raise ValueError("expected an age such as 26h, 90m or 2d (a whole number and one of s, m, h, d, w), got %r"
                         % text)
    return int(match.group(1)) * dict(AGE_UNITS)[match.group(2)]


def format_age(seconds):
    """A short reading of a number of seconds: ``45s``, ``1m 30s``, ``2h``, ``1d 2h``."""
    seconds = int(seconds)
    for (big, big_size), (small, small_size) in ((("d", 86400), ("h", 3600)), (("h", 3600), ("m", 60)),
                                                 (("m", 60), ("s", 1))):
        if seconds >= big_size:
            high, rest = divmod(seconds, big_size)
            low = rest // small_size
            return "%d%s %d%s" % (high, big, low, small) if low else "%d%s" % (high, big)
    return "%ds" % seconds


def unknown(text):
    """The UNKNOWN result: the check could not judge (``text`` says why)."""
    return CheckResult(UNKNOWN, text)


def _perf_label(text):
    # Nagios forbids ' and = in a label, and | or a line break would end the data; job names are free text.
    return re.sub(r"['=|\r\n]", "_", text)


def judge(status, now, warning, critical):
    """``(state, text, age or None)`` of one job: the age of its last success against the thresholds."""
    from prospector_scheduler.metrics import to_epoch

    failures = ""
    if status.failures_in_a_row:
        failures = "%d failed run%s" % (status.failures_in_a_row, "" if status.failures_in_a_row == 1 else "s")
        if status.last_exit_code is not None:
            failures += " (last exit code %d)" % status.last_exit_code
    if status.last_success is None:
        if status.last_run is None and not failures:
            return CRITICAL, "%s never ran" % status.job, None
        return CRITICAL, "%s never succeeded%s" % (status.job, ", " + failures if failures else ""), None
    age = max(0, int(now) - to_epoch(status.last_success))
    state = CRITICAL if age > critical else WARNING if age > warning else OK
    text = "%s last succeeded %s ago (%s)" % (status.job, format_age(age), status.last_success)
    if failures:
        text += ", %s since" % failures
    return state, text, age


def check(statuses, now, warning, critical, job=None):
    """The ``CheckResult`` of the jobs in ``statuses`` at time ``now`` (seconds since the epoch).

    With ``job``, only that job (UNKNOWN when no status has that name);
    otherwise every job, the worst state winning. ``warning`` and
    ``critical`` are ages in seconds: a last success older than ``warning`` is
    WARNING, older than ``critical`` CRITICAL; a job that never succeeded is
    CRITICAL.
    """
    if warning > critical:
        return unknown("the warning age (%s) is above the critical age (%s)" % (format_age(warning),
                                                                               format_age(critical)))
    if job is not None:
        chosen = [status for status in statuses if status.job == job]
        if not chosen:
            return unknown("unknown job %r: no run of it is recorded and no schedule names it" % job)
    else:
        chosen = list(statuses)
    if not chosen:
        return unknown("no job to check")
    verdicts = [judge(status, now, warning, critical) for status in chosen]
    worst = max(state for state, _, _ in verdicts)
    # The jobs in the worst state first, so that a cut-off line still shows the reason.
    ordered = [v for v in verdicts if v[0] == worst] + [v for v in verdicts if v[0] != worst]
    text = "; ".join(text for _, text, _ in ordered)
    perfdata = []
    for status, (_, _, age) in zip(chosen, verdicts):
        prefix = "" if job is not None else _perf_label(status.job) + "_"
        value = "U" if age is None else "%ds" % age
        perfdata.append("'%sage'=%s;%d;%d;0" % (prefix, value, warning, critical))
        perfdata.append("'%sfailures'=%d;;;0" % (prefix, status.failures_in_a_row))
    return CheckResult(worst, text, tuple(perfdata))
