"""Password hashing: known answers, formats, bounds, rehashing, fallback, parallel hashing, secrecy."""

import base64
import hashlib
import os
import threading
import time
import unicodedata
import unittest
from unittest import mock

from prospector_scheduler import passwords
from prospector_scheduler.errors import ConfigError, DataError, ExitCode
from prospector_scheduler.passwords import (
    LOW_COST_POLICY,
    STANDARD_POLICY,
    InvalidHashError,
    Policy,
    SchemeUnavailableError,
)

HAS_SCRYPT = getattr(hashlib, "scrypt", None) is not None
NO_SCRYPT = "hashlib.scrypt is missing in this Python (3.6 was built without it); the fallback tests cover it"
LOW_PBKDF2 = LOW_COST_POLICY._replace(scheme="pbkdf2-sha256")
SLOW_TESTS = os.environ.get("PROSPECTOR_SLOW_TESTS") == "1"


def octets(text):
    return bytes.fromhex(text.replace("\n", " "))


# RFC 7914 section 11: PBKDF2-HMAC-SHA256 (P, S, c, dkLen=64).
RFC7914_PBKDF2 = [
    (b"passwd", b"salt", 1, octets("""
        55 ac 04 6e 56 e3 08 9f ec 16 91 c2 25 44 b6 05
        f9 41 85 21 6d de 04 65 e6 8b 9d 57 c2 0d ac bc
        49 ca 9c cc f1 79 b6 45 99 16 64 b3 9d 77 ef 31
        7c 71 b8 45 b1 e3 0b d5 09 11 20 41 d3 a1 97 83""")),
    (b"Password", b"NaCl", 80000, octets("""
        4d dc d8 f6 0b 98 be 21 83 0c ee 5e f2 27 01 f9
        64 1a 44 18 d0 4c 04 14 ae ff 08 87 6b 34 ab 56
        a1 d4 25 a1 22 58 33 54 9a db 84 1b 51 c9 b3 17
        6a 27 2b de bb a1 d0 78 47 8f 62 b3 97 f3 3c 8d""")),
]

# RFC 7914 section 12: scrypt (P, S, log2 N, r, p, dkLen=64).
RFC7914_SCRYPT = [
    (b"", b"", 4, 1, 1, octets("""
        77 d6 57 62 38 65 7b 20 3b 19 ca 42 c1 8a 04 97
        f1 6b 48 44 e3 07 4a e8 df df fa 3f ed e2 14 42
        fc d0 06 9d ed 09 48 f8 32 6a 75 3a 0f c8 1f 17
        e8 d3 e0 fb 2e 0d 36 28 cf 35 e2 0c 38 d1 89 06""")),
    (b"password", b"NaCl", 10, 8, 16, octets("""
        fd ba be 1c 9d 34 72 00 78 56 e7 19 0d 01 e9 fe
        7c 6a d7 cb c8 23 78 30 e7 73 76 63 4b 37 31 62
        2e af 30 d9 2e 22 a3 88 6f f1 09 27 9d 98 30 da
        c7 27 af b9 4a 83 ee 6d 83 60 cb df a2 cc 06 40""")),
    (b"pleaseletmein", b"SodiumChloride", 14, 8, 1, octets("""
        70 23 bd cb 3a fd 73 48 46 1c 06 cd 81 fd 38 eb
        fd a8 fb ba 90 4f 8e 3e a9 b5 43 f6 54 5d a1 f2
        d5 43 29 55 61 3f 0f cf 62 d4 97 05 24 2a 9a f9
        e6 1e 85 dc 0d 65 1e 40 df cf 01 7b 45 57 58 87""")),
]
# The fourth vector needs 1 GiB and seconds; PROSPECTOR_SLOW_TESTS=1 runs it.
RFC7914_SCRYPT_1GIB = (b"pleaseletmein", b"SodiumChloride", 20, 8, 1, octets("""
    21 01 cb 9b 6a 51 1a ae ad db be 09 cf 70 f8 81
    ec 56 8d 57 4a 2f fd 4d ab e5 ee 98 20 ad aa 47
    8e 56 fd 8f 4b a5 d0 9f fa 1c 6d 92 7c 40 f4 c3
    37 30 40 49 e8 a9 52 fb cb f4 5c 6f a7 7a 41 a4"""))

# Salts chosen so that base64 shows '+' and '/' (scrypt) and '.' and '/' (pbkdf2-sha256).
SALT_SIGNS = b"\xfb\xff\xbf" * 5 + b"\x01"
SALT_COUNT = bytes(range(16))
HORSE = "correct horse battery staple"
UMLAUTS = "p\u00e4ssw\u00f6rd \u2713"
DECOMPOSED = "e\u0301t\u00e9 \U0001f511"  # NFD e-acute, then NFC e-acute: no normalisation

# Made once by this module; each verified unchanged in passlib 1.7.4 and libpass 1.9.4.
KNOWN_HASHES = [
    (HORSE, SALT_SIGNS, STANDARD_POLICY,
     "$scrypt$ln=17,r=8,p=1$+/+/+/+/+/+/+/+/+/+/AQ$FS18hnYSBFadabZRamZevWr+wpS22krRW39R0Ze8dL4"),
    (UMLAUTS, SALT_COUNT, LOW_COST_POLICY,
     "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$eFOfxH9W97aT9tFGUTt/RmIVdrXe7XCS/ejEommn918"),
    (DECOMPOSED, SALT_SIGNS, Policy("scrypt", 4, 2, 3, 1),
     "$scrypt$ln=4,r=2,p=3$+/+/+/+/+/+/+/+/+/+/AQ$p+rcWmD9UVSUMfEWAugjtMPbp6aGpMM7HQSxtY7YPn8"),
    (HORSE, SALT_SIGNS, STANDARD_POLICY._replace(scheme="pbkdf2-sha256"),
     "$pbkdf2-sha256$600000$././././././././././AQ$5Co0jgaR0oqnbCnFhmUnWH2YdakpNiejfDA9NwDpy04"),
    (UMLAUTS, SALT_COUNT, LOW_PBKDF2,
     "$pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw$.CxwjCKY4Tvu/wZRib8Drnzwvqpm0wLjzWp/8Enovc4"),
    (DECOMPOSED, SALT_SIGNS, Policy("pbkdf2-sha256", 10, 8, 1, 1),
     "$pbkdf2-sha256$1$././././././././././AQ$NvnmCw0TksnSja6kxryXb3yfkt54Fx5p4ECvIADyUQA"),
]

# Made by passlib 1.7.4 (scrypt.using(rounds=10), pbkdf2_sha256.using(rounds=1000)) for UMLAUTS.
PASSLIB_HASHES = [
    "$scrypt$ln=10,r=8,p=1$mTMmxPi/957z3ntvrZUyxg$T74mbGls0jNtCstWdngBinUcgYWUJ7+yCMcbqrIyOh0",
    "$pbkdf2-sha256$1000$pDRmzPl/D0Ho/X/vXWvtHQ$5/c4G0F6xWRBnDi5BmjzvJ9wUdIyJzXNywVs9sWQlR0",
]


def b64(data):
    return base64.b64encode(data).decode("ascii").rstrip("=")


def ab64(data):
    return b64(data).replace("+", ".")


def scrypt_hash(ln=10, r=8, p=1, salt_bytes=16, key_bytes=32, salt=None):
    salt = b64(b"s" * salt_bytes) if salt is None else salt
    return "$scrypt$ln=%d,r=%d,p=%d$%s$%s" % (ln, r, p, salt, b64(b"k" * key_bytes))


def pbkdf2_hash(rounds=1000, salt_bytes=16, key_bytes=32, salt=None):
    salt = ab64(b"s" * salt_bytes) if salt is None else salt
    return "$pbkdf2-sha256$%d$%s$%s" % (rounds, salt, ab64(b"k" * key_bytes))


def fake_scrypt_refused(*args, **kwargs):
    raise ValueError("[digital envelope routines] unsupported")


class Warnings(list):
    """A ``warn`` callable that keeps what it was told."""

    def __call__(self, message):
        self.append(message)


class KnownAnswerTest(unittest.TestCase):
    def test_rfc7914_pbkdf2_hmac_sha256_vectors(self):
        for password, salt, rounds, expected in RFC7914_PBKDF2:
            with self.subTest(password=password, rounds=rounds):
                self.assertEqual(passwords.pbkdf2_sha256_key(password, salt, rounds, 64), expected)

    @unittest.skipUnless(HAS_SCRYPT, NO_SCRYPT)
    def test_rfc7914_scrypt_vectors(self):
        for password, salt, ln, r, p, expected in RFC7914_SCRYPT:
            with self.subTest(password=password, ln=ln, r=r, p=p):
                self.assertEqual(passwords.scrypt_key(password, salt, ln, r, p, 64), expected)

    @unittest.skipUnless(HAS_SCRYPT, NO_SCRYPT)
    @unittest.skipUnless(SLOW_TESTS, "the 1 GiB RFC 7914 scrypt vector runs with PROSPECTOR_SLOW_TESTS=1")
    def test_rfc7914_scrypt_vector_of_1_gib(self):
        password, salt, ln, r, p, expected = RFC7914_SCRYPT_1GIB
        self.assertEqual(passwords.scrypt_key(password, salt, ln, r, p, 64), expected)

    def test_known_hashes_verify_their_password_only(self):
        for password, salt, policy, stored in KNOWN_HASHES:
            with self.subTest(stored=stored):
                if policy.scheme == "scrypt" and not HAS_SCRYPT:
                    with self.assertRaises(SchemeUnavailableError):
                        passwords.verify_password(password, stored)
                    continue
                self.assertTrue(passwords.verify_password(password, stored))
                if passwords.needs_rehash(stored, STANDARD_POLICY._replace(scheme=policy.scheme)):
                    # Wrong passwords at the standard cost would take a second each.
                    self.assertFalse(passwords.verify_password(password + " ", stored))
                    self.assertFalse(passwords.verify_password(password[:-1], stored))

    def test_known_hashes_are_what_hashing_writes(self):
        # The format and both base64 alphabets, pinned (the standard-cost ones are left to verification).
        for password, salt, policy, stored in KNOWN_HASHES:
            if policy in (STANDARD_POLICY, STANDARD_POLICY._replace(scheme="pbkdf2-sha256")):
                continue
            if policy.scheme == "scrypt" and not HAS_SCRYPT:
                continue
            with self.subTest(stored=stored):
                with mock.patch("os.urandom", return_value=salt) as urandom:
                    made = passwords.hash_password(password, policy)
                urandom.assert_called_once_with(16)
                self.assertEqual(made, stored)

    def test_hashes_made_by_passlib_verify(self):
        for stored in PASSLIB_HASHES:
            if stored.startswith("$scrypt$") and not HAS_SCRYPT:
                continue
            with self.subTest(stored=stored):
                self.assertTrue(passwords.verify_password(UMLAUTS, stored))
                self.assertFalse(passwords.verify_password(UMLAUTS.upper(), stored))

    def test_passwords_are_not_normalised(self):
        composed = unicodedata.normalize("NFC", DECOMPOSED)
        self.assertNotEqual(composed, DECOMPOSED)
        for password, salt, policy, stored in KNOWN_HASHES:
            if password != DECOMPOSED or (policy.scheme == "scrypt" and not HAS_SCRYPT):
                continue
            with self.subTest(stored=stored):
                self.assertTrue(passwords.verify_password(DECOMPOSED, stored))
                self.assertFalse(passwords.verify_password(composed, stored))


class RoundTripTest(unittest.TestCase):
    PASSWORDS = [HORSE, UMLAUTS, DECOMPOSED, " spaces around ", "tab\there", "nul\x00inside", "x" * 4096]

    def schemes(self):
        return [LOW_COST_POLICY, LOW_PBKDF2] if HAS_SCRYPT else [LOW_PBKDF2]

    def test_hash_then_verify(self):
        for policy in self.schemes():
            for password in self.PASSWORDS:
                with self.subTest(scheme=policy.scheme, password=password[:20]):
                    stored = passwords.hash_password(password, policy)
                    self.assertEqual(passwords.scheme_of(stored), policy.scheme)
                    passwords.check_hash(stored)
                    self.assertTrue(passwords.verify_password(password, stored))
                    self.assertFalse(passwords.verify_password(password + "x", stored))
                    self.assertFalse(passwords.verify_password("", stored))
                    self.assertFalse(passwords.needs_rehash(stored, policy))

    def test_keys_are_compared_in_constant_time(self):
        stored = passwords.hash_password(HORSE, LOW_PBKDF2)
        with mock.patch("hmac.compare_digest", return_value=False) as compare:
            self.assertFalse(passwords.verify_password(HORSE, stored))
        compare.assert_called_once_with(passwords.parse_hash(stored).key, passwords.parse_hash(stored).key)

    def test_every_hash_has_its_own_salt(self):
        for policy in self.schemes():
            with self.subTest(scheme=policy.scheme):
                first = passwords.hash_password(HORSE, policy)
                second = passwords.hash_password(HORSE, policy)
                self.assertNotEqual(first, second)
                self.assertEqual(len(passwords.parse_hash(first).salt), 16)
                self.assertEqual(len(passwords.parse_hash(first).key), 32)

    def test_policy_defaults_are_the_standard_cost(self):
        self.assertEqual(Policy(), Policy("scrypt", 17, 8, 1, 600000))
        self.assertEqual(STANDARD_POLICY, Policy())

    def test_maxmem_is_computed_from_the_parameters(self):
        self.assertEqual(passwords.scrypt_memory(17, 8, 1), 128 * 8 * (2 ** 17 + 2 + 1))
        calls = []

        def spy(password, **kwargs):
            calls.append(kwargs)
            return b"k" * kwargs["dklen"]

        with mock.patch.object(hashlib, "scrypt", spy, create=True):
            passwords.scrypt_key(b"pw", b"salt" * 4, 17, 8, 1)
        self.assertEqual(calls, [dict(salt=b"salt" * 4, n=2 ** 17, r=8, p=1, dklen=32,
                                      maxmem=128 * 8 * (2 ** 17 + 3) + 1024 * 1024)])


class BadPasswordTest(unittest.TestCase):
    def test_refused_passwords(self):
        cases = [
            ("", "the password is empty"),
            ("\udcff" * 9, "the password is not valid Unicode text (it cannot be encoded as UTF-8)"),
            ("\u00e9" * 2049, "the password is longer than 4096 bytes in UTF-8"),
        ]
        for password, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(DataError) as caught:
                    passwords.hash_password(password, LOW_PBKDF2)
                self.assertEqual(str(caught.exception), message)
                self.assertEqual(caught.exception.exit_code, ExitCode.DATAERR)

    def test_a_password_must_be_a_string(self):
        with self.assertRaises(TypeError):
            passwords.hash_password(b"bytes password", LOW_PBKDF2)
        with self.assertRaises(TypeError):
            passwords.verify_password(None, PASSLIB_HASHES[1])

    def test_short_password_is_hashed_with_a_warning_that_hides_it(self):
        warnings = Warnings()
        stored = passwords.hash_password("s3cr3t!", LOW_PBKDF2, warn=warnings)
        self.assertTrue(passwords.verify_password("s3cr3t!", stored))
        self.assertEqual(
            warnings, ["the password is shorter than 8 characters", passwords.below_standard(LOW_PBKDF2)]
        )

    def test_eight_characters_are_not_short(self):
        for password in ["12345678", "\u00e4" * 8]:
            with self.subTest(password=password):
                warnings = Warnings()
                passwords.hash_password(password, LOW_PBKDF2, warn=warnings)
                self.assertEqual(warnings, [passwords.below_standard(LOW_PBKDF2)])


class BelowStandardTest(unittest.TestCase):
    def test_low_cost_hashes_say_so(self):
        cases = [
            (LOW_COST_POLICY, "password hashed below the standard cost (scrypt ln=10,r=8,p=1 instead of"
             " ln=17,r=8,p=1, see PROSPECTOR_HASH_COST): it will need rehashing"),
            (LOW_PBKDF2, "password hashed below the standard cost (pbkdf2-sha256 1000 rounds instead of"
             " 600000 rounds, see PROSPECTOR_HASH_COST): it will need rehashing"),
        ]
        for policy, message in cases:
            if policy.scheme == "scrypt" and not HAS_SCRYPT:
                continue
            with self.subTest(scheme=policy.scheme):
                warnings = Warnings()
                stored = passwords.hash_password(HORSE, policy, warn=warnings)
                self.assertEqual(warnings, [message])
                self.assertTrue(passwords.needs_rehash(stored, STANDARD_POLICY._replace(scheme=policy.scheme)))
                self.assertFalse(passwords.needs_rehash(stored, policy))

    def test_which_policies_are_below_standard(self):
        cases = [
            (STANDARD_POLICY, False),
            (STANDARD_POLICY._replace(scheme="pbkdf2-sha256"), False),
            (STANDARD_POLICY._replace(scrypt_ln=18), False),
            (STANDARD_POLICY._replace(scrypt_p=2), False),
            (STANDARD_POLICY._replace(scrypt_ln=16), True),
            (STANDARD_POLICY._replace(scrypt_r=4, scrypt_ln=18), True),
            (STANDARD_POLICY._replace(scheme="pbkdf2-sha256", pbkdf2_rounds=599999), True),
            (STANDARD_POLICY._replace(scheme="pbkdf2-sha256", scrypt_ln=10), False),
        ]
        for policy, below in cases:
            with self.subTest(policy=policy):
                self.assertEqual(passwords.below_standard(policy) is not None, below)


class MalformedHashTest(unittest.TestCase):
    MARK = "Hunter2Secret"
    S = b64(b"s" * 16)
    K = b64(b"k" * 32)
    CASES = [
        (None, "a password hash must be a string"),
        (b"$scrypt$ln=10,r=8,p=1$c3Nz$a2tr", "a password hash must be a string"),
        ("$scrypt$" + "A" * 2041, "the password hash is longer than 2048 characters"),
        ("", "not a password hash this tool accepts: expected $scrypt$ln=L,r=R,p=P$SALT$KEY"
             " or $pbkdf2-sha256$ROUNDS$SALT$KEY"),
        (MARK, "not a password hash this tool accepts: expected $scrypt$ln=L,r=R,p=P$SALT$KEY"
               " or $pbkdf2-sha256$ROUNDS$SALT$KEY"),
        ("$2b$12$" + MARK, "not a password hash this tool accepts: expected $scrypt$ln=L,r=R,p=P$SALT$KEY"
                           " or $pbkdf2-sha256$ROUNDS$SALT$KEY"),
        ("$SCRYPT$ln=10,r=8,p=1$%s$%s" % (S, K), "not a password hash this tool accepts: expected"
         " $scrypt$ln=L,r=R,p=P$SALT$KEY or $pbkdf2-sha256$ROUNDS$SALT$KEY"),
        ("$pbkdf2-sha512$1000$%s$%s" % (S, K), "not a password hash this tool accepts: expected"
         " $scrypt$ln=L,r=R,p=P$SALT$KEY or $pbkdf2-sha256$ROUNDS$SALT$KEY"),
        (" " + scrypt_hash(), "not a password hash this tool accepts: expected $scrypt$ln=L,r=R,p=P$SALT$KEY"
                              " or $pbkdf2-sha256$ROUNDS$SALT$KEY"),
        # scrypt: fields
        ("$scrypt$", "scrypt hash: expected $scrypt$ln=L,r=R,p=P$SALT$KEY"),
        ("$scrypt$ln=10,r=8,p=1$" + S, "scrypt hash: expected $scrypt$ln=L,r=R,p=P$SALT$KEY"),
        (scrypt_hash() + "$" + MARK, "scrypt hash: expected $scrypt$ln=L,r=R,p=P$SALT$KEY"),
        ("$scrypt$r=8,ln=10,p=1$%s$%s" % (S, K), "scrypt hash: the parameters must read ln=L,r=R,p=P, in this order"),
        ("$scrypt$ln=10,r=8$%s$%s" % (S, K), "scrypt hash: the parameters must read ln=L,r=R,p=P, in this order"),
        ("$scrypt$ln=10,r=8,p=1,x=2$%s$%s" % (S, K), "scrypt hash: the parameters must read ln=L,r=R,p=P, in this order"),
        ("$scrypt$ln=+10,r=8,p=1$%s$%s" % (S, K), "scrypt hash: the parameters must read ln=L,r=R,p=P, in this order"),
        ("$scrypt$ln=-1,r=8,p=1$%s$%s" % (S, K), "scrypt hash: the parameters must read ln=L,r=R,p=P, in this order"),
        ("$scrypt$ln=1\u0660,r=8,p=1$%s$%s" % (S, K), "scrypt hash: the parameters must read ln=L,r=R,p=P, in this order"),
        ("$scrypt$ln=%s,r=8,p=1$%s$%s" % (MARK, S, K), "scrypt hash: the parameters must read ln=L,r=R,p=P, in this order"),
        ("$scrypt$ln=010,r=8,p=1$%s$%s" % (S, K),
         "scrypt hash: ln must be a decimal number of at most 10 digits, without leading zeros"),
        ("$scrypt$ln=10,r=8,p=%s$%s$%s" % ("9" * 11, S, K),
         "scrypt hash: p must be a decimal number of at most 10 digits, without leading zeros"),
        # scrypt: absurd or impossible parameters
        (scrypt_hash(ln=0), "scrypt hash: ln must be between 1 and 20"),
        (scrypt_hash(ln=21), "scrypt hash: ln must be between 1 and 20"),
        (scrypt_hash(ln=4294967295), "scrypt hash: ln must be between 1 and 20"),
        (scrypt_hash(r=0), "scrypt hash: r must be between 1 and 64"),
        (scrypt_hash(r=65), "scrypt hash: r must be between 1 and 64"),
        (scrypt_hash(p=0), "scrypt hash: p must be between 1 and 64"),
        (scrypt_hash(p=9999999999), "scrypt hash: p must be between 1 and 64"),
        (scrypt_hash(ln=16, r=1), "scrypt hash: ln must be less than 16 times r (RFC 7914)"),
        (scrypt_hash(ln=20, r=8), "scrypt hash: ln and r ask for more than 512 MiB of memory"),
        (scrypt_hash(ln=12, r=64 * 4), "scrypt hash: r must be between 1 and 64"),
        (scrypt_hash(ln=17, r=64), "scrypt hash: ln and r ask for more than 512 MiB of memory"),
        (scrypt_hash(ln=17, r=8, p=5), "scrypt hash: ln, r and p ask for more than 4 times the standard work"),
        (scrypt_hash(ln=19, r=8, p=2), "scrypt hash: ln, r and p ask for more than 4 times the standard work"),
        # scrypt: salt and key
        (scrypt_hash(salt=""), "scrypt hash: the salt must be 8 to 1024 bytes"),
        (scrypt_hash(salt_bytes=7), "scrypt hash: the salt must be 8 to 1024 bytes"),
        (scrypt_hash(salt_bytes=1025), "scrypt hash: the salt must be 8 to 1024 bytes"),
        (scrypt_hash(key_bytes=31), "scrypt hash: the key must be 32 bytes"),
        (scrypt_hash(key_bytes=33), "scrypt hash: the key must be 32 bytes"),
        (scrypt_hash(key_bytes=0), "scrypt hash: the key must be 32 bytes"),
        (scrypt_hash(salt=S + "=="), "scrypt hash: the salt is not base64 without padding"),
        (scrypt_hash(salt="c3Nzc3Nzc3Nzc3Nzc3Nzcw=="), "scrypt hash: the salt is not base64 without padding"),
        (scrypt_hash(salt=ab64(SALT_SIGNS)), "scrypt hash: the salt is not base64 without padding"),
        (scrypt_hash(salt=b64(SALT_SIGNS).replace("+", "-").replace("/", "_")),
         "scrypt hash: the salt is not base64 without padding"),
        (scrypt_hash(salt=S + "AAA"), "scrypt hash: the salt is not base64 without padding"),
        (scrypt_hash(salt="c3Nz c3Nzc3Nzc3Nzc3Nzcw"), "scrypt hash: the salt is not base64 without padding"),
        (scrypt_hash(salt="c3Nzc3Nzc3Nzc3Nzc3N\u00e9cw"), "scrypt hash: the salt is not base64 without padding"),
        (scrypt_hash(salt=b64(SALT_SIGNS)[:-1] + "R"),
         "scrypt hash: the salt is not canonical base64 (stray bits at its end)"),
        (scrypt_hash() + "\n", "scrypt hash: the key is not base64 without padding"),
        ("$scrypt$ln=10,r=8,p=1$%s$%s" % (S, MARK + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
         "scrypt hash: the key must be 32 bytes"),
        # pbkdf2-sha256
        ("$pbkdf2-sha256$", "pbkdf2-sha256 hash: expected $pbkdf2-sha256$ROUNDS$SALT$KEY"),
        ("$pbkdf2-sha256$1000$" + S, "pbkdf2-sha256 hash: expected $pbkdf2-sha256$ROUNDS$SALT$KEY"),
        (pbkdf2_hash() + "$", "pbkdf2-sha256 hash: expected $pbkdf2-sha256$ROUNDS$SALT$KEY"),
        ("$pbkdf2-sha256$$%s$%s" % (S, K),
         "pbkdf2-sha256 hash: rounds must be a decimal number of at most 10 digits, without leading zeros"),
        ("$pbkdf2-sha256$0600000$%s$%s" % (S, K),
         "pbkdf2-sha256 hash: rounds must be a decimal number of at most 10 digits, without leading zeros"),
        ("$pbkdf2-sha256$-1$%s$%s" % (S, K),
         "pbkdf2-sha256 hash: rounds must be a decimal number of at most 10 digits, without leading zeros"),
        ("$pbkdf2-sha256$%s$%s$%s" % (MARK, S, K),
         "pbkdf2-sha256 hash: rounds must be a decimal number of at most 10 digits, without leading zeros"),
        ("$pbkdf2-sha256$%s$%s$%s" % ("9" * 11, S, K),
         "pbkdf2-sha256 hash: rounds must be a decimal number of at most 10 digits, without leading zeros"),
        (pbkdf2_hash(rounds=0), "pbkdf2-sha256 hash: rounds must be between 1 and 5000000"),
        (pbkdf2_hash(rounds=5000001), "pbkdf2-sha256 hash: rounds must be between 1 and 5000000"),
        (pbkdf2_hash(rounds=4294967295), "pbkdf2-sha256 hash: rounds must be between 1 and 5000000"),
        (pbkdf2_hash(salt=b64(SALT_SIGNS)), "pbkdf2-sha256 hash: the salt is not adapted base64 ('.' for '+', no padding)"),
        (pbkdf2_hash(salt=S + "=="), "pbkdf2-sha256 hash: the salt is not adapted base64 ('.' for '+', no padding)"),
        (pbkdf2_hash(salt=S + "AAA"), "pbkdf2-sha256 hash: the salt is not base64 without padding"),
        (pbkdf2_hash(salt=ab64(SALT_SIGNS)[:-1] + "R"),
         "pbkdf2-sha256 hash: the salt is not canonical base64 (stray bits at its end)"),
        (pbkdf2_hash(salt_bytes=4), "pbkdf2-sha256 hash: the salt must be 8 to 1024 bytes"),
        (pbkdf2_hash(key_bytes=20), "pbkdf2-sha256 hash: the key must be 32 bytes"),
        (pbkdf2_hash(key_bytes=64), "pbkdf2-sha256 hash: the key must be 32 bytes"),
    ]

    def test_refused_with_a_message_that_never_shows_the_hash(self):
        checks = [
            ("check_hash", lambda stored: passwords.check_hash(stored)),
            ("scheme_of", lambda stored: passwords.scheme_of(stored)),
            ("needs_rehash", lambda stored: passwords.needs_rehash(stored, LOW_COST_POLICY)),
            ("verify_password", lambda stored: passwords.verify_password(HORSE, stored)),
        ]
        for stored, message in self.CASES:
            for name, check in checks:
                with self.subTest(stored=stored if stored is None else stored[:60], call=name):
                    # Refused before any work: no key derivation runs at all (a
                    # structural check, not a timer that a slow machine could fail).
                    refuse = mock.Mock(side_effect=AssertionError("a key was derived"))
                    with mock.patch.object(hashlib, "pbkdf2_hmac", refuse), \
                            mock.patch.object(hashlib, "scrypt", refuse, create=True):
                        with self.assertRaises(InvalidHashError) as caught:
                            check(stored)
                    self.assertEqual(refuse.call_count, 0)
                    error = caught.exception
                    self.assertEqual(str(error), message)
                    self.assertIsInstance(error, DataError)
                    self.assertIsInstance(error, ValueError)
                    self.assertEqual(error.exit_code, ExitCode.DATAERR)
                    self.assertNotIn(self.MARK, message)
                    if isinstance(stored, str) and len(stored) > 16:
                        self.assertNotIn(stored, message)
                        for field in stored.split("$")[3:]:
                            if len(field) >= 6:
                                self.assertNotIn(field, message)

    def test_bounds_are_inclusive(self):
        accepted = [
            scrypt_hash(ln=1, r=1, p=1), scrypt_hash(ln=15, r=1), scrypt_hash(ln=19, r=8, p=1),
            scrypt_hash(ln=12, r=64, p=16), scrypt_hash(ln=6, r=64, p=64), scrypt_hash(salt_bytes=8), scrypt_hash(salt_bytes=1024),
            pbkdf2_hash(rounds=1), pbkdf2_hash(rounds=5000000), pbkdf2_hash(salt_bytes=1024),
        ]
        for stored in accepted:
            with self.subTest(stored=stored[:60]):
                passwords.check_hash(stored)


class NeedsRehashTest(unittest.TestCase):
    def test_weaker_than_policy(self):
        scrypt_low = LOW_COST_POLICY
        pbkdf2_low = LOW_PBKDF2
        cases = [
            (scrypt_hash(ln=10, r=8, p=1), scrypt_low, False),
            (scrypt_hash(ln=11, r=8, p=1), scrypt_low, False),
            (scrypt_hash(ln=10, r=16, p=2), scrypt_low, False),
            (scrypt_hash(ln=9, r=8, p=1), scrypt_low, True),
            (scrypt_hash(ln=10, r=4, p=1), scrypt_low, True),
            (scrypt_hash(ln=12, r=4, p=4), scrypt_low, True),
            (scrypt_hash(ln=10, r=8, p=1), scrypt_low._replace(scrypt_p=2), True),
            (scrypt_hash(salt_bytes=15), scrypt_low, True),
            (scrypt_hash(ln=10), STANDARD_POLICY, True),
            (scrypt_hash(ln=17), STANDARD_POLICY, False),
            (pbkdf2_hash(rounds=600000), STANDARD_POLICY, True),
            (pbkdf2_hash(rounds=1000), scrypt_low, True),
            (scrypt_hash(ln=17), pbkdf2_low, True),
            (pbkdf2_hash(rounds=1000), pbkdf2_low, False),
            (pbkdf2_hash(rounds=2000), pbkdf2_low, False),
            (pbkdf2_hash(rounds=999), pbkdf2_low, True),
            (pbkdf2_hash(rounds=1000, salt_bytes=8), pbkdf2_low, True),
            (pbkdf2_hash(rounds=599999), STANDARD_POLICY._replace(scheme="pbkdf2-sha256"), True),
        ]
        for stored, policy, expected in cases:
            with self.subTest(stored=stored[:40], policy=policy):
                self.assertIs(passwords.needs_rehash(stored, policy), expected)


class PolicyTest(unittest.TestCase):
    def policy(self, environ, scheme=None):
        warnings = Warnings()
        return passwords.policy_from_environ(environ, scheme=scheme, warn=warnings), warnings

    @unittest.skipUnless(HAS_SCRYPT, NO_SCRYPT)
    def test_scrypt_by_default(self):
        for environ in [{}, {"PROSPECTOR_HASH_SCHEME": ""}, {"PROSPECTOR_HASH_SCHEME": "auto"}]:
            with self.subTest(environ=environ):
                self.assertEqual(self.policy(environ), (STANDARD_POLICY, []))

    def test_pbkdf2_when_chosen(self):
        expected = STANDARD_POLICY._replace(scheme="pbkdf2-sha256")
        cases = [
            ({"PROSPECTOR_HASH_SCHEME": "pbkdf2-sha256"}, None),
            ({"PROSPECTOR_HASH_SCHEME": " pbkdf2-sha256 "}, None),
            ({}, "pbkdf2-sha256"),
            ({"PROSPECTOR_HASH_SCHEME": "scrypt"}, "pbkdf2-sha256"),
        ]
        for environ, scheme in cases:
            with self.subTest(environ=environ, scheme=scheme):
                self.assertEqual(self.policy(environ, scheme), (expected, []))

    @unittest.skipUnless(HAS_SCRYPT, NO_SCRYPT)
    def test_the_option_wins_over_the_variable(self):
        policy, warnings = self.policy({"PROSPECTOR_HASH_SCHEME": "pbkdf2-sha256"}, "scrypt")
        self.assertEqual(policy.scheme, "scrypt")

    def test_bad_scheme(self):
        for environ, scheme in [({"PROSPECTOR_HASH_SCHEME": "bcrypt"}, None), ({}, "SCRYPT")]:
            with self.subTest(environ=environ, scheme=scheme):
                with self.assertRaises(ConfigError) as caught:
                    self.policy(environ, scheme)
                name = scheme or environ["PROSPECTOR_HASH_SCHEME"]
                self.assertEqual(
                    str(caught.exception),
                    "the hash scheme (PROSPECTOR_HASH_SCHEME or --scheme) must be scrypt, pbkdf2-sha256"
                    " or auto, not %r" % name,
                )
                self.assertEqual(caught.exception.exit_code, ExitCode.CONFIG)

    def test_cost_variable(self):
        standard = STANDARD_POLICY
        cases = [
            ("", standard),
            ("standard", standard),
            ("low", LOW_COST_POLICY),
            (" low ", LOW_COST_POLICY),
            ("ln=14", standard._replace(scrypt_ln=14)),
            ("rounds=700000", standard._replace(pbkdf2_rounds=700000)),
            ("ln=12, r=4,p=2 ,rounds=5000", Policy("scrypt", 12, 4, 2, 5000)),
            ("ln=18,ln=15", standard._replace(scrypt_ln=15)),
        ]
        for text, expected in cases:
            with self.subTest(text=text):
                self.assertEqual(passwords.cost_from_text(text), expected)
                policy, warnings = self.policy({"PROSPECTOR_HASH_COST": text}, "pbkdf2-sha256")
                self.assertEqual(policy, expected._replace(scheme="pbkdf2-sha256"))

    def test_bad_cost_variable(self):
        usage = ('PROSPECTOR_HASH_COST must be "low", "standard" or settings such as'
                 ' "ln=14,r=8,p=1,rounds=100000", not %r')
        cases = [
            ("medium", usage % "medium"),
            ("ln", usage % "ln"),
            ("ln=", usage % "ln="),
            ("ln=abc", usage % "ln=abc"),
            ("ln=010", usage % "ln=010"),
            ("N=16384", usage % "N=16384"),
            ("ln=14,", usage % "ln=14,"),
            ("ln=0", "PROSPECTOR_HASH_COST: ln must be between 1 and 20"),
            ("ln=20", "PROSPECTOR_HASH_COST: ln and r ask for more than 512 MiB of memory"),
            ("r=1", "PROSPECTOR_HASH_COST: ln must be less than 16 times r (RFC 7914)"),
            ("p=5", "PROSPECTOR_HASH_COST: ln, r and p ask for more than 4 times the standard work"),
            ("rounds=0", "PROSPECTOR_HASH_COST: rounds must be between 1 and 5000000"),
        ]
        for text, message in cases:
            with self.subTest(text=text):
                with self.assertRaises(ConfigError) as caught:
                    self.policy({"PROSPECTOR_HASH_COST": text}, "pbkdf2-sha256")
                self.assertEqual(str(caught.exception), message)


class FallbackTest(unittest.TestCase):
    """Without scrypt (missing, or refused by a FIPS-mode OpenSSL): PBKDF2, with one warning."""

    MISSING = "this Python's hashlib has no scrypt"
    REFUSED = "this Python's OpenSSL refuses scrypt"

    def without_scrypt(self, how):
        """Simulate scrypt ``how``: "missing" from hashlib, or "refused" by OpenSSL."""
        if how == "missing":
            return mock.patch.object(hashlib, "scrypt", None, create=True)
        return mock.patch.object(hashlib, "scrypt", fake_scrypt_refused, create=True)

    def test_automatic_fallback_warns_once(self):
        for how, reason in [("missing", self.MISSING), ("refused", self.REFUSED)]:
            with self.subTest(how=how), self.without_scrypt(how):
                warnings = Warnings()
                policy = passwords.policy_from_environ({"PROSPECTOR_HASH_COST": "low"}, warn=warnings)
                self.assertEqual(policy, LOW_PBKDF2)
                self.assertEqual(warnings, [reason + ": passwords are hashed with PBKDF2-HMAC-SHA256 instead"])
                stored = passwords.hash_many(labelled(["first password", "second password"]), policy, warn=warnings)
                self.assertEqual([passwords.scheme_of(item) for item in stored], ["pbkdf2-sha256"] * 2)
                self.assertTrue(passwords.verify_password("second password", stored[1]))
                self.assertEqual(len(warnings), 2)  # the fallback once, and the low cost once
                self.assertIn("below the standard cost", warnings[1])

    @unittest.skipIf(HAS_SCRYPT, "hashlib.scrypt exists here; the other tests simulate its absence")
    def test_real_python_without_scrypt(self):
        warnings = Warnings()
        policy = passwords.policy_from_environ({}, warn=warnings)
        self.assertEqual(policy.scheme, "pbkdf2-sha256")
        self.assertEqual(warnings, [self.MISSING + ": passwords are hashed with PBKDF2-HMAC-SHA256 instead"])

    def test_explicit_scrypt_without_scrypt_is_an_error(self):
        for how, reason in [("missing", self.MISSING), ("refused", self.REFUSED)]:
            for environ, scheme in [({"PROSPECTOR_HASH_SCHEME": "scrypt"}, None), ({}, "scrypt")]:
                with self.subTest(how=how, scheme=scheme), self.without_scrypt(how):
                    with self.assertRaises(SchemeUnavailableError) as caught:
                        passwords.policy_from_environ(environ, scheme=scheme, warn=self.fail)
                    self.assertEqual(str(caught.exception), "scrypt was asked for, but " + reason)
                    self.assertEqual(caught.exception.exit_code, ExitCode.CONFIG)

    def test_scrypt_hashes_cannot_be_made_or_checked_without_scrypt(self):
        cases = [
            ("missing", "cannot use scrypt: this Python's hashlib has no scrypt"),
            ("refused", "cannot use scrypt: OpenSSL refused it ([digital envelope routines] unsupported)"),
        ]
        for how, message in cases:
            with self.subTest(how=how), self.without_scrypt(how):
                for attempt in [
                    lambda: passwords.hash_password(HORSE, LOW_COST_POLICY),
                    lambda: passwords.verify_password(UMLAUTS, PASSLIB_HASHES[0]),
                ]:
                    with self.assertRaises(SchemeUnavailableError) as caught:
                        attempt()
                    self.assertEqual(str(caught.exception), message)
                self.assertTrue(passwords.verify_password(UMLAUTS, PASSLIB_HASHES[1]))
                self.assertTrue(passwords.needs_rehash(PASSLIB_HASHES[1], STANDARD_POLICY))


def labelled(secrets):
    """``(label, password)`` pairs for hash_many, labelled as a caller without names would."""
    return [("password %d of %d" % (number, len(secrets)), secret) for number, secret in enumerate(secrets, 1)]


class HashManyTest(unittest.TestCase):
    def concurrency_probe(self):
        """A pbkdf2_hmac that records how many calls run at once."""
        real = hashlib.pbkdf2_hmac
        lock = threading.Lock()
        state = {"now": 0, "most": 0, "calls": 0}

        def probe(*args):
            with lock:
                state["now"] += 1
                state["calls"] += 1
                state["most"] = max(state["most"], state["now"])
            time.sleep(0.05)
            try:
                return real(*args)
            finally:
                with lock:
                    state["now"] -= 1

        return probe, state

    def test_same_order_and_each_verifies(self):
        secrets = ["password number %d" % number for number in range(7)]
        for workers in [1, 3, None]:
            with self.subTest(workers=workers):
                stored = passwords.hash_many(labelled(secrets), LOW_PBKDF2, workers=workers)
                self.assertEqual(len(stored), len(secrets))
                for index, item in enumerate(stored):
                    self.assertTrue(passwords.verify_password(secrets[index], item))
                    self.assertFalse(passwords.verify_password(secrets[index - 1], item))

    @unittest.skipUnless(HAS_SCRYPT, NO_SCRYPT)
    def test_scrypt(self):
        stored = passwords.hash_many(labelled(["alpha password", "beta password"]), LOW_COST_POLICY, workers=2)
        self.assertTrue(passwords.verify_password("beta password", stored[1]))
        self.assertEqual(passwords.scheme_of(stored[0]), "scrypt")

    def test_workers_bound_the_hashes_in_flight(self):
        for workers, cpus, expected in [(2, 8, 2), (None, 3, 3), (8, 1, 6), (1, 8, 1)]:
            with self.subTest(workers=workers, cpus=cpus):
                probe, state = self.concurrency_probe()
                from prospector_scheduler import hash_workers

                with mock.patch.object(hashlib, "pbkdf2_hmac", probe), mock.patch("os.cpu_count", return_value=cpus), \
                        mock.patch("os.sched_getaffinity", create=True, return_value=set(range(cpus))), \
                        mock.patch.object(hash_workers, "read_text", return_value=None):
                    stored = passwords.hash_many(labelled(["password %d" % n for n in range(6)]), LOW_PBKDF2, workers=workers)
                self.assertEqual(len(stored), 6)
                self.assertEqual(state["calls"], 6)
                self.assertEqual(state["most"], expected)

    def test_labels_name_the_password_in_errors_and_warnings(self):
        warnings = Warnings()
        passwords.hash_many([('the password of "bob"', "short")], LOW_PBKDF2, warn=warnings)
        self.assertEqual(warnings[0], 'the password of "bob" is shorter than 8 characters')
        with self.assertRaises(DataError) as caught:
            passwords.hash_many([('the password of "bob"', "long enough"), ('the password of "eve"', "")], LOW_PBKDF2)
        self.assertEqual(str(caught.exception), 'the password of "eve" is empty')

    def test_verify_many(self):
        stored = passwords.hash_many(labelled(["alpha password", "beta password"]), LOW_PBKDF2)
        pairs = [("alpha password", stored[0]), ("alpha password", stored[1]), ("beta password", "$not a hash")]
        for workers in [1, 3, None]:
            with self.subTest(workers=workers):
                self.assertEqual(passwords.verify_many(pairs, workers=workers), [True, False, False])

    def test_nothing_to_hash(self):
        warnings = Warnings()
        self.assertEqual(passwords.hash_many([], LOW_PBKDF2, warn=warnings), [])
        self.assertEqual(warnings, [])

    def test_workers_must_be_positive(self):
        with self.assertRaises(ValueError):
            passwords.hash_many(labelled(["a password"]), LOW_PBKDF2, workers=0)

    def test_every_password_is_checked_before_any_is_hashed(self):
        with mock.patch.object(passwords, "_hash_bytes", side_effect=AssertionError("hashed")):
            with self.assertRaises(DataError) as caught:
                passwords.hash_many(labelled(["good password", "", "another one"]), LOW_PBKDF2)
        self.assertEqual(str(caught.exception), "password 2 of 3 is empty")

    def test_warnings(self):
        warnings = Warnings()
        passwords.hash_many(labelled(["long enough", "short", "tiny", "long enough too"]), LOW_PBKDF2, warn=warnings)
        self.assertEqual(
            warnings,
            [
                "password 2 of 4 is shorter than 8 characters",
                "password 3 of 4 is shorter than 8 characters",
                passwords.below_standard(LOW_PBKDF2),
            ],
        )


class SecrecyTest(unittest.TestCase):
    """No password and no hash in any message or warning, on every path."""

    SECRET = "Tr0ub4dor&3"

    def test_no_secret_in_messages(self):
        warnings = Warnings()
        errors = []
        policies = [LOW_COST_POLICY, LOW_PBKDF2] if HAS_SCRYPT else [LOW_PBKDF2]
        for policy in policies:
            stored = passwords.hash_password(self.SECRET, policy, warn=warnings)
            passwords.hash_password(self.SECRET[:5], policy, warn=warnings)
            passwords.hash_many(labelled([self.SECRET, self.SECRET[:4]]), policy, warn=warnings)
            self.assertFalse(passwords.verify_password(self.SECRET + "!", stored))
            attempts = [
                lambda: passwords.hash_password(self.SECRET + "\udc80", policy),
                lambda: passwords.hash_password(self.SECRET * 400, policy),
                lambda: passwords.hash_many(labelled([self.SECRET, ""]), policy),
                lambda: passwords.verify_password(self.SECRET, stored[:-2]),
                lambda: passwords.verify_password(self.SECRET, stored.replace("$", "$" + self.SECRET, 1)),
                lambda: passwords.check_hash(self.SECRET),
                lambda: passwords.check_hash("$scrypt$ln=10,r=8,p=1$%s$%s" % (self.SECRET, self.SECRET)),
                lambda: passwords.check_hash("$pbkdf2-sha256$1000$%s$%s" % (self.SECRET, self.SECRET)),
            ]
            for attempt in attempts:
                with self.assertRaises(DataError) as caught:
                    attempt()
                errors.append(str(caught.exception))
        self.assertEqual(len(errors), 8 * len(policies))
        self.assertEqual(len(warnings), 5 * len(policies))
        self.assertIn("the password is shorter than 8 characters", warnings)
        self.assertIn("password 2 of 2 is shorter than 8 characters", warnings)
        for message in warnings + errors:
            with self.subTest(message=message):
                self.assertNotIn(self.SECRET[:4], message)
                self.assertNotIn("$scrypt$ln=10,r=8,p=1$", message)
                self.assertNotIn("$pbkdf2-sha256$1000$", message)


if __name__ == "__main__":
    unittest.main()


class CheckHashAgreementTest(unittest.TestCase):
    """check_hash's one-expression path accepts exactly what parse_hash accepts (issue 11)."""

    def test_seeded_mutations_of_good_hashes(self):
        import random

        # Well-formed hashes (parsing needs no scrypt, so these run where hashlib has none).
        good = ["$scrypt$ln=10,r=8,p=1$FfuI433fXUFHegIRvprRNg$1TbjTAbt00sDb22p2/pn/Kbrmm6dRkHYvWrvvTUAR+M",
                "$pbkdf2-sha256$1000$Uu6xUEbq9RPhLbvt2ggF8w$S.VJfNWgxiTjl9BEoy/4lZAunAAs6Psn9inTrebos98"]
        rng = random.Random(11)
        alphabet = "AQgwEIMUYcoks048+/.$=,abxyzZ0123456789-"
        accepted = 0
        for _ in range(4000):
            text = list(rng.choice(good))
            for _ in range(rng.randint(0, 3)):
                position = rng.randrange(len(text))
                choice = rng.random()
                if choice < 0.4:
                    text[position] = rng.choice(alphabet)
                elif choice < 0.7:
                    text.insert(position, rng.choice(alphabet))
                else:
                    del text[position]
            candidate = "".join(text)
            try:
                passwords.parse_hash(candidate)
                expected = True
            except passwords.InvalidHashError:
                expected = False
            try:
                passwords.check_hash(candidate)
                got = True
            except passwords.InvalidHashError:
                got = False
            self.assertEqual(got, expected, candidate)
            accepted += got
        self.assertGreater(accepted, 500)
        self.assertLess(accepted, 3500)

    def test_lists_of_hashes_agree_with_checking_each(self):
        """check_hashes accepts a list exactly when check_hash accepts each of its hashes, and
        names the first refused one as check_hash does; its proof by shape (no step per hash)
        accepts only lists whose every hash check_hash accepts."""
        import random

        rng = random.Random(12)

        def b64(size, adapted=False):
            text = base64.b64encode(bytes(rng.randrange(256) for _ in range(size))).decode("ascii").rstrip("=")
            return text.replace("+", ".") if adapted else text

        def made(kind, salt_bytes):
            if kind == "scrypt":
                return "$scrypt$ln=10,r=8,p=1$%s$%s" % (b64(salt_bytes), b64(32))
            return "$pbkdf2-sha256$1000$%s$%s" % (b64(salt_bytes, True), b64(32, True))

        alphabet = "AQgwEIMUYcoks048+/.$=,abxyzZ0123456789-\u00e9\n"
        by_shape = 0
        refused = 0
        for trial in range(1500):
            kind = rng.choice(("scrypt", "pbkdf2"))
            salt_bytes = rng.choice((16, 16, 8, 9, 10, 7, 1025))
            hashes = [made(kind, salt_bytes) for _ in range(rng.randint(1, 6))]
            choice = rng.random()
            if choice < 0.15:
                hashes.append(made("pbkdf2" if kind == "scrypt" else "scrypt", salt_bytes))
            elif choice < 0.2:
                hashes.append(hashes[0].replace("ln=10", "ln=11").replace("$1000$", "$1001$"))
            elif choice < 0.85:
                index = rng.randrange(len(hashes))
                text = list(hashes[index])
                for _ in range(rng.randint(1, 2)):
                    position = rng.randrange(len(text))
                    if rng.random() < 0.6:
                        text[position] = rng.choice(alphabet)
                    else:
                        # keep the length: a character moves (a deleted one comes back elsewhere)
                        text.insert(rng.randrange(len(text)), text.pop(position))
                hashes[index] = "".join(text)
            rng.shuffle(hashes)
            first_error = None
            for stored_hash in hashes:
                try:
                    passwords.check_hash(stored_hash)
                except InvalidHashError as error:
                    first_error = error.message
                    break
            with self.subTest(trial=trial, hashes=hashes):
                if passwords._shaped_like_the_first(hashes):
                    by_shape += 1
                    self.assertIsNone(first_error)
                try:
                    passwords.check_hashes(iter(hashes))
                    got = None
                except InvalidHashError as error:
                    got = error.message
                self.assertEqual(got, first_error)
                refused += got is not None
        self.assertGreater(by_shape, 300)
        self.assertGreater(refused, 300)

    def test_a_list_of_one_policy_is_proved_by_its_shape(self):
        hashes = [passwords.hash_password("pw-%d" % n, LOW_PBKDF2) for n in range(20)]
        self.assertTrue(passwords._shaped_like_the_first(hashes))
        self.assertTrue(passwords._shaped_like_the_first([]))
        passwords.check_hashes(hashes)
        with self.assertRaises(InvalidHashError) as caught:
            passwords.check_hashes(hashes[:3] + ["$pbkdf2-sha256$1000$short$key"] + hashes[3:])
        with self.assertRaises(InvalidHashError) as expected:
            passwords.check_hash("$pbkdf2-sha256$1000$short$key")
        self.assertEqual(caught.exception.message, expected.exception.message)

    def test_a_value_that_is_not_a_string_is_named_as_check_hash_names_it(self):
        hashes = [passwords.hash_password("pw-%d" % n, LOW_PBKDF2) for n in range(3)]
        for other in (5, None, b"$pbkdf2-sha256$", ["x"]):
            for position in (0, 2):
                listed = hashes[:position] + [other] + hashes[position:]
                with self.subTest(other=other, position=position):
                    self.assertFalse(passwords._shaped_like_the_first(listed))
                    with self.assertRaises(InvalidHashError) as caught:
                        passwords.check_hashes(listed)
                    self.assertEqual(caught.exception.message, "a password hash must be a string")
