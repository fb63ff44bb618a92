"""The standard streams as the tool writes them: a failure is an ``OutputError`` (74), never a traceback.

``GuardedStream`` wraps standard output or standard error (or a test's
StringIO). A stream that was closed before the tool started (``>&-``: Python
then has ``None``), a full disk (``>/dev/full``), an I/O error or a reader that
went away (a broken pipe) all become ``StreamError``, which the CLI's error
boundary reports like any other ``ProspectorError``. After a failure the file
descriptor is pointed at /dev/null, so that Python's own flush at exit cannot
fail again and change the exit status. Everything else is the wrapped stream's.
"""

import errno
import os

from prospector_scheduler.errors import OutputError


class StreamError(OutputError):
    """Writing a standard stream failed (74). ``silent`` for a broken pipe: the reader left on purpose."""

    def __init__(self, message, silent=False):
        OutputError.__init__(self, message)
        self.silent = silent


class GuardedStream(object):
    """A text stream whose write and flush failures are ``StreamError``."""

    def __init__(self, stream, name):
        self.stream = stream
        self.name = name
        self.failed = None

    def _fail(self, reason, silent=False):
        self.failed = StreamError("cannot write %s: %s" % (self.name, reason), silent)
        self._silence()
        raise self.failed

    def _silence(self):
        try:
            descriptor = self.stream.fileno()
        except Exception:
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, descriptor)
            os.close(devnull)
        except OSError:
            pass

    def _call(self, method, *arguments):
        if self.failed is not None:
            raise self.failed
        if self.stream is None:
            self._fail("it is closed")
        try:
            return getattr(self.stream, method)(*arguments)
        except BrokenPipeError:
            self._fail("the reader went away (broken pipe)", silent=True)
        except OSError as error:
            if error.errno == errno.EPIPE:
                self._fail("the reader went away (broken pipe)", silent=True)
            self._fail(error.strerror or str(error))
        except ValueError:  # "I/O operation on closed file"
            self._fail("it is closed")

    # A single large write to a pipe whose reader leaves part way can come back
    # as done (the kernel's partial count), losing the rest without an error;
    # written and flushed a chunk at a time, the loss is always seen.
    CHUNK = 65536

    def write(self, text):
        if len(text) <= self.CHUNK:
            return self._call("write", text)
        for start in range(0, len(text), self.CHUNK):
            self._call("write", text[start:start + self.CHUNK])
            self._call("flush")
        return len(text)

    def flush(self):
        return self._call("flush")

    def isatty(self):
        try:
            return self.stream is not None and self.stream.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name):
        if self.stream is None:
            raise AttributeError(name)
        return getattr(self.stream, name)
