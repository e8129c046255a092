# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) mr_ivw, mr_ivw_fe, mr_ivw_mre, R/mr.R; MendelianRandomization 0.10.0 (GPL-2 |
# GPL-3) mr_ivw.
"""Inverse-variance weighted (IVW) estimate with its fixed- and random-effects standard errors.

The IVW estimate is the slope of a weighted least-squares regression of ``by`` on ``bx`` without
intercept, weights ``1/byse^2`` (first-order weights), which is what both R packages fit with
``lm``. They differ only in the standard error:

* fixed effect: ``1 / sqrt(sum(bx^2 / byse^2))`` (TwoSampleMR ``mr_ivw_fe``);
* multiplicative random effects, floored: ``SE_FE * max(1, sigma)``, with sigma the residual
  standard error of the fit (TwoSampleMR ``mr_ivw``, MendelianRandomization ``model="random"``);
* multiplicative random effects, unfloored: ``SE_FE * sigma`` (TwoSampleMR ``mr_ivw_mre``; the
  ``lm`` standard error, smaller than the fixed-effect one when sigma < 1);

and Cochran's Q = sigma^2 (k - 1) on k - 1 degrees of freedom.

Written over replicates (:mod:`mrkit.methods.replicates`): ``(n_rep, k)`` arrays in, ``(n_rep,)`` results out.

References
----------
Burgess S, Butterworth A, Thompson SG (2013). Mendelian randomization analysis with multiple
genetic variants using summarized data. Genet Epidemiol 37:658-665.
Bowden J, Del Greco MF, Minelli C, et al. (2017). A framework for the investigation of
pleiotropy in two-sample summary data Mendelian randomization. Stat Med 36:1783-1802.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError, NotEstimable
from .conventions import exact_fit_q
from .distributions import chi2_sf
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result

__all__ = ["METHODS", "ivw_fit", "mr_ivw", "SE_MODELS", "resolve_se_model", "se_multiplier", "UNFLOORED_EXACT_FIT_NOTE"]

#: Note of an unfloored random-effects row on an exact fit.
UNFLOORED_EXACT_FIT_NOTE = ("exact fit: residual SE 0, so the unfloored random-effects SE is 0, the interval "
                            "has zero width and the p-value is undefined; use the fixed-effect or floored SE")
_EXACT_FIT_NOTE = "exact fit: residual SE 0 (Cochran's Q = 0)"
#: IVW standard-error models: name -> (TwoSampleMR function it reproduces).
SE_MODELS = {"fixed": "mr_ivw_fe", "random_floored": "mr_ivw",
             "random_unfloored": "mr_ivw_mre"}


def resolve_se_model(se_model: str, nsnp: int) -> str:
    """The SE model to use: ``auto`` is MendelianRandomization's ``model = "default"`` (``mr_ivw`` and
    ``mr_mvivw`` alike): ``fixed`` with 3 variants or fewer, else ``random_floored``.

    Raises :class:`~mrkit.errors.InputError` for a name not in :data:`SE_MODELS` or ``auto``.
    """
    if se_model == "auto":
        return "fixed" if nsnp < 4 else "random_floored"
    if se_model not in SE_MODELS:
        raise InputError(f"unknown IVW se_model {se_model!r}; choose from auto, {', '.join(SE_MODELS)}",
                         column="se_model")
    return se_model


def se_multiplier(se_model: str, sigma):
    """Factor turning the fixed-effect SE into the ``se_model`` one: 1, max(1, sigma) or sigma (the residual SE);
    ``sigma`` a number or an array."""
    if se_model == "fixed":
        return np.ones_like(sigma) if isinstance(sigma, np.ndarray) else 1.0
    if se_model == "random_floored":
        return np.maximum(1.0, sigma) if isinstance(sigma, np.ndarray) else max(1.0, sigma)
    return sigma


def ivw_fit(bx: np.ndarray, by: np.ndarray, byse: np.ndarray) -> dict:
    """Weighted regression of by on bx through the origin, weights 1/byse^2, along the last axis.

    ``bx``, ``by``, ``byse``: ``(n_rep, k)`` (or ``(k,)``). Returns ``estimate``, ``se_fixed``, ``sigma`` (residual
    SE), ``q`` (Cochran's Q, exactly 0 for a fit exact to rounding), ``q_df``, ``q_p``: arrays of the leading
    shape (``sigma``/``q``/``q_p`` NaN for a single SNP).
    """
    w = 1.0 / byse ** 2
    sxx = np.sum(w * bx * bx, axis=-1)
    estimate = np.sum(w * bx * by, axis=-1) / sxx
    k = bx.shape[-1]
    if k > 1:
        q = exact_fit_q(np.sum(w * (by - estimate[..., None] * bx) ** 2, axis=-1), w, by)
        sigma, q_p = np.sqrt(q / (k - 1)), chi2_sf(q, k - 1)
    else:
        q = sigma = q_p = np.full(estimate.shape, np.nan)
    return {"estimate": estimate, "se_fixed": 1.0 / np.sqrt(sxx), "sigma": sigma, "q": q, "q_df": k - 1,
            "q_p": q_p}


def mr_ivw(bx, bxse, by, byse, *, se_model: str = "random_floored", t_dist: bool = False) -> dict:
    """IVW estimate with the chosen standard-error model.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
        Harmonised summary statistics; ``bxse`` is not used (first-order weights) but kept for a uniform
        signature.
    se_model : {"random_floored", "fixed", "random_unfloored", "auto"}
        ``auto`` = MendelianRandomization's default: fixed when k < 4, else random_floored.
    t_dist : bool
        p-value and CI from t(k - 1) instead of the normal (MendelianRandomization
        ``distribution = "t-dist"``).

    Returns
    -------
    dict
        :func:`~mrkit.methods.replicates.make_result` arrays ``(n_rep,)`` plus ``q``, ``q_df``, ``q_p``
        (Cochran's Q) and ``sigma``; a note on exact fits.

    Raises
    ------
    InputError
        Bad arrays or an unknown ``se_model``.
    NotEstimable
        Fewer than 2 SNPs.

    References
    ----------
    Burgess S, Butterworth A, Thompson SG (2013). Genet Epidemiol 37:658-665.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse)
    k = bx.shape[1]
    if k < 2:
        raise NotEstimable(f"IVW needs at least 2 SNPs, got {k} (use the Wald ratio)")
    fit = ivw_fit(bx, by, byse)
    se_model = resolve_se_model(se_model, k)
    se = fit["se_fixed"] * se_multiplier(se_model, fit["sigma"])
    exact = UNFLOORED_EXACT_FIT_NOTE if se_model == "random_unfloored" else _EXACT_FIT_NOTE
    note = np.where(fit["q"] == 0, exact, "").astype(object)
    return make_result(fit["estimate"], se, nsnp=k, df=k - 1 if t_dist else None, se_model=se_model,
                       weights="first_order", note=note, q=fit["q"], q_df=fit["q_df"], q_p=fit["q_p"],
                       sigma=fit["sigma"])


register("ivw", lambda data, ctx: mr_ivw(*data, se_model="auto" if ctx.convention.ivw_auto else "random_floored"),
         reference="TwoSampleMR mr_ivw; MendelianRandomization mr_ivw (model = default)")
register("ivw_fe", lambda data, ctx: mr_ivw(*data, se_model="fixed"), reference="TwoSampleMR mr_ivw_fe")
register("ivw_mre", lambda data, ctx: mr_ivw(*data, se_model="random_unfloored"),
         reference="TwoSampleMR mr_ivw_mre")

_IVW = dict(family="none (all valid)",
            trades="Assumes every variant is valid, or that pleiotropy is balanced (mean zero) for the random-effects "
                   "SEs; biased by directional pleiotropy.",
            when="The primary analysis when the variants pass the checks; compare with the robust families.")
#: What the book's methods chapter says about these ids (:class:`~mrkit.methods.method_info.MethodInfo`).
METHODS = (
    MethodInfo(
        id="ivw", label="Inverse variance weighted", short_label="IVW (random effects)",
        r_function="TwoSampleMR 0.7.9 mr_ivw; MendelianRandomization 0.10.0 mr_ivw(model = 'default')",
        idea=("The inverse-variance weighted average of the ratio estimates, i.e. a weighted regression of by on "
              "bx through the origin. The SE is scaled up by the residual SE when the variants disagree more than "
              "chance allows (multiplicative random effects)."),
        formula=r"\hat\beta_{IVW} = \frac{\sum_j \hat\beta_{Xj}\hat\beta_{Yj}\sigma_{Yj}^{-2}}"
                r"{\sum_j \hat\beta_{Xj}^2\sigma_{Yj}^{-2}},\ \mathrm{SE} = \mathrm{SE}_{FE}\max(1, \hat\phi)",
        **_IVW),
    MethodInfo(
        id="ivw_fe", label="IVW (fixed effects)", short_label="IVW (fixed effect)",
        r_function="TwoSampleMR 0.7.9 mr_ivw_fe; MendelianRandomization 0.10.0 mr_ivw(model = 'fixed')",
        idea=("The IVW estimate with the fixed-effect SE. Right only when the variants agree within their "
              "sampling error (Cochran's Q near its df)."),
        formula=r"\mathrm{SE}_{FE} = (\sum_j \hat\beta_{Xj}^2\sigma_{Yj}^{-2})^{-1/2}", **_IVW),
    MethodInfo(
        id="ivw_mre", label="IVW (multiplicative random effects)", short_label="IVW (multiplicative random effects)",
        r_function="TwoSampleMR 0.7.9 mr_ivw_mre",
        idea=("The IVW estimate with the residual SE scaling not floored at 1. Its SE can be smaller than the "
              "fixed-effect one when the variants agree better than chance."),
        formula=r"\mathrm{SE} = \mathrm{SE}_{FE}\,\hat\phi", **_IVW),
)
