"""Genomic inflation and the SE check on simulated summary statistics with known answers."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mrkit.errors import InputError
from mrkit.gwas.qc import genomic_inflation, implied_sd, summary_checks


def test_genomic_inflation_is_one_under_the_null_and_scales_with_inflated_chi2():
    rng = np.random.default_rng(1)
    z = rng.standard_normal(200_000)
    assert genomic_inflation(2 * stats.norm.sf(np.abs(z))) == pytest.approx(1.0, abs=0.02)
    # inflating every chi-square by 1.2 gives lambda 1.2
    assert genomic_inflation(stats.chi2.sf(1.2 * z**2, 1)) == pytest.approx(1.2, abs=0.03)


def test_genomic_inflation_rejects_empty_input():
    with pytest.raises(InputError, match="column 'p'"):
        genomic_inflation(np.array([np.nan, 2.0]))


def _sumstats(n=50_000, binary=False, seed=2):
    rng = np.random.default_rng(seed)
    f = rng.uniform(0.05, 0.5, n)
    if binary:
        ncase, ncontrol = 13_178.0, 164_682.0
        phi = ncase / (ncase + ncontrol)
        se = 1 / np.sqrt(2 * f * (1 - f) * (ncase + ncontrol) * phi * (1 - phi))
        return pd.DataFrame({"eaf": f, "se": se, "p": rng.uniform(size=n), "ncase": ncase, "ncontrol": ncontrol})
    se = 0.8 / np.sqrt(2 * f * (1 - f) * 336_965)
    return pd.DataFrame({"eaf": f, "se": se, "p": rng.uniform(size=n), "n": 336_965.0})


def test_implied_sd_recovers_trait_sd_and_flags_a_wrong_sample_size():
    d = _sumstats()
    assert implied_sd(d, binary=False).to_numpy() == pytest.approx(0.8)
    d.loc[:99, "n"] = 336_965.0 / 9  # a wrong N for 100 variants makes their implied SD a third
    checks = summary_checks(d, binary=False)
    assert checks["implied_sd_outlying"] == 100
    assert checks["implied_sd_median"] == pytest.approx(0.8)


def test_implied_sd_is_one_for_binary_log_odds():
    d = _sumstats(binary=True)
    assert implied_sd(d, binary=True).to_numpy() == pytest.approx(1.0)
    assert summary_checks(d, binary=True)["variants"] == len(d)


@pytest.mark.parametrize("n", [1, 2, 3, 129, 130, 131, 132, 1000, 1001, 20000, 20001])
def test_genomic_inflation_from_the_middle_ranks_equals_the_full_median(n):
    """Only the statistics of the p-values around the middle are computed; the result is the full median's."""
    from mrkit.methods.distributions import chi2_isf, chi2_ppf

    rng = np.random.default_rng(n)
    for p in (rng.random(n), np.round(rng.random(n), 2), np.r_[rng.beta(0.5, 1, n), [np.nan, 0.0, 1.5]]):
        valid = p[np.isfinite(p) & (p > 0) & (p <= 1)]
        assert genomic_inflation(p) == float(np.median(chi2_isf(valid, 1)) / chi2_ppf(0.5, 1))
