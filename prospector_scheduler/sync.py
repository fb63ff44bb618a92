"""A sync: make the database's users match a users file, in one transaction.

The library behind ``sync-users`` (and anything else that wants a sync without
argparse): ``sync_file`` reads and checks the users file, then ``sync_users``
plans against a snapshot of the database, verifies and hashes passwords in
parallel before taking the write lock, plans again under the lock when another
run committed meanwhile, and writes every change with one ``sync_runs`` audit
row, or nothing. It never prints: warnings go to a ``warn(message)`` callable,
failures are ``ProspectorError``; the result is a ``SyncResult`` for the caller
to report. Deciding what to do is ``sync_plan``; the file is ``users_file``;
the database is ``store``; hashing is ``passwords``.

sqlite3, hashlib and concurrent.futures are imported inside the functions:
every command module imports this one at start-up through the registry.
"""

import collections
import os

# Not typing.NamedTuple: typing is slow to import at start-up.
_SyncResult = collections.namedtuple("SyncResult", "plan dry_run database_created")


class SyncResult(_SyncResult):
    """What a sync did (or, with ``dry_run``, would do).

    ``plan`` is the ``sync_plan.Plan`` that was written; ``database_created``
    is True when this run created the database file.
    """

    __slots__ = ()


def _ignore(message):
    pass


def sync_file(path, db_path, stdin=None, input_format=None, wait=30.0, dry_run=False, environ=None, warn=None,
              disable_missing=False, max_disable=10):
    """Read the users file ``path`` (``"-"``: ``stdin``) and sync it into ``db_path``.

    See ``sync_users``; the file is read and checked before the database is
    looked at. Raises ``NoInputError`` (66) and ``ErrorList`` (65) for the file.
    """
    from prospector_scheduler import config_schema, store, users_file

    warn = _ignore if warn is None else warn
    started_at = store.utc_now()

    def read_and_sync():
        loaded = users_file.read(path, stdin=stdin, format=input_format, warn=warn)
        return sync_users(loaded, db_path, wait=wait, dry_run=dry_run, environ=environ, warn=warn,
                          started_at=started_at, disable_missing=disable_missing, max_disable=max_disable)

    # One pause of the garbage collector for reading and syncing: running in
    # between, it would scan every entry just read (see sync_users).
    return config_schema.without_garbage_collection(read_and_sync)


def sync_users(loaded, db_path, wait=30.0, dry_run=False, environ=None, warn=None, started_at=None,
               disable_missing=False, max_disable=10):
    """Make the users of the database ``db_path`` match ``loaded`` (a ``users_file.UsersFile``).

    ``wait`` is how many seconds to wait for another run's write lock;
    ``dry_run`` plans against the database opened read-only (or an empty one
    when there is none) and writes nothing. ``environ`` gives the hashing
    policy's variables (default ``os.environ``). ``disable_missing`` disables
    the users of the database that the file does not list, refusing (65)
    when the file lists no users or when more than ``max_disable`` (None: no
    limit) would be disabled. Returns a ``SyncResult``.

    The cyclic garbage collector is paused while it runs, and runs again on
    return while the result is alive: its first collection then scans every
    object of the plan (a few percent of a 100,000-user run). A caller that
    holds the result of a large sync may keep the collector paused until it
    lets go of it, as ``sync-users`` does.
    """
    from prospector_scheduler import config_schema

    # A sync of many users makes hundreds of thousands of small containers and
    # no reference cycles; the cyclic collector would rescan them again and
    # again (a quarter of the time of a 100,000-user sync that changes nothing).
    options = {"disable_missing": disable_missing, "max_disable": max_disable, "place_of": loaded.place_of}
    return config_schema.without_garbage_collection(
        _sync, loaded, db_path, wait, dry_run, os.environ if environ is None else environ,
        _ignore if warn is None else warn, started_at, options)


def _sync(loaded, path, wait, dry_run, environ, warn, started_at, options):
    from prospector_scheduler import database_files, store, sync_plan

    if started_at is None:
        started_at = store.utc_now()
    hashing = Hashing(environ, warn, loaded.source)
    # Everything that can fail on the file's account (its content, a new user
    # without a password, a password that cannot be hashed) fails before the
    # database is created, upgraded or written.
    if database_files.exists(path):
        database = store.open_database(path, wait=wait, read_only=dry_run, upgrade=False)
    else:
        database_files.check_creatable(path)
        database = None
    created_database = False
    try:
        wanted = sync_plan.hashes_wanted(loaded.entries)
        if database is not None:
            version, stored = database.snapshot(wanted)
        else:
            version, stored = None, sync_plan.StoredUsers({}, {}, {})
        answers = {}
        plan = hashing.plan(loaded.entries, stored, answers, options)
        if dry_run:
            return SyncResult(plan, True, False)
        hashes = hashing.hash_for(sync_plan.hashes_missing(plan, {}))
        if database is None:
            database = store.open_database(path, create=True, wait=wait, upgrade=False)
            created_database = database.created
        with database.write_transaction():
            database.upgrade()
            if version is None or database.data_version() != version:
                # Another run committed since the snapshot (or there was no
                # database): decide again on what is there now, verifying and
                # hashing only what is new.
                version, stored = database.snapshot(wanted)
                plan = hashing.plan(loaded.entries, stored, answers, options)
                hashes.update(hashing.hash_for(sync_plan.hashes_missing(plan, hashes)))
            write(database, sync_plan.writes(plan, hashes), audit_record(loaded, plan, started_at))
    except BaseException:
        if database is not None:
            database.close()
            database = None
        if created_database:
            # A first write that failed (a full disk, say) leaves no empty file behind.
            database_files.remove_if_empty(path)
        raise
    finally:
        if database is not None:
            database.close()
    return SyncResult(plan, False, created_database)


def write(database, writes, run):
    """Apply a plan's ``sync_plan.Writes`` inside the write transaction, with the run's audit rows."""
    from prospector_scheduler import store, user_changes, users_table

    now = store.utc_now()
    run_id = database.add_sync_run(run)
    database.add_users([
        users_table.NewUser(username, email, users_table.DISABLED_HASH, password_hash, now) if disabled
        else users_table.NewUser(username, email, password_hash)
        for username, email, password_hash, disabled in writes.new_users
    ], now)
    database.enable_users(writes.enable, now)
    database.set_password_hashes(writes.set_hashes, now)
    database.keep_password_hashes(writes.keep_hashes, now)
    database.disable_users(writes.disable, now)
    database.add_user_changes([
        user_changes.UserChange(now, username, change, run_id, "sync-users", run.os_user, run.host)
        for username, change in writes.changes
    ])


class Hashing(object):
    """The slow part of a sync: verifying stored hashes and hashing passwords, in parallel.

    The hashing policy is worked out on first use. Its warnings (the PBKDF2
    fallback where scrypt is missing) are given once, when a hash is first
    made: a run that only checks stored hashes (the nightly cron run where
    nothing changed) is silent.
    """

    def __init__(self, environ, warn, source):
        from prospector_scheduler import hash_workers

        hash_workers.workers_from_text(environ.get(hash_workers.WORKERS_VARIABLE))  # refused before any work
        self.environ = environ
        self.warn = warn
        self.source = source
        self._policy = None
        self._policy_warnings = []

    def policy(self):
        if self._policy is None:
            from prospector_scheduler import passwords

            self._policy = passwords.policy_from_environ(self.environ, warn=self._policy_warnings.append)
        return self._policy

    def policy_for_hashing(self):
        """The policy, giving its held-back warnings (once per run) now that a hash is made."""
        policy = self.policy()
        while self._policy_warnings:
            self.warn(self._policy_warnings.pop(0))
        return policy

    def plan(self, entries, stored, answers, options):
        """``sync_plan.plan_sync`` after verifying the stored hashes it needs; fills ``answers``."""
        from prospector_scheduler import sync_plan

        checks = sync_plan.checks_needed(entries, stored, answers)
        if checks:
            answers.update(self.verify(checks))
        return sync_plan.plan_sync(entries, stored, answers, self.source, **options)

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
        pairs = [(check.password, check.stored_hash) for check in to_verify]
        for check, right in zip(to_verify, passwords.verify_many(pairs, environ=self.environ)):
            answers[(check.username, check.stored_hash)] = right
        return answers

    def hash_for(self, actions):
        """``{username: new hash}`` of the file's password of each action."""
        if not actions:
            return {}
        from prospector_scheduler import passwords
        from prospector_scheduler.errors import DataError

        labelled = [('the password of "%s"' % action.username, action.entry.password) for action in actions]
        try:
            made = passwords.hash_many(labelled, self.policy_for_hashing(), warn=self.warn, environ=self.environ)
        except DataError as error:
            raise DataError(error.message, self.source) from None
        return dict(zip([action.username for action in actions], made))


def audit_record(loaded, plan, started_at):
    """The ``sync_runs`` row of this run: where the file came from, the counts, who and where."""
    import socket

    from prospector_scheduler import __version__, store, sync_plan, sync_runs

    counts = plan.counts()
    source = loaded.source if loaded.source == "<stdin>" else printable_path(os.path.abspath(loaded.source))
    return sync_runs.SyncRun(
        started_at=started_at,
        ended_at=store.utc_now(),
        source=source,
        source_sha256=source_digest(loaded.entries),
        created=counts[sync_plan.CREATE],
        password_reset=counts[sync_plan.RESET],
        unchanged=counts[sync_plan.UNCHANGED],
        host=socket.gethostname(),
        os_user=operating_system_user(),
        tool_version=__version__,
        disabled=counts[sync_plan.DISABLE],
        enabled=counts[sync_plan.ENABLE],
        not_in_file=counts[sync_plan.NOT_IN_FILE],
    )


# One flag character per (password given, password_hash given, reset_on_next_run, disabled),
# with the tab before the flags and the line's end: see source_digest.
_DISABLED_FLAGS = {True: "d", False: "e", None: "-"}
_FLAGS = dict(
    ((password, password_hash, reset, disabled),
     "\t%s%s%s%s\n" % ("p" if password else "-", "h" if password_hash else "-", "r" if reset else "-",
                       _DISABLED_FLAGS[disabled]))
    for password in (True, False) for password_hash in (True, False) for reset in (True, False)
    for disabled in (True, False, None))
# dict.get(email, email): "" for a missing email, else the email itself.
_NO_EMAIL = {None: ""}


def source_digest(entries):
    """What ``sync_runs.source_sha256`` records: a digest of the users file that no secret enters.

    ``nosecrets2-sha256:`` and the SHA-256 (hex) of UTF-8 text with one line
    per entry, in file order: ``username TAB email TAB flags LF``, the email
    empty when none is given, the flags four characters: ``p`` or ``-``
    (a password given), ``h`` or ``-`` (a password_hash given), ``r`` or
    ``-`` (reset_on_next_run true), ``d``, ``e`` or ``-`` (disabled true,
    false, or not given). No password or hash enters it, only whether each
    was given, so a password guess cannot be checked against it. It changes
    when a username, an email, a flag or the entries' order changes; not
    when only a password or a hash does, nor between YAML and JSON spellings
    of the same entries. The lines cannot be confused: the users file's
    check refuses control characters (tab and line feed among them) in
    usernames and emails, and white space in emails.

    Built from the entries' columns (``map``, one join), with no
    Python-level step per entry: the digest of a 100,000-user file is part
    of every nightly sync.
    """
    import hashlib
    from itertools import chain, repeat
    from operator import is_not

    from prospector_scheduler import sync_runs
    from prospector_scheduler.user_entries import UserEntries

    text = ""
    if entries:
        column = UserEntries.of(entries).column
        emails = column("email")
        if None in emails:
            emails = map(_NO_EMAIL.get, emails, emails)
        flags = _uniform_flags(column, len(entries))
        if flags is None:
            nothing = repeat(None)
            flags = map(_FLAGS.__getitem__, zip(
                map(is_not, column("password"), nothing), map(is_not, column("password_hash"), nothing),
                column("reset_on_next_run"), column("disabled")))
        text = "".join(chain.from_iterable(zip(column("username"), repeat("\t"), emails, flags)))
    return sync_runs.SOURCE_DIGEST_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _uniform_flags(column, count):
    """``repeat(flags)`` when every entry has the same flags (most files), else None; ``count`` > 0.

    Told by counts (of None, of the first value) in C, so that the usual
    file needs no lookup per entry.
    """
    from itertools import repeat

    key = []
    for name in ("password", "password_hash"):
        absent = column(name).count(None)
        if absent not in (0, count):
            return None
        key.append(absent == 0)
    for name in ("reset_on_next_run", "disabled"):
        values = column(name)
        first = values[0]
        if values.count(first) != count:
            return None
        key.append(first)
    return repeat(_FLAGS[tuple(key)])


def operating_system_user():
    """The name of the effective user, from the password database rather than the environment."""
    from prospector_scheduler import database_files

    return database_files.effective_user()


def printable_path(path):
    """``path`` as text that any UTF-8 column or stream takes: bytes of the file name
    that are not UTF-8 become ``\\xNN`` (``us\\xffers.yaml``)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")
