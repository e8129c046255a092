"""Weighted medians: R's interpolation rule, 2-D bootstrap equal to 1-D, weights, penalty."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mrkit.methods.median import (
    median_weights,
    mr_penalised_weighted_median,
    mr_simple_median,
    mr_weighted_median,
    weighted_median,
)


def test_interpolated_weighted_median_by_hand():
    # equal weights on 1,2,3,4: cumulative-minus-half = .125,.375,.625,.875 -> 2.5
    assert weighted_median(np.array([4.0, 1.0, 3.0, 2.0]), np.ones(4)) == pytest.approx(2.5)
    # weights 1,1,2 on 1,2,3: cum = (0.5, 1.5, 3) / 4 -> .125,.375,.75; 0.5 lies between 2 and 3
    assert weighted_median(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0])) == \
        pytest.approx(2.0 + (0.5 - 0.375) / (0.75 - 0.375))


def test_rowwise_equals_one_dimensional():
    rng = np.random.default_rng(0)
    b, w = rng.standard_normal((50, 9)), rng.uniform(0.1, 2, 9)
    np.testing.assert_array_equal(weighted_median(b, w),
                                  np.array([weighted_median(row, w) for row in b]))


def test_weights_first_and_second_order():
    bx, bxse, by, byse = (np.array(v) for v in ([0.1, 0.2], [0.01, 0.02], [0.05, 0.3], [0.02, 0.03]))
    np.testing.assert_allclose(median_weights(bx, bxse, by, byse, "first_order"), (bx / byse) ** 2)
    np.testing.assert_allclose(median_weights(bx, bxse, by, byse, "second_order"),
                               1 / (byse ** 2 / bx ** 2 + by ** 2 * bxse ** 2 / bx ** 4))


def sample(k=20, seed=5):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.05, 0.2, k)
    by = 0.5 * bx + rng.normal(0, 0.01, k)
    by[:3] += 0.1  # three pleiotropic SNPs
    return bx, np.full(k, 0.01), by, np.full(k, 0.01)


def test_bootstrap_is_seeded_and_penalty_downweights_outliers():
    args = sample()
    a = mr_weighted_median(*args, n_boot=500, seed=7)
    assert a == mr_weighted_median(*args, n_boot=500, seed=7)
    assert a["se"] != mr_weighted_median(*args, n_boot=500, seed=8)["se"]
    assert a["seed"] == 7 and a["n_boot"] == 500 and a["se_model"] == "bootstrap"
    pen = mr_penalised_weighted_median(*args, n_boot=200)
    bx, bxse, by, byse = args
    ratio, w = by / bx, median_weights(*args, "second_order")
    penalty = stats.chi2.sf(w * (ratio - a["estimate"]) ** 2, 1)
    assert penalty[:3].max() < 1e-6  # the pleiotropic SNPs are penalised away
    assert pen["estimate"] == pytest.approx(weighted_median(ratio, w * np.minimum(1, 20 * penalty)),
                                            rel=1e-12)
    assert mr_simple_median(*args, n_boot=200)["weights"] == "simple"
