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
