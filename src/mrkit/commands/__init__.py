"""Sub-commands of the ``mrkit`` CLI, one module each (see :mod:`mrkit.cli`).

The top layer: may import everything. Each module's ``register`` adds its parser; heavy imports stay
inside the functions that run the command, so that ``mrkit --help`` starts at once.
"""
