"""Steiger directionality test against the TwoSampleMR vignette (BMI -> CHD)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError
from mrkit.methods.steiger import snp_r2, steiger, steiger_directionality


@pytest.fixture
def bmi_chd(validation_dir):
    exposure = pd.read_csv(validation_dir / "bmi_ieu-a-2_exposure.csv")
    outcome = pd.read_csv(validation_dir / "chd_ieu-a-7_outcome.csv")
    return exposure.merge(outcome, on="SNP")


def test_reproduces_twosamplemr_vignette(bmi_chd):
    # Printed by the TwoSampleMR vignette (validation/MANIFEST.md): r2 exposure 0.0158082,
    # r2 outcome 0.0013505, correct direction TRUE. Reproduced by get_r_from_pn on both sides.
    res = steiger_directionality(bmi_chd)
    assert round(res["r2_exposure"], 7) == 0.0158082
    assert round(res["r2_outcome"], 7) == 0.0013505
    assert res["correct_causal_direction"] is True
    assert res["steiger_pval"] < 1e-100
    assert res["n_snps"] == 79


def test_bsen_rule_does_not_reproduce_the_vignette(bmi_chd):
    # F = (b/se)^2 gives 0.0158072: the vignette did not use it (documented in steiger.py)
    res = steiger_directionality(bmi_chd, rule="add_rsq")
    assert round(res["r2_exposure"], 7) == 0.0158072
    assert round(res["r2_outcome"], 7) == 0.0013505


def test_fisher_z_by_hand():
    # psych::r.test(n=103, r12=0.5, r34=0.3, n2=103):
    # z = (atanh(0.5) - atanh(0.3)) / sqrt(2/100) = 0.2397865 / 0.1414214 = 1.695547, p = 0.08997
    res = steiger(0.25, 0.09, 103, 103)
    assert res["z"] == pytest.approx(1.695547, abs=1e-6)
    assert res["steiger_pval"] == pytest.approx(0.08997, abs=1e-5)
    assert res["correct_causal_direction"] is True
    rev = steiger(0.09, 0.25, 103, 103)
    assert rev["z"] == pytest.approx(-res["z"]) and rev["correct_causal_direction"] is False


def test_given_r_columns_and_mr_keep(bmi_chd):
    d = bmi_chd.copy()
    d["r.exposure"] = 0.05
    d["r.outcome"] = -0.01
    d["mr_keep"] = True
    d.loc[d.index[:9], "mr_keep"] = False
    res = steiger_directionality(d)
    assert res["n_snps"] == 70
    assert res["r2_exposure"] == pytest.approx(70 * 0.0025)
    assert res["r2_outcome"] == pytest.approx(70 * 0.0001)


def test_log_odds_units_need_prevalence(bmi_chd):
    d = bmi_chd.copy()
    d["units.outcome"] = "log odds"
    with pytest.raises(InputError, match="prevalence.outcome"):
        snp_r2(d, "outcome", rule="add_rsq")
    d["prevalence.outcome"] = 0.05
    d["ncase.outcome"] = 60_801.0
    d["ncontrol.outcome"] = 123_504.0
    r2 = snp_r2(d, "outcome", rule="add_rsq")
    assert r2.shape == (79,) and np.all(r2 >= 0)


def test_bad_inputs(bmi_chd):
    d = bmi_chd.copy()
    d.loc[d.index[4], "pval.exposure"] = np.nan
    with pytest.raises(InputError, match="row 4, column 'pval.exposure'"):
        steiger_directionality(d)
    with pytest.raises(InputError, match="samplesize.outcome"):
        steiger_directionality(bmi_chd.drop(columns="samplesize.outcome"))
    with pytest.raises(InputError, match="clumped"):
        steiger(1.0, 0.1, 100, 100)
    with pytest.raises(InputError, match="n_outcome"):
        steiger(0.1, 0.1, 100, 3)
