"""The table ``sync_runs``: the audit record of each completed sync (never a password or hash).

``SyncRunsTable`` holds the operations on the table; ``store.UserStore``
mixes it in. Schema version 2 added the columns ``disabled``, ``enabled`` and
``not_in_file`` (``schema``).
"""

from typing import NamedTuple, Optional

# What the sync_runs.source_sha256 values that this version writes start with:
# a digest of the users file that cannot check a password guess (see
# sync.source_digest). Values of older builds start "nosecrets-sha256:" (a
# digest of canonical JSON, not comparable with these) or, before schema
# version 2, are blank (the version-2 migration blanked plain SHA-256s).
SOURCE_DIGEST_PREFIX = "nosecrets2-sha256:"


class SyncRun(NamedTuple):
    """One row of ``sync_runs``: the audit record of a completed sync (never a password or hash)."""

    started_at: str
    ended_at: str
    source: str
    source_sha256: str
    created: int
    password_reset: int
    unchanged: int
    host: str
    os_user: str
    tool_version: str
    disabled: int = 0
    enabled: int = 0
    not_in_file: Optional[int] = None


class SyncRunsTable(object):
    """The operations on ``sync_runs``, mixed into ``store.UserStore`` (they use its connection)."""

    def add_sync_run(self, run):
        """Append one ``SyncRun`` to the audit table; returns its id."""
        with self._errors():
            cursor = self.connection.execute(
                "INSERT INTO sync_runs (%s) VALUES (%s)"
                % (", ".join(SyncRun._fields), ", ".join("?" * len(SyncRun._fields))),
                tuple(run),
            )
            return cursor.lastrowid

    def sync_runs(self):
        """Every recorded sync run, oldest first."""
        schema = self.schema_version()
        if schema < 1:
            return []
        fields = SyncRun._fields if schema >= 2 else SyncRun._fields[:-3]
        with self._errors():
            cursor = self.connection.execute("SELECT %s FROM sync_runs ORDER BY id" % ", ".join(fields))
            return [SyncRun(*row) for row in cursor]
