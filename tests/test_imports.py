"""The package imports nothing outside the standard library, and starts light."""

import ast
import importlib.util
import os
import subprocess
import sys
import sysconfig
import unittest

from tests.support import ROOT, python_command, process_environment

PACKAGE = os.path.join(ROOT, "prospector_scheduler")


def package_sources():
    for folder, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def imported_roots(path):
    """(line, top-level module name) of every absolute import in the file, nested ones included."""
    with open(path, "rb") as stream:
        tree = ast.parse(stream.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def stdlib_folders():
    paths = sysconfig.get_paths()
    return [os.path.realpath(paths[key]) for key in ("stdlib", "platstdlib")]


def is_standard_library(name):
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return name in names
    if name in sys.builtin_module_names:
        return True
    spec = importlib.util.find_spec(name)
    if spec is None:
        return False
    if spec.origin in ("built-in", "frozen"):
        return True
    origin = os.path.realpath(spec.origin or "")
    return any(origin.startswith(folder + os.sep) for folder in stdlib_folders()) and "-packages" not in origin


class StandardLibraryOnlyTest(unittest.TestCase):
    def test_every_import_is_standard_library_or_our_own(self):
        sources = list(package_sources())
        self.assertGreater(len(sources), 5)
        outside = []
        for path in sources:
            for line, name in imported_roots(path):
                if name != "prospector_scheduler" and not is_standard_library(name):
                    outside.append("%s:%d imports %s" % (os.path.relpath(path, ROOT), line, name))
        self.assertEqual(outside, [])

    def test_the_check_itself_recognises_a_third_party_import(self):
        self.assertFalse(is_standard_library("yaml"))
        self.assertFalse(is_standard_library("passlib"))
        self.assertTrue(is_standard_library("sqlite3"))
        self.assertTrue(is_standard_library("json"))


class StartUpTest(unittest.TestCase):
    """Listing the commands must not import what only a command body needs."""

    def test_listing_imports_no_database_or_hashing_module(self):
        script = (
            "import io, sys\n"
            "from prospector_scheduler.cli import main\n"
            "code = main([], stdout=io.StringIO(), environ={})\n"
            "heavy = ['sqlite3', 'hashlib', 'getpass', 'concurrent.futures', 'prospector_scheduler.miniyaml', 'prospector_scheduler.passwords', 'prospector_scheduler.store']\n"
            "print(code, sorted(name for name in heavy if name in sys.modules))\n"
        )
        process = subprocess.Popen(
            python_command("-c", script), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=process_environment(), cwd=ROOT,
        )
        out, err = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 0, err)
        self.assertEqual(out.decode().strip(), "0 []")


if __name__ == "__main__":
    unittest.main()
