"""Run the whole test suite: ``python3 -E -s -S -W error -m tests`` (what ``make test`` does).

unittest prints no closing count of its own that CI can read, so this runner
ends with one line ``N passed, N failed, N skipped`` and lists the reason of
every skipped test, so that nothing is skipped unseen.
"""

import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CountingResult(unittest.TextTestResult):
    """Counts passed tests itself: testsRun leaves out skipped tests on some versions (3.12.1)."""

    passed = 0

    def addSuccess(self, test):
        unittest.TextTestResult.addSuccess(self, test)
        self.passed += 1


def main(argv):
    verbosity = 2 if "-v" in argv else 1
    names = [arg for arg in argv if not arg.startswith("-")]
    loader = unittest.TestLoader()
    if names:
        suite = loader.loadTestsFromNames(names)
    else:
        suite = loader.discover(os.path.join(ROOT, "tests"), top_level_dir=ROOT)
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=verbosity, resultclass=CountingResult)
    result = runner.run(suite)
    failed_tests = set(str(test) for test, _ in result.failures + result.errors)
    failed = len(failed_tests) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.passed
    for test, reason in result.skipped:
        sys.stderr.write("skipped: %s: %s\n" % (test, reason))
    sys.stderr.flush()
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 0 if failed == 0 and result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
