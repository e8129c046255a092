# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MendelianRandomization 0.10.0 (GPL-2 | GPL-3) mr_mvivw, mr_mvegger; TwoSampleMR 0.7.9 (MIT) mv_multiple.
"""Multivariable IVW and MV-Egger: weighted regressions of the outcome effects on the effects on K exposures.

* **MV-IVW** (``mr_mvivw``, Burgess, Dudbridge & Thompson 2015): weighted least squares of ``by`` on the
  columns of ``bx`` without intercept, weights ``1/byse^2``. SE models as in the univariable IVW
  (:mod:`.ivw`): ``fixed`` = lm SE / sigma; ``random_floored`` = lm SE / min(1, sigma)
  (MendelianRandomization ``model = "random"``); ``random_unfloored`` = the lm SE (TwoSampleMR
  ``mv_multiple``, which reports ``summary(lm)``). MendelianRandomization's default (``auto``): fixed
  when J < 4, else random floored. Cochran's Q = sigma^2 (J - K) on J - K df (its ``Heter.Stat``).
* **MV-Egger** (``mr_mvegger``, Rees, Wood & Burgess 2017): every variant oriented so that the effect on
  the ``orientate``-th exposure (default the first) is positive, then WLS with an intercept; SEs are the
  lm ones divided by min(1, sigma). MendelianRandomization's p-values and CIs are normal by default; the
  intercept tests directional pleiotropy.

Inputs: ``bx``, ``bxse`` of shape (J, K), ``by``, ``byse`` of shape (J,); one result row per exposure. Both
refuse a design that does not identify the fit (:func:`mrkit.methods.mv_design.check_design`).

References
----------
Burgess S, Dudbridge F, Thompson SG (2015). Re: "Multivariable Mendelian randomization: the use of
pleiotropic genetic variants to estimate causal effects". Am J Epidemiol 181:290-291.
Rees JMB, Wood AM, Burgess S (2017). Extending the MR-Egger method for multivariable Mendelian
randomization to correct for both measured and unmeasured pleiotropy. Stat Med 36:4705-4718.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError
from .conventions import confidence_interval, distribution_label, p_value, result_row
from .distributions import chi2_sf
from .ivw import resolve_se_model, se_multiplier
from .method_info import MethodInfo
from .mv_design import check_arrays, check_design, wls
from .registry import register_mv

__all__ = ["METHODS", "MV_IVW_SE", "mv_ivw_fit", "mr_mvivw", "mr_mvegger"]

#: which MV-IVW SE model the default ``mv_ivw`` row uses under each convention
MV_IVW_SE = {"twosamplemr": "random_unfloored", "mendelianrandomization": "auto"}


def mv_ivw_fit(bx, by, byse, exposures: Sequence[str] | None = None) -> dict:
    """MV-IVW fit: ``estimate`` (K,), ``se_fixed`` (K,), ``sigma``, ``q``, ``q_df``, ``q_p`` (Cochran's Q).

    Raises :class:`~mrkit.errors.NotEstimable` for a design that does not identify the fit (too few variants,
    collinear exposure effects; ``exposures`` names them).

    References
    ----------
    MendelianRandomization ``mr_mvivw`` (lm(By ~ Bx - 1, weights = Byse^-2)); its ``Heter.Stat``.
    """
    bx = np.atleast_2d(np.asarray(bx, float))
    check_design(bx, exposures, method="MV-IVW")
    fit = wls(bx, np.asarray(by, float), 1.0 / np.asarray(byse, float) ** 2)
    q = fit["sigma"] ** 2 * fit["df"]
    return {"estimate": fit["coef"], "se_fixed": np.sqrt(np.diag(fit["xtwx_inv"])), "sigma": fit["sigma"],
            "q": float(q), "q_df": int(fit["df"]), "q_p": float(chi2_sf(q, fit["df"]))}


def mr_mvivw(bx, bxse, by, byse, *, se_model: str = "auto", t_dist: bool = False,
             exposures: Sequence[str] | None = None) -> list[dict]:
    """MV-IVW estimate of each exposure (one result row per exposure, in column order).

    Parameters
    ----------
    bx, bxse : (J, K) arrays; by, byse : (J,) arrays
    se_model : {"auto", "fixed", "random_floored", "random_unfloored"}
        ``auto`` = MendelianRandomization's default (fixed when J < 4, else random floored).
    t_dist : p-values and CIs from t(J - K) (MendelianRandomization ``distribution = "t-dist"``).
    exposures : names of the K exposures, for messages.

    Returns
    -------
    list of dict
        :func:`~mrkit.methods.conventions.result_row` rows with ``exposure_index``, ``q``, ``q_df``,
        ``q_p`` and ``sigma``; estimates in outcome units per exposure unit.

    Raises
    ------
    InputError
        Shapes that disagree, non-finite values, SEs <= 0, an unknown ``se_model``.
    NotEstimable
        J <= K, or collinear exposure effects (named).

    References
    ----------
    Burgess S, Dudbridge F, Thompson SG (2015). Am J Epidemiol 181:290-291; MendelianRandomization
    ``mr_mvivw``; TwoSampleMR ``mv_multiple``.
    """
    bx, bxse, by, byse = check_arrays(bx, bxse, by, byse)
    j, k = bx.shape
    fit = mv_ivw_fit(bx, by, byse, exposures)
    model = resolve_se_model(se_model, j)  # the same rule as the univariable IVW (mr_ivw / mr_mvivw "default")
    scale = se_multiplier(model, fit["sigma"])
    df = j - k if t_dist else None
    return [result_row(fit["estimate"][i], fit["se_fixed"][i] * scale, nsnp=j, df=df, se_model=model,
                       weights="first_order", exposure_index=i, q=fit["q"], q_df=fit["q_df"], q_p=fit["q_p"],
                       sigma=fit["sigma"]) for i in range(k)]


def mr_mvegger(bx, bxse, by, byse, *, orientate: int = 0, t_dist: bool = False,
               exposures: Sequence[str] | None = None) -> dict:
    """MV-Egger: oriented to exposure ``orientate`` (0-based; default the first), with intercept.

    ``bx``, ``bxse`` (J, K); ``by``, ``byse`` (J,). Returns ``{"rows": [one row per exposure], "intercept":
    {estimate, se, ci_lower, ci_upper, p, distribution}, "q", "q_df", "q_p", "sigma", "orientate"}``; the
    intercept is in outcome units (the mean direct effect of a variant, oriented). Raises :class:`InputError`
    for bad input or ``orientate``, :class:`~mrkit.errors.NotEstimable` when J < K + 2 or the oriented design is
    collinear (named). SEs are lm SEs / min(1, sigma). With ``t_dist`` p-values and CIs use t(J - K - 1)
    (MendelianRandomization's t-dist CI uses J - K - 1 but its p-value J - K; mrkit uses J - K - 1 for both, the
    residual df of the fit).

    References
    ----------
    Rees JMB, Wood AM, Burgess S (2017). Stat Med 36:4705-4718; MendelianRandomization ``mr_mvegger``.
    """
    bx, bxse, by, byse = check_arrays(bx, bxse, by, byse)
    j, k = bx.shape
    if not 0 <= orientate < k:
        raise InputError(f"orientate must be an exposure index in 0..{k - 1}, got {orientate}", column="orientate")
    # R orients by sign(bx), so a variant with bx exactly 0 on this exposure gets by = bx = 0 and stays in the fit;
    # mrkit orients it as +1 (TwoSampleMR's sign0, as mrkit's MR-Egger). The two agree whenever no bx is exactly 0.
    sign = np.where(bx[:, orientate] < 0, -1.0, 1.0)
    check_design(bx * sign[:, None], exposures, intercept=True, method="MV-Egger")
    x = np.column_stack([np.ones(j), bx * sign[:, None]])
    fit = wls(x, by * sign, 1.0 / byse ** 2)
    se = np.sqrt(np.diag(fit["xtwx_inv"])) * fit["sigma"] / min(1.0, fit["sigma"])
    df = j - k - 1 if t_dist else None
    rows = [result_row(fit["coef"][i + 1], se[i + 1], nsnp=j, df=df, se_model="random_floored",
                       weights="first_order", exposure_index=i) for i in range(k)]
    lo, hi = confidence_interval(fit["coef"][0], se[0], df)
    q = fit["sigma"] ** 2 * fit["df"]
    return {"rows": rows, "intercept": {"estimate": float(fit["coef"][0]), "se": float(se[0]), "ci_lower": lo,
                                        "ci_upper": hi, "p": p_value(fit["coef"][0], se[0], df),
                                        "distribution": distribution_label(df)},
            "q": float(q), "q_df": int(fit["df"]), "q_p": float(chi2_sf(q, fit["df"])),
            "sigma": fit["sigma"], "orientate": orientate}


def _mv_egger_rows(data, ctx) -> list[dict]:
    res = mr_mvegger(*data.arrays(), t_dist=ctx.convention.egger_t, exposures=data.exposures)
    icpt = res["intercept"]
    note = (f"oriented to {data.exposures[0]}; intercept {icpt['estimate']:.4g} (SE {icpt['se']:.3g}, "
            f"p {icpt['p']:.3g})")
    return [{**r, "note": note} for r in res["rows"]]


register_mv("mv_ivw", lambda data, ctx: mr_mvivw(*data.arrays(), se_model=MV_IVW_SE[ctx.convention.name],
                                                 exposures=data.exposures),
            reference="TwoSampleMR mv_multiple; MendelianRandomization mr_mvivw (model = default)")
register_mv("mv_ivw_fe", lambda data, ctx: mr_mvivw(*data.arrays(), se_model="fixed", exposures=data.exposures),
            reference="MendelianRandomization mr_mvivw(model = fixed)")
register_mv("mv_egger", _mv_egger_rows, reference="MendelianRandomization mr_mvegger")

#: What the book's methods chapter says about these ids (:class:`~mrkit.methods.method_info.MethodInfo`).
METHODS = (
    MethodInfo(
        id="mv_ivw", label="MV inverse variance weighted", short_label="MV-IVW", family="none (all valid)",
        r_function="TwoSampleMR 0.7.9 mv_multiple; MendelianRandomization 0.10.0 mr_mvivw",
        idea=("Regress the outcome effects on the effects on every exposure at once, weighted by byse^-2, "
              "through the origin. Each coefficient is an exposure's direct effect given the others."),
        formula=r"\hat\beta_{Y} = B_X\theta + \varepsilon,\ \hat\theta = (B_X'WB_X)^{-1}B_X'W\hat\beta_Y",
        trades="Assumes every variant valid for the set of exposures (pleiotropy only through them).",
        when="The primary multivariable analysis (direct effects, mediation)."),
    MethodInfo(
        id="mv_ivw_fe", label="MV-IVW (fixed effects)", short_label="MV-IVW (FE)", family="none (all valid)",
        r_function="MendelianRandomization 0.10.0 mr_mvivw(model = 'fixed')",
        idea=("MV-IVW with the fixed-effect SE. Right only without excess heterogeneity."),
        formula=r"\mathrm{SE} = \sqrt{\mathrm{diag}((B_X'WB_X)^{-1})}",
        trades="As MV-IVW, and no heterogeneity beyond sampling error.",
        when="When Cochran's Q of the MV-IVW fit is near its df."),
    MethodInfo(
        id="mv_egger", label="MV-Egger", short_label="MV-Egger", family="InSIDE",
        r_function="MendelianRandomization 0.10.0 mr_mvegger(orientate = 1)",
        idea=("MV-IVW with an intercept, after orienting every variant to a positive effect on the first exposure. "
              "The intercept absorbs directional pleiotropy through other pathways."),
        formula=r"\hat\beta_{Y} = \theta_0 + B_X\theta + \varepsilon",
        trades="InSIDE for the unmeasured pleiotropy; depends on the orientation exposure.",
        when="As a sensitivity analysis of MV-IVW."),
)
