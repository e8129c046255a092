# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MendelianRandomization 0.10.0 (GPL-2 | GPL-3), R/mr_lasso-methods.R (mr_lasso) and R/mr_mvlasso-methods.R
# (mr_mvlasso), github.com/cran/MendelianRandomization tag 0.10.0. The lasso is glmnet's (see .lasso_path).
"""MR-Lasso and MV-Lasso: a pleiotropic intercept per variant, penalised so that most are zero; the rest are invalid.

Model (Rees, Wood & Burgess 2019): ``by_j = a_j + bx_j' theta + e_j`` with a lasso penalty on the variant-specific
intercepts ``a``. MendelianRandomization profiles theta out: with ``S = diag(byse^-2)``, ``B = S^(1/2) bx`` and the
projection ``P = B (B'B)^-1 B'``, glmnet fits the lasso of ``(I - P) S^(1/2) by`` on ``(I - P) S^(1/2)`` without
intercept (:func:`mrkit.methods.lasso_path.glmnet_lasso`). Univariable: variants are first oriented to ``bx > 0``;
multivariable: to a positive effect on the ``orientate``-th exposure (default the first).

* **lambda** (default): walk glmnet's path from the smallest lambda up; at each, the variants with ``a_j = 0`` are
  "valid" and their IVW fit has a residual standard error ``rse``; take the smallest lambda at which ``rse > 1``
  and ``rse`` jumps by more than ``chi2_{1, 0.95} / n_valid`` from the next smaller lambda (the first
  heterogeneity jump), else the largest lambda; and at least the smallest lambda with more than K valid variants.
  A fixed ``lam`` (on glmnet's scale, R's ``lambda``) skips the search.
* **Post-lasso estimate**: IVW (``lm(by ~ bx - 1, weights = byse^-2)``) on the valid variants, SE divided by
  ``min(1, sigma)``; normal CI and p. Fewer than K + 1 valid variants: no estimate (NaN, with R's message).
* Also reported: ``reg_estimate``, theta from the penalised fit itself (R's ``RegEstimate``), the number of valid
  variants and which, and lambda.

Quirks of R kept here: the tuning rule reads the path from the smallest lambda up, so it selects the first jump
as the penalty grows (not as it shrinks); an "rse" of a valid set with as many variants as exposures is 0/0
(NaN) and never counts as a jump; the lambda path stops where glmnet stops (``fdev``, ``devmax``), so the
largest-penalty fallback is glmnet's first lambda.

Batches: ``(n_rep, k)`` inputs (univariable) or ``(n_rep, J, K)`` (multivariable); one path per replicate.

References
----------
Rees JMB, Wood AM, Burgess S (2017). Extending the MR-Egger method for multivariable Mendelian randomization to
correct for both measured and unmeasured pleiotropy. Stat Med 36:4705-4718 (MR-Lasso, supplement).
Grant AJ, Burgess S (2021). Pleiotropy robust methods for multivariable Mendelian randomization. Stat Med
40:5813-5830 (MV-Lasso).
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .distributions import chi2_ppf, norm_ppf, norm_sf
from .lasso_path import glmnet_lasso
from .method_info import MethodInfo
from .mv_design import as_mv_batch, check_design, mv_rows, wls
from .registry import register, register_mv
from .replicates import as_batch, make_result

__all__ = ["METHODS", "QUIRKS", "mr_lasso", "mr_mvlasso"]

_IDEA = ("Each variant gets its own pleiotropic intercept, and a lasso penalty sets most of them to exactly zero; "
         "the variants whose intercept stays non-zero are declared invalid. The causal effect is then the IVW "
         "estimate from the variants declared valid, with the penalty tuned by a heterogeneity stopping rule.")
_LASSO_QUIRKS = ("The tuning rule reads glmnet's path from the smallest lambda up and takes the first heterogeneity "
                 "jump as the penalty grows; valid sets with no residual df have no residual standard error (0/0 in "
                 "R), never a jump.",
                 "The path stops where glmnet stops (fdev 1e-5, devmax 0.999), so the fallback 'largest lambda' is "
                 "glmnet's entry point.")
METHODS = (    MethodInfo(
        id="lasso", label="MR-Lasso", short_label="Lasso", family="majority valid",
        r_function="MendelianRandomization 0.10.0 mr_lasso(lambda = numeric(0))",
        idea=_IDEA,
        formula=r"\min_{\theta, a} \sum_j \sigma_{Yj}^{-2}(\hat\beta_{Yj} - a_j - \theta\hat\beta_{Xj})^2 "
                r"+ \lambda\sum_j |a_j|",
        trades="Gives up 'all variants valid' for sparsity: most variants valid, the invalid ones with large a_j.",
        when=("Several variants with large pleiotropic effects in either direction; --lasso-lambda fixes the "
              "penalty on glmnet's scale."),
        extra_keys=("lambda", "n_valid", "reg_estimate")),
    MethodInfo(
        id="mv_lasso", label="MV-Lasso", short_label="MV-Lasso", family="majority valid",
        r_function="MendelianRandomization 0.10.0 mr_mvlasso(orientate = 1)",
        idea="The multivariable version of MR-Lasso: " + _IDEA[0].lower() + _IDEA[1:],
        formula=r"\min_{\theta, a} \sum_j \sigma_{Yj}^{-2}(\hat\beta_{Yj} - a_j - \hat\beta_{Xj}'\theta)^2 "
                r"+ \lambda\sum_j |a_j|",
        trades="As MR-Lasso, for the direct effects of several exposures.",
        when="Multivariable MR with a few variants pleiotropic through pathways not in the model.",
        extra_keys=("lambda", "n_valid", "reg_estimate")),
)
#: R behaviours reproduced although they look unintended (for the conventions page), by method id.
QUIRKS = {"lasso": _LASSO_QUIRKS, "mv_lasso": _LASSO_QUIRKS}


def _wls(x, y, w):
    """R's lm(y ~ x - 1, weights = w): coefficients, lm SEs, sigma (NaN when no residual df)."""
    if x.shape[0] <= x.shape[1]:
        return np.full(x.shape[1], np.nan), np.full(x.shape[1], np.nan), np.nan
    fit = wls(x, y, w)
    return fit["coef"], fit["sigma"] * np.sqrt(np.diag(fit["xtwx_inv"])), fit["sigma"]


def _rse(bx, by, byse, valid):
    """R's rse of the valid set: sqrt(RSS / df) of lm(S^1/2 by ~ S^1/2 bx - 1) (NaN with no residual df)."""
    if valid.sum() <= bx.shape[1]:  # no residual df (R: 0/0); no variant at all: R's lm fails, never chosen
        return np.nan
    return _wls(bx[valid], by[valid], byse[valid] ** -2.0)[2]


def _one(bx, by, byse, lam, alpha_ci):
    j, k = bx.shape
    s_half = 1.0 / byse
    b = bx * s_half[:, None]
    proj = b @ np.linalg.solve(b.T @ b, b.T)
    resid_op = np.eye(j) - proj
    xlas = resid_op * s_half[None, :]
    ylas = resid_op @ (s_half * by)
    note = ""
    if lam is not None:
        fit = glmnet_lasso(xlas, ylas, lam)
        a, chosen = fit["beta"][:, 0], float(lam)
    else:
        fit = glmnet_lasso(xlas, ylas)
        lamseq = fit["lambda"][::-1]  # sort(las_fit$lambda): increasing
        betas = fit["beta"][:, ::-1]
        n_lam = lamseq.size
        rse = np.array([_rse(bx, by, byse, betas[:, i] == 0) for i in range(n_lam)])
        n_valid = np.sum(betas == 0, axis=0)
        crit = float(chi2_ppf(0.95, 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            jump = (rse[1:] > 1) & (rse[1:] - rse[:-1] > crit / n_valid[1:])
        het = np.flatnonzero(jump)
        pos = n_lam - 1 if het.size == 0 else int(het[0])  # 0-based: R's min(het) is the (het+1)-th lambda
        enough = np.flatnonzero(n_valid > k)
        if enough.size and pos < int(enough[0]):
            pos = int(enough[0])
        a, chosen = betas[:, pos], float(lamseq[pos])
    reg = np.linalg.solve((bx * byse[:, None] ** -2.0).T @ bx, (bx * byse[:, None] ** -2.0).T @ (by - a))
    valid = a == 0
    if valid.sum() > k:
        coef, se, sigma = _wls(bx[valid], by[valid], byse[valid] ** -2.0)
        se = se / min(sigma, 1.0)
    else:
        coef, se = np.full(k, np.nan), np.full(k, np.nan)
        note = ("fewer valid variants than needed for the post-lasso fit (R: 'Post-lasso method cannot be "
                "performed')")
    return coef, se, reg, valid, chosen, a, note


_KEYS = ("estimate", "se", "reg_estimate", "valid", "lambda", "intercepts", "note")


def _run(bx3, by, byse, lam, alpha):
    n_rep, j, k = bx3.shape
    out = {key: [] for key in _KEYS}
    for r in range(n_rep):
        for key, val in zip(_KEYS, _one(bx3[r], by[r], byse[r], lam, alpha)):
            out[key].append(val)
    return {key: (np.array(val) if key != "note" else val) for key, val in out.items()}


def _check_lambda(lam):
    if lam is not None and not (np.isfinite(lam) and lam >= 0):
        raise InputError(f"the lasso penalty must be a number >= 0 on glmnet's scale, got {lam!r}",
                         column="lasso_lambda")


def mr_lasso(bx, bxse, by, byse, *, lam: float | None = None) -> dict[str, np.ndarray]:
    """MR-Lasso, MendelianRandomization ``mr_lasso``.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k)
        (``bxse`` is not used, as in R.)
    lam : float, optional
        A fixed penalty on glmnet's scale (R's ``lambda``); None tunes it by the heterogeneity rule.

    Returns
    -------
    dict
        The contract's result: ``estimate, se, ci_lower, ci_upper, p`` (post-lasso IVW, normal), ``reg_estimate``
        (R's RegEstimate), ``lambda``, ``n_valid`` (n_rep,); ``valid`` (n_rep, k) bool; ``intercepts`` (n_rep, k),
        the penalised pleiotropic intercepts of the oriented variants (R's RegIntercept); ``note`` (n_rep,).

    Raises
    ------
    mrkit.errors.InputError
        Bad input, or a negative or non-finite ``lam``.
    mrkit.errors.NotEstimable
        Fewer than 3 variants.

    References
    ----------
    Rees JMB, Wood AM, Burgess S (2017). Stat Med 36:4705-4718; MendelianRandomization ``mr_lasso``.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3, method="MR-Lasso")
    _check_lambda(lam)
    sign = np.where(bx < 0, -1.0, 1.0)
    res = _run(np.abs(bx)[:, :, None], by * sign, byse, lam, 0.05)
    return make_result(res["estimate"][:, 0], res["se"][:, 0], nsnp=res["valid"].sum(axis=1),
                       se_model="post_lasso_random_floored", weights="first_order",
                       note=np.array(res["note"], dtype=object), reg_estimate=res["reg_estimate"][:, 0],
                       valid=res["valid"], n_valid=res["valid"].sum(axis=1), intercepts=res["intercepts"],
                       **{"lambda": res["lambda"]})


def mr_mvlasso(bx, bxse, by, byse, *, lam: float | None = None, orientate: int = 0) -> dict[str, np.ndarray]:
    """MV-Lasso, MendelianRandomization ``mr_mvlasso``.

    Parameters
    ----------
    bx, bxse : array_like, shape (J, K) or (n_rep, J, K)
    by, byse : array_like, shape (J,) or (n_rep, J)
    lam : float, optional
        A fixed penalty on glmnet's scale; None tunes it.
    orientate : int
        0-based exposure whose effects are made positive (R's ``orientate = 1``).

    Returns
    -------
    dict
        ``estimate, se, ci_lower, ci_upper, p, reg_estimate`` of shape (n_rep, K) (post-lasso MV-IVW, normal);
        ``lambda``, ``n_valid`` (n_rep,); ``valid``, ``intercepts`` (n_rep, J); ``note`` (n_rep,) of str.

    Raises
    ------
    mrkit.errors.InputError
        Shapes that disagree, non-finite values, SEs <= 0, fewer than K + 2 variants, or a bad ``lam``/``orientate``.

    References
    ----------
    Grant AJ, Burgess S (2021). Stat Med 40:5813-5830; MendelianRandomization ``mr_mvlasso``.
    """
    bx3, _, by2, byse2 = as_mv_batch(bx, bxse, by, byse, min_extra_variants=2)
    _check_lambda(lam)
    n_rep, j, k = bx3.shape
    if not (isinstance(orientate, int | np.integer) and 0 <= orientate < k):
        raise InputError(f"orientate must be an exposure index in 0..{k - 1}, got {orientate!r}", column="orientate")
    orient = np.sign(bx3[:, :, orientate])  # R: sign(); a zero effect zeroes the variant, as in R
    for r in range(n_rep):
        check_design(bx3[r], method="MV-Lasso")
    res = _run(bx3 * orient[:, :, None], by2 * orient, byse2, lam, 0.05)
    z = float(norm_ppf(0.975))
    est, se = res["estimate"], res["se"]
    return {"estimate": est, "se": se, "ci_lower": est - z * se, "ci_upper": est + z * se,
            "p": 2 * norm_sf(np.abs(est / se)), "reg_estimate": res["reg_estimate"], "valid": res["valid"],
            "n_valid": res["valid"].sum(axis=1), "intercepts": res["intercepts"], "lambda": res["lambda"],
            "note": np.array(res["note"], dtype=object)}


def _mv_lasso_rows(data, ctx) -> list[dict]:
    res = mr_mvlasso(*data.arrays(), lam=ctx.options.get("lasso_lambda"))
    rows = mv_rows(res, nsnp=int(res["n_valid"][0]), se_model="post_lasso_random_floored", weights="first_order")
    for i, row in enumerate(rows):
        row.update({"lambda": float(res["lambda"][0]), "n_valid": int(res["n_valid"][0]),
                    "reg_estimate": float(res["reg_estimate"][0, i])})
    return rows


def _lasso(data, ctx):
    return mr_lasso(*data, lam=ctx.options.get("lasso_lambda"))


register("lasso", _lasso, row_keys=METHODS[0].extra_keys, reference=METHODS[0].r_function)
register_mv("mv_lasso", _mv_lasso_rows, reference=METHODS[1].r_function, row_keys=METHODS[1].extra_keys)
