"""Sub-commands of the ``mrkit`` CLI, one module each (see :mod:`mrkit.cli`)."""
