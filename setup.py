"""Build step for the one compiled part of mrkit: R's Nelder-Mead for the maximum-likelihood estimate
(``src/mrkit/methods/_nmmin.c``, loaded with ctypes). Optional: without a C compiler the install goes on
and :mod:`mrkit.methods.nelder_mead` runs its numpy port of the same steps (the same numbers, slower:
benchmarks/bench_batch.py times both).
Everything else is configured in pyproject.toml."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("mrkit.methods._nmmin", ["src/mrkit/methods/_nmmin.c"],
                             extra_compile_args=["-O2", "-ffp-contract=off"], optional=True)])
