"""The ``mrkit`` command line: one sub-command per module in :mod:`mrkit.commands`.

Each module there defines ``register(subparsers)`` which adds its parser and sets ``func``; this
file only discovers them, so features can be added without touching a shared list.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import commands
from .errors import MRKitError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mrkit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MRKitError as exc:  # expected failures: one clear line, no traceback
        print(f"mrkit {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
