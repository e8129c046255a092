"""R's Nelder-Mead (``nmmin``) in mrkit: the fast ports take exactly the path of the line-by-line port.

The oracle below is :func:`mrkit.methods.ml.nelder_mead_r` and ``ml_objective`` as they were at 38b9adf (one
point per call, R's loop order written out), validated then against R on the Waterworth lipids data
(``tests/test_validation_r.py``). The numpy port (four candidate points of a step in one call) and the C port
(``_nmmin.c``) must give the same parameters, value, evaluation count and failure code, bit for bit.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from mrkit.errors import NotEstimable
from mrkit.methods.ml import _compiled, ml_nelder_mead, ml_objective, mr_ml, nelder_mead_r

_BIG = 1.0e35
_RELTOL = float(np.sqrt(np.finfo(float).eps))


def _rsum(values: np.ndarray) -> float:
    return float(np.add.accumulate(values, dtype=np.longdouble)[-1])


def reference_nelder_mead(fn, start: np.ndarray, *, maxit: int = 25000, reltol: float = _RELTOL,
                  abstol: float = -np.inf, alpha: float = 1.0, beta: float = 0.5,
                  gamma: float = 2.0) -> tuple[np.ndarray, float, int, int]:
    """R's ``optim(method = "Nelder-Mead")`` (``nmmin``), step for step.

    Returns ``(par, value, fncount, fail)`` with R's codes: fail 0 converged, 1 maxit reached,
    10 degenerate simplex.

    References
    ----------
    Nelder JA, Mead R (1965). Comput J 7:308-313. Nash JC (1990), Algorithm 19.
    """
    b = np.array(start, dtype=float)
    n = b.size
    n1 = n + 1
    f = fn(b)
    if not np.isfinite(f):
        raise NotEstimable("function cannot be evaluated at initial parameters")
    funcount = 1
    convtol = reltol * (abs(f) + reltol)
    # rows 1..n1 of buf are the simplex vertices; row 0 holds -P[H] for R's centroid sum order
    buf = np.empty((n1 + 1, n))
    P = buf[1:]
    F = np.empty(n1)
    P[:] = b
    F[0] = f
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

    def evaluate(par):
        value = fn(par)
        return value if math.isfinite(value) else _BIG

    while True:
        if calcvert:
            for j in range(n1):
                if j != L:
                    F[j] = evaluate(P[j])
                    funcount += 1
            calcvert = False
        # R scans the vertices keeping the first strict improvement; the current L wins ties
        imax, imin = int(F.argmax()), int(F.argmin())
        fl = F[L]
        H = L if fl == F[imax] else imax
        if fl != F[imin]:
            L = imin
        VL, VH = F[L], F[H]
        if VL + convtol >= VH or abstol >= VL:
            break
        buf[0] = -P[H]
        centroid = np.add.reduce(buf, axis=0) / n  # sequential, as R's loop
        trial = (1.0 + alpha) * centroid - alpha * P[H]
        VR = evaluate(trial)
        funcount += 1
        if VR < VL:
            extended = gamma * trial + (1 - gamma) * centroid
            fe = evaluate(extended)
            funcount += 1
            if fe < VR:
                P[H], F[H] = extended, fe
            else:
                P[H], F[H] = trial, VR
        else:
            if VR < VH:
                P[H], F[H] = trial, VR
            contracted = (1 - beta) * P[H] + beta * centroid
            fc = evaluate(contracted)
            funcount += 1
            if fc < F[H]:
                P[H], F[H] = contracted, fc
            elif VR >= VH:
                calcvert = True
                size = 0.0
                for j in range(n1):
                    if j != L:
                        P[j] = beta * (P[j] - P[L]) + P[L]
                        for value in np.abs(P[j] - P[L]):  # R's double accumulation order
                            size += value
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


def reference_objective(bx, bxse, by, byse):
    """The negative log-likelihood of (g_1..g_k, theta) exactly as the R packages write it."""
    k = bx.size
    sx2, sy2 = bxse ** 2, byse ** 2

    def fn(par: np.ndarray) -> float:
        g, theta = par[:k], par[k]
        return 0.5 * _rsum((bx - g) ** 2 / sx2) + 0.5 * _rsum((by - theta * g) ** 2 / sy2)

    return fn


def sample(seed: int, k: int, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.02, 0.3, k) * rng.choice([-1.0, 1.0], k) * scale
    bxse = rng.uniform(0.003, 0.03, k) * scale
    by = rng.normal(0.5, 1.0) * bx + rng.normal(0, 0.02, k) * rng.uniform(0.5, 4.0)
    byse = rng.uniform(0.01, 0.05, k)
    return bx, bxse, by, byse


def same(got, expected):
    par, value, count, fail = got
    rpar, rvalue, rcount, rfail = expected
    assert (count, fail) == (rcount, rfail)
    assert value == rvalue and np.array_equal(par, rpar)  # bit for bit


@pytest.mark.parametrize("seed,k,scale", [(1, 2, 1.0), (2, 3, 1.0), (3, 5, 1.0), (4, 8, 0.1), (5, 12, 1.0),
                                          (6, 20, 10.0), (7, 28, 1.0), (8, 40, 1.0), (9, 6, 1e-3), (10, 4, 1e3)])
def test_ml_path_is_the_line_by_line_port(seed, k, scale):
    args = sample(seed, k, scale)
    bx, _, by, byse = args
    start = np.append(bx, _rsum(bx * by / byse ** 2) / _rsum(bx ** 2 / byse ** 2))
    expected = reference_nelder_mead(reference_objective(*args), start)
    same(nelder_mead_r(ml_objective(*args, vectorised=True), start, vectorised=True), expected)
    same(ml_nelder_mead(*args, start, compiled=False), expected)
    if _compiled() is not None:
        same(ml_nelder_mead(*args, start, compiled=True), expected)
    if k <= 8:  # the scalar form takes the same path
        same(nelder_mead_r(ml_objective(*args), start), expected)
    res = mr_ml(*args)
    assert (res["estimate"], res["fncount"]) == (expected[0][k], expected[2])


needs_c = pytest.mark.skipif(_compiled() is None, reason="_nmmin.c not built (no C compiler at install)")


@needs_c
@pytest.mark.parametrize("options", [{"maxit": 300}, {"reltol": -0.5, "maxit": 5000},
                                     {"alpha": 1.3, "beta": 0.4, "gamma": 2.5}, {"abstol": 50.0}])
def test_the_c_port_follows_the_line_by_line_port_in_every_branch(options):
    """maxit reached (fail 1), shrinks to a degenerate simplex (fail 10), other coefficients, abstol."""
    args = sample(11, 9)
    start = np.append(args[0], 0.3)
    expected = reference_nelder_mead(reference_objective(*args), start, **options)
    same(ml_nelder_mead(*args, start, compiled=True, **options), expected)
    same(ml_nelder_mead(*args, start, compiled=False, **options), expected)


@needs_c
@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_the_c_port_gives_r_s_big_value_for_a_non_finite_objective_and_refuses_a_bad_start():
    bx, bxse, by, byse = sample(12, 5)
    bxse = bxse.copy()
    bxse[2] = 1e-160  # (bx - g)^2 / bxse^2 overflows as soon as g moves off bx: R's 1e35 there
    start = np.append(bx, 0.1)
    expected = reference_nelder_mead(reference_objective(bx, bxse, by, byse), start, maxit=3000)
    assert expected[1] < 1e35
    same(ml_nelder_mead(bx, bxse, by, byse, start, compiled=True, maxit=3000), expected)
    with pytest.raises(NotEstimable, match="initial parameters"):
        ml_nelder_mead(bx, bxse, by, byse, np.append(bx + 1.0, 0.1), compiled=True)
