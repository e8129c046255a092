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
from .conventions import exact_fit_q, result_row
from .distributions import chi2_sf

__all__ = ["ivw_fit", "mr_ivw", "SE_MODELS", "resolve_se_model", "se_multiplier"]

#: Note of an unfloored random-effects row on an exact fit.
UNFLOORED_EXACT_FIT_NOTE = ("exact fit: residual SE 0, so the unfloored random-effects SE is 0, the interval "
                            "has zero width and the p-value is undefined; use the fixed-effect or floored SE")
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


def se_multiplier(se_model: str, sigma: float) -> float:
    """Factor turning the fixed-effect SE into the ``se_model`` one: 1, max(1, sigma) or sigma (the residual SE)."""
    return {"fixed": 1.0, "random_floored": max(1.0, sigma), "random_unfloored": sigma}[se_model]


def ivw_fit(bx: np.ndarray, by: np.ndarray, byse: np.ndarray) -> dict:
    """Weighted regression of by on bx through the origin, weights 1/byse^2.

    Returns ``estimate``, ``se_fixed``, ``sigma`` (residual SE), ``q``, ``q_df``, ``q_p``;
    ``sigma``/``q`` are NaN for a single SNP.
    """
    w = 1.0 / byse ** 2
    sxx = np.sum(w * bx * bx)
    estimate = np.sum(w * bx * by) / sxx
    k = bx.size
    q = exact_fit_q(float(np.sum(w * (by - estimate * bx) ** 2)), w, by) if k > 1 else np.nan
    sigma = np.sqrt(q / (k - 1)) if k > 1 else np.nan
    q_p = float(chi2_sf(q, k - 1)) if k > 1 else np.nan
    return {"estimate": float(estimate), "se_fixed": float(1.0 / np.sqrt(sxx)),
            "sigma": float(sigma), "q": q, "q_df": k - 1, "q_p": q_p}


def mr_ivw(bx, bxse, by, byse, *, se_model: str = "random_floored", t_dist: bool = False) -> dict:
    """IVW estimate with the chosen standard-error model.

    Parameters
    ----------
    bx, bxse, by, byse : numpy.ndarray
        Checked summary statistics (see :mod:`mrkit.methods.mrdata`); ``bxse`` is not used (first-order
        weights) but kept for a uniform signature.
    se_model : {"random_floored", "fixed", "random_unfloored", "auto"}
        ``auto`` = MendelianRandomization's default: fixed when k < 4, else random_floored.
    t_dist : bool
        p-value and CI from t(k - 1) instead of the normal (MendelianRandomization
        ``distribution = "t-dist"``).

    Returns
    -------
    dict
        A result row (:func:`mrkit.methods.conventions.result_row`) plus ``q``, ``q_df``, ``q_p``.

    References
    ----------
    Burgess S, Butterworth A, Thompson SG (2013). Genet Epidemiol 37:658-665.
    """
    k = bx.size
    if k < 2:
        raise NotEstimable(f"IVW needs at least 2 SNPs, got {k} (use the Wald ratio)")
    fit = ivw_fit(bx, by, byse)
    se_model = resolve_se_model(se_model, k)
    se = fit["se_fixed"] * se_multiplier(se_model, fit["sigma"])
    note = ""
    if fit["q"] == 0:
        note = (UNFLOORED_EXACT_FIT_NOTE if se_model == "random_unfloored"
                else "exact fit: residual SE 0 (Cochran's Q = 0)")
    return result_row(fit["estimate"], se, nsnp=k, df=k - 1 if t_dist else None,
                      se_model=se_model, weights="first_order", q=fit["q"], note=note,
                      q_df=fit["q_df"], q_p=fit["q_p"], sigma=fit["sigma"])
