"""MR-PRESSO against what the R package MRPRESSO prints (validation/expected/*.json, key PRESSO)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mrkit.errors import InputError, NotEstimable
from mrkit.methods.presso import loo_ivw_slopes, mr_presso, rss_loo


def _load(validation_dir, name):
    data = pd.read_csv(validation_dir / "harmonised" / f"{name}.csv")
    expected = json.loads((validation_dir / "expected" / f"{name}.json").read_text())["PRESSO"]
    return data, expected


@pytest.mark.parametrize("name", ["lipids_chd_ldlc", "bmi_chd"])
def test_matches_r_mr_presso(validation_dir, name):
    # Golden numbers: MRPRESSO::mr_presso(..., NbDistribution = 3000, SignifThreshold = 0.05)
    # run in R 4.2.2 (expected/<name>.json, key PRESSO).
    data, expected = _load(validation_dir, name)
    res = mr_presso(data.bx, data.bxse, data.by, data.byse, snp=data.SNP,
                    n_distributions=3000, alpha=0.05, seed=20180423)
    assert res.global_rss == pytest.approx(expected["global_rss"], rel=1e-6)
    # R printed "<1/3000": allow a few simulated RSS above the observed one
    assert res.global_p <= 3 / 3000
    assert expected["global_p"].startswith("<")
    # R reports outliers as 1-based row indices
    expected_ids = [data.SNP.iloc[i - 1] for i in expected["outliers"]]
    assert res.outliers == expected_ids
    for got, row in ((res.raw, expected["main"][0]), (res.corrected, expected["main"][1])):
        assert got["estimate"] == pytest.approx(row["Causal Estimate"], rel=1e-6)
        assert got["sd"] == pytest.approx(row["Sd"], rel=1e-6)
        assert got["t_stat"] == pytest.approx(row["T-stat"], rel=1e-6)
        assert got["p"] == pytest.approx(row["P-value"], rel=1e-6)
    table = res.main_table()
    assert list(table["MR Analysis"]) == ["Raw", "Outlier-corrected"]
    assert table["Causal Estimate"].iloc[1] == pytest.approx(expected["main"][1]["Causal Estimate"])


@pytest.mark.parametrize("name", ["lipids_chd_ldlc", "bmi_chd"])
def test_outliers_stable_across_seeds(validation_dir, name):
    data, expected = _load(validation_dir, name)
    for seed in (1, 2, 3):
        res = mr_presso(data.bx, data.bxse, data.by, data.byse, n_distributions=3000, seed=seed)
        assert [i + 1 for i in res.outliers] == expected["outliers"]
        assert res.seed == seed


def test_simulated_example_with_planted_outliers(validation_dir):
    # MR-PRESSO's own example data (E1 -> Y) was simulated with pleiotropic outliers
    s = pd.read_csv(validation_dir / "mrpresso_summarystats_simulated.csv")
    res = mr_presso(s.E1_effect, s.E1_se, s.Y_effect, s.Y_se, n_distributions=2000, seed=7)
    assert res.global_p < 0.05
    assert res.outlier_test_run and res.distortion_test_run
    assert len(res.outliers) >= 1
    assert res.corrected["sd"] < res.raw["sd"]
    # outliers are the SNPs with the largest observed residuals
    table = res.outlier_table.set_index("snp")
    assert table.loc[res.outliers, "rss_obs"].min() > table["rss_obs"].median()
    assert res.distortion_p is not None and 0 <= res.distortion_p <= 1


def test_loo_slopes_equal_explicit_refits():
    rng = np.random.default_rng(3)
    k = 12
    bx = rng.normal(0.1, 0.03, k)
    by = 0.4 * bx + rng.normal(0, 0.02, k)
    w = 1 / rng.uniform(0.01, 0.03, k) ** 2
    theta = loo_ivw_slopes(bx, by, w)
    for j in range(k):  # k explicit weighted fits: an independent computation
        m = np.arange(k) != j
        fit = np.linalg.lstsq((np.sqrt(w[m]) * bx[m])[:, None], np.sqrt(w[m]) * by[m], rcond=None)
        assert theta[j] == pytest.approx(fit[0][0], rel=1e-12)
    rss, _ = rss_loo(bx, by, w)
    assert rss == pytest.approx(np.sum(w * (by - theta * bx) ** 2))
    stacked, _ = rss_loo(np.vstack([bx, bx]), np.vstack([by, by]), w)
    assert stacked == pytest.approx([rss, rss])


def test_null_data_without_pleiotropy_is_rarely_significant():
    rng = np.random.default_rng(11)
    k = 30
    bx = rng.normal(0.1, 0.02, k)
    bxse = np.full(k, 0.005)
    byse = np.full(k, 0.01)
    by = 0.3 * bx + rng.normal(0, byse)
    res = mr_presso(bx, bxse, by, byse, n_distributions=1000, seed=1)
    assert res.global_p > 0.05
    assert res.outliers == [] and res.corrected is None
    assert not res.outlier_test_run and res.outlier_table.empty
    assert res.distortion_coefficient is None


def test_seed_is_reproducible_and_reported(validation_dir):
    data, _ = _load(validation_dir, "lipids_chd_ldlc")
    a = mr_presso(data.bx, data.bxse, data.by, data.byse, n_distributions=500, seed=None)
    b = mr_presso(data.bx, data.bxse, data.by, data.byse, n_distributions=500)
    assert a.seed == b.seed == 314159265
    assert a.distortion_p == b.distortion_p
    pd.testing.assert_frame_equal(a.outlier_table, b.outlier_table)


def test_orientation_does_not_change_results(validation_dir):
    data, _ = _load(validation_dir, "lipids_chd_ldlc")
    flip = np.where(np.arange(len(data)) % 2 == 0, -1.0, 1.0)
    a = mr_presso(data.bx, data.bxse, data.by, data.byse, n_distributions=500, seed=5)
    b = mr_presso(data.bx * flip, data.bxse, data.by * flip, data.byse, n_distributions=500, seed=5)
    assert a.global_rss == pytest.approx(b.global_rss)
    assert a.raw["estimate"] == pytest.approx(b.raw["estimate"])
    assert a.outliers == b.outliers


def test_bad_input_errors():
    bx = np.array([0.1, 0.2, 0.15, 0.12, 0.3])
    se = np.full(5, 0.01)
    with pytest.raises(InputError, match="row 2, column .byse.: byse must be finite and > 0"):
        mr_presso(bx, se, bx, [0.01, 0.01, -0.01, 0.01, 0.01])
    with pytest.raises(InputError, match="by.*finite"):
        mr_presso(bx, se, [0.1, np.nan, 0.1, 0.1, 0.1], se)
    with pytest.raises(NotEstimable):
        mr_presso(bx[:3], se[:3], bx[:3], se[:3])
    with pytest.raises(InputError, match="n_distributions"):
        mr_presso(bx, se, bx, se, n_distributions=5)
    with pytest.raises(InputError, match="snp"):
        mr_presso(bx, se, bx, se, snp=["a", "b"])
