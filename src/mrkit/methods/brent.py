"""Brent's root finder and Brent's bounded minimiser, step for step as :mod:`scipy.optimize` and R have them.

MR-RAPS (:mod:`mrkit.methods.raps`) needs ``scipy.optimize.brentq`` and ``minimize_scalar(method="bounded")``
and nothing else from ``scipy.optimize``, whose import costs about a third of a second: more than
``mrkit estimate`` spends on all its estimators. These are line-by-line ports of the two scipy 1.17
routines, with the same floating-point operations in the same order, so they return the same bits
(``tests/test_brent.py`` compares them with scipy on random functions, iterates and call counts
included). :func:`r_optimize` is R's ``optimize`` (``Brent_fmin``), run for many problems in lock step:
RadialMR's exact Q estimators need R's own steps.

May import: numpy only.

References
----------
Brent RP (1973). Algorithms for Minimization Without Derivatives. Prentice-Hall, chapters 4 and 5.
scipy 1.17: ``scipy/optimize/Zeros/brentq.c`` (C. Harris) and ``_minimize_scalar_bounded`` in
``scipy/optimize/_optimize.py`` (BSD-3-Clause). Virtanen P et al. (2020) Nat Methods 17:261-272.
R Core Team, R 4.2: ``Brent_fmin`` in ``src/library/stats/src/optimize.c`` (GPL-2 or later; ported).
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["RTOL", "XTOL", "R_OPTIMIZE_TOL", "brentq", "minimize_bounded", "r_optimize"]

#: scipy.optimize.brentq's default tolerances.
XTOL = 2e-12
RTOL = 4 * float(np.finfo(float).eps)


def _divide(a: float, b: float) -> float:
    """``a / b`` as C divides doubles: +-inf or NaN where Python raises ZeroDivisionError."""
    try:
        return a / b
    except ZeroDivisionError:
        if math.isnan(a) or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def brentq(f: Callable[[float], float], a: float, b: float, xtol: float = XTOL, rtol: float = RTOL,
           maxiter: int = 100) -> float:
    """A root of ``f`` in ``[a, b]`` (``f(a)`` and ``f(b)`` of opposite signs): ``scipy.optimize.brentq``.

    Raises
    ------
    ValueError
        ``xtol <= 0``, ``rtol < 4 eps``, ``f(a)`` and ``f(b)`` of the same sign, or ``f`` NaN somewhere
        (as scipy).
    RuntimeError
        No convergence within ``maxiter`` iterations (as scipy with ``disp=True``).
    """
    xtol, rtol = float(xtol), float(rtol)
    if xtol <= 0:
        raise ValueError(f"xtol too small ({xtol:g} <= 0)")
    if rtol < RTOL:
        raise ValueError(f"rtol too small ({rtol:g} < {RTOL:g})")

    def value(x: float) -> float:
        fx = float(f(x))
        if math.isnan(fx):
            raise ValueError(f"The function value at x={x:f} is NaN; solver cannot continue.")
        return fx

    xpre, xcur = float(a), float(b)
    xblk = fblk = spre = scur = 0.0
    fpre, fcur = value(xpre), value(xcur)
    if fpre == 0:
        return xpre
    if fcur == 0:
        return xcur
    if math.copysign(1.0, fpre) == math.copysign(1.0, fcur):  # C signbit
        raise ValueError("f(a) and f(b) must have different signs")
    for _ in range(maxiter):
        if fpre != 0 and fcur != 0 and math.copysign(1.0, fpre) != math.copysign(1.0, fcur):
            xblk, fblk = xpre, fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):
            xpre, xcur, xblk = xcur, xblk, xcur
            fpre, fcur, fblk = fcur, fblk, fcur
        delta = (xtol + rtol * abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        if fcur == 0 or abs(sbis) < delta:
            return xcur
        if abs(spre) > delta and abs(fcur) < abs(fpre):
            if xpre == xblk:  # interpolate
                stry = _divide(-fcur * (xcur - xpre), fcur - fpre)
            else:  # extrapolate
                dpre = _divide(fpre - fcur, xpre - xcur)
                dblk = _divide(fblk - fcur, xblk - xcur)
                stry = _divide(-fcur * (fblk * dblk - fpre * dpre), dblk * dpre * (fblk - fpre))
            limit = min(3 * abs(sbis) - delta, abs(spre))  # C's MIN(|spre|, 3|sbis| - delta), NaN included
            if 2 * abs(stry) < limit:  # good short step
                spre, scur = scur, stry
            else:  # bisect
                spre = scur = sbis
        else:  # bisect
            spre = scur = sbis
        xpre, fpre = xcur, fcur
        if abs(scur) > delta:
            xcur += scur
        else:
            xcur += delta if sbis > 0 else -delta
        fcur = value(xcur)
    raise RuntimeError(f"Failed to converge after {maxiter} iterations, value is {xcur}.")


def minimize_bounded(f: Callable[[float], float], lower: float, upper: float, xatol: float = 1e-5,
                     maxiter: int = 500) -> float:
    """The minimiser of ``f`` on ``[lower, upper]``: ``scipy.optimize.minimize_scalar(f, bounds=(lower,
    upper), method="bounded", options={"xatol": xatol, "maxiter": maxiter}).x`` (Brent's golden-section
    search with parabolic steps, R's ``optimize``).

    Raises
    ------
    ValueError
        Bounds not finite, or ``lower > upper``.
    """
    if not (np.isfinite(lower) and np.isfinite(upper)):
        raise ValueError("Optimization bounds must be finite scalars.")
    if lower > upper:
        raise ValueError("The lower bound exceeds the upper bound.")
    sqrt_eps = math.sqrt(2.2e-16)
    golden_mean = 0.5 * (3.0 - math.sqrt(5.0))
    a, b = lower, upper
    fulc = a + golden_mean * (b - a)
    nfc, xf = fulc, fulc
    rat = e = 0.0
    x = xf
    fx = f(x)
    num = 1
    ffulc = fnfc = fx
    xm = 0.5 * (a + b)
    tol1 = sqrt_eps * np.abs(xf) + xatol / 3.0
    tol2 = 2.0 * tol1
    while np.abs(xf - xm) > (tol2 - 0.5 * (b - a)):
        golden = 1
        if np.abs(e) > tol1:  # parabolic fit
            golden = 0
            r = (xf - nfc) * (fx - ffulc)
            q = (xf - fulc) * (fx - fnfc)
            p = (xf - fulc) * q - (xf - nfc) * r
            q = 2.0 * (q - r)
            if q > 0.0:
                p = -p
            q = np.abs(q)
            r = e
            e = rat
            if (np.abs(p) < np.abs(0.5 * q * r)) and (p > q * (a - xf)) and (p < q * (b - xf)):
                rat = (p + 0.0) / q
                x = xf + rat
                if ((x - a) < tol2) or ((b - x) < tol2):
                    si = np.sign(xm - xf) + ((xm - xf) == 0)
                    rat = tol1 * si
            else:
                golden = 1
        if golden:  # golden-section step
            e = a - xf if xf >= xm else b - xf
            rat = golden_mean * e
        si = np.sign(rat) + (rat == 0)
        x = xf + si * np.maximum(np.abs(rat), tol1)
        fu = f(x)
        num += 1
        if fu <= fx:
            if x >= xf:
                a = xf
            else:
                b = xf
            fulc, ffulc = nfc, fnfc
            nfc, fnfc = xf, fx
            xf, fx = x, fu
        else:
            if x < xf:
                a = x
            else:
                b = x
            if (fu <= fnfc) or (nfc == xf):
                fulc, ffulc = nfc, fnfc
                nfc, fnfc = x, fu
            elif (fu <= ffulc) or (fulc == xf) or (fulc == nfc):
                fulc, ffulc = x, fu
        xm = 0.5 * (a + b)
        tol1 = sqrt_eps * np.abs(xf) + xatol / 3.0
        tol2 = 2.0 * tol1
        if num >= maxiter:
            break
    return float(xf)


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
