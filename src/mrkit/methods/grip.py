# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (github.com/MRCIEU/TwoSampleMR, commit c14776b; R/mr-grip.R: mr_grip; MIT).
"""MR-GRIP: MR-Egger with the genotype recoding invariance property (Dudbridge, Bowden et al. 2025).

MR-Egger's slope depends on which allele is coded as the effect allele (hence its orientation to ``bx > 0``).
MR-GRIP multiplies every term of the Egger model by ``bx_j``: it regresses ``by_j bx_j`` on ``bx_j^2`` with an
intercept, weights ``1 / (bx_j^2 byse_j^2)`` (the inverse variance of ``by_j bx_j`` under NOME), so that recoding a
variant (negating both betas) changes nothing. As TwoSampleMR: ``lm`` standard errors (no floor), p-values from
t(k - 2).

The weak-instrument adjusted estimate (``estimate_adjusted``) corrects the attenuation by ``bxse``, with weights
``v_j = 1 / byse_j^2``::

    b_adj = (sum v * sum v by bx (bx^2 - 3 bxse^2) - sum v by bx * sum v (bx^2 - bxse^2))
            / (sum v * sum v (bx^4 - 6 bx^2 bxse^2 + 3 bxse^4) - (sum v (bx^2 - bxse^2))^2)

and its sandwich SE ``se_adjusted`` uses ``var_j = mean((by - (b bx^2 + b0) / bx)^2) bx_j^2`` (mr-grip.R). R quirk
reproduced: the sandwich's numerator can be negative (the MR-PRESSO example), and R's ``sqrt`` then gives NaN
("NaNs produced"): ``se_adjusted`` and ``p_adjusted`` are NaN with a note.

References
----------
Dudbridge F, Bowden J, et al. (2025). MR-GRIP: a modified MR-Egger model with the genotype recoding invariance
property (as cited by TwoSampleMR 0.7.9 ``mr_grip``).
"""
from __future__ import annotations

import numpy as np

from .conventions import p_value
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result

__all__ = ["METHODS", "QUIRKS", "mr_grip"]


def mr_grip(bx, bxse, by, byse) -> dict:
    """MR-GRIP slope, intercept and weak-instrument adjusted slope (TwoSampleMR ``mr_grip``).

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)

    Returns
    -------
    dict
        make_result of the slope (lm SE, p from t(k - 2)) plus ``intercept``, ``intercept_se``, ``intercept_p``
        (t(k - 2)), ``estimate_adjusted``, ``se_adjusted``, ``p_adjusted`` (t(k - 2)).

    Raises
    ------
    NotEstimable
        Fewer than 3 variants (R: NA).
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3, method="MR-GRIP")
    k = bx.shape[1]
    x, y, w = bx ** 2, by * bx, 1.0 / (bx ** 2 * byse ** 2)
    sw = np.sum(w, axis=1)
    xbar = np.sum(w * x, axis=1) / sw
    ybar = np.sum(w * y, axis=1) / sw
    dx = x - xbar[:, None]
    sxx = np.sum(w * dx * dx, axis=1)
    slope = np.sum(w * dx * (y - ybar[:, None]), axis=1) / sxx
    intercept = ybar - slope * xbar
    sigma = np.sqrt(np.sum(w * (y - intercept[:, None] - slope[:, None] * x) ** 2, axis=1) / (k - 2))
    se = sigma / np.sqrt(sxx)
    intercept_se = sigma * np.sqrt(1.0 / sw + xbar ** 2 / sxx)

    v = 1.0 / byse ** 2
    sv = np.sum(v, axis=1)
    m2 = np.sum(v * (x - bxse ** 2), axis=1)
    numer = sv * np.sum(v * y * (x - 3 * bxse ** 2), axis=1) - np.sum(v * y, axis=1) * m2
    denom = sv * np.sum(v * (x ** 2 - 6 * x * bxse ** 2 + 3 * bxse ** 4), axis=1) - m2 ** 2
    adjusted = numer / denom
    var_out = np.mean((by - (slope[:, None] * x + intercept[:, None]) / bx) ** 2, axis=1)[:, None] * x
    numer = (sv ** 2 * np.sum(v ** 2 * var_out * (x - 3 * bxse ** 2) ** 2, axis=1)
             + np.sum(v ** 2 * var_out, axis=1) * m2 ** 2
             - 2 * sv * m2 * np.sum(v ** 2 * (x - bxse ** 2) * var_out, axis=1))
    negative = numer < 0
    with np.errstate(invalid="ignore"):
        se_adjusted = np.sqrt(numer) / denom
    note = np.where(negative, "the adjusted estimate's variance is negative: se_adjusted NaN (R: 'NaNs produced')",
                    "").astype(object)
    return make_result(slope, se, nsnp=k, se_model="random_unfloored", weights="grip_first_order", df=k - 2,
                       note=note, intercept=intercept, intercept_se=intercept_se,
                       intercept_p=p_value(intercept, intercept_se, k - 2), estimate_adjusted=adjusted,
                       se_adjusted=se_adjusted, p_adjusted=p_value(adjusted, se_adjusted, k - 2))


#: One record per method id of this module.
METHODS = (
    MethodInfo(id="grip", label="MR GRIP", short_label="MR-GRIP", family="InSIDE",
               r_function="TwoSampleMR 0.7.9 mr_grip",
               idea="MR-Egger with every term multiplied by the variant's exposure beta, so that the fit no longer "
                    "depends on which allele is coded as the effect allele. The intercept still captures "
                    "directional pleiotropy; an adjusted slope corrects for weak instruments.",
               formula=r"\hat\beta_{Yj}\hat\beta_{Xj} = \beta_0 + \beta_1\hat\beta_{Xj}^2 + \varepsilon_j,\ "
                       r"w_j = 1/(\hat\beta_{Xj}^2\sigma_{Yj}^2)",
               trades="As MR-Egger, allows directional pleiotropy independent of instrument strength (InSIDE), "
                      "without MR-Egger's arbitrary orientation of the alleles.",
               when="Instead of MR-Egger when the orientation of the alleles is arbitrary, e.g. variants with "
                    "exposure effects of both signs.",
               extra_keys=("intercept", "intercept_se", "intercept_p", "estimate_adjusted", "se_adjusted",
                           "p_adjusted")),
)

#: R behaviours reproduced (the conventions page), by method id.
QUIRKS = {"grip": ("TwoSampleMR's mr_grip: the adjusted estimate's sandwich variance can be negative, and R's sqrt "
                   "gives a missing value with the warning 'NaNs produced' (MR-PRESSO example: se.adj and pval.adj "
                   "missing); "
                   "reproduced, with a note.",)}

register("grip", lambda data, ctx: mr_grip(*data), row_keys=METHODS[0].extra_keys, reference=METHODS[0].r_function)
