# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) mr_heterogeneity, mr_pleiotropy_test, Isq; MendelianRandomization 0.10.0
# (GPL-2 | GPL-3) mr_egger.
"""Heterogeneity and pleiotropy statistics: Cochran's Q, Rucker's Q', I2_GX, Egger intercept test.

* Cochran's Q of the IVW fit, ``sum w (by - theta_IVW bx)^2`` on k - 1 df (TwoSampleMR
  ``mr_heterogeneity``, MendelianRandomization ``Heter.Stat``): heterogeneity of the ratio
  estimates, a symptom of pleiotropy;
* Rucker's Q' of the MR-Egger fit on k - 2 df; Q - Q' large means the intercept explains part
  of the heterogeneity;
* the MR-Egger intercept test of directional pleiotropy (TwoSampleMR ``mr_pleiotropy_test``: p
  from t(k - 2); MendelianRandomization: normal);
* I2_GX, the NOME-violation measure that tells whether MR-Egger is diluted: TwoSampleMR
  computes ``Isq(|bx|, bxse)``; MendelianRandomization ``Isq(|bx|/byse, bxse/byse)`` (the
  weighted version of Bowden et al. 2016).

References
----------
Bowden J, Del Greco MF, Minelli C, et al. (2016). Assessing the suitability of summary data for
two-sample Mendelian randomization analyses using MR-Egger regression: the role of the I2
statistic. Int J Epidemiol 45:1961-1974.
Bowden J, Del Greco MF, Minelli C, et al. (2017). A framework for the investigation of
pleiotropy in two-sample summary data Mendelian randomization. Stat Med 36:1783-1802.
Bowden J, Davey Smith G, Burgess S (2015). Int J Epidemiol 44:512-525.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import NotEstimable
from .conventions import get_convention
from .egger import egger_fit, mr_egger
from .ivw import ivw_fit
from .mrdata import MRData, split_pairs
from .replicates import NOT_ESTIMABLE, result_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["i2_gx", "cochran_q", "rucker_q", "heterogeneity", "pleiotropy", "heterogeneity_rows",
           "pleiotropy_rows", "I2GX_THRESHOLD", "nome_note"]


def i2_gx(bx, bxse, byse=None):
    """I2_GX = max(0, (Q - (k - 1)) / Q) of ``|bx|`` with SE ``bxse`` (byse None, TwoSampleMR)
    or of ``|bx|/byse`` with SE ``bxse/byse`` (MendelianRandomization), along the last axis: a float for
    ``(k,)`` arrays, ``(n_rep,)`` for ``(n_rep, k)``.

    Why the two conventions differ (0.9287 against 0.9194 on the lipids data): Q is Cochran's Q of the
    "estimates" ``y_j`` with SEs ``s_j``, i.e. ``sum z_j^2 - (sum w_j y_j)^2 / sum w_j`` with ``z_j = y_j / s_j``
    and ``w_j = s_j^-2``. Dividing ``|bx_j|`` and ``bxse_j`` by the same ``byse_j`` leaves every ``z_j =
    |bx_j| / bxse_j`` and so the first term unchanged (784.26 on the lipids data); only the part explained by
    the fitted constant changes: TwoSampleMR fits one mean of ``|bx|`` (Q = 784.26 - 405.38 = 378.88),
    MendelianRandomization one mean of ``|bx| / byse``, i.e. ``|bx_j|`` proportional to ``byse_j`` (Q = 784.26 -
    449.42 = 334.84). Where ``|bx|`` grows with ``byse`` (correlation 0.44 on the lipids data) the second fits
    better, Q is smaller and I2_GX lower; with a constant ``byse`` the two are identical. The ratio-scale
    version is the one that matches MR-Egger as fitted (weights ``byse^-2``, i.e. ordinary least squares of
    ``by/byse`` on ``bx/byse`` and ``1/byse``), whose regressor measured with error is ``bx/byse`` with error SD
    ``bxse/byse``; TwoSampleMR's ``Isq(abs(bx), se)`` is the unweighted version.

    References
    ----------
    Bowden J, et al. (2016). Int J Epidemiol 45:1961-1974.
    """
    y, s = np.abs(np.asarray(bx, dtype=float)), np.asarray(bxse, dtype=float)
    if byse is not None:
        y, s = y / byse, s / byse
    w = 1.0 / s ** 2
    mu = np.sum(y * w, axis=-1) / np.sum(w, axis=-1)
    q = np.sum(w * (y - mu[..., None]) ** 2, axis=-1)
    out = np.maximum(0.0, (q - (y.shape[-1] - 1)) / q)
    return float(out) if out.ndim == 0 else out


def cochran_q(bx, by, byse) -> dict:
    """Cochran's Q of the IVW fit of one dataset ``(k,)``: ``q``, ``df`` = k - 1, chi-square ``p``."""
    if np.size(bx) < 2:
        raise NotEstimable(f"Cochran's Q needs at least 2 SNPs, got {np.size(bx)}")
    fit = ivw_fit(*(np.atleast_2d(np.asarray(a, dtype=float)) for a in (bx, by, byse)))
    return {"q": float(fit["q"][0]), "df": fit["q_df"], "p": float(fit["q_p"][0])}


def rucker_q(bx, by, byse) -> dict:
    """Rucker's Q' of the MR-Egger fit of one dataset ``(k,)``: ``q``, ``df`` = k - 2, chi-square ``p``."""
    fit = egger_fit(*(np.atleast_2d(np.asarray(a, dtype=float)) for a in (bx, by, byse)))
    if not fit["identifiable"][0]:
        raise NotEstimable("MR-Egger slope is not identifiable: all |bx| equal (collinear with the intercept)")
    return {"q": float(fit["q"][0]), "df": fit["q_df"], "p": float(fit["q_p"][0])}


def _nan_row(reason: str) -> dict:
    return {"q": np.nan, "df": np.nan, "p": np.nan, "note": reason}


def heterogeneity(data: Any, convention: str = "twosamplemr") -> pd.DataFrame:
    """Cochran's Q (method ``ivw``) and Rucker's Q' (``egger``) per exposure-outcome pair.

    Both conventions give the same numbers; the column ``convention`` records the one asked for.
    Rows that cannot be computed (too few SNPs) carry NaN and the reason in ``note``.
    """
    import pandas as pd

    return pd.DataFrame(heterogeneity_rows(data, convention))


def heterogeneity_rows(data: Any, convention: str = "twosamplemr") -> list[dict]:
    """The rows of :func:`heterogeneity` as dicts (no pandas needed)."""
    conv = get_convention(convention)
    rows = []
    for pair in split_pairs(data):
        bx, _, by, byse = pair.canonical().arrays()
        for method, func in (("ivw", cochran_q), ("egger", rucker_q)):
            try:
                res = {**func(bx, by, byse), "note": ""}
            except NotEstimable as exc:
                res = _nan_row(str(exc))
            rows.append({**pair.labels, "method": method, **res, "nsnp": pair.k,
                         "convention": conv.name})
    return rows


def _pleiotropy_row(pair: MRData, conv) -> dict:
    bx, bxse, by, byse = pair.canonical().arrays()
    try:
        egger = result_rows(mr_egger(bx, bxse, by, byse, t_dist=conv.egger_t))[0]
        if egger["note"].startswith(NOT_ESTIMABLE):
            raise NotEstimable(egger["note"][len(NOT_ESTIMABLE):])
        res = {"intercept": egger["intercept"], "se": egger["intercept_se"],
               "p": egger["intercept_p"], "distribution": egger["intercept_distribution"],
               "i2gx": i2_gx(bx, bxse, byse if conv.i2gx_on_ratio_scale else None), "note": ""}
    except NotEstimable as exc:
        res = {"intercept": np.nan, "se": np.nan, "p": np.nan, "distribution": "",
               "i2gx": np.nan, "note": str(exc)}
    return {**pair.labels, **res, "nsnp": pair.k, "convention": conv.name}


def pleiotropy(data: Any, convention: str = "twosamplemr") -> pd.DataFrame:
    """MR-Egger intercept test (``intercept``, ``se``, ``p``) and I2_GX per exposure-outcome pair.

    TwoSampleMR convention: p from t(k - 2), I2_GX on bx; MendelianRandomization: normal p,
    I2_GX on bx/byse.

    References
    ----------
    Bowden J, Davey Smith G, Burgess S (2015). Int J Epidemiol 44:512-525.
    """
    import pandas as pd

    return pd.DataFrame(pleiotropy_rows(data, convention))


def pleiotropy_rows(data: Any, convention: str = "twosamplemr") -> list[dict]:
    """The rows of :func:`pleiotropy` as dicts (no pandas needed)."""
    conv = get_convention(convention)
    return [_pleiotropy_row(pair, conv) for pair in split_pairs(data)]


#: I2_GX below which MR-Egger is diluted too much to be read as it is (Bowden et al. 2016).
I2GX_THRESHOLD = 0.9


def nome_note(i2gx: float) -> str:
    """The warning MR-Egger's row needs when ``i2gx`` < :data:`I2GX_THRESHOLD`, else "" (also for NaN).

    I2_GX measures how well the SNP-exposure effects are estimated relative to their spread. Below 0.9 the
    "no measurement error" (NOME) assumption MR-Egger relies on is violated enough that its slope is diluted
    towards zero by about 1 - I2_GX (and its intercept test is affected): Bowden et al. (2016) advise a SIMEX
    correction of MR-Egger, or not reading MR-Egger's slope, at that point.

    References
    ----------
    Bowden J, Del Greco MF, Minelli C, et al. (2016). Int J Epidemiol 45:1961-1974.
    """
    if i2gx is None or not np.isfinite(i2gx) or i2gx >= I2GX_THRESHOLD:
        return ""
    return (f"I2_GX {i2gx:.3f} < {I2GX_THRESHOLD}: NOME violated (Bowden et al. 2016), MR-Egger's slope is diluted "
            f"towards zero by about {100 * (1 - i2gx):.0f} %; correct it with MR-Egger SIMEX or rely on the other "
            "methods")
