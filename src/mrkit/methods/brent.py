"""Brent's root finder and Brent's bounded minimiser, step for step as :mod:`scipy.optimize` has them.

MR-RAPS (:mod:`mrkit.methods.raps`) needs ``scipy.optimize.brentq`` and ``minimize_scalar(method="bounded")``
and nothing else from ``scipy.optimize``, whose import costs about a third of a second: more than
``mrkit estimate`` spends on all its estimators. These are line-by-line ports of the two scipy 1.17
routines, with the same floating-point operations in the same order, so they return the same bits
(``tests/test_brent.py`` compares them with scipy on random functions, iterates and call counts
included).

May import: numpy only.

References
----------
Brent RP (1973). Algorithms for Minimization Without Derivatives. Prentice-Hall, chapters 4 and 5.
scipy 1.17: ``scipy/optimize/Zeros/brentq.c`` (C. Harris) and ``_minimize_scalar_bounded`` in
``scipy/optimize/_optimize.py`` (BSD-3-Clause). Virtanen P et al. (2020) Nat Methods 17:261-272.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["RTOL", "XTOL", "brentq", "minimize_bounded"]

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
