"""mr(): table layout, conventions, not-estimable rows, exclusions, labels, odds ratios."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mrkit import leave_one_out, mr, odds_ratios, single_snp
from mrkit.errors import InputError
from mrkit.methods.estimate import DEFAULT_METHODS, TABLE_COLUMNS
from mrkit.methods.ivw import mr_ivw


def sample(k=12, seed=2):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.05, 0.2, k) * rng.choice([-1, 1], k)
    by = 0.3 * bx + rng.normal(0, 0.02, k)
    return pd.DataFrame({"SNP": [f"rs{i}" for i in range(k)], "beta.exposure": bx,
                         "se.exposure": np.full(k, 0.01), "beta.outcome": by,
                         "se.outcome": np.full(k, 0.02), "exposure": "X", "outcome": "Y"})


def test_default_table():
    t = mr(sample(), n_boot=200)
    # the ML row's extra quantities (registry row_keys) follow the standard columns, NaN in the other rows
    assert list(t.columns) == ["exposure", "outcome", *TABLE_COLUMNS, "estimate_converged", "se_converged"]
    assert t["estimate_converged"].notna().tolist() == [m == "ml" for m in t["method"]]
    assert list(t["method"]) == list(DEFAULT_METHODS)
    assert set(t["convention"]) == {"twosamplemr"}
    boot = t.set_index("method").loc[["weighted_median", "simple_mode", "weighted_mode"]]
    assert (boot["n_boot"] == 200).all() and (boot["seed"] == 314159265).all()
    assert t.set_index("method").loc["egger", "distribution"] == "t(10)"


def test_single_snp_gives_wald_ratio_and_small_k_gives_reasons():
    t = mr(sample(k=1))
    assert list(t["method"]) == ["wald_ratio"] and np.isfinite(t["estimate"][0])
    t = mr(sample(k=2), methods=["ivw", "egger", "weighted_median", "wald_ratio"])
    by = t.set_index("method")
    assert np.isfinite(by.loc["ivw", "estimate"])
    for m in ("egger", "weighted_median", "wald_ratio"):
        assert np.isnan(by.loc[m, "estimate"]) and by.loc[m, "note"]


def test_mr_keep_rows_are_excluded():
    f = sample()
    f["mr_keep"] = [False] + [True] * 11
    t = mr(f, methods=["ivw"])
    assert t["nsnp"][0] == 11 and t.attrs["n_excluded"] == [1]
    expected = mr_ivw(f["beta.exposure"][1:].to_numpy(), f["se.exposure"][1:].to_numpy(),
                      f["beta.outcome"][1:].to_numpy(), f["se.outcome"][1:].to_numpy())
    assert t["estimate"][0] == pytest.approx(expected["estimate"], rel=1e-12)


def test_pairs_and_unknown_methods():
    f = pd.concat([sample(), sample(seed=3).assign(exposure="Z")])
    t = mr(f, methods="ivw,egger")
    assert list(t["exposure"]) == ["X", "X", "Z", "Z"]
    with pytest.raises(InputError, match="unknown method"):
        mr(sample(), methods=["ivw", "bogus"])
    with pytest.raises(InputError, match="convention"):
        mr(sample(), convention="stata")


def test_mendelianrandomization_defaults():
    t = mr(sample(), methods=["ivw", "weighted_median", "egger"],
           convention="mendelianrandomization", n_boot=100).set_index("method")
    assert t.loc["weighted_median", "weights"] == "first_order"
    assert t.loc["egger", "distribution"] == "normal"
    assert mr(sample(), methods=["weighted_median"], convention="mendelianrandomization")[
        "n_boot"][0] == 10000


def test_odds_ratios_matched_and_twosamplemr_quirk():
    t = mr(sample(), methods=["ivw", "egger"])
    matched = odds_ratios(t, ci="matched").set_index("method")
    quirk = odds_ratios(t, ci="twosamplemr").set_index("method")
    eg = t.set_index("method").loc["egger"]
    q = stats.t.ppf(0.975, 10)
    assert matched.loc["egger", "or_lci95"] == pytest.approx(np.exp(eg["estimate"] - q * eg["se"]))
    assert quirk.loc["egger", "or_lci95"] == pytest.approx(np.exp(eg["estimate"] - 1.96 * eg["se"]))
    assert matched.loc["ivw", "or"] == pytest.approx(np.exp(t["estimate"][0]))


def test_leave_one_out_and_single_snp():
    f = sample()
    loo = leave_one_out(f)
    assert len(loo) == 13 and loo["snp"].iloc[-1] == "All"
    first = mr_ivw(f["beta.exposure"][1:].to_numpy(), f["se.exposure"][1:].to_numpy(), f["beta.outcome"][1:].to_numpy(),
                   f["se.outcome"][1:].to_numpy())
    assert loo["estimate"][0] == pytest.approx(first["estimate"], rel=1e-12)
    ss = single_snp(f)
    assert list(ss["snp"][-2:]) == ["All - Inverse variance weighted", "All - MR Egger"]
    assert ss["estimate"][0] == pytest.approx(f["beta.outcome"][0] / f["beta.exposure"][0])
    assert len(leave_one_out(sample(k=2))) == 1


def test_leave_one_out_of_two_snps_is_r_s_all_row():
    """TwoSampleMR's mr_leaveoneout (R/leaveoneout.R) with nsnp <= 2 returns only SNP = "All", mr_ivw on both SNPs;
    here the IVW by hand: b = sum(w bx by) / sum(w bx^2), w = 1/se_y^2, SE = max(1, sigma) / sqrt(sum(w bx^2))."""
    f = sample(k=2, seed=5)
    bx, by, w = f["beta.exposure"].to_numpy(), f["beta.outcome"].to_numpy(), 1 / f["se.outcome"].to_numpy() ** 2
    b = np.sum(w * bx * by) / np.sum(w * bx**2)
    sigma = np.sqrt(np.sum(w * (by - b * bx) ** 2) / (2 - 1))
    loo = leave_one_out(f)
    assert list(loo["snp"]) == ["All"] and loo["nsnp"].iloc[0] == 2
    assert loo["estimate"].iloc[0] == pytest.approx(b, rel=1e-12)
    assert loo["se"].iloc[0] == pytest.approx(max(1.0, sigma) / np.sqrt(np.sum(w * bx**2)), rel=1e-12)
    one = leave_one_out(sample(k=1))  # R: mr_ivw needs 2 SNPs, so NA
    assert list(one["snp"]) == ["All"] and np.isnan(one["estimate"].iloc[0]) and one["note"].iloc[0]
