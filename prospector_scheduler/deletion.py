"""Deleting accounts for good: the second, explicit step of offboarding.

Only a disabled user can be deleted ("disable it first"), so that deleting is
never the first thing that happens to an account, and one transaction deletes
every user named or none: an unknown or enabled name refuses the whole
request. Each deletion is logged in ``user_changes`` (never a hash). Asking
for confirmation is the caller's: ``delete_users`` takes a ``confirm``
callable that sees the names after they were checked and before the write
lock is taken. It never prints.
"""

import socket

from prospector_scheduler.errors import DataError, ErrorList

COMMAND = "delete-users"


def refusals(usernames, disabled, known, path):
    """The ``DataError`` of each name that cannot be deleted: unknown, or not disabled."""
    from prospector_scheduler.printable import printable

    errors = []
    for username in usernames:
        if username not in known:
            errors.append(DataError('no user "%s" in the database %s; nothing deleted' % (printable(username), path)))
        elif username not in disabled:
            errors.append(DataError(
                '"%s" is not disabled: disable it first ("disabled: true" in the users file, or sync-users '
                '--disable-missing without it), then delete it; nothing deleted' % printable(username)))
    return errors


def _check(database, usernames):
    _, stored = database.snapshot([])
    errors = refusals(usernames, stored.disabled, stored.emails, database.path)
    if errors:
        raise ErrorList(errors)


def delete_users(db_path, usernames, confirm=None, wait=30.0, os_user=None):
    """Delete the disabled users ``usernames`` from ``db_path``, all or none; returns the names deleted.

    ``confirm(names)`` returns False to stop before anything is written (the
    result is then ``[]``). Raises ``ErrorList`` of ``DataError`` (65) when a
    name is unknown or not disabled, ``CantCreateError`` (73) when there is no
    database.
    """
    from prospector_scheduler import store, sync, user_changes

    names = []
    for username in usernames:
        if username not in names:
            names.append(username)
    with store.open_database(db_path, create=False, wait=wait, upgrade=False) as database:
        _check(database, names)
        if confirm is not None and not confirm(names):
            return []
        with database.write_transaction():
            database.upgrade()
            # Read again under the lock: a sync may have enabled or deleted one meanwhile.
            _check(database, names)
            database.delete_users(names)
            now = store.utc_now()
            who = os_user if os_user is not None else sync.operating_system_user()
            database.add_user_changes([
                user_changes.UserChange(now, username, "deleted", None, COMMAND, who, socket.gethostname())
                for username in names
            ])
    return names
