# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) mr_leaveoneout, R/leaveoneout.R, and mr_singlesnp, R/singlesnp.R.
"""Leave-one-out and single-SNP analyses (TwoSampleMR ``mr_leaveoneout``, ``mr_singlesnp``).

* Leave-one-out: the IVW estimate with each SNP removed in turn, plus the estimate on all SNPs
  (row ``All``); an estimate that moves a lot when one SNP is dropped points to an influential,
  possibly pleiotropic variant. With 2 SNPs or fewer there is only the ``All`` row (IVW on every SNP; not
  estimable with one), as TwoSampleMR's ``mr_leaveoneout`` gives.
* Single SNP: the Wald ratio of every SNP, then ``All - Inverse variance weighted`` and
  ``All - MR Egger``, the rows of TwoSampleMR's forest plot.

The IVW standard error follows the convention (TwoSampleMR: random effects floored;
MendelianRandomization: fixed when k < 4, else random effects floored). The k leave-one-out fits are one
batch of k replicates of the IVW estimator, the k Wald ratios one batch of k single-variant replicates.

References
----------
Hemani G, Zheng J, Elsworth B, et al. (2018). eLife 7:e34408.
Burgess S, Bowden J, Fall T, Ingelsson E, Thompson SG (2017). Sensitivity analyses for robust
causal inference from Mendelian randomization analyses with multiple genetic variants.
Epidemiology 28:30-42.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import NotEstimable
from .conventions import get_convention
from .egger import mr_egger
from .ivw import mr_ivw
from .mrdata import split_pairs
from .replicates import NOT_ESTIMABLE, result_rows
from .wald import wald_ratio

__all__ = ["leave_one_out", "single_snp"]

_COLUMNS = ("snp", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "se_model",
            "distribution", "note")


def _nan(k: int, reason: str) -> dict:
    return {"estimate": np.nan, "se": np.nan, "ci_lower": np.nan, "ci_upper": np.nan, "p": np.nan, "nsnp": k,
            "se_model": "", "distribution": "", "note": reason}


def _rows(labels: dict, snps: list, k: int, conv, compute, *args, **kwargs) -> list[dict]:
    """One row per replicate of ``compute(*args, **kwargs)`` (a result over len(snps) replicates), labelled by
    ``snps``."""
    try:
        results = result_rows(compute(*args, **kwargs))
    except NotEstimable as exc:
        results = [_nan(k, str(exc))] * len(snps)
    out = []
    for snp, res in zip(snps, results):
        note = res.get("note") or ""
        if note.startswith(NOT_ESTIMABLE):
            res = _nan(res["nsnp"], note[len(NOT_ESTIMABLE):])
        out.append({**labels, **{c: res.get(c) for c in _COLUMNS}, "snp": snp, "convention": conv.name})
    return out


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
        arrays = pair.arrays()
        if pair.k > 2:  # as R's mr_leaveoneout: with 2 SNPs or fewer only the "All" row, IVW on every SNP
            without = np.array([np.delete(np.arange(pair.k), j) for j in range(pair.k)])  # (k, k - 1)
            rows += _rows(pair.labels, list(pair.snp), pair.k - 1, conv, mr_ivw, *(a[without] for a in arrays),
                          se_model=_ivw_model(conv))
        rows += _rows(pair.labels, ["All"], pair.k, conv, mr_ivw, *arrays, se_model=_ivw_model(conv))
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
        arrays = pair.arrays()
        rows += _rows(pair.labels, list(pair.snp), 1, conv, wald_ratio, *(a[:, None] for a in arrays))
        rows += _rows(pair.labels, ["All - Inverse variance weighted"], pair.k, conv, mr_ivw, *arrays,
                      se_model=_ivw_model(conv))
        rows += _rows(pair.labels, ["All - MR Egger"], pair.k, conv, mr_egger, *arrays, t_dist=conv.egger_t)
    return pd.DataFrame(rows)
