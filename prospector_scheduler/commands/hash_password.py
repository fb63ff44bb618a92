"""hash-password: print the hash of a password, to write as `password_hash:` in a users file.

On a terminal the password is asked for twice, without echo, and the two must
match. Otherwise the first line of standard input is the password, without its
line end (LF or CR LF) and otherwise exactly as given. The password is never a
command-line argument, since every user of the machine can read those. Only
the hash is printed, on standard output.

Examples:  prospector-scheduler hash-password
           sops -d secret.txt | prospector-scheduler hash-password --scheme pbkdf2-sha256
"""

import argparse

from prospector_scheduler.registry import command

PROMPT = "Password: "
PROMPT_AGAIN = "Password again: "


def add_arguments(parser):
    parser.add_argument(
        "--scheme",
        choices=("scrypt", "pbkdf2-sha256"),
        help="the hash scheme (default: $PROSPECTOR_HASH_SCHEME, else scrypt where this Python"
        " can run it, else pbkdf2-sha256)",
    )
    # Caught so that a password given by mistake is refused without being echoed.
    parser.add_argument("refused", nargs="*", help=argparse.SUPPRESS)


@command("hash-password", "Print the hash of a password typed in or piped in.", add_arguments)
def hash_password(ctx, args):
    from prospector_scheduler import passwords
    from prospector_scheduler.errors import UsageError

    if args.refused:
        raise UsageError(
            "hash-password takes no password argument (every user can read the command line):"
            " type it when asked, or give it on standard input"
        )
    if ctx.stdin is None:
        from prospector_scheduler.errors import OutputError

        raise OutputError("cannot read standard input: it is closed (give the password on it, or run on a terminal)")
    policy = passwords.policy_from_environ(ctx.environ, scheme=args.scheme, warn=ctx.log.warning)
    isatty = getattr(ctx.stdin, "isatty", None)
    if isatty is not None and isatty():
        password = ask_twice()
    else:
        password = first_line(ctx.stdin, passwords.MAX_PASSWORD_BYTES)
    stored = passwords.hash_password(password, policy, warn=ctx.log.warning)
    ctx.stdout.write(stored + "\n")
    return 0


def ask_twice():
    """The password typed twice on the controlling terminal, without echo."""
    import getpass
    import warnings

    from prospector_scheduler.errors import DataError

    # getpass falls back to reading with echo (and a GetPassWarning) when it
    # cannot turn echo off: make that an error instead.
    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            first = getpass.getpass(PROMPT)
            second = getpass.getpass(PROMPT_AGAIN)
        except getpass.GetPassWarning:
            raise DataError("cannot turn off echo on this terminal, so no password was read") from None
        except EOFError:
            raise DataError("no password was typed") from None
        except UnicodeDecodeError:
            raise DataError("the password typed is not text in the terminal's encoding") from None
    if first != second:
        raise DataError("the two passwords typed differ")
    return first


def first_line(stdin, max_bytes):
    """The first line of ``stdin`` without its line end (bytes read as UTF-8 where possible)."""
    from prospector_scheduler.errors import DataError

    limit = max_bytes + 2  # room for "\r\n"
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:
        raw = buffer.readline(limit)
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DataError("standard input is not UTF-8 text") from None
    else:
        raw = line = stdin.readline(limit)
    if not line:
        raise DataError("standard input is empty: give the password on its first line")
    if len(raw) >= limit and not line.endswith("\n"):
        raise DataError("the password is longer than %d bytes in UTF-8" % max_bytes)
    if line.endswith("\n"):
        line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
    return line
