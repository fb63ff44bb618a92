"""What ``sync-users`` will do: the users file's entries set against the database's rows.

Pure functions of data: no database, no hashing, no output. The sync asks
``checks_needed`` which stored hashes must be verified against the file's
passwords, verifies them (slow, in parallel), and hands the answers to
``plan_sync``, which decides per entry: create, reset the password, disable,
enable, or leave unchanged; and per user of the database that is not in the
file: report it, or disable it with ``--disable-missing`` (within the guards).
The same functions run again inside the write lock, on rows read again, so
that a run that overlapped this one is taken into account. ``writes`` turns a
plan into the rows to write.
"""

import collections
import types
from itertools import chain, compress, repeat
from operator import is_, is_not, itemgetter
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple

from prospector_scheduler.errors import DataError, ErrorList
from prospector_scheduler.user_entries import ReadOnlySequence, UserEntries

CREATE = "created"
RESET = "password reset"
DISABLE = "disabled"
ENABLE = "enabled"
UNCHANGED = "unchanged"
NOT_IN_FILE = "not in file"
# The changes an action can make, in the order they are listed and logged.
CHANGES = (CREATE, RESET, DISABLE, ENABLE)
# What the summary counts, in its order.
KINDS = (CREATE, RESET, DISABLE, ENABLE, UNCHANGED, NOT_IN_FILE)

# What a lookup of a username that the database does not hold gives.
_NEW = object()

# --max-disable's default: a run that would disable more users not in the file is refused.
MAX_DISABLE = 10


class StoredUsers(NamedTuple):
    """What the database holds that a sync needs (see ``store.UserStore.snapshot``).

    ``emails`` maps every stored username to its email (None where none is
    stored); ``hashes`` maps usernames to their real password hash (a
    disabled user's kept hash; None when it has none), for at least every
    user of the file that asks for a reset and every disabled user;
    ``disabled`` maps every disabled username to its ``disabled_at``.
    """

    emails: dict
    hashes: dict
    disabled: Any = types.MappingProxyType({})


def hashes_wanted(entries):
    """The usernames whose stored hash a plan may need: those the file asks to reset."""
    entries = UserEntries.of(entries)
    return list(compress(entries.column("username"), entries.column("reset_on_next_run")))


class Check(NamedTuple):
    """A stored hash to verify against the file's password before deciding on a reset."""

    username: str
    password: str
    stored_hash: str

    def __repr__(self):
        return "Check(username=%r, password=<hidden>, stored_hash=<hidden>)" % self.username


class Action(NamedTuple):
    """What happens to one user: of the file (``entry``), or of the database only (``entry`` None).

    ``changes`` holds the changes made, in ``CHANGES`` order (empty: nothing
    is written). ``stored_email`` is the email in the database (None for a
    new user); ``disabled_before`` the stored ``disabled_at`` (None when the
    user is enabled or new). ``given_hash`` is the file's ``password_hash`` to
    write as it is, or None when a write needs the file's password hashed
    first (or, for a user created disabled without one, no hash at all).
    """

    username: str
    entry: Any
    stored_email: Optional[str]
    given_hash: Optional[str]
    changes: Tuple[str, ...]
    disabled_before: Optional[str]

    def __repr__(self):
        return "Action(username=%r, changes=%r)" % (self.username, self.changes)

    @property
    def kind(self):
        """The first of the changes; else ``UNCHANGED``, or ``NOT_IN_FILE`` for a user not in the file."""
        if self.changes:
            return self.changes[0]
        return UNCHANGED if self.entry is not None else NOT_IN_FILE

    @property
    def new_password(self):
        """Whether the action writes a password from the file (created with one, or reset)."""
        return RESET in self.changes or (
            CREATE in self.changes
            and (self.given_hash is not None or self.entry.password is not None)
        )

    @property
    def needs_hashing(self):
        """Whether the write needs the file's password hashed (a given hash needs none)."""
        return self.new_password and self.given_hash is None

    @property
    def disabled_after(self):
        """Whether the user is disabled once the action is written."""
        return DISABLE in self.changes or (self.disabled_before is not None and ENABLE not in self.changes)

    @property
    def email_differs(self):
        """For an existing user: the file names an email other than the stored one (never written)."""
        return (
            self.entry is not None
            and CREATE not in self.changes
            and self.entry.email is not None
            and self.entry.email != self.stored_email
        )


class Actions(ReadOnlySequence):
    """``Plan.actions``: the action of every entry of the file, in file order, made when asked for.

    ``decided`` maps the index of each entry that asks for something (a new
    user, a reset, a disabled key, a disabled user) to its ``Action``. Every
    other entry's action is the same: unchanged, of an enabled user of the
    database whose email is ``stored_emails[index]``; it is made on access,
    so that a nightly run of 100,000 unchanged users makes none of them. It
    compares equal to a list or tuple of the same actions.
    """

    __slots__ = ("entries", "stored_emails", "decided")

    def __init__(self, entries, stored_emails, decided=None):
        self.entries = entries  # user_entries.UserEntries
        self.stored_emails = stored_emails
        self.decided = {} if decided is None else decided

    def __len__(self):
        return len(self.stored_emails)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("Actions index out of range")
        action = self.decided.get(index)
        if action is None:
            entry = self.entries[index]
            action = Action(entry.username, entry, self.stored_emails[index], None, (), None)
        return action

    def __iter__(self):
        return map(self.__getitem__, range(len(self)))

    def __add__(self, other):
        return list(self) + list(other)

    def __radd__(self, other):
        return list(other) + list(self)


# Action.changes by position: an item of a tuple is cheaper to get than an attribute.
_changes_of_action = itemgetter(Action._fields.index("changes"))


class Plan(NamedTuple):
    """The actions for every entry of the file, in file order, then for every user not in it.

    ``missing`` holds one action per user of the database that the file does
    not name, ordered by username: disabled when the run was asked to
    (``--disable-missing``), else only reported. ``changing`` holds the
    actions that change something, in the order of ``actions`` then
    ``missing``, as ``plan_sync`` found them, so that the 100,000 unchanged
    users of a nightly run are not searched again for the few that change
    (None: searched when asked).
    """

    actions: Sequence[Action]  # Actions, or a list
    missing: List[Action] = []
    changing: Optional[List[Action]] = None

    def of_kind(self, kind):
        """The actions making the change ``kind``; or, for ``UNCHANGED`` and ``NOT_IN_FILE``, those users."""
        if kind == UNCHANGED:
            return [action for action in self.actions if not action.changes]
        if kind == NOT_IN_FILE:
            return list(self.missing)
        return [action for action in self.actions + self.missing if kind in action.changes]

    def counts(self):
        """``{kind: number}`` for every kind of ``KINDS``, zeros included (as ``of_kind`` counts).

        Only the actions that change something are counted one by one: the
        unchanged are counted by a subtraction.
        """
        counts = dict.fromkeys(KINDS, 0)
        changing = self.changes()
        for changes, number in collections.Counter(map(_changes_of_action, changing)).items():
            for kind in changes:
                counts[kind] += number
        changing_missing = len(list(filter(_changes_of_action, self.missing)))
        counts[UNCHANGED] = len(self.actions) - (len(changing) - changing_missing)
        counts[NOT_IN_FILE] = len(self.missing)
        return counts

    def changes(self):
        """Every action that writes something."""
        if self.changing is not None:
            return list(self.changing)
        return list(filter(_changes_of_action, chain(self.actions, self.missing)))


class Writes(NamedTuple):
    """The rows a plan writes, in the order the store applies them.

    ``new_users``: ``(username, email, password_hash, disabled)``, the hash
    None for a user created disabled without a password; ``enable``: usernames whose kept
    hash returns; ``set_hashes``: ``(username, hash)`` for enabled users
    (those just enabled included); ``keep_hashes``: ``(username, hash)`` for
    users that stay disabled; ``disable``: usernames to lock; ``changes``:
    ``(username, change)`` for the ``user_changes`` log.
    """

    new_users: list
    enable: list
    set_hashes: list
    keep_hashes: list
    disable: list
    changes: list


def checks_needed(entries, stored, answered=()):
    """The ``Check`` for every entry to reset whose stored hash might already be right.

    ``stored`` is a ``StoredUsers``; pairs ``(username, stored_hash)`` in
    ``answered`` are left out, so that after reading the database again only
    hashes that changed meanwhile are checked again.
    """
    checks = []
    entries = UserEntries.of(entries)
    for index in compress(range(len(entries)), entries.column("reset_on_next_run")):
        entry = entries[index]
        if entry.password is None or entry.username not in stored.emails:
            continue
        stored_hash = stored.hashes[entry.username]
        if stored_hash is not None and (entry.username, stored_hash) not in answered:
            checks.append(Check(entry.username, entry.password, stored_hash))
    return checks


def plan_sync(entries, stored, current, source, disable_missing=False, max_disable=MAX_DISABLE, place_of=None):
    """Decide what happens to each entry, and to each user not in the file.

    ``stored`` is a ``StoredUsers``. ``current`` maps ``(username,
    stored_hash)`` to True when that stored hash verifies the file's password
    and needs no rehashing under the current policy, else False; it must
    answer every ``checks_needed`` pair. ``source`` names the users file in
    error messages. ``disable_missing`` disables the users not in the file,
    unless the file has no users at all or more than ``max_disable`` of them
    would be disabled (None: no limit): then ``DataError``. Raises
    ``ErrorList`` if an entry cannot be done, each error placed by
    ``place_of(index)`` (``users_file.UsersFile.place_of``) when given, else
    by the entry's own line and column. The usernames of ``entries`` are
    unique, as in a users file.
    """
    errors = []
    emails = stored.emails
    entries = UserEntries.of(entries)
    count = len(entries)
    usernames = entries.column("username")
    stored_emails = list(map(emails.get, usernames, repeat(_NEW)))
    # Most entries of a nightly run ask for nothing: a user of the database,
    # enabled, without a reset or a disabled key. Such an action is made only
    # when asked for (see Actions); the loop decides the entries that ask for
    # something, found column by column in C with no Python-level step per user.
    actions = Actions(entries, stored_emails)
    # The indexes of the entries that ask for something; each column is
    # searched only when a cheap count (identity comparisons) shows it must be.
    asking = set()
    new_users = stored_emails.count(_NEW)
    if new_users:
        asking.update(compress(range(count), map(is_, stored_emails, repeat(_NEW))))
    resets = entries.column("reset_on_next_run")
    if any(resets):
        asking.update(compress(range(count), resets))
    disabled_given = entries.column("disabled")
    if disabled_given.count(None) != count:
        asking.update(compress(range(count), map(is_not, disabled_given, repeat(None))))
    if not stored.disabled.keys().isdisjoint(usernames):
        asking.update(compress(range(count), map(stored.disabled.__contains__, usernames)))
    asking = sorted(asking)
    for index in asking:
        entry = entries[index]
        disabled = entry.disabled
        if entry.username not in emails:
            if disabled:
                # A user created disabled needs no password: it can get one when it is enabled.
                actions.decided[index] = Action(entry.username, entry, None, entry.password_hash, (CREATE, DISABLE), None)
                continue
            if entry.password is None and entry.password_hash is None:
                errors.append(DataError('users[%d]: "%s" is a new user and needs a password or a password_hash'
                                        % (index, entry.username), source, *_place(entry, index, place_of)))
                continue
            actions.decided[index] = Action(entry.username, entry, None, entry.password_hash, (CREATE,), None)
            continue
        disabled_before = stored.disabled.get(entry.username)
        changes = []
        given_hash = None
        if entry.reset_on_next_run:
            real_hash = stored.hashes[entry.username]
            if entry.password_hash is not None:
                given_hash = entry.password_hash
                right = entry.password_hash == real_hash
            elif real_hash is None:
                right = False
            else:
                key = (entry.username, real_hash)
                if key not in current:
                    raise ValueError("the stored hash of %r was not checked" % entry.username)
                right = current[key]
            if not right:
                changes.append(RESET)
        if disabled and disabled_before is None:
            changes.append(DISABLE)
        elif disabled is False and disabled_before is not None:
            if stored.hashes.get(entry.username) is None and RESET not in changes:
                errors.append(DataError(
                    'users[%d]: "%s" has no password to restore (it was created disabled without one): '
                    'to enable it, give it a password or password_hash with reset_on_next_run: true'
                    % (index, entry.username), source, *_place(entry, index, place_of)))
                continue
            changes.append(ENABLE)
        actions.decided[index] = Action(entry.username, entry, emails[entry.username], given_hash, tuple(changes),
                                disabled_before)
    if errors:
        raise ErrorList(errors)
    changing = list(filter(_changes_of_action, map(actions.decided.get, asking)))
    missing = []
    # Usernames are unique in a users file: every stored user is in it when as many of its entries are.
    not_in_file = () if count - new_users == len(emails) else emails.keys() - set(usernames)
    for username in sorted(not_in_file):
        disabled_before = stored.disabled.get(username)
        changes = (DISABLE,) if disable_missing and disabled_before is None else ()
        missing.append(Action(username, None, emails[username], None, changes, disabled_before))
    if disable_missing:
        check_guards(entries, missing, len(emails), source, max_disable)
    changing.extend(filter(_changes_of_action, missing))
    return Plan(actions, missing, changing)


def _place(entry, index, place_of):
    """``(line, column)`` of the entry at ``index``, for a message."""
    if place_of is None:
        return entry.line, entry.column
    return place_of(index)


def check_guards(entries, missing, stored_count, source, max_disable):
    """Refuse a ``--disable-missing`` run on an empty file, or one that disables too many."""
    if not entries:
        raise DataError(
            "the file lists no users, so --disable-missing would disable every user of the database "
            "(%d): refusing, since an empty file is more likely a mistake than a wish; to disable users, "
            "list them with \"disabled: true\"" % stored_count, source)
    disabling = sum(1 for action in missing if action.changes)
    if max_disable is not None and disabling > max_disable:
        raise DataError(
            "--disable-missing would disable %d users that are not in the file, more than --max-disable %d: "
            "refusing; check the file, then allow it with --max-disable %d (or --max-disable all)"
            % (disabling, max_disable, disabling), source)


def hashes_missing(plan, hashes):
    """The actions of ``plan`` that need a password hashed and have none in ``hashes``.

    ``hashes`` maps usernames to hashes of the file's passwords made earlier.
    """
    return [action for action in plan.changes() if action.needs_hashing and action.username not in hashes]


def writes(plan, hashes):
    """The ``Writes`` of ``plan``; ``hashes`` must hold every hash the plan needs."""
    new_users = []
    enable = []
    set_hashes = []
    keep_hashes = []
    disable = []
    changes = []
    for action in plan.changes():
        changes.extend((action.username, change) for change in action.changes)
        new_hash = None
        if action.new_password:
            new_hash = action.given_hash if action.given_hash is not None else hashes[action.username]
        if CREATE in action.changes:
            new_users.append((action.username, action.entry.email, new_hash, DISABLE in action.changes))
            continue
        if ENABLE in action.changes:
            enable.append(action.username)
        if RESET in action.changes:
            if action.disabled_before is not None and ENABLE not in action.changes:
                keep_hashes.append((action.username, new_hash))
            else:
                set_hashes.append((action.username, new_hash))
        if DISABLE in action.changes:
            disable.append(action.username)
    return Writes(new_users, enable, set_hashes, keep_hashes, disable, changes)
