"""Batch estimators (mrkit.methods.batch) equal the 1-D mrkit estimators row by row, and R's numbers."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.methods import batch
from mrkit.methods.egger import mr_egger
from mrkit.methods.ivw import mr_ivw
from mrkit.methods.median import mr_penalised_weighted_median, mr_simple_median, mr_weighted_median
from mrkit.methods.ml import mr_ml
from mrkit.methods.mode import mr_mode
from mrkit.methods.raps import mr_raps

SEED = 20240601


def _stack(n_rep: int = 6, k: int = 15, beta: float = 0.3, seed: int = SEED):
    """A seeded stack of summary datasets with heterogeneity (some pleiotropy) and mixed signs."""
    rng = np.random.default_rng(seed)
    gamma = rng.uniform(0.02, 0.12, (n_rep, k)) * rng.choice([-1.0, 1.0], (n_rep, k))
    bxse = rng.uniform(0.004, 0.01, (n_rep, k))
    byse = rng.uniform(0.01, 0.03, (n_rep, k))
    alpha = rng.normal(0.0, 0.01, (n_rep, k))
    bx = gamma + bxse * rng.standard_normal((n_rep, k))
    by = beta * gamma + alpha + byse * rng.standard_normal((n_rep, k))
    return bx, bxse, by, byse


def _rows(arrays, r):
    return [a[r] for a in arrays]


def test_ivw_rows_equal_1d():
    data = _stack()
    for model, key in (("random_floored", "se_random_floored"), ("fixed", "se_fixed"),
                       ("random_unfloored", "se_random_unfloored")):
        res = batch.ivw(*data, se_model=model)
        for r in range(data[0].shape[0]):
            one = mr_ivw(*_rows(data, r), se_model=model)
            assert res["estimate"][r] == pytest.approx(one["estimate"], rel=1e-10)
            assert res["se"][r] == pytest.approx(one["se"], rel=1e-10)
            assert res[key][r] == pytest.approx(one["se"], rel=1e-10)
            assert res["p"][r] == pytest.approx(one["p"], rel=1e-8)
            assert res["ci_lower"][r] == pytest.approx(one["ci_lower"], rel=1e-10)
            assert res["q"][r] == pytest.approx(one["q"], rel=1e-10)


@pytest.mark.parametrize("t_dist", [True, False])
def test_egger_rows_equal_1d(t_dist):
    data = _stack()
    res = batch.egger(*data, t_dist=t_dist)
    for r in range(data[0].shape[0]):
        one = mr_egger(*_rows(data, r), t_dist=t_dist)
        for key in ("estimate", "se", "p", "ci_upper", "intercept", "intercept_se",
                    "intercept_p", "q"):
            assert res[key][r] == pytest.approx(one[key], rel=1e-9), key


def test_median_point_estimates_rows_equal_1d():
    data = _stack()
    fits = {"simple": (batch.simple_median(*data, n_boot=50), mr_simple_median),
            "weighted": (batch.weighted_median(*data, n_boot=50), mr_weighted_median),
            "penalised": (batch.penalised_weighted_median(*data, n_boot=50),
                          mr_penalised_weighted_median)}
    for name, (res, fn) in fits.items():
        for r in range(data[0].shape[0]):
            one = fn(*_rows(data, r), n_boot=50)
            assert res["estimate"][r] == pytest.approx(one["estimate"], rel=1e-10), name
    mr_weights = batch.weighted_median(*data, weights="first_order", n_boot=50)
    for r in range(data[0].shape[0]):
        one = mr_weighted_median(*_rows(data, r), weights="first_order", n_boot=50)
        assert mr_weights["estimate"][r] == pytest.approx(one["estimate"], rel=1e-10)


def test_median_bootstrap_se_equals_1d_for_the_same_draws():
    # One replicate draws exactly the deviates the 1-D estimator draws from the same seed
    # (zx then zy, each n_boot x k), so the SE must be identical, not just close.
    data = _stack()
    for r in range(3):
        row = [a[r:r + 1] for a in data]
        for fn_b, fn_1 in ((batch.weighted_median, mr_weighted_median),
                           (batch.simple_median, mr_simple_median),
                           (batch.penalised_weighted_median, mr_penalised_weighted_median)):
            b = fn_b(*row, n_boot=400, seed=11 + r)
            one = fn_1(*_rows(data, r), n_boot=400, seed=11 + r)
            assert b["se"][0] == pytest.approx(one["se"], rel=1e-12)
            assert b["p"][0] == pytest.approx(one["p"], rel=1e-9)


def test_median_bootstrap_se_in_a_stack_within_monte_carlo_error():
    data = _stack(n_rep=4)
    res = batch.weighted_median(*data, n_boot=4000, seed=5)
    for r in range(4):
        one = mr_weighted_median(*_rows(data, r), n_boot=4000, seed=99)
        # SD of an SD from 4000 draws is about 1/sqrt(2*4000) = 1.1 %: allow 5 SDs
        assert res["se"][r] == pytest.approx(one["se"], rel=0.06)


def test_mode_rows_equal_1d():
    data = _stack(n_rep=4)
    for weighted, key in ((True, "weighted_mode"), (False, "simple_mode")):
        res = batch.mode(*data, weighted=weighted, n_boot=300, seed=7)
        for r in range(4):
            one = mr_mode(*_rows(data, r), n_boot=300, seed=7)[key]
            assert res["estimate"][r] == pytest.approx(one["estimate"], rel=1e-10)
        # replicate 0 uses the first n_boot x k deviates of the stream, as the 1-D estimator
        one0 = mr_mode(*_rows(data, 0), n_boot=300, seed=7)[key]
        assert res["se"][0] == pytest.approx(one0["se"], rel=1e-12)
        assert res["p"][0] == pytest.approx(one0["p"], rel=1e-9)
        assert res["ci_lower"][0] == pytest.approx(one0["ci_lower"], rel=1e-10)
        for r in range(1, 4):
            single = batch.mode(*[a[r:r + 1] for a in data], weighted=weighted, n_boot=300,
                                seed=7)
            one = mr_mode(*_rows(data, r), n_boot=300, seed=7)[key]
            assert single["se"][0] == pytest.approx(one["se"], rel=1e-12)


def test_ml_rows_equal_profile_ml():
    data = _stack()
    res = batch.ml(*data)
    assert res["converged"].all()
    # the batch optimum is exact: the profile's derivative vanishes to rounding
    _, grad, curv = batch.likelihood._ml_profile(res["estimate"], *data)
    assert np.all(np.abs(grad) <= 1e-9 * curv * np.abs(res["estimate"]))
    for r in range(data[0].shape[0]):
        one = mr_ml(*_rows(data, r), optimizer="profile")
        # mr_ml's bounded Brent search stops within sqrt(eps) |x| (~1.5e-8 relative) of it
        assert res["estimate"][r] == pytest.approx(one["estimate"], rel=5e-8)
        assert res["se"][r] == pytest.approx(one["se"], rel=1e-7)
        assert res["q"][r] == pytest.approx(one["q"], rel=1e-9)


def test_raps_rows_equal_1d():
    data = _stack(n_rep=5, k=20)
    # one row without heterogeneity, where mr.raps falls back to tau2 = 0
    rng = np.random.default_rng(3)
    bx, bxse, by, byse = (a.copy() for a in data)
    by[0] = 0.3 * bx[0] + byse[0] * rng.standard_normal(20) * 0.2
    res = batch.raps(bx, bxse, by, byse)
    for r in range(5):
        one = mr_raps(bx[r], bxse[r], by[r], byse[r])
        assert res["estimate"][r] == pytest.approx(one["estimate"], rel=1e-8)
        assert res["se"][r] == pytest.approx(one["se"], rel=1e-7)
        assert res["tau2"][r] == pytest.approx(one["tau2"], rel=1e-6, abs=1e-14)
        assert bool(res["over_dispersion"][r]) == bool(one["over_dispersion"])
    assert not res["over_dispersion"][0]


def test_validation_data_point_estimates_match_r(validation_dir):
    # Golden numbers: validation/expected/*.json (TwoSampleMR 0.7.9, R 4.2.2).
    for name in ("lipids_chd_ldlc", "bmi_chd"):
        d = pd.read_csv(validation_dir / "harmonised" / f"{name}.csv")
        e = json.loads((validation_dir / "expected" / f"{name}.json").read_text())
        a = [d[c].to_numpy() for c in ("bx", "bxse", "by", "byse")]
        iv = batch.ivw(*a)
        assert iv["estimate"][0] == pytest.approx(e["TSMR_ivw"]["b"], rel=1e-6)
        assert iv["se"][0] == pytest.approx(e["TSMR_ivw"]["se"], rel=1e-6)
        assert iv["se_fixed"][0] == pytest.approx(e["TSMR_ivw_fe"]["se"], rel=1e-6)
        eg = batch.egger(*a)
        assert eg["estimate"][0] == pytest.approx(e["TSMR_egger"]["b"], rel=1e-6)
        assert eg["p"][0] == pytest.approx(e["TSMR_egger"]["pval"], rel=1e-6)
        assert eg["intercept_p"][0] == pytest.approx(e["TSMR_egger"]["pval_i"], rel=1e-6)
        wm = batch.weighted_median(*a, n_boot=10000)
        assert wm["estimate"][0] == pytest.approx(e["TSMR_weighted_median"]["b"], rel=1e-6)
        assert wm["se"][0] == pytest.approx(e["TSMR_weighted_median"]["se"], rel=0.05)
        wmo = batch.mode(*a, n_boot=2000)
        assert wmo["estimate"][0] == pytest.approx(e["TSMR_weighted_mode"]["b"], rel=1e-6)
        smo = batch.mode(*a, weighted=False, n_boot=50)
        assert smo["estimate"][0] == pytest.approx(e["TSMR_simple_mode"]["b"], rel=1e-6)
        pw = batch.penalised_weighted_median(*a, n_boot=50)
        assert pw["estimate"][0] == pytest.approx(e["TSMR_penalised_weighted_median"]["b"],
                                                  rel=1e-6)


def test_shapes_broadcasting_and_one_dimensional_input():
    bx, bxse, by, byse = _stack(n_rep=3, k=8)
    res = batch.ivw(bx, bxse[0], by, byse[0])  # SEs shared across replicates
    assert res["estimate"].shape == (3,)
    one = batch.ivw(bx[0], bxse[0], by[0], byse[0])
    assert one["estimate"].shape == (1,)
    assert one["estimate"][0] == pytest.approx(res["estimate"][0], rel=1e-14)
    table = batch.fit_methods(bx, bxse, by, byse, n_boot=30, seed=4)
    assert len(table) == 3 * len(batch.BATCH_METHODS)
    assert set(table["method"]) == set(batch.BATCH_METHODS)
    assert (table["seed"] == 4).all()
    assert np.isfinite(table[["estimate", "se", "p"]].to_numpy()).all()


def test_seeds_reproduce_and_differ():
    data = _stack(n_rep=3)
    a = batch.weighted_median(*data, n_boot=100, seed=1)
    b = batch.weighted_median(*data, n_boot=100, seed=1)
    c = batch.weighted_median(*data, n_boot=100, seed=2)
    np.testing.assert_array_equal(a["se"], b["se"])
    assert not np.allclose(a["se"], c["se"])
    assert a["seed"] == 1
    assert batch.mode(*data, n_boot=50)["seed"] == 314159265  # DEFAULT_SEED when None


def test_bad_input_is_located():
    bx, bxse, by, byse = _stack(n_rep=3, k=5)
    bx[2, 4] = 0.0
    with pytest.raises(InputError, match=r"row 2.*'bx'.*column 4|row 2, column 'bx'"):
        batch.ivw(bx, bxse, by, byse)
    bx[2, 4] = 0.1
    byse[1, 3] = -1.0
    with pytest.raises(InputError, match="byse"):
        batch.egger(bx, bxse, by, byse)
    byse[1, 3] = np.nan
    with pytest.raises(InputError, match="row 1"):
        batch.ml(bx, bxse, by, byse)
    with pytest.raises(InputError, match="broadcast"):
        batch.ivw(bx, bxse[:, :3], by, byse)
    with pytest.raises(InputError, match="at least 3"):
        batch.egger(bx[:, :2], bxse[:, :2], by[:, :2], np.abs(byse[:, :2]) + 1)
