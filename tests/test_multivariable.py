"""Multivariable MR (mrkit.methods.multivariable) against independent computations.

Golden numbers are not hard-coded: every estimator is checked against a computation that shares no
code with it. MV-IVW and MV-Egger against statsmodels WLS (the ``lm`` fits MendelianRandomization 0.10.0
``mr_mvivw``/``mr_mvegger`` and TwoSampleMR ``mv_multiple`` call), the conditional F (MVMR
``strength_mvmr``, gencov = 0) and Q_A (MVMR ``pleiotropy_mvmr``) by explicit loops over their published
formulas, the MV median's L1 regression by the closed form it has with one exposure (a weighted median of
the ratios) and by a second LP solver. Data: the 28 lipid variants of MendelianRandomization's example
(LDL-c, HDL-c, triglycerides -> CHD; ../shared/validation), the data of its mr_mvivw vignette example.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

from mrkit.errors import InputError, NotEstimable
from mrkit.gwas.io.multivariable import read_multivariable
from mrkit.methods import multivariable as mvm
from mrkit.methods.ivw import mr_ivw
from mrkit.methods.mv_median import _lad_batch
from mrkit.methods.mvdata import as_mvdata

LIPIDS = Path(__file__).resolve().parents[1] / ".." / "shared" / "validation" / "lipids_chd_waterworth2010_28snps.csv"
REL = 1e-9


@pytest.fixture(scope="module")
def lipids():
    if not LIPIDS.is_file():
        pytest.skip("../shared/validation is not beside the checkout")
    d = pd.read_csv(LIPIDS)
    bx = d[["ldlc", "hdlc", "trig"]].to_numpy()
    bxse = d[["ldlcse", "hdlcse", "trigse"]].to_numpy()
    return bx, bxse, d["chdlodds"].to_numpy(), d["chdloddsse"].to_numpy()


def _wls(y, x, w):
    return sm.WLS(y, x, weights=w).fit()


@pytest.mark.parametrize("model", ["fixed", "random_floored", "random_unfloored"])
def test_mv_ivw_equals_statsmodels_wls(lipids, model):
    bx, bxse, by, byse = lipids
    fit = _wls(by, bx, byse ** -2)
    sigma = math.sqrt(fit.scale)
    expected_se = {"fixed": fit.bse / sigma, "random_floored": fit.bse / min(1.0, sigma),
                   "random_unfloored": fit.bse}[model]
    rows = mvm.mr_mvivw(bx, bxse, by, byse, se_model=model)
    np.testing.assert_allclose([r["estimate"] for r in rows], fit.params, rtol=REL)
    np.testing.assert_allclose([r["se"] for r in rows], expected_se, rtol=REL)
    np.testing.assert_allclose([r["p"] for r in rows], 2 * stats.norm.sf(np.abs(fit.params / expected_se)), rtol=1e-8)
    # Cochran's Q = residual sum of squares of the weighted fit, J - K df (MendelianRandomization Heter.Stat)
    assert rows[0]["q"] == pytest.approx(fit.ssr, rel=REL) and rows[0]["q_df"] == 25


def test_mv_ivw_default_model_is_fixed_below_four_variants(lipids):
    bx, bxse, by, byse = (a[:3, :2] if a.ndim == 2 else a[:3] for a in lipids)
    assert [r["se_model"] for r in mvm.mr_mvivw(bx, bxse, by, byse)] == ["fixed", "fixed"]
    assert mvm.mr_mvivw(*lipids)[0]["se_model"] == "random_floored"


@pytest.mark.parametrize("model", ["fixed", "random_floored", "random_unfloored"])
def test_one_exposure_mv_ivw_is_univariable_ivw(lipids, model):
    bx, bxse, by, byse = lipids
    mv = mvm.mr_mvivw(bx[:, :1], bxse[:, :1], by, byse, se_model=model)[0]
    uni = mr_ivw(bx[:, 0], bxse[:, 0], by, byse, se_model=model)
    for key in ("estimate", "se", "p", "ci_lower", "ci_upper", "q"):
        assert mv[key] == pytest.approx(uni[key], rel=1e-10), key


def test_mv_egger_equals_statsmodels_on_oriented_data(lipids):
    bx, bxse, by, byse = lipids
    sign = np.sign(bx[:, 0])
    fit = _wls(by * sign, sm.add_constant(bx * sign[:, None]), byse ** -2)
    floor = min(1.0, math.sqrt(fit.scale))
    res = mvm.mr_mvegger(bx, bxse, by, byse)
    np.testing.assert_allclose([r["estimate"] for r in res["rows"]], fit.params[1:], rtol=REL)
    np.testing.assert_allclose([r["se"] for r in res["rows"]], fit.bse[1:] / floor, rtol=REL)
    assert res["intercept"]["estimate"] == pytest.approx(fit.params[0], rel=REL)
    assert res["intercept"]["se"] == pytest.approx(fit.bse[0] / floor, rel=REL)
    assert res["intercept"]["p"] == pytest.approx(2 * stats.norm.sf(abs(fit.params[0] / (fit.bse[0] / floor))),
                                                  rel=1e-8)
    assert res["q_df"] == 28 - 3 - 1
    t = mvm.mr_mvegger(bx, bxse, by, byse, t_dist=True)
    assert t["intercept"]["distribution"] == "t(24)"
    assert t["intercept"]["p"] == pytest.approx(2 * stats.t.sf(abs(fit.params[0] / (fit.bse[0] / floor)), 24), rel=1e-8)


def test_mv_egger_orientation_follows_the_chosen_exposure(lipids):
    bx, bxse, by, byse = lipids
    flip = np.arange(28) % 3 == 0
    s = np.where(flip, -1.0, 1.0)
    a = mvm.mr_mvegger(bx, bxse, by, byse, orientate=1)
    b = mvm.mr_mvegger(bx * s[:, None], bxse, by * s, byse, orientate=1)
    assert a["intercept"]["estimate"] == pytest.approx(b["intercept"]["estimate"], rel=1e-12)
    assert a["orientate"] == 1


def test_conditional_f_by_hand(lipids):
    """MVMR strength_mvmr (gencov = 0), written out with explicit loops."""
    bx, bxse, _, _ = lipids
    j, k = bx.shape
    expected = []
    for i in range(k):
        others = [m for m in range(k) if m != i]
        x = bx[:, others]
        delta = np.linalg.inv(x.T @ x) @ x.T @ bx[:, i]  # lm(bx_i ~ -1 + bx_others), unweighted
        total = 0.0
        for row in range(j):
            sigma2 = bxse[row, i] ** 2 + sum(bxse[row, m] ** 2 * d ** 2 for m, d in zip(others, delta))
            total += (bx[row, i] - sum(bx[row, m] * d for m, d in zip(others, delta))) ** 2 / sigma2
        expected.append(total / j)
    np.testing.assert_allclose(mvm.conditional_f(bx, bxse), expected, rtol=1e-10)
    # one exposure: the mean F
    assert mvm.conditional_f(bx[:, :1], bxse[:, :1])[0] == pytest.approx(np.mean((bx[:, 0] / bxse[:, 0]) ** 2))


def test_q_a_by_hand(lipids):
    """MVMR pleiotropy_mvmr (gencov = 0): Q_A on J - K - 1 df."""
    bx, bxse, by, byse = lipids
    theta = _wls(by, bx, byse ** -2).params
    q = sum((by[j] - bx[j] @ theta) ** 2 / (byse[j] ** 2 + sum(theta[k] ** 2 * bxse[j, k] ** 2 for k in range(3)))
            for j in range(28))
    res = mvm.q_a(bx, bxse, by, byse)
    assert res["q"] == pytest.approx(q, rel=1e-10) and res["df"] == 24
    assert res["p"] == pytest.approx(stats.chi2.sf(q, 24), rel=1e-10)


def _lower_weighted_median(values, weights):
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = np.cumsum(w) / w.sum()
    return v[np.searchsorted(cum, 0.5)]


def test_median_regression_with_one_exposure_is_a_weighted_median_of_ratios(lipids):
    """rq(by ~ bx - 1, weights = byse^-2): sum w|bx||ratio - theta|, minimised by a weighted median."""
    bx, _, by, byse = lipids
    theta = mvm.lad_fit(bx[:, :1], by, byse ** -2.0)[0]
    expected = _lower_weighted_median(by / bx[:, 0], np.abs(bx[:, 0]) * byse ** -2.0)
    assert theta == pytest.approx(expected, rel=1e-12)


def test_median_regression_is_the_l1_optimum(lipids):
    bx, _, by, byse = lipids
    w = byse ** -2.0
    theta = mvm.lad_fit(bx, by, w)
    obj = lambda t: np.sum(w * np.abs(by - bx @ t))
    # an interior-point LP (another algorithm) reaches the same objective value
    n, p = bx.shape
    res = optimize.linprog(np.concatenate([np.zeros(p), w, w]), A_eq=np.hstack([bx, np.eye(n), -np.eye(n)]),
                           b_eq=by, bounds=[(None, None)] * p + [(0, None)] * (2 * n), method="highs-ipm")
    assert obj(theta) <= res.fun * (1 + 1e-9)
    np.testing.assert_allclose(theta, res.x[:p], rtol=1e-6)
    # a vertex: as many zero residuals as exposures
    assert np.sum(np.abs(by - bx @ theta) < 1e-12) == p
    rng = np.random.default_rng(1)
    for _ in range(200):
        assert obj(theta) <= obj(theta + rng.normal(scale=1e-3, size=p))


def test_batched_median_regression_equals_one_at_a_time(lipids):
    bx, bxse, by, byse = lipids
    rng = np.random.default_rng(7)
    xb = bx + bxse * rng.standard_normal((40, *bx.shape))
    yb = by + byse * rng.standard_normal((40, by.size))
    batch = _lad_batch(xb, yb, byse ** -2.0)
    single = np.array([mvm.lad_fit(xb[i], yb[i], byse ** -2.0) for i in range(40)])
    np.testing.assert_allclose(batch, single, rtol=1e-9, atol=1e-12)


def test_mv_median_bootstrap_se_within_monte_carlo_error(lipids):
    """Two independent seeds: bootstrap SDs differ by no more than their Monte Carlo error allows.

    The SD of n draws has relative SE about 1/sqrt(2(n - 1)); the difference of two such estimates
    has relative SE sqrt(2) times that; 4 of those is a bound a correct bootstrap fails with p < 1e-4.
    """
    n = 2000
    a = [r["se"] for r in mvm.mr_mvmedian(*lipids, n_boot=n, seed=11)]
    b = [r["se"] for r in mvm.mr_mvmedian(*lipids, n_boot=n, seed=12)]
    rel = 4 * math.sqrt(2) / math.sqrt(2 * (n - 1))
    np.testing.assert_allclose(a, b, rtol=rel)
    c = mvm.mr_mvmedian(*lipids, n_boot=n, seed=11)
    assert [r["se"] for r in c] == a  # seeded: the same numbers again
    assert c[0]["seed"] == 11 and c[0]["n_boot"] == n


def _frame(bx, bxse, by, byse, names=("ldl", "hdl", "tg")):
    d = {"SNP": [f"rs{i}" for i in range(len(by))]}
    for i, n in enumerate(names):
        d[f"bx_{n}"], d[f"bxse_{n}"] = bx[:, i], bxse[:, i]
    d["by"], d["byse"] = by, byse
    return pd.DataFrame(d)


def test_table_is_invariant_to_allele_coding_and_row_order(lipids):
    frame = _frame(*lipids)
    base = mvm.mv_mr(frame, n_boot=300, seed=5)
    rng = np.random.default_rng(3)
    flip = rng.random(len(frame)) < 0.5
    other = frame.copy()
    for c in ("bx_ldl", "bx_hdl", "bx_tg", "by"):
        other.loc[flip, c] *= -1
    other = other.iloc[rng.permutation(len(other))].reset_index(drop=True)
    again = mvm.mv_mr(other, n_boot=300, seed=5)
    pd.testing.assert_frame_equal(base, again, check_exact=False, rtol=1e-10)


def test_table_columns_and_conventions(lipids):
    frame = _frame(*lipids)
    t = mvm.mv_mr(frame, methods=["mv_ivw", "mv_ivw_fe", "mv_egger"], convention="twosamplemr")
    assert list(t.columns[:3]) == ["exposure", "outcome", "method"]
    assert set(t["exposure"]) == {"ldl", "hdl", "tg"} and (t["convention"] == "twosamplemr").all()
    ivw = t[t["method"] == "mv_ivw"]
    assert (ivw["se_model"] == "random_unfloored").all()  # TwoSampleMR mv_multiple: summary(lm) SE
    assert (t[t["method"] == "mv_egger"]["distribution"] == "t(24)").all()
    m = mvm.mv_mr(frame, methods=["mv_ivw", "mv_egger"], convention="mendelianrandomization")
    assert (m[m["method"] == "mv_ivw"]["se_model"] == "random_floored").all()
    assert (m[m["method"] == "mv_egger"]["distribution"] == "normal").all()
    assert set(t.attrs["strength"]) == {"ldl", "hdl", "tg"}
    assert t.attrs["heterogeneity"]["df"] == 25 and t.attrs["pleiotropy"]["df"] == 24
    with pytest.raises(InputError, match="unknown multivariable method.*mv_lasso"):  # the list names the ids
        mvm.mv_mr(frame, methods=["mv_nonesuch"])


def test_too_few_variants_gives_a_reason_not_a_number(lipids):
    bx, bxse, by, byse = (a[:4] for a in lipids)
    t = mvm.mv_mr(_frame(bx, bxse, by, byse), methods=["mv_egger", "mv_ivw"], n_boot=10)
    egger = t[t["method"] == "mv_egger"]
    assert egger["estimate"].isna().all() and egger["note"].str.contains("at least 5 variants").all()
    assert t[t["method"] == "mv_ivw"]["estimate"].notna().all()
    with pytest.raises(NotEstimable):
        mvm.mr_mvegger(bx, bxse, by, byse)


def test_input_forms_agree_and_bad_input_is_located(lipids, tmp_path):
    bx, bxse, by, byse = lipids
    named = as_mvdata(_frame(*lipids))
    numbered = _frame(*lipids).rename(columns={"bx_ldl": "bx1", "bxse_ldl": "bxse1", "bx_hdl": "bx2",
                                               "bxse_hdl": "bxse2", "bx_tg": "bx3", "bxse_tg": "bxse3"})
    assert as_mvdata(numbered).exposures == ("exposure1", "exposure2", "exposure3")
    np.testing.assert_array_equal(as_mvdata(numbered).bx, named.bx)
    long = pd.concat([pd.DataFrame({"SNP": named.snp, "exposure": name, "beta.exposure": bx[:, i],
                                    "se.exposure": bxse[:, i], "beta.outcome": by, "se.outcome": byse,
                                    "outcome": "CHD"}) for i, name in enumerate(("ldl", "hdl", "tg"))])
    from_long = as_mvdata(long)
    np.testing.assert_array_equal(from_long.bx, named.bx) and np.testing.assert_array_equal(from_long.by, named.by)
    assert from_long.outcome == "CHD"
    bad = _frame(*lipids)
    bad.loc[4, "bxse_hdl"] = -1
    path = tmp_path / "mv.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        as_mvdata(read_multivariable(path))
    assert err.value.line == 6 and err.value.column == "bxse_hdl" and err.value.file == str(path)
    with pytest.raises(InputError, match="no effect on exposure tg"):
        as_mvdata(long.iloc[:-1])


# Printed by MendelianRandomization's multivariable vignette (sb452/MendelianRandomizationVignette,
# articles/Multivariable_MR_Methods.html, package 0.9.0; mr_mvivw, mr_mvegger and mr_mvmedian are unchanged in
# 0.10.0) for mr_mvinput(bx = cbind(ldlc, hdlc, trig), ..., by = chdlodds, byse = chdloddsse), the same 28
# variants as LIPIDS, rounded by its show() methods to 3 decimals (Q to 4). Default arguments throughout:
# model "default" (28 variants: random effects), orientate = 1, normal p-values, iterations = 10000,
# seed = 314159265.
VIGNETTE_MVIVW = {"estimate": [1.925, -0.590, 0.723], "se": [0.439, 0.555, 0.230],
                  "ci_lower": [1.064, -1.677, 0.272], "ci_upper": [2.786, 0.498, 1.174], "p": [0.000, 0.288, 0.002]}
VIGNETTE_MVEGGER = {"estimate": [2.829, -0.663, 0.827], "se": [0.515, 0.496, 0.209],
                    "ci_lower": [1.819, -1.636, 0.417], "ci_upper": [3.839, 0.310, 1.237], "p": [0.000, 0.182, 0.000]}
VIGNETTE_MVMEDIAN = {"estimate": [2.116, 0.111, 1.039], "se": [0.482, 0.656, 0.261]}


def _printed(value, printed, decimals=3):
    """``value`` rounds to ``printed`` (R's decimals(): round half away from zero, within float noise)."""
    return abs(value - printed) <= 0.5 * 10 ** -decimals + 1e-12


def test_mv_ivw_and_mv_egger_reproduce_the_mendelianrandomization_vignette(lipids):
    rows = mvm.mr_mvivw(*lipids)  # se_model "auto" = model "default"
    assert [r["se_model"] for r in rows] == ["random_floored"] * 3
    for key, printed in VIGNETTE_MVIVW.items():
        for r, v in zip(rows, printed):
            assert _printed(r[key], v), (key, r[key], v)
    assert _printed(rows[0]["sigma"], 1.433)  # "Residual standard error =  1.433"
    assert _printed(rows[0]["q"], 51.3599, 4) and rows[0]["q_df"] == 25 and _printed(rows[0]["q_p"], 0.0014, 4)
    eg = mvm.mr_mvegger(*lipids)
    for key, printed in VIGNETTE_MVEGGER.items():
        for r, v in zip(eg["rows"], printed):
            assert _printed(r[key], v), (key, r[key], v)
    icpt = eg["intercept"]  # "(intercept)   -0.028  0.010 -0.049, -0.008   0.007"
    assert all(_printed(icpt[k], v) for k, v in
               {"estimate": -0.028, "se": 0.010, "ci_lower": -0.049, "ci_upper": -0.008, "p": 0.007}.items())
    assert _printed(eg["sigma"], 1.280) and _printed(eg["q"], 39.3421, 4) and eg["q_df"] == 24
    assert _printed(eg["q_p"], 0.0251, 4)


def test_mv_median_reproduces_the_vignette_estimate_and_its_bootstrap_se(lipids):
    """Point estimates exactly (rq's L1 optimum); SEs within Monte Carlo error of R's 10,000 draws.

    Each SD of n = 10,000 draws has relative SE about 1/sqrt(2(n - 1)) (the draws are close to normal:
    kurtosis ~3.0-3.3 on these data); the difference of two independent ones sqrt(2) times that; 4 of those
    (4.0 %) is the bound, as in test_mv_median_bootstrap_se_within_monte_carlo_error.
    """
    n = 10000
    rows = mvm.mr_mvmedian(*lipids, n_boot=n)
    rel = 4 * math.sqrt(2) / math.sqrt(2 * (n - 1))
    for r, est, se in zip(rows, VIGNETTE_MVMEDIAN["estimate"], VIGNETTE_MVMEDIAN["se"]):
        assert _printed(r["estimate"], est), (r["estimate"], est)
        assert abs(r["se"] / se - 1) <= rel + 0.0005 / se, (r["se"], se)


def test_mv_ivw_uses_the_univariable_se_rule(lipids):
    """One rule for both: MendelianRandomization's "default" is fixed with <= 3 variants, else random floored."""
    from mrkit.methods.ivw import resolve_se_model

    assert [resolve_se_model("auto", j) for j in (2, 3, 4, 28)] == ["fixed", "fixed", "random_floored",
                                                                   "random_floored"]
    with pytest.raises(InputError, match="unknown IVW se_model"):
        mvm.mr_mvivw(*lipids, se_model="random")


def test_allele_coding_invariance_when_a_variant_has_no_effect_on_the_first_exposure(lipids):
    """A variant with bx = 0 on the first exposure is oriented by the next one, so flipping it changes nothing."""
    bx, bxse, by, byse = (a.copy() for a in lipids)
    bx[5, 0] = 0.0
    frame = _frame(bx, bxse, by, byse)
    flipped = frame.copy()
    for c in ("bx_ldl", "bx_hdl", "bx_tg", "by"):
        flipped.loc[5, c] = -flipped.loc[5, c]
    a = mvm.mv_mr(frame, methods=["mv_median"], n_boot=200, seed=3)
    b = mvm.mv_mr(flipped, methods=["mv_median"], n_boot=200, seed=3)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def test_errors_name_the_line_of_the_file(lipids, tmp_path):
    """Long format with mr_keep: lines count in the file, not among the kept rows; a missing exposure is located."""
    bx, bxse, by, byse = lipids
    long = pd.concat([pd.DataFrame({"SNP": [f"rs{j}" for j in range(28)], "exposure": name, "beta.exposure": bx[:, i],
                                    "se.exposure": bxse[:, i], "beta.outcome": by, "se.outcome": byse,
                                    "mr_keep": True}) for i, name in enumerate(("ldl", "hdl", "tg"))],
                     ignore_index=True)
    long.loc[0, "mr_keep"] = False
    long.loc[40, "se.exposure"] = 0.0  # file line 42 (header is line 1)
    path = tmp_path / "long.csv"
    long.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        as_mvdata(read_multivariable(path))
    assert (err.value.file, err.value.line, err.value.column) == (str(path), 42, "se.exposure")
    assert "rs12" in str(err.value)
    long.loc[40, "se.exposure"] = 0.01
    long = long.drop(index=70)  # rs14's triglyceride row: rs14 first appears on line 16
    long.to_csv(path, index=False)
    with pytest.raises(InputError, match="no effect on exposure tg") as err:
        as_mvdata(read_multivariable(path))
    assert err.value.line == 16 and "rs14" in str(err.value)
    with pytest.raises(InputError, match="unknown exposure"):
        mvm.mv_mr(_frame(*lipids), exposures=["ldl", "bmi"])
