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

Written over replicates (:mod:`mrkit.methods.replicates`): ``(n_rep, k)`` arrays in, ``(n_rep,)`` results out; a
replicate whose slope is not identifiable (all |bx| equal) is NaN with a note.

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
from .conventions import EXACT_FIT_NOTE, exact_fit_q
from .distributions import chi2_sf
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result, not_estimable

__all__ = ["METHODS", "egger_fit", "mr_egger"]

_NOT_IDENTIFIABLE = "MR-Egger slope is not identifiable: all |bx| equal (collinear with the intercept)"


def egger_fit(bx: np.ndarray, by: np.ndarray, byse: np.ndarray) -> dict:
    """Oriented weighted regression with intercept, along the last axis; ``lm`` SEs before the sigma floor.

    ``bx``, ``by``, ``byse``: ``(n_rep, k)``. Returns arrays ``(n_rep,)``: ``slope``, ``intercept``, ``se_slope``,
    ``se_intercept`` (lm), ``se_slope_unit``, ``se_intercept_unit`` (the same with sigma = 1, i.e. sqrt of the
    diagonal of (X'WX)^-1), ``sigma``, ``q`` (Rucker's Q'; exactly 0 for a fit exact to rounding), ``q_p``, and
    ``q_df`` = k - 2 and ``identifiable`` (False where all |bx| are equal: those rows are NaN).

    Raises :class:`~mrkit.errors.NotEstimable` for fewer than 3 SNPs.
    """
    k = bx.shape[-1]
    if k < 3:
        raise NotEstimable(f"MR-Egger needs at least 3 SNPs, got {k}")
    sign = np.where(bx < 0, -1.0, 1.0)
    x, y = np.abs(bx), by * sign
    w = 1.0 / byse ** 2
    sw, swx, swy = w.sum(axis=-1), np.sum(w * x, axis=-1), np.sum(w * y, axis=-1)
    xbar, ybar = swx / sw, swy / sw
    sxx = np.sum(w * (x - xbar[..., None]) ** 2, axis=-1)
    identifiable = sxx > 1e-12 * np.sum(w * x * x, axis=-1)
    sxx = np.where(identifiable, sxx, np.nan)
    slope = np.sum(w * (x - xbar[..., None]) * (y - ybar[..., None]), axis=-1) / sxx
    intercept = ybar - slope * xbar
    with np.errstate(invalid="ignore"):
        q = exact_fit_q(np.sum(w * (y - intercept[..., None] - slope[..., None] * x) ** 2, axis=-1), w, y)
    df = k - 2
    sigma = np.sqrt(q / df)
    unit_slope = 1.0 / np.sqrt(sxx)
    unit_intercept = np.sqrt(1.0 / sw + xbar ** 2 / sxx)
    return {"slope": slope, "intercept": intercept, "se_slope": sigma * unit_slope,
            "se_intercept": sigma * unit_intercept, "se_slope_unit": unit_slope, "se_intercept_unit": unit_intercept,
            "sigma": sigma, "q": q, "q_df": df, "q_p": chi2_sf(q, df), "identifiable": identifiable}


def mr_egger(bx, bxse, by, byse, *, t_dist: bool = True) -> dict:
    """MR-Egger slope and intercept, SEs floored at the fixed-effect ones.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
    t_dist : bool
        p-values and CIs from t(k - 2) (TwoSampleMR) instead of the normal
        (MendelianRandomization default).

    Returns
    -------
    dict
        :func:`~mrkit.methods.replicates.make_result` arrays ``(n_rep,)`` for the slope plus ``intercept``,
        ``intercept_se``, ``intercept_p``, ``intercept_ci_lower``/``upper``, ``intercept_distribution``, ``q``,
        ``q_df``, ``q_p`` (Rucker's Q') and ``sigma``. A replicate whose |bx| are all equal is NaN, noted.

    Raises
    ------
    NotEstimable
        Fewer than 3 SNPs.

    References
    ----------
    Bowden J, Davey Smith G, Burgess S (2015). Int J Epidemiol 44:512-525.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse)
    fit = egger_fit(bx, by, byse)
    k = bx.shape[1]
    scale = np.maximum(1.0, fit["sigma"])  # lm SE / min(1, sigma), without dividing by sigma
    df = k - 2 if t_dist else None
    se_int = fit["se_intercept_unit"] * scale
    note = np.where(fit["q"] == 0, EXACT_FIT_NOTE, "").astype(object)
    intercept = make_result(fit["intercept"], se_int, nsnp=k, df=df, se_model="random_floored",
                            weights="first_order")
    result = make_result(fit["slope"], fit["se_slope_unit"] * scale, nsnp=k, df=df, note=note,
                         se_model="random_floored", weights="first_order",
                         intercept=fit["intercept"], intercept_se=se_int, intercept_p=intercept["p"],
                         intercept_ci_lower=intercept["ci_lower"], intercept_ci_upper=intercept["ci_upper"],
                         intercept_distribution=intercept["distribution"],
                         q=fit["q"], q_df=fit["q_df"], q_p=fit["q_p"], sigma=fit["sigma"])
    return not_estimable(result, ~fit["identifiable"], _NOT_IDENTIFIABLE)


register("egger", lambda data, ctx: mr_egger(*data, t_dist=ctx.convention.egger_t),
         reference="TwoSampleMR mr_egger_regression; MendelianRandomization mr_egger")

#: What the book's methods chapter says about this id (:class:`~mrkit.methods.method_info.MethodInfo`).
METHODS = (
    MethodInfo(
        id="egger", label="MR Egger", short_label="MR-Egger", family="InSIDE",
        r_function="TwoSampleMR 0.7.9 mr_egger_regression; MendelianRandomization 0.10.0 mr_egger",
        idea=("Regress the variants' outcome effects on their exposure effects with an intercept, weighting by "
              "byse^-2, after orienting every variant to a positive exposure effect. The intercept absorbs the "
              "average directional pleiotropy, the slope is the causal effect."),
        formula=r"\hat\beta_{Yj} = \beta_0 + \beta_E\,\hat\beta_{Xj} + \varepsilon_j,\ "
                r"\varepsilon_j \sim N(0, \phi\,\sigma_{Yj}^2),\ \hat\beta_{Xj} > 0",
        trades=("Gives up 'no pleiotropy' for InSIDE: the pleiotropic effects must be independent of the "
                "instrument strengths; needs no measurement error in bx (I2_GX near 1) and loses much precision."),
        when="As a sensitivity analysis with enough variants spread in strength; read its intercept as a test of "
             "directional pleiotropy, and distrust the slope when I2_GX < 0.9.",
        extra_keys=()),
)
