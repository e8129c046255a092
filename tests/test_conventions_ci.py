"""The confidence interval of each convention (issue 23).

TwoSampleMR's only interval is ``generate_odds_ratios``: ``b -/+ 1.96 se`` for every method, MR-Egger included
(``validation/expected/tsmr_outputs/<dataset>.json``, block ``generate_odds_ratios``, R 4.2.2, TwoSampleMR c14776b8);
MendelianRandomization's follows each method's distribution (``validation/expected/<dataset>.json`` ``MR_*``).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from mrkit import mr, odds_ratios
from mrkit.gwas.io import read_harmonised
from mrkit.methods.conventions import apply_convention_ci, convention_interval, get_convention

DATASETS = ["lipids_chd_ldlc", "bmi_chd"]
R_NAMES = {"MR Egger": "egger", "Inverse variance weighted": "ivw", "Weighted median": "weighted_median",
           "Simple mode": "simple_mode", "Weighted mode": "weighted_mode"}


@pytest.fixture(scope="module", params=DATASETS)
def case(request, validation_dir):
    name = request.param
    data = read_harmonised(validation_dir / "harmonised" / f"{name}.csv")
    expected = json.loads((validation_dir / "expected" / "tsmr_outputs" / f"{name}.json").read_text())
    return name, data, {R_NAMES[row["method"]]: row for row in expected["generate_odds_ratios"]["rows"]}


def test_twosamplemr_intervals_are_generate_odds_ratios(case):
    _, data, rows = case
    table = mr(data, methods=list(R_NAMES.values()), convention="twosamplemr").set_index("method")
    for method in ("egger", "ivw"):  # deterministic rows: every number to 1e-6
        r, t = rows[method], table.loc[method]
        for ours, key in (("estimate", "b"), ("se", "se"), ("p", "pval"), ("ci_lower", "lo_ci"), ("ci_upper", "up_ci")):
            assert t[ours] == pytest.approx(r[key], rel=1e-6), (method, key)
    assert table.loc["egger", "distribution"].startswith("t(")  # the p-value stays TwoSampleMR's t(k - 2)
    for method in R_NAMES.values():
        t = table.loc[method]
        assert t["ci_distribution"] == "normal (1.96)"
        assert t["ci_lower"] == pytest.approx(t["estimate"] - 1.96 * t["se"], rel=1e-12)
        assert t["ci_upper"] == pytest.approx(t["estimate"] + 1.96 * t["se"], rel=1e-12)


def test_odds_ratios_default_to_the_tables_interval(case):
    _, data, rows = case
    table = odds_ratios(mr(data, methods=["egger", "ivw"], convention="twosamplemr")).set_index("method")
    for method in ("egger", "ivw"):
        for key in ("or", "or_lci95", "or_uci95"):
            assert table.loc[method, key] == pytest.approx(rows[method][key], rel=1e-6), (method, key)


def test_mendelianrandomization_intervals_follow_the_distribution(case, validation_dir):
    name, data, _ = case
    t = mr(data, methods=["egger"], convention="mendelianrandomization").iloc[0]
    assert t["ci_distribution"] == "normal" and t["distribution"] == "normal"
    z = 1.959963984540054
    assert t["ci_lower"] == pytest.approx(t["estimate"] - z * t["se"], rel=1e-12)
    r = json.loads((validation_dir / "expected" / f"{name}.json").read_text())["MR_egger"]  # mr_egger(), 0.10.0
    assert t["ci_lower"] == pytest.approx(r["ci_lower"], rel=1e-6) and t["ci_upper"] == pytest.approx(r["ci_upper"],
                                                                                                    rel=1e-6)


def test_convention_interval_on_arrays_and_result_dicts():
    est, se = np.array([1.0, -2.0, 0.5]), np.array([0.1, 0.5, 0.2])
    lo, hi, label = convention_interval(est, se, 10, "twosamplemr")
    assert label == "normal (1.96)" and np.allclose(lo, est - 1.96 * se) and np.allclose(hi, est + 1.96 * se)
    lo, hi, label = convention_interval(est, se, 10, "mendelianrandomization")
    from scipy import stats
    assert label == "t(10)" and np.allclose(hi, est + stats.t.ppf(0.975, 10) * se)
    result = {"estimate": est, "se": se, "ci_lower": est, "ci_upper": est, "ci_distribution": "t(10)",
              "intercept": est / 10, "intercept_se": se / 10, "intercept_ci_lower": est, "intercept_ci_upper": est}
    apply_convention_ci(result, get_convention("twosamplemr"))
    assert np.allclose(result["ci_upper"], est + 1.96 * se) and result["ci_distribution"] == "normal (1.96)"
    assert np.allclose(result["intercept_ci_lower"], est / 10 - 1.96 * se / 10)
    untouched = {"estimate": est, "se": se, "ci_lower": est, "ci_upper": est, "ci_distribution": "t(10)"}
    assert apply_convention_ci(dict(untouched), "mendelianrandomization")["ci_distribution"] == "t(10)"


def test_i2gx_conventions_differ_only_through_the_spread_of_byse(validation_dir):
    """TwoSampleMR's Isq(abs(bx), se.exposure) (rucker.R, written out here) and MendelianRandomization's I.sq
    (``expected/lipids_chd_ldlc.json`` MR_egger i2gx = 0.91936538831957): the same z_j = |bx_j|/bxse_j, a different
    fitted mean; with a constant byse they coincide."""
    from mrkit import pleiotropy
    from mrkit.methods.heterogeneity import i2_gx
    data = read_harmonised(validation_dir / "harmonised" / "lipids_chd_ldlc.csv")
    bx, bxse, byse = (data[c].to_numpy(float) for c in ("bx", "bxse", "byse"))
    w = 1 / bxse ** 2
    q = np.sum(w * (np.abs(bx) - np.sum(w * np.abs(bx)) / np.sum(w)) ** 2)
    tsmr = max(0.0, (q - (bx.size - 1)) / q)
    assert pleiotropy(data, "twosamplemr")["i2gx"][0] == pytest.approx(tsmr, rel=1e-12)
    assert tsmr == pytest.approx(0.92874, abs=5e-6)
    expected = json.loads((validation_dir / "expected" / "lipids_chd_ldlc.json").read_text())
    mr_pkg = pleiotropy(data, "mendelianrandomization")["i2gx"][0]
    assert mr_pkg == pytest.approx(expected["MR_egger"]["i2gx"], rel=1e-9)
    same = np.full(bx.size, float(np.mean(byse)))
    assert i2_gx(bx, bxse, same) == pytest.approx(i2_gx(bx, bxse), rel=1e-12)
    assert np.corrcoef(np.abs(bx), byse)[0, 1] > 0.4  # the reason the ratio-scale mean fits better here


def test_the_registry_gives_every_result_the_conventions_interval(validation_dir):
    """The rule is applied where every method is run (the registry): run_method, the simulation study's path, on a
    batch, and the multivariable rows. Under twosamplemr an estimate -/+ q se interval becomes estimate -/+ 1.96 se
    (MR-Egger keeps its t(k - 2) p-value); ConMix's grid interval and CLR's test inversion are the method's own
    under both conventions (TwoSampleMR has neither method)."""
    from mrkit.methods.multivariable import mv_mr
    from mrkit.methods.registry import Context, run_method

    rng = np.random.default_rng(5)
    bx = rng.uniform(0.05, 0.2, (3, 15))
    bxse, byse = np.full((3, 15), 0.01), np.full((3, 15), 0.02)
    by = 0.3 * bx + byse * rng.standard_normal((3, 15))
    inputs = {"samplesize.exposure": np.full(15, 50000.0), "samplesize.outcome": np.full(15, 60000.0)}
    ctx = {name: Context(convention=get_convention(name), inputs=inputs)
           for name in ("twosamplemr", "mendelianrandomization")}
    egger = run_method("egger", bx, bxse, by, byse, ctx["twosamplemr"])
    np.testing.assert_allclose(egger["ci_upper"], egger["estimate"] + 1.96 * egger["se"], rtol=1e-14)
    assert egger["ci_distribution"] == "normal (1.96)" and egger["distribution"] == "t(13)"
    from scipy import stats

    mr_egger = run_method("egger", bx, bxse, by, byse, ctx["mendelianrandomization"])
    np.testing.assert_allclose(mr_egger["ci_upper"] - mr_egger["estimate"], stats.norm.ppf(0.975) * mr_egger["se"])
    for method_id in ("conmix", "clr"):
        a, b = (run_method(method_id, bx, bxse, by, byse, ctx[c]) for c in ctx)
        np.testing.assert_array_equal(a["ci_lower"], b["ci_lower"])
        np.testing.assert_array_equal(a["ci_upper"], b["ci_upper"])
        assert a["ci_distribution"] == b["ci_distribution"] != "normal (1.96)"
    d = json.loads((validation_dir / "expected" / "methods2" / "lipids_chd_mv.json").read_text())["input"]
    frame = {"SNP": d["SNP"], "by": d["by"], "byse": d["byse"],
             **{f"bx{i + 1}": d["bx"][i] for i in range(3)}, **{f"bxse{i + 1}": d["bxse"][i] for i in range(3)}}
    t = mv_mr(frame, methods=["mv_egger"], convention="twosamplemr")
    np.testing.assert_allclose(t["ci_lower"], t["estimate"] - 1.96 * t["se"], rtol=1e-14)
    assert (t["ci_distribution"] == "normal (1.96)").all() and (t["distribution"] == "t(24)").all()
