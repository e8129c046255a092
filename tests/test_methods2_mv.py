"""R parity of the multivariable estimators and diagnostics of issue 23: MV-Lasso, MVMR-cML-BIC, MV median
(MendelianRandomization 0.10.0) and MVMR 0.4.6's conditional F and Q_A with ``gencov = phenocov_mvmr(pcor, bxse)``.

Golden numbers: ``../shared/validation/expected/methods2/{lipids_chd_mv,mrpresso_mv}.json`` (see the MANIFEST's
"More methods"), at each block's ``compare`` tolerance.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from methods2_reference import MULTIVARIABLE, assert_close, block, inputs, load, number

from mrkit.methods.mrlasso import mr_mvlasso
from mrkit.methods.multivariable import mr_mvmedian
from mrkit.methods.mv_diagnostics import conditional_f_gencov, q_a_gencov
from mrkit.methods.mvcml import mr_mvcml

ROW = (("estimate", "Estimate"), ("se", "StdError"), ("ci_lower", "CILower"), ("ci_upper", "CIUpper"),
       ("p", "Pvalue"))


def compare(res, ref, rel=1e-6):
    for ours, theirs in ROW:
        assert_close(res[ours][0], ref[theirs], rel=rel, what=ours)


@pytest.mark.parametrize("dataset", MULTIVARIABLE)
def test_mv_lasso(dataset):
    data, meta = inputs(dataset), load(dataset)
    snps = np.array(meta["input"]["SNP"])
    for name, lam in (("mr_mvlasso", None), ("mr_mvlasso_fixed", meta["lasso_fixed_lambda"])):
        res, ref = mr_mvlasso(*data, lam=lam), block(dataset, name)
        compare(res, ref)
        assert_close(res["lambda"][0], ref["Lambda"], what="lambda")
        assert res["n_valid"][0] == ref["Valid"]
        assert list(snps[res["valid"][0]]) == list(ref["ValidSNPs"])
        assert_close(res["reg_estimate"][0], ref["RegEstimate"], rel=1e-4, what="RegEstimate")
        scale = np.max(np.abs(number(ref["RegIntercept"])))
        assert np.max(np.abs(res["intercepts"][0] - number(ref["RegIntercept"]))) <= 1e-4 * scale


@pytest.mark.parametrize("dataset", MULTIVARIABLE)
def test_mv_cml(dataset):
    """Estimates deterministic (1e-6); R's SE is numDeriv::hessian of the profile likelihood (Richardson
    extrapolation, ~1e-8 here), ours its analytic Hessian: 1e-6 holds."""
    data, meta = inputs(dataset), load(dataset)
    k = meta["K"]
    rho = np.eye(k + 1)
    rho[:k, :k] = np.array(meta["pcor"])
    for name, kw in (("mr_mvcML", {}), ("mr_mvcML_rho", {"rho": rho})):
        res, ref = mr_mvcml(*data, n=meta["n_cml"], **kw), block(dataset, name)
        compare(res, ref)
        assert res["k_hat"][0] == ref["K_hat"]
        assert list(np.flatnonzero(res["invalid"][0]) + 1) == [int(v) for v in np.atleast_1d(ref["BIC_invalid"])]


@pytest.mark.parametrize("dataset", MULTIVARIABLE)
def test_mv_median_estimate_and_bootstrap_se(dataset):
    """The estimate is rq's exact L1 optimum (1e-6). The SE is the SD of bootstrap refits: with n = 2000 draws
    here and R's 10000, the relative SE of the difference is about sqrt(1/(2 * 2000) + 1/(2 * 10000)) = 1.7 %
    for near-normal draws; the bound is 4.5 of those (LAD bootstrap draws have heavier tails)."""
    data = inputs(dataset)
    ref = block(dataset, "mr_mvmedian")
    n = 2000
    rows = mr_mvmedian(*data, n_boot=n, seed=314159265)
    assert_close([r["estimate"] for r in rows], ref["Estimate"], what="MV median estimate")
    rel = 4.5 * math.sqrt(1 / (2 * n) + 1 / (2 * 10000))
    assert_close([r["se"] for r in rows], ref["StdError"], rel=rel, what="MV median bootstrap SE")


@pytest.mark.parametrize("dataset", MULTIVARIABLE)
def test_conditional_f_and_q_a_with_and_without_gencov(dataset):
    data, meta = inputs(dataset), load(dataset)
    pcor = np.array(meta["pcor"])
    for tag, arg in (("gencov", pcor), ("gencov0", None)):
        assert_close(conditional_f_gencov(data[0], data[1], arg)[0],
                     block(dataset, f"strength_mvmr_{tag}", "MVMR")["conditional_F"], what=f"F {tag}")
        res, ref = q_a_gencov(*data, pcor=arg), block(dataset, f"pleiotropy_mvmr_{tag}", "MVMR")
        assert_close(res["q"][0], ref["Qstat"], what="Q_A")
        assert_close(res["p"][0], ref["Qpval"], what="Q_A p")
        assert res["df"] == len(data[2]) - meta["K"] - 1 == ref.get("df", res["df"])
