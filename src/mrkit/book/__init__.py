"""The book machine: run plan, incremental parallel notebook execution (papermill), site build.

May import every layer below it (core, methods, gwas, simulate, paper); only :mod:`mrkit.commands`
imports it. Nothing here changes a number on a page: its code is left out of the runs' keys.
"""
