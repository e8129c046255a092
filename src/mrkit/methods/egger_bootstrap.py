# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (github.com/MRCIEU/TwoSampleMR, commit c14776b; R/mr.R:
# mr_egger_regression_bootstrap; MIT).
"""MR-Egger with a parametric bootstrap (TwoSampleMR ``mr_egger_regression_bootstrap``).

Each of ``n_boot`` draws takes ``bx* ~ N(bx, bxse)`` and ``by* ~ N(by, byse)`` per variant, orients it
(``by* sign(bx*)``, ``|bx*|``) and fits::

    slope     = cov(w bx*, w by*) / var(w bx*),   w = 1 / byse^2
    intercept = mean(by*) - mean(bx*) slope

The row reports the mean of the slopes (``estimate``), their SD (``se``) and the share of slopes whose sign is
opposite to that mean (``p``); likewise ``intercept``, ``intercept_se``, ``intercept_p``.

R quirks reproduced (notes of the row): the fit in each draw is not the weighted MR-Egger regression but an ordinary
least-squares slope of ``w by*`` on ``w bx*`` with ``w = 1/byse^2`` (not its square root) and an intercept from
unweighted means, so the estimate differs from MR-Egger's even without noise (3.67 against 3.25 on the lipids
data); and the "p-value" is a one-sided bootstrap proportion, 0 when no draw changes sign (R prints 0).
"""
from __future__ import annotations

import numpy as np

from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result, replicate_rngs, replicate_seeds

__all__ = ["METHODS", "QUIRKS", "mr_egger_bootstrap"]

NOTE = ("TwoSampleMR's bootstrap fits OLS of w by on w bx (w = 1/byse^2), not MR-Egger's weighted regression; "
        "p = share of draws of the opposite sign (one-sided)")
_CHUNK = 1 << 17  # draws per block of replicates: a block's arrays stay in the CPU cache


def _fits(xs: np.ndarray, ys: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slope and intercept of every draw (last axis: variants), as the R code computes them."""
    ys = ys * np.sign(xs)
    xs = np.abs(xs)
    xw, yw = xs * w, ys * w
    dx = xw - xw.mean(axis=-1, keepdims=True)  # cov(xw, yw) / var(xw): the k - 1 divisors cancel
    slope = np.sum(dx * (yw - yw.mean(axis=-1, keepdims=True)), axis=-1) / np.sum(dx * dx, axis=-1)
    return slope, ys.mean(axis=-1) - xs.mean(axis=-1) * slope


def _opposite_share(values: np.ndarray) -> np.ndarray:
    mean = values.mean(axis=-1, keepdims=True)
    return np.sum(np.sign(mean) * values < 0, axis=-1) / values.shape[-1]


def mr_egger_bootstrap(bx, bxse, by, byse, *, n_boot: int = 1000, seed=None) -> dict:
    """TwoSampleMR's bootstrap MR-Egger.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
    n_boot : int
        Bootstrap draws (TwoSampleMR ``nboot``, default 1000).
    seed : int, (n_rep,) ints or None
        Replicate r draws from ``default_rng(seed + r)``: first the ``(n_boot, k)`` exposure deviates, then the
        outcome ones (:func:`mrkit.methods.replicates.replicate_rngs`).

    Returns
    -------
    dict
        make_result (estimate = mean slope, se = SD of the slopes, p = bootstrap proportion, ``distribution``
        "bootstrap proportion") plus ``intercept``, ``intercept_se``, ``intercept_p``.

    Raises
    ------
    NotEstimable
        Fewer than 3 variants (R: NA).
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3, method="bootstrap MR-Egger")
    n_rep, k = bx.shape
    n_boot = int(n_boot)
    rngs = replicate_rngs(seed, n_rep)
    slope, intercept = np.empty((n_rep, n_boot)), np.empty((n_rep, n_boot))
    step = max(1, _CHUNK // (n_boot * k))
    for start in range(0, n_rep, step):
        rows = slice(start, min(n_rep, start + step))
        draws = [(g.standard_normal((n_boot, k)), g.standard_normal((n_boot, k))) for g in rngs[rows]]
        zx = np.stack([d[0] for d in draws])
        zy = np.stack([d[1] for d in draws])
        xs = bx[rows, None, :] + bxse[rows, None, :] * zx
        ys = by[rows, None, :] + byse[rows, None, :] * zy
        slope[rows], intercept[rows] = _fits(xs, ys, 1.0 / byse[rows, None, :] ** 2)
    result = make_result(slope.mean(axis=1), slope.std(axis=1, ddof=1), nsnp=k, se_model="bootstrap",
                         weights="first_order", n_boot=n_boot, seed=replicate_seeds(seed, n_rep), note=NOTE,
                         intercept=intercept.mean(axis=1), intercept_se=intercept.std(axis=1, ddof=1),
                         intercept_p=_opposite_share(intercept))
    result["p"] = _opposite_share(slope)
    result["distribution"] = "bootstrap proportion"
    return result


#: One record per method id of this module.
METHODS = (
    MethodInfo(id="egger_boot", label="MR Egger (bootstrap)", short_label="Egger (bootstrap)", family="InSIDE",
               r_function="TwoSampleMR 0.7.9 mr_egger_regression_bootstrap",
               idea="Refits an Egger-type regression on parametric bootstrap draws of both sets of betas and "
                    "reports the draws' mean and SD. The uncertainty in the exposure betas enters the SE.",
               formula=r"\hat\beta^{(b)} = \frac{\mathrm{cov}(w\hat\beta^{(b)}_X, w\hat\beta^{(b)}_Y)}"
                       r"{\mathrm{var}(w\hat\beta^{(b)}_X)},\ w = \sigma_Y^{-2},\ \hat\beta = "
                       r"\tfrac1B\sum_b \hat\beta^{(b)}",
               trades="As MR-Egger, allows directional pleiotropy independent of instrument strength (InSIDE); "
                      "TwoSampleMR's per-draw fit is not the weighted Egger regression.",
               when="Rarely: to see MR-Egger's uncertainty with the exposure betas' error included; prefer MR-Egger "
                    "or MR-GRIP for the estimate.",
               extra_keys=("intercept", "intercept_se", "intercept_p")),
)

#: R behaviours reproduced (the conventions page), by method id.
QUIRKS = {"egger_boot": ("TwoSampleMR's mr_egger_regression_bootstrap fits each draw as cov(x w, y w) / var(x w) "
                         "with w = 1/byse^2 (not its square root) and an intercept from unweighted means: not the "
                         "weighted MR-Egger regression, so its estimate differs from MR-Egger's without any noise "
                         "(lipids: 3.67 against 3.25).",
                         "Its p-value is the share of draws whose sign is opposite to their mean (one-sided), 0 "
                         "when none is.")}

register("egger_boot", lambda data, ctx: mr_egger_bootstrap(*data, n_boot=ctx.n_boot, seed=ctx.seed),
         row_keys=METHODS[0].extra_keys, reference=METHODS[0].r_function)
