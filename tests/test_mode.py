"""Mode-based estimate: bandwidth rule, R's mad, seeded bootstrap, t p-value with normal CI."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mrkit.errors import NotEstimable
from mrkit.methods.mode import mbe_bandwidth, mr_mode, r_mad


def test_r_mad_and_bandwidth():
    x = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    assert r_mad(x) == pytest.approx(1.4826 * 3.0)
    s = 0.9 * min(np.std(x, ddof=1), 1.4826 * 3.0) / 5 ** 0.2
    assert mbe_bandwidth(x) == pytest.approx(s)
    assert mbe_bandwidth(np.ones(5)) == 1e-8  # R's floor


def sample(k=25, seed=11):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.05, 0.2, k)
    by = 0.5 * bx + rng.normal(0, 0.005, k)
    by[:8] += rng.uniform(0.05, 0.1, 8)  # a minority of invalid instruments
    return bx, np.full(k, 0.005), by, np.full(k, 0.01)


def test_mode_finds_the_valid_cluster_and_reports_its_inference():
    rows = mr_mode(*sample(), n_boot=400, seed=3)
    est = rows["weighted_mode"]
    assert est["estimate"] == pytest.approx(0.5, abs=0.1)
    k = 25
    assert est["p"] == pytest.approx(2 * stats.t.sf(abs(est["estimate"] / est["se"]), k - 1))
    assert est["ci_upper"] == pytest.approx(est["estimate"] + stats.norm.ppf(0.975) * est["se"])
    assert rows == mr_mode(*sample(), n_boot=400, seed=3)
    only = mr_mode(*sample(), kinds=("simple",), n_boot=400, seed=3)
    assert only["simple_mode"] == rows["simple_mode"]  # same draws whatever is requested


def test_mode_needs_three_snps():
    bx, bxse, by, byse = sample()
    with pytest.raises(NotEstimable):
        mr_mode(bx[:2], bxse[:2], by[:2], byse[:2])
