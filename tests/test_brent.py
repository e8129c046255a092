"""The ports of scipy's Brent routines give scipy's bits: same root, same minimiser, same calls."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from mrkit.methods.brent import brentq, minimize_bounded


def counted(f):
    calls = []

    def g(x):
        calls.append(float(x))
        return f(x)
    return g, calls


def random_functions(seed: int, n: int):
    """Smooth, kinked and flat-ish functions with a sign change on [lo, hi] (seeded)."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        kind = rng.integers(0, 4)
        root = rng.uniform(-5, 5)
        scale = 10.0 ** rng.uniform(-200, 5)
        power = rng.integers(1, 6) * 2 - 1
        lo, hi = root - rng.uniform(1e-3, 20), root + rng.uniform(1e-3, 20)
        if kind == 0:
            f = lambda x, r=root, s=scale, p=power: s * (x - r) ** p
        elif kind == 1:
            f = lambda x, r=root, s=scale: s * np.tanh(x - r)
        elif kind == 2:  # a Huber-like kink
            f = lambda x, r=root, s=scale: s * float(np.clip(x - r, -0.3, 0.3) + 0.01 * (x - r))
        else:
            f = lambda x, r=root, s=scale: s * (np.exp(x - r) - 1.0)
        yield f, lo, hi


@pytest.mark.parametrize("xtol,rtol,maxiter", [(2e-12, 4 * np.finfo(float).eps, 100), (1e-15, 1e-12, 500),
                                               (1e-14, 1e-13, 500), (1e-3, 1e-6, 100)])
def test_brentq_matches_scipy_bit_for_bit(xtol, rtol, maxiter):
    for f, lo, hi in random_functions(seed=7, n=300):
        mine, my_calls = counted(f)
        theirs, their_calls = counted(f)
        try:
            expected = optimize.brentq(theirs, lo, hi, xtol=xtol, rtol=rtol, maxiter=maxiter)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                brentq(mine, lo, hi, xtol=xtol, rtol=rtol, maxiter=maxiter)
            continue
        got = brentq(mine, lo, hi, xtol=xtol, rtol=rtol, maxiter=maxiter)
        assert got == expected and np.signbit(got) == np.signbit(expected)
        assert my_calls == their_calls  # the same iterates, in the same order


def test_brentq_edge_cases_as_scipy():
    assert brentq(lambda x: 1e-200 * (x - 0.3), 0, 1) == optimize.brentq(lambda x: 1e-200 * (x - 0.3), 0, 1)
    assert brentq(lambda x: x, 0.0, 1.0) == 0.0 and brentq(lambda x: x - 1.0, 0.0, 1.0) == 1.0
    for bad in (lambda x: x + 1.0, lambda x: float("nan")):
        with pytest.raises(ValueError):
            optimize.brentq(bad, 0.0, 1.0)
        with pytest.raises(ValueError):
            brentq(bad, 0.0, 1.0)
    with pytest.raises(ValueError, match="xtol"):
        brentq(lambda x: x, -1.0, 1.0, xtol=0.0)
    with pytest.raises(ValueError, match="rtol"):
        brentq(lambda x: x, -1.0, 1.0, rtol=1e-17)
    with pytest.raises(RuntimeError):
        brentq(lambda x: np.exp(x) - 1.1234567, 0.0, 1.0, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=3)


@pytest.mark.parametrize("xatol", [1e-5, 1e-10, 1e-14])
def test_minimize_bounded_matches_scipy_bit_for_bit(xatol):
    rng = np.random.default_rng(11)
    for _ in range(300):
        centre, width = rng.uniform(-3, 3), rng.uniform(0.01, 10)
        lo, hi = centre - width * rng.uniform(0.1, 2), centre + width * rng.uniform(0.1, 2)
        a, b, c = rng.uniform(0.1, 5), rng.uniform(-2, 2), rng.uniform(-1, 1)
        kind = rng.integers(0, 3)
        if kind == 0:
            f = lambda x, a=a, m=centre: a * (x - m) ** 2 + 0.1 * np.cos(5 * x)
        elif kind == 1:
            f = lambda x, a=a, b=b: np.log1p(a * x * x) + b * x
        else:  # the profile likelihood shape of MR-RAPS, as numpy floats
            bx, by = rng.uniform(0.05, 0.2, 20), rng.normal(0, 0.05, 20)
            f = lambda x, bx=bx, by=by, c=c: 0.5 * np.sum((by - bx * x) ** 2 / (0.01 + 0.001 * x * x)) + c
        mine, my_calls = counted(f)
        theirs, their_calls = counted(f)
        expected = optimize.minimize_scalar(theirs, bounds=(lo, hi), method="bounded", options={"xatol": xatol})
        got = minimize_bounded(mine, lo, hi, xatol=xatol)
        assert got == float(expected.x)
        assert my_calls == their_calls


def test_minimize_bounded_checks_its_bounds_and_stops_at_maxiter():
    with pytest.raises(ValueError, match="finite"):
        minimize_bounded(lambda x: x * x, -np.inf, 1.0)
    with pytest.raises(ValueError, match="exceeds"):
        minimize_bounded(lambda x: x * x, 1.0, -1.0)
    f, calls = counted(lambda x: (x - 0.3) ** 2)
    expected = optimize.minimize_scalar(lambda x: (x - 0.3) ** 2, bounds=(-5, 5), method="bounded",
                                        options={"xatol": 1e-14, "maxiter": 4})
    assert minimize_bounded(f, -5, 5, xatol=1e-14, maxiter=4) == float(expected.x) and len(calls) == 4
