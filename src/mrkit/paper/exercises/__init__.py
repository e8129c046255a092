"""Exercises of the book's pages: re-run the page with a parameter changed, and say what moved.

Every exercise asks the student to change one or two of its page's parameters (never a module global: a
notebook's parameters reach every worker process, a global edited in the notebook does not) and gives the
exact papermill command. Its solution is computed, not typed: the page computes the numbers the exercise is
about under its own parameters and again under the changed ones, by the same functions, and the solution
states both; a test runs the command as a student would and checks them.

* the machinery (:class:`Exercise`, :func:`rerun_command`, :func:`show`): :mod:`.core`
* the study's pages (MR, results, limitations, multivariable): :mod:`.study`
* the teaching chapters (simulation study, harmonisation by example, conventions): :mod:`.teaching`

:data:`EXERCISES` lists every exercise in the book's order; :data:`PAGES` names the pages that have them.
"""
from __future__ import annotations

from .core import (
    BOOK_RESULTS,
    PARAMETERS_ENV,
    RERUN_RESULTS,
    RUN_ID_ENV,
    Exercise,
    label,
    observed_glue,
    rerun_command,
    rerun_parameters,
    show,
    solution_glue,
)
from .study import (
    STUDY,
    limitations_observed,
    limitations_solver,
    mr_observed,
    mr_solver,
    multivariable_observed,
    multivariable_solver,
    results_observed,
    results_solver,
)
from .teaching import (
    HARMONISATION_TRUTH,
    TEACHING,
    conventions_observed,
    conventions_solver,
    harmonisation_observed,
    harmonisation_solver,
    simulation_observed,
    simulation_solver,
)

__all__ = ["EXERCISES", "PAGES", "for_notebook", "Exercise", "rerun_command", "rerun_parameters", "label", "show",
           "observed_glue", "solution_glue", "BOOK_RESULTS", "RERUN_RESULTS", "RUN_ID_ENV", "PARAMETERS_ENV",
           "HARMONISATION_TRUTH", "mr_observed", "mr_solver", "results_observed", "results_solver",
           "limitations_observed", "limitations_solver", "multivariable_observed", "multivariable_solver",
           "simulation_observed", "simulation_solver", "harmonisation_observed", "harmonisation_solver",
           "conventions_observed", "conventions_solver"]

#: Every exercise of the book, in the book's order.
EXERCISES: list[Exercise] = [*STUDY, *TEACHING]
#: Notebook stem -> the title of its pages on the Exercises page, in the book's order.
PAGES = {"mr_analysis": "MR analysis, direction by direction", "results": "Results: all ten directions",
         "limitations": "Limitations analysis", "multivariable": "Multivariable MR and mediation",
         "simulation_study": "How MR methods fail, and which survive",
         "harmonisation_by_example": "Harmonisation by example", "conventions": "Why the packages disagree"}


def for_notebook(notebook: str) -> list[Exercise]:
    """The exercises of one notebook's pages, in their order."""
    return [e for e in EXERCISES if e.notebook == notebook]
