"""MR-Egger: oriented weighted regression with intercept, SE floor, t or normal p-values."""
from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from mrkit.errors import NotEstimable
from mrkit.methods.egger import mr_egger


def data(seed=3, k=15):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.05, 0.3, k) * rng.choice([-1, 1], k)
    byse = rng.uniform(0.01, 0.03, k)
    by = 0.01 * np.sign(bx) + 0.3 * bx + 2.0 * byse * rng.standard_normal(k)
    return bx, np.full(k, 0.01), by, byse


def test_egger_matches_wls_on_oriented_data():
    bx, bxse, by, byse = data()
    s = np.sign(bx)
    fit = sm.WLS(by * s, sm.add_constant(np.abs(bx)), weights=byse ** -2).fit()
    floor = min(1.0, np.sqrt(fit.scale))
    row = mr_egger(bx, bxse, by, byse)
    assert row["estimate"] == pytest.approx(fit.params[1], rel=1e-10)
    assert row["intercept"] == pytest.approx(fit.params[0], rel=1e-9)
    assert row["se"] == pytest.approx(fit.bse[1] / floor, rel=1e-9)
    assert row["intercept_se"] == pytest.approx(fit.bse[0] / floor, rel=1e-9)
    t = row["estimate"] / row["se"]
    assert row["p"] == pytest.approx(2 * stats.t.sf(abs(t), bx.size - 2), rel=1e-9)
    assert mr_egger(bx, bxse, by, byse, t_dist=False)["p"] == pytest.approx(
        2 * stats.norm.sf(abs(t)), rel=1e-9)
    assert row["q"] == pytest.approx(fit.ssr, rel=1e-9)


def test_egger_needs_three_snps_and_variation():
    bx, bxse, by, byse = data()
    with pytest.raises(NotEstimable, match="3 SNPs"):
        mr_egger(bx[:2], bxse[:2], by[:2], byse[:2])
    flat = mr_egger(np.array([0.1, -0.1, 0.1]), bxse[:3], by[:3], byse[:3])  # one replicate, not estimable
    assert np.isnan(flat["estimate"][0]) and flat["note"][0].startswith("not estimable: MR-Egger slope is not "
                                                                         "identifiable")
