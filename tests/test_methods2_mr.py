"""R parity of the MendelianRandomization 0.10.0 univariable estimators beyond the basic set (issue 23).

Golden numbers: ``../shared/validation/expected/methods2/<dataset>.json`` (R 4.2.2, MendelianRandomization 0.10.0,
glmnet 4.1-6, robustbase 0.95-0; see the MANIFEST's "More methods"). Every block is compared at the tolerance its
``compare`` field records: deterministic 1e-6 relative; grid methods: the grid point, 1e-6 x max(|x|, 1); lmrob
and optimisers ~1e-4; Monte Carlo quantities within their Monte Carlo error (derived in each test).
"""
from __future__ import annotations

import numpy as np
import pytest
from methods2_reference import UNIVARIABLE, assert_close, block, inputs, load, number

from mrkit.methods.clr import mr_clr
from mrkit.methods.cml import mr_cml
from mrkit.methods.conmix import mr_conmix
from mrkit.methods.divw import _fieller_draws, mr_divw, mr_pivw
from mrkit.methods.hetpen import mr_hetpen
from mrkit.methods.mode import mr_mode
from mrkit.methods.mrlasso import mr_lasso
from mrkit.methods.pcgmm import mr_pcgmm
from mrkit.methods.robust_regression import mr_egger_robust, mr_ivw_robust

ROW = (("estimate", "Estimate"), ("se", "StdError"), ("ci_lower", "CILower"), ("ci_upper", "CIUpper"),
       ("p", "Pvalue"))


def compare(res, ref, pairs=ROW, rel=1e-6, floor=0.0, index=0):
    for ours, theirs in pairs:
        assert_close(np.asarray(res[ours])[index], ref[theirs], rel=rel, abs_floor=floor, what=ours)


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_divw(dataset):
    data = inputs(dataset)
    for name, kw in (("mr_divw", {}), ("mr_divw_no_overdispersion", {"over_dispersion": False})):
        res, ref = mr_divw(*data, **kw), block(dataset, name)
        compare(res, ref)
        assert_close(res["condition"][0], ref["Condition"], what="condition")


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_pivw_deterministic_parts(dataset):
    data = inputs(dataset)
    for name, kw in (("mr_pivw_no_fieller", {"fieller": False}),
                     ("mr_pivw_no_overdispersion", {"fieller": False, "over_dispersion": False})):
        res, ref = mr_pivw(*data, **kw), block(dataset, name)
        compare(res, ref)
        assert_close(res["tau2"][0], ref["Tau2"], abs_floor=1e-12, what="tau2")
        assert_close(res["condition"][0], ref["Condition"], what="condition")


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_pivw_fieller_interval_within_monte_carlo_error(dataset):
    """R's interval is the Fieller set at q = the 950th of 1000 sorted bootstrap statistics (seed 1 in R).

    Deterministic part: both of R's bounds must give the same q through the Fieller quadratic (1e-6). Monte Carlo
    part: that q is an order statistic whose rank quantile has SD sqrt(0.95 0.05 / 1000) = 0.0069, so it must lie
    between our 0.95 -/+ 4.5 SD (0.919, 0.981) quantiles of 20000 draws (seed 7). R's p (share of 1000 draws above
    the statistic at 0) must be within 4.5 binomial SDs + 1/1000 of ours."""
    bx, bxse, by, byse = inputs(dataset)
    ref = block(dataset, "mr_pivw")
    res = mr_pivw(bx, bxse, by, byse, fieller=False)
    compare(res, ref, pairs=(("estimate", "Estimate"), ("se", "StdError")))
    beta, tau2 = res["estimate"], res["tau2"]
    w = byse ** -2.0
    v2 = np.sum(w * w * (4 * (bx ** 2 - bxse ** 2) * bxse ** 2 + 2 * bxse ** 4))
    v12 = np.sum(2 * w * w * by * bx * bxse ** 2)
    mu1, mu2 = np.sum(w * by * bx), np.sum(w * (bx ** 2 - bxse ** 2))
    mu2p = mu2 / 2 + np.sign(mu2) * np.sqrt(mu2 ** 2 / 4 + v2)
    mu1p = mu1 + v12 / v2 * (mu2p - mu2)
    v1p = np.sum(w * w * (by ** 2 * bx ** 2 - (by ** 2 - byse ** 2 - tau2[0]) * (bx ** 2 - bxse ** 2)))
    wt = mu2p / (2 * mu2p - mu2)

    def q_at(b):
        return (mu1p - b * mu2p) ** 2 / (v1p - 2 * b * wt * v12 + b * b * wt * wt * v2)

    q_lo, q_hi = q_at(number(ref["CILower"])), q_at(number(ref["CIUpper"]))
    assert_close(q_lo, q_hi, rel=1e-6, what="R's two bounds imply one q")
    draws = _fieller_draws(bx[None], bxse[None], byse[None], beta, tau2, 1.0, 20000, [np.random.default_rng(7)])[0]
    lo, hi = np.quantile(draws, [0.95 - 4.5 * 0.0069, 0.95 + 4.5 * 0.0069])
    assert lo <= q_lo <= hi, (q_lo, lo, hi)
    p_ours = np.mean(mu1p ** 2 / v1p < draws)
    assert abs(p_ours - number(ref["Pvalue"])) <= 4.5 * np.sqrt(max(p_ours * (1 - p_ours), 1e-3) / 1000) + 1e-3
    fieller = mr_pivw(bx, bxse, by, byse, seed=11)  # the default path runs and records its seed
    assert fieller["seed"] == 11 and fieller["n_boot"] == 1000 and fieller["ci_lower"][0] < beta[0]


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_conmix(dataset):
    data = inputs(dataset)
    for name, step in (("mr_conmix", 0.01), ("mr_conmix_step0.001", 0.001)):
        res, ref = mr_conmix(*data, grid_step=step), block(dataset, name)
        compare(res, ref, pairs=(("estimate", "Estimate"), ("ci_lower", "CILower"), ("ci_upper", "CIUpper")),
                floor=1.0)
        compare(res, ref, pairs=(("p", "Pvalue"), ("psi", "Psi"), ("grid_min", "CIMin"), ("grid_max", "CIMax")))
        assert list(np.flatnonzero(res["valid"][0]) + 1) == [int(v) for v in ref["Valid"]]


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_lasso(dataset):
    data, meta = inputs(dataset), load(dataset)
    snps = np.array(meta["input"]["SNP"])
    for name, lam in (("mr_lasso", None), ("mr_lasso_fixed", meta["lasso_fixed_lambda"])):
        res, ref = mr_lasso(*data, lam=lam), block(dataset, name)
        compare(res, ref)
        assert_close(res["lambda"][0], ref["Lambda"], what="lambda")
        assert res["n_valid"][0] == ref["Valid"]
        assert list(snps[res["valid"][0]]) == list(np.atleast_1d(ref["ValidSNPs"]))
        # glmnet coordinate-descent coefficients (thresh 1e-7): ~1e-4, as the block says
        assert_close(res["reg_estimate"][0], ref["RegEstimate"], rel=1e-4, what="RegEstimate")
        scale = np.max(np.abs(number(ref["RegIntercept"]))) + 1e-300
        assert np.max(np.abs(res["intercepts"][0] - number(ref["RegIntercept"]))) <= 1e-4 * scale


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_cml(dataset):
    data, n = inputs(dataset), load(dataset)["n_cml"]
    ma = mr_cml(*data, n=n)
    compare(ma, block(dataset, "mr_cML_MA_BIC"))
    bic, ref = mr_cml(*data, n=n, ma=False), block(dataset, "mr_cML_BIC")
    compare(bic, ref)
    assert list(np.flatnonzero(bic["invalid"][0]) + 1) == [int(v) for v in np.atleast_1d(ref["BIC_invalid"])]
    assert_close(ma["bic_estimate"][0], ref["Estimate"], what="cML-BIC inside the MA row")


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_mbe_nome_and_delta(dataset):
    """Point estimates exact (R's density() on its 512-point grid). SE = MAD of 10000 bootstrap modes: the MAD's
    relative SD is about 1.2 % per run (efficiency 0.37), so two independent runs differ by < 6 % (3.5 SD)."""
    data = inputs(dataset)
    for order, tag in ((1, "simple"), (2, "delta")):
        res = mr_mode(*data, n_boot=10000, t_dist=False, se_order=order, seed=314159265)
        for kind, weighting in (("simple", "unweighted"), ("weighted", "weighted")):
            row, ref = res[f"{kind}_mode"], block(dataset, f"mr_mbe_{weighting}_{tag}")
            assert_close(row["estimate"], ref["Estimate"], what=f"{kind} {tag} estimate")
            assert_close(row["se"], ref["StdError"], rel=0.06, what=f"{kind} {tag} MAD SE")


ROBUST_IVW = (("mr_ivw_robust", {"robust": True}), ("mr_ivw_penalized", {"robust": False, "penalized": True}),
              ("mr_ivw_robust_penalized", {"robust": True, "penalized": True}),
              ("mr_ivw_delta", {"robust": False, "weights": "delta"}))
ROBUST_EGGER = (("mr_egger_robust", {"robust": True}), ("mr_egger_penalized", {"robust": False, "penalized": True}),
                ("mr_egger_robust_penalized", {"robust": True, "penalized": True}))


def _tolerance(ref):
    return 1e-4 if "lmrob" in ref["compare"] else 1e-6


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_robust_and_penalised_ivw(dataset):
    data = inputs(dataset)
    for name, kw in ROBUST_IVW:
        res, ref = mr_ivw_robust(*data, **kw), block(dataset, name)
        rel = _tolerance(ref)
        compare(res, ref, rel=rel)
        assert_close(res["sigma"][0], ref["RSE"], rel=rel, what="RSE")
        assert_close(res["q"][0], number(ref["Heter.Stat"])[0], rel=rel, what="Q")
        assert_close(res["q_p"][0], number(ref["Heter.Stat"])[1], rel=rel, abs_floor=1e-300, what="Q p")


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_robust_and_penalised_egger(dataset):
    data = inputs(dataset)
    pairs = (("estimate", "Estimate"), ("se", "StdError.Est"), ("ci_lower", "CILower.Est"),
             ("ci_upper", "CIUpper.Est"), ("p", "Pvalue.Est"), ("intercept", "Intercept"),
             ("intercept_se", "StdError.Int"), ("intercept_ci_lower", "CILower.Int"),
             ("intercept_ci_upper", "CIUpper.Int"), ("intercept_p", "Pvalue.Int"), ("sigma", "RSE"),
             ("i2_gx", "I.sq"))
    for name, kw in ROBUST_EGGER:
        res, ref = mr_egger_robust(*data, **kw), block(dataset, name)
        rel = _tolerance(ref)
        # p-values near 1e-7 amplify the SE's lmrob tolerance: compare them at 1e-4 / p-scale
        compare(res, ref, pairs=pairs, rel=rel, floor=1e-12)
        assert_close(res["q"][0], number(ref["Heter.Stat"])[0], rel=rel, what="Q'")


def test_hetpen_default_grid_cuts_calcium_and_wide_grid_does_not():
    data = inputs("calcium_fastgluc")
    for name, kw in (("mr_hetpen", {}), ("mr_hetpen_wide", {"grid_min": -5, "grid_max": 8})):
        res, ref = mr_hetpen(*data, **kw), block("calcium_fastgluc", name)
        compare(res, ref, pairs=(("estimate", "Estimate"), ("ci_lower", "CILower"), ("ci_upper", "CIUpper")),
                floor=1.0)
    assert "grid's edge 1" in mr_hetpen(*data)["note"][0]
    assert mr_hetpen(*data, grid_min=-5, grid_max=8)["note"][0] == ""


def _clr_compare(res, ref):
    for ours, theirs in (("ar_lower", "ARlower"), ("ar_upper", "ARupper"), ("k_lower", "Klower"),
                         ("k_upper", "Kupper"), ("ci_lower", "CLRlower"), ("ci_upper", "CLRupper")):
        expected = np.atleast_1d(number(ref[theirs]))
        if expected.size == 0:  # R's numeric(0): an empty set
            assert np.isnan(res[ours][0]), ours
        else:
            assert_close(res[ours][0], expected, rel=1e-6, abs_floor=1.0, what=ours)


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_clr(dataset):
    meta = load(dataset)
    res = mr_clr(*inputs(dataset), nx=meta["nx"], ny=meta["ny"])
    _clr_compare(res, block(dataset, "mr_clr"))
    assert np.isnan(res["estimate"][0]) and np.isnan(res["p"][0])


def test_clr_with_ld_matrix():
    meta = load("calcium_fastgluc")
    res = mr_clr(*inputs("calcium_fastgluc"), nx=meta["nx"], ny=meta["ny"], ld=np.array(meta["correlation"]))
    _clr_compare(res, block("calcium_fastgluc", "mr_clr_correl"))


@pytest.mark.parametrize("dataset", UNIVARIABLE)
def test_pcgmm(dataset):
    """optim(Brent) and uniroot tolerances: compare ~1e-4 (the p-value relative to its own size at 1e-3)."""
    meta = load(dataset)
    cases = [("mr_pcgmm_identity", None)]
    if "correlation" in meta:
        cases.append(("mr_pcgmm_correl", np.array(meta["correlation"])))
    for name, ld in cases:
        for robust, suffix in ((True, ""), (False, "_nonrobust")):
            res = mr_pcgmm(*inputs(dataset), nx=meta["nx"], ny=meta["ny"], ld=ld, robust=robust)
            ref = block(dataset, name + suffix)
            compare(res, ref, pairs=ROW[:4], rel=1e-4)
            assert_close(res["p"][0], ref["Pvalue"], rel=1e-3, what="p")
            assert res["pcs"][0] == ref["PCs"]
            assert_close(res["fstat"][0], ref["Fstat"], what="F")
            heter = np.atleast_1d(number(ref["Heter.Stat"]))
            assert_close(res["q"][0], heter[0], rel=1e-4, what="Q")
            if robust:
                assert_close(res["kappa"][0], ref["Overdispersion"], rel=1e-4, what="kappa")
                assert np.isnan(res["q_p"][0])
            else:
                assert_close(res["q_p"][0], heter[1], rel=1e-3, what="Q p")
