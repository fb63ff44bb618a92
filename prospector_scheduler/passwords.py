"""Password hashing: scrypt by default, PBKDF2-HMAC-SHA256 where scrypt is unavailable.

Hashes are strings in the formats passlib and libpass read, so that the
ProspecTor application (or any migration) can check them with well-known code:

    $scrypt$ln=17,r=8,p=1$<salt>$<key>          salt and key in standard base64, no padding
    $pbkdf2-sha256$600000$<salt>$<key>          passlib's adapted base64 ('.' for '+'), no padding

The salt is 16 bytes from ``os.urandom``, the key 32 bytes. Passwords are hashed
as the UTF-8 bytes of the exact string given, with no Unicode normalisation.
This module is pure: it never prints, it raises the errors of ``errors`` and
reports warnings through a ``warn(message)`` callable. No error or warning ever
contains a password or a hash. It does not read the database; only the default
number of workers reads the system's limits (see ``hash_workers``).
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
from typing import NamedTuple, Optional

from prospector_scheduler.errors import ConfigError, DataError

SCRYPT = "scrypt"
PBKDF2_SHA256 = "pbkdf2-sha256"
SCHEMES = (SCRYPT, PBKDF2_SHA256)

SCHEME_VARIABLE = "PROSPECTOR_HASH_SCHEME"
COST_VARIABLE = "PROSPECTOR_HASH_COST"

SALT_BYTES = 16
KEY_BYTES = 32
SHORT_PASSWORD_CHARACTERS = 8
# passlib refuses longer secrets (its MAX_PASSWORD_SIZE); a hash it cannot check is no use.
MAX_PASSWORD_BYTES = 4096

# What verification accepts. A hostile hash must not make us allocate or spin
# without limit: scrypt may use at most 4 times the memory and the work of the
# standard parameters, PBKDF2 about 8 times its standard rounds.
MIN_SALT_BYTES = 8
MAX_SALT_BYTES = 1024
MAX_HASH_CHARACTERS = 2048
SCRYPT_MAX_LN = 20
SCRYPT_MAX_R = 64
SCRYPT_MAX_P = 64
SCRYPT_MAX_MEMORY = 512 * 1024 * 1024
SCRYPT_MAX_WORK = 4 * (1 << 17) * 8
PBKDF2_MAX_ROUNDS = 5000000
# OpenSSL's own accounting (see scrypt_memory) plus room for a differing build.
SCRYPT_MAXMEM_MARGIN = 1024 * 1024

_SCRYPT_PARAMETERS = re.compile(r"ln=([0-9]+),r=([0-9]+),p=([0-9]+)\Z")
_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,9})\Z")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*\Z")
_ADAPTED_BASE64 = re.compile(r"[A-Za-z0-9./]*\Z")


class Policy(NamedTuple):
    """How new hashes are made: the scheme and the cost parameters of both schemes."""

    scheme: str = SCRYPT
    scrypt_ln: int = 17
    scrypt_r: int = 8
    scrypt_p: int = 1
    pbkdf2_rounds: int = 600000


# The OWASP Password Storage Cheat Sheet parameters.
STANDARD_POLICY = Policy()
# PROSPECTOR_HASH_COST=low: for tests and very small machines.
LOW_COST_POLICY = Policy(SCRYPT, 10, 8, 1, 1000)


class HashParts(NamedTuple):
    """A stored hash taken apart; the fields of the other scheme are None."""

    scheme: str
    scrypt_ln: Optional[int]
    scrypt_r: Optional[int]
    scrypt_p: Optional[int]
    pbkdf2_rounds: Optional[int]
    salt: bytes
    key: bytes


class InvalidHashError(DataError, ValueError):
    """A stored hash that is malformed or asks for absurd cost; the message never shows it."""


class SchemeUnavailableError(ConfigError):
    """scrypt was needed but this Python cannot run it (no hashlib.scrypt, or OpenSSL refuses it)."""


def _ignore(message):
    pass


# Policy -------------------------------------------------------------------------------------


def scrypt_unavailable_reason():
    """None when hashlib.scrypt exists and runs, else why not (for messages)."""
    scrypt = getattr(hashlib, "scrypt", None)
    if scrypt is None:
        return "this Python's hashlib has no scrypt"
    try:
        scrypt(b"probe", salt=b"probe salt", n=2, r=1, p=1, dklen=16)
    except ValueError:
        # A FIPS-mode OpenSSL refuses scrypt at call time.
        return "this Python's OpenSSL refuses scrypt"
    return None


def policy_from_environ(environ, scheme=None, warn=None):
    """The hashing policy of this run.

    ``scheme`` (from a command-line option) wins over $PROSPECTOR_HASH_SCHEME;
    with neither, scrypt is used when it runs, else PBKDF2-HMAC-SHA256 with one
    call of ``warn``. $PROSPECTOR_HASH_COST lowers or raises the cost (see
    ``cost_from_text``). An explicit scrypt that cannot run is a
    SchemeUnavailableError; a bad variable is a ConfigError.
    """
    if warn is None:
        warn = _ignore
    if scheme is None:
        scheme = environ.get(SCHEME_VARIABLE, "").strip() or "auto"
    if scheme not in SCHEMES + ("auto",):
        raise ConfigError(
            "the hash scheme (%s or --scheme) must be scrypt, pbkdf2-sha256 or auto, not %r"
            % (SCHEME_VARIABLE, scheme)
        )
    policy = cost_from_text(environ.get(COST_VARIABLE, ""))
    if scheme == PBKDF2_SHA256:
        return policy._replace(scheme=PBKDF2_SHA256)
    reason = scrypt_unavailable_reason()
    if reason is None:
        return policy._replace(scheme=SCRYPT)
    if scheme == SCRYPT:
        raise SchemeUnavailableError("scrypt was asked for, but %s" % reason)
    warn("%s: passwords are hashed with PBKDF2-HMAC-SHA256 instead" % reason)
    return policy._replace(scheme=PBKDF2_SHA256)


def cost_from_text(text):
    """The Policy that $PROSPECTOR_HASH_COST asks for (its scheme is scrypt).

    Empty or ``standard``: the standard cost. ``low``: scrypt ln=10, PBKDF2
    1000 rounds. Otherwise a comma-separated list of ``ln=``, ``r=``, ``p=``
    and ``rounds=`` settings, each replacing one standard value, e.g.
    ``ln=14,rounds=100000``. Values must be within what verification accepts.
    """
    text = text.strip()
    if text in ("", "standard"):
        return STANDARD_POLICY
    if text == "low":
        return LOW_COST_POLICY
    fields = {"ln": "scrypt_ln", "r": "scrypt_r", "p": "scrypt_p", "rounds": "pbkdf2_rounds"}
    settings = {}
    for item in text.split(","):
        name, equals, value = item.strip().partition("=")
        if name not in fields or not equals or not _DECIMAL.match(value):
            raise ConfigError(
                '%s must be "low", "standard" or settings such as "ln=14,r=8,p=1,rounds=100000", not %r'
                % (COST_VARIABLE, text)
            )
        settings[fields[name]] = int(value)
    policy = STANDARD_POLICY._replace(**settings)
    problem = _scrypt_problem(policy.scrypt_ln, policy.scrypt_r, policy.scrypt_p) or _rounds_problem(
        policy.pbkdf2_rounds
    )
    if problem:
        raise ConfigError("%s: %s" % (COST_VARIABLE, problem))
    return policy


def _scrypt_problem(ln, r, p):
    """Why verification refuses these scrypt parameters, or None."""
    if not 1 <= ln <= SCRYPT_MAX_LN:
        return "ln must be between 1 and %d" % SCRYPT_MAX_LN
    if not 1 <= r <= SCRYPT_MAX_R:
        return "r must be between 1 and %d" % SCRYPT_MAX_R
    if not 1 <= p <= SCRYPT_MAX_P:
        return "p must be between 1 and %d" % SCRYPT_MAX_P
    if ln >= 16 * r:
        return "ln must be less than 16 times r (RFC 7914)"
    if 128 * r * (1 << ln) > SCRYPT_MAX_MEMORY:
        return "ln and r ask for more than %d MiB of memory" % (SCRYPT_MAX_MEMORY // (1024 * 1024))
    if (1 << ln) * r * p > SCRYPT_MAX_WORK:
        return "ln, r and p ask for more than 4 times the standard work"
    return None


def _rounds_problem(rounds):
    """Why verification refuses this PBKDF2 round count, or None."""
    if not 1 <= rounds <= PBKDF2_MAX_ROUNDS:
        return "rounds must be between 1 and %d" % PBKDF2_MAX_ROUNDS
    return None


def _check_policy(policy):
    if policy.scheme not in SCHEMES:
        raise ValueError("unknown hash scheme %r" % (policy.scheme,))
    problem = _scrypt_problem(policy.scrypt_ln, policy.scrypt_r, policy.scrypt_p) or _rounds_problem(
        policy.pbkdf2_rounds
    )
    if problem:
        raise ValueError("policy outside the accepted bounds: %s" % problem)


def below_standard(policy):
    """A warning that ``policy`` makes hashes weaker than the standard cost, or None."""
    standard = STANDARD_POLICY
    if policy.scheme == SCRYPT:
        if (
            policy.scrypt_ln >= standard.scrypt_ln
            and policy.scrypt_r >= standard.scrypt_r
            and policy.scrypt_p >= standard.scrypt_p
        ):
            return None
        made = "scrypt ln=%d,r=%d,p=%d" % (policy.scrypt_ln, policy.scrypt_r, policy.scrypt_p)
        wanted = "ln=%d,r=%d,p=%d" % (standard.scrypt_ln, standard.scrypt_r, standard.scrypt_p)
    else:
        if policy.pbkdf2_rounds >= standard.pbkdf2_rounds:
            return None
        made = "pbkdf2-sha256 %d rounds" % policy.pbkdf2_rounds
        wanted = "%d rounds" % standard.pbkdf2_rounds
    return "password hashed below the standard cost (%s instead of %s, see %s): it will need rehashing" % (
        made,
        wanted,
        COST_VARIABLE,
    )


# Key derivation -----------------------------------------------------------------------------


def scrypt_memory(ln, r, p):
    """The bytes OpenSSL counts against ``maxmem`` for scrypt(N=2**ln, r, p)."""
    # OpenSSL refuses when Blen + Vlen > maxmem, with Blen = 128*r*p and Vlen = 128*r*(N+2).
    return 128 * r * ((1 << ln) + 2 + p)


def scrypt_key(password, salt, ln, r, p, length=KEY_BYTES):
    """The scrypt key of ``password`` (bytes); SchemeUnavailableError where scrypt cannot run."""
    scrypt = getattr(hashlib, "scrypt", None)
    if scrypt is None:
        raise SchemeUnavailableError("cannot use scrypt: this Python's hashlib has no scrypt")
    try:
        return scrypt(
            password,
            salt=salt,
            n=1 << ln,
            r=r,
            p=p,
            maxmem=scrypt_memory(ln, r, p) + SCRYPT_MAXMEM_MARGIN,
            dklen=length,
        )
    except ValueError as error:
        # Parameters were checked before, so this is OpenSSL refusing (FIPS mode).
        raise SchemeUnavailableError("cannot use scrypt: OpenSSL refused it (%s)" % error)


def pbkdf2_sha256_key(password, salt, rounds, length=KEY_BYTES):
    """The PBKDF2-HMAC-SHA256 key of ``password`` (bytes)."""
    return hashlib.pbkdf2_hmac("sha256", password, salt, rounds, length)


# Encoding -----------------------------------------------------------------------------------


def _b64_encode(data):
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _ab64_encode(data):
    return _b64_encode(data).replace("+", ".")


def _b64_decode(text, what):
    """Standard base64 without padding, in its one canonical spelling."""
    if not _BASE64.match(text) or len(text) % 4 == 1:
        raise InvalidHashError("%s is not base64 without padding" % what)
    data = binascii.a2b_base64(text + "=" * (-len(text) % 4))
    if _b64_encode(data) != text:
        raise InvalidHashError("%s is not canonical base64 (stray bits at its end)" % what)
    return data


def _ab64_decode(text, what):
    """passlib's adapted base64: '.' instead of '+', no padding."""
    if not _ADAPTED_BASE64.match(text):
        raise InvalidHashError("%s is not adapted base64 ('.' for '+', no padding)" % what)
    return _b64_decode(text.replace(".", "+"), what)


def _decimal(text, what):
    if not _DECIMAL.match(text):
        raise InvalidHashError("%s must be a decimal number of at most 10 digits, without leading zeros" % what)
    return int(text)


def _format_hash(parts):
    if parts.scheme == SCRYPT:
        return "$scrypt$ln=%d,r=%d,p=%d$%s$%s" % (
            parts.scrypt_ln,
            parts.scrypt_r,
            parts.scrypt_p,
            _b64_encode(parts.salt),
            _b64_encode(parts.key),
        )
    return "$pbkdf2-sha256$%d$%s$%s" % (parts.pbkdf2_rounds, _ab64_encode(parts.salt), _ab64_encode(parts.key))


def parse_hash(stored_hash):
    """Take a stored hash apart, or raise InvalidHashError saying what is wrong with it."""
    if not isinstance(stored_hash, str):
        raise InvalidHashError("a password hash must be a string")
    if len(stored_hash) > MAX_HASH_CHARACTERS:
        raise InvalidHashError("the password hash is longer than %d characters" % MAX_HASH_CHARACTERS)
    fields = stored_hash.split("$")
    if stored_hash.startswith("$scrypt$"):
        return _parse_scrypt(fields)
    if stored_hash.startswith("$pbkdf2-sha256$"):
        return _parse_pbkdf2(fields)
    raise InvalidHashError(
        "not a password hash this tool accepts: expected $scrypt$ln=L,r=R,p=P$SALT$KEY"
        " or $pbkdf2-sha256$ROUNDS$SALT$KEY"
    )


def _parse_scrypt(fields):
    if len(fields) != 5:
        raise InvalidHashError("scrypt hash: expected $scrypt$ln=L,r=R,p=P$SALT$KEY")
    match = _SCRYPT_PARAMETERS.match(fields[2])
    if match is None:
        raise InvalidHashError("scrypt hash: the parameters must read ln=L,r=R,p=P, in this order")
    ln = _decimal(match.group(1), "scrypt hash: ln")
    r = _decimal(match.group(2), "scrypt hash: r")
    p = _decimal(match.group(3), "scrypt hash: p")
    problem = _scrypt_problem(ln, r, p)
    if problem:
        raise InvalidHashError("scrypt hash: %s" % problem)
    salt = _b64_decode(fields[3], "scrypt hash: the salt")
    key = _b64_decode(fields[4], "scrypt hash: the key")
    _check_lengths("scrypt hash", salt, key)
    return HashParts(SCRYPT, ln, r, p, None, salt, key)


def _parse_pbkdf2(fields):
    if len(fields) != 5:
        raise InvalidHashError("pbkdf2-sha256 hash: expected $pbkdf2-sha256$ROUNDS$SALT$KEY")
    rounds = _decimal(fields[2], "pbkdf2-sha256 hash: rounds")
    problem = _rounds_problem(rounds)
    if problem:
        raise InvalidHashError("pbkdf2-sha256 hash: %s" % problem)
    salt = _ab64_decode(fields[3], "pbkdf2-sha256 hash: the salt")
    key = _ab64_decode(fields[4], "pbkdf2-sha256 hash: the key")
    _check_lengths("pbkdf2-sha256 hash", salt, key)
    return HashParts(PBKDF2_SHA256, None, None, None, rounds, salt, key)


def _check_lengths(what, salt, key):
    if not MIN_SALT_BYTES <= len(salt) <= MAX_SALT_BYTES:
        raise InvalidHashError("%s: the salt must be %d to %d bytes" % (what, MIN_SALT_BYTES, MAX_SALT_BYTES))
    if len(key) != KEY_BYTES:
        raise InvalidHashError("%s: the key must be %d bytes" % (what, KEY_BYTES))


# Hashing and verifying ----------------------------------------------------------------------


def password_problem(password):
    """Why ``password`` (a str) can never be hashed, as "is ..." without quoting it, or "".

    The users file's check asks this too, so that check-config refuses
    exactly the passwords that sync-users cannot hash.
    """
    if not password:
        return "is empty"
    if len(password) * 4 <= MAX_PASSWORD_BYTES:
        return ""  # at most 4 bytes a character: short enough without encoding
    try:
        size = len(password.encode("utf-8"))
    except UnicodeEncodeError:
        return "is not valid Unicode text (it cannot be encoded as UTF-8)"
    if size > MAX_PASSWORD_BYTES:
        return "is longer than %d bytes in UTF-8" % MAX_PASSWORD_BYTES
    return ""


def _password_bytes(password, name):
    """The UTF-8 bytes of ``password``; DataError for what can never be hashed."""
    if not isinstance(password, str):
        raise TypeError("%s must be a str, not %s" % (name, type(password).__name__))
    problem = password_problem(password)
    if problem:
        raise DataError("%s %s" % (name, problem))
    try:
        return password.encode("utf-8")
    except UnicodeEncodeError:
        raise DataError("%s is not valid Unicode text (it cannot be encoded as UTF-8)" % name) from None


def _derive(password, parts):
    if parts.scheme == SCRYPT:
        return scrypt_key(password, parts.salt, parts.scrypt_ln, parts.scrypt_r, parts.scrypt_p)
    return pbkdf2_sha256_key(password, parts.salt, parts.pbkdf2_rounds)


def _hash_bytes(password, policy):
    if policy.scheme == SCRYPT:
        parts = HashParts(SCRYPT, policy.scrypt_ln, policy.scrypt_r, policy.scrypt_p, None, os.urandom(SALT_BYTES), b"")
    else:
        parts = HashParts(PBKDF2_SHA256, None, None, None, policy.pbkdf2_rounds, os.urandom(SALT_BYTES), b"")
    return _format_hash(parts._replace(key=_derive(password, parts)))


def hash_password(password, policy, warn=None):
    """The stored-hash string of ``password`` under ``policy``.

    An empty password, or one that is not valid Unicode or longer than 4096
    UTF-8 bytes, is a DataError. ``warn`` is called for a password shorter
    than 8 characters and for a policy below the standard cost.
    """
    if warn is None:
        warn = _ignore
    _check_policy(policy)
    data = _password_bytes(password, "the password")
    if len(password) < SHORT_PASSWORD_CHARACTERS:
        warn("the password is shorter than %d characters" % SHORT_PASSWORD_CHARACTERS)
    weaker = below_standard(policy)
    if weaker:
        warn(weaker)
    return _hash_bytes(data, policy)


def hash_memory(policy):
    """The bytes one hash under ``policy`` holds (scrypt's 128 * r * N; next to nothing for PBKDF2)."""
    if policy.scheme == SCRYPT:
        return scrypt_memory(policy.scrypt_ln, policy.scrypt_r, policy.scrypt_p)
    return 0


def _workers(workers, memory, environ):
    if workers is not None:
        return workers
    from prospector_scheduler import hash_workers

    return hash_workers.for_this_process(memory, environ).workers


def hash_many(labelled, policy, workers=None, warn=None, environ=None):
    """The hashes of the passwords of ``(label, password)`` pairs, in order, made by up to ``workers`` threads.

    The label names a password in errors and warnings (``'the password of
    "bob"'``), so callers never have to recognise one in a message. hashlib
    releases the GIL while it hashes, so threads use every core; at most
    ``workers`` hashes are in memory at a time (default: bounded by the CPUs
    and the memory this process may use, see ``hash_workers``; ``environ``
    gives $PROSPECTOR_HASH_WORKERS, default ``os.environ``).
    Every password is checked before any is hashed. ``warn`` is called once per
    short password and once for a policy below the standard cost.
    """
    if warn is None:
        warn = _ignore
    _check_policy(policy)
    data = []
    for label, password in labelled:
        data.append(_password_bytes(password, label))
        if len(password) < SHORT_PASSWORD_CHARACTERS:
            warn("%s is shorter than %d characters" % (label, SHORT_PASSWORD_CHARACTERS))
    if not data:
        return []
    weaker = below_standard(policy)
    if weaker:
        warn(weaker)
    workers = _workers(workers, hash_memory(policy), environ)
    return in_parallel(lambda item: _hash_bytes(item, policy), data, workers)


def verify_many(pairs, workers=None, environ=None):
    """``[verify_password(password, stored_hash) ...]`` of ``(password, stored_hash)`` pairs, in parallel.

    A malformed hash, or one this Python cannot check, counts as not verifying.
    The default ``workers`` is bounded by the memory of the costliest hash.
    """
    pairs = list(pairs)
    if workers is None and len(pairs) > 1:
        memory = 0
        for _, stored_hash in pairs:
            try:
                parts = parse_hash(stored_hash)
            except DataError:
                continue
            if parts.scheme == SCRYPT:
                memory = max(memory, scrypt_memory(parts.scrypt_ln, parts.scrypt_r, parts.scrypt_p))
        workers = _workers(None, memory, environ)

    def verify_one(pair):
        try:
            return verify_password(pair[0], pair[1])
        except (DataError, ConfigError):
            return False

    return in_parallel(verify_one, pairs, workers)


def in_parallel(function, items, workers=None):
    """``[function(item) ...]`` in up to ``workers`` threads (default: bounded for standard-cost hashes).

    hashlib releases the GIL while it hashes, so threads use every core; at
    most ``workers`` calls (each holding one hash's memory) run at once.
    """
    if workers is None and len(items) > 1:
        workers = _workers(None, hash_memory(STANDARD_POLICY), None)
    if workers is None:
        workers = 1
    if workers < 1:
        raise ValueError("workers must be at least 1")
    workers = min(workers, len(items))
    if workers <= 1:
        return [function(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))


def verify_password(password, stored_hash):
    """Whether ``password`` is the one ``stored_hash`` encodes (compared in constant time).

    A malformed or hostile hash is an InvalidHashError; a scrypt hash where
    scrypt cannot run is a SchemeUnavailableError.
    """
    parts = parse_hash(stored_hash)
    if not isinstance(password, str):
        raise TypeError("the password must be a str, not %s" % type(password).__name__)
    try:
        data = password.encode("utf-8")
    except UnicodeEncodeError:
        raise DataError("the password is not valid Unicode text (it cannot be encoded as UTF-8)") from None
    return hmac.compare_digest(_derive(data, parts), parts.key)


def needs_rehash(stored_hash, policy):
    """Whether ``stored_hash`` is weaker than ``policy`` asks: another scheme, lower cost or a short salt."""
    parts = parse_hash(stored_hash)
    if parts.scheme != policy.scheme:
        return True
    if len(parts.salt) < SALT_BYTES:
        return True
    if parts.scheme == SCRYPT:
        return (
            parts.scrypt_ln < policy.scrypt_ln
            or parts.scrypt_r < policy.scrypt_r
            or parts.scrypt_p < policy.scrypt_p
        )
    return parts.pbkdf2_rounds < policy.pbkdf2_rounds


def check_hash(stored_hash):
    """Raise InvalidHashError, naming what is wrong, unless ``stored_hash`` is one we accept.

    Accepts exactly what ``parse_hash`` accepts. A well-formed hash is
    recognised by one regular expression (canonical base64 is a matter of the
    length and of the last character's low bits, so nothing is decoded);
    anything else goes to ``parse_hash``, which says what is wrong.
    """
    if type(stored_hash) is str and len(stored_hash) <= MAX_HASH_CHARACTERS:
        match = _WELL_FORMED_HASH.match(stored_hash)
        if match is not None:
            ln, r, p, scrypt_salt, rounds, pbkdf2_salt = match.groups()
            if ln is not None:
                problem = _scrypt_problem(int(ln), int(r), int(p))
                salt = scrypt_salt
            else:
                problem = _rounds_problem(int(rounds))
                salt = pbkdf2_salt
            # Unpadded base64 of n bytes has n * 4 / 3 characters, rounded up.
            if problem is None and MIN_SALT_BYTES <= len(salt) * 3 // 4 <= MAX_SALT_BYTES:
                return
    parse_hash(stored_hash)


def check_hashes(hashes):
    """``check_hash`` for every hash of ``hashes``: raises InvalidHashError for the first refused.

    Accepts exactly what ``check_hash`` accepts, hash by hash. The usual list
    (a users file's hashes, all made by one policy) costs little more than
    reading it once: the first hash is checked by ``check_hash``, and every
    other one is shown to be spelled like it by a few operations on all of
    them at once (see ``_shaped_like_the_first``). Any other list is checked
    one hash at a time, which also names what is wrong.
    """
    hashes = list(hashes)
    if not _shaped_like_the_first(hashes):
        for stored_hash in hashes:
            check_hash(stored_hash)


# The base64 alphabets (passlib's adapted one has "." for "+"), and the last
# characters that canonical base64 allows, by the length modulo 4: 2 and 3
# trailing characters leave 4 and 2 unused bits, which must be zero.
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_ADAPTED_BASE64_ALPHABET = _BASE64_ALPHABET.replace(b"+", b".")
_CANONICAL_LAST = {2: "AQgw", 3: "AEIMQUYcgkosw048"}


def _shaped_like_the_first(hashes):
    """Whether every hash is accepted, shown for the usual list with no step per hash in Python.

    The first hash must pass ``check_hash``; every other one must have its
    length, the same text up to its salt (scheme and parameters), a "$"
    where its key starts, only characters of its base64 alphabet in its
    salt and key, and last characters that canonical base64 allows. Such a
    hash matches ``check_hash``'s expression with the first's parameters and
    salt length, so it is accepted too. All hashes are joined into one
    string of equal-width records, and each condition is checked on a
    column of it (a slice with a step) or on all of it: in C.
    """
    if not hashes:
        return True
    first = hashes[0]
    try:
        check_hash(first)
    except InvalidHashError:
        return False
    width = len(first)
    count = len(hashes)
    try:
        joined = "".join(hashes)
    except TypeError:
        return False  # a value that is not a string: check_hash says so
    if set(map(len, hashes)) != {width}:
        return False
    # $scheme$parameters$salt$key: the salt starts after the third "$".
    salt_start = first.index("$", first.index("$", 1) + 1) + 1
    key_start = first.index("$", salt_start) + 1
    for column in range(salt_start):
        if joined[column::width] != first[column] * count:
            return False
    if joined[key_start - 1::width] != "$" * count:
        return False
    alphabet = _BASE64_ALPHABET if first.startswith("$scrypt$") else _ADAPTED_BASE64_ALPHABET
    try:
        data = joined.encode("ascii")
    except UnicodeEncodeError:
        return False
    # What is left once the alphabet is taken out is, hash by hash, what the
    # first leaves (the text up to the salt and the "$"): only when no salt
    # or key holds another character.
    if len(data.translate(None, alphabet)) != len(first.encode("ascii").translate(None, alphabet)) * count:
        return False
    for end, length in ((key_start - 2, key_start - 1 - salt_start), (width - 1, width - key_start)):
        allowed = _CANONICAL_LAST.get(length % 4)
        if allowed is not None and joined[end::width].strip(allowed):
            return False
    return True


def _canonical_base64(alphabet):
    """A pattern of canonical unpadded base64 in ``alphabet`` (a character class body)."""
    # The last character of 2 or 3 trailing characters carries 4 or 2 unused bits, all zero.
    return "(?:[%s]{4})*(?:[%s][AQgw]|[%s]{2}[AEIMQUYcgkosw048])?" % (alphabet, alphabet, alphabet)


_DECIMAL_TEXT = "(0|[1-9][0-9]{0,9})"
# 32-byte keys: 43 characters, the last with two zero bits.
_WELL_FORMED_HASH = re.compile(
    r"\$scrypt\$ln=%s,r=%s,p=%s\$(%s)\$[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]\Z"
    r"|\$pbkdf2-sha256\$%s\$(%s)\$[A-Za-z0-9./]{42}[AEIMQUYcgkosw048]\Z"
    % (_DECIMAL_TEXT, _DECIMAL_TEXT, _DECIMAL_TEXT, _canonical_base64("A-Za-z0-9+/"),
       _DECIMAL_TEXT, _canonical_base64("A-Za-z0-9./")))


def scheme_of(stored_hash):
    """``"scrypt"`` or ``"pbkdf2-sha256"``; InvalidHashError for anything else."""
    return parse_hash(stored_hash).scheme
