# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from glmnet 4.1-6 (GPL-2): R/glmnet.R (defaults for a gaussian lasso without intercept), R/fix.lam.R,
# src/glmnetpp (elnet_driver/standardize.hpp Standardize1 without intercept, elnet_path/base.hpp lambda sequence and
# stopping rule, elnet_path/gaussian_base.hpp), github.com/cran/glmnet tag 4.1-6.
"""The lasso path exactly as ``glmnet(x, y, intercept = FALSE)`` defines it (gaussian, alpha = 1, standardize = TRUE).

MR-Lasso (:mod:`mrkit.methods.mrlasso`) tunes its penalty on glmnet's own lambda sequence, so matching R means
reproducing that sequence, glmnet's scaling of lambda and where the path stops:

* **Standardisation** (``Standardize1``, no intercept, weights 1/n): ``y`` is scaled to unit root mean square
  (``ys = sqrt(mean(y^2))``); each column of ``x`` is divided by its standard deviation *about its mean*
  (``xs_j = sqrt(mean(x_j^2) - mean(x_j)^2)``) but not centred. The problem solved is
  ``min 1/2 ||y~ - X~ b~||^2 / n + lambda~ ||b~||_1`` on that scale, i.e. on the original scale
  ``min 1/(2n) ||y - X b||^2 + lambda sum_j xs_j |b_j|`` with ``lambda = lambda~ ys`` and ``b_j = b~_j ys / xs_j``.
* **Lambda sequence**: ``lambda~_max = max_j |x~_j' y~|``; ``lambda~_m = lambda~_max alf^m`` for m = 1, 2, ...
  with ``alf = max(1e-6, lambda.min.ratio)^(1 / (nlambda - 1))``, ``nlambda = 100`` and ``lambda.min.ratio =
  1e-4`` when n >= p (else 0.01); the first entry is fitted at "infinity" (all zero) and reported, after
  ``fix.lam``, as ``exp(2 log lambda_2 - log lambda_3)``.
* **Stopping** after at least ``mnlam = 5`` values: when the fraction of deviance explained, ``rsq``, grows by
  less than ``fdev = 1e-5`` of itself, or exceeds ``devmax = 0.999``; the value at which it stops is kept.
* **A single lambda** (``glmnet(..., lambda = l)``): one fit at ``l`` on the original scale.

Where this differs from glmnet, and why the MR numbers still agree: glmnet solves each lambda by coordinate descent
to ``thresh = 1e-7``; here the path is solved exactly by the LARS-lasso homotopy (Osborne, Presnell & Turlach 2000;
Efron et al. 2004): the solution is piecewise linear in lambda, its knots are where a variable enters or leaves,
and the value at any lambda is interpolated between knots. The set of zero coefficients, which is all MR-Lasso
uses besides the post-lasso fit, is therefore exact; the non-zero coefficients agree with glmnet's to its
coordinate-descent tolerance (~1e-4, which the validation files give as the comparison for ``RegIntercept``).

May import: numpy only.

References
----------
Friedman J, Hastie T, Tibshirani R (2010). Regularization paths for generalized linear models via coordinate
descent. J Stat Softw 33(1):1-22.
Osborne MR, Presnell B, Turlach BA (2000). A new approach to variable selection in least squares problems. IMA J
Numer Anal 20:389-403.
Efron B, Hastie T, Johnstone I, Tibshirani R (2004). Least angle regression. Ann Stat 32:407-499.
"""
from __future__ import annotations

import numpy as np

__all__ = ["glmnet_lasso", "lasso_homotopy"]

FDEV, DEVMAX, MNLAM, EPS_FLMIN = 1e-5, 0.999, 5, 1e-6  # glmnet.control() defaults


def lasso_homotopy(x: np.ndarray, y: np.ndarray, lam_end: float):
    """Knots of the lasso path of ``min 1/2 ||y - x b||^2 + lam ||b||_1`` from lam_max down to ``lam_end``.

    Returns ``(lams, betas)``: knot values (decreasing, first = lam_max) and the (p,) solutions there. Between two
    knots the solution is linear in lambda.
    """
    p = x.shape[1]
    gram = x.T @ x
    c0 = x.T @ y
    b = np.zeros(p)
    lam = float(np.max(np.abs(c0)))
    lams, betas = [lam], [b.copy()]
    if lam <= 0:
        return np.array(lams), np.array(betas)
    active = np.zeros(p, dtype=bool)
    active[int(np.argmax(np.abs(c0)))] = True
    tiny = 1e-12
    for _ in range(20 * p + 20):
        if lam <= lam_end:
            break
        c = c0 - gram @ b
        idx = np.flatnonzero(active)
        sign = np.sign(c[idx])
        try:
            d_a = np.linalg.solve(gram[np.ix_(idx, idx)], sign)
        except np.linalg.LinAlgError:
            break  # the active set is collinear: keep the last solution for smaller lambdas
        d = np.zeros(p)
        d[idx] = d_a
        a = gram @ d  # c(lam - t) = c(lam) - t a
        step = lam - lam_end
        event, event_j = 0, -1
        with np.errstate(divide="ignore", invalid="ignore"):
            t_plus = (lam - c) / (1 - a)
            t_minus = (lam + c) / (1 + a)
            t_drop = -b / d
        for cand, kind in ((t_plus, 1), (t_minus, 1), (t_drop, 2)):
            mask = (~active if kind == 1 else active) & np.isfinite(cand) & (cand > tiny * lam)
            if mask.any():
                j = int(np.flatnonzero(mask)[np.argmin(cand[mask])])
                if cand[j] < step:
                    step, event, event_j = float(cand[j]), kind, j
        b = b + step * d
        lam -= step
        if event == 1:
            active[event_j] = True
        elif event == 2:
            active[event_j] = False
            b[event_j] = 0.0
        b[~active] = 0.0
        lams.append(lam)
        betas.append(b.copy())
    return np.array(lams), np.array(betas)


def _at(lams: np.ndarray, betas: np.ndarray, lam: float) -> np.ndarray:
    """The path's solution at ``lam`` (linear between knots; the knot's own solution at a knot)."""
    if lam >= lams[0]:
        return betas[0].copy()
    if lam <= lams[-1]:
        return betas[-1].copy()
    k = int(np.searchsorted(-lams, -lam, side="right")) - 1  # lams[k] >= lam > lams[k + 1]
    if lams[k] == lam:
        return betas[k].copy()
    t = (lams[k] - lam) / (lams[k] - lams[k + 1])
    out = betas[k] + t * (betas[k + 1] - betas[k])
    out[(betas[k] == 0) & (betas[k + 1] == 0)] = 0.0
    return out


def glmnet_lasso(x, y, lam: float | None = None, *, nlambda: int = 100,
                 lambda_min_ratio: float | None = None) -> dict:
    """``glmnet(x, y, intercept = FALSE)`` (gaussian lasso, standardize = TRUE) on its default path or at one lambda.

    Parameters
    ----------
    x : array_like, shape (n, p)
    y : array_like, shape (n,)
    lam : float, optional
        One penalty on glmnet's (original) scale, as ``glmnet(..., lambda = lam)``; None gives the default path.
    nlambda, lambda_min_ratio :
        glmnet's ``nlambda`` (100) and ``lambda.min.ratio`` (None: 1e-4 when n >= p, else 0.01).

    Returns
    -------
    dict
        ``lambda`` (L,) on glmnet's scale in glmnet's (decreasing) order, as ``fit$lambda``; ``beta`` (p, L) on the
        original scale, as ``fit$beta``; ``dev_ratio`` (L,), as ``fit$dev.ratio``.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n, p = x.shape
    if lambda_min_ratio is None:
        lambda_min_ratio = 1e-2 if n < p else 1e-4
    ys = np.sqrt(np.mean(y * y))
    mean = x.mean(axis=0)
    xs = np.sqrt(np.mean(x * x, axis=0) - mean * mean)
    use = np.array([np.any(x[1:, j] != x[0, j]) for j in range(p)])  # glmnet's chkvars: constant columns out
    xt = np.zeros_like(x)
    xt[:, use] = x[:, use] / np.sqrt(n) / xs[use]
    yt = y / np.sqrt(n) / ys
    scale = np.where(use, ys / np.where(use, xs, 1.0), 0.0)
    if lam is not None:
        lam_t = float(lam) / ys
        lams, betas = lasso_homotopy(xt[:, use], yt, lam_t)
        b = np.zeros(p)
        b[use] = _at(lams, betas, lam_t)
        resid = yt - xt @ b
        return {"lambda": np.array([float(lam)]), "beta": (b * scale)[:, None],
                "dev_ratio": np.array([1 - resid @ resid])}
    alm0 = float(np.max(np.abs(xt.T @ yt)))
    alf = max(EPS_FLMIN, lambda_min_ratio) ** (1.0 / (nlambda - 1))
    grid = alm0 * alf ** np.arange(1, nlambda)
    lams, betas = lasso_homotopy(xt[:, use], yt, grid[-1])
    out_lam, out_beta, out_rsq = [np.inf], [np.zeros(p)], [0.0]
    rsq_prev = 0.0
    for m in range(1, nlambda):
        b = np.zeros(p)
        b[use] = _at(lams, betas, grid[m - 1])
        resid = yt - xt @ b
        rsq = 1.0 - resid @ resid
        out_lam.append(grid[m - 1])
        out_beta.append(b)
        out_rsq.append(rsq)
        if m + 1 >= min(MNLAM, nlambda):
            change = np.inf if rsq == 0 else (rsq - rsq_prev) / rsq
            if change < FDEV or rsq > DEVMAX:
                break
        rsq_prev = rsq
    lam_out = np.array(out_lam) * ys
    if lam_out.size > 2:  # fix.lam: the first lambda is infinity; R reports the extrapolated entry point
        lam_out[0] = np.exp(2 * np.log(lam_out[1]) - np.log(lam_out[2]))
    return {"lambda": lam_out, "beta": np.array(out_beta).T * scale[:, None], "dev_ratio": np.array(out_rsq)}
