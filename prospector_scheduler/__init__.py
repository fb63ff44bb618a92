"""prospector-scheduler: the administrative and scheduled jobs of the ProspecTor system.

The package is a command-line tool (see ``cli``) and a handful of small
libraries it is built from: ``miniyaml`` (a YAML-subset parser), ``users_file``
(the users-file schema), ``passwords`` (password hashing) and ``store`` (the
SQLite database). It depends on the Python standard library alone.
"""

__version__ = "0.1.0"
