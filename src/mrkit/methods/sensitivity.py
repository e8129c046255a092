# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) mr_leaveoneout, R/leaveoneout.R, and mr_singlesnp, R/singlesnp.R.
"""Leave-one-out and single-SNP analyses (TwoSampleMR ``mr_leaveoneout``, ``mr_singlesnp``).

* Leave-one-out: the IVW estimate with each SNP removed in turn, plus the estimate on all SNPs
  (row ``All``); an estimate that moves a lot when one SNP is dropped points to an influential,
  possibly pleiotropic variant. TwoSampleMR requires more than 2 SNPs.
* Single SNP: the Wald ratio of every SNP, then ``All - Inverse variance weighted`` and
  ``All - MR Egger``, the rows of TwoSampleMR's forest plot.

The IVW standard error follows the convention (TwoSampleMR: random effects floored;
MendelianRandomization: fixed when k < 4, else random effects floored).

References
----------
Hemani G, Zheng J, Elsworth B, et al. (2018). eLife 7:e34408.
Burgess S, Bowden J, Fall T, Ingelsson E, Thompson SG (2017). Sensitivity analyses for robust
causal inference from Mendelian randomization analyses with multiple genetic variants.
Epidemiology 28:30-42.
"""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ..errors import NotEstimable
from .conventions import get_convention
from .egger import mr_egger
from .ivw import mr_ivw
from .mrdata import split_pairs
from .wald import wald_ratio

__all__ = ["leave_one_out", "single_snp"]

_COLUMNS = ("snp", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "se_model",
            "distribution", "note")


def _row(labels: dict, snp: str, k: int, func, conv) -> dict:
    try:
        res = func()
    except NotEstimable as exc:
        res = {"estimate": np.nan, "se": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
               "p": np.nan, "nsnp": k, "se_model": "", "distribution": "", "note": str(exc)}
    return {**labels, **{c: res.get(c) for c in _COLUMNS}, "snp": snp, "convention": conv.name}


def _not_estimable(reason: str):
    raise NotEstimable(reason)


def _ivw_model(conv) -> str:
    return "auto" if conv.ivw_auto else "random_floored"


def leave_one_out(data: Any, convention: str = "twosamplemr") -> pd.DataFrame:
    """IVW estimate without each SNP (row ``snp`` = the SNP left out) and with all (``All``).

    References
    ----------
    Hemani G, et al. (2018). eLife 7:e34408 (``mr_leaveoneout``).
    """
    conv = get_convention(convention)
    rows = []
    for pair in split_pairs(data):
        if pair.k <= 2:
            rows.append(_row(pair.labels, "All", pair.k, partial(_not_estimable,
                             f"leave-one-out needs more than 2 SNPs, got {pair.k}"), conv))
            continue
        for j in range(pair.k):
            keep = np.arange(pair.k) != j
            sub = pair.subset(keep)
            rows.append(_row(pair.labels, pair.snp[j], sub.k,
                             lambda sub=sub: mr_ivw(*sub.arrays(), se_model=_ivw_model(conv)),
                             conv))
        rows.append(_row(pair.labels, "All", pair.k,
                         lambda: mr_ivw(*pair.arrays(), se_model=_ivw_model(conv)), conv))
    return pd.DataFrame(rows)


def single_snp(data: Any, convention: str = "twosamplemr") -> pd.DataFrame:
    """Wald ratio per SNP, then ``All - Inverse variance weighted`` and ``All - MR Egger``.

    References
    ----------
    Hemani G, et al. (2018). eLife 7:e34408 (``mr_singlesnp``).
    """
    conv = get_convention(convention)
    rows = []
    for pair in split_pairs(data):
        for j in range(pair.k):
            sub = pair.subset(np.array([j]))
            rows.append(_row(pair.labels, pair.snp[j], 1, lambda sub=sub: wald_ratio(
                *sub.arrays()), conv))
        rows.append(_row(pair.labels, "All - Inverse variance weighted", pair.k,
                         lambda: mr_ivw(*pair.arrays(), se_model=_ivw_model(conv)), conv))
        rows.append(_row(pair.labels, "All - MR Egger", pair.k,
                         lambda: mr_egger(*pair.arrays(), t_dist=conv.egger_t), conv))
    return pd.DataFrame(rows)
