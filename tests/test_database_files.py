"""Tests for prospector_scheduler.database_files: what is at the path, and the permission messages."""

import os
import sqlite3
import unittest
from unittest import mock

from prospector_scheduler import database_files, store
from prospector_scheduler.errors import CantCreateError
from tests.support import without_root_privileges
from tests.test_store import StoreTestCase, facts


class NotARegularFileTest(StoreTestCase):
    """Issue 9.14: a path that exists but is no regular file is refused (73) before SQLite touches it."""

    def special_files(self):
        import socket

        fifo = os.path.join(self.directory, "fifo.db")
        os.mkfifo(fifo)
        listening = socket.socket(socket.AF_UNIX)
        self.addCleanup(listening.close)
        sock = os.path.join(self.directory, "socket.db")
        listening.bind(sock)
        folder = os.path.join(self.directory, "folder.db")
        os.mkdir(folder)
        return [
            (os.devnull, "a character device"),
            (fifo, "a FIFO (named pipe)"),
            (sock, "a socket"),
            (folder, "a directory"),
        ]

    def test_refused_before_sqlite_opens_it(self):
        for path, kind in self.special_files():
            for options in ({}, {"read_only": True}, {"create": False}):
                with self.subTest(path=path, options=options):
                    with mock.patch.object(sqlite3, "connect", side_effect=AssertionError("SQLite was called")):
                        with self.assertRaises(CantCreateError) as caught:
                            store.open_database(path, **options)
                    self.assertEqual(
                        caught.exception.message, "cannot open the database %s: it is %s, not a regular file" % (path, kind)
                    )
                    self.assertEqual(caught.exception.exit_code, 73)
                    if path != os.devnull:  # another program may have left a /dev/null-journal
                        self.assertFalse(os.path.exists(path + "-journal"))

    def test_exists(self):
        self.assertFalse(database_files.exists(self.path))
        open(self.path, "wb").close()
        self.assertTrue(database_files.exists(self.path))
        link = os.path.join(self.directory, "link.db")
        os.symlink(self.path, link)
        self.assertTrue(database_files.exists(link), "a link to a regular file is that file")
        dangling = os.path.join(self.directory, "dangling.db")
        os.symlink(os.path.join(self.directory, "gone"), dangling)
        with self.assertRaises(CantCreateError) as caught:
            database_files.exists(dangling)
        self.assertEqual(
            caught.exception.message,
            "cannot open the database %s: it is a symbolic link to %s, which does not exist"
            % (dangling, os.path.join(self.directory, "gone")),
        )
        with self.assertRaises(CantCreateError) as caught:
            database_files.exists(os.path.join(self.path, "x.db"))
        self.assertEqual(
            caught.exception.message,
            "cannot open the database %s: a part of the path is not a directory" % os.path.join(self.path, "x.db"),
        )


class PermissionMessageTest(StoreTestCase):
    """Issue 10.3: every permission message names the path, its owner and mode, and the effective user."""

    def test_unreadable_database(self):
        self.open().close()
        os.chmod(self.path, 0o600)
        if os.geteuid() != 0:
            self.skipTest("needs another user to own the file")
        # root owns it; nobody may not read it.
        with without_root_privileges(self.directory):
            for options in ({"read_only": True}, {}):
                with self.subTest(options=options):
                    with self.assertRaises(CantCreateError) as caught:
                        store.open_database(self.path, **options)
                    if options:
                        expected = "cannot read the database %s: permission denied; %s" % (self.path, facts(self.path))
                    else:
                        expected = "the database %s is not writable: the file must be readable and writable; %s" % (
                            self.path, facts(self.path))
                    self.assertEqual(caught.exception.message, expected)
                    self.assertIn("is owned by root:root with mode 0600; this runs as nobody", expected)

    def test_unsearchable_directory_is_not_called_missing(self):
        os.chmod(self.directory, 0o700)
        self.open().close()
        if os.geteuid() != 0:
            self.skipTest("needs another user to own the directory")
        with without_root_privileges():
            for options in ({"read_only": True}, {}):
                with self.subTest(options=options):
                    with self.assertRaises(CantCreateError) as caught:
                        store.open_database(self.path, **options)
                    self.assertEqual(
                        caught.exception.message,
                        "cannot look at the database %s: permission denied on the directory %s; %s"
                        % (self.path, self.directory, facts(self.directory)),
                    )
            with self.assertRaises(CantCreateError) as caught:
                database_files.check_creatable(os.path.join(self.directory, "new.db"))
            self.assertEqual(
                caught.exception.message,
                "cannot create the database %s: permission denied in %s; %s"
                % (os.path.join(self.directory, "new.db"), self.directory, facts(self.directory)),
            )

    def test_wal_database_in_a_read_only_directory(self):
        opened = self.open()
        opened.connection.execute("PRAGMA journal_mode = WAL")
        opened.close()
        os.chmod(self.directory, 0o555)
        self.addCleanup(os.chmod, self.directory, 0o700)
        with without_root_privileges(self.directory, self.path):
            with self.assertRaises(CantCreateError) as caught:
                store.open_database(self.path, read_only=True)
            self.assertEqual(
                caught.exception.message,
                "cannot read the database %s: it is in WAL mode, and reading a WAL database needs its "
                "directory writable (SQLite creates %s-shm there); %s" % (self.path, self.path, facts(self.directory)),
            )
            self.assertNotIn("interrupted", caught.exception.message)


if __name__ == "__main__":
    unittest.main()
