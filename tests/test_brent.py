"""The port of scipy's brentq gives scipy's bits, one lane or many: same root, same iterates (oracle: scipy)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from mrkit.methods.brent import brentq


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


def _vector(f):
    """A function of one lane applied to every lane (the lanes form of ``f``)."""
    return lambda xs: np.array([f(float(x)) for x in xs])


@pytest.mark.parametrize("xtol,rtol,maxiter", [(2e-12, 4 * np.finfo(float).eps, 100), (1e-15, 1e-12, 500),
                                               (1e-3, 1e-6, 100)])
def test_lanes_each_take_scipy_s_path(xtol, rtol, maxiter):
    """Many equations solved in one call: each lane equals scipy's root for its own function, bit for bit; a lane
    scipy cannot solve in ``maxiter`` iterations is NaN (scipy raises)."""
    cases = list(random_functions(seed=9, n=200))
    expected = []
    for f, lo, hi in cases:
        try:
            expected.append(optimize.brentq(f, lo, hi, xtol=xtol, rtol=rtol, maxiter=maxiter))
        except RuntimeError:
            expected.append(np.nan)

    def lanes(xs):
        return np.array([f(float(x)) for (f, _, _), x in zip(cases, xs)])
    got = brentq(lanes, np.array([c[1] for c in cases]), np.array([c[2] for c in cases]), xtol=xtol, rtol=rtol,
                 maxiter=maxiter)
    assert np.array_equal(got, np.array(expected), equal_nan=True)


def test_lanes_with_bad_brackets_or_nan_are_nan_and_the_others_solved():
    fs = [lambda x: x - 0.25, lambda x: x + 1.0, lambda x: float("nan"), lambda x: 0.0 if x == 0 else x]

    def lanes(xs):
        return np.array([f(float(x)) for f, x in zip(fs, xs)])
    got = brentq(lanes, np.array([0.0, 0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0, 1.0]))
    assert got[0] == optimize.brentq(fs[0], 0.0, 1.0)
    assert np.isnan(got[1]) and np.isnan(got[2]) and got[3] == 0.0
    per_lane_xtol = brentq(lambda xs: xs - 0.3, np.zeros(2), np.ones(2), xtol=np.array([1e-3, 1e-14]))
    assert per_lane_xtol[0] == optimize.brentq(lambda x: x - 0.3, 0, 1, xtol=1e-3)
    assert per_lane_xtol[1] == optimize.brentq(lambda x: x - 0.3, 0, 1, xtol=1e-14)
