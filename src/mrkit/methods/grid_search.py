"""Grids and the intervals read off them, as the R grid-search methods (ConMix, HetPen, CLR) build them.

* :func:`r_seq_by` is R's ``seq(from, to, by)`` (``seq.default``): ``n = as.integer((to - from) / by + 1e-10)``,
  ``from + (0:n) * by``, clipped at ``to``. The grid points are therefore R's to the last bit.
* :func:`grid_intervals` turns the accepted points of a grid into the union of intervals R reports, as
  MendelianRandomization's ``mr_conmix`` and ``mr_hetpen`` do: ``CILower = c(min(CIRange), CIRange[which(diff(CIRange)
  > 1.01 * CIStep) + 1])``, ``CIUpper = c(CIRange[which(diff(CIRange) > 1.01 * CIStep)], max(CIRange))``.
* :func:`accept_runs` is the rule of ``mr_clr``'s ``mrCI``: the runs of consecutive accepted grid points.

A bound on the grid's edge means the interval was cut there (R does not say so): :func:`grid_note` writes that
into the row's note.

May import: numpy only.
"""
from __future__ import annotations

import numpy as np

__all__ = ["r_seq_by", "grid_intervals", "accept_runs", "grid_note", "union_note"]


def r_seq_by(start: float, stop: float, step: float) -> np.ndarray:
    """R's ``seq(start, stop, by = step)`` for ``step > 0`` and ``stop >= start``, bit for bit (R 4.2 seq.default)."""
    start, stop, step = float(start), float(stop), float(step)
    if not (np.isfinite(start) and np.isfinite(stop) and step > 0 and stop >= start):
        raise ValueError(f"grid from {start} to {stop} by {step} is not a finite increasing grid")
    if abs(stop - start) / max(abs(stop), abs(start), 1e-300) < 100 * np.finfo(float).eps:
        return np.array([start])
    n = int((stop - start) / step + 1e-10)
    return np.minimum(start + np.arange(n + 1) * step, stop)


def grid_intervals(accepted: np.ndarray, start: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """The intervals of MendelianRandomization's grid methods from the indices of accepted grid points.

    ``accepted``: increasing 0-based indices into the grid ``start + step * i``. Returns ``(lower, upper)``,
    arrays of the same length (one entry per interval), computed as R does: ``CIRange = start + step * i`` and
    a gap wherever two consecutive accepted points are more than ``1.01 * step`` apart. Empty input gives
    ``([nan], [nan])``.
    """
    accepted = np.asarray(accepted)
    if accepted.size == 0:
        return np.array([np.nan]), np.array([np.nan])
    ci_range = start + step * accepted  # R: CIMin + CIStep * (whichin - 1), whichin 1-based
    gaps = np.flatnonzero(np.diff(ci_range) > 1.01 * step)
    lower = np.concatenate([[ci_range.min()], ci_range[gaps + 1]])
    upper = np.concatenate([ci_range[gaps], [ci_range.max()]])
    return lower, upper


def accept_runs(accepted: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``mr_clr``'s ``mrCI``: from a boolean per grid point (True = not rejected), the runs' first and last points."""
    acc = np.asarray(accepted, dtype=int)
    diff = acc[1:] - acc[:-1]
    left = list(np.flatnonzero(diff == 1) + 1)
    right = list(np.flatnonzero(diff == -1))
    if acc.size and acc[0] == 1:
        left = [0] + left
    if acc.size and acc[-1] == 1:
        right = right + [acc.size - 1]
    return grid[np.asarray(left, dtype=int)], grid[np.asarray(right, dtype=int)]


def grid_note(lower, upper, grid_min: float, grid_max: float, what: str = "interval") -> str:
    """A note when an interval bound lies on the grid's edge (the interval was cut there), else ``""``."""
    notes = []
    lower, upper = np.atleast_1d(lower), np.atleast_1d(upper)
    if lower.size and np.isfinite(lower[0]) and lower.min() <= grid_min:
        notes.append(f"{what} cut at the grid's lower end {grid_min:.6g}")
    if upper.size and np.isfinite(upper[-1]) and upper.max() >= grid_max:
        notes.append(f"{what} cut at the grid's upper end {grid_max:.6g}")
    return "; ".join(notes)


def union_note(lower, upper, what: str = "interval") -> str:
    """A note listing the pieces of a union of intervals (more than one piece), else ``""``."""
    lower, upper = np.atleast_1d(lower), np.atleast_1d(upper)
    if lower.size <= 1:
        return ""
    pieces = " U ".join(f"[{lo:.6g}, {hi:.6g}]" for lo, hi in zip(lower, upper))
    return f"{what} is a union of {lower.size} intervals: {pieces}"
