"""What the three scheduling commands share: loading the schedule and building a ``Scheduler``.

``run-schedule``, ``run-job`` and ``list-schedule`` adapt arguments and print;
this module turns the global options and the environment into the pieces a
``scheduler.Scheduler`` needs (the database, the child's command line, the
event log, the test clock). It does not decide when jobs run (``scheduler``).
"""

import contextlib
import os
import time

TEST_CLOCK_VARIABLE = "PROSPECTOR_TEST_CLOCK"


def load(ctx, args):
    """(path, registry, Schedule) of the schedule file the command names."""
    from prospector_scheduler import arguments, schedule_file
    from prospector_scheduler.registry import Registry

    path = arguments.schedule_path(args, ctx.environ)
    registry = Registry(warn=ctx.log.warning)
    return path, registry, schedule_file.read(path, registry)


def test_clock(environ):
    """``(clock, speed)`` from $PROSPECTOR_TEST_CLOCK ("EPOCH SPEED"), for the tests only.

    The scheduler's wall clock then starts at EPOCH and runs SPEED times as
    fast as real time (60: a minute of schedule per second), so that the
    real-process tests need not wait for minutes to pass. Unset: the real clock.
    """
    text = environ.get(TEST_CLOCK_VARIABLE)
    if not text:
        return time.time, 1.0
    from prospector_scheduler.errors import UsageError

    try:
        epoch, speed = (float(part) for part in text.split())
    except ValueError:
        raise UsageError("%s must be \"EPOCH SPEED\"" % TEST_CLOCK_VARIABLE) from None
    origin = time.monotonic()

    def clock():
        return epoch + (time.monotonic() - origin) * speed

    return clock, speed


def history_opener(db_path, wait=30.0, real_clock=True):
    """A function returning a context manager that opens the database and gives its JobHistory.

    Under the test clock, recorded times are not the system's: a process's
    start time then says nothing about whether it is a run's.
    """
    from prospector_scheduler import job_history, store

    is_alive = job_history.process_is_alive if real_clock else job_history.process_exists

    @contextlib.contextmanager
    def open_history():
        with store.open_database(db_path, create=True, wait=wait) as database:
            yield job_history.JobHistory(database, is_alive=is_alive)

    return open_history


def child_command(settings):
    """This tool as started, with the global options a job needs (``--db``, ``-q``/``-v``)."""
    from prospector_scheduler import invocation

    command = invocation.self_command() + ["--db", os.path.abspath(settings.db_path)]
    if settings.quiet:
        command.append("-q")
    elif settings.verbose:
        command.append("-v")
    return command


def build(ctx, schedule, reload=None, log_format="text", grace=None, on_run_end=None):
    """A ``scheduler.Scheduler`` for this run, its database created or upgraded first (73 if it cannot be)."""
    from prospector_scheduler import scheduler, store

    with store.open_database(ctx.settings.db_path, create=True):
        pass
    clock, speed = test_clock(ctx.environ)
    events = scheduler.EventLog(ctx.stdout, ctx.stderr, log_format, ctx.settings.quiet, clock=clock)
    return scheduler.Scheduler(
        schedule, history_opener(ctx.settings.db_path, real_clock=clock is time.time), child_command(ctx.settings), events,
        environ=ctx.environ, grace=scheduler.DEFAULT_GRACE if grace is None else grace, reload=reload,
        on_run_end=on_run_end, clock=clock, speed=speed)
