# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MendelianRandomization 0.10.0 (GPL-2 | GPL-3), R/mr_mvcML-methods.R (mr_mvcML with DP = FALSE,
# invcov_mvmr, MVcML_SdTheta, pl) and src/mvmrcML.cpp (MVmr_cML, MVcML_estimate_random_c with random_start = 1,
# MVcML_estimate_c), github.com/cran/MendelianRandomization tag 0.10.0.
"""Multivariable constrained maximum likelihood (MVMR-cML-BIC): at most K invalid variants, K chosen by BIC.

Each variant's K exposure effects and outcome effect are jointly normal around ``(b_j, b_j' theta + r_j)`` with
covariance ``Sigma_j = rho * (s_j s_j')``, ``s_j = (bxse_j, byse_j)`` and ``rho`` the (K+1) x (K+1) correlation of the
estimates (R's ``rho_mat``; the identity by default, or the exposures' phenotypic correlation for overlapping
samples). For each K in 0..ceil(J/2), R's block-coordinate descent from ``theta = 0``, ``b = bx`` (``random_start =
0``), at most ``maxit = 100`` sweeps, stopping when ``sum |theta change| <= 1e-4``:

1. for every variant the best ``r_j = (W_j e_j)_y / W_j,yy`` (``W_j = Sigma_j^-1``, ``e_j`` the residual with r = 0)
   and its log-likelihood gain ``(W_j e_j)_y^2 / (2 W_j,yy)``; the K largest gains get their ``r_j``, the rest 0;
2. ``b_j`` = the maximiser given theta and r (a K x K solve per variant);
3. ``theta`` = the weighted least-squares solution given b and r.

A K whose descent used all 100 sweeps is dropped, as R does (its C++ flags it even if the last sweep converged).
BIC_K = ``log(n) K + 2 l_K``; the K of smallest BIC gives the estimate and the invalid variants. The SE comes from
the Hessian of the profile negative log-likelihood of theta over the valid variants (R: ``numDeriv::hessian`` of
``pl``; here its exact analytic form, so the two agree to numDeriv's accuracy, ~1e-9). Normal p and CI.

Quirk of R kept here: the ``Converge`` flag counts a descent that converged exactly at the 100th sweep as failed.

Batches: ``(n_rep, J, K)`` exposure arrays; all (replicate, K) pairs iterate in lockstep.

References
----------
Lin Z, Xue H, Pan W (2023). Robust multivariable Mendelian randomization based on constrained maximum likelihood.
Am J Hum Genet 110:592-605.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import InputError, NotEstimable
from .distributions import norm_ppf, norm_sf
from .method_info import MethodInfo
from .mv_design import as_mv_batch, check_design, mv_rows
from .registry import register_mv

__all__ = ["METHODS", "QUIRKS", "mr_mvcml", "profile_hessian"]

METHODS = (
    MethodInfo(
        id="mv_cml", label="MVMR-cML-BIC", short_label="MV-cML", family="majority valid",
        r_function="MendelianRandomization 0.10.0 mr_mvcML(n, DP = FALSE)",
        idea=("The multivariable joint likelihood is maximised with at most K variants allowed a direct effect on "
              "the outcome, for every K up to half the variants, and BIC picks K. Variants with outlying outcome "
              "associations given all exposures drop out."),
        formula=r"\min_{\theta, b, r} \sum_j \tfrac12 e_j'\Sigma_j^{-1}e_j,\ e_j = (\hat\beta_{Xj} - b_j,\ "
                r"\hat\beta_{Yj} - b_j'\theta - r_j)\ \text{s.t.}\ \|r\|_0 \le K",
        trades="Gives up 'all variants valid' and InSIDE for a majority of valid variants.",
        when="Multivariable MR with suspected correlated pleiotropy; needs the GWAS sample size n.",
        extra_keys=("n", "k_hat")),
)
#: R behaviours reproduced although they look unintended (for the conventions page), by method id.
QUIRKS = {"mv_cml": ("A descent that converges exactly at the 100th sweep is flagged as failed and its K dropped.",)}


def _inverse_covariances(bxse, byse, rho):
    """Sigma_j^-1 for every variant: (n_rep, J, K+1, K+1) (R's invcov_mvmr)."""
    se = np.concatenate([bxse, byse[..., None]], axis=-1)
    return np.linalg.inv(rho * se[..., :, None] * se[..., None, :])


def _descent(bx, by, w, k_values, maxit, thres):
    """MVcML_estimate_c for every (replicate, K) pair: theta (P, k), mu (P, J, k), r (P, J), converged (P,)."""
    n_rep, j, k = bx.shape
    nk = k_values.size
    x = np.repeat(bx, nk, axis=0)
    y = np.repeat(by, nk, axis=0)
    wp = np.repeat(w, nk, axis=0)
    kk = np.tile(k_values, n_rep)
    p = x.shape[0]
    theta = np.zeros((p, k))
    theta_old = theta - 1.0
    mu = x.copy()
    r = np.zeros((p, j))
    wxx, wxy, wyy = wp[..., :k, :k], wp[..., :k, k], wp[..., k, k]
    iterations = np.zeros(p, dtype=int)
    active = np.ones(p, dtype=bool)
    slots = np.arange(j)[None, :]
    for _ in range(maxit):
        active &= np.sum(np.abs(theta - theta_old), axis=1) > thres
        if not active.any():
            break
        a = np.flatnonzero(active)
        th = theta[a]
        theta_old[a] = th
        if np.any(kk[a] > 0):
            e = np.concatenate([x[a] - mu[a], (y[a] - np.einsum("pjk,pk->pj", mu[a], th))[..., None]], axis=-1)
            bvec = np.einsum("pjl,pjl->pj", wp[a][..., k, :], e)
            r_t = bvec / wyy[a]
            gain = bvec ** 2 / (2 * wyy[a])
            order = np.argsort(-gain, axis=1, kind="stable")
            chosen = np.zeros((a.size, j), dtype=bool)
            np.put_along_axis(chosen, order, slots < kk[a][:, None], axis=1)
            ra = np.where(chosen, r_t, 0.0)
        else:
            ra = np.zeros((a.size, j))
        star = np.concatenate([x[a], (y[a] - ra)[..., None]], axis=-1)  # (A, J, k+1)
        wa = wp[a]
        bb = np.einsum("pjml,pjl->pjm", wa[..., :k, :], star) + \
            np.einsum("pjl,pjl->pj", wa[..., k, :], star)[..., None] * th[:, None, :]
        aa = (wxx[a] + wyy[a][..., None, None] * np.einsum("pk,pl->pkl", th, th)[:, None]
              + wxy[a][..., :, None] * th[:, None, None, :] + th[:, None, :, None] * wxy[a][..., None, :])
        mua = np.linalg.solve(aa, bb[..., None])[..., 0]
        amat = np.einsum("pj,pjk,pjl->pkl", wyy[a], mua, mua)
        star2 = np.concatenate([x[a] - mua, (y[a] - ra)[..., None]], axis=-1)
        bvec2 = np.einsum("pj,pjk->pk", np.einsum("pjl,pjl->pj", wa[..., k, :], star2), mua)
        theta[a] = np.linalg.solve(amat, bvec2[..., None])[..., 0]
        mu[a], r[a] = mua, ra
        iterations[a] += 1
    # R: for (ite = 0; ite < maxit && sum|dtheta| > thres; ++ite) ...; Conv = (ite >= maxit) means failure
    failed = iterations >= maxit
    e = np.concatenate([x - mu, (y - np.einsum("pjk,pk->pj", mu, theta) - r)[..., None]], axis=-1)
    neg_l = 0.5 * np.einsum("pjl,pjlm,pjm->p", e, wp, e)
    shape = (n_rep, nk)
    return (theta.reshape(*shape, k), neg_l.reshape(shape), r.reshape(*shape, j), (~failed).reshape(shape))


def profile_hessian(theta, bx, by, w):
    """Hessian (K, K) in theta of R's ``pl``, the profile negative log-likelihood over the given variants.

    ``bx`` (J, K), ``by`` (J,), ``w`` (J, K+1, K+1) inverse covariances. Exact (analytic), for R's numerical
    ``numDeriv::hessian(pl, theta)``.
    """
    k = theta.size
    h = np.zeros((k, k))
    beta = np.concatenate([bx, by[:, None]], axis=1)
    for i in range(bx.shape[0]):
        wm = w[i]
        wxx, wxy, wyy = wm[:k, :k], wm[:k, k], wm[k, k]
        u, s = wm[:k, :] @ beta[i], wm[k, :] @ beta[i]
        amat = wxx + np.outer(wxy, theta) + np.outer(theta, wxy) + wyy * np.outer(theta, theta)
        ainv = np.linalg.inv(amat)
        bhat = ainv @ (u + s * theta)
        rho = s - wxy @ bhat - wyy * (theta @ bhat)
        v = wxy + wyy * theta
        d = rho * ainv - np.outer(ainv @ v, bhat)
        h += -rho * d + np.outer(bhat, v @ d) + wyy * np.outer(bhat, bhat)
    return (h + h.T) / 2


def mr_mvcml(bx, bxse, by, byse, *, n, rho=None, maxit: int = 100, thres: float = 1e-4) -> dict[str, np.ndarray]:
    """MVMR-cML-BIC, MendelianRandomization ``mr_mvcML(n, DP = FALSE)``.

    Parameters
    ----------
    bx, bxse : array_like, shape (J, K) or (n_rep, J, K)
    by, byse : array_like, shape (J,) or (n_rep, J)
    n : float
        Sample size in the BIC (the smallest of the K + 1 GWAS).
    rho : array_like, shape (K+1, K+1), optional
        Correlation of the exposure and outcome estimates (R's ``rho_mat``; the identity when None).
    maxit, thres :
        R's ``maxit`` (100) and convergence threshold on sum |theta change| (1e-4).

    Returns
    -------
    dict
        ``estimate, se, ci_lower, ci_upper, p`` of shape (n_rep, K); ``k_hat`` (number of invalid variants),
        ``n`` (n_rep,); ``invalid`` (n_rep, J) bool; ``note`` (list of str).

    Raises
    ------
    mrkit.errors.InputError
        Bad input, n not >= 1, or a rho of the wrong shape / not positive definite.
    mrkit.errors.NotEstimable
        No K converged (R: "MVMRcML-BIC failed to converge").

    References
    ----------
    Lin Z, Xue H, Pan W (2023). Am J Hum Genet 110:592-605; MendelianRandomization ``mr_mvcML``.
    """
    bx3, bxse3, by2, byse2 = as_mv_batch(bx, bxse, by, byse, min_extra_variants=2)
    n_rep, j, k = bx3.shape
    for r in range(n_rep):
        check_design(bx3[r], method="MVMR-cML")
    if not (np.isfinite(n) and n >= 1):
        raise InputError(f"the sample size n must be finite and >= 1, got {n!r}", column="n")
    if rho is None:
        rho = np.eye(k + 1)
    rho = np.asarray(rho, dtype=float)
    if rho.shape != (k + 1, k + 1) or not np.allclose(rho, rho.T) or np.any(np.linalg.eigvalsh(rho) <= 0):
        raise InputError(f"rho must be a symmetric positive definite {k + 1} x {k + 1} correlation matrix",
                         column="rho")
    w = _inverse_covariances(bxse3, byse2, rho)
    k_values = np.arange(0, math.ceil(j / 2) + 1)  # R: K_vec = 0:ceiling(nrow(betaX) / 2)
    theta, neg_l, r, ok = _descent(bx3, by2, w, k_values, maxit, thres)
    est, se, invalid, k_hat, notes = [], [], [], [], []
    for i in range(n_rep):
        if not ok[i].any():
            raise NotEstimable("MVMR-cML-BIC failed to converge for every K (R stops here); try more iterations")
        bic = np.where(ok[i], np.log(n) * k_values + 2 * neg_l[i], np.inf)
        best = int(np.argmin(bic))
        bad = r[i, best] != 0
        hess = profile_hessian(theta[i, best], bx3[i][~bad], by2[i][~bad], w[i][~bad])
        est.append(theta[i, best])
        se.append(np.sqrt(np.diag(np.linalg.inv(hess))))
        invalid.append(bad)
        k_hat.append(int(bad.sum()))
        dropped = int((~ok[i]).sum())
        notes.append(f"{dropped} of {k_values.size} K values did not converge in {maxit} sweeps and were dropped"
                     if dropped else "")
    est, se = np.array(est), np.array(se)
    z = float(norm_ppf(0.975))
    return {"estimate": est, "se": se, "ci_lower": est - z * se, "ci_upper": est + z * se,
            "p": 2 * norm_sf(np.abs(est / se)), "k_hat": np.array(k_hat), "invalid": np.array(invalid),
            "n": np.full(n_rep, float(n)), "note": np.array(notes, dtype=object)}


def _mv_cml_rows(data, ctx) -> list[dict]:
    """Registry entry: n from option ``n`` or the pair's sample sizes; rho from option ``phenocor`` (K x K)."""
    n = ctx.options.get("n")
    if n is None:
        from .cml import gwas_sample_sizes
        try:
            n = min(gwas_sample_sizes(ctx, "MVMR-cML"))
        except NotEstimable as exc:
            raise NotEstimable(f"{exc}; give n, the smallest GWAS sample size (option n; mrkit estimate "
                               "--sample-size N)") from None
    k = data.bx.shape[1]
    rho = None
    if ctx.options.get("phenocor") is not None:
        rho = np.eye(k + 1)
        rho[:k, :k] = np.asarray(ctx.options["phenocor"], dtype=float)
    res = mr_mvcml(*data.arrays(), n=n, rho=rho)
    rows = mv_rows(res, nsnp=int((~res["invalid"][0]).sum()), se_model="profile_hessian", weights="likelihood")
    for row in rows:
        row.update(n=float(n), k_hat=int(res["k_hat"][0]))
    return rows


register_mv("mv_cml", _mv_cml_rows, reference=METHODS[0].r_function, row_keys=METHODS[0].extra_keys)
