"""sync-users: make the database's users match a users file, in one transaction.

A user in the file and not in the database is created; a user in both with
reset_on_next_run: true gets the file's password unless the stored hash already
verifies it under the current hashing policy; every other user, and every user
not in the file, is left as it is (emails of existing users are never changed,
only reported with -v and --dry-run). Passwords are hashed before the write
lock is taken, in parallel; the plan is checked again under the lock, so an
overlapping run cannot cause a duplicate, a lost update or a failure. Every
change is written, with one row in the sync_runs audit table, or none is.

Prints "created N, password reset N, unchanged N" (nothing with -q; one line
per user with -v). --dry-run prints the plan and writes nothing, not even a
missing database. Exits 0 (with or without changes), 65 invalid file, 66
unreadable file, 73 database cannot be opened or created, 74 disk full, 75
another run holds the database for longer than --wait.

Example:  prospector-scheduler --db /var/lib/prospector/prospector.db sync-users /etc/prospector/users.yaml
          sops -d users.yaml | prospector-scheduler sync-users --input-format yaml -
"""

import argparse

from prospector_scheduler import arguments
from prospector_scheduler.registry import command


def seconds(text):
    """An argparse type: a number of seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of seconds, got %r" % text) from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("expected a number of seconds, zero or more, got %r" % text)
    return value


def add_arguments(parser):
    arguments.add_users_file(parser)
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change and write nothing (creates no database)"
    )
    arguments.add_output_format(parser)
    parser.add_argument(
        "--wait",
        type=seconds,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for another run holding the database before exiting 75 (default: 30)",
    )


@command("sync-users", "Make the database's users match a users file, in one transaction.", add_arguments)
def sync_users(ctx, args):
    import gc

    # A sync of many users makes hundreds of thousands of small containers and
    # no reference cycles; the cyclic collector would rescan them again and
    # again (a quarter of the time of a 100,000-user sync that changes nothing).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return sync(ctx, args)
    finally:
        if enabled:
            gc.enable()


def sync(ctx, args):
    """The body of sync-users: read, plan, hash, then write under the lock."""
    import os

    from prospector_scheduler import store, sync_plan, users_file

    started_at = store.utc_now()
    loaded = users_file.read(args.file, stdin=ctx.stdin, format=args.input_format, warn=ctx.log.warning)
    hashing = Hashing(ctx, loaded.source)
    path = ctx.settings.db_path
    # Everything that can fail on the file's account (its content, a new user
    # without a password, a password that cannot be hashed) fails before the
    # database is created, upgraded or written.
    if os.path.exists(path):
        database = store.open_database(path, wait=args.wait, read_only=args.dry_run, upgrade=False)
    else:
        store.check_creatable(path)
        database = None
    try:
        wanted = sync_plan.hashes_wanted(loaded.entries)
        if database is not None:
            version, stored = database.snapshot(wanted)
        else:
            version, stored = None, sync_plan.StoredUsers({}, {})
        answers = {}
        plan = hashing.plan(loaded.entries, stored, answers)
        if args.dry_run:
            report(ctx, args.format, plan, dry_run=True)
            return 0
        hashes = hashing.hash_for(sync_plan.hashes_missing(plan, {}))
        if database is None:
            database = store.open_database(path, create=True, wait=args.wait, upgrade=False)
        with database.write_transaction():
            database.upgrade()
            if version is None or database.data_version() != version:
                # Another run committed since the snapshot (or there was no
                # database): decide again on what is there now, verifying and
                # hashing only what is new.
                version, stored = database.snapshot(wanted)
                plan = hashing.plan(loaded.entries, stored, answers)
                hashes.update(hashing.hash_for(sync_plan.hashes_missing(plan, hashes)))
            created, reset = sync_plan.writes(plan, hashes)
            now = store.utc_now()
            database.add_users(created, now)
            database.set_password_hashes(reset, now)
            database.add_sync_run(audit_record(loaded, plan, started_at))
    finally:
        if database is not None:
            database.close()
    report(ctx, args.format, plan, dry_run=False)
    return 0


class Hashing(object):
    """The slow part of a sync: verifying stored hashes and hashing passwords, in parallel.

    The hashing policy is worked out on first use, so that a run with nothing
    to verify or hash does not warn about it.
    """

    def __init__(self, ctx, source):
        self.ctx = ctx
        self.source = source
        self._policy = None

    def policy(self):
        if self._policy is None:
            from prospector_scheduler import passwords

            self._policy = passwords.policy_from_environ(self.ctx.environ, warn=self.ctx.log.warning)
        return self._policy

    def plan(self, entries, stored, answers):
        """``sync_plan.plan_sync`` after verifying the stored hashes it needs; fills ``answers``."""
        from prospector_scheduler import sync_plan

        checks = sync_plan.checks_needed(entries, stored, answers)
        if checks:
            answers.update(self.verify(checks))
        return sync_plan.plan_sync(entries, stored, answers, self.source)

    def verify(self, checks):
        """``{(username, stored_hash): bool}``: True when the stored hash is already right.

        Right means: not weaker than the current policy, and it verifies the
        file's password. A hash this tool cannot read counts as not right, so
        the file's password replaces it.
        """
        from prospector_scheduler import passwords
        from prospector_scheduler.errors import ProspectorError

        policy = self.policy()
        answers = {}
        to_verify = []
        for check in checks:
            try:
                weak = passwords.needs_rehash(check.stored_hash, policy)
            except ProspectorError:
                weak = True
            if weak:
                answers[(check.username, check.stored_hash)] = False
            else:
                to_verify.append(check)

        def verify_one(check):
            try:
                return passwords.verify_password(check.password, check.stored_hash)
            except ProspectorError:
                return False

        for check, right in zip(to_verify, in_parallel(verify_one, to_verify)):
            answers[(check.username, check.stored_hash)] = right
        return answers

    def hash_for(self, actions):
        """``{username: new hash}`` of the file's password of each action."""
        if not actions:
            return {}
        from prospector_scheduler import passwords
        from prospector_scheduler.errors import DataError

        usernames = [action.username for action in actions]

        def by_username(message):
            return name_the_user(message, usernames)

        try:
            made = passwords.hash_many(
                [action.entry.password for action in actions],
                self.policy(),
                warn=lambda message: self.ctx.log.warning(by_username(message)),
            )
        except DataError as error:
            raise DataError(by_username(error.message), self.source) from None
        return dict(zip(usernames, made))


def name_the_user(message, usernames):
    """Turn hash_many's "password 2 of 5 ..." into "the password of "bob" ..."."""
    import re

    match = re.match(r"password ([0-9]+) of [0-9]+", message)
    if match is None or not 1 <= int(match.group(1)) <= len(usernames):
        return message
    return 'the password of "%s"%s' % (usernames[int(match.group(1)) - 1], message[match.end():])


def in_parallel(function, items, workers=None):
    """``[function(item) ...]`` in up to ``workers`` threads (default: one per CPU).

    hashlib releases the GIL while it hashes, so threads use every core; as
    in ``passwords.hash_many``, at most ``workers`` hashes are in memory at once.
    """
    import os

    workers = min(workers or os.cpu_count() or 1, len(items))
    if workers <= 1:
        return [function(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))


def audit_record(loaded, plan, started_at):
    """The ``sync_runs`` row of this run: where the file came from, the counts, who and where."""
    import os
    import socket

    from prospector_scheduler import __version__, store, sync_plan

    counts = plan.counts()
    source = loaded.source if loaded.source == "<stdin>" else os.path.abspath(loaded.source)
    return store.SyncRun(
        started_at=started_at,
        ended_at=store.utc_now(),
        source=source,
        source_sha256=loaded.sha256,
        created=counts[sync_plan.CREATE],
        password_reset=counts[sync_plan.RESET],
        unchanged=counts[sync_plan.UNCHANGED],
        host=socket.gethostname(),
        os_user=operating_system_user(),
        tool_version=__version__,
    )


def operating_system_user():
    """The name of the effective user, from the password database rather than the environment."""
    import os

    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return "uid %d" % os.geteuid() if hasattr(os, "geteuid") else "unknown"


def report(ctx, output_format, plan, dry_run):
    """Print the result: text (summary, and per user with -v or --dry-run) or one JSON object."""
    from prospector_scheduler import sync_plan

    counts = plan.counts()
    if output_format == "json":
        import json

        result = {
            "dry_run": dry_run,
            "created": [action.username for action in plan.of_kind(sync_plan.CREATE)],
            "password_reset": [action.username for action in plan.of_kind(sync_plan.RESET)],
            "unchanged": [action.username for action in plan.of_kind(sync_plan.UNCHANGED)],
            "email_differs": [
                {"username": action.username, "file": action.entry.email, "database": action.stored_email}
                for action in plan.actions
                if action.email_differs
            ],
            "counts": {
                "created": counts[sync_plan.CREATE],
                "password_reset": counts[sync_plan.RESET],
                "unchanged": counts[sync_plan.UNCHANGED],
            },
        }
        ctx.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    # -q silences a real run; a dry run's plan is what it was asked for.
    if ctx.settings.quiet and not dry_run:
        return
    lines = []
    if ctx.settings.verbose or dry_run:
        for action in plan.actions:
            line = "%s %s" % (action.kind, action.username)
            if action.email_differs:
                line += ": the file's email %s differs from the database's %s, which is kept" % (
                    action.entry.email,
                    action.stored_email if action.stored_email is not None else "(none)",
                )
            lines.append(line)
    summary = ", ".join("%s %d" % (kind, counts[kind]) for kind in sync_plan.KINDS)
    lines.append(summary + (" (dry run)" if dry_run else ""))
    ctx.stdout.write("\n".join(lines) + "\n")
