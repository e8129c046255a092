# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) mr_egger_regression, R/mr.R; MendelianRandomization 0.10.0 (GPL-2 | GPL-3)
# mr_egger.
"""MR-Egger regression: IVW with an intercept that absorbs directional pleiotropy.

As in both R packages, each variant is first oriented so that ``bx > 0`` (``bx -> |bx|``,
``by -> by * sign(bx)``, sign(0) = +1), then ``by`` is regressed on ``bx`` with an intercept,
weights ``1/byse^2``. The slope and intercept standard errors are the ``lm`` ones divided by
``min(1, sigma)`` (residual-SE floor), computed as the unit-variance SEs times ``max(1, sigma)``:
the same numbers, and an exact fit (sigma = 0, where ``lm``'s SE is 0 too and R's ratio is 0/0 up to
rounding) gets the fixed-effect SEs instead of a division by zero. TwoSampleMR takes their p-values from t(k - 2);
MendelianRandomization's default uses the normal. Rucker's Q' = sigma^2 (k - 2) on k - 2
degrees of freedom.

References
----------
Bowden J, Davey Smith G, Burgess S (2015). Mendelian randomization with invalid instruments:
effect estimation and bias detection through Egger regression. Int J Epidemiol 44:512-525.
Rucker G, Schwarzer G, Carpenter JR, Binder H, Schumacher M (2011). Treatment-effect estimates
adjusted for small-study effects via a limit meta-analysis. Biostatistics 12:122-142.
"""
from __future__ import annotations

import numpy as np

from ..errors import NotEstimable
from .conventions import EXACT_FIT_NOTE, confidence_interval, distribution_label, exact_fit_q, p_value, result_row
from .distributions import chi2_sf

__all__ = ["egger_fit", "mr_egger"]


def egger_fit(bx: np.ndarray, by: np.ndarray, byse: np.ndarray) -> dict:
    """Oriented weighted regression with intercept; ``lm`` SEs before the sigma floor.

    Returns ``slope``, ``intercept``, ``se_slope``, ``se_intercept`` (lm), ``se_slope_unit``,
    ``se_intercept_unit`` (the same with sigma = 1, i.e. sqrt of the diagonal of (X'WX)^-1),
    ``sigma``, ``q`` (Rucker's Q'; exactly 0 for a fit exact to rounding), ``q_df``, ``q_p``.
    """
    k = bx.size
    if k < 3:
        raise NotEstimable(f"MR-Egger needs at least 3 SNPs, got {k}")
    sign = np.where(bx < 0, -1.0, 1.0)
    x, y = np.abs(bx), by * sign
    w = 1.0 / byse ** 2
    sw, swx, swy = w.sum(), np.sum(w * x), np.sum(w * y)
    xbar, ybar = swx / sw, swy / sw
    sxx = np.sum(w * (x - xbar) ** 2)
    if not sxx > 1e-12 * np.sum(w * x * x):
        raise NotEstimable("MR-Egger slope is not identifiable: all |bx| equal (collinear with "
                           "the intercept)")
    slope = np.sum(w * (x - xbar) * (y - ybar)) / sxx
    intercept = ybar - slope * xbar
    q = exact_fit_q(float(np.sum(w * (y - intercept - slope * x) ** 2)), w, y)
    df = k - 2
    sigma = np.sqrt(q / df)
    unit_slope = 1.0 / np.sqrt(sxx)
    unit_intercept = np.sqrt(1.0 / sw + xbar ** 2 / sxx)
    return {"slope": float(slope), "intercept": float(intercept), "se_slope": float(sigma * unit_slope),
            "se_intercept": float(sigma * unit_intercept), "se_slope_unit": float(unit_slope),
            "se_intercept_unit": float(unit_intercept), "sigma": float(sigma), "q": q, "q_df": df,
            "q_p": float(chi2_sf(q, df))}


def mr_egger(bx, bxse, by, byse, *, t_dist: bool = True) -> dict:
    """MR-Egger slope and intercept, SEs floored at the fixed-effect ones.

    Parameters
    ----------
    t_dist : bool
        p-values and CIs from t(k - 2) (TwoSampleMR) instead of the normal
        (MendelianRandomization default).

    Returns
    -------
    dict
        Result row for the slope plus ``intercept``, ``intercept_se``, ``intercept_p``,
        ``intercept_ci_lower``/``upper``, ``q``, ``q_df``, ``q_p`` (Rucker's Q') and ``sigma``.

    References
    ----------
    Bowden J, Davey Smith G, Burgess S (2015). Int J Epidemiol 44:512-525.
    """
    fit = egger_fit(bx, by, byse)
    k = bx.size
    scale = max(1.0, fit["sigma"])  # lm SE / min(1, sigma), without dividing by sigma
    df = k - 2 if t_dist else None
    se_int = fit["se_intercept_unit"] * scale
    lo, hi = confidence_interval(fit["intercept"], se_int, df)
    note = EXACT_FIT_NOTE if fit["q"] == 0 else ""
    return result_row(fit["slope"], fit["se_slope_unit"] * scale, nsnp=k, df=df, note=note,
                      se_model="random_floored", weights="first_order",
                      intercept=fit["intercept"], intercept_se=se_int,
                      intercept_p=p_value(fit["intercept"], se_int, df),
                      intercept_ci_lower=lo, intercept_ci_upper=hi,
                      intercept_distribution=distribution_label(df),
                      q=fit["q"], q_df=fit["q_df"], q_p=fit["q_p"], sigma=fit["sigma"])
