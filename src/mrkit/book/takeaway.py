"""Take a page away: its notebook as an executed ``.ipynb`` and as the jupytext ``.py`` source, the command that
re-runs it, and the book's Exercises page.

Every executed page gets a box under its title (:func:`takeaway_markdown`) linking two files published beside it
(:func:`stage_takeaway`: ``book/generated/downloads/<run id>/<run id>.ipynb`` and ``.../<notebook>.py``) and the
papermill command with the page's parameters from the run plan (:func:`rerun_parameters_of`; the command itself
is :func:`mrkit.paper.exercises.rerun_command`, which each exercise extends with its change).
:func:`exercises_page` writes the Exercises page: every exercise of the pages this build produced, numbered, with
the parameters it changes and its command.
"""
from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..paper.exercises import EXERCISES, PAGES, label, rerun_command, rerun_parameters
from ..paths import write_atomic
from .runplan import Run

__all__ = ["DOWNLOADS", "rerun_parameters_of", "takeaway_files", "takeaway_markdown", "stage_takeaway",
           "exercises_page", "EXERCISES_PAGE"]

#: The folder beside the generated pages that holds each page's files (``downloads/<run id>/``).
DOWNLOADS = "downloads"
#: The Exercises page of the book (listed in ``_toc.yml``; written into the staged source at every build).
EXERCISES_PAGE = "book/exercises"


def rerun_parameters_of(run: Run) -> dict[str, Any]:
    """The parameters the re-run command of ``run`` passes: the run plan's, with ``results_dir`` the book's
    results for a page that reads other pages' results (one with ``needs``), else a folder of its own."""
    return rerun_parameters(run.parameters, reads_results=bool(run.needs))


def takeaway_files(run: Run) -> tuple[str, str]:
    """The names of the page's two files in ``downloads/<run id>/``: the executed notebook and the source."""
    return f"{run.id}.ipynb", run.notebook.name


def takeaway_markdown(run: Run) -> str:
    """The box under a page's title (MyST): the two files to download and the command that re-runs the page."""
    ipynb, source = takeaway_files(run)
    base = f"{DOWNLOADS}/{run.id}"
    reads = ("It reads the results the MR pages saved: run it from the repository root after `make book`. "
             if run.needs else "")
    return (":::{admonition} Take this page away\n:class: tip mrkit-takeaway d-print-none\n"
            f'This page is a notebook: <a class="mrkit-ipynb" href="{html.escape(base)}/{html.escape(ipynb)}" '
            f"download>{html.escape(ipynb)}</a> (executed, with every output) or its source "
            f'<a class="mrkit-source" href="{html.escape(base)}/{html.escape(source)}" download>'
            f"{html.escape(source)}</a> (jupytext percent format; `jupytext --to ipynb {source}` makes a "
            "notebook of it). Re-run this page with its parameters from the run plan, in the environment of "
            f"`make env` (papermill is in it). {reads}Change one `-p` at a time, so that a difference has one "
            "cause; the exercises at the end of the page do.\n\n"
            f"```sh\n{rerun_command(run.id, rerun_parameters_of(run))}\n```\n:::")


def stage_takeaway(extra: Path, run: Run, executed: Path) -> set[Path]:
    """Copy the page's executed notebook and its source into the staged extra files (published as they are);
    return the files written or kept."""
    folder = extra / Path(run.page).parent / DOWNLOADS / run.id
    ipynb, source = takeaway_files(run)
    kept = set()
    for name, content in ((ipynb, executed.read_bytes()), (source, run.notebook.read_bytes())):
        target = folder / name
        if not (target.exists() and target.read_bytes() == content):
            write_atomic(target, content)
        kept.add(target)
    return kept


def exercises_page(runs: Iterable[Run]) -> str:
    """The Exercises page (MyST): for each page of this build with exercises (the first page of a notebook that
    makes several, e.g. the MR pages), its exercises with the parameters they change and their commands."""
    first: dict[str, Run] = {}
    for run in runs:
        first.setdefault(run.notebook.stem, run)
    count = {stem: sum(1 for r in runs if r.notebook.stem == stem) for stem in first}
    n = sum(1 for e in EXERCISES if e.notebook in first)
    parts = ["# Exercises", "",
             f"{n} exercises, each at the end of its page. Every one asks you to re-run the page with a parameter "
             "changed and gives the exact command (the page's notebook and its source are linked in the box under "
             "the page's title); its solution, hidden until you open it, gives the numbers that run produces, "
             "computed when the book was built. The tests of the book run every command below and check that the "
             "solution's numbers are the re-run's.", ""]
    for stem, title in PAGES.items():
        run = first.get(stem)
        if run is None:
            continue
        mine = [e for e in EXERCISES if e.notebook == stem]
        parts += [f"## {title}", ""]
        if count[stem] > 1:
            parts += [f"On {{doc}}`/{run.page}` and, with each direction's own numbers, on every page made by the "
                      f"same notebook ({count[stem]} in this build).", ""]
        else:
            parts += [f"On {{doc}}`/{run.page}`.", ""]
        params = rerun_parameters_of(run)
        for e in mine:
            change = e.changes(run.parameters)
            what = ", ".join(f"`{k} = {v!r}`" for k, v in change.items())
            parts += [f"* {{ref}}`Exercise {e.number}: {e.title} <{label(run.id, e.number)}>`. Parameters: {what}.",
                      "",
                      "  ```sh",
                      *(f"  {line}" for line in rerun_command(run.id, params, change,
                                                               output=f"{run.id}-ex{e.number}.ipynb").splitlines()),
                      "  ```", ""]
    return "\n".join(parts) + "\n"
