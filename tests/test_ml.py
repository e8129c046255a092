"""Maximum likelihood: R's Nelder-Mead port versus the exact profile-likelihood optimum."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from mrkit.methods.ml import mr_ml
from mrkit.methods.nelder_mead import ml_objective, nelder_mead_r


def sample(k=8, seed=4):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.05, 0.2, k)
    bxse = np.full(k, 0.01)
    by = 0.4 * bx + rng.normal(0, 0.02, k)
    return bx, bxse, by, np.full(k, 0.02)


def test_nelder_mead_port_minimises_a_quadratic():
    par, value, count, fail = nelder_mead_r(lambda p: float(np.sum((p - [1.0, -2.0]) ** 2)),
                                            np.array([0.0, 0.0]))
    assert fail == 0 and value < 1e-7
    np.testing.assert_allclose(par, [1.0, -2.0], atol=1e-3)


def test_profile_optimum_is_the_joint_optimum_and_at_least_as_good_as_nelder_mead():
    args = sample()
    exact = mr_ml(*args, optimizer="profile")
    nm = mr_ml(*args)
    assert exact["q"] <= nm["q"] + 1e-9
    fn = ml_objective(*args)
    k = args[0].size
    full = optimize.minimize(fn, np.append(args[0], exact["estimate"]), method="BFGS",
                             options={"gtol": 1e-10})
    assert full.x[k] == pytest.approx(exact["estimate"], rel=1e-5)
    # SE: inverse Hessian of the full likelihood, by finite differences
    h = 1e-5
    p0 = full.x

    def grad(p):
        return optimize.approx_fprime(p, fn, 1e-7)
    hess = np.array([(grad(p0 + h * e) - grad(p0 - h * e)) / (2 * h) for e in np.eye(k + 1)])
    se_fd = np.sqrt(np.linalg.inv((hess + hess.T) / 2)[k, k])
    assert exact["se"] == pytest.approx(se_fd, rel=1e-3)


def test_random_effects_scaling_rule():
    args = sample()
    fixed, scaled = mr_ml(*args), mr_ml(*args, scale_se=True)
    k = args[0].size
    assert scaled["se"] == pytest.approx(fixed["se"] * max(1.0, np.sqrt(fixed["q"] / (k - 1))))
    small = tuple(a[:3] for a in args)
    assert mr_ml(*small, scale_se=True)["se"] == mr_ml(*small)["se"]  # k < 4: fixed


@pytest.mark.parametrize("name,r_point,converged,converged_se", [
    # R's Nelder-Mead (TwoSampleMR mr_two_sample_ml, expected/<name>.json) and the maximum of the likelihood
    # (conventions-notes: lipids 3.17327 (0.31313), BMI -> CHD 0.45807 (0.04451), Hessian SE as TwoSampleMR's)
    ("lipids_chd_ldlc", 3.22494, 3.17327, 0.31313), ("bmi_chd", 0.44990, 0.45807, 0.04451)])
def test_the_ml_row_gives_the_converged_estimate_beside_rs_point(validation_dir, name, r_point, converged,
                                                                 converged_se):
    """``estimate_converged`` is the maximum of the likelihood: the estimate of ``ml_optimizer="profile"`` (and an
    independent oracle: scipy's bounded minimiser of the profile likelihood), with its SE by the same rule; the
    note gives both points because R stops above its own reltol."""
    import pandas as pd

    from mrkit import mr

    data = pd.read_csv(validation_dir / "harmonised" / f"{name}.csv")
    for convention in ("twosamplemr", "mendelianrandomization"):
        row = mr(data, methods=["ml"], convention=convention).iloc[0]
        exact = mr(data, methods=["ml"], convention=convention, ml_optimizer="profile").iloc[0]
        assert row["estimate"] == pytest.approx(r_point, abs=5e-5)
        assert row["estimate_converged"] == pytest.approx(exact["estimate"], rel=1e-12)
        assert row["se_converged"] == pytest.approx(exact["se"], rel=1e-10)
        assert f"the maximum of the likelihood is at {exact['estimate']:.5g}" in row["note"]
    bx, bxse, by, byse = (data[c].to_numpy() for c in ("bx", "bxse", "by", "byse"))
    best = optimize.minimize_scalar(lambda b: np.sum((by - b * bx) ** 2 / (byse ** 2 + b * b * bxse ** 2)),
                                    bounds=(-10, 10), method="bounded", options={"xatol": 1e-12}).x
    row = mr(data, methods=["ml"]).iloc[0]
    assert row["estimate_converged"] == pytest.approx(best, abs=1e-8)
    assert row["estimate_converged"] == pytest.approx(converged, abs=5e-6)
    assert row["se_converged"] == pytest.approx(converged_se, abs=5e-6)
