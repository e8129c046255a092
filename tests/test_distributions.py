"""mrkit.methods.distributions gives bit-for-bit the numbers of scipy.stats (which it replaces to keep
start-up fast), including at the ends of the support, for invalid parameters and for NaN input."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mrkit.methods import distributions as d

X = np.array([-np.inf, -1e300, -40.0, -8.3, -1.0, -1e-300, -0.0, 0.0, 5e-324, 1e-300, 1e-17, 0.3, 0.5,
              1.0, 1.959963984540054, 3.0, 37.5, 40.0, 1e3, 1e300, np.inf, np.nan])
Q = np.array([-0.5, -0.0, 0.0, 5e-324, 1e-300, 1e-17, 1e-8, 0.025, 0.05, 0.3, 0.5, 0.7, 0.95, 0.975,
              1 - 1e-12, 1.0, 1.5, np.nan])
DFS = [1, 2, 3, 5.5, 26, 27, 1000, 1e6, 0, -1, np.nan]


def same(a, b):
    """Identical bits (NaN equal to NaN, -0.0 distinct from 0.0) and the same kind of result."""
    assert np.shape(a) == np.shape(b)
    assert np.ndim(a) == 0 or isinstance(a, np.ndarray)
    a, b = np.atleast_1d(np.asarray(a, dtype=float)), np.atleast_1d(np.asarray(b, dtype=float))
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    bits_a, bits_b = a[~np.isnan(a)].view(np.int64), b[~np.isnan(b)].view(np.int64)
    assert np.array_equal(bits_a, bits_b), f"values differ in their bits:\n{a}\n{b}"


@pytest.mark.parametrize("ours, theirs, grid", [
    (d.norm_cdf, stats.norm.cdf, X), (d.norm_sf, stats.norm.sf, X), (d.norm_logsf, stats.norm.logsf, X),
    (d.norm_pdf, stats.norm.pdf, X), (d.norm_ppf, stats.norm.ppf, Q), (d.norm_isf, stats.norm.isf, Q)])
def test_normal_matches_scipy_stats(ours, theirs, grid):
    with np.errstate(all="ignore"):
        same(ours(grid), theirs(grid))
        for value in grid:  # scalars give numpy scalars, as scipy.stats does
            a, b = ours(float(value)), theirs(float(value))
            assert type(a) is type(b)
            same(a, b)


@pytest.mark.parametrize("df", DFS)
@pytest.mark.parametrize("ours, theirs, grid", [
    (d.t_sf, stats.t.sf, X), (d.t_ppf, stats.t.ppf, Q), (d.chi2_sf, stats.chi2.sf, X),
    (d.chi2_isf, stats.chi2.isf, Q), (d.chi2_ppf, stats.chi2.ppf, Q)])
def test_t_and_chi2_match_scipy_stats(ours, theirs, grid, df):
    with np.errstate(all="ignore"):
        same(ours(grid, df), theirs(grid, df))
        a, b = ours(float(grid[9]), df), theirs(float(grid[9]), df)
        assert type(a) is type(b)
        same(a, b)


def test_f_matches_scipy_stats():
    with np.errstate(all="ignore"):
        for dfn, dfd in [(1, 10), (1, 461_998), (3, 2.5), (1, 0), (0, 5), (np.nan, 4)]:
            same(d.f_sf(X, dfn, dfd), stats.f.sf(X, dfn, dfd))


def test_broadcasting_over_degrees_of_freedom():
    x = np.linspace(0.1, 30, 50)
    df = np.arange(1, 51)
    same(d.chi2_sf(x, df), stats.chi2.sf(x, df))
    same(d.t_sf(x, df), stats.t.sf(x, df))
    same(d.t_ppf(np.full(50, 0.975), df), stats.t.ppf(0.975, df))


def test_random_values_match():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(20_000) * 10
    q = rng.random(20_000)
    same(d.norm_sf(np.abs(x)), stats.norm.sf(np.abs(x)))
    same(d.chi2_sf(x ** 2, 1), stats.chi2.sf(x ** 2, 1))
    same(d.chi2_isf(q, 1), stats.chi2.isf(q, 1))
    same(d.t_sf(np.abs(x), 26), stats.t.sf(np.abs(x), 26))
    same(d.norm_ppf(q), stats.norm.ppf(q))


def test_the_check_can_fail():
    """A formula that is only close (1 ulp) is told apart from the exact one."""
    z = np.array([1.0, 2.0, 3.0])
    with pytest.raises(AssertionError):
        same(d.norm_sf(z), np.nextafter(stats.norm.sf(z), 1))
    with pytest.raises(AssertionError):
        same(np.float64(0.0), -0.0)
