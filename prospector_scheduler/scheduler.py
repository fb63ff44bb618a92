"""The scheduler: when each job is due (``Timetable``) and running it as a child (``Scheduler``).

``Timetable`` is pure and takes the time as an argument: it knows each job's
next slot, adds the jitter, coalesces missed slots into one catch-up, and
never lets a jump of the clock start a burst of runs. ``Scheduler`` is the
loop of ``run-schedule``, ``run-schedule --once`` and ``run-job``: it claims
each slot in the database (``job_history``), starts the job as a child
process of this same tool (``invocation``), passes its output through with
the job's name before each line, enforces the timeout (SIGTERM, then SIGKILL
after the grace period), reloads the schedule file on SIGHUP and stops on
SIGTERM or SIGINT. Its clock (wall and monotonic), its random source and the
way it waits are injectable.

Rules chosen where the issue was silent: a job that has never run counts as
missed, so with ``catch_up`` it runs at the first start (a new setup shows at
once whether it works, as the container cron before this did); a run that starts more than
``LATE`` seconds after its planned time counts as missed, so it is a
catch-up (when the job allows one) for its latest missed slot only.
"""

import collections
import json
import os
import random
import signal
import subprocess
import time

from prospector_scheduler import cron, job_history

__all__ = ["Due", "Timetable", "EventLog", "Scheduler", "DEFAULT_GRACE", "LATE", "LONGEST_NAP"]

DEFAULT_GRACE = 8.0  # below Docker's 10-second stop timeout
LATE = 60  # seconds after its planned start that a run still counts as on time
LONGEST_NAP = 30.0  # look at the wall clock at least this often (suspend, clock changes)
CLOCK_WENT_BACK = 5  # seconds: a smaller step back is noise
LINE_LIMIT = 65536  # a longer line of a job's output is cut into pieces
EXITED_GRACE = 1.0  # after a job exits, how long its pipes may stay open (a grandchild)


class Due(collections.namedtuple("Due", "job slot trigger")):
    """A run to start now: the ``schedule_file.Job``, its slot (seconds), and its trigger."""

    __slots__ = ()


class Timetable(object):
    """Each enabled job's next slot and planned start, driven by the time the caller gives."""

    def __init__(self, jobs, zone, rng=None):
        self.zone = zone
        self.rng = rng if rng is not None else random.Random()
        self.jobs = collections.OrderedDict((job.name, job) for job in jobs if job.enabled)
        self.slots = {}     # name -> next slot
        self.planned = {}   # name -> next slot + its jitter
        self.last_seen = None

    def _plan(self, job, slot):
        self.slots[job.name] = slot
        delay = self.rng.uniform(0, job.jitter) if job.jitter else 0.0
        self.planned[job.name] = slot + delay

    def start(self, now, last_slots):
        """Plan every job from ``now``; the catch-ups to run at once.

        ``last_slots`` maps a job's name to the newest slot recorded for it
        (None when it never ran: then its latest slot counts as missed).
        """
        catch_ups = []
        for job in self.jobs.values():
            last = last_slots.get(job.name)
            if job.catch_up:
                missed = cron.latest_at_or_before(job.schedule, self.zone, now)
                if last is None or missed > last:
                    catch_ups.append(Due(job, missed, "catch-up"))
            self._plan(job, cron.next_after(job.schedule, self.zone, now))
        self.last_seen = now
        return catch_ups

    def due(self, now):
        """The runs due at ``now``, and the jobs' next slots planned.

        A run late by more than ``LATE`` seconds (suspend, a jump of the
        clock, a scheduler held up) is one catch-up for the latest slot
        missed, or nothing for a job with ``catch_up: false``.
        """
        if self.last_seen is not None and now < self.last_seen - CLOCK_WENT_BACK:
            # The clock was set back: plan again from the new time. A slot
            # that already ran is claimed in the database and is not run again.
            for job in self.jobs.values():
                self._plan(job, cron.next_after(job.schedule, self.zone, now))
        self.last_seen = now
        runs = []
        for job in self.jobs.values():
            planned = self.planned[job.name]
            if planned > now:
                continue
            slot = self.slots[job.name]
            if now - planned <= LATE:
                runs.append(Due(job, slot, "schedule"))
            elif job.catch_up:
                runs.append(Due(job, cron.latest_at_or_before(job.schedule, self.zone, now), "catch-up"))
            self._plan(job, cron.next_after(job.schedule, self.zone, now))
        return runs

    def next_start(self):
        """The earliest planned start (seconds), or None when no job is enabled."""
        return min(self.planned.values()) if self.planned else None

    def replace(self, jobs, now):
        """Take a new list of jobs (a reload): an unchanged schedule keeps its plan."""
        old_jobs, old_slots, old_planned = self.jobs, self.slots, self.planned
        self.jobs = collections.OrderedDict((job.name, job) for job in jobs if job.enabled)
        self.slots, self.planned = {}, {}
        for job in self.jobs.values():
            old = old_jobs.get(job.name)
            if old is not None and old.schedule == job.schedule and old.jitter == job.jitter:
                self.slots[job.name] = old_slots[job.name]
                self.planned[job.name] = old_planned[job.name]
            else:
                self._plan(job, cron.next_after(job.schedule, self.zone, now))


class EventLog(object):
    """What the scheduler says: text lines on stderr and the jobs' output prefixed with their
    names, or (``json``) one JSON object per event and per output line on stdout."""

    def __init__(self, stdout, stderr, format="text", quiet=False, program="prospector-scheduler",
                 clock=time.time):
        self.stdout = stdout
        self.stderr = stderr
        self.format = format
        self.quiet = quiet
        self.program = program
        self.clock = clock

    def _json(self, record):
        record = collections.OrderedDict(
            [("time", job_history.format_time(self.clock()))] + list(record.items()))
        self.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.stdout.flush()

    def event(self, event, job=None, message=None, level="info", **fields):
        """One event; ``message`` is its text form (after the job's name)."""
        if self.format == "json":
            record = collections.OrderedDict([("event", event)])
            if job is not None:
                record["job"] = job
            record["level"] = level
            record.update(sorted(fields.items()))
            if message is not None and level in ("warning", "error"):
                record["message"] = message
            self._json(record)
            return
        if level == "info" and self.quiet:
            return
        kind = "" if level == "info" else level + ": "
        where = "" if job is None else job + ": "
        self.stderr.write("%s: %s%s%s\n" % (self.program, kind, where, message))
        self.stderr.flush()

    def output(self, job, stream, line):
        """One line of a job's output (without its line end)."""
        if self.format == "json":
            self._json(collections.OrderedDict([("event", "output"), ("job", job), ("stream", stream),
                                                ("line", line)]))
            return
        target = self.stdout if stream == "stdout" else self.stderr
        target.write("%s: %s\n" % (job, line))
        target.flush()


class _Child(object):
    """A running job: its process, its record, its pipes and its deadlines (monotonic)."""

    def __init__(self, due, process, run_id, started, started_wall):
        self.due = due
        self.process = process
        self.run_id = run_id
        self.started = started
        self.started_wall = started_wall
        self.pending = {}  # fd -> (stream name, bytes of an unfinished line)
        self.streams = {}  # fd -> the pipe's file object
        self.exited_at = None
        self.terminated_for = None  # "timeout" or "shutdown"
        self.kill_at = None


def _seconds(value):
    return "%.1f s" % value


class Scheduler(object):
    """Runs the jobs of a schedule as child processes; see the module's docstring.

    ``open_history()`` returns a context manager giving a
    ``job_history.JobHistory`` (a fresh database connection for each use);
    ``command`` is the argument list that starts this tool with its global
    options; ``reload()`` returns a new ``Schedule`` or raises a
    ``ProspectorError``; ``on_run_end(job_name, outcome, exit_code)`` is
    called after every finished run (the metrics file hangs there). ``speed``
    says how much faster than real time ``clock`` runs (1 but in tests).
    """

    def __init__(self, schedule, open_history, command, events, environ=None, grace=DEFAULT_GRACE,
                 reload=None, on_run_end=None, clock=time.time, monotonic=time.monotonic, rng=None,
                 speed=1.0):
        self.schedule = schedule
        self.open_history = open_history
        self.command = list(command)
        self.events = events
        self.environ = dict(os.environ if environ is None else environ)
        self.grace = grace
        self.reload = reload
        self.on_run_end = on_run_end
        self.clock = clock
        self.monotonic = monotonic
        self.speed = speed  # how much faster than real time ``clock`` runs (the tests' clock)
        self.timetable = Timetable(schedule.jobs, schedule.zone, rng)
        self.children = {}   # job name -> _Child
        self.by_fd = {}      # fd -> _Child
        self.warned = {}     # job name -> id of the run whose overlap was reported
        self.stopping = False
        self.signals = []    # signals received, handled by the loop
        self.worst = 0
        self.selector = None
        self.wakeup = None

    # --- signals -------------------------------------------------------------

    def _on_signal(self, signum, frame):
        self.signals.append(signum)

    def _install_signals(self):
        import selectors

        self.selector = selectors.DefaultSelector()
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        os.set_blocking(write_end, False)
        self.wakeup = (read_end, write_end)
        self.selector.register(read_end, selectors.EVENT_READ, None)
        previous_fd = signal.set_wakeup_fd(write_end)
        handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)
        previous = dict((number, signal.signal(number, self._on_signal)) for number in handled)

        def restore():
            for number, handler in previous.items():
                signal.signal(number, handler)
            signal.set_wakeup_fd(previous_fd)
            self.selector.close()
            os.close(read_end)
            os.close(write_end)

        return restore

    def _handle_signals(self):
        while self.signals:
            number = self.signals.pop(0)
            if number in (signal.SIGTERM, signal.SIGINT) and not self.stopping:
                self._stop("SIGTERM" if number == signal.SIGTERM else "SIGINT")
            elif number == signal.SIGHUP:
                self._reload()

    def _stop(self, why):
        self.stopping = True
        running = sorted(self.children)
        self.events.event("stopping", message="%s: stopping%s" % (
            why, "; waiting up to %g s for %s" % (self.grace, ", ".join(running)) if running else ""),
            signal=why, running=running)
        deadline = self.monotonic() + self.grace
        for child in self.children.values():
            if child.exited_at is None:
                self._signal(child, signal.SIGTERM)
                child.terminated_for = child.terminated_for or "shutdown"
                child.kill_at = min(child.kill_at or deadline, deadline)

    def _reload(self):
        if self.reload is None:
            return
        from prospector_scheduler.errors import ProspectorError

        try:
            schedule = self.reload()
        except ProspectorError as error:
            for line in error.report_lines(self.events.program):
                self.events.event("reload_failed", message=line, level="error")
            self.events.event("reload_failed", message="the schedule file has errors; keeping the old schedule",
                              level="warning")
            return
        self.schedule = schedule
        self.timetable.replace(schedule.jobs, self.clock())
        self.events.event("reloaded", message="reloaded %s: %d job%s" % (
            schedule.source, len(schedule.jobs), "" if len(schedule.jobs) == 1 else "s"), jobs=len(schedule.jobs))

    # --- children ------------------------------------------------------------

    def _signal(self, child, number):
        try:
            os.killpg(child.process.pid, number)
        except (ProcessLookupError, PermissionError):
            try:
                child.process.send_signal(number)
            except OSError:
                pass

    def start(self, due):
        """Claim the slot of ``due`` and start its job; False when it did not start."""
        job = due.job
        now = self.clock()
        if job.name in self.children:
            child = self.children[job.name]
            self._report_overlap(job, child.run_id, due, "pid %d, since %s" % (
                child.process.pid, job_history.format_time(child.started_wall)))
            self._record_skip(due, now)
            return False
        try:
            with self.open_history() as history:
                claim = history.claim(job.name, due.slot, due.trigger, now, job.timeout)
        except Exception as error:  # the database failed: this run is lost, the scheduler goes on
            self.events.event("error", job.name, "could not record the run due at %s, not run: %s"
                              % (_slot_text(due.slot), error), level="error")
            return False
        if claim.status == "taken":
            self.events.event("taken", job.name, "the run due at %s is taken by another scheduler"
                              % _slot_text(due.slot), slot=_slot_text(due.slot))
            return False
        if claim.status == "busy" and due.slot is None:
            from prospector_scheduler.errors import BusyError

            running = claim.running
            raise BusyError("the job %s is running (on %s, pid %s, since %s); try again later"
                            % (job.name, running.host, running.pid, running.started_at))
        if claim.status == "busy":
            running = claim.running
            self._report_overlap(job, running.id, due, "on %s, pid %s, since %s"
                                 % (running.host, running.pid, running.started_at))
            return False
        return self._spawn(due, claim.run_id, now)

    def _report_overlap(self, job, running_id, due, where):
        if self.warned.get(job.name) == running_id:
            return
        self.warned[job.name] = running_id
        self.events.event("skipped", job.name,
                          "still running (%s): skipped the run due at %s, and every further one until it ends"
                          % (where, _slot_text(due.slot)), level="warning", slot=_slot_text(due.slot))

    def _record_skip(self, due, now):
        if due.slot is None:
            return
        try:
            with self.open_history() as history:
                claim = history.claim(due.job.name, due.slot, due.trigger, now, due.job.timeout)
                if claim.status == "claimed":  # our own run's record was lost: the slot is still skipped
                    history.finish(claim.run_id, "skipped", None, now, 0.0, keep=self.schedule.keep_runs)
        except Exception:
            pass  # a skipped slot is only history

    def _spawn(self, due, run_id, now):
        import selectors

        job = due.job
        argv = self.command + list(job.command)
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, env=self.environ, start_new_session=True)
        except OSError as error:
            self._finish_record(job.name, run_id, "failed", None, now, 0.0)
            self.events.event("error", job.name, "could not start: %s" % error, level="error")
            self.worst = max(self.worst, 70)
            return False
        child = _Child(due, process, run_id, self.monotonic(), now)
        self.children[job.name] = child
        for stream, name in ((process.stdout, "stdout"), (process.stderr, "stderr")):
            fd = stream.fileno()
            os.set_blocking(fd, False)
            child.pending[fd] = (name, b"")
            child.streams[fd] = stream
            self.by_fd[fd] = child
            if self.selector is not None:
                self.selector.register(fd, selectors.EVENT_READ, child)
        try:
            with self.open_history() as history:
                history.set_pid(run_id, process.pid)
        except Exception:
            pass  # the claim keeps our own pid, which is alive as long as the run is
        self.events.event("started", job.name, "started (%s, due %s, pid %d)"
                          % (due.trigger, _slot_text(due.slot), process.pid),
                          trigger=due.trigger, slot=_slot_text(due.slot), pid=process.pid)
        return True

    def _read(self, fd, child):
        name, pending = child.pending[fd]
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            if pending:
                self.events.output(child.due.job.name, name, _text(pending))
            self._close_pipe(fd, child)
            return
        self._read_data(fd, child, data)

    def _read_data(self, fd, child, data):
        name, pending = child.pending[fd]
        pending += data
        lines = pending.split(b"\n")
        pending = lines.pop()
        while len(pending) > LINE_LIMIT:
            lines.append(pending[:LINE_LIMIT])
            pending = pending[LINE_LIMIT:]
        for line in lines:
            self.events.output(child.due.job.name, name, _text(line))
        child.pending[fd] = (name, pending)

    def _drain(self, fd, child):
        """Read what is left in a pipe of an exited job without waiting, then close it."""
        while fd in child.pending:
            stream, pending = child.pending[fd]
            try:
                data = os.read(fd, 65536)
            except OSError:  # BlockingIOError: a grandchild holds the pipe open
                data = b""
            if data:
                child.pending[fd] = (stream, pending)
                self._read_data(fd, child, data)
                continue
            if pending:
                self.events.output(child.due.job.name, stream, _text(pending))
            self._close_pipe(fd, child)

    def _close_pipe(self, fd, child):
        if self.selector is not None:
            try:
                self.selector.unregister(fd)
            except (KeyError, ValueError):
                pass
        self.by_fd.pop(fd, None)
        child.pending.pop(fd, None)
        child.streams.pop(fd).close()

    def _check_children(self):
        now = self.monotonic()
        for name in list(self.children):
            child = self.children[name]
            code = child.process.poll()
            if code is None:
                job = child.due.job
                if child.terminated_for is None and job.timeout is not None \
                        and now - child.started >= job.timeout:
                    child.terminated_for = "timeout"
                    child.kill_at = now + self.grace
                    self._signal(child, signal.SIGTERM)
                    self.events.event("timed_out", name, "timed out after %d s: sent SIGTERM" % job.timeout,
                                      level="warning", timeout=job.timeout)
                elif child.kill_at is not None and now >= child.kill_at:
                    self._signal(child, signal.SIGKILL)
                    child.kill_at = None
                    self.events.event("killed", name, "still running after the grace period: sent SIGKILL",
                                      level="warning")
                continue
            if child.exited_at is None:
                child.exited_at = now
            if child.pending and now - child.exited_at < EXITED_GRACE:
                continue  # let the pipes drain
            for fd in list(child.pending):
                self._drain(fd, child)
            self._finished(child, code)

    def _finished(self, child, code):
        name = child.due.job.name
        del self.children[name]
        duration = self.monotonic() - child.started
        if child.terminated_for == "timeout":
            outcome = "timed_out"
        elif child.terminated_for == "shutdown":
            outcome = "killed"
        else:
            outcome = "ok" if code == 0 else "failed"
        exit_code = code if code >= 0 else 128 - code
        self._finish_record(name, child.run_id, outcome, exit_code, self.clock(), duration)
        level = "info" if outcome == "ok" else "warning"
        self.events.event("ended", name, "ended: %s, exit code %d, %s" % (outcome, exit_code, _seconds(duration)),
                          level=level, outcome=outcome, exit_code=exit_code, duration=round(duration, 3))
        self.worst = max(self.worst, exit_code if outcome in ("ok", "failed") else 75)

    def _finish_record(self, name, run_id, outcome, exit_code, now, duration):
        try:
            with self.open_history() as history:
                history.finish(run_id, outcome, exit_code, now, duration, keep=self.schedule.keep_runs)
        except Exception as error:
            self.events.event("error", name, "could not record the end of the run: %s" % error, level="error")
        if self.on_run_end is not None:
            self.on_run_end(name, outcome, exit_code)

    # --- the loop ------------------------------------------------------------

    def _wait(self, timeout):
        """Wait up to ``timeout`` seconds for output, a signal or an exit, and handle what came."""
        for key, _events in self.selector.select(max(0.0, timeout)):
            if key.data is None:
                try:
                    while os.read(key.fd, 512):
                        pass
                except OSError:
                    pass
            elif key.fd in self.by_fd:
                self._read(key.fd, key.data)
        self._handle_signals()
        self._check_children()

    def _timeout(self, now_wall, now_monotonic):
        """How long the loop may wait before something is due."""
        waits = [LONGEST_NAP]
        if not self.stopping:
            following = self.timetable.next_start()
            if following is not None:
                waits.append((following - now_wall) / self.speed)
        for child in self.children.values():
            if child.exited_at is not None:
                waits.append(0.05)
            if child.kill_at is not None:
                waits.append(child.kill_at - now_monotonic)
            elif child.terminated_for is None and child.due.job.timeout is not None:
                waits.append(child.started + child.due.job.timeout - now_monotonic)
        return max(0.0, min(waits))

    def run_forever(self):
        """The ``run-schedule`` loop, until SIGTERM or SIGINT; the exit code (0)."""
        restore = self._install_signals()
        try:
            now = self.clock()
            with self.open_history() as history:
                last_slots = dict((job.name, history.last_slot(job.name)) for job in self.schedule.jobs)
            catch_ups = self.timetable.start(now, last_slots)
            enabled = [job.name for job in self.schedule.jobs if job.enabled]
            self.events.event("scheduler_started", message="running %d job%s from %s (pid %d)" % (
                len(enabled), "" if len(enabled) == 1 else "s", self.schedule.source, os.getpid()),
                jobs=enabled, pid=os.getpid())
            for due in catch_ups:
                self.start(due)
            while not (self.stopping and not self.children):
                self._wait(self._timeout(self.clock(), self.monotonic()))
                if not self.stopping:
                    for due in self.timetable.due(self.clock()):
                        self.start(due)
            self.events.event("scheduler_stopped", message="stopped")
            return 0
        finally:
            self._stop_children_now()
            restore()

    def run_once(self, names=None, trigger=None):
        """Run what is due now and the catch-ups (``--once``), or the jobs ``names`` now
        (``run-job``, trigger manual); wait for them; the worst exit code."""
        restore = self._install_signals()
        try:
            now = self.clock()
            dues = []
            if names is not None:
                dues = [Due(self.schedule.job(name), None, trigger or "manual") for name in names]
            else:
                with self.open_history() as history:
                    for job in self.schedule.jobs:
                        if not job.enabled:
                            continue
                        latest = cron.latest_at_or_before(job.schedule, self.schedule.zone, now)
                        last = history.last_slot(job.name)
                        if last is not None and latest <= last:
                            continue
                        if now - latest < LATE:
                            dues.append(Due(job, latest, "schedule"))
                        elif job.catch_up:
                            dues.append(Due(job, latest, "catch-up"))
            for due in dues:
                if self.stopping:
                    break
                self.start(due)
            while self.children:
                self._wait(self._timeout(self.clock(), self.monotonic()))
            return self.worst
        finally:
            self._stop_children_now()
            restore()

    def _stop_children_now(self):
        """On the way out (a bug, or a database error): leave no child behind."""
        for child in list(self.children.values()):
            self._signal(child, signal.SIGKILL)
            child.process.wait()
            for fd in list(child.pending):
                self._close_pipe(fd, child)
        self.children.clear()


def _slot_text(slot):
    return "now" if slot is None else job_history.format_time(slot)


def _text(data):
    return data.rstrip(b"\r").decode("utf-8", "replace")
