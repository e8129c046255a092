"""IVW and MR-Egger on many replicates at once: closed forms (see :mod:`mrkit.methods.batch`)."""
from __future__ import annotations

import numpy as np
from scipy import stats

from ...errors import InputError
from .common import as_batch, normal_summary

__all__ = ["ivw", "egger"]


def ivw(bx, bxse, by, byse, *, se_model: str = "random_floored") -> dict[str, np.ndarray]:
    """IVW slope (weights 1/byse^2, no intercept) for every replicate.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k)
    se_model : {"random_floored", "fixed", "random_unfloored"}
        Which SE fills ``se``/``p``/CI (TwoSampleMR ``mr_ivw``, ``mr_ivw_fe``, ``mr_ivw_mre``);
        all three are returned as ``se_fixed``, ``se_random_floored``, ``se_random_unfloored``.

    Returns
    -------
    dict of numpy.ndarray, shape (n_rep,)
        ``estimate, se, ci_lower, ci_upper, p`` (normal), the three SEs, ``sigma``, ``q``,
        ``q_df``, ``q_p`` (Cochran's Q).

    References
    ----------
    Burgess S, Butterworth A, Thompson SG (2013). Genet Epidemiol 37:658-665.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=2)
    k = bx.shape[1]
    w = 1.0 / byse ** 2
    sxx = np.sum(w * bx * bx, axis=1)
    est = np.sum(w * bx * by, axis=1) / sxx
    q = np.sum(w * (by - est[:, None] * bx) ** 2, axis=1)
    sigma = np.sqrt(q / (k - 1))
    se_fixed = 1.0 / np.sqrt(sxx)
    ses = {"fixed": se_fixed, "random_floored": se_fixed * np.maximum(1.0, sigma),
           "random_unfloored": se_fixed * sigma}
    if se_model not in ses:
        raise InputError(f"unknown IVW se_model {se_model!r}; choose one of {', '.join(ses)}",
                         column="se_model")
    out = normal_summary(est, ses[se_model])
    out.update(se_fixed=ses["fixed"], se_random_floored=ses["random_floored"],
               se_random_unfloored=ses["random_unfloored"], sigma=sigma, q=q,
               q_df=np.full(est.shape, k - 1), q_p=stats.chi2.sf(q, k - 1))
    return out


def egger(bx, bxse, by, byse, *, t_dist: bool = True) -> dict[str, np.ndarray]:
    """MR-Egger slope and intercept for every replicate (TwoSampleMR ``mr_egger_regression``).

    SNPs are oriented so that bx > 0; SEs are the ``lm`` ones divided by min(1, sigma); p-values
    and CIs from t(k - 2) when ``t_dist`` (TwoSampleMR), else normal (MendelianRandomization).

    Returns
    -------
    dict of numpy.ndarray, shape (n_rep,)
        ``estimate, se, ci_lower, ci_upper, p`` of the slope, ``intercept, intercept_se,
        intercept_p``, ``sigma``, ``q``, ``q_df``, ``q_p`` (Rucker's Q').

    References
    ----------
    Bowden J, Davey Smith G, Burgess S (2015). Int J Epidemiol 44:512-525.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    k = bx.shape[1]
    sign = np.where(bx < 0, -1.0, 1.0)
    x, y = np.abs(bx), by * sign
    w = 1.0 / byse ** 2
    sw = w.sum(axis=1)
    xbar = np.sum(w * x, axis=1) / sw
    ybar = np.sum(w * y, axis=1) / sw
    dx = x - xbar[:, None]
    sxx = np.sum(w * dx * dx, axis=1)
    slope = np.sum(w * dx * (y - ybar[:, None]), axis=1) / sxx
    intercept = ybar - slope * xbar
    q = np.sum(w * (y - intercept[:, None] - slope[:, None] * x) ** 2, axis=1)
    df = k - 2
    sigma = np.sqrt(q / df)
    floor = np.minimum(1.0, sigma)
    se_slope = sigma / np.sqrt(sxx) / floor
    se_int = sigma * np.sqrt(1.0 / sw + xbar ** 2 / sxx) / floor
    dist = df if t_dist else None
    out = normal_summary(slope, se_slope, dist)
    out.update(intercept=intercept, intercept_se=se_int,
               intercept_p=normal_summary(intercept, se_int, dist)["p"], sigma=sigma, q=q,
               q_df=np.full(slope.shape, df), q_p=stats.chi2.sf(q, df))
    return out
