"""R density() port: close to the exact kernel sum, R's grid and seq rules, batched = single."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mrkit.methods.density import bin_dist, density, density_mode, density_modes, r_seq


def test_r_seq_ends_exact_and_uniform():
    s = r_seq(np.array([0.1]), np.array([2.7]), 512)[0]
    assert s[0] == 0.1 and s[-1] == 2.7 and s.size == 512
    np.testing.assert_allclose(np.diff(s), (2.7 - 0.1) / 511, rtol=1e-10)


def test_binning_conserves_mass():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 40))
    w = rng.uniform(size=40)
    y = bin_dist(x, np.broadcast_to(w, x.shape), x.min(1) - 1, x.max(1) + 1, 512)
    np.testing.assert_allclose(y.sum(axis=1), w.sum(), rtol=1e-12)
    assert np.all(y[:, 512:] == 0)


def test_density_approximates_exact_weighted_kde_on_r_grid():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal(30), rng.uniform(size=30)
    w /= w.sum()
    grid, y = density(x, w, bw=0.3)
    assert grid[0] == pytest.approx(x.min() - 0.9) and grid[-1] == pytest.approx(x.max() + 0.9)
    exact = (w * stats.norm.pdf(grid[:, None], x, 0.3)).sum(axis=1)
    assert np.max(np.abs(y - exact)) < 2e-3 * exact.max()
    assert np.trapezoid(y, grid) == pytest.approx(1.0, abs=5e-3)


def test_batched_modes_equal_single_and_share_weight_sets():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 25))
    w = rng.uniform(size=25)
    w /= w.sum()
    bw = np.full(7, 0.25)
    simple, weighted = density_modes(x, [None, w], bw=bw)
    np.testing.assert_array_equal(simple, [density_mode(r, None, bw=0.25) for r in x])
    np.testing.assert_array_equal(weighted, [density_mode(r, w, bw=0.25) for r in x])


def test_user_grid_size_is_interpolated():
    grid, y = density(np.array([0.0, 1.0, 3.0]), bw=0.5, n=100)
    assert grid.size == 100 and y.size == 100
