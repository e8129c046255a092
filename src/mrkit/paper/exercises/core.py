"""The machinery of the exercises (:mod:`mrkit.paper.exercises`): an exercise, the command that re-runs a page,
and what a page shows at its end.

A page computes the numbers its exercises are about (``observe``) under its own parameters and again under each
exercise's change, with the same functions; both are glued into the executed notebook (``obs-<name>`` for the
page's own, ``ex<N>-<name>`` for a solution's), so a test can run the printed command as a student would and
check that the page's numbers moved, that they equal the solution's, and that the exercise's claim holds.

* :class:`Exercise`: one exercise: its page (the notebook's stem), change, observed numbers, claim and solution.
* :func:`rerun_command`: the papermill command that re-runs a page with its parameters (and a change); the
  book's "re-run this page" box and every exercise print it.
* :func:`show`: what a notebook calls at its end: each exercise of the page with its command, and its solution
  in a dropdown that stays closed until opened.
"""
from __future__ import annotations

import json
import math
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import MRKitError

__all__ = ["RERUN_RESULTS", "BOOK_RESULTS", "PARAMETERS_ENV", "RUN_ID_ENV", "Exercise", "rerun_parameters",
           "rerun_command", "label", "observed_glue", "solution_glue", "fmt", "pct", "sig", "moved", "show", "solver",
           "Solver", "Values"]

#: Where a re-run of a page writes what it saves: a folder of its own, never the book's results.
RERUN_RESULTS = "rerun-results"
#: The book's results folder (relative to the repository root), which the results, limitations and
#: reproducibility pages read: the MR pages' saved results of ``make book``.
BOOK_RESULTS = "book/generated/results"
#: Set by ``mrkit book`` for each run: its id and its parameters (JSON) as the re-run command shows them.
RUN_ID_ENV, PARAMETERS_ENV = "MRKIT_RUN_ID", "MRKIT_RUN_PARAMETERS"

Values = Mapping[str, float]
#: ``solve(change, names)``: a page's numbers ``names`` with its parameters changed by ``change``.
Solver = Callable[[Mapping[str, Any], tuple[str, ...]], dict[str, float]]


def rerun_parameters(parameters: Mapping[str, Any], *, reads_results: bool) -> dict[str, Any]:
    """The parameters a re-run of a page passes: the run plan's, with ``results_dir`` set to the book's results
    (a page that reads what other pages saved) or to :data:`RERUN_RESULTS` (a page that writes)."""
    out = {k: v for k, v in parameters.items() if k != "results_dir"}
    out["results_dir"] = BOOK_RESULTS if reads_results else RERUN_RESULTS
    return out


def _papermill_value(value: Any) -> tuple[str, str]:
    """(flag, text) giving ``value`` back through papermill's command line: ``-p`` for numbers, booleans, None
    and text papermill keeps as text, ``-r`` (raw) for text it would read as something else (``"1"``)."""
    if isinstance(value, bool) or value is None:
        return "-p", str(value)
    if isinstance(value, (int, float)):
        return "-p", repr(value)
    text = str(value)
    try:
        float(text)
        raw = True
    except ValueError:
        raw = text in ("True", "False", "None")
    return ("-r" if raw else "-p"), text


def rerun_command(run_id: str, parameters: Mapping[str, Any], change: Mapping[str, Any] | None = None, *,
                  output: str | None = None) -> str:
    """The papermill command re-running page ``run_id`` (its notebook downloaded as ``<run_id>.ipynb``) with
    ``parameters`` and then ``change`` on top, one parameter per line, in a shell's quoting.

    >>> print(rerun_command("conventions", {"seed": 1, "data": "none"}, {"seed": 2}, output="ex.ipynb"))
    papermill conventions.ipynb ex.ipynb \\
        -p data none \\
        -p seed 2
    """
    merged = {**parameters, **(change or {})}
    target = output or f"{run_id}-rerun.ipynb"
    lines = [f"papermill {shlex.quote(run_id + '.ipynb')} {shlex.quote(target)}"]
    for name in sorted(merged):
        flag, text = _papermill_value(merged[name])
        lines.append(f"    {flag} {name} {shlex.quote(text)}")
    return " \\\n".join(lines)


def label(run_id: str, number: int) -> str:
    """The cross-reference label of exercise ``number`` of page ``run_id`` (``ex-results-2``)."""
    return f"ex-{run_id}-{number}"


def observed_glue(name: str) -> str:
    """Glue name of a page's own observed number ``name``."""
    return f"obs-{name}"


def solution_glue(number: int, name: str) -> str:
    """Glue name of exercise ``number``'s solution value of ``name`` (the page's number after the change)."""
    return f"ex{number}-{name}"


def fmt(x: float, digits: int = 3) -> str:
    """A number for a solution's text: ``digits`` decimals (``–`` when missing)."""
    return "–" if x is None or not math.isfinite(float(x)) else f"{float(x):.{digits}f}"


def pct(x: float) -> str:
    """A proportion as a percentage for a solution's text (``"94.0 %"``)."""
    return f"{100 * x:.1f} %"


def sig(p: float) -> str:
    """A p-value for a solution's text, three significant digits."""
    return f"{p:.3g}"


def moved(before: float, after: float, up: str = "rises", down: str = "falls", same: str = "stays") -> str:
    """The verb for a number going from ``before`` to ``after``."""
    return same if after == before else up if after > before else down


def solver(parameters: Mapping[str, Any],
           compute: Callable[[dict[str, Any], tuple[str, ...]], Mapping[str, float]]) -> Solver:
    """A page's :data:`Solver`: ``compute(parameters changed, names)`` gives the page's numbers (at least ``names``)
    with the page's ``parameters`` changed; a number the run does not give is NaN."""
    def solve(change: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, float]:
        numbers = compute({**parameters, **change}, names)
        return {n: float(numbers.get(n, math.nan)) for n in names}
    return solve


@dataclass(frozen=True)
class Exercise:
    """One exercise of one page.

    ``notebook``: the page's notebook stem (``simulation_study``; an exercise of ``mr_analysis`` is on every MR
    page). ``change``: the parameters to change, or a function of the page's parameters giving them (a
    threshold a hundred times looser than the page's). ``observe``: the names of the page's numbers the
    exercise is about (the page glues them as ``obs-<name>``). ``claim(before, after)``: what the solution
    says, as a test (the tests check it on the run). ``solution(before, after, change)``: the solution's text
    (MyST Markdown) from the numbers before and after the change.
    """

    notebook: str
    number: int
    title: str
    question: str
    change: Mapping[str, Any] | Callable[[Mapping[str, Any]], dict[str, Any]]
    observe: tuple[str, ...]
    claim: Callable[[Values, Values], bool]
    solution: Callable[[Values, Values, Mapping[str, Any]], str]

    def changes(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters this exercise changes, for a page run with ``parameters``."""
        return dict(self.change(parameters) if callable(self.change) else self.change)

    def markdown(self, run_id: str, parameters: Mapping[str, Any], command_parameters: Mapping[str, Any],
                 before: Values, after: Values | None, *, unsolved: str = "") -> str:
        """The exercise as the page shows it: a numbered exercise with the command (``command_parameters`` and
        the change), then its solution in a closed dropdown. ``parameters``: the page's, as it ran."""
        if after is None:
            solution = (f"The solution's numbers were not computed when this page was built ({unsolved}); the "
                        "command above gives them.")
            return self._blocks(run_id, parameters, command_parameters, solution)
        known = all(math.isfinite(float(before[k])) for k in self.observe)
        held = "" if not known or self.claim(before, after) else (
            "\n\n*On this build's data the pattern the question expects did not appear; the numbers above are "
            "what the run gave.*")
        solution = self.solution(before, after, self.changes(parameters))
        return self._blocks(run_id, parameters, command_parameters, f"{solution}{held}")

    def _blocks(self, run_id: str, parameters: Mapping[str, Any], command_parameters: Mapping[str, Any],
                solution: str) -> str:
        change = self.changes(parameters)
        what = ", ".join(f"`{k}` from `{parameters.get(k, '(default)')!s}` to `{v!s}`" for k, v in change.items())
        return (f"::::{{admonition}} Exercise {self.number}: {self.title}\n:class: mrkit-exercise\n"
                f":name: {label(run_id, self.number)}\n\n{self.question}\n\n"
                f"Change {what}: re-run this page with\n\n```sh\n"
                f"{rerun_command(run_id, command_parameters, change, output=f'{run_id}-ex{self.number}.ipynb')}\n```\n"
                f"::::\n\n:::{{dropdown}} Solution to exercise {self.number}\n{solution}\n:::\n")


def context(notebook: str, parameters: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(run id, parameters of the re-run command) of the page being executed: what ``mrkit book`` set
    (:data:`RUN_ID_ENV`, :data:`PARAMETERS_ENV`: the run plan's), else the notebook's stem and the page's own
    ``parameters`` (a page run by hand)."""
    run_id = os.environ.get(RUN_ID_ENV) or notebook
    try:
        params = json.loads(os.environ[PARAMETERS_ENV])
    except (KeyError, ValueError):
        params = dict(parameters)
    return run_id, params


def show(notebook: str, exercises: list[Exercise], parameters: Mapping[str, Any], observed: Values,
         solve: Callable[[Mapping[str, Any], tuple[str, ...]], Values]) -> None:
    """Glue the page's ``observed`` numbers and show each exercise of ``notebook`` with its solution.

    ``parameters``: the page's parameters as it ran. ``solve(change, names)``: the page's numbers ``names``
    with its parameters changed by ``change``, computed with the same functions as the page, so that they
    equal what the re-run shows.
    """
    from IPython.display import Markdown, display
    from myst_nb import glue

    run_id, command_params = context(notebook, parameters)
    mine = [ex for ex in exercises if ex.notebook == notebook]
    for name in dict.fromkeys(n for ex in mine for n in ex.observe):
        if name in observed:  # a page run on part of its design (one scenario) observes part of the numbers
            glue(observed_glue(name), float(observed[name]), display=False)
    for ex in mine:
        change = ex.changes(parameters)
        before = {k: float(observed.get(k, math.nan)) for k in ex.observe}
        try:
            after = solve(change, ex.observe)
        except MRKitError as exc:  # e.g. new OpenGWAS queries, which a book build does not make for an exercise
            display(Markdown(ex.markdown(run_id, parameters, command_params, before, None, unsolved=str(exc))))
            continue
        for name in ex.observe:
            glue(solution_glue(ex.number, name), float(after[name]), display=False)
        display(Markdown(ex.markdown(run_id, parameters, command_params, before, after)))
