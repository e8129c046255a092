# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MendelianRandomization 0.10.0 (GPL-2 | GPL-3), R/mr_cML-methods.R (mr_cML with DP = FALSE,
# cML_estimate_random with random_start = 0, cML_estimate, cML_SdTheta), github.com/cran/MendelianRandomization
# tag 0.10.0.
"""Constrained maximum likelihood (MR-cML): the likelihood with at most K invalid variants, K chosen by BIC.

The model: ``bx_j ~ N(b_j, bxse_j^2)``, ``by_j ~ N(theta b_j + r_j, byse_j^2)`` with at most K non-zero pleiotropic
effects ``r_j``. For each K in 0..J-2 the constrained MLE is found by R's block-coordinate descent from theta = 0,
b = 0 (``random_start = 0``: one start), at most ``maxit`` = 100 sweeps, stopping when |theta change| <= 1e-7:

1. ``r``: keep the K variants with the largest ``(by - theta b)^2 / byse^2`` (ties in variant order, as R's
   ``order``), setting ``r_j = by_j - theta b_j`` there and 0 elsewhere;
2. ``b_j = (bx_j / bxse_j^2 + theta (by_j - r_j) / byse_j^2) / (1 / bxse_j^2 + theta^2 / byse_j^2)``;
3. ``theta = sum((by - r) b / byse^2) / sum(b^2 / byse^2)``;

then, for the selected variants, ``b_j = bx_j`` and ``r_j = by_j - theta b_j``. With the negative log-likelihood
``l_K`` and the SE from the profile information over the valid variants,
``1 / (sum_valid b^2 / byse^2 - sum_valid (2 b theta - by)^2 / byse^4 / (1 / bxse^2 + theta^2 / byse^2))``
(NaN when not positive), BIC_K = ``log(n) K + 2 l_K``.

* **cML-MA-BIC** (``ma=True``, the ``cml`` row; R's ``mr_cML(MA = TRUE, DP = FALSE)``): weights
  ``w_K = exp(-BIC_K / 2) / sum``, estimate ``sum w_K theta_K``, SE ``sum w_K sqrt(se_K^2 + (theta_K - theta)^2)``.
* **cML-BIC** (``ma=False``): the K of smallest BIC (first on ties), its estimate and SE.

Normal p and CI. ``n``: the sample size (R's ``n``; the project passes min(n_exposure, n_outcome)).

Quirks of R kept here: the model-averaged SE drops terms whose SE is NaN (``na.rm = TRUE``) without renormalising
the weights, so an unconverged K makes the SE smaller; an unconverged K (100 sweeps) is used as it stands (R does
not flag it); the count of such K is in the row's ``n_unconverged``.

Batches: ``(n_rep, k)`` inputs; all (replicate, K) pairs iterate in lockstep, each frozen once it has converged,
so a replicate's numbers are the same alone or in a batch.

References
----------
Xue H, Shen X, Pan W (2021). Constrained maximum likelihood-based Mendelian randomization robust to both correlated
and uncorrelated pleiotropic effects. Am J Hum Genet 108:1251-1269.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError, NotEstimable
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result

__all__ = ["METHODS", "QUIRKS", "mr_cml", "cml_fits", "gwas_sample_sizes"]

METHODS = (
    MethodInfo(
        id="cml", label="Constrained maximum likelihood (cML-MA-BIC)", short_label="cML-MA",
        family="majority valid",
        r_function="MendelianRandomization 0.10.0 mr_cML(MA = TRUE, DP = FALSE, n = min(nx, ny))",
        idea=("The joint likelihood of the exposure and outcome associations is maximised with at most K variants "
              "allowed a direct (pleiotropic) effect, for every K. The fits are averaged with BIC weights, so "
              "variants with large pleiotropic effects, correlated with the instrument strength or not, drop out."),
        formula=r"\min_{\theta, b, r} \sum_j \frac{(\hat\beta_{Xj}-b_j)^2}{2\sigma_{Xj}^2}"
                r"+\frac{(\hat\beta_{Yj}-\theta b_j - r_j)^2}{2\sigma_{Yj}^2}\ \text{s.t.}\ \|r\|_0\le K",
        trades=("Gives up 'all variants valid' and InSIDE for: fewer than half the variants invalid, and the "
                "invalid ones distinguishable by their outlying outcome associations."),
        when=("Suspected correlated pleiotropy (which biases MR-Egger) with a majority of valid variants; needs "
              "the GWAS sample size n."),
        extra_keys=("n", "k_bic", "bic_estimate", "bic_se", "n_unconverged")),
)
#: R behaviours reproduced although they look unintended (for the conventions page), by method id.
QUIRKS = {"cml": ("Fits of a K that did not converge in 100 sweeps enter the average as they stand, unflagged "
                  "(lipids: 11 of 27).",
                  "The model-averaged SE drops missing terms (na.rm = TRUE) without renormalising the weights.")}


def cml_fits(bx, bxse, by, byse, k_values, *, maxit: int = 100, tol: float = 1e-7) -> dict[str, np.ndarray]:
    """R's ``cML_estimate`` + ``cML_SdTheta`` for every replicate and K at once.

    ``bx`` ... of shape (n_rep, J); ``k_values`` (nK,) ints. Returns (n_rep, nK) arrays ``theta``, ``se``,
    ``neg_l`` (negative log-likelihood), ``converged`` (bool) and (n_rep, nK, J) ``invalid`` (r != 0).
    """
    n_rep, j = bx.shape
    kv = np.asarray(k_values, dtype=int)
    nk = kv.size
    # pairs: replicate-major
    x, sx, y, sy = (np.repeat(a, nk, axis=0) for a in (bx, bxse, by, byse))
    kk = np.tile(kv, n_rep)
    p = x.shape[0]
    theta = np.zeros(p)
    mu = np.zeros((p, j))
    r = np.zeros((p, j))
    wx, wy = sx ** -2.0, sy ** -2.0
    active = np.ones(p, dtype=bool)
    iterations = np.zeros(p, dtype=int)
    slots = np.arange(j)[None, :]
    theta_old = theta - 1.0
    for _ in range(maxit):
        active &= np.abs(theta_old - theta) > tol
        if not active.any():
            break
        a = np.flatnonzero(active)
        th = theta[a][:, None]
        resid = y[a] - th * mu[a]
        ra = np.zeros((a.size, j))
        if np.any(kk[a] > 0):
            order = np.argsort(-(resid ** 2 * wy[a]), axis=1, kind="stable")
            chosen = np.zeros((a.size, j), dtype=bool)
            np.put_along_axis(chosen, order, slots < kk[a][:, None], axis=1)
            ra = np.where(chosen, resid, 0.0)
        mua = (x[a] * wx[a] + th * (y[a] - ra) * wy[a]) / (wx[a] + th ** 2 * wy[a])
        theta_old[a] = theta[a]
        theta[a] = np.sum((y[a] - ra) * mua * wy[a], axis=1) / np.sum(mua ** 2 * wy[a], axis=1)
        mu[a], r[a] = mua, ra
        iterations[a] += 1
    converged = np.abs(theta_old - theta) <= tol
    invalid = r != 0
    mu = np.where(invalid, x, mu)  # R's one more step for v_bg and mu
    th = theta[:, None]
    r = np.where(invalid, y - th * mu, r)
    neg_l = np.sum((x - mu) ** 2 * wx / 2, axis=1) + np.sum((y - th * mu - r) ** 2 * wy / 2, axis=1)
    valid = ~invalid
    info = (np.sum(np.where(valid, mu ** 2 * wy, 0.0), axis=1)
            - np.sum(np.where(valid, (2 * mu * th - y) ** 2 * wy ** 2 / (wx + th ** 2 * wy), 0.0), axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        var = 1.0 / info
    se = np.where(var > 0, np.sqrt(np.where(var > 0, var, 1.0)), np.nan)
    shape = (n_rep, nk)
    return {"theta": theta.reshape(shape), "se": se.reshape(shape), "neg_l": neg_l.reshape(shape),
            "converged": converged.reshape(shape), "invalid": invalid.reshape(n_rep, nk, j)}


def mr_cml(bx, bxse, by, byse, *, n, ma: bool = True, maxit: int = 100) -> dict[str, np.ndarray]:
    """MR-cML with BIC model averaging (``ma=True``, cML-MA-BIC) or BIC selection; MendelianRandomization ``mr_cML``.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k)
    n : float or array_like of shape (n_rep,)
        Sample size in the BIC (R's ``n``; min of the exposure and outcome GWAS sizes).
    ma : bool
        Model averaging over K (R's ``MA = TRUE``, default) or the BIC-selected K.
    maxit : int
        Coordinate-descent sweeps per K (R's 100).

    Returns
    -------
    dict
        The contract's result: ``estimate, se, ci_lower, ci_upper, p`` (normal), ``k_bic`` (the K of smallest
        BIC), ``bic_estimate``, ``bic_se`` (cML-BIC's), ``n_unconverged`` (K values that stopped at maxit), ``n``,
        each (n_rep,); ``invalid`` (n_rep, k) bool, the variants cML-BIC calls invalid.

    Raises
    ------
    mrkit.errors.InputError
        Bad input, or ``n`` missing, non-finite or < 1.
    mrkit.errors.NotEstimable
        Fewer than 3 variants.

    References
    ----------
    Xue H, Shen X, Pan W (2021). Am J Hum Genet 108:1251-1269; MendelianRandomization ``mr_cML``.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3, method="MR-cML")
    n_rep, j = bx.shape
    try:
        n_arr = np.broadcast_to(np.asarray(n, dtype=float), (n_rep,))
    except (TypeError, ValueError):
        raise InputError(f"the sample size n must be a number or one per replicate, got {n!r}", column="n") from None
    if not np.all(np.isfinite(n_arr) & (n_arr >= 1)):
        raise InputError(f"the sample size n must be finite and >= 1, got {n!r}", column="n")
    k_values = np.arange(0, j - 1)  # R: K_vec = 0:(length(betaX) - 2)
    fits = cml_fits(bx, bxse, by, byse, k_values, maxit=maxit)
    bic = np.log(n_arr)[:, None] * k_values[None, :] + 2 * fits["neg_l"]
    bic = bic - bic.min(axis=1, keepdims=True)
    best = np.argmin(bic, axis=1)
    rows = np.arange(n_rep)
    bic_theta, bic_se = fits["theta"][rows, best], fits["se"][rows, best]
    if ma:
        weight = np.exp(-bic / 2)
        weight = weight / weight.sum(axis=1, keepdims=True)
        estimate = np.sum(fits["theta"] * weight, axis=1)
        terms = weight * np.sqrt(fits["se"] ** 2 + (fits["theta"] - estimate[:, None]) ** 2)
        se = np.nansum(terms, axis=1)  # R: sum(..., na.rm = TRUE)
    else:
        estimate, se = bic_theta, bic_se
    unconverged = np.sum(~fits["converged"], axis=1)
    note = np.array([f"{u} of {k_values.size} K fits stopped at {maxit} sweeps (used as they stand, as R does)"
                     if u else "" for u in unconverged], dtype=object)
    return make_result(estimate, se, nsnp=j, se_model="model_average_bic" if ma else "profile_information",
                       weights="likelihood", note=note, k_bic=k_values[best], bic_estimate=bic_theta,
                       bic_se=bic_se, n_unconverged=unconverged, n=n_arr.copy(), invalid=fits["invalid"][rows, best])


def gwas_sample_sizes(ctx, method: str) -> tuple[float, float]:
    """(n_exposure, n_outcome) for a registry call: the smallest ``samplesize.exposure`` and ``samplesize.outcome``
    of the pair's variants (``ctx.inputs``). Raises :class:`~mrkit.errors.NotEstimable` naming the missing
    column."""
    sizes = []
    for column in ("samplesize.exposure", "samplesize.outcome"):
        values = np.asarray(ctx.inputs.get(column, []), dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            raise NotEstimable(f"{method} needs the GWAS sample sizes: column {column} is missing or empty")
        sizes.append(float(values.min()))
    return sizes[0], sizes[1]


register("cml", lambda data, ctx: mr_cml(*data, n=min(gwas_sample_sizes(ctx, "MR-cML"))),
         row_keys=METHODS[0].extra_keys, reference=METHODS[0].r_function)
