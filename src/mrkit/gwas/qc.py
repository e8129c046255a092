"""Quality checks of GWAS summary statistics: genomic inflation and standard errors against sample size."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..methods.distributions import chi2_isf, chi2_ppf

#: Ranks on each side of the middle p-value whose chi-square statistic is computed (see genomic_inflation).
_MEDIAN_WINDOW = 64


def genomic_inflation(p: np.ndarray) -> float:
    """lambda_GC: the median chi-square(1) statistic implied by ``p`` over its null median (0.4549).

    Values near 1 mean the test statistics are calibrated; polygenic traits with large samples show
    some inflation from true signal, which LD-score regression would separate from confounding.

    The statistic ``chi2_isf(p, 1)`` falls as ``p`` rises, so its median is that of the statistics of the
    p-values ranked around the middle: only those (a window of :data:`_MEDIAN_WINDOW` ranks on each side)
    are converted, not all 500,000 (the inverse incomplete gamma costs a microsecond each). The value is
    the one of ``np.median(chi2_isf(p, 1))`` exactly; if the statistics just outside the window were not
    ordered against those inside (they always are: their p-values differ by many ranks), every p-value
    is converted instead.
    """
    p = np.asarray(p, float)
    p = p[np.isfinite(p) & (p > 0) & (p <= 1)]
    if p.size == 0:
        raise InputError("no valid p-values to compute genomic inflation from", column="p")
    return float(_median_chi2(p) / chi2_ppf(0.5, 1))


def _median_chi2(p: np.ndarray) -> float:
    n = p.size
    lo, hi = (n - 1) // 2 - _MEDIAN_WINDOW, n // 2 + _MEDIAN_WINDOW  # ranks of p kept, ascending
    if lo < 1 or hi > n - 2:
        return float(np.median(chi2_isf(p, 1)))
    part = np.partition(p, [lo - 1, lo, hi, hi + 1])
    window = chi2_isf(part[lo:hi + 1], 1)
    below, above = chi2_isf(part[lo - 1], 1), chi2_isf(part[hi + 1], 1)  # smaller p: larger statistic
    if not (below >= window.max() and above <= window.min()):
        return float(np.median(chi2_isf(p, 1)))
    # ascending statistics: the n - 1 - hi of the largest p-values come first, then the window
    first = n - 1 - hi
    ranks = sorted({(n - 1) // 2 - first, n // 2 - first})
    return float(np.median(np.sort(window)[ranks[0]:ranks[-1] + 1]))


def implied_sd(sumstats: pd.DataFrame, *, binary: bool) -> pd.Series:
    """Per variant, the SE rescaled by allele frequency and sample size; roughly constant if SEs are sound.

    Continuous traits: se * sqrt(2 f (1 - f) N) estimates the trait's SD. Binary traits (log odds):
    se * sqrt(2 f (1 - f) N phi (1 - phi)), phi the case fraction, is close to 1. Variants whose value
    is far from the median point to a wrong N, a wrong allele frequency or a mis-scaled beta.
    """
    f = sumstats["eaf"].to_numpy(float)
    het = 2 * f * (1 - f)
    if binary:
        ncase, ncontrol = sumstats["ncase"].to_numpy(float), sumstats["ncontrol"].to_numpy(float)
        n = ncase + ncontrol
        scale = np.sqrt(het * n * (ncase / n) * (ncontrol / n))
    else:
        scale = np.sqrt(het * sumstats["n"].to_numpy(float))
    return pd.Series(sumstats["se"].to_numpy(float) * scale, index=sumstats.index, name="implied_sd")


def summary_checks(sumstats: pd.DataFrame, *, binary: bool, threshold: float = 5e-8) -> dict:
    """The data-description numbers of one GWAS: variants, hits, lambda_GC, allele-frequency and SE checks."""
    sd = implied_sd(sumstats, binary=binary).to_numpy()
    sd = sd[np.isfinite(sd)]
    med = float(np.median(sd)) if sd.size else np.nan
    eaf = sumstats["eaf"].to_numpy(float)
    return {
        "variants": int(len(sumstats)),
        "significant": int((sumstats["p"] < threshold).sum()),
        "lambda_gc": genomic_inflation(sumstats["p"].to_numpy()),
        "eaf_missing": int(np.isnan(eaf).sum()),
        "maf_below_1pct": int((np.minimum(eaf, 1 - eaf) < 0.01).sum()),
        "implied_sd_median": med,
        "implied_sd_outlying": int((np.abs(sd / med - 1) > 0.5).sum()) if sd.size else 0,
    }
