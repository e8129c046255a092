"""MR power: analytical formulas against seeded individual-level simulations of the 2SLS test."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mrkit.errors import InputError
from mrkit.methods.power import mr_min_detectable_effect, mr_power

REPS = 1000  # Monte Carlo SE of a power near 0.6: sqrt(0.24 / 1000) = 0.015


def _simulated_power(n, r2, y_given_x, seed, alpha=0.05):
    """Share of REPS simulated one-sample studies whose 2SLS Wald test rejects at ``alpha``.

    All replicates at once: arrays of shape (REPS, n). Z is a standardised allele score
    explaining r2 of the unit-variance exposure X; ``y_given_x(x, rng)`` draws the outcome.
    """
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((REPS, n))
    x = np.sqrt(r2) * z + np.sqrt(1 - r2) * rng.standard_normal((REPS, n))
    y = y_given_x(x, rng)
    z = z - z.mean(axis=1, keepdims=True)
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    szx, szy, szz = (z * x).sum(1), (z * y).sum(1), (z * z).sum(1)
    beta = szy / szx
    resid = y - beta[:, None] * x
    se = np.sqrt((resid ** 2).sum(1) / (n - 2) * szz) / np.abs(szx)
    return float(np.mean(np.abs(beta / se) > stats.norm.isf(alpha / 2)))


def test_binary_power_matches_simulation():
    n, r2, k, odds_ratio = 4000, 0.1, 0.3, 1.3
    res = mr_power(n, r2, odds_ratio, case_fraction=k)
    b01 = res["estimate"]  # linear-probability effect per SD, the model the formula assumes
    assert b01 == pytest.approx(k * (odds_ratio / (1 + k * (odds_ratio - 1)) - 1))

    def draw(x, rng):
        return (rng.random(x.shape) < k + b01 * x).astype(float)

    simulated = _simulated_power(n, r2, draw, seed=1497)
    assert 0.5 < res["power"] < 0.9
    assert simulated == pytest.approx(res["power"], abs=0.05)


def test_continuous_power_matches_simulation():
    n, r2, byx = 4000, 0.05, 0.15
    res = mr_power(n, r2, byx, outcome="continuous")
    assert res["ncp"] == pytest.approx(n * r2 * byx ** 2 / (1 - byx ** 2))  # by hand, var 1

    def draw(x, rng):
        return byx * x + np.sqrt(1 - byx ** 2) * rng.standard_normal(x.shape)

    simulated = _simulated_power(n, r2, draw, seed=922)
    assert simulated == pytest.approx(res["power"], abs=0.05)


def test_type_one_error_at_null():
    res = mr_power(5000, 0.05, 1.0, case_fraction=0.2)
    assert res["power"] == pytest.approx(0.05)
    assert mr_power(5000, 0.05, 0.0, outcome="continuous")["power"] == pytest.approx(0.05)


def test_burgess_and_brion_agree_for_small_effects():
    # As OR -> 1 both NCPs tend to N R2 K (1-K) (log OR)^2
    brion = mr_power(50_000, 0.02, 1.02, case_fraction=0.1)["ncp"]
    burgess = mr_power(50_000, 0.02, 1.02, case_fraction=0.1, method="burgess")["ncp"]
    assert brion == pytest.approx(burgess, rel=0.03)
    assert burgess == pytest.approx(50_000 * 0.02 * 0.09 * np.log(1.02) ** 2)


def test_confounding_enters_as_in_mrnd():
    # mRnd functions.R: b2sls = byx + (bOLS - byx) varx / (N R2xz)
    res = mr_power(1000, 0.01, 0.1, outcome="continuous", b_ols=0.3)
    assert res["estimate"] == pytest.approx(0.1 + 0.2 / 10)
    vey = 1 - 0.1 * (2 * 0.3 - 0.1)
    assert res["se"] == pytest.approx(np.sqrt(vey / 10))


def test_vectorised_and_monotone():
    n = np.array([1000, 2000, 4000, 8000])
    p = mr_power(n, 0.05, 1.2, case_fraction=0.2)["power"]
    assert p.shape == (4,) and np.all(np.diff(p) > 0)


@pytest.mark.parametrize("kwargs", [dict(case_fraction=0.3), dict(case_fraction=0.3,
                                    direction="decrease"), dict(outcome="continuous")])
def test_min_detectable_effect_inverts_power(kwargs):
    effect = mr_min_detectable_effect(4000, 0.1, power=0.8, **kwargs)
    power_kwargs = {k: v for k, v in kwargs.items() if k != "direction"}
    assert mr_power(4000, 0.1, effect, **power_kwargs)["power"] == pytest.approx(0.8, abs=1e-9)
    if kwargs.get("direction") == "decrease":
        assert effect < 1
    elif kwargs.get("outcome") != "continuous":
        assert effect > 1


def test_bad_input():
    with pytest.raises(InputError, match="case_fraction"):
        mr_power(1000, 0.1, 1.2)
    with pytest.raises(InputError, match="r2"):
        mr_power(1000, 1.2, 1.2, case_fraction=0.1)
    with pytest.raises(InputError, match="effect"):
        mr_power(1000, 0.1, -1.0, case_fraction=0.1)
    with pytest.raises(InputError, match="method"):
        mr_power(1000, 0.1, 0.1, outcome="continuous", method="burgess")
    with pytest.raises(InputError, match="outcome"):
        mr_power(1000, 0.1, 0.1, outcome="survival")
    with pytest.raises(InputError, match="power must exceed alpha"):
        mr_min_detectable_effect(1000, 0.1, power=0.01, case_fraction=0.1)
