"""How many hashes run at once: affinity, cgroup v2 cpu.max and memory.max, MemAvailable, the override."""

import unittest
from unittest import mock

from prospector_scheduler import hash_workers, passwords
from prospector_scheduler.errors import ConfigError, ExitCode
from prospector_scheduler.hash_workers import MARGIN_BYTES, MIB, choose

HASH = 128 * MIB  # about one standard scrypt hash
PER = HASH + MARGIN_BYTES  # 144 MiB with the margin
MEMINFO = "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    %d kB\nBuffers: 1 kB\n"


class ParserTest(unittest.TestCase):
    def test_cpu_max(self):
        table = [
            ("max 100000\n", None),
            ("200000 100000\n", 2),
            ("150000 100000\n", 2),  # 1.5 CPUs rounds up
            ("50000 100000\n", 1),
            ("1 100000", 1),
            ("", None),
            ("200000\n", None),
            ("0 100000", None),
            ("200000 0", None),
            ("-5 100000", None),
            ("2e5 100000", None),
            ("200000 100000 7", None),
            ("\x00garbage", None),
            (None, None),
        ]
        for text, expected in table:
            with self.subTest(text=text):
                self.assertEqual(hash_workers.cpus_from_cpu_max(text), expected)

    def test_memory_max(self):
        table = [
            ("max\n", None),
            ("536870912\n", 512 * MIB),
            ("0\n", 0),
            ("", None),
            ("-1", None),
            ("512M", None),
            ("12 34", None),
            (None, None),
        ]
        for text, expected in table:
            with self.subTest(text=text):
                self.assertEqual(hash_workers.bytes_from_memory_max(text), expected)

    def test_meminfo(self):
        table = [
            (MEMINFO % 1048576, 1024 * MIB),
            ("MemTotal: 100 kB\n", None),
            ("MemAvailable: lots kB\n", None),
            ("MemAvailable: 100 MB\n", None),
            ("XMemAvailable: 100 kB\n", None),
            ("", None),
            (None, None),
        ]
        for text, expected in table:
            with self.subTest(text=text):
                self.assertEqual(hash_workers.bytes_from_meminfo(text), expected)

    def test_override(self):
        for text, expected in [(None, None), ("", None), ("  ", None), ("1", 1), ("12", 12), (" 3\n", 3)]:
            with self.subTest(text=text):
                self.assertEqual(hash_workers.workers_from_text(text), expected)
        for text in ("0", "-1", "1.5", "two", "+2", "0x10", "1e3", "9" * 19):
            with self.subTest(text=text):
                with self.assertRaises(ConfigError) as caught:
                    hash_workers.workers_from_text(text)
                self.assertEqual(
                    caught.exception.message,
                    "PROSPECTOR_HASH_WORKERS must be a whole number of at least 1, not %r" % text,
                )
                self.assertEqual(caught.exception.exit_code, ExitCode.CONFIG)


class ChooseTest(unittest.TestCase):
    def test_table(self):
        big = MEMINFO % (64 * 1024 * 1024)  # 64 GiB available
        table = [
            # (description, environ, cpu_count, affinity, cpu.max, memory.max, memory.current, meminfo, workers)
            ("cpu_count only", {}, 8, None, None, None, None, None, 8),
            ("no cpu_count", {}, None, None, None, None, None, None, 1),
            ("affinity wins over cpu_count", {}, 64, {0, 1, 2}, None, None, None, big, 3),
            ("empty affinity is ignored", {}, 4, set(), None, None, None, None, 4),
            ("cpu.max quota", {}, 64, None, "200000 100000\n", None, None, big, 2),
            ("cpu.max quota rounds up", {}, 64, None, "250000 100000\n", None, None, big, 3),
            ("cpu.max max", {}, 8, None, "max 100000\n", None, None, big, 8),
            ("cpu.max above affinity", {}, 64, {0, 1}, "800000 100000", None, None, big, 2),
            ("cpu.max garbage", {}, 8, None, "lots", None, None, big, 8),
            ("memory.max 512 MiB on 64 CPUs", {}, 64, None, None, "536870912\n", None, big, 3),
            ("memory.max minus memory.current", {}, 64, None, None, "536870912\n", "%d\n" % (100 * MIB), big, 2),
            ("memory.current above memory.max", {}, 64, None, None, "536870912", "%d" % (600 * MIB), big, 1),
            ("memory.max below one hash", {}, 64, None, None, "%d" % (100 * MIB), None, big, 1),
            ("memory.max max: MemAvailable", {}, 64, None, None, "max\n", None, MEMINFO % (1024 * 1024), 7),
            ("memory.max garbage: MemAvailable", {}, 64, None, None, "x", None, MEMINFO % (300 * 1024), 2),
            ("memory.current garbage counts 0", {}, 64, None, None, "536870912", "x", big, 3),
            ("memory.max wins over MemAvailable", {}, 64, None, None, "%d" % (300 * MIB), None, big, 2),
            ("meminfo garbage: no memory bound", {}, 8, None, None, None, None, "junk\n", 8),
            ("no memory left", {}, 8, None, None, None, None, MEMINFO % 0, 1),
            ("override above everything", {"PROSPECTOR_HASH_WORKERS": "32"}, 2, {0}, "100000 100000",
             "%d" % (100 * MIB), None, None, 32),
            ("empty override is unset", {"PROSPECTOR_HASH_WORKERS": ""}, 4, None, None, None, None, None, 4),
        ]
        for row in table:
            description, environ, cpu_count, affinity, cpu_max, memory_max, current, meminfo, expected = row
            with self.subTest(description):
                choice = choose(HASH, environ, cpu_count, affinity, cpu_max, memory_max, current, meminfo)
                self.assertEqual(choice.workers, expected, choice.reason)

    def test_reasons(self):
        choice = choose(HASH, {}, 64, {0, 1, 2, 3}, "200000 100000", "536870912", "0", None)
        self.assertEqual(
            choice,
            (2, "2 workers: 4 CPUs in this process's affinity; cgroup cpu.max allows 2;"
                " cgroup memory.max 512 MiB, 0 MiB in use fits 3 hashes of 144 MiB"),
        )
        self.assertEqual(
            choose(HASH, {}, 4, None, None, None, None, MEMINFO % (200 * 1024)),
            (1, "1 worker: 4 CPUs; MemAvailable 200 MiB fits 1 hashes of 144 MiB"),
        )
        self.assertEqual(choose(HASH, {"PROSPECTOR_HASH_WORKERS": "5"}, 1), (5, "PROSPECTOR_HASH_WORKERS=5"))

    def test_bad_override_is_refused_whatever_the_limits(self):
        with self.assertRaises(ConfigError):
            choose(HASH, {"PROSPECTOR_HASH_WORKERS": "0"}, 4)


class ThisProcessTest(unittest.TestCase):
    def test_reads_the_files_it_is_given(self):
        files = {
            hash_workers.CPU_MAX_PATH: "300000 100000\n",
            hash_workers.MEMORY_MAX_PATH: "%d\n" % (1024 * MIB),
            hash_workers.MEMORY_CURRENT_PATH: "0\n",
            hash_workers.MEMINFO_PATH: None,
        }
        with mock.patch.object(hash_workers, "read_text", side_effect=lambda path: files[path]), \
                mock.patch.object(hash_workers.os, "cpu_count", return_value=64), \
                mock.patch.object(hash_workers.os, "sched_getaffinity", create=True, return_value=set(range(64))):
            self.assertEqual(hash_workers.for_this_process(HASH, {}).workers, 3)

    def test_unreadable_files_are_no_limit(self):
        self.assertIsNone(hash_workers.read_text("/nonexistent/cpu.max"))
        self.assertIsNone(hash_workers.read_text("/"))
        self.assertGreaterEqual(hash_workers.for_this_process(HASH, {}).workers, 1)


class PasswordsUseItTest(unittest.TestCase):
    def test_hash_many_and_verify_many_ask_for_the_bound(self):
        policy = passwords.LOW_COST_POLICY._replace(scheme=passwords.PBKDF2_SHA256)
        seen = []

        def fake(memory, environ=None):
            seen.append((memory, environ))
            return hash_workers.Choice(1, "test")

        environ = {"X": "1"}
        with mock.patch.object(hash_workers, "for_this_process", side_effect=fake):
            made = passwords.hash_many([("a", "password one"), ("b", "password two")], policy, environ=environ)
            self.assertEqual(passwords.verify_many(zip(["password one", "wrong"], made), environ=environ),
                             [True, False])
        self.assertEqual(seen, [(0, environ), (0, environ)])

    def test_scrypt_memory_is_asked_for(self):
        self.assertEqual(passwords.hash_memory(passwords.STANDARD_POLICY), 128 * 8 * ((1 << 17) + 3))

    def test_bad_override_is_a_config_error(self):
        policy = passwords.LOW_COST_POLICY._replace(scheme=passwords.PBKDF2_SHA256)
        with self.assertRaises(ConfigError):
            passwords.hash_many([("a", "password one"), ("b", "password two")], policy,
                                environ={"PROSPECTOR_HASH_WORKERS": "many"})


if __name__ == "__main__":
    unittest.main()
