"""tests.bench's command line: topics are checked before any benchmark runs."""

import io
import unittest

from tests.bench import __main__ as bench_main


class CommandLineTest(unittest.TestCase):
    # (arguments, exit code, what stdout holds, what stderr holds)
    TABLE = [
        (["--help"], 0, "usage: python3 -m tests.bench", ""),
        (["-h"], 0, "topics: backup, passwords, scheduler, startup, sync, yaml", ""),
        (["--frobnicate"], 64, "", "no such topic: --frobnicate"),
        (["yaml", "sink"], 64, "", "no such topic: sink\nusage:"),
    ]

    def test_arguments(self):
        for argv, code, out, err in self.TABLE:
            stdout, stderr = io.StringIO(), io.StringIO()
            with self.subTest(argv=argv):
                self.assertEqual(bench_main.main(argv, stdout, stderr), code)
                self.assertIn(out, stdout.getvalue())
                self.assertIn(err, stderr.getvalue())
                if code:
                    self.assertEqual(stdout.getvalue(), "")  # nothing was measured


if __name__ == "__main__":
    unittest.main()
