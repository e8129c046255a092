"""Quality checks of GWAS summary statistics: genomic inflation and standard errors against sample size."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..methods.distributions import chi2_isf, chi2_ppf


def genomic_inflation(p: np.ndarray) -> float:
    """lambda_GC: the median chi-square(1) statistic implied by ``p`` over its null median (0.4549).

    Values near 1 mean the test statistics are calibrated; polygenic traits with large samples show
    some inflation from true signal, which LD-score regression would separate from confounding.
    """
    p = np.asarray(p, float)
    p = p[np.isfinite(p) & (p > 0) & (p <= 1)]
    if p.size == 0:
        raise InputError("no valid p-values to compute genomic inflation from", column="p")
    return float(np.median(chi2_isf(p, 1)) / chi2_ppf(0.5, 1))


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
