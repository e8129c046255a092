"""The summary-level MR scenario simulator: valid instruments give ~95 % IVW coverage, each violation its bias."""
from __future__ import annotations

import numpy as np
import pytest

from mrkit.simulate import SCENARIOS, simulate_mr_summary

N_REP = 2000


def ivw(sim, random_effects: bool = False):
    """Plain first-order IVW per replicate, vectorised over replicates (estimate, se)."""
    w = 1.0 / sim.byse ** 2
    sxx = np.sum(w * sim.bx ** 2, axis=1)
    est = np.sum(w * sim.bx * sim.by, axis=1) / sxx
    se = 1.0 / np.sqrt(sxx)
    if random_effects:
        q = np.sum(w * (sim.by - est[:, None] * sim.bx) ** 2, axis=1)
        se = se * np.maximum(1.0, np.sqrt(q / (sim.bx.shape[1] - 1)))
    return est, se


def coverage(est, se, beta):
    return np.mean(np.abs(est - beta) <= 1.959963984540054 * se)


def test_valid_instruments_give_nominal_ivw_coverage():
    sim = simulate_mr_summary(N_REP, 25, beta=0.3, scenario="valid", seed=11)
    assert sim.bx.shape == sim.by.shape == sim.bxse.shape == sim.byse.shape == (N_REP, 25)
    assert not sim.invalid.any() and sim.seed == 11
    est, se = ivw(sim)
    # Monte Carlo SE of a 95 % coverage over 2,000 replicates is 0.005: 0.93-0.97 is +-4 SE
    assert 0.93 <= coverage(est, se, 0.3) <= 0.97
    assert abs(np.mean(est) - 0.3) < 3 * np.std(est) / np.sqrt(N_REP) + 0.005
    assert np.mean(sim.mean_f) > 100  # strong instruments (r2 5 % over 25 variants at N 100,000)


def test_balanced_pleiotropy_is_unbiased_but_overdispersed():
    sim = simulate_mr_summary(N_REP, 25, beta=0.3, scenario="balanced_pleiotropy", seed=12,
                              pleiotropy_fraction=0.5, pleiotropy_sd=0.02)
    assert 0.35 < sim.invalid.mean() < 0.65
    est, se = ivw(sim)
    assert abs(np.mean(est) - 0.3) < 4 * np.std(est) / np.sqrt(N_REP)
    assert coverage(est, se, 0.3) < 0.85  # fixed-effect SE ignores the pleiotropic spread
    est, se_re = ivw(sim, random_effects=True)
    assert coverage(est, se_re, 0.3) > 0.9


def test_directional_pleiotropy_biases_ivw_upwards():
    sim = simulate_mr_summary(N_REP, 25, beta=0.0, scenario="directional_pleiotropy", seed=13,
                              pleiotropy_mean=0.01)
    assert np.all(sim.alpha >= 0) and sim.alpha.mean() > 0
    est, _ = ivw(sim)
    assert np.mean(est) > 10 * np.std(est) / np.sqrt(N_REP)


def test_inside_violation_correlates_pleiotropy_with_strength():
    sim = simulate_mr_summary(N_REP, 25, beta=0.0, scenario="inside_violated", seed=14, pleiotropy_mean=0.05)
    inv = sim.invalid
    assert np.corrcoef(sim.gamma[inv], sim.alpha[inv])[0, 1] > 0.3
    assert sim.gamma[inv].mean() > sim.gamma[~inv].mean()  # invalid variants look like stronger instruments
    balanced = simulate_mr_summary(N_REP, 25, scenario="balanced_pleiotropy", seed=14)
    inv = balanced.invalid
    assert abs(np.corrcoef(balanced.gamma[inv], balanced.alpha[inv])[0, 1]) < 0.05


def test_outliers_are_few_and_far_from_the_line():
    sim = simulate_mr_summary(N_REP, 20, beta=0.2, scenario="outliers", seed=15, n_outliers=2, outlier_se=8)
    assert np.all(sim.invalid.sum(axis=1) == 2)
    assert np.allclose(np.abs(sim.alpha[sim.invalid]) / sim.byse[sim.invalid], 8)


def test_weak_instruments_bias_towards_the_null_and_overlap_towards_confounding():
    weak = simulate_mr_summary(N_REP, 30, beta=0.5, scenario="weak", seed=16, mean_f=5)
    assert np.mean(weak.mean_f) == pytest.approx(5, rel=0.05)
    est, _ = ivw(weak)
    assert np.mean(est) < 0.5 - 10 * np.std(est) / np.sqrt(N_REP)  # two-sample: towards 0
    overlap = simulate_mr_summary(N_REP, 30, beta=0.0, scenario="overlap_weak", seed=16, mean_f=5,
                                  overlap=1.0, rho_xy=0.4)
    est, _ = ivw(overlap)
    assert np.mean(est) > 10 * np.std(est) / np.sqrt(N_REP)  # one-sample: towards rho_xy > 0


def test_seeded_and_validated():
    a = simulate_mr_summary(10, 5, beta=0.1, scenario="valid", seed=3)
    b = simulate_mr_summary(10, 5, beta=0.1, scenario="valid", seed=3)
    c = simulate_mr_summary(10, 5, beta=0.1, scenario="valid", seed=4)
    assert np.array_equal(a.by, b.by) and not np.array_equal(a.by, c.by)
    assert list(a.replicate(0).columns) == ["SNP", "bx", "bxse", "by", "byse"]
    assert set(SCENARIOS) == {"valid", "balanced_pleiotropy", "directional_pleiotropy", "inside_violated",
                              "outliers", "weak", "overlap_weak"}
    with pytest.raises(ValueError, match="unknown scenario"):
        simulate_mr_summary(10, 5, scenario="invalid")
