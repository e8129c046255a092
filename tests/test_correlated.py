"""IVW and MR-Egger with correlated variants (MendelianRandomization mr_ivw / mr_egger with an LD matrix).

Golden numbers: ``../shared/validation/expected/methods2/calcium_fastgluc.json``, blocks ``mr_ivw_correl``,
``mr_ivw_correl_fixed`` and ``mr_egger_correl`` (R 4.2.2, MendelianRandomization 0.10.0, the 6 x 6 ``calc.rho``
of ``../shared/validation/calc_rho_6x6.csv``), compared at 1e-6 relative (deterministic). The other checks are
independent of R: with the identity matrix the fits are the ordinary first-order IVW and MR-Egger (weighted least
squares, statsmodels), and recoding a variant's alleles (its bx, by and its LD row and column negated) changes
nothing.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from conftest import SHARED

import mrkit
from mrkit.errors import InputError, NotEstimable
from mrkit.methods.correlated import mr_egger_correl, mr_ivw_correl

VALIDATION = SHARED / "validation"


@pytest.fixture(scope="module")
def calcium():
    raw = pd.read_csv(VALIDATION / "calcium_fastgluc_6snps.csv")
    data = tuple(raw[c].to_numpy() for c in ("calcium", "calciumse", "fastgluc", "fastglucse"))
    rho = pd.read_csv(VALIDATION / "calc_rho_6x6.csv").to_numpy(dtype=float)
    want = json.loads((VALIDATION / "expected" / "methods2" / "calcium_fastgluc.json").read_text())
    return data, rho, want["MendelianRandomization"]


def test_ivw_correl_equals_r(calcium):
    data, rho, r = calcium
    for block, model in (("mr_ivw_correl", "default"), ("mr_ivw_correl_fixed", "fixed")):
        res, ref = mr_ivw_correl(*data, ld=rho, model=model), r[block]
        for ours, theirs in (("estimate", "Estimate"), ("se", "StdError"), ("ci_lower", "CILower"),
                             ("ci_upper", "CIUpper"), ("p", "Pvalue"), ("rse", "RSE")):
            assert res[ours][0] == pytest.approx(ref[theirs], rel=1e-6), (block, ours)
        assert res["q"][0] == pytest.approx(ref["Heter.Stat"][0], rel=1e-6)
        assert res["q_p"][0] == pytest.approx(ref["Heter.Stat"][1], rel=1e-6)


def test_egger_correl_equals_r(calcium):
    data, rho, r = calcium
    res, ref = mr_egger_correl(*data, ld=rho), r["mr_egger_correl"]
    for ours, theirs in (("estimate", "Estimate"), ("se", "StdError.Est"), ("ci_lower", "CILower.Est"),
                         ("ci_upper", "CIUpper.Est"), ("p", "Pvalue.Est"), ("intercept", "Intercept"),
                         ("intercept_se", "StdError.Int"), ("intercept_p", "Pvalue.Int"), ("rse", "RSE")):
        assert res[ours][0] == pytest.approx(ref[theirs], rel=1e-6), ours
    assert res["q"][0] == pytest.approx(ref["Heter.Stat"][0], rel=1e-6)


def test_with_the_identity_they_are_weighted_least_squares_and_allele_coding_does_not_matter():
    rng = np.random.default_rng(23)  # seed 23
    k = 12
    bx = rng.uniform(0.02, 0.1, k) * rng.choice([-1.0, 1.0], k)
    bxse, byse = rng.uniform(0.004, 0.008, k), rng.uniform(0.01, 0.03, k)
    by = 0.3 * bx + 0.01 + byse * rng.standard_normal(k)
    ivw = mr_ivw_correl(bx, bxse, by, byse, ld=np.eye(k))
    wls = sm.WLS(by, bx[:, None], weights=byse ** -2.0).fit()
    assert ivw["estimate"][0] == pytest.approx(wls.params[0], rel=1e-10)
    assert ivw["se"][0] == pytest.approx(wls.bse[0] / min(1.0, np.sqrt(wls.scale)), rel=1e-10)
    egger = mr_egger_correl(bx, bxse, by, byse, ld=np.eye(k))
    fit = sm.WLS(by * np.sign(bx), sm.add_constant(np.abs(bx)), weights=byse ** -2.0).fit()
    assert egger["estimate"][0] == pytest.approx(fit.params[1], rel=1e-10)
    assert egger["intercept"][0] == pytest.approx(fit.params[0], rel=1e-10)
    assert egger["se"][0] == pytest.approx(fit.bse[1] / min(1.0, np.sqrt(fit.scale)), rel=1e-10)
    # an LD matrix, and the same data with variant 0's alleles swapped: bx, by and rho's row and column negated
    a = rng.uniform(-0.5, 0.5, (k, k))
    cov = a @ a.T + 0.5 * np.eye(k)
    rho = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))  # a correlation matrix, positive definite
    flip = np.ones(k)
    flip[0] = -1.0
    for fn in (mr_ivw_correl, mr_egger_correl):
        one = fn(bx, bxse, by, byse, ld=rho)
        other = fn(bx * flip, bxse, by * flip, byse, ld=rho * np.outer(flip, flip))
        assert other["estimate"][0] == pytest.approx(one["estimate"][0], rel=1e-10)
        assert other["se"][0] == pytest.approx(one["se"][0], rel=1e-10)


def test_mr_runs_them_with_the_ld_option_and_says_when_it_is_missing(calcium):
    data, rho, r = calcium
    table = pd.DataFrame(dict(zip(("bx", "bxse", "by", "byse"), data), SNP=[f"s{i}" for i in range(6)]))
    out = mrkit.mr(table, methods=["ivw_correl", "egger_correl"], options={"ld": rho}).set_index("method")
    assert out.loc["ivw_correl", "estimate"] == pytest.approx(r["mr_ivw_correl"]["Estimate"], rel=1e-6)
    assert out.loc["egger_correl", "estimate"] == pytest.approx(r["mr_egger_correl"]["Estimate"], rel=1e-6)
    missing = mrkit.mr(table, methods=["ivw_correl"]).iloc[0]
    assert np.isnan(missing["estimate"]) and "--ld" in missing["note"]
    with pytest.raises(InputError, match="positive definite"):
        mr_ivw_correl(*data, ld=-np.eye(6))
    with pytest.raises(NotEstimable):
        mr_egger_correl(*(a[:2] for a in data), ld=np.eye(2))
