"""The table ``user_changes``: what happened to which user, when and by what command (never a hash).

``UserChangesTable`` holds the operations on the table; ``store.UserStore``
mixes it in. The table exists from schema version 2 on (``schema``).
"""

from typing import NamedTuple, Optional

CHANGES = ("created", "password reset", "disabled", "enabled", "deleted")


class UserChange(NamedTuple):
    """One row of ``user_changes``: what happened to which user, when, by what (never a hash)."""

    changed_at: str
    username: str
    change: str
    sync_run: Optional[int]
    command: str
    os_user: str
    host: str


class UserChangesTable(object):
    """The operations on ``user_changes``, mixed into ``store.UserStore`` (they use its connection)."""

    def add_user_changes(self, changes):
        """Append ``UserChange`` rows to ``user_changes``."""
        with self._errors():
            self.connection.executemany(
                "INSERT INTO user_changes (%s) VALUES (%s)"
                % (", ".join(UserChange._fields), ", ".join("?" * len(UserChange._fields))),
                [tuple(change) for change in changes],
            )

    def user_changes(self, username=None):
        """The recorded changes, oldest first; of one user when ``username`` is given."""
        if self.schema_version() < 2:
            return []
        where, parameters = ("", ()) if username is None else (" WHERE username = ?", (username,))
        with self._errors():
            cursor = self.connection.execute(
                "SELECT %s FROM user_changes%s ORDER BY id" % (", ".join(UserChange._fields), where), parameters
            )
            return [UserChange._make(row) for row in cursor]
