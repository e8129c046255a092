"""Multivariable MR: direct effects of K exposures on one outcome from J shared variants.

Estimators (arrays in: ``bx``, ``bxse`` of shape (J, K), ``by``, ``byse`` of shape (J,); rows out),
ported from MendelianRandomization 0.10.0 and MVMR 0.4 and checked against their formulas:

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
* **MV weighted median** (``mr_mvmedian``, Grant & Burgess 2021): weighted L1 (median) regression through
  the origin, ``quantreg::rq(by ~ bx - 1, weights = byse^-2)``, i.e. minimise sum_j |by_j - bx_j theta| /
  byse_j^2; SE = SD of the estimate over a parametric bootstrap (bx*, by* drawn from N(b, se^2), weights
  fixed). The point estimate is an exact linear-programming optimum (a vertex, as rq's simplex returns);
  the bootstrap uses mrkit's seeded generator, so its SE equals R's within Monte Carlo error only.
* **Conditional F** of each exposure (``MVMR::strength_mvmr`` with ``gencov = 0``, Sanderson, Spiller &
  Bowden 2021): delta = OLS (unweighted, no intercept) of bx_k on the other exposures' bx;
  F_k = sum_j (bx_jk - bx_j,-k delta)^2 / (bxse_jk^2 + sum_l delta_l^2 bxse_jl^2) / J (MVMR divides by J).
* **Q_A** (``MVMR::pleiotropy_mvmr`` with ``gencov = 0``): sum_j (by_j - bx_j theta)^2 /
  (byse_j^2 + sum_k theta_k^2 bxse_jk^2) with theta the MV-IVW estimate, chi-square on J - K - 1 df
  (the df MVMR uses).

MV-LASSO (``mr_mvlasso``) is not implemented: its tuning walks glmnet's own lambda path (glmnet's
standardisation, lambda grid and early-stopping rules) and picks the first heterogeneity jump; matching
that path to 1e-6 needs glmnet itself, which mrkit does not depend on.

References
----------
Burgess S, Dudbridge F, Thompson SG (2015). Re: "Multivariable Mendelian randomization: the use of
pleiotropic genetic variants to estimate causal effects". Am J Epidemiol 181:290-291.
Rees JMB, Wood AM, Burgess S (2017). Extending the MR-Egger method for multivariable Mendelian
randomization to correct for both measured and unmeasured pleiotropy. Stat Med 36:4705-4718.
Grant AJ, Burgess S (2021). Pleiotropy robust methods for multivariable Mendelian randomization.
Stat Med 40:5813-5830.
Sanderson E, Spiller W, Bowden J (2021). Testing and correcting for weak and pleiotropic instruments in
two-sample multivariable Mendelian randomization. Stat Med 40:5434-5452.
Sanderson E, Davey Smith G, Windmeijer F, Bowden J (2019). An examination of multivariable Mendelian
randomization in the single-sample and two-sample summary data settings. Int J Epidemiol 48:713-727.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import InputError, NotEstimable
from ..rng import make_rng, resolve_seed
from .conventions import Convention, confidence_interval, distribution_label, get_convention, p_value, result_row
from .estimate import TABLE_COLUMNS
from .ivw import resolve_se_model, se_multiplier
from .mvdata import MVData, as_mvdata
from .strength import f_statistic, mean_f

__all__ = [
    "MV_DEFAULT_METHODS",
    "MV_METHODS",
    "MV_NOT_IMPLEMENTED",
    "conditional_f",
    "lad_fit",
    "mr_mvegger",
    "mr_mvivw",
    "mr_mvmedian",
    "mv_diagnostics",
    "mv_ivw_fit",
    "mv_mr",
    "q_a",
]

MV_METHODS = ("mv_ivw", "mv_ivw_fe", "mv_egger", "mv_median")
#: methods of the R packages mrkit does not provide, and why (reported by the CLI and by the error asking for one)
MV_NOT_IMPLEMENTED = {
    "mv_lasso": "MV-LASSO is not implemented (MendelianRandomization mr_mvlasso): its tuning walks glmnet's own "
                "lambda path and stops at the first heterogeneity jump, which cannot be matched to 1e-6 without "
                "glmnet (see mrkit.methods.multivariable)"}
MV_DEFAULT_METHODS = MV_METHODS
#: which MV-IVW SE model the default ``mv_ivw`` row uses under each convention
MV_IVW_SE = {"twosamplemr": "random_unfloored", "mendelianrandomization": "auto"}


def _check(bx, bxse, by, byse) -> tuple[np.ndarray, ...]:
    bx, bxse = np.atleast_2d(np.asarray(bx, float)), np.atleast_2d(np.asarray(bxse, float))
    by, byse = np.asarray(by, float).ravel(), np.asarray(byse, float).ravel()
    if bx.shape[0] != by.size and bx.shape[1] == by.size:  # one exposure given as a row
        bx, bxse = bx.T, bxse.T
    if bx.shape != bxse.shape or bx.shape[0] != by.size or by.size != byse.size:
        raise InputError(f"shapes disagree: bx {bx.shape}, bxse {bxse.shape}, by {by.shape}, byse {byse.shape}",
                         column="bx")
    for name, arr in (("bx", bx), ("bxse", bxse), ("by", by), ("byse", byse)):
        if not np.all(np.isfinite(arr)):
            raise InputError("must be finite", column=name)
    if np.any(bxse <= 0) or np.any(byse <= 0):
        raise InputError("standard errors must be > 0", column="bxse" if np.any(bxse <= 0) else "byse")
    return bx, bxse, by, byse


def _wls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict:
    """Weighted least squares ``y ~ x - 1`` as R's lm: coefficients, (X'WX)^-1, sigma, residuals."""
    n, p = x.shape
    if n <= p:
        raise NotEstimable(f"{n} variants for {p} coefficients: need more variants than coefficients")
    sw = np.sqrt(w)
    q, r = np.linalg.qr(x * sw[:, None])
    if np.min(np.abs(np.diag(r))) <= 1e-10 * np.max(np.abs(np.diag(r))):
        raise NotEstimable("the exposure effects are collinear: the design is not of full rank")
    coef = np.linalg.solve(r, q.T @ (y * sw))
    rinv = np.linalg.inv(r)
    resid = y - x @ coef
    rss = float(np.sum(w * resid ** 2))
    return {"coef": coef, "xtwx_inv": rinv @ rinv.T, "sigma": float(np.sqrt(rss / (n - p))), "rss": rss,
            "df": n - p, "resid": resid}


def mv_ivw_fit(bx, by, byse) -> dict:
    """MV-IVW fit: ``estimate`` (K,), ``se_fixed`` (K,), ``sigma``, ``q``, ``q_df``, ``q_p`` (Cochran's Q).

    References
    ----------
    MendelianRandomization ``mr_mvivw`` (lm(By ~ Bx - 1, weights = Byse^-2)); its ``Heter.Stat``.
    """
    bx = np.atleast_2d(np.asarray(bx, float))
    fit = _wls(bx, np.asarray(by, float), 1.0 / np.asarray(byse, float) ** 2)
    q = fit["sigma"] ** 2 * fit["df"]
    return {"estimate": fit["coef"], "se_fixed": np.sqrt(np.diag(fit["xtwx_inv"])), "sigma": fit["sigma"],
            "q": float(q), "q_df": int(fit["df"]), "q_p": float(stats.chi2.sf(q, fit["df"]))}


def mr_mvivw(bx, bxse, by, byse, *, se_model: str = "auto", t_dist: bool = False) -> list[dict]:
    """MV-IVW estimate of each exposure (one result row per exposure, in column order).

    Parameters
    ----------
    bx, bxse : (J, K) arrays; by, byse : (J,) arrays
    se_model : {"auto", "fixed", "random_floored", "random_unfloored"}
        ``auto`` = MendelianRandomization's default (fixed when J < 4, else random floored).
    t_dist : p-values and CIs from t(J - K) (MendelianRandomization ``distribution = "t-dist"``).

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
        J <= K, or collinear exposure effects.

    References
    ----------
    Burgess S, Dudbridge F, Thompson SG (2015). Am J Epidemiol 181:290-291; MendelianRandomization
    ``mr_mvivw``; TwoSampleMR ``mv_multiple``.
    """
    bx, bxse, by, byse = _check(bx, bxse, by, byse)
    j, k = bx.shape
    fit = mv_ivw_fit(bx, by, byse)
    model = resolve_se_model(se_model, j)  # the same rule as the univariable IVW (mr_ivw / mr_mvivw "default")
    scale = se_multiplier(model, fit["sigma"])
    df = j - k if t_dist else None
    return [result_row(fit["estimate"][i], fit["se_fixed"][i] * scale, nsnp=j, df=df, se_model=model,
                       weights="first_order", exposure_index=i, q=fit["q"], q_df=fit["q_df"], q_p=fit["q_p"],
                       sigma=fit["sigma"]) for i in range(k)]


def mr_mvegger(bx, bxse, by, byse, *, orientate: int = 0, t_dist: bool = False) -> dict:
    """MV-Egger: oriented to exposure ``orientate`` (0-based; default the first), with intercept.

    ``bx``, ``bxse`` (J, K); ``by``, ``byse`` (J,). Returns ``{"rows": [one row per exposure], "intercept":
    {estimate, se, ci_lower, ci_upper, p, distribution}, "q", "q_df", "q_p", "sigma", "orientate"}``; the
    intercept is in outcome units (the mean direct effect of a variant, oriented). Raises :class:`InputError`
    for bad input or ``orientate``, :class:`NotEstimable` when J < K + 2. SEs are lm SEs / min(1, sigma). With
    ``t_dist`` p-values and CIs use t(J - K - 1) (MendelianRandomization's t-dist CI uses J - K - 1 but
    its p-value J - K; mrkit uses J - K - 1 for both, the residual df of the fit).

    References
    ----------
    Rees JMB, Wood AM, Burgess S (2017). Stat Med 36:4705-4718; MendelianRandomization ``mr_mvegger``.
    """
    bx, bxse, by, byse = _check(bx, bxse, by, byse)
    j, k = bx.shape
    if not 0 <= orientate < k:
        raise InputError(f"orientate must be an exposure index in 0..{k - 1}, got {orientate}", column="orientate")
    if j < k + 2:
        raise NotEstimable(f"MV-Egger needs at least {k + 2} variants for {k} exposures, got {j}")
    # R orients by sign(bx), so a variant with bx exactly 0 on this exposure gets by = bx = 0 and stays in the fit;
    # mrkit orients it as +1 (TwoSampleMR's sign0, as mrkit's MR-Egger). The two agree whenever no bx is exactly 0.
    sign = np.where(bx[:, orientate] < 0, -1.0, 1.0)
    x = np.column_stack([np.ones(j), bx * sign[:, None]])
    fit = _wls(x, by * sign, 1.0 / byse ** 2)
    se = np.sqrt(np.diag(fit["xtwx_inv"])) * fit["sigma"] / min(1.0, fit["sigma"])
    df = j - k - 1 if t_dist else None
    rows = [result_row(fit["coef"][i + 1], se[i + 1], nsnp=j, df=df, se_model="random_floored",
                       weights="first_order", exposure_index=i) for i in range(k)]
    lo, hi = confidence_interval(fit["coef"][0], se[0], df)
    q = fit["sigma"] ** 2 * fit["df"]
    return {"rows": rows, "intercept": {"estimate": float(fit["coef"][0]), "se": float(se[0]), "ci_lower": lo,
                                        "ci_upper": hi, "p": p_value(fit["coef"][0], se[0], df),
                                        "distribution": distribution_label(df)},
            "q": float(q), "q_df": int(fit["df"]), "q_p": float(stats.chi2.sf(q, fit["df"])),
            "sigma": fit["sigma"], "orientate": orientate}


# ------------------------------------------------------------------------------------------------
# weighted L1 regression (quantreg::rq, tau = 0.5, weights multiply the rows)
# ------------------------------------------------------------------------------------------------
def lad_fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Exact minimiser of ``sum_j w_j |y_j - x_j theta|`` (a vertex of the LP, as rq's simplex returns).

    Linear program: min w'(u+ + u-) s.t. X theta + u+ - u- = y, u+/- >= 0 (HiGHS dual simplex).
    """
    n, p = x.shape
    c = np.concatenate([np.zeros(p), w, w])
    a_eq = np.hstack([x, np.eye(n), -np.eye(n)])
    bounds = [(None, None)] * p + [(0, None)] * (2 * n)
    res = optimize.linprog(c, A_eq=a_eq, b_eq=y, bounds=bounds, method="highs-ds")
    if res.status != 0:
        raise NotEstimable(f"median regression did not solve: {res.message}")
    theta = res.x[:p]
    snapped = _polish(x, y, w, theta[None, :])[0]  # the exact vertex, free of the solver's tolerances
    return theta if np.isnan(snapped).any() else snapped


def _polish(x: np.ndarray, y: np.ndarray, w: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Snap approximate LAD solutions (B, p) to the vertex through their p closest points, if optimal.

    Returns the snapped solutions with NaN rows where the vertex fails the optimality (subgradient) test.
    ``x``: (J, p) or (B, J, p); ``y``: (J,) or (B, J).
    """
    b, p = theta.shape
    xb = np.broadcast_to(x, (b, *x.shape[-2:]))
    yb = np.broadcast_to(y, (b, y.shape[-1]))
    r = yb - np.einsum("bjk,bk->bj", xb, theta)
    scale = np.maximum(np.abs(yb).max(axis=1, keepdims=True), 1e-300)
    order = np.argsort(np.abs(r) / scale, axis=1, kind="stable")
    out = np.full_like(theta, np.nan)
    idx = order[:, :p]
    xs = np.take_along_axis(xb, idx[:, :, None], axis=1)  # (B, p, p)
    ys = np.take_along_axis(yb, idx, axis=1)
    ok = np.abs(np.linalg.det(xs)) > 1e-300
    if not ok.any():
        return out
    th = np.full_like(theta, np.nan)
    th[ok] = np.linalg.solve(xs[ok], ys[ok][..., None])[..., 0]
    r = yb - np.einsum("bjk,bk->bj", xb, np.nan_to_num(th))
    tol = 1e-9 * np.maximum(np.abs(yb), np.abs(np.einsum("bjk,bk->bj", xb, np.nan_to_num(th)))) + 1e-300
    sgn = np.sign(r)
    sgn[np.abs(r) <= tol] = 0.0
    member = np.zeros(yb.shape, dtype=bool)
    np.put_along_axis(member, idx, True, axis=1)
    sgn[member] = 0.0
    g = np.einsum("bj,bjk->bk", w * sgn, xb)
    ws = w[idx]
    v = np.full_like(theta, np.inf)
    v[ok] = np.linalg.solve(np.transpose(xs[ok], (0, 2, 1)), -g[ok][..., None])[..., 0]
    u = v / ws
    good = ok & np.all(np.abs(u) <= 1 + 1e-7, axis=1) & np.all(np.abs(sgn[~member].reshape(b, -1)) > 0, axis=1)
    out[good] = th[good]
    return out


def _lad_batch(x: np.ndarray, y: np.ndarray, w: np.ndarray, iterations: int = 60) -> np.ndarray:
    """Exact weighted LAD fits of B data sets at once: IRLS to near the optimum, snapped to the optimal
    vertex (checked by the subgradient condition), :func:`lad_fit` for any replicate that fails."""
    theta = np.linalg.solve(np.einsum("bjk,j,bjl->bkl", x, w, x),
                            np.einsum("bjk,j,bj->bk", x, w, y)[..., None])[..., 0]
    scale = np.abs(y).mean(axis=1, keepdims=True) + 1e-300
    for _ in range(iterations):
        r = y - np.einsum("bjk,bk->bj", x, theta)
        a = w / np.maximum(np.abs(r), 1e-10 * scale)
        theta = np.linalg.solve(np.einsum("bjk,bj,bjl->bkl", x, a, x),
                                np.einsum("bjk,bj,bj->bk", x, a, y)[..., None])[..., 0]
    out = _polish(x, y, w, theta)
    for i in np.flatnonzero(np.isnan(out).any(axis=1)):
        out[i] = lad_fit(x[i], y[i], w)
    return out


def mr_mvmedian(bx, bxse, by, byse, *, n_boot: int = 10000, seed: int | None = None) -> list[dict]:
    """MV weighted median: weighted median regression through the origin with bootstrap SEs.

    ``bx``, ``bxse`` (J, K); ``by``, ``byse`` (J,). Weights ``byse^-2`` multiply the absolute residuals (quantreg
    ``rq`` multiplies rows by its weights). Returns one result row per exposure (normal p and CI, as
    MendelianRandomization's default), with ``n_boot`` and the ``seed`` used. Raises :class:`InputError` for bad
    input or ``n_boot`` < 2, :class:`NotEstimable` when J <= K.

    References
    ----------
    Grant AJ, Burgess S (2021). Stat Med 40:5813-5830; MendelianRandomization ``mr_mvmedian``
    (iterations = 10000, bootstrap SD).
    """
    bx, bxse, by, byse = _check(bx, bxse, by, byse)
    j, k = bx.shape
    if j <= k:
        raise NotEstimable(f"MV median needs more variants than exposures ({j} for {k})")
    if isinstance(n_boot, bool) or int(n_boot) < 2:
        raise InputError(f"n_boot must be an integer >= 2, got {n_boot!r}", column="n_boot")
    w = byse ** -2.0
    estimate = lad_fit(bx, by, w)
    used = resolve_seed(seed)
    rng = make_rng(used)
    draws = []
    for start in range(0, int(n_boot), 2000):  # bounded memory
        m = min(2000, int(n_boot) - start)
        xb = bx + bxse * rng.standard_normal((m, j, k))
        yb = by + byse * rng.standard_normal((m, j))
        draws.append(_lad_batch(xb, yb, w))
    se = np.std(np.concatenate(draws), axis=0, ddof=1)
    return [result_row(estimate[i], se[i], nsnp=j, se_model="bootstrap", weights="byse^-2 (rq)",
                       n_boot=int(n_boot), seed=used, exposure_index=i) for i in range(k)]


# ------------------------------------------------------------------------------------------------
# diagnostics: conditional F (strength_mvmr) and Q_A (pleiotropy_mvmr)
# ------------------------------------------------------------------------------------------------
def conditional_f(bx, bxse) -> np.ndarray:
    """Conditional F-statistic of each exposure, MVMR ``strength_mvmr(r_input, gencov = 0)``.

    For exposure k: delta = OLS (no weights, no intercept) of bx_k on the other columns;
    F_k = (1/J) sum_j (bx_jk - sum_l delta_l bx_jl)^2 / (bxse_jk^2 + sum_l delta_l^2 bxse_jl^2).
    With one exposure this is the mean of (bx/bxse)^2. Shape (K,).

    References
    ----------
    Sanderson E, Spiller W, Bowden J (2021). Stat Med 40:5434-5452 (gencov = 0: non-overlapping
    exposure samples); MVMR ``strength_mvmr``.
    """
    bx, bxse = np.atleast_2d(np.asarray(bx, float)), np.atleast_2d(np.asarray(bxse, float))
    j, k = bx.shape
    out = np.empty(k)
    if k == 1:  # nothing to condition on: the usual mean F
        return np.array([mean_f(f_statistic(bx[:, 0], bxse[:, 0]))])
    for i in range(k):
        others = np.delete(np.arange(k), i)
        delta, *_ = np.linalg.lstsq(bx[:, others], bx[:, i], rcond=None)
        resid = bx[:, i] - bx[:, others] @ delta
        var = bxse[:, i] ** 2 + (bxse[:, others] ** 2) @ (delta ** 2)
        out[i] = np.sum(resid ** 2 / var) / j
    return out


def q_a(bx, bxse, by, byse) -> dict:
    """Q_A for instrument validity, MVMR ``pleiotropy_mvmr(r_input, gencov = 0)``.

    ``Q_A = sum_j (by_j - bx_j theta)^2 / (byse_j^2 + sum_k theta_k^2 bxse_jk^2)``, theta the MV-IVW
    estimate; chi-square p on J - K - 1 df (MVMR's df). Returns ``q``, ``df``, ``p``.

    References
    ----------
    Sanderson E, Spiller W, Bowden J (2021). Stat Med 40:5434-5452; MVMR ``pleiotropy_mvmr``.
    """
    bx, bxse, by, byse = _check(bx, bxse, by, byse)
    j, k = bx.shape
    theta = mv_ivw_fit(bx, by, byse)["estimate"]
    var = byse ** 2 + (bxse ** 2) @ (theta ** 2)
    q = float(np.sum((by - bx @ theta) ** 2 / var))
    df = j - k - 1
    return {"q": q, "df": df, "p": float(stats.chi2.sf(q, df)) if df > 0 else float("nan")}


# ------------------------------------------------------------------------------------------------
# the table
# ------------------------------------------------------------------------------------------------
def _nan_rows(data: MVData, reason: str) -> list[dict]:
    return [{"estimate": np.nan, "se": np.nan, "ci_lower": np.nan, "ci_upper": np.nan, "p": np.nan, "nsnp": data.j,
             "se_model": "", "distribution": "", "ci_distribution": "", "weights": "", "n_boot": None, "seed": None,
             "note": reason, "exposure_index": i} for i in range(data.k)]


def _method_rows(data: MVData, method: str, conv: Convention, seed: int, n_boot: int) -> list[dict]:
    arrays = data.arrays()
    if method == "mv_ivw":
        return mr_mvivw(*arrays, se_model=MV_IVW_SE[conv.name])
    if method == "mv_ivw_fe":
        return mr_mvivw(*arrays, se_model="fixed")
    if method == "mv_egger":
        res = mr_mvegger(*arrays, t_dist=conv.egger_t)
        icpt = res["intercept"]
        note = (f"oriented to {data.exposures[0]}; intercept {icpt['estimate']:.4g} (SE {icpt['se']:.3g}, "
                f"p {icpt['p']:.3g})")
        return [{**r, "note": note} for r in res["rows"]]
    if method == "mv_median":
        return mr_mvmedian(*arrays, n_boot=n_boot, seed=seed)
    raise InputError(f"unknown multivariable method {method!r}; choose from {', '.join(MV_METHODS)}",
                     column="methods")


def _methods(methods) -> list[str]:
    if methods is None:
        return list(MV_DEFAULT_METHODS)
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in MV_METHODS]
    if unknown:
        extra = "".join(f" ({MV_NOT_IMPLEMENTED[m]})" for m in unknown if m in MV_NOT_IMPLEMENTED)
        raise InputError(f"unknown multivariable method(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(MV_METHODS)}{extra}", column="methods")
    return list(dict.fromkeys(methods))


def mv_mr(data: Any, methods: Iterable[str] | str | None = None, convention: str = "twosamplemr",
          seed: int | None = None, n_boot: int | None = None, exposures: list[str] | None = None) -> pd.DataFrame:
    """Multivariable MR estimates of every exposure, one tidy table.

    Parameters
    ----------
    data : MVData, DataFrame or dict (see :mod:`mrkit.methods.mvdata`; files: :func:`mrkit.gwas.io.multivariable.read_multivariable`)
    methods : ids from :data:`MV_METHODS` (default all): ``mv_ivw`` (the convention's default SE: TwoSampleMR
        ``mv_multiple``'s lm SE, or MendelianRandomization's fixed-if-J<4-else-floored-random), ``mv_ivw_fe``,
        ``mv_egger``, ``mv_median``.
    convention : ``twosamplemr`` or ``mendelianrandomization`` (:mod:`.conventions`): the MV-IVW SE model,
        MV-Egger's p distribution (t(J-K-1) or normal) and the bootstrap size (1000 or 10000).
    seed, n_boot : the MV median bootstrap's seed (default :data:`mrkit.rng.DEFAULT_SEED`) and size.
    exposures : analyse only these exposures (names), in this order.

    Returns
    -------
    pandas.DataFrame
        ``exposure``, ``outcome``, then :data:`mrkit.methods.estimate.TABLE_COLUMNS`; one row per method and
        exposure. ``attrs`` holds ``convention``, ``seed`` and the diagnostics of :func:`mv_diagnostics`. A method
        that cannot be estimated (too few variants) gives NaN rows with the reason in ``note``. ``nsnp`` is the
        number of variants in the fit (J) for every exposure; TwoSampleMR's ``mv_multiple`` fits the same J variants
        but reports, per exposure, how many of them reach its ``pval_threshold`` for that exposure.

    Raises
    ------
    InputError
        Bad input (located: file, line, column; see :func:`mrkit.methods.mvdata.as_mvdata`), an unknown method
        (``mv_lasso`` says why it is absent, :data:`MV_NOT_IMPLEMENTED`), convention or ``n_boot``.
    NotEstimable
        Collinear exposure effects (the MV-IVW fit behind the diagnostics is not identified).
    """
    conv = get_convention(convention)
    mv = as_mvdata(data, exposures)
    used = resolve_seed(seed)
    n_boot = conv.n_boot if n_boot is None else n_boot
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 2:
        raise InputError(f"n_boot must be an integer >= 2, got {n_boot!r}", column="n_boot")
    canon = mv.canonical()
    rows = []
    for method in _methods(methods):
        try:
            res = _method_rows(canon, method, conv, used, int(n_boot))
        except NotEstimable as exc:
            res = _nan_rows(canon, str(exc))
        for r in res:
            rows.append({"exposure": mv.exposures[r["exposure_index"]], "outcome": mv.outcome, "method": method,
                         **{c: r.get(c) for c in TABLE_COLUMNS if c not in ("method", "convention")},
                         "convention": conv.name})
    table = pd.DataFrame(rows, columns=["exposure", "outcome", *TABLE_COLUMNS])
    for col in ("estimate", "se", "ci_lower", "ci_upper", "p"):
        table[col] = table[col].astype(float)
    table["nsnp"] = table["nsnp"].astype("int64")
    for col in ("n_boot", "seed"):
        table[col] = pd.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v)
                               for v in table[col]], dtype="Int64")
    table.attrs.update({"convention": conv.name, "seed": used, **mv_diagnostics(mv, convention=conv)})
    return table


def mv_diagnostics(data: Any, convention: str | Convention = "twosamplemr") -> dict:
    """Conditional F per exposure, Cochran's Q of MV-IVW, Q_A and the MV-Egger intercept, as a dict.

    Keys: ``strength`` {exposure: conditional F}, ``heterogeneity`` {q, df, p}, ``pleiotropy`` {q_a, df, p,
    egger_intercept, egger_intercept_se, egger_intercept_p, egger_distribution}, ``nsnp``, ``exposures``.
    """
    conv = get_convention(convention)
    mv = as_mvdata(data)
    canon = mv.canonical()
    fit = mv_ivw_fit(canon.bx, canon.by, canon.byse)
    qa = q_a(*canon.arrays())
    try:
        eg = mr_mvegger(*canon.arrays(), t_dist=conv.egger_t)["intercept"]
    except NotEstimable:
        eg = {"estimate": np.nan, "se": np.nan, "p": np.nan, "distribution": ""}
    return {"nsnp": mv.j, "exposures": list(mv.exposures),
            "strength": dict(zip(mv.exposures, conditional_f(canon.bx, canon.bxse).tolist())),
            "heterogeneity": {"q": fit["q"], "df": fit["q_df"], "p": fit["q_p"]},
            "pleiotropy": {"q_a": qa["q"], "df": qa["df"], "p": qa["p"], "egger_intercept": eg["estimate"],
                           "egger_intercept_se": eg["se"], "egger_intercept_p": eg["p"],
                           "egger_distribution": eg["distribution"]}}
