"""MR-RAPS: no R output is in validation/, so it is checked against independent computations."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from mrkit.errors import InputError, NotEstimable
from mrkit.methods.raps import _DEFAULT_K, integrate_loss_constants, loss_constants, mr_raps, raps_estimating_equations


@pytest.fixture
def lipids(validation_dir):
    d = pd.read_csv(validation_dir / "harmonised" / "lipids_chd_ldlc.csv")
    return [d[c].to_numpy() for c in ("bx", "bxse", "by", "byse")]


def test_l2_without_overdispersion_is_the_joint_maximum_likelihood(lipids):
    # Independent computation: maximise the likelihood of the full model
    #   bx_j ~ N(gamma_j, bxse_j^2), by_j ~ N(beta gamma_j, byse_j^2)
    # over all k + 1 parameters with a general optimiser (gamma_j = bx_j + bxse_j u_j).
    bx, bxse, by, byse = lipids

    def nll(par):
        beta, u = par[0], par[1:]
        gamma = bx + bxse * u
        return 0.5 * np.sum(u ** 2 + (by - beta * gamma) ** 2 / byse ** 2)

    start = np.r_[np.sum(bx * by / byse ** 2) / np.sum(bx ** 2 / byse ** 2), np.zeros(bx.size)]
    ml = optimize.minimize(nll, start, method="BFGS", options={"gtol": 1e-10})
    res = mr_raps(bx, bxse, by, byse, over_dispersion=False, loss="l2")
    assert res["estimate"] == pytest.approx(ml.x[0], rel=1e-6)
    assert res["tau2"] == 0.0 and res["tau2_se"] == 0.0


def test_reduces_to_fixed_effect_ivw_without_exposure_error(lipids):
    # bxse -> 0 (NOME): gamma_hat = bx, so by hand the estimate is sum(w bx by)/sum(w bx^2) and
    # the sandwich SE is 1/sqrt(sum(bx^2/byse^2)), the fixed-effect IVW values.
    bx, _, by, byse = lipids
    tiny = np.abs(bx) * 1e-7
    res = mr_raps(bx, tiny, by, byse, over_dispersion=False, loss="l2")
    w = 1 / byse ** 2
    assert res["estimate"] == pytest.approx(np.sum(w * bx * by) / np.sum(w * bx ** 2), rel=1e-6)
    assert res["se"] == pytest.approx(1 / np.sqrt(np.sum(w * bx ** 2)), rel=1e-6)
    assert res["p"] == pytest.approx(2 * stats.norm.sf(abs(res["estimate"] / res["se"])))


def test_loss_constants_closed_forms():
    # l2: delta = E Z^2 = 1, c1 = 1, c2 = E Z^4 - 1 = 2, c3 = 1
    assert loss_constants("l2", 2.0) == pytest.approx((1, 1, 2, 1), abs=1e-9)
    # Huber: delta = 2 Phi(k) - 1; c1 = 2 Phi(k) - 1 - 2 k phi(k) + 2 k^2 (1 - Phi(k));
    # c3 = E[Z^2 1(|Z| <= k)] = 2 Phi(k) - 1 - 2 k phi(k)
    k = 1.345
    Phi, phi = stats.norm.cdf(k), stats.norm.pdf(k)
    delta, c1, _, c3 = loss_constants("huber", k)
    assert delta == pytest.approx(2 * Phi - 1, abs=1e-10)
    assert c1 == pytest.approx(2 * Phi - 1 - 2 * k * phi + 2 * k ** 2 * (1 - Phi), abs=1e-10)
    assert c3 == pytest.approx(2 * Phi - 1 - 2 * k * phi, abs=1e-10)


@pytest.mark.parametrize("loss", sorted(_DEFAULT_K))
def test_kept_loss_constants_are_the_bits_quad_gives(loss):
    """The constants of the default thresholds are kept (no scipy.integrate at start-up): they must be
    exactly what integrating again gives; another threshold is integrated on the spot."""
    k = _DEFAULT_K[loss]
    assert loss_constants(loss, k) == integrate_loss_constants(loss, k)
    assert loss_constants(loss, k * 1.5) == integrate_loss_constants(loss, k * 1.5)


@pytest.mark.parametrize("over_dispersion", [False, True])
def test_huber_with_huge_threshold_equals_l2(lipids, over_dispersion):
    a = mr_raps(*lipids, over_dispersion=over_dispersion, loss="huber", k=50.0)
    b = mr_raps(*lipids, over_dispersion=over_dispersion, loss="l2")
    assert a["estimate"] == pytest.approx(b["estimate"], rel=1e-8)
    assert a["se"] == pytest.approx(b["se"], rel=1e-6)
    assert a["tau2"] == pytest.approx(b["tau2"], rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("loss", ["huber", "tukey"])
def test_solution_solves_the_estimating_equations(lipids, loss):
    res = mr_raps(*lipids, loss=loss)
    assert res["over_dispersion"] and res["tau2"] > 0
    psi = raps_estimating_equations(res["estimate"], res["tau2"], *lipids, loss=loss)
    assert np.abs(psi[0]) < 1e-8 * np.sum(np.abs(lipids[0] / lipids[3]))
    assert np.abs(psi[1]) < 1e-6 * np.sum(1 / lipids[3] ** 2)


def test_equivariance(lipids):
    bx, bxse, by, byse = lipids
    base = mr_raps(bx, bxse, by, byse)
    flip = np.where(np.arange(bx.size) % 3 == 0, -1.0, 1.0)
    flipped = mr_raps(bx * flip, bxse, by * flip, byse)
    assert flipped["estimate"] == pytest.approx(base["estimate"], rel=1e-8)
    assert flipped["se"] == pytest.approx(base["se"], rel=1e-8)
    scaled = mr_raps(bx, bxse, 3 * by, 3 * byse)  # outcome in other units
    assert scaled["estimate"] == pytest.approx(3 * base["estimate"], rel=1e-7)
    assert scaled["se"] == pytest.approx(3 * base["se"], rel=1e-6)
    assert scaled["tau2"] == pytest.approx(9 * base["tau2"], rel=1e-6)


def test_overdispersion_recovered_in_seeded_simulation():
    rng = np.random.default_rng(2020)
    k, beta, tau = 400, 0.3, 0.02
    gamma = rng.normal(0, 0.05, k)
    bxse, byse = np.full(k, 0.01), np.full(k, 0.01)
    bx = gamma + rng.normal(0, bxse)
    by = beta * gamma + rng.normal(0, tau, k) + rng.normal(0, byse)
    res = mr_raps(bx, bxse, by, byse, loss="l2")
    assert abs(res["estimate"] - beta) < 4 * res["se"]
    assert abs(res["tau2"] - tau ** 2) < 4 * res["tau2_se"]
    huber = mr_raps(bx, bxse, by, byse)
    assert abs(huber["estimate"] - beta) < 4 * huber["se"]


def test_huber_resists_a_gross_outlier(lipids):
    bx, bxse, by, byse = (x.copy() for x in lipids)
    clean_l2 = mr_raps(bx, bxse, by, byse, over_dispersion=False, loss="l2")["estimate"]
    clean_h = mr_raps(bx, bxse, by, byse, over_dispersion=False)["estimate"]
    by[0] += 20 * byse[0] * np.sign(bx[0])
    shift_l2 = abs(mr_raps(bx, bxse, by, byse, over_dispersion=False, loss="l2")["estimate"]
                   - clean_l2)
    shift_h = abs(mr_raps(bx, bxse, by, byse, over_dispersion=False)["estimate"] - clean_h)
    assert shift_h < 0.5 * shift_l2


def test_bad_input():
    bx = np.array([0.1, 0.2, 0.0, 0.15])
    se = np.full(4, 0.01)
    with pytest.raises(InputError, match="row 2, column 'bx'"):
        mr_raps(bx, se, bx, se)
    with pytest.raises(InputError, match="loss"):
        mr_raps(bx + 0.1, se, bx, se, loss="cauchy")
    with pytest.raises(NotEstimable, match="shrinkage"):
        mr_raps(bx + 0.1, se, bx, se, shrinkage=True)
    with pytest.raises(NotEstimable, match="at least 3"):
        mr_raps([0.1, 0.2], [0.01, 0.01], [0.1, 0.2], [0.01, 0.01])
