"""TwoSampleMR 0.7.9's extra estimators against R (``validation/expected/methods2/<dataset>.json``, block
``TwoSampleMR``): mr_sign, mr_uwr, mr_grip, mr_rucker, mr_rucker_cooksdistance (deterministic: 1e-6 relative, as
each block's ``compare`` says), mr_egger_regression_bootstrap and the NOME modes (Monte Carlo: R drew 10000 times
with set.seed(1); compared within four Monte Carlo SDs of the difference of two independent runs), plus
independent checks (scipy, statsmodels, hand formulas)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from methods2_reference import UNIVARIABLE, assert_close, block, inputs, load, number

from mrkit.methods.egger import mr_egger
from mrkit.methods.egger_bootstrap import mr_egger_bootstrap
from mrkit.methods.grip import mr_grip
from mrkit.methods.ivw import mr_ivw
from mrkit.methods.mode import mr_mode
from mrkit.methods.mode_nome import mr_mode_nome
from mrkit.methods.rucker import MODELS, mr_rucker, mr_rucker_cooksdistance
from mrkit.methods.sign_concordance import binomial_test_half, mr_sign, mr_uwr

REL = 1e-6
R_BOOT = 10_000  # R's nboot in the methods2 blocks


def tsmr(dataset: str, name: str) -> dict:
    return block(dataset, name, package="TwoSampleMR")


def first(result: dict, key: str) -> float:
    return float(np.asarray(result[key])[0])


def simulated(seed: int, n_rep: int = 3, k: int = 12):
    """A seeded batch of datasets with some pleiotropy (exposure effects of both signs)."""
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.05, 0.3, (n_rep, k)) * rng.choice([-1, 1], (n_rep, k))
    bxse = rng.uniform(0.01, 0.03, (n_rep, k))
    byse = rng.uniform(0.02, 0.05, (n_rep, k))
    by = 0.4 * bx + rng.normal(0, 1, (n_rep, k)) * byse + rng.normal(0.01, 0.02, (n_rep, k))
    return bx, bxse, by, byse


# -- deterministic R parity --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_sign_concordance_equals_r(dataset):
    r = tsmr(dataset, "mr_sign")
    res = mr_sign(*inputs(dataset))
    assert_close(first(res, "estimate"), r["b"], REL, what="mr_sign b")
    assert_close(first(res, "p"), r["pval"], REL, what="mr_sign pval")
    assert np.isnan(first(res, "se")) and np.isnan(number(r["se"]))
    assert int(res["nsnp"][0]) == r["nsnp"]


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_unweighted_regression_equals_r(dataset):
    r = tsmr(dataset, "mr_uwr")
    res = mr_uwr(*inputs(dataset))
    for ours, key in (("estimate", "b"), ("se", "se"), ("p", "pval"), ("q_p", "Q_pval")):
        assert_close(first(res, ours), r[key], REL, what=f"mr_uwr {key}")
    if "Q" in r:
        assert_close(first(res, "q"), r["Q"], REL, what="mr_uwr Q")
    assert res["q_df"] == r["Q_df"] and res["nsnp"] == r["nsnp"]


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_grip_equals_r(dataset):
    r = tsmr(dataset, "mr_grip")
    res = mr_grip(*inputs(dataset))
    for ours, key in (("estimate", "b"), ("se", "se"), ("p", "pval"), ("intercept", "b_i"),
                      ("intercept_se", "se_i"), ("intercept_p", "pval_i"), ("estimate_adjusted", "b.adj"),
                      ("se_adjusted", "se.adj"), ("p_adjusted", "pval.adj")):
        assert_close(first(res, ours), r[key], REL, what=f"mr_grip {key}")  # NaN must match R's "NaN"
    if np.isnan(number(r["se.adj"])):  # the MR-PRESSO example: R warns "NaNs produced"
        assert "NaN" in res["note"][0]


RUCKER_ROWS = ("ivw_fe", "ivw_re", "egger_fe", "egger_re")


def _check_rucker(res: dict, r: dict, dataset: str) -> None:
    for row, m in zip(r["rucker"], RUCKER_ROWS):
        for ours, key in (("estimate", "Estimate"), ("se", "SE"), ("p", "P")):
            assert_close(first(res, f"{ours}_{m}"), row[key], REL, abs_floor=1e-300, what=f"{dataset} {m} {key}")
    fe, re = r["intercept"]
    for ours, value in (("intercept", fe["Estimate"]), ("intercept_se_fe", fe["SE"]), ("intercept_se_re", re["SE"]),
                        ("intercept_p_fe", fe["P"]), ("intercept_p_re", re["P"])):
        assert_close(first(res, ours), value, REL, what=f"{dataset} {ours}")
    for q, name in zip(r["Q"], ("q_ivw", "q_egger", "q_diff")):
        assert_close(first(res, name), q["Q"], REL, what=f"{dataset} {name}")
        assert_close(first(res, name + "_p"), q["P"], REL, what=f"{dataset} {name} p")
    assert res["model"][0] == r["res"]
    sel = r["selected"]
    for ours, key in (("estimate", "Estimate"), ("se", "SE"), ("p", "P")):
        assert_close(first(res, ours), sel[key], REL, abs_floor=1e-300, what=f"{dataset} selected {key}")
    assert int(res["nsnp"][0]) == sel["nsnp"]
    cd = res["cooks_distance"][0]
    assert_close(cd[np.isfinite(cd)], number(r["cooksdistance"]), REL, what=f"{dataset} Cook's distance")


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_rucker_equals_r(dataset):
    _check_rucker(mr_rucker(*inputs(dataset)), tsmr(dataset, "mr_rucker"), dataset)


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_rucker_cooks_distance_equals_r(dataset):
    r = tsmr(dataset, "mr_rucker_cooksdistance")
    res = mr_rucker_cooksdistance(*inputs(dataset))
    _check_rucker(res, r, dataset)
    snp = np.array(load(dataset)["input"]["SNP"])
    assert list(snp[res["removed"][0]]) == r["removed_snps"]  # R lists them in input order too
    assert res["n_removed"][0] == len(r["removed_snps"])


# -- Monte Carlo R parity ----------------------------------------------------------------------------------------
def _mc_close(ours: float, theirs: float, sd_of_one: float, what: str) -> None:
    """Within 4 SDs of the difference of two independent Monte Carlo estimates (each with SD ``sd_of_one``)."""
    assert abs(ours - theirs) <= 4 * math.sqrt(2) * sd_of_one, f"{what}: mrkit {ours} vs R {theirs}"


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_egger_bootstrap_within_monte_carlo_error_of_r(dataset):
    r = tsmr(dataset, "mr_egger_regression_bootstrap")
    res = mr_egger_bootstrap(*inputs(dataset), n_boot=R_BOOT, seed=1)
    for est, se, p, name in (("estimate", "se", "p", ""), ("intercept", "intercept_se", "intercept_p", "_i")):
        sd = first(res, se)
        _mc_close(first(res, est), r["b" + name], sd / math.sqrt(R_BOOT), f"{dataset} b{name}")
        _mc_close(first(res, se), r["se" + name], sd / math.sqrt(2 * (R_BOOT - 1)), f"{dataset} se{name}")
        share = r["pval" + name]
        _mc_close(first(res, p), share, math.sqrt(max(share * (1 - share), 1 / R_BOOT) / R_BOOT), f"{dataset} p{name}")
    assert res["distribution"] == "bootstrap proportion" and res["n_boot"] == R_BOOT


@pytest.mark.parametrize("dataset", UNIVARIABLE)
@pytest.mark.parametrize("kind", ["simple", "weighted"])
def test_nome_modes_equal_r(dataset, kind):
    """Point estimate deterministic (1e-6); SE = MAD of 10000 bootstrap modes: R's and ours each have a relative
    SD of about 1.2 % (normal theory), so 7 % allows four SDs of their difference plus the grid's granularity."""
    r = tsmr(dataset, f"mr_{kind}_mode_nome")
    res = mr_mode_nome(*inputs(dataset), kinds=(kind,), n_boot=R_BOOT, seed=1)[f"{kind}_mode_nome"]
    assert_close(first(res, "estimate"), r["b"], REL, what=f"{kind} mode NOME b")
    assert_close(first(res, "se"), r["se"], 0.07, what=f"{kind} mode NOME se")
    assert res["distribution"] == f"t({r['nsnp'] - 1})" and res["ci_distribution"] == "normal"


# -- independent checks ------------------------------------------------------------------------------------------
def test_binomial_test_matches_scipy():
    from scipy import stats
    for n in (6, 7, 27, 50, 79, 200):
        for x in range(n + 1):
            assert binomial_test_half(x, n) == pytest.approx(stats.binomtest(x, n, 0.5).pvalue, rel=1e-12, abs=1e-300)


def test_sign_needs_six_variants_with_nonzero_effects():
    bx = np.array([0.1, 0.2, -0.1, 0.3, 0.2, 0.1, 0.2])
    by = np.array([0.1, 0.2, -0.1, 0.3, 0.0, 0.0, 0.1])  # two zero outcome effects leave 5
    res = mr_sign(bx, np.full(7, 0.01), by, np.full(7, 0.01))
    assert np.isnan(res["estimate"][0]) and res["note"][0].startswith("not estimable: fewer than 6")
    res = mr_sign(bx, np.full(7, 0.01), np.where(by == 0, -0.05, by), np.full(7, 0.01))
    assert res["n_concordant"][0] == 5 and res["estimate"][0] == pytest.approx(2 * (5 / 7 - 0.5))


def test_unweighted_regression_is_ols_through_the_origin():
    import statsmodels.api as sm
    bx, bxse, by, byse = simulated(3, n_rep=1, k=15)
    fit = sm.OLS(by[0], bx[0]).fit()
    res = mr_uwr(bx, bxse, by, byse)
    assert res["estimate"][0] == pytest.approx(fit.params[0], rel=1e-12)
    sigma = math.sqrt(fit.scale)
    assert res["se"][0] == pytest.approx(fit.bse[0] / min(1.0, sigma), rel=1e-10)


def test_grip_is_weighted_least_squares_and_allele_coding_invariant():
    import statsmodels.api as sm
    bx, bxse, by, byse = simulated(4, n_rep=1, k=20)
    res = mr_grip(bx, bxse, by, byse)
    x = sm.add_constant(bx[0] ** 2)
    fit = sm.WLS(by[0] * bx[0], x, weights=1 / (bx[0] ** 2 * byse[0] ** 2)).fit()
    assert res["estimate"][0] == pytest.approx(fit.params[1], rel=1e-10)
    assert res["se"][0] == pytest.approx(fit.bse[1], rel=1e-10)
    assert res["intercept_se"][0] == pytest.approx(fit.bse[0], rel=1e-10)
    assert res["p"][0] == pytest.approx(fit.pvalues[1], rel=1e-8)
    flip = np.where(np.arange(20) % 3 == 0, -1.0, 1.0)  # recode a third of the variants
    again = mr_grip(bx * flip, bxse, by * flip, byse)
    for key in ("estimate", "se", "intercept", "estimate_adjusted", "se_adjusted"):
        assert again[key][0] == pytest.approx(res[key][0], rel=1e-12)


def test_rucker_models_are_the_ivw_and_egger_fits():
    """Rucker's IVW and Egger fits equal mrkit's IVW and MR-Egger (validated against R separately)."""
    bx, bxse, by, byse = simulated(5, n_rep=1, k=25)
    res = mr_rucker(bx, bxse, by, byse)
    ivw = mr_ivw(bx[0], bxse[0], by[0], byse[0], se_model="random_unfloored")
    sign = np.where(bx[0] < 0, -1, 1)
    egger = mr_egger(np.abs(bx[0]), bxse[0], by[0] * sign, byse[0])
    assert res["estimate_ivw_re"][0] == pytest.approx(ivw["estimate"], rel=1e-12)
    assert res["se_ivw_re"][0] == pytest.approx(ivw["se"], rel=1e-12)
    assert res["estimate_egger_fe"][0] == pytest.approx(egger["estimate"], rel=1e-10)
    assert res["q_egger"][0] == pytest.approx(egger["q"], rel=1e-10)
    assert res["model"][0] in MODELS


def test_rucker_cooks_distance_matches_statsmodels():
    import statsmodels.api as sm
    from statsmodels.stats.outliers_influence import OLSInfluence
    bx, bxse, by, byse = simulated(6, n_rep=1, k=18)
    res = mr_rucker(np.abs(bx), bxse, by * np.sign(bx), byse)
    x, y, i = np.abs(bx[0]) / byse[0], by[0] * np.sign(bx[0]) / byse[0], 1 / byse[0]
    design = x[:, None] if res["model"][0] in "AB" else np.column_stack([i, x])
    cd = OLSInfluence(sm.OLS(y, design).fit()).cooks_distance[0]
    assert res["cooks_distance"][0] == pytest.approx(cd, rel=1e-9)


def test_egger_bootstrap_is_the_r_formula_on_the_same_draws():
    """Row = mean / SD of cov(w x, w y) / var(w x) over draws rebuilt here from default_rng(seed) (np.cov)."""
    bx, bxse, by, byse = simulated(7, n_rep=2, k=10)
    res = mr_egger_bootstrap(bx, bxse, by, byse, n_boot=200, seed=11)
    for r in range(2):
        g = np.random.default_rng(11 + r)
        xs = bx[r] + bxse[r] * g.standard_normal((200, 10))
        ys = by[r] + byse[r] * g.standard_normal((200, 10))
        ys, xs = ys * np.sign(xs), np.abs(xs)
        w = 1 / byse[r] ** 2
        slopes = np.array([np.cov(a * w, b * w)[0, 1] / np.var(a * w, ddof=1) for a, b in zip(xs, ys)])
        assert res["estimate"][r] == pytest.approx(slopes.mean(), rel=1e-10)
        assert res["se"][r] == pytest.approx(slopes.std(ddof=1), rel=1e-10)
        assert res["p"][r] == np.mean(np.sign(slopes.mean()) * slopes < 0)


def test_nome_mode_uses_first_order_ses():
    """The simple NOME mode has the simple mode's estimate (R: beta_SimpleMode for both); the weighted one
    weights by (bx / byse)^2, so bxse plays no part; both kinds share their draws (asked together or alone)."""
    bx, bxse, by, byse = (a[0] for a in simulated(8, n_rep=1, k=30))
    simple = mr_mode(bx, bxse, by, byse, kinds=("simple",), n_boot=50)["simple_mode"]
    both = mr_mode_nome(bx, bxse, by, byse, n_boot=50)
    assert both["simple_mode_nome"]["estimate"][0] == simple["estimate"]
    weighted = mr_mode_nome(bx, bxse, by, byse, kinds=("weighted",), n_boot=50)["weighted_mode_nome"]
    unchanged = mr_mode_nome(bx, bxse * 3, by, byse, kinds=("weighted",), n_boot=50)["weighted_mode_nome"]
    for key in ("estimate", "se"):
        assert weighted[key][0] == unchanged[key][0] == both["weighted_mode_nome"][key][0]
    assert weighted["weights"] == "first_order"
