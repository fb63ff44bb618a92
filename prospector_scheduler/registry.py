"""The command registry: how commands are declared, found and looked up.

A command is one module under ``prospector_scheduler.commands`` holding one
function (or class) decorated with ``@command``. The decorator only attaches a
``CommandSpec`` to the object; nothing is registered globally. A ``Registry``
is built fresh by whoever needs one: it imports the modules of a commands
package (found with ``pkgutil``, so it works from a zip archive too) and,
only when asked, the commands of other installed packages from the entry-point
group ``prospector_scheduler.commands``.
"""

import collections
import importlib
import os
import sys

from prospector_scheduler.errors import ConfigError

ENTRY_POINT_GROUP = "prospector_scheduler.commands"
SPEC_ATTRIBUTE = "prospector_command"


# A record, but not a typing.NamedTuple: importing typing would cost every
# start-up several milliseconds (see the start-up figures of ``make bench``).
class CommandSpec(collections.namedtuple(
        "CommandSpec", "name summary add_arguments run origin description")):
    """What a command declares: its name, one-line summary, arguments and body.

    ``add_arguments(parser)`` adds argparse arguments (or is None);
    ``run(ctx, args)`` returns an exit code or None (0). ``origin`` names where
    it was defined, for messages about duplicates and broken plugins;
    ``description`` is the ``--help`` text (the module's docstring).
    """

    __slots__ = ()


def command(name, summary, add_arguments=None):
    """Declare the decorated function or class as the command ``name``.

    A function is called as ``function(ctx, args)``. A class is instantiated
    with no arguments; its ``run(ctx, args)`` method is the body and, when
    ``add_arguments`` is not given, its ``add_arguments(parser)`` method (if
    any) declares the arguments.
    """

    def decorate(target):
        module = sys.modules.get(target.__module__)
        description = getattr(module, "__doc__", None) or target.__doc__
        if isinstance(target, type):
            instance = target()
            body = instance.run
            arguments = add_arguments or getattr(instance, "add_arguments", None)
        else:
            body = target
            arguments = add_arguments
        origin = "%s.%s" % (target.__module__, target.__qualname__)
        spec = CommandSpec(name, summary, arguments, body, origin, description)
        setattr(target, SPEC_ATTRIBUTE, spec)
        return target

    return decorate


def module_names(package):
    """The public modules of ``package``, sorted: from its folders, or from a zip archive.

    A folder is listed directly, since ``pkgutil`` imports ``inspect`` and that
    alone costs more start-up time than the rest of the tool; archives and
    other importers are left to ``pkgutil``.
    """
    names = set()
    for location in package.__path__:
        if os.path.isdir(location):
            for entry in os.listdir(location):
                stem, extension = os.path.splitext(entry)
                if extension == ".py" and stem.isidentifier():
                    names.add(stem)
        else:
            import pkgutil

            names.update(info[1] for info in pkgutil.iter_modules([location]) if not info[2])
    return sorted(name for name in names if not name.startswith("_"))


def specs_in_module(module):
    """The command specs that ``module`` declares, in definition order."""
    found = []
    for value in vars(module).values():
        spec = getattr(value, SPEC_ATTRIBUTE, None)
        if isinstance(spec, CommandSpec) and getattr(value, "__module__", None) == module.__name__:
            found.append(spec)
    return found


class Registry(object):
    """The commands known to one run of the tool.

    Built-in commands are imported when the registry is made (each command
    module is small and imports what it needs inside its body), so a duplicate
    name fails at start-up. Plugins from entry points are loaded on demand:
    only when a name is not built in, or when every command is listed.
    """

    def __init__(self, package="prospector_scheduler.commands", entry_points=None, warn=None):
        self._commands = {}
        self._entry_points = entry_points
        self._plugins_loaded = False
        self._warn = warn or (lambda message: None)
        if package is not None:
            self.add_package(package)

    def add(self, spec):
        """Register ``spec``; a second command with the same name is a ConfigError."""
        existing = self._commands.get(spec.name)
        if existing is not None:
            raise ConfigError(
                "two commands are named %r: %s and %s" % (spec.name, existing.origin, spec.origin)
            )
        self._commands[spec.name] = spec

    def add_package(self, package_name):
        """Import every module of the package ``package_name`` and register its commands."""
        package = importlib.import_module(package_name)
        for module_name in module_names(package):
            module = importlib.import_module("%s.%s" % (package_name, module_name))
            for spec in specs_in_module(module):
                self.add(spec)

    def get(self, name):
        """The command called ``name``, or None; plugins are loaded only if it is not built in."""
        spec = self._commands.get(name)
        if spec is None and not self._plugins_loaded:
            self.load_plugins()
            spec = self._commands.get(name)
        return spec

    def all(self):
        """Every command, plugins included, sorted by name."""
        self.load_plugins()
        return [self._commands[name] for name in sorted(self._commands)]

    def names(self):
        """The names of every command, plugins included."""
        return [spec.name for spec in self.all()]

    def load_plugins(self):
        """Load the commands of the entry-point group, once.

        A plugin that fails to load is reported through ``warn`` and skipped;
        a plugin whose name is taken is reported the same way, so a broken or
        clashing plugin never stops the built-in commands.
        """
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        entry_points = self._entry_points
        if entry_points is None:
            entry_points = installed_entry_points(ENTRY_POINT_GROUP)
        seen = set()
        for entry_point in entry_points:
            # A distribution found through two sys.path entries is listed twice
            # (importlib.metadata on 3.8 and 3.9): the same name and target is one plugin.
            if (entry_point.name, entry_point.value) in seen:
                continue
            seen.add((entry_point.name, entry_point.value))
            label = "plugin %r (%s)" % (entry_point.name, entry_point.value)
            try:
                target = entry_point.load()
                spec = spec_of_plugin(target, entry_point.name)
                self.add(spec)
            except Exception as error:  # a plugin's bug must not stop our commands
                self._warn("%s was not loaded: %s: %s" % (label, type(error).__name__, error))


def spec_of_plugin(target, entry_point_name):
    """The CommandSpec of an entry point's target: a decorated object or a module."""
    spec = getattr(target, SPEC_ATTRIBUTE, None)
    if isinstance(spec, CommandSpec):
        return spec
    if hasattr(target, "__path__") or type(target).__name__ == "module":
        specs = specs_in_module(target)
        if len(specs) == 1:
            return specs[0]
    raise TypeError("%r is not a command declared with @command" % (entry_point_name,))


def installed_entry_points(group):
    """The entry points of ``group`` from installed distributions (Python 3.8+)."""
    try:
        from importlib import metadata
    except ImportError:  # Python 3.6 and 3.7 have no importlib.metadata
        return []
    try:
        return list(metadata.entry_points(group=group))
    except TypeError:  # Python 3.8 and 3.9 take no selection
        return list(metadata.entry_points().get(group, []))
