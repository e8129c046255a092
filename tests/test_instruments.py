"""Instrument selection by p threshold, the per-SNP strength table and the select+clump pipeline."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ld_panel_helpers import blocky_panel

from mrkit.errors import InputError
from mrkit.gwas.clump import clump
from mrkit.gwas.columns import resolve_columns
from mrkit.gwas.instruments import (
    GENOME_WIDE,
    SUGGESTIVE,
    build_instruments,
    instrument_table,
    instruments_summary,
    select_instruments,
)


def frame(**overrides):
    base = {"chrom": ["1", "1", "2", "3"], "pos": [10, 20, 30, 40], "snp": ["a", "b", "c", "d"],
            "effect_allele": ["A", "C", "G", "T"], "other_allele": ["G", "T", "A", "C"],
            "eaf": [0.2, 0.4, 0.6, np.nan], "beta": [0.05, -0.02, 0.01, 0.2], "se": [0.005, 0.004, 0.002, 0.05],
            "p": [5e-8, 5e-6, 4.9e-6, 1e-3], "n": [10_000.0, 12_000.0, np.nan, 9_000.0]}
    base.update(overrides)
    return pd.DataFrame(base)


def test_thresholds_are_inclusive_and_explicit():
    assert list(select_instruments(frame())["snp"]) == ["a"]
    assert list(select_instruments(frame(), GENOME_WIDE)["snp"]) == ["a"]
    reverse = select_instruments(frame(), SUGGESTIVE)
    assert list(reverse["snp"]) == ["a", "b", "c"]
    assert reverse.attrs["selection"] == {"variants": 4, "p_threshold": 5e-6, "selected": 3}


def test_twosamplemr_frames_are_selected_on_pval_exposure():
    tsmr = frame().rename(columns={"snp": "SNP", "p": "pval.exposure", "beta": "beta.exposure",
                                   "se": "se.exposure"})
    assert resolve_columns(tsmr)["p"] == "pval.exposure"
    assert list(select_instruments(tsmr, 1e-5)["SNP"]) == ["a", "b", "c"]


@pytest.mark.parametrize("value", [np.nan, 1.5, -0.1])
def test_bad_p_values_are_located(value):
    bad = frame(p=[5e-8, value, 1e-9, 1e-3])
    with pytest.raises(InputError, match=r"row 1, column 'p'"):
        select_instruments(bad)


def test_bad_threshold_and_unknown_tables_are_refused():
    with pytest.raises(InputError, match="p_threshold"):
        select_instruments(frame(), 0.0)
    with pytest.raises(InputError, match="not a summary-statistics table"):
        select_instruments(pd.DataFrame({"x": [1]}))


def test_strength_table_follows_the_formulas():
    table = instrument_table(frame())
    beta, se, n = frame()["beta"].to_numpy(), frame()["se"].to_numpy(), frame()["n"].to_numpy()
    f = (beta / se) ** 2
    np.testing.assert_allclose(table["F"], f, rtol=1e-12)
    expected_r2 = f / (n - 2 + f)  # TwoSampleMR get_r_from_bsen, squared
    np.testing.assert_allclose(table["R2"], expected_r2, rtol=1e-12)  # NaN where n is unknown
    assert table["weak"].tolist() == list(f < 10)
    s = table.attrs["strength"]
    assert s["mean_F"] == pytest.approx(f.mean()) and s["min_F"] == pytest.approx(f.min())
    assert s["n_weak"] == int((f < 10).sum()) and s["n_without_samplesize"] == 1
    assert s["total_R2"] == pytest.approx(np.nansum(expected_r2))


def test_sample_size_argument_overrides_the_column():
    table = instrument_table(frame(), n=50_000)
    f = table["F"].to_numpy()
    np.testing.assert_allclose(table["R2"], f / (50_000 - 2 + f), rtol=1e-12)


def test_zero_standard_error_is_located_with_the_callers_column():
    tsmr = frame(se=[0.005, 0.0, 0.002, 0.05]).rename(columns={"snp": "SNP", "beta": "beta.exposure",
                                                               "se": "se.exposure", "p": "pval.exposure"})
    with pytest.raises(InputError, match=r"row 1, column 'se.exposure'"):
        instrument_table(tsmr)


def test_build_instruments_is_select_then_clump_then_strength(tmp_path):
    bim = blocky_panel(tmp_path / "panel", seed=4, n=300, m=120)
    rng = np.random.default_rng(6)
    z = rng.normal(0, 4, len(bim))
    se = np.full(len(bim), 0.01)
    from scipy import stats
    sumstats = pd.DataFrame({"snp": bim["snp"], "beta": z * se, "se": se, "p": 2 * stats.norm.sf(np.abs(z)),
                             "n": 20_000.0})
    table = build_instruments(sumstats, tmp_path / "panel", p_threshold=1e-3, r2=0.01, kb=100, engine="numpy")
    by_hand = clump(select_instruments(sumstats, 1e-3), tmp_path / "panel", r2=0.01, kb=100, p1=1e-3,
                    engine="numpy")
    assert list(table["snp"]) == list(by_hand["snp"]) and len(table) > 2
    summary = instruments_summary(table)
    assert summary["selection_selected"] == int((sumstats["p"] <= 1e-3).sum())
    assert summary["clump_index_variants"] == len(table) and summary["clump_engine"] == "numpy"
    assert summary["n_instruments"] == len(table)
    unclumped = build_instruments(sumstats, None, p_threshold=1e-3)
    assert len(unclumped) == summary["selection_selected"]
