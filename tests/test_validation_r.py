"""mrkit against the numbers R printed (validation/expected/*.json, R 4.2.2).

Keys ``MR_*``: MendelianRandomization 0.10.0; ``TSMR_*``: TwoSampleMR 0.7.9 (bootstraps with
nboot = 10000). Deterministic quantities must agree to a relative 1e-6; bootstrap standard
errors (one R seed, 2-3 % Monte Carlo error) within 5 %.
"""
from __future__ import annotations

import json

import pytest

from mrkit import heterogeneity, mr, pleiotropy
from mrkit.gwas.io import read_harmonised

DATASETS = ["lipids_chd_ldlc", "bmi_chd"]
REL = 1e-6
ALL = ["ivw", "ivw_fe", "ivw_mre", "egger", "simple_median", "weighted_median",
       "penalised_weighted_median", "simple_mode", "weighted_mode", "ml"]


@pytest.fixture(scope="module", params=DATASETS)
def case(request, validation_dir):
    name = request.param
    data = read_harmonised(validation_dir / "harmonised" / f"{name}.csv")
    assert data.attrs["dropped"] == {}  # the R validation data are valid: nothing dropped
    expected = json.loads((validation_dir / "expected" / f"{name}.json").read_text())
    tables = {conv: mr(data, methods=ALL, convention=conv, n_boot=10000).set_index("method")
              for conv in ("twosamplemr", "mendelianrandomization")}
    return name, data, expected, tables


def _close(actual, expected, rel=REL):
    assert actual == pytest.approx(expected, rel=rel), (actual, expected)


def test_twosamplemr_deterministic(case):
    _, _, exp, tables = case
    t = tables["twosamplemr"]
    for ours, key in (("ivw", "TSMR_ivw"), ("ivw_fe", "TSMR_ivw_fe"), ("ivw_mre", "TSMR_ivw_mre"),
                      ("egger", "TSMR_egger"), ("ml", "TSMR_ml")):
        _close(t.loc[ours, "estimate"], exp[key]["b"])
        _close(t.loc[ours, "se"], exp[key]["se"])
        _close(t.loc[ours, "p"], exp[key]["pval"])
        assert t.loc[ours, "nsnp"] == exp[key]["nsnp"]
    for ours, key in (("weighted_median", "TSMR_weighted_median"),
                      ("simple_median", "TSMR_simple_median"),
                      ("penalised_weighted_median", "TSMR_penalised_weighted_median"),
                      ("simple_mode", "TSMR_simple_mode"), ("weighted_mode", "TSMR_weighted_mode")):
        _close(t.loc[ours, "estimate"], exp[key]["b"])


def test_twosamplemr_bootstrap_se_within_5_percent(case):
    _, _, exp, tables = case
    t = tables["twosamplemr"]
    for ours, key in (("weighted_median", "TSMR_weighted_median"),
                      ("simple_median", "TSMR_simple_median"),
                      ("penalised_weighted_median", "TSMR_penalised_weighted_median"),
                      ("simple_mode", "TSMR_simple_mode"), ("weighted_mode", "TSMR_weighted_mode")):
        _close(t.loc[ours, "se"], exp[key]["se"], rel=0.05)


def test_twosamplemr_heterogeneity_and_pleiotropy(case):
    _, data, exp, _ = case
    het = heterogeneity(data).set_index("method")
    for ours, key in (("ivw", "TSMR_ivw"), ("egger", "TSMR_egger")):
        _close(het.loc[ours, "q"], exp[key]["Q"])
        assert het.loc[ours, "df"] == exp[key]["Q_df"]
        _close(het.loc[ours, "p"], exp[key]["Q_pval"])
    ple = pleiotropy(data).iloc[0]
    _close(ple["intercept"], exp["TSMR_egger"]["b_i"])
    _close(ple["se"], exp["TSMR_egger"]["se_i"])
    _close(ple["p"], exp["TSMR_egger"]["pval_i"])


def test_twosamplemr_ml_q(case):
    from mrkit.methods.ml import mr_ml
    from mrkit.methods.mrdata import as_mrdata
    _, data, exp, _ = case
    res = mr_ml(*as_mrdata(data).arrays())
    _close(res["q"], exp["TSMR_ml"]["Q"])
    _close(res["q_p"], exp["TSMR_ml"]["Q_pval"])


def test_mendelianrandomization_deterministic(case):
    _, data, exp, tables = case
    t = tables["mendelianrandomization"]
    for ours, key in (("ivw", "MR_ivw_default"), ("ivw_fe", "MR_ivw_fixed"),
                      ("egger", "MR_egger"), ("ml", "MR_maxlik")):
        for field in ("estimate", "se", "ci_lower", "ci_upper", "p"):
            _close(t.loc[ours, field], exp[key][field])
    # MendelianRandomization's "random" model is TwoSampleMR's floored one
    _close(t.loc["ivw", "se"], exp["MR_ivw_random"]["se"])
    for ours, key in (("weighted_median", "MR_weighted_median"),
                      ("simple_median", "MR_simple_median"),
                      ("penalised_weighted_median", "MR_penalized_median"),
                      ("simple_mode", "MR_mbe_simple"), ("weighted_mode", "MR_mbe_weighted")):
        _close(t.loc[ours, "estimate"], exp[key]["estimate"])
        _close(t.loc[ours, "se"], exp[key]["se"], rel=0.05)
    het = heterogeneity(data, "mendelianrandomization").set_index("method")
    _close(het.loc["ivw", "q"], exp["MR_ivw_fixed"]["heter_q"])
    _close(het.loc["ivw", "p"], exp["MR_ivw_fixed"]["heter_p"])
    _close(het.loc["egger", "q"], exp["MR_egger"]["heter_q"])
    ple = pleiotropy(data, "mendelianrandomization").iloc[0]
    for ours, key in (("intercept", "intercept"), ("se", "intercept_se"), ("p", "intercept_p"),
                      ("i2gx", "i2gx")):
        _close(ple[ours], exp["MR_egger"][key])


def test_egger_residual_se(case):
    from mrkit.methods.egger import mr_egger
    from mrkit.methods.mrdata import as_mrdata
    _, data, exp, _ = case
    _close(mr_egger(*as_mrdata(data).arrays())["sigma"], exp["MR_egger"]["rse"])


def test_conventions_differ_where_r_packages_do(case):
    """The documented disagreements are real: WM weights, Egger p, ML SE."""
    _, _, exp, tables = case
    tsmr, mrp = tables["twosamplemr"], tables["mendelianrandomization"]
    assert tsmr.loc["weighted_median", "estimate"] != pytest.approx(
        mrp.loc["weighted_median", "estimate"], rel=1e-4)
    assert tsmr.loc["egger", "distribution"].startswith("t(")
    assert mrp.loc["egger", "distribution"] == "normal"
    assert mrp.loc["ml", "se"] > tsmr.loc["ml", "se"]


def test_presso_row_is_ivw_without_its_outliers(case):
    """The ``presso`` row is the unfloored IVW (lm) fit on the SNPs MR-PRESSO kept."""
    import numpy as np

    from mrkit.methods.ivw import mr_ivw
    from mrkit.methods.mrdata import as_mrdata
    from mrkit.methods.presso import mr_presso
    _, data, _, _ = case
    d = as_mrdata(data).canonical()
    res = mr_presso(*d.arrays(), snp=list(d.snp), n_distributions=1000)
    row = mr(data, methods=["presso"], presso_n=1000).iloc[0]
    kept = d.subset(~np.isin(d.snp, res.outliers))
    ivw = mr_ivw(*kept.arrays(), se_model="random_unfloored")
    _close(row["estimate"], ivw["estimate"], rel=1e-12)
    _close(row["se"], ivw["se"], rel=1e-10)
    assert row["nsnp"] == kept.k
