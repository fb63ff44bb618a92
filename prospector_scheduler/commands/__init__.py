"""The built-in commands: one module each, discovered by the registry.

To add a command, add a module here that holds one function decorated with
``prospector_scheduler.registry.command``; nothing else needs editing.
"""
