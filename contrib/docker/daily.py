#!/usr/bin/env python3
"""A cron made for containers: run one command every day at a set time, in the foreground.

    daily.py [--at HH:MM] [--run-at-start] -- COMMAND [ARGUMENT...]

It is meant to be a container's main process, where the classic cron daemon
fits badly: the command's output goes to the container's own stdout and stderr
(so ``docker logs`` shows it), the environment is passed on unchanged (cron
empties it), and SIGTERM or SIGINT stop it at once while it waits; while the
command runs, the signal is passed on to the command and waited for, so
``docker stop`` never leaves a run half done behind its back. A run that fails
is reported and the schedule goes on. The time is local to the container (set
``TZ``; the default is UTC). It waits in steps of at most a minute and looks at
the clock after each, so a clock change or a daylight-saving switch cannot make
it miss or repeat a day.

Standard library only, Python 3.6+; not part of the prospector_scheduler package.
"""

import argparse
import datetime
import shutil
import signal
import subprocess
import sys
import time

PROGRAM = "prospector-daily"
LONGEST_NAP = 60.0


def parse_time_of_day(text):
    """``"HH:MM"`` as ``(hour, minute)``; anything else is an ArgumentTypeError (a usage error)."""
    parts = text.split(":")
    if len(parts) == 2 and all(part.isdigit() and len(part) == 2 for part in parts):
        hour, minute = int(parts[0]), int(parts[1])
        if hour <= 23 and minute <= 59:
            return hour, minute
    raise argparse.ArgumentTypeError("%r is not a time of day HH:MM from 00:00 to 23:59" % text)


def next_run(now, hour, minute):
    """The first moment at ``hour:minute`` that is later than ``now`` (naive local datetimes)."""
    today = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if today > now:
        return today
    tomorrow = now.date() + datetime.timedelta(days=1)
    return datetime.datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, minute)


class _Interrupted(Exception):
    """Raised by the signal handler to cut a sleep short."""


class Daily(object):
    """The schedule, the running command and the signals, for one process."""

    def __init__(self, command, hour, minute, out=sys.stdout, clock=datetime.datetime.now):
        self.command = command
        self.hour = hour
        self.minute = minute
        self.out = out
        self.clock = clock
        self.stop_requested = False
        self.sleeping = False
        self.child = None

    def say(self, message):
        self.out.write("%s %s: %s\n" % (self.clock().isoformat(timespec="seconds"), PROGRAM, message))
        self.out.flush()

    def on_signal(self, signum, frame):
        # Only a flag and a raise here: a handler that took a lock could
        # deadlock against the code it interrupted.
        self.stop_requested = True
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signum)
        elif self.sleeping:
            raise _Interrupted()

    def run_once(self):
        """Run the command to its end; its exit code."""
        self.say("running: %s" % " ".join(self.command))
        try:
            self.child = subprocess.Popen(self.command)
        except OSError as error:
            self.say("could not start %s: %s" % (self.command[0], error))
            return 127
        if self.stop_requested:  # the signal came while the command was being started
            self.child.send_signal(signal.SIGTERM)
        code = self.child.wait()
        self.child = None
        self.say("exited %d" % code)
        return code

    def wait_until(self, moment):
        """Wait until the clock reaches ``moment``; False if a signal came first."""
        try:
            while not self.stop_requested:
                left = (moment - self.clock()).total_seconds()
                if left <= 0:
                    return True
                self.sleeping = True
                time.sleep(min(left, LONGEST_NAP))
                self.sleeping = False
        except _Interrupted:
            pass
        finally:
            self.sleeping = False
        return False

    def loop(self, run_at_start=False):
        """Run the command daily until SIGTERM or SIGINT; the exit code of this process."""
        if run_at_start and not self.stop_requested:
            self.run_once()
        while not self.stop_requested:
            moment = next_run(self.clock(), self.hour, self.minute)
            self.say("next run at %s" % moment.isoformat(timespec="minutes"))
            try:
                due = self.wait_until(moment)
            except _Interrupted:  # a second signal while the first was being handled
                due = False
            if not due or self.stop_requested:
                break
            self.run_once()
        self.say("stopped")
        return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROGRAM, description="Run COMMAND every day at HH:MM (local time).")
    parser.add_argument("--at", type=parse_time_of_day, default=(2, 0), metavar="HH:MM", help="default 02:00")
    parser.add_argument("--run-at-start", action="store_true", help="also run once right away")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="after --: the command and its arguments")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (put it after --)")
    if shutil.which(command[0]) is None:
        parser.error("command not found: %s" % command[0])
    daily = Daily(command, args.at[0], args.at[1])
    signal.signal(signal.SIGTERM, daily.on_signal)
    signal.signal(signal.SIGINT, daily.on_signal)
    return daily.loop(run_at_start=args.run_at_start)


if __name__ == "__main__":
    sys.exit(main())
