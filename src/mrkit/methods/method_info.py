"""What a method is, for the registry, the methods chapter and the robust-methods tables: one record per method id.

Every estimator module defines ``METHODS``, a tuple of :class:`MethodInfo`, one per method id it provides (a row of
``mrkit.mr()``). The record says what the row is called (``label`` in TwoSampleMR / MendelianRandomization style,
``short_label`` for narrow tables and forest plots), which assumption family it belongs to (the grouping of the book's
robust-methods table), which R function it reproduces, and what the methods chapter says about it.

May import: nothing of mrkit (a record, no numbers).
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ASSUMPTION_FAMILIES", "MethodInfo"]

#: The assumption families of the robust-methods table, in the order the book shows them.
ASSUMPTION_FAMILIES = ("none (all valid)", "majority valid", "plurality valid", "InSIDE", "outlier removal")


@dataclass(frozen=True)
class MethodInfo:
    """One method id and what the book and the registry need to know about it.

    Attributes
    ----------
    id : str
        The row's ``method`` value and the ``--methods`` name (``divw``, ``ivw_robust``, ...).
    label, short_label : str
        The row's name as the R packages print it, and a short one for tables and plots.
    family : str
        One of :data:`ASSUMPTION_FAMILIES`: which identifying assumption the method relies on.
    r_function : str
        The R call it reproduces (package, version, function and the options that matter).
    idea : str
        The idea in two sentences.
    formula : str
        The estimator in LaTeX (inline maths, no surrounding ``$``).
    trades : str
        The assumption it gives up, and what it asks instead.
    when : str
        When to use it.
    extra_keys : tuple of str
        Quantities the row carries besides estimate, se, ci_lower, ci_upper and p.
    """

    id: str
    label: str
    short_label: str
    family: str
    r_function: str
    idea: str
    formula: str
    trades: str
    when: str
    extra_keys: tuple[str, ...] = ()

    def __post_init__(self):
        if self.family not in ASSUMPTION_FAMILIES:
            raise ValueError(f"{self.id}: unknown assumption family {self.family!r}; "
                             f"choose from {', '.join(ASSUMPTION_FAMILIES)}")
