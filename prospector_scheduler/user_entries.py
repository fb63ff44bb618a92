"""The entries of a users file: one ``UserEntry`` per user, kept column by column.

``UserEntries`` is a read-only sequence of ``UserEntry`` that holds one list
per field (all usernames, all emails, ...) rather than one tuple per user. A
nightly sync of 100,000 users reads its entries by column (every username,
every reset flag) far more than by user, and the users file's quick check
finds them as columns: kept so, a run makes no 100,000 tuples only to take
them apart again. An entry is made when it is asked for (``entries[i]``,
iteration), equal to the one that was read.
"""

import collections.abc
import typing
from itertools import repeat

__all__ = ["UserEntry", "UserEntries", "ReadOnlySequence"]


class UserEntry(typing.NamedTuple):
    """One validated entry of the users file (``line``/``column`` are None for JSON)."""

    username: str
    password: typing.Optional[str]
    password_hash: typing.Optional[str]
    email: typing.Optional[str]
    reset_on_next_run: bool
    line: typing.Optional[int]
    column: typing.Optional[int]
    # True: disable the user; False: enable it; None (absent): leave its state as it is.
    disabled: typing.Optional[bool] = None

    def __repr__(self):
        # The password and its hash are shown only as given or not: a repr may end up in a
        # log, a traceback or a test's failure message.
        return ("UserEntry(username=%r, password=%s, password_hash=%s, email=%r, reset_on_next_run=%r, "
                "line=%r, column=%r, disabled=%r)" % (
                    self.username, _hidden(self.password), _hidden(self.password_hash), self.email,
                    self.reset_on_next_run, self.line, self.column, self.disabled))


def _hidden(secret):
    return "None" if secret is None else "<hidden>"


FIELDS = UserEntry._fields
_new_tuple = tuple.__new__


class ReadOnlySequence(collections.abc.Sequence):
    """A sequence whose items are made on access, equal to a list or tuple of the same items.

    Unhashable, as a list is; its repr shows its items as a list's does.
    """

    __slots__ = ()

    def __eq__(self, other):
        if isinstance(other, (ReadOnlySequence, list, tuple)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, list(self))


class UserEntries(ReadOnlySequence):
    """A read-only sequence of ``UserEntry``, stored as one list per field.

    ``UserEntries(columns)`` takes a mapping of every field of ``UserEntry``
    to a list of the same length, which it keeps (the caller gives them up;
    one list may stand for several all-None columns). ``column(name)``
    gives a column without copying it; ``of(entries)`` makes one from any
    sequence of ``UserEntry``. It compares equal to a list or tuple of the
    same entries.
    """

    __slots__ = ("_columns", "_count")

    def __init__(self, columns):
        missing = [name for name in FIELDS if name not in columns]
        if missing:
            raise ValueError("UserEntries: no column %s" % ", ".join(missing))
        self._columns = tuple(columns[name] for name in FIELDS)
        lengths = set(map(len, self._columns))
        if len(lengths) != 1:
            raise ValueError("UserEntries: columns of different lengths %s" % sorted(lengths))
        self._count = lengths.pop()

    @classmethod
    def of(cls, entries):
        """``entries`` (a sequence of ``UserEntry``) as ``UserEntries``; itself when it is one."""
        if isinstance(entries, UserEntries):
            return entries
        entries = list(entries)
        if not entries:
            return cls(dict.fromkeys(FIELDS, []))
        return cls(dict(zip(FIELDS, map(list, zip(*entries)))))

    def column(self, name):
        """Every entry's value of the field ``name``, in order: the stored list, not to be changed."""
        return self._columns[FIELDS.index(name)]

    def __len__(self):
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("UserEntries index out of range")
        return _new_tuple(UserEntry, [column[index] for column in self._columns])

    def __iter__(self):
        # tuple.__new__ straight from map: no Python-level step per entry.
        return map(_new_tuple, repeat(UserEntry), zip(*self._columns))
