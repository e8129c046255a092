"""Every ``mrkit`` help text reads as plain text: no Sphinx markup from the docstrings it reuses."""
from __future__ import annotations

import argparse
import contextlib
import io
import re

import pytest

from mrkit.cli import build_parser, main, plain_text

#: what Sphinx markup looks like in a terminal: a role (:mod:`x`) or a double-back-quoted literal
MARKUP = re.compile(r":(?:py:)?(?:mod|func|class|meth|attr|data|exc|obj|ref|doc|term):`|``")


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every sub-command, nested ones included (``opengwas instruments``), as argv prefixes."""
    out = []
    for action in parser._actions:  # argparse keeps sub-parsers here; no public accessor
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append((*prefix, name))
                out += command_paths(sub, (*prefix, name))
    return out


def rendered_help(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return out.getvalue()


def test_every_help_is_free_of_sphinx_markup():
    paths = command_paths(build_parser())
    assert {("estimate",), ("plot",), ("read",), ("harmonise",)} <= set(paths)
    for argv in [[]] + [list(p) for p in paths]:
        text = rendered_help(argv)
        found = MARKUP.findall(text)
        assert not found, f"mrkit {' '.join(argv)} --help shows {found}"


def test_without_plain_text_the_help_would_show_markup():
    """The help texts reuse docstrings written for Sphinx: argparse's own rendering shows their markup, so the
    check above can fail."""
    parser = build_parser()
    raw = argparse.ArgumentParser.format_help(parser)
    assert MARKUP.search(raw) and not MARKUP.search(parser.format_help())


@pytest.mark.parametrize("text,want", [
    (":mod:`mrkit.commands`", "mrkit.commands"),
    (":func:`~mrkit.methods.estimate.mr`", "mr"),
    (":class:`~mrkit.errors.MRKitError` and ``--format json``", "MRKitError and --format json"),
    (":py:func:`mrkit.mr` (:data:`METHODS`)", "mrkit.mr (METHODS)"),
    (":doc:`the book </book/intro>`", "the book"),
    ("a ``single`` ` back-quote", "a single ` back-quote"),
])
def test_plain_text(text, want):
    assert plain_text(text) == want
