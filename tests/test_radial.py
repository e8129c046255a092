"""RadialMR 1.2.3 against R (``validation/expected/methods2/<dataset>.json``: blocks ``RadialMR`` ivw_radial_w1/2/3,
egger_radial_w1/2/3, and ``TwoSampleMR`` mr_ivw_radial), R's ``optimize`` port, and independent checks.

Tolerances as each block's ``compare`` says: 1e-6 relative for every deterministic number (the Effect, Iterative and
Exact (FE) rows, the Exact (RE) estimate, Q, Q_j, the intervals, the outlier lists); the Exact (RE) SE is the SD of
1000 nonparametric bootstrap fits in R (relative Monte Carlo SD about 2.2 %), compared within 10 % using 5000 of
ours (four SDs of the difference)."""
from __future__ import annotations

import numpy as np
import pytest
from methods2_reference import UNIVARIABLE, assert_close, block, inputs, load, number

from mrkit.methods.brent import R_OPTIMIZE_TOL, r_optimize
from mrkit.methods.ivw import mr_ivw
from mrkit.methods.radial import egger_radial, ivw_radial, outlier_ids
from mrkit.methods.radial_exact import exact_q, ivw_radial_exact, ivw_radial_iterative

REL = 1e-6
WEIGHTS = (1, 2, 3)


def radial(dataset: str, name: str) -> dict:
    return block(dataset, name, package="RadialMR")


def row(r: dict, name: str) -> list:
    """[Estimate, Std.Error, Pr(>|t|)] of one row of R's coefficient table."""
    c = r["coef"][name]
    return [c["Estimate"], c["Std.Error"], c["Pr(>|t|)"]]


def ours(res: dict, *keys) -> list:
    return [float(np.asarray(res[k])[0]) for k in keys]


@pytest.mark.parametrize("dataset", UNIVARIABLE)
@pytest.mark.parametrize("weights", WEIGHTS)
def test_ivw_radial_effect_row_equals_r(dataset, weights):
    r = radial(dataset, f"ivw_radial_w{weights}")
    res = ivw_radial(*inputs(dataset), weights=weights)
    effect = next(name for name in r["coef"] if name.startswith("Effect"))
    assert_close(ours(res, "estimate", "se", "p"), number(row(r, effect)), REL, abs_floor=1e-300, what=effect)
    assert_close(ours(res, "q", "radial_ci_lower", "radial_ci_upper", "mean_f"),
                 number([r["qstatistic"], *r["confint"], r["meanF"]]), REL, what="Q, confint, meanF")
    assert res["q_df"] == r["df"]
    assert_close(res["qj"][0], number(r["Qj"]), REL, abs_floor=1e-12, what="Q_j")
    snp = np.array(load(dataset)["input"]["SNP"])
    assert outlier_ids(res["outlier"], snp)[0] == ", ".join(r["outliers"])  # RadialMR's outlier list, in order


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_twosamplemr_mr_ivw_radial_is_weights_3(dataset):
    r = block(dataset, "mr_ivw_radial", package="TwoSampleMR")
    res = ivw_radial(*inputs(dataset))
    assert_close(ours(res, "estimate", "se", "p", "q", "q_p"), number([r["b"], r["se"], r["pval"], r["Q"],
                                                                        r["Q_pval"]]), REL, abs_floor=1e-300)
    assert res["q_df"] == r["Q_df"]


@pytest.mark.parametrize("dataset", UNIVARIABLE)
@pytest.mark.parametrize("weights", WEIGHTS)
def test_egger_radial_equals_r(dataset, weights):
    r = radial(dataset, f"egger_radial_w{weights}")
    res = egger_radial(*inputs(dataset), weights=weights)
    slope, icpt = r["coef"]["slope"], r["coef"]["intercept"]
    assert_close(ours(res, "estimate", "se", "p", "intercept", "intercept_se", "intercept_p"),
                 number([slope["Estimate"], slope["Std.Error"], slope["Pr(>|t|)"], icpt["Estimate"],
                         icpt["Std.Error"], icpt["Pr(>|t|)"]]), REL, what="radial Egger coefficients")
    assert_close(ours(res, "q", "radial_ci_lower", "radial_ci_upper"), number([r["qstatistic"], *r["confint"]]),
                 REL, what="Q and confint")
    assert_close(res["qj"][0], number(r["Qj"]), REL, abs_floor=1e-12, what="Q_j")
    k = len(r["Qj"])
    assert r["df"] == k - 1 and res["q_df"] == k - 2 and "df = k - 1" in res["note"]  # R's quirk, recorded


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_iterative_and_exact_fe_rows_equal_r(dataset):
    r = radial(dataset, "ivw_radial_w1")  # these rows do not depend on the weights: check all three blocks agree
    for w in (2, 3):
        assert radial(dataset, f"ivw_radial_w{w}")["coef"]["Exact (FE)"] == r["coef"]["Exact (FE)"]
    data = inputs(dataset)
    it = ivw_radial_iterative(*data)
    assert_close(ours(it, "estimate", "se", "p", "radial_ci_lower", "radial_ci_upper"),
                 number([*row(r, "Iterative"), *r["it.confint"]]), REL, abs_floor=1e-300, what="Iterative")
    fe = ivw_radial_exact(*data)
    assert_close(ours(fe, "estimate", "se", "p", "radial_ci_lower", "radial_ci_upper"),
                 number([*row(r, "Exact (FE)"), *r["fe.confint"]]), REL, abs_floor=1e-300, what="Exact (FE)")
    edge = abs(r["coef"]["Exact (FE)"]["Estimate"]) > 1.999
    assert ("edge" in fe["note"][0]) == edge  # lipids and calcium: R's (-2, 2) search stops at the edge


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_exact_re_estimate_equals_r_and_its_bootstrap_se_within_monte_carlo_error(dataset):
    r = radial(dataset, "ivw_radial_w3")
    res = ivw_radial_exact(*inputs(dataset), random=True, n_boot=5000, seed=1)
    est, se, _ = number(row(r, "Exact (RE)"))
    assert_close(res["estimate"][0], est, REL, what="Exact (RE) estimate")
    assert_close(res["se"][0], se, 0.10, what="Exact (RE) bootstrap SE")
    assert res["distribution"] == f"t({len(r['Qj']) - 1})" and res["n_boot"] == 5000
    # min over b of Q_phi is k - 1 at the chosen phi, unless phi sits on the edge of its search interval
    assert res["q"][0] == pytest.approx(len(r["Qj"]) - 1, rel=1e-3) or res["phi"][0] == pytest.approx(1, abs=1e-3)


# -- R's optimize ------------------------------------------------------------------------------------------------
def test_r_optimize_lanes_equal_single_runs_and_reach_the_minimum():
    rng = np.random.default_rng(3)
    centres, scales = rng.uniform(-3, 3, 40), rng.uniform(0.1, 10, 40)
    lo, hi = centres - rng.uniform(0.5, 4, 40), centres + rng.uniform(0.5, 4, 40)
    batch = r_optimize(lambda x: scales * (x - centres) ** 2 + np.cos(x), lo, hi)
    for j in range(40):
        single = r_optimize(lambda x, j=j: scales[j] * (x - centres[j]) ** 2 + np.cos(x), lo[j], hi[j])
        assert batch[j] == single  # a lane takes exactly its own steps
        grid = np.linspace(lo[j], hi[j], 200_001)
        best = grid[np.argmin(scales[j] * (grid - centres[j]) ** 2 + np.cos(grid))]
        assert abs(single - best) < 3 * R_OPTIMIZE_TOL


def test_r_optimize_sorts_its_interval_refuses_empty_ones_and_treats_inf_as_huge():
    assert r_optimize(lambda x: (x - 1) ** 2, 3.0, -2.0) == r_optimize(lambda x: (x - 1) ** 2, -2.0, 3.0)
    with pytest.raises(ValueError, match="xmin"):
        r_optimize(lambda x: x, 1.0, 1.0)
    with pytest.raises(ValueError, match="finite"):
        r_optimize(lambda x: x, 0.0, np.inf)
    x = r_optimize(lambda x: np.where(x < 0, np.inf, (x - 0.5) ** 2), -1.0, 2.0)
    assert abs(x - 0.5) < R_OPTIMIZE_TOL


# -- independent checks ------------------------------------------------------------------------------------------
def test_first_order_radial_ivw_is_ivw_with_the_unfloored_se():
    rng = np.random.default_rng(4)
    bx = rng.uniform(0.05, 0.3, 20) * rng.choice([-1, 1], 20)
    byse, bxse = rng.uniform(0.02, 0.05, 20), rng.uniform(0.01, 0.02, 20)
    by = 0.3 * bx + rng.normal(0, 0.05, 20)
    res = ivw_radial(bx, bxse, by, byse, weights=1)
    ivw = mr_ivw(bx, bxse, by, byse, se_model="random_unfloored")
    assert res["estimate"][0] == pytest.approx(ivw["estimate"], rel=1e-12)
    assert res["se"][0] == pytest.approx(ivw["se"], rel=1e-12)
    assert res["q"][0] == pytest.approx(ivw["q"], rel=1e-12)


def test_exact_estimators_solve_their_equations():
    """FE with a wide interval: the minimiser of Q_1 (checked on a fine grid); iterative: a fixed point of the
    second-order weights; lipids: Q_1 still falls at R's edge 2, and its minimum lies beyond it."""
    bx, bxse, by, byse = inputs("lipids_chd_ldlc")
    ratio = by / bx
    wide = ivw_radial_exact(bx, bxse, by, byse, interval=(-10, 10))
    grid = np.linspace(2.5, 3.5, 100_001)
    q = exact_q(grid, np.broadcast_to(ratio, (grid.size, ratio.size)), bx, bxse, byse)
    assert abs(wide["estimate"][0] - grid[np.argmin(q)]) < 2 * R_OPTIMIZE_TOL
    assert "edge" not in wide["note"][0]
    at_edge = exact_q(np.array([1.9999, 2.0]), np.broadcast_to(ratio, (2, ratio.size)), bx, bxse, byse)
    assert at_edge[1] < at_edge[0]
    it = ivw_radial_iterative(bx, bxse, by, byse)
    b = it["estimate"][0]
    w = bx ** 2 / (byse ** 2 + b ** 2 * bxse ** 2)
    assert abs(np.sum(w * ratio) / np.sum(w) - b) < 1e-4


def test_radial_batches_equal_their_rows():
    rng = np.random.default_rng(9)
    bx = rng.uniform(0.05, 0.3, (3, 12))
    bxse, byse = rng.uniform(0.01, 0.03, (3, 12)), rng.uniform(0.02, 0.05, (3, 12))
    by = 0.5 * bx + rng.normal(0, 1, (3, 12)) * byse
    for fit in (ivw_radial, egger_radial, ivw_radial_iterative, ivw_radial_exact):
        batch = fit(bx, bxse, by, byse)
        for r in range(3):
            one = fit(bx[r], bxse[r], by[r], byse[r])
            for key in ("estimate", "se", "p", "ci_lower"):
                assert one[key][0] == batch[key][r], (fit.__name__, key)
    batch = ivw_radial_exact(bx, bxse, by, byse, random=True, n_boot=50, seed=20)
    one = ivw_radial_exact(bx[2], bxse[2], by[2], byse[2], random=True, n_boot=50, seed=22)
    assert one["estimate"][0] == batch["estimate"][2] and one["se"][0] == batch["se"][2]


def test_exact_fe_is_the_maximum_likelihood_estimate():
    """Q_1(b) is twice the two-sample profile likelihood, so RadialMR's Exact (FE) searched widely is mrkit's
    converged ML estimate (mrkit.methods.ml, optimizer "profile"), to R's optimize tolerance; on the lipids data
    R's ML (Nelder-Mead, 3.2249) and its (-2, 2) Exact (FE) both miss it."""
    from mrkit.methods.ml import mr_ml
    for dataset in ("lipids_chd_ldlc", "bmi_chd"):
        data = inputs(dataset)
        ml = mr_ml(*data, optimizer="profile")
        fe = ivw_radial_exact(*data, interval=(-10, 10))
        assert abs(fe["estimate"][0] - ml["estimate"]) < 2 * R_OPTIMIZE_TOL
        assert fe["q"][0] == pytest.approx(ml["q"], rel=1e-6)
