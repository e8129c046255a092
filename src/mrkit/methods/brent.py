# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from SciPy 1.17 scipy/optimize/Zeros/brentq.c (BSD-3-Clause, Copyright SciPy Developers) and R 4.2
# src/library/stats/src/optimize.c Brent_fmin (GPL-2 or later).
"""Brent's root finder, step for step as ``scipy.optimize.brentq`` has it, over many lanes at once.

MR-RAPS (:mod:`mrkit.methods.raps`) and the power calculations (:mod:`mrkit.methods.power`) solve equations by
Brent's method. This is a line-by-line port of scipy's ``brentq`` (scipy 1.17, ``Zeros/brentq.c``) with the
same floating-point operations in the same order, so each lane returns scipy's bits (``tests/test_brent.py``
compares them with scipy on random functions, iterates and call counts included), written over lanes: ``a`` and
``b`` may be arrays, ``f`` maps an array of lanes to their values, and every lane follows its own Brent path
(a lane that has converged keeps its root while the others go on). One call solves one equation per replicate
of a batch; a scalar call is one lane. ``scipy.optimize`` itself is not imported: its import costs about a third
of a second, more than ``mrkit estimate`` spends on all its estimators.

:func:`r_optimize` is R's ``optimize`` (``Brent_fmin``), likewise over lanes: RadialMR's exact Q estimators and
PC-GMM need R's own steps.

May import: numpy only.

References
----------
Brent RP (1973). Algorithms for Minimization Without Derivatives. Prentice-Hall, chapters 4 and 5.
scipy 1.17: ``scipy/optimize/Zeros/brentq.c`` (C. Harris, BSD-3-Clause). Virtanen P et al. (2020) Nat Methods
17:261-272.
R Core Team, R 4.2: ``Brent_fmin`` in ``src/library/stats/src/optimize.c`` (GPL-2 or later; ported).
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["RTOL", "XTOL", "R_OPTIMIZE_TOL", "brentq", "r_optimize"]

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


#: R's default ``tol`` of ``optimize``: ``.Machine$double.eps^0.25``.
R_OPTIMIZE_TOL = float(np.finfo(float).eps) ** 0.25
_R_EPS = math.sqrt(float(np.finfo(float).eps))  # R: eps = sqrt(DBL_EPSILON)
_GOLDEN = (3.0 - math.sqrt(5.0)) * 0.5
_DBL_MAX = float(np.finfo(float).max)


def r_optimize(f: Callable[..., np.ndarray], lower, upper, tol: float = R_OPTIMIZE_TOL, *, lanes: bool = False):
    """R's ``optimize(f, interval = c(lower, upper), tol = tol)$minimum``, for many problems at once.

    A port of R's ``Brent_fmin`` (R 4.2 ``src/library/stats/src/optimize.c``, GPL-2 or later; Brent 1973's
    ``localmin``) that runs one lane per problem in lock step: each lane takes exactly the steps R takes on
    its own problem (same golden-section and parabolic steps, the same floating-point operations), and
    stops where R stops. It differs from :func:`minimize_bounded` (scipy's port of the same algorithm) in
    three details, which move the answer by up to ``tol``: R uses ``sqrt(DBL_EPSILON)`` where scipy uses
    ``sqrt(2.2e-16)``; on a zero step and at the interval's midpoint R steps down, scipy up; R has no
    iteration limit. As R's ``fcn1``, a non-finite value of ``f`` counts as the largest double.

    Parameters
    ----------
    f : callable
        ``f(x)`` with ``x`` of shape ``(n,)`` (one point per lane) returning ``(n,)`` values, called on every
        lane at every step (finished lanes repeat their last point); with ``lanes=True``, ``f(x, idx)`` is
        called on the unfinished lanes only (``idx``: their indices, ``x``: their points).
    lower, upper : float or array_like (n,)
        The ends of each lane's search interval, in either order (R's ``optimize`` searches from
        ``min(interval)`` to ``max(interval)``).
    tol : float
        R's ``tol`` (default ``.Machine$double.eps^0.25``, about 1.2e-4).
    lanes : bool
        Call ``f(x, idx)`` on the unfinished lanes only (saves work when ``f`` is costly per lane).

    Returns
    -------
    float or numpy.ndarray
        The minimiser (a float for scalar bounds, else shape ``(n,)``).

    Raises
    ------
    ValueError
        Bounds not finite or equal in some lane (R: "'xmin' not less than 'xmax'").
    """
    scalar = np.ndim(lower) == 0 and np.ndim(upper) == 0
    ends = np.broadcast_arrays(np.array(lower, dtype=float, ndmin=1), np.array(upper, dtype=float, ndmin=1))
    a, b = np.minimum(*ends), np.maximum(*ends)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("optimize bounds must be finite")
    if np.any(a >= b):
        raise ValueError("'xmin' not less than 'xmax'")

    def value(x: np.ndarray, active: np.ndarray | None = None, before: np.ndarray | None = None) -> np.ndarray:
        if lanes:
            idx = np.arange(x.size) if active is None else np.flatnonzero(active)
            fx = np.array(before if before is not None else np.empty(x.size), dtype=float)
            fx[idx] = f(x[idx], idx)
        else:
            fx = np.array(f(x), dtype=float, ndmin=1)
        return np.where(np.isfinite(fx), fx, _DBL_MAX)

    tol3 = tol / 3.0
    v = a + _GOLDEN * (b - a)
    w, x = v.copy(), v.copy()
    d, e = np.zeros_like(a), np.zeros_like(a)
    fx = value(x)
    fv, fw = fx.copy(), fx.copy()
    active = np.ones(a.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        while True:
            xm = (a + b) * 0.5
            tol1 = _R_EPS * np.abs(x) + tol3
            t2 = tol1 * 2.0
            active &= ~(np.abs(x - xm) <= t2 - (b - a) * 0.5)
            if not active.any():
                break
            fit = np.abs(e) > tol1  # fit a parabola; else p = q = r = 0 and the step is golden
            r = np.where(fit, (x - w) * (fx - fv), 0.0)
            q = np.where(fit, (x - v) * (fx - fw), 0.0)
            p = np.where(fit, (x - v) * q - (x - w) * r, 0.0)
            q = np.where(fit, (q - r) * 2.0, 0.0)
            p = np.where(fit & (q > 0.0), -p, p)
            q = np.where(fit & ~(q > 0.0), -q, q)
            r = np.where(fit, e, 0.0)
            e = np.where(fit, d, e)
            golden = (np.abs(p) >= np.abs(q * 0.5 * r)) | (p <= q * (a - x)) | (p >= q * (b - x))
            e_golden = np.where(x < xm, b - x, a - x)
            d_parabola = p / q
            u = x + d_parabola
            near_end = (u - a < t2) | (b - u < t2)  # f must not be evaluated too close to ax or bx
            d_parabola = np.where(near_end, np.where(x >= xm, -tol1, tol1), d_parabola)
            e = np.where(golden, e_golden, e)
            d = np.where(golden, _GOLDEN * e_golden, d_parabola)
            u = np.where(np.abs(d) >= tol1, x + d, np.where(d > 0.0, x + tol1, x - tol1))
            u = np.where(active, u, x)
            fu = value(u, active, fx)
            better = active & (fu <= fx)
            worse = active & ~(fu <= fx)
            left = u < x
            new_a = np.where(better & ~left, x, np.where(worse & left, u, a))
            new_b = np.where(better & left, x, np.where(worse & ~left, u, b))
            to_w = worse & ((fu <= fw) | (w == x))
            to_v = worse & ~to_w & ((fu <= fv) | (v == x) | (v == w))
            new_v = np.where(better | to_w, w, np.where(to_v, u, v))
            new_fv = np.where(better | to_w, fw, np.where(to_v, fu, fv))
            new_w = np.where(better, x, np.where(to_w, u, w))
            new_fw = np.where(better, fx, np.where(to_w, fu, fw))
            x = np.where(better, u, x)
            fx = np.where(better, fu, fx)
            a, b, v, fv, w, fw = new_a, new_b, new_v, new_fv, new_w, new_fw
    return float(x[0]) if scalar else x
