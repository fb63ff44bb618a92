"""The registry: discovery of command files, duplicates, entry-point plugins."""

import os
import sys
import textwrap
import unittest
import uuid

from prospector_scheduler.errors import ConfigError
from prospector_scheduler.registry import Registry, installed_entry_points, ENTRY_POINT_GROUP
from tests.support import TemporaryDirectoryTestCase

HELLO = '''
"""hello: say hello."""
from prospector_scheduler.registry import command

def add_arguments(parser):
    parser.add_argument("name")

@command("hello", "Say hello to NAME.", add_arguments)
def hello(ctx, args):
    ctx.stdout.write("hello %s\\n" % args.name)
'''

CLASS_COMMAND = '''
from prospector_scheduler.registry import command

@command("count-to", "Count to N.")
class CountTo(object):
    def add_arguments(self, parser):
        parser.add_argument("n", type=int)

    def run(self, ctx, args):
        ctx.stdout.write(" ".join(str(i) for i in range(1, args.n + 1)) + "\\n")
        return 3
'''


class CommandPackage(TemporaryDirectoryTestCase):
    """Builds a throwaway commands package on sys.path for each test."""

    def make_package(self, modules):
        name = "throwaway_commands_%s" % uuid.uuid4().hex
        folder = self.path(name)
        os.mkdir(folder)
        self.write(os.path.join(name, "__init__.py"), "")
        for module, source in modules.items():
            self.write(os.path.join(name, module + ".py"), textwrap.dedent(source))
        sys.path.insert(0, self.tmp)
        self.addCleanup(sys.path.remove, self.tmp)
        self.addCleanup(self.forget_modules, name)
        return name

    @staticmethod
    def forget_modules(package):
        for module in list(sys.modules):
            if module == package or module.startswith(package + "."):
                del sys.modules[module]


class NoEntryPoints(object):
    """An entry-point source that fails the test if anything iterates it."""

    def __init__(self, test):
        self.test = test

    def __iter__(self):
        self.test.fail("entry points were scanned")


class DiscoveryTest(CommandPackage):
    def test_every_module_of_the_package_is_discovered(self):
        package = self.make_package({"hello": HELLO, "count_to": CLASS_COMMAND})
        registry = Registry(package, entry_points=[])
        self.assertEqual(registry.names(), ["count-to", "hello"])
        self.assertEqual(registry.get("hello").summary, "Say hello to NAME.")
        self.assertEqual(registry.get("hello").description, "hello: say hello.")

    def test_modules_starting_with_an_underscore_are_not_commands(self):
        package = self.make_package({"hello": HELLO, "_shared": HELLO.replace('"hello"', '"hidden"')})
        self.assertEqual(Registry(package, entry_points=[]).names(), ["hello"])

    def test_two_commands_with_one_name_fail_naming_both_places(self):
        package = self.make_package({"a_hello": HELLO, "b_hello": HELLO})
        with self.assertRaises(ConfigError) as caught:
            Registry(package, entry_points=[])
        self.assertEqual(
            caught.exception.message,
            "two commands are named 'hello': %s.a_hello.hello and %s.b_hello.hello" % (package, package),
        )

    def test_looking_up_a_built_in_command_does_not_scan_entry_points(self):
        package = self.make_package({"hello": HELLO})
        registry = Registry(package, entry_points=NoEntryPoints(self))
        self.assertEqual(registry.get("hello").name, "hello")

    def test_an_unknown_name_scans_entry_points(self):
        package = self.make_package({"hello": HELLO})
        self.assertIsNone(Registry(package, entry_points=[]).get("goodbye"))


PLUGIN = '''
from prospector_scheduler.registry import command

@command("greet-plugin", "A command from another package.")
def greet(ctx, args):
    ctx.stdout.write("greetings from a plugin\\n")
'''


class EntryPointTest(CommandPackage):
    """A throwaway distribution with an entry_points.txt on sys.path."""

    def make_distribution(self, entry_points, source=PLUGIN):
        name = "throwaway_plugin_%s" % uuid.uuid4().hex
        self.write(name + ".py", source)
        info = self.path("%s-1.0.dist-info" % name)
        os.mkdir(info)
        self.write(os.path.join(info, "METADATA"), "Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n" % name)
        lines = ["[%s]" % ENTRY_POINT_GROUP] + [line % {"module": name} for line in entry_points]
        self.write(os.path.join(info, "entry_points.txt"), "\n".join(lines) + "\n")
        self.addCleanup(self.forget_modules, name)
        return name

    def setUp(self):
        CommandPackage.setUp(self)
        self.package = self.make_package({"hello": HELLO})

    @unittest.skipIf(sys.version_info >= (3, 8), "importlib.metadata exists from 3.8 on")
    def test_without_importlib_metadata_there_are_no_plugins(self):
        self.make_distribution(["greet-plugin = %(module)s:greet"])
        self.assertEqual(installed_entry_points(ENTRY_POINT_GROUP), [])

    @unittest.skipIf(sys.version_info < (3, 8), "entry points need importlib.metadata (3.8+)")
    def test_a_plugin_is_listed_and_a_broken_one_is_one_warning(self):
        self.make_distribution(
            ["greet-plugin = %(module)s:greet", "broken = %(module)s_does_not_exist:thing"]
        )
        warnings = []
        registry = Registry(self.package, warn=warnings.append)
        self.assertEqual(registry.get("hello").name, "hello")
        self.assertEqual(warnings, [])
        names = registry.names()
        self.assertIn("greet-plugin", names)
        self.assertIn("hello", names)
        self.assertNotIn("broken", names)
        self.assertEqual(len(warnings), 1)
        self.assertTrue(warnings[0].startswith("plugin 'broken' ("), warnings[0])
        self.assertIn("ModuleNotFoundError", warnings[0])

    @unittest.skipIf(sys.version_info < (3, 8), "entry points need importlib.metadata (3.8+)")
    def test_a_plugin_found_twice_on_sys_path_is_loaded_once(self):
        self.make_distribution(["greet-plugin = %(module)s:greet"])
        sys.path.append(self.tmp + os.sep)  # the same folder under a second spelling
        self.addCleanup(sys.path.remove, self.tmp + os.sep)
        warnings = []
        registry = Registry(self.package, warn=warnings.append)
        self.assertIn("greet-plugin", registry.names())
        self.assertEqual(warnings, [])

    @unittest.skipIf(sys.version_info < (3, 8), "entry points need importlib.metadata (3.8+)")
    def test_a_plugin_that_is_not_a_command_is_a_warning(self):
        self.make_distribution(["odd = os:path"])
        warnings = []
        registry = Registry(self.package, warn=warnings.append)
        self.assertEqual(registry.names(), ["hello"])
        self.assertEqual(warnings, ["plugin 'odd' (os:path) was not loaded: TypeError: 'odd' is not a command declared with @command"])

    @unittest.skipIf(sys.version_info < (3, 8), "entry points need importlib.metadata (3.8+)")
    def test_a_plugin_may_not_take_a_built_in_name(self):
        module = self.make_distribution(
            ["greet = %(module)s:greet"], source=PLUGIN.replace('"greet-plugin"', '"hello"')
        )
        warnings = []
        registry = Registry(self.package, warn=warnings.append)
        self.assertEqual(registry.names(), ["hello"])
        self.assertEqual(registry.get("hello").origin, "%s.hello.hello" % self.package)
        self.assertEqual(
            warnings,
            [
                "plugin 'greet' (%s:greet) was not loaded: ConfigError: two commands are named 'hello': "
                "%s.hello.hello and %s.greet" % (module, self.package, module)
            ],
        )


if __name__ == "__main__":
    unittest.main()
