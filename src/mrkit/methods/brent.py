# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from SciPy 1.17 scipy/optimize/Zeros/brentq.c (BSD-3-Clause, Copyright SciPy Developers).
"""Brent's root finder, step for step as ``scipy.optimize.brentq`` has it, over many lanes at once.

MR-RAPS (:mod:`mrkit.methods.raps`) and the power calculations (:mod:`mrkit.methods.power`) solve equations by
Brent's method. This is a line-by-line port of scipy's ``brentq`` (scipy 1.17, ``Zeros/brentq.c``) with the
same floating-point operations in the same order, so each lane returns scipy's bits (``tests/test_brent.py``
compares them with scipy on random functions, iterates and call counts included), written over lanes: ``a`` and
``b`` may be arrays, ``f`` maps an array of lanes to their values, and every lane follows its own Brent path
(a lane that has converged keeps its root while the others go on). One call solves one equation per replicate
of a batch; a scalar call is one lane. ``scipy.optimize`` itself is not imported: its import costs about a third
of a second, more than ``mrkit estimate`` spends on all its estimators.

May import: numpy only.

References
----------
Brent RP (1973). Algorithms for Minimization Without Derivatives. Prentice-Hall, chapter 4.
scipy 1.17: ``scipy/optimize/Zeros/brentq.c`` (C. Harris, BSD-3-Clause). Virtanen P et al. (2020) Nat Methods
17:261-272.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["RTOL", "XTOL", "brentq"]

#: scipy.optimize.brentq's default tolerances.
XTOL = 2e-12
RTOL = 4 * float(np.finfo(float).eps)


def brentq(f: Callable, a, b, xtol=XTOL, rtol: float = RTOL, maxiter: int = 100):
    """Roots of ``f`` in ``[a, b]`` (``f(a)`` and ``f(b)`` of opposite signs): ``scipy.optimize.brentq`` per lane.

    Parameters
    ----------
    f : callable
        Scalar ``a``, ``b``: ``f(x)`` of a float, as scipy. Array ``a``, ``b`` (shape ``(n,)``): ``f(x)`` of an
        ``(n,)`` array of lanes returning their ``n`` values (it is called with every lane at each step).
    a, b : float or array_like (n,)
    xtol : float or array_like (n,)
        Absolute tolerance (per lane if an array); ``rtol`` relative, ``maxiter`` iterations, as scipy.

    Returns
    -------
    float or numpy.ndarray (n,)
        The root of each lane. For arrays, a lane whose ends have the same sign, whose function is NaN or which
        does not converge in ``maxiter`` iterations is NaN.

    Raises
    ------
    ValueError
        ``xtol <= 0`` or ``rtol < 4 eps``; for scalars also ``f(a)`` and ``f(b)`` of the same sign, or ``f`` NaN
        somewhere (as scipy).
    RuntimeError
        Scalars: no convergence within ``maxiter`` iterations (as scipy with ``disp=True``).
    """
    scalar = np.ndim(a) == 0 and np.ndim(b) == 0
    rtol = float(rtol)
    xtol_lanes = np.asarray(xtol, dtype=float)
    if np.any(xtol_lanes <= 0):
        raise ValueError(f"xtol too small ({float(np.min(xtol_lanes)):g} <= 0)")
    if rtol < RTOL:
        raise ValueError(f"rtol too small ({rtol:g} < {RTOL:g})")
    xpre, xcur = np.atleast_1d(np.asarray(a, dtype=float)).copy(), np.atleast_1d(np.asarray(b, dtype=float)).copy()
    xpre, xcur = np.broadcast_arrays(xpre, xcur)
    xpre, xcur = xpre.copy(), xcur.copy()
    n = xpre.size
    xtol_lanes = np.broadcast_to(xtol_lanes, (n,))

    def value(x: np.ndarray) -> np.ndarray:
        fx = np.asarray(f(float(x[0])) if scalar else f(x), dtype=float).reshape(n)
        if scalar and np.isnan(fx[0]):
            raise ValueError(f"The function value at x={float(x[0]):f} is NaN; solver cannot continue.")
        return fx

    root = np.full(n, np.nan)
    fpre = value(xpre)
    fcur = value(xcur)
    done = np.isnan(fpre) | np.isnan(fcur)
    hit_pre = ~done & (fpre == 0)
    root[hit_pre] = xpre[hit_pre]
    done |= hit_pre
    hit_cur = ~done & (fcur == 0)
    root[hit_cur] = xcur[hit_cur]
    done |= hit_cur
    same_sign = ~done & (np.signbit(fpre) == np.signbit(fcur))  # C signbit
    if scalar and same_sign[0]:
        raise ValueError("f(a) and f(b) must have different signs")
    done |= same_sign
    xblk, fblk, spre, scur = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(maxiter):
            act = ~done
            if not act.any():
                break
            new_block = act & (fpre != 0) & (fcur != 0) & (np.signbit(fpre) != np.signbit(fcur))
            xblk, fblk = np.where(new_block, xpre, xblk), np.where(new_block, fpre, fblk)
            spre, scur = np.where(new_block, xcur - xpre, spre), np.where(new_block, xcur - xpre, scur)
            swap = act & (np.abs(fblk) < np.abs(fcur))
            xpre, xcur, xblk = np.where(swap, xcur, xpre), np.where(swap, xblk, xcur), np.where(swap, xcur, xblk)
            fpre, fcur, fblk = np.where(swap, fcur, fpre), np.where(swap, fblk, fcur), np.where(swap, fcur, fblk)
            delta = (xtol_lanes + rtol * np.abs(xcur)) / 2
            sbis = (xblk - xcur) / 2
            finished = act & ((fcur == 0) | (np.abs(sbis) < delta))
            root[finished] = xcur[finished]
            done |= finished
            act &= ~finished
            if not act.any():
                break
            # interpolate (xpre == xblk) or extrapolate (inverse quadratic), as brentq.c
            stry = np.where(xpre == xblk, -fcur * (xcur - xpre) / (fcur - fpre),
                            -fcur * (fblk * ((fblk - fcur) / (xblk - xcur)) - fpre * ((fpre - fcur) / (xpre - xcur)))
                            / (((fblk - fcur) / (xblk - xcur)) * ((fpre - fcur) / (xpre - xcur)) * (fblk - fpre)))
            limit = np.where(np.abs(spre) < 3 * np.abs(sbis) - delta, np.abs(spre), 3 * np.abs(sbis) - delta)
            good = (np.abs(spre) > delta) & (np.abs(fcur) < np.abs(fpre)) & (2 * np.abs(stry) < limit)
            spre = np.where(act, np.where(good, scur, sbis), spre)
            scur = np.where(act, np.where(good, stry, sbis), scur)
            xpre, fpre = np.where(act, xcur, xpre), np.where(act, fcur, fpre)
            step = np.where(np.abs(scur) > delta, scur, np.where(sbis > 0, delta, -delta))
            xcur = np.where(act, xcur + step, xcur)
            fcur = np.where(act, value(xcur), fcur)
            done |= act & np.isnan(fcur)
    if scalar:
        if not done[0]:
            raise RuntimeError(f"Failed to converge after {maxiter} iterations, value is {float(xcur[0])}.")
        return float(root[0])
    return root
