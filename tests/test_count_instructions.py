"""tests/bench/count_instructions.py: the parts that need no valgrind (the counts themselves take minutes)."""

import os
import subprocess
import sys
import unittest

from tests.bench import count_instructions
from tests.support import ROOT, TemporaryDirectoryTestCase, python_command, process_environment

HEADER = ("# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npid: 17082\ncmd:  /bin/true\npart: 1\n\n"
          "desc: Trigger: Program termination\n\npositions: line\n")
COSTS = "fl=(1) /bin/true\nfn=(1) main\n16 2\n+2 2\n-1 1\n"


class CallgrindTotalTest(unittest.TestCase):
    def test_the_total_of_an_output_file(self):
        cases = [
            ("totals and summary", HEADER + "events: Ir\nsummary: 126651\n\n\n" + COSTS + "\ntotals: 126651\n", 126651),
            ("summary only (a dump cut short)", HEADER + "events: Ir\nsummary: 4022000123\n\n" + COSTS, 4022000123),
            ("totals win over summary", HEADER + "events: Ir\nsummary: 5\n\n" + COSTS + "totals: 7\n", 7),
            ("more events: the first, Ir", HEADER + "events: Ir Dr Dw\nsummary: 10 4 2\n\n" + COSTS + "totals: 10 4 2\n", 10),
        ]
        for name, text, expected in cases:
            with self.subTest(name):
                self.assertEqual(count_instructions.callgrind_total(text), expected)

    def test_an_output_file_without_a_total_is_refused(self):
        for name, text in [("empty", ""), ("costs only", HEADER + "events: Ir\n\n" + COSTS),
                           ("not at a line's start", HEADER + "cmd: x totals: 3\n")]:
            with self.subTest(name):
                with self.assertRaises(ValueError) as caught:
                    count_instructions.callgrind_total(text)
                self.assertEqual(str(caught.exception), "no totals: or summary: line in the callgrind output")


class CheckInterpreterTest(TemporaryDirectoryTestCase):
    def test_only_a_real_interpreter_is_accepted(self):
        shim = self.path("python3")
        with open(shim, "w") as stream:
            stream.write('#!/usr/bin/env bash\nexec pyenv exec "$@"\n')
        os.chmod(shim, 0o755)
        missing = self.path("nowhere")
        cases = [
            ("an interpreter", os.path.realpath(sys.executable), None),
            ("a pyenv shim", shim, (
                "%s is a script (a pyenv shim?), not an interpreter: give the interpreter itself, "
                "e.g. --python \"$(pyenv which python3)\"" % shim, 64)),
            ("no such file", missing, ("no such interpreter: %s" % missing, 66)),
        ]
        for name, python, expected in cases:
            with self.subTest(name):
                self.assertEqual(count_instructions.check_interpreter(python), expected)


class WithoutValgrindTest(TemporaryDirectoryTestCase):
    def test_one_line_and_exit_69_when_valgrind_is_not_on_path(self):
        empty = self.path("bin")
        os.mkdir(empty)
        process = subprocess.Popen(
            python_command("-E", "-m", "tests.bench.count_instructions", "--users", "10"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=process_environment({"PATH": empty}),
        )
        out, err = process.communicate(timeout=60)
        self.assertEqual(
            (process.returncode, out.decode(), err.decode()),
            (69, "", "count_instructions: valgrind is not on PATH; install it to count instructions\n"),
        )
