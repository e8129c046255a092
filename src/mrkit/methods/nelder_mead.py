# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from R's nmmin, src/appl/optim.c, R (GPL-2.0-or-later).
"""R's Nelder-Mead (``optim(method = "Nelder-Mead")``, ``nmmin`` of R's ``src/appl/optim.c``) on the two-sample
maximum-likelihood objective, written once in C (``_nmmin.c``) with one fallback in numpy.

R's Nelder-Mead does not reach the optimum of the maximum-likelihood objective on real data (it stops on its
relative tolerance, or at its 25,000 evaluations), so reproducing R's numbers means reproducing its path:
same starting simplex, coefficients 1, 0.5, 2, ``reltol = sqrt(.Machine$double.eps)``, and R's long-double
accumulation in ``sum``. :func:`ml_nelder_mead` runs the compiled port (``_nmmin.c``, built by setup.py and
loaded with ctypes) when it was built, else :func:`nelder_mead_r`, the same steps in numpy (the fallback for an
install without a C compiler). Both give R's path bit for bit; the tests compare both with R's own numbers
(``tests/test_ml_nelder_mead.py``) and ``benchmarks/bench_batch.py`` times them.

References
----------
Nelder JA, Mead R (1965). A simplex method for function minimization. Comput J 7:308-313.
Nash JC (1990). Compact Numerical Methods for Computers, 2nd ed., Algorithm 19 (R's ``nmmin``).
R Core Team, ``nmmin`` in src/appl/optim.c (GPL-2 or later).
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import NotEstimable

__all__ = ["nelder_mead_r", "ml_nelder_mead", "ml_objective", "rsum"]

_BIG = 1.0e35
_RELTOL = float(np.sqrt(np.finfo(float).eps))


_accumulate = np.add.accumulate  # np.cumsum without its Python wrapper (a tenth of the call overhead)
_add_rows = np.add.reduce


def rsum(values: np.ndarray) -> np.ndarray:
    """R's ``sum`` of doubles along the last axis: sequential accumulation in long double, rounded to double."""
    return np.asarray(_accumulate(values, axis=-1, dtype=np.longdouble)[..., -1], dtype=float)


def _values(values) -> list[float]:
    return values if isinstance(values, list) else np.asarray(values, dtype=float).tolist()


def nelder_mead_r(fn, start: np.ndarray, *, maxit: int = 25000, reltol: float = _RELTOL,
                  abstol: float = -np.inf, alpha: float = 1.0, beta: float = 0.5,
                  gamma: float = 2.0, vectorised: bool = False) -> tuple[np.ndarray, float, int, int]:
    """R's ``optim(method = "Nelder-Mead")`` (``nmmin``), step for step.

    ``fn`` maps a parameter vector (shape ``(n,)``) to a float or, with ``vectorised=True``, the rows of an
    array (shape ``(m, n)``) to their ``m`` values. Each step evaluates its four candidate points at once
    (reflection, expansion, and the contractions of the reflection and of the worst vertex), of which R
    evaluates one or two: one call instead of two costs less than the two unused points. The path, the
    points and ``fncount`` (the evaluations R makes) are R's.

    Returns ``(par, value, fncount, fail)`` with R's codes: fail 0 converged, 1 maxit reached,
    10 degenerate simplex.

    References
    ----------
    Nelder JA, Mead R (1965). Comput J 7:308-313. Nash JC (1990), Algorithm 19.
    """
    if not vectorised:
        scalar = fn

        def fn(points):
            return [float(scalar(p)) for p in points]
    b = np.array(start, dtype=float)
    n = b.size
    n1 = n + 1
    f = _values(fn(b[None, :]))[0]
    if not math.isfinite(f):
        raise NotEstimable("function cannot be evaluated at initial parameters")
    funcount = 1
    convtol = reltol * (abs(f) + reltol)
    # rows 1..n1 of buf are the simplex vertices; row 0 holds -P[H] for R's centroid sum order
    buf = np.empty((n1 + 1, n))
    P = buf[1:]
    P[:] = b
    F = [f] * n1
    step = float(np.max(0.1 * np.abs(b)))
    if step == 0.0:
        step = 0.1
    size = 0.0
    for j in range(1, n1):
        trystep = step
        while P[j, j - 1] == b[j - 1]:
            P[j, j - 1] = b[j - 1] + trystep
            trystep *= 10
        size += trystep
    oldsize = size
    L = 0
    calcvert = True
    fail = 0
    # R's steps, with the coefficient products computed as R does (each rounded once):
    # trial = (1 + alpha) c - alpha P[H]; expansion = gamma trial + (1 - gamma) c;
    # contraction = (1 - beta) X + beta c for X = trial (row 2) and X = P[H] (row 3)
    cand = np.empty((4, n))
    candidates = list(cand)  # views of the rows, made once
    trial, scaled_trial, from_worst, stepped = cand[0], cand[1:3], cand[3], cand[1:]
    of_centroid = np.empty((4, n))  # (1 + alpha) c, (1 - gamma) c, beta c, beta c
    centroid_trial, centroid_steps = of_centroid[0], of_centroid[1:]
    coef_centroid = np.array([[1.0 + alpha], [1 - gamma], [beta], [beta]])
    coef_trial = np.array([[gamma], [1 - beta]])
    centroid, scaled = np.empty(n), np.empty(n)
    minus_worst = buf[0]
    vertices = list(P)
    multiply, subtract, add, divide, negative, reduce = (np.multiply, np.subtract, np.add, np.divide,
                                                         np.negative, _add_rows)
    while True:
        if calcvert:
            others = [j for j in range(n1) if j != L]
            for j, value in zip(others, _values(fn(P[others]))):
                F[j] = value if value - value == 0 else _BIG  # not finite: R's big value
            funcount += n
            calcvert = False
        # R scans the vertices keeping the first strict improvement; the current L wins ties
        fmax, fmin = max(F), min(F)
        fl = F[L]
        H = L if fl == fmax else F.index(fmax)
        if fl != fmin:
            L = F.index(fmin)
        VL, VH = F[L], F[H]
        if VL + convtol >= VH or abstol >= VL:
            break
        PH = vertices[H]
        negative(PH, minus_worst)
        reduce(buf, 0, None, centroid)
        divide(centroid, n, centroid)  # sequential, as R's loop
        multiply(centroid, coef_centroid, of_centroid)
        subtract(centroid_trial, PH if alpha == 1.0 else multiply(PH, alpha, scaled), trial)  # 1.0 x is x
        multiply(trial, coef_trial, scaled_trial)
        multiply(PH, 1 - beta, from_worst)
        add(stepped, centroid_steps, stepped)
        VR, fe, fct, fcw = _values(fn(cand))
        VR = VR if VR - VR == 0 else _BIG
        funcount += 1
        if VR < VL:
            fe = fe if fe - fe == 0 else _BIG
            funcount += 1
            if fe < VR:
                PH[:], F[H] = candidates[1], fe
            else:
                PH[:], F[H] = trial, VR
        else:
            if VR < VH:
                PH[:], F[H] = trial, VR
                which, fc = 2, fct
            else:
                which, fc = 3, fcw
            fc = fc if fc - fc == 0 else _BIG
            funcount += 1
            if fc < F[H]:
                PH[:], F[H] = candidates[which], fc
            elif VR >= VH:
                calcvert = True
                size = 0.0
                PL = P[L]
                for j in range(n1):
                    if j != L:
                        P[j] = beta * (P[j] - PL) + PL
                        for v in np.abs(P[j] - PL).tolist():  # R's double accumulation order
                            size += v
                if size < oldsize:
                    oldsize = size
                else:
                    fail = 10
                    break
        if funcount > maxit:
            break
    if funcount > maxit:
        fail = 1
    return P[L].copy(), float(F[L]), funcount, fail


def ml_objective(bx, bxse, by, byse, *, vectorised: bool = False):
    """The negative log-likelihood of (g_1..g_k, theta) exactly as the R packages write it.

    With ``vectorised``, the function takes points as rows of an ``(m, k + 1)`` array and returns the list
    of their ``m`` values (the same bits as one point at a time: R's long-double sums run along each row).
    """
    k = bx.size
    sx2, sy2 = bxse ** 2, byse ** 2
    if not vectorised:
        def fn(par: np.ndarray) -> float:
            g, theta = par[:k], par[k]
            return 0.5 * rsum((bx - g) ** 2 / sx2) + 0.5 * rsum((by - theta * g) ** 2 / sy2)

        return fn
    variances = np.concatenate([sx2, sy2])

    data = np.concatenate([bx, by])
    views: list = [None]  # (points, its views and buffers): the optimiser passes the same array each step

    def fn_rows(points: np.ndarray) -> list[float]:
        if views[0] is not points:
            m = points.shape[0]
            terms = np.empty((m, 2, k))  # per point: the k exposure terms, then the k outcome terms
            acc = np.empty((m, 2, k), dtype=np.longdouble)
            views[:] = [points, points[:, :k], points[:, k:], terms, terms[:, 0, :], terms[:, 1, :],
                        terms.reshape(-1), np.tile(data, m), np.tile(variances, m), acc, acc[:, :, -1],
                        np.empty((m, 2))]
        _, g, theta, terms, x_part, y_part, flat, data_m, variances_m, acc, sums_ld, sums = views
        np.copyto(x_part, g)
        np.multiply(theta, g, y_part)
        np.subtract(data_m, flat, flat)  # bx - g, by - theta g
        np.square(flat, flat)
        np.divide(flat, variances_m, flat)
        _accumulate(terms, 2, np.longdouble, acc)  # R's long-double sum of each half, in order
        np.copyto(sums, sums_ld, casting="unsafe")  # rounded to double, as R returns it
        return [0.5 * x + 0.5 * y for x, y in sums.tolist()]

    return fn_rows


@lru_cache(maxsize=1)
def _compiled():
    """The C port of the same steps (``_nmmin.c``, built by setup.py when a C compiler is there), or None."""
    import ctypes
    from importlib.machinery import EXTENSION_SUFFIXES

    for suffix in EXTENSION_SUFFIXES:
        path = Path(__file__).with_name(f"_nmmin{suffix}")
        if path.exists():
            try:
                function = ctypes.CDLL(str(path)).mrkit_ml_nmmin
            except (OSError, AttributeError):
                return None
            array = ctypes.POINTER(ctypes.c_double)
            function.argtypes = [ctypes.c_int, *[array] * 7, ctypes.POINTER(ctypes.c_int), ctypes.c_int,
                                 *[ctypes.c_double] * 5]
            function.restype = ctypes.c_int
            return function
    return None


def ml_nelder_mead(bx, bxse, by, byse, start, *, maxit: int = 25000, reltol: float = _RELTOL,
                   abstol: float = -np.inf, alpha: float = 1.0, beta: float = 0.5, gamma: float = 2.0,
                   compiled: bool | None = None) -> tuple[np.ndarray, float, int, int]:
    """:func:`nelder_mead_r` on :func:`ml_objective`: ``(par, value, fncount, fail)``, R's path bit for bit.

    Runs the C port of the same steps when it was built (``compiled=None``: when available; True: required;
    False: the numpy port).
    """
    function = _compiled() if compiled is not False else None
    if compiled and function is None:
        raise RuntimeError("the compiled Nelder-Mead (mrkit/methods/_nmmin.c) was not built")
    if function is None:
        return nelder_mead_r(ml_objective(bx, bxse, by, byse, vectorised=True), start, maxit=maxit,
                             reltol=reltol, abstol=abstol, alpha=alpha, beta=beta, gamma=gamma, vectorised=True)
    import ctypes

    arrays = [np.ascontiguousarray(a, dtype=float) for a in (bx, bxse, by, byse, start)]
    par = np.empty(arrays[0].size + 1)
    value, fncount = ctypes.c_double(), ctypes.c_int()
    pointer = ctypes.POINTER(ctypes.c_double)
    fail = function(arrays[0].size, *[a.ctypes.data_as(pointer) for a in (*arrays, par)], ctypes.byref(value),
                    ctypes.byref(fncount), maxit, reltol, abstol, alpha, beta, gamma)
    if fail == -1:
        raise NotEstimable("function cannot be evaluated at initial parameters")
    if fail < 0:
        raise MemoryError("the compiled Nelder-Mead could not allocate its simplex")
    return par, value.value, fncount.value, fail
