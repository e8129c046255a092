"""IVW: slope and SE models against an independent weighted least-squares fit (statsmodels)."""
from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from mrkit.errors import NotEstimable
from mrkit.methods.ivw import mr_ivw


def data(seed=1, k=12, noise=1.0):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.05, 0.3, k) * rng.choice([-1, 1], k)
    byse = rng.uniform(0.01, 0.03, k)
    by = 0.4 * bx + noise * byse * rng.standard_normal(k)
    return bx, np.full(k, 0.01), by, byse


@pytest.mark.parametrize("noise", [0.3, 3.0])  # under- and over-dispersed
def test_ivw_matches_wls_and_se_models(noise):
    bx, bxse, by, byse = data(noise=noise)
    fit = sm.WLS(by, bx[:, None], weights=byse ** -2).fit()
    lm_se, sigma = fit.bse[0], np.sqrt(fit.scale)
    fe = mr_ivw(bx, bxse, by, byse, se_model="fixed")
    assert fe["estimate"] == pytest.approx(fit.params[0], rel=1e-12)
    assert fe["se"] == pytest.approx(lm_se / sigma, rel=1e-10)
    assert mr_ivw(bx, bxse, by, byse, se_model="random_unfloored")["se"] == pytest.approx(
        lm_se, rel=1e-10)
    floored = mr_ivw(bx, bxse, by, byse)["se"]
    assert floored == pytest.approx(lm_se / min(1.0, sigma), rel=1e-10)
    assert floored >= fe["se"]
    assert fe["q"] == pytest.approx(sigma ** 2 * (bx.size - 1), rel=1e-10)


def test_auto_model_is_fixed_below_four_snps():
    bx, bxse, by, byse = data(k=3, noise=3.0)
    assert mr_ivw(bx, bxse, by, byse, se_model="auto")["se_model"] == "fixed"
    bx, bxse, by, byse = data(k=4, noise=3.0)
    assert mr_ivw(bx, bxse, by, byse, se_model="auto")["se_model"] == "random_floored"


def test_t_distribution_option_and_single_snp():
    bx, bxse, by, byse = data()
    row = mr_ivw(bx, bxse, by, byse, t_dist=True)
    assert row["distribution"] == f"t({bx.size - 1})"
    assert row["p"] > mr_ivw(bx, bxse, by, byse)["p"]
    with pytest.raises(NotEstimable):
        mr_ivw(bx[:1], bxse[:1], by[:1], byse[:1])
