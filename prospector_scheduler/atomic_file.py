"""Writing a file so that a reader sees the old content or the new, never part of it.

node_exporter's textfile collector reads its folder at every scrape: a metrics
file written in place could be read half-written. The text goes to a temporary
file in the same folder (the same file system, so the rename is atomic), which
is flushed to disk, given its mode and renamed over the target. The temporary
name starts with a dot and does not end in ``.prom``, so the collector never
reads it.
"""

import errno
import os

from prospector_scheduler.errors import CantCreateError, OutputError


def write_atomically(path, text, mode=0o644, what="file"):
    """Replace ``path`` with ``text`` (UTF-8) at once, with permissions ``mode`` whatever the umask.

    Raises ``CantCreateError`` (73) when the folder is missing or not
    writable, ``OutputError`` (74) when the disk is full or writing fails; the
    old file is then left as it was and no temporary file remains.
    """
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    except OSError as error:
        raise _error(what, path, error) from None
    try:
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(text.encode("utf-8"))
                stream.flush()
                os.fchmod(stream.fileno(), mode)
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except OSError as error:
            raise _error(what, path, error) from None
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _error(what, path, error):
    directory = os.path.dirname(os.path.abspath(path))
    if error.errno == errno.ENOENT:
        return CantCreateError("cannot write the %s %s: the directory %s does not exist" % (what, path, directory))
    if error.errno in (errno.EACCES, errno.EPERM):
        return CantCreateError("cannot write the %s %s: permission denied in %s" % (what, path, directory))
    if error.errno == errno.EROFS:
        return CantCreateError("cannot write the %s %s: %s is on a read-only file system" % (what, path, directory))
    if error.errno == errno.EISDIR:
        return CantCreateError("cannot write the %s %s: it is a directory" % (what, path))
    if error.errno == errno.ENOSPC:
        return OutputError("cannot write the %s %s: the disk is full" % (what, path))
    return OutputError("cannot write the %s %s: %s" % (what, path, error.strerror or error))
