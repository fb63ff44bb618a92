"""Output lines that carry their time: the stream wrapper behind ``--timestamps``.

A crontab line that appends to a log file keeps no time of its own; journald
and Docker add theirs. ``TimestampedStream`` wraps a text stream and starts
every line written to it with the UTC time in ISO 8601
(``2024-05-01T02:00:00Z``), taken when the line's first character is written.
Partial writes are fine: only the start of a line gets a time.
"""

import time

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def stamp(seconds):
    """The prefix for a line begun at ``seconds`` since the epoch."""
    return time.strftime(TIME_FORMAT, time.gmtime(seconds)) + " "


class TimestampedStream(object):
    """A text stream that prefixes each line written to ``stream`` with the time of ``clock()``."""

    def __init__(self, stream, clock=time.time):
        self.stream = stream
        self.clock = clock
        self.at_line_start = True

    def write(self, text):
        if not text:
            return 0
        pieces = []
        start = 0
        while start < len(text):
            end = text.find("\n", start)
            end = len(text) if end < 0 else end + 1
            if self.at_line_start:
                pieces.append(stamp(self.clock()))
            pieces.append(text[start:end])
            self.at_line_start = text[end - 1] == "\n"
            start = end
        self.stream.write("".join(pieces))
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        self.stream.flush()

    def __getattr__(self, name):
        # fileno, isatty, encoding, closed, buffer...: those of the wrapped stream.
        return getattr(self.stream, name)
