"""What ``sync-users`` will do: the users file's entries set against the database's rows.

Pure functions of data: no database, no hashing, no output. The command asks
``checks_needed`` which stored hashes must be verified against the file's
passwords, verifies them (slow, in parallel), and hands the answers to
``plan_sync``, which decides per entry: create, reset the password, or leave
unchanged. The same functions run again inside the write lock, on rows read
again, so that a run that overlapped this one is taken into account.
"""

import types
from typing import Any, List, NamedTuple, Optional

from prospector_scheduler.errors import DataError, ErrorList

CREATE = "created"
RESET = "password reset"
UNCHANGED = "unchanged"
KINDS = (CREATE, RESET, UNCHANGED)


class StoredUsers(NamedTuple):
    """What the database holds that a sync needs (see ``store.UserStore.snapshot``).

    ``emails`` maps every stored username to its email (None where none is
    stored); ``hashes`` maps usernames to their password hash, for at least
    every user of the file that asks for a reset (a disabled user's kept
    hash, None when it has none); ``disabled`` maps every disabled username
    to its ``disabled_at``.
    """

    emails: dict
    hashes: dict
    disabled: Any = types.MappingProxyType({})


def hashes_wanted(entries):
    """The usernames whose stored hash a plan may need: those the file asks to reset."""
    return [entry.username for entry in entries if entry.reset_on_next_run]


class Check(NamedTuple):
    """A stored hash to verify against the file's password before deciding on a reset."""

    username: str
    password: str
    stored_hash: str

    def __repr__(self):
        return "Check(username=%r, password=<hidden>, stored_hash=<hidden>)" % self.username


class Action(NamedTuple):
    """What happens to one user of the file.

    ``entry`` is the ``users_file.UserEntry``; ``stored_email`` the email in
    the database (None for a new user). ``given_hash`` is the file's
    ``password_hash`` to write as it is, or None when a write needs the
    file's password hashed first.
    """

    kind: str
    entry: Any
    stored_email: Optional[str]
    given_hash: Optional[str]

    def __repr__(self):
        return "Action(kind=%r, username=%r)" % (self.kind, self.entry.username)

    @property
    def username(self):
        return self.entry.username

    @property
    def needs_hashing(self):
        """Whether the write needs the file's password hashed (a given hash needs none)."""
        return self.kind != UNCHANGED and self.given_hash is None

    @property
    def email_differs(self):
        """For an existing user: the file names an email other than the stored one (never written)."""
        return (
            self.kind != CREATE
            and self.entry.email is not None
            and self.entry.email != self.stored_email
        )


class Plan(NamedTuple):
    """The actions for every entry of the file, in file order."""

    actions: List[Action]

    def of_kind(self, kind):
        return [action for action in self.actions if action.kind == kind]

    def counts(self):
        """``{kind: number}`` for every kind, zeros included."""
        counts = dict((kind, 0) for kind in KINDS)
        for action in self.actions:
            counts[action.kind] += 1
        return counts

    def changes(self):
        return [action for action in self.actions if action.kind != UNCHANGED]


def checks_needed(entries, stored, answered=()):
    """The ``Check`` for every entry to reset whose stored hash might already be right.

    ``stored`` is a ``StoredUsers``; pairs ``(username, stored_hash)`` in
    ``answered`` are left out, so that after reading the database again only
    hashes that changed meanwhile are checked again.
    """
    checks = []
    for entry in entries:
        if not entry.reset_on_next_run or entry.password is None or entry.username not in stored.emails:
            continue
        stored_hash = stored.hashes[entry.username]
        if (entry.username, stored_hash) not in answered:
            checks.append(Check(entry.username, entry.password, stored_hash))
    return checks


def plan_sync(entries, stored, current, source):
    """Decide what happens to each entry; raise ``ErrorList`` if any cannot be done.

    ``stored`` is a ``StoredUsers``. ``current`` maps ``(username,
    stored_hash)`` to True when that stored hash verifies the file's password
    and needs no rehashing under the current policy, else False; it must
    answer every ``checks_needed`` pair. ``source`` names the users file in
    error messages.
    """
    actions = []
    errors = []
    emails = stored.emails
    for index, entry in enumerate(entries):
        if entry.username not in emails:
            if entry.password is None and entry.password_hash is None:
                errors.append(
                    DataError(
                        'users[%d]: "%s" is a new user and needs a password or a password_hash'
                        % (index, entry.username),
                        source,
                        entry.line,
                        entry.column,
                    )
                )
                continue
            actions.append(Action(CREATE, entry, None, entry.password_hash))
        elif not entry.reset_on_next_run:
            actions.append(Action(UNCHANGED, entry, emails[entry.username], None))
        elif entry.password_hash is not None:
            kind = UNCHANGED if entry.password_hash == stored.hashes[entry.username] else RESET
            actions.append(Action(kind, entry, emails[entry.username], entry.password_hash))
        else:
            key = (entry.username, stored.hashes[entry.username])
            if key not in current:
                raise ValueError("the stored hash of %r was not checked" % entry.username)
            kind = UNCHANGED if current[key] else RESET
            actions.append(Action(kind, entry, emails[entry.username], None))
    if errors:
        raise ErrorList(errors)
    return Plan(actions)


def hashes_missing(plan, hashes):
    """The actions of ``plan`` that need a password hashed and have none in ``hashes``.

    ``hashes`` maps usernames to hashes of the file's passwords made earlier.
    """
    return [action for action in plan.actions if action.needs_hashing and action.username not in hashes]


def writes(plan, hashes):
    """``(new users, password changes)``: the rows to insert and the hashes to set.

    New users are ``(username, email, password_hash)``; changes are
    ``(username, password_hash)``. ``hashes`` must hold every hash the plan needs.
    """
    created = []
    reset = []
    for action in plan.changes():
        password_hash = action.given_hash if action.given_hash is not None else hashes[action.username]
        if action.kind == CREATE:
            created.append((action.username, action.entry.email, password_hash))
        else:
            reset.append((action.username, password_hash))
    return created, reset

