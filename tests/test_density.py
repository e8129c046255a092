"""R density() port: close to the exact kernel sum, R's grid and seq rules, batched = single."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import mrkit.methods.density as density_module
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


def test_modes_are_the_argmax_of_the_whole_interpolated_density(monkeypatch):
    """density_modes interpolates only the output points near each row's top bin: its answer is the first maximum
    of every point density() interpolates, bit for bit, also for rows with two near-equal modes (where the window
    does not suffice and the row is interpolated in full) and a widely spread row."""
    rng = np.random.default_rng(11)
    rows = []
    for _ in range(150):
        rows.append(rng.normal(0.3, 0.1, 25))
        half = rng.normal(0.5, 0.05, 12)
        rows.append(np.concatenate([-half, half, [0.0]]))  # a mirror image: two modes equal up to rounding
        rows.append(np.concatenate([rng.normal(0.0, 0.1, 20), rng.normal(0.0, 30.0, 5)]))  # far outliers
    x = np.array(rows)
    w = rng.uniform(0.5, 1.5, x.shape)
    w /= w.sum(axis=1, keepdims=True)
    bw = 0.9 * x.std(axis=1, ddof=1) * x.shape[1] ** -0.2
    w[1::3, :12] = w[1::3, 12:24]  # mirrored weights too
    w /= w.sum(axis=1, keepdims=True)
    full_rows = []  # rows interpolated in full (the whole grid from r_seq)
    monkeypatch.setattr(density_module, "r_seq", lambda a, b, n: full_rows.append(np.size(a)) or r_seq(a, b, n))
    simple, weighted = density_modes(x, [None, w], bw=bw)
    monkeypatch.undo()
    assert 0 < sum(full_rows) < x.shape[0]  # the window sufficed for most rows, not for every mirror image
    for r in range(x.shape[0]):
        for got, weights in ((simple[r], None), (weighted[r], w[r])):
            grid, y = density(x[r], weights, bw=bw[r])
            assert got == grid[np.argmax(y)], r
