"""The table ``users``: one row per user, with its password hash, and how a disabled user keeps it.

``UsersTable`` holds the operations on the table; ``store.UserStore`` mixes it
in, so they are methods of an open database and run on its connection and
inside its transactions. The schema of the table is ``schema``'s; what to
write is ``sync_plan``'s.
"""

from typing import NamedTuple, Optional

# The password_hash of a disabled user: no hash at all, in no format that any
# verifier accepts (no "$", so not even a lenient PHC parser finds fields).
# The user's real hash waits in kept_password_hash until the user is enabled.
DISABLED_HASH = "!disabled"

# Host parameters in one statement: SQLite before 3.32 allows at most 999.
SQL_VARIABLES = 500


class UserRow(NamedTuple):
    """One row of ``users``; times are ISO 8601 UTC text such as ``2024-05-01T02:00:00Z``.

    A disabled user has ``disabled_at`` set, ``DISABLED_HASH`` as its
    ``password_hash``, and its real hash (or None) in ``kept_password_hash``.
    """

    id: int
    username: str
    email: Optional[str]
    password_hash: str
    created_at: str
    updated_at: str
    disabled_at: Optional[str] = None
    kept_password_hash: Optional[str] = None

    def __repr__(self):
        return "UserRow(id=%r, username=%r, disabled_at=%r)" % (self.id, self.username, self.disabled_at)

    @property
    def real_hash(self):
        """The user's password hash whether disabled or not; None when it has none."""
        return real_hash(self.password_hash, self.kept_password_hash)


def real_hash(password_hash, kept_password_hash):
    """The hash a user's password verifies against: the kept one while disabled."""
    if kept_password_hash is not None:
        return kept_password_hash
    return None if password_hash == DISABLED_HASH else password_hash


class NewUser(NamedTuple):
    """A row to insert into ``users``; a plain ``(username, email, password_hash)`` triple works too."""

    username: str
    email: Optional[str]
    password_hash: str
    kept_password_hash: Optional[str] = None
    disabled_at: Optional[str] = None

    def __repr__(self):
        return "NewUser(username=%r, disabled_at=%r)" % (self.username, self.disabled_at)


class UsersTable(object):
    """The operations on ``users``, mixed into ``store.UserStore`` (they use its connection)."""

    def snapshot(self, hashes_of=None):
        """``(data_version, StoredUsers)`` read in one transaction.

        ``StoredUsers.emails`` maps every username to its email;
        ``StoredUsers.hashes`` maps the usernames in ``hashes_of`` (all, when
        None) that exist to their password hash. A nightly sync needs the
        hashes of the users it may reset only, and at 100,000 users reading
        every hash would cost a third of the run. Comparing the version with
        ``data_version()`` later, inside the write lock, tells whether another
        run changed the database in between.
        """
        with self._errors():
            if not self.connection.in_transaction:
                self.connection.execute("BEGIN")
                try:
                    return self._snapshot(hashes_of)
                finally:
                    self.connection.execute("COMMIT")
            return self._snapshot(hashes_of)

    def _snapshot(self, hashes_of):
        from prospector_scheduler.sync_plan import StoredUsers

        emails = {}
        hashes = {}
        disabled = {}
        schema = self.schema_version()
        if schema >= 1:
            # dict() of the cursor's pairs: no Python-level step per user.
            # An email that another program stored as a BLOB is reported as x'HEX', never as bytes.
            emails = dict(self.connection.execute(
                "SELECT username, CASE WHEN typeof(email) = 'blob' THEN 'x''' || lower(hex(email)) || '''' "
                "ELSE email END FROM users"))
            if schema >= 2:
                # A disabled user's real hash is the kept one (see real_hash).
                column = "COALESCE(kept_password_hash, NULLIF(password_hash, '%s'))" % DISABLED_HASH
                # Few users are disabled: read all their hashes, which enabling one needs.
                for username, disabled_at, real in self.connection.execute(
                        "SELECT username, disabled_at, %s FROM users WHERE disabled_at IS NOT NULL" % column):
                    disabled[username] = disabled_at
                    hashes[username] = real
            else:
                column = "password_hash"
            if hashes_of is None:
                hashes = dict(self.connection.execute("SELECT username, %s FROM users" % column))
            else:
                wanted = sorted(set(hashes_of))
                for start in range(0, len(wanted), SQL_VARIABLES):
                    chunk = wanted[start:start + SQL_VARIABLES]
                    hashes.update(self.connection.execute(
                        "SELECT username, %s FROM users WHERE username IN (%s)"
                        % (column, ", ".join("?" * len(chunk))), chunk))
        # Read last, inside the same read transaction: no commit can come between.
        version = self.connection.execute("PRAGMA data_version").fetchone()[0]
        return version, StoredUsers(emails, hashes, disabled)

    def list_users(self, disabled=None):
        """Every user as a ``UserRow``, ordered by username.

        ``disabled`` True lists the disabled users only, False the enabled ones.
        """
        schema = self.schema_version()
        if schema < 1 or (disabled and schema < 2):
            return []
        columns = "id, username, email, password_hash, created_at, updated_at"
        where = ""
        if schema >= 2:
            columns += ", disabled_at, kept_password_hash"
            if disabled is not None:
                where = " WHERE disabled_at IS %sNULL" % ("NOT " if disabled else "")
        with self._errors():
            cursor = self.connection.execute("SELECT %s FROM users%s ORDER BY username" % (columns, where))
            return [UserRow(*row) for row in cursor]

    def add_users(self, users, now):
        """Insert ``NewUser`` rows (or ``(username, email, password_hash)`` triples), stamped ``now``."""
        rows = [NewUser(*user) for user in users]
        with self._errors(data=True):
            if any(row.disabled_at is not None or row.kept_password_hash is not None for row in rows):
                self.connection.executemany(
                    "INSERT INTO users (username, email, password_hash, kept_password_hash, disabled_at, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [tuple(row) + (now, now) for row in rows],
                )
                return
            self.connection.executemany(
                "INSERT INTO users (username, email, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(row.username, row.email, row.password_hash, now, now) for row in rows],
            )

    def disable_users(self, usernames, now):
        """Lock the enabled users named: their hash goes aside, ``password_hash`` becomes ``DISABLED_HASH``.

        Users already disabled are left as they are.
        """
        with self._errors():
            self.connection.executemany(
                "UPDATE users SET kept_password_hash = COALESCE(NULLIF(password_hash, ?), kept_password_hash), "
                "password_hash = ?, disabled_at = ?, updated_at = ? WHERE username = ? AND disabled_at IS NULL",
                [(DISABLED_HASH, DISABLED_HASH, now, now, username) for username in usernames],
            )

    def enable_users(self, usernames, now):
        """Unlock the disabled users named: the kept hash returns to ``password_hash`` as it was.

        A user without a kept hash keeps its ``password_hash`` (set a new one
        in the same transaction). Users already enabled are left as they are.
        """
        with self._errors():
            self.connection.executemany(
                "UPDATE users SET password_hash = COALESCE(kept_password_hash, password_hash), "
                "kept_password_hash = NULL, disabled_at = NULL, updated_at = ? "
                "WHERE username = ? AND disabled_at IS NOT NULL",
                [(now, username) for username in usernames],
            )

    def keep_password_hashes(self, changes, now):
        """Set the kept hash of disabled users from ``(username, password_hash)`` pairs: a reset while disabled."""
        with self._errors():
            self.connection.executemany(
                "UPDATE users SET kept_password_hash = ?, updated_at = ? WHERE username = ? AND disabled_at IS NOT NULL",
                [(password_hash, now, username) for username, password_hash in changes],
            )

    def delete_users(self, usernames):
        """Delete the users named; returns how many rows went."""
        with self._errors():
            cursor = self.connection.executemany("DELETE FROM users WHERE username = ?", [(name,) for name in usernames])
            return cursor.rowcount


    def set_password_hashes(self, changes, now):
        """Set the hash of each ``(username, password_hash)`` pair, stamping ``updated_at``."""
        with self._errors(data=True):
            self.connection.executemany(
                "UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?",
                [(password_hash, now, username) for username, password_hash in changes],
            )
