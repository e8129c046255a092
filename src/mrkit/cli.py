"""The ``mrkit`` command line: one sub-command per module in :mod:`mrkit.commands`.

Each module there defines ``register(subparsers)`` which adds its parser and sets ``func``; this
file only discovers them, so features can be added without touching a shared list (a module whose
name starts with ``_`` holds code several commands share and is not a command).

Exit codes: 0 success; 2 bad input or usage, with one line naming file, line and column (an
:class:`~mrkit.errors.MRKitError`, or a file the system cannot read or write); 1 an unexpected
error, a bug: one line asking for a report, the traceback only with ``--debug``.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import sys
import traceback

from . import __version__, commands
from .errors import MRKitError

#: Sphinx cross-references (``:mod:`x```, ``:func:`~a.b```) and inline literals (double back-quotes) of
#: the docstrings that help texts reuse: a terminal shows their text only.
_ROLE = re.compile(r":(?:py:)?(?:mod|func|class|meth|attr|data|exc|obj|ref|doc|term):`~?([^`<]*?)(?:\s*<([^`>]*)>)?`")
_LITERAL = re.compile(r"``([^`]+)``")


def plain_text(text: str) -> str:
    """``text`` without Sphinx markup: a role shows its title (``:func:`~a.b``` shows ``b``, as Sphinx does),
    a double-back-quoted literal its content."""
    def role(match: re.Match) -> str:
        title = match.group(1).strip()
        if match.group(0).split("`", 1)[1].startswith("~"):
            title = title.rsplit(".", 1)[-1]
        return title or (match.group(2) or "")

    return _LITERAL.sub(r"\1", _ROLE.sub(role, text))


class _Parser(argparse.ArgumentParser):
    """Help and usage as plain text (descriptions come from docstrings written for Sphinx); sub-commands'
    parsers are of this class too (argparse makes them of the parent's class)."""

    def format_help(self) -> str:
        return plain_text(super().format_help())

    def format_usage(self) -> str:
        return plain_text(super().format_usage())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mrkit", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of unexpected errors")
    parser.add_argument("--version", action="version", version=f"mrkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):  # _name: shared code of several commands, not a command
            importlib.import_module(f"{commands.__name__}.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MRKitError as exc:  # expected failures: one clear line, no traceback
        print(f"mrkit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a command that stopped reading (| head): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # a file the system cannot read or write (permissions, disk full...)
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"mrkit {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mrkit {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 (a bug: say so in one line; the traceback only when asked)
        if args.debug:
            traceback.print_exc()
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"mrkit {args.command}: internal error ({type(exc).__name__}: {first}); this is a bug in mrkit: "
              f"please report it with the command line{'' if args.debug else ' and the output of --debug'}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
