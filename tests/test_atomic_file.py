"""Tests for atomic_file: a reader never sees a half-written file; mode 0644 whatever the umask."""

import os
import stat
import threading

from prospector_scheduler import atomic_file
from prospector_scheduler.errors import CantCreateError
from tests import support

LAST_LINE = "# end\n"


def content(number):
    """A file of varying length that ends with a known line, so a cut-off read shows."""
    return "".join("line %d of write %d\n" % (line, number) for line in range(number % 50 * 40 + 1)) + LAST_LINE


class Poller(threading.Thread):
    """Reads the file again and again until told to stop; counts what it saw."""

    def __init__(self, path):
        threading.Thread.__init__(self)
        self.path = path
        self.stop = threading.Event()
        self.reads = 0
        self.bad = []

    def run(self):
        while not self.stop.is_set():
            try:
                with open(self.path, encoding="utf-8") as stream:
                    text = stream.read()
            except FileNotFoundError:
                continue
            self.reads += 1
            if not text.endswith(LAST_LINE) or not text.startswith("line 0 of write "):
                self.bad.append(text[-60:])


class WriteAtomicallyTest(support.TemporaryDirectoryTestCase):
    def poll_during(self, write):
        path = self.path("m.prom")
        poller = Poller(path)
        poller.start()
        try:
            for number in range(200):
                write(path, content(number))
        finally:
            poller.stop.set()
            poller.join()
        return poller

    def test_a_reader_polling_during_200_writes_never_sees_half_a_file(self):
        poller = self.poll_during(atomic_file.write_atomically)
        self.assertGreater(poller.reads, 0)
        self.assertEqual(poller.bad, [])
        self.assertEqual(sorted(os.listdir(self.tmp)), ["m.prom"])

    def test_the_poller_does_see_a_file_written_in_place_half_written(self):
        # The control: the same reader catches a writer that is not atomic (it reads between two halves).
        path = self.path("m.prom")
        caught = []

        def in_place(path, text):
            with open(path, "w", encoding="utf-8") as stream:
                stream.write(text[:len(text) // 2])
                stream.flush()
                with open(path, encoding="utf-8") as reader:
                    seen = reader.read()
                caught.append(seen.endswith(LAST_LINE))
                stream.write(text[len(text) // 2:])

        for number in range(3):
            in_place(path, content(number))
        self.assertEqual(caught, [False, False, False])

    def test_mode_0644_whatever_the_umask(self):
        old = os.umask(0o077)
        try:
            path = self.path("m.prom")
            atomic_file.write_atomically(path, "a 1\n")
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o644)
            os.chmod(path, 0o600)
            atomic_file.write_atomically(path, "a 2\n")
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o644)
        finally:
            os.umask(old)
        with open(path) as stream:
            self.assertEqual(stream.read(), "a 2\n")

    def test_errors(self):
        os.mkdir(self.path("dir"))
        table = [
            (self.path("missing", "m.prom"),
             "cannot write the metrics file %s: the directory %s does not exist"
             % (self.path("missing", "m.prom"), self.path("missing"))),
            (self.path("dir"), "cannot write the metrics file %s: it is a directory" % self.path("dir")),
        ]
        for path, message in table:
            with self.subTest(path=path):
                with self.assertRaises(CantCreateError) as caught:
                    atomic_file.write_atomically(path, "a 1\n", what="metrics file")
                self.assertEqual(str(caught.exception), message)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["dir"])
        self.assertEqual(os.listdir(self.path("dir")), [])

    def test_a_folder_it_may_not_write(self):
        folder = self.path("locked")
        os.mkdir(folder)
        os.chmod(folder, 0o500)
        self.addCleanup(os.chmod, folder, 0o700)
        path = os.path.join(folder, "m.prom")
        with support.without_root_privileges(folder):
            with self.assertRaises(CantCreateError) as caught:
                atomic_file.write_atomically(path, "a 1\n", what="metrics file")
        self.assertEqual(str(caught.exception), "cannot write the metrics file %s: permission denied in %s"
                         % (path, folder))
