"""MR estimators over many replicates at once: every input is an ``(n_rep, k)`` array.

A simulation study fits each method to thousands of simulated datasets. Calling the 1-D
estimators in a Python loop would take minutes per scenario; here each method is written once on
2-D arrays (one row per replicate, one column per SNP) and computes all replicates with a few
numpy operations, so the teaching chapter's full design runs in minutes on two cores.

Each function reproduces its 1-D counterpart in :mod:`mrkit` (TwoSampleMR 0.7.9 defaults unless
said otherwise) row by row:

* :func:`ivw` -- :mod:`mrkit.ivw` (fixed, floored and unfloored multiplicative random effects);
* :func:`egger` -- :mod:`mrkit.egger` (orientation on bx, SE floored at min(1, sigma), t(k-2));
* :func:`simple_median`, :func:`weighted_median`, :func:`penalised_weighted_median` -- the
  point estimates exactly; the SE is the standard deviation of a parametric bootstrap
  (``bx* ~ N(bx, bxse)``, ``by* ~ N(by, byse)``, weights held fixed, as TwoSampleMR's
  ``weighted_median_bootstrap``), drawn for all replicates at once as ``(n_rep, n_boot, k)``;
* :func:`mode` -- simple and weighted mode-based estimate (MBE), point estimate via the R
  ``density()`` port :func:`mrkit.density.density_mode` exactly; SE = MAD of a bootstrap of the
  ratio estimates drawn from ``N(ratio, second-order se)`` (TwoSampleMR ``mr_mode``);
* :func:`ml` -- two-sample maximum likelihood: the optimum of the joint likelihood, found as the
  minimum of its profile over the true SNP-exposure effects (one parameter instead of k + 1),
  by a vectorised safeguarded Newton iteration; SE from the Hessian of the joint likelihood,
  which at the optimum equals the curvature of the profile (Schur complement);
* :func:`raps` -- MR-RAPS (Huber loss, over-dispersion, no shrinkage) solving the estimating
  equations of :mod:`mrkit.raps` with vectorised bracketing and Illinois root finding.

The bootstraps draw their standard normals from one generator seeded through :mod:`mrkit.rng`
(replicate r uses slice ``r`` of one ``(n_rep, n_boot, k)`` draw), so a batch result is
reproducible from its seed; it equals the 1-D estimator's bootstrap SE within Monte Carlo error,
and equals exactly the same algorithm fed the same deviates (see ``tests/test_batch.py``).

References
----------
Burgess S, Butterworth A, Thompson SG (2013). Genet Epidemiol 37:658-665 (IVW).
Bowden J, Davey Smith G, Burgess S (2015). Int J Epidemiol 44:512-525 (MR-Egger).
Bowden J, Davey Smith G, Haycock PC, Burgess S (2016). Consistent estimation in Mendelian
randomization with some invalid instruments using a weighted median estimator. Genet Epidemiol
40:304-314.
Hartwig FP, Davey Smith G, Bowden J (2017). Robust inference in summary data Mendelian
randomization via the zero modal pleiotropy assumption. Int J Epidemiol 46:1985-1998.
Burgess S, Butterworth A, Thompson SG (2013); Hemani G et al. (2018) eLife 7:e34408
(two-sample maximum likelihood as in TwoSampleMR ``mr_two_sample_ml``).
Zhao Q, Wang J, Hemani G, Bowden J, Small DS (2020). Ann Stat 48:1742-1769 (MR-RAPS).
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd
from scipy import stats

from .density import density_mode
from .errors import InputError
from .median import median_weights as _median_weights
from .median import penalised_weights
from .median import weighted_median as _weighted_median
from .mode import mbe_bandwidth, r_mad
from .raps import _DEFAULT_K, _psi_fn, loss_constants
from .rng import make_rng, resolve_seed

__all__ = ["as_batch", "ivw", "egger", "weighted_median_rows", "median_weights", "simple_median",
           "weighted_median", "penalised_weighted_median", "mode", "ml", "raps", "fit_methods",
           "BATCH_METHODS"]

#: Methods :func:`fit_methods` knows, in display order.
BATCH_METHODS = ("ivw", "ivw_fe", "egger", "simple_median", "weighted_median",
                 "penalised_weighted_median", "simple_mode", "weighted_mode", "ml", "raps")

_Z975 = float(stats.norm.ppf(0.975))


# ---------------------------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------------------------
def as_batch(bx: Any, bxse: Any, by: Any, byse: Any, *, min_snps: int = 1
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four inputs as float arrays of one common shape ``(n_rep, k)``.

    1-D inputs are one replicate; SEs may be ``(k,)`` and are broadcast over replicates. Raises
    :class:`~mrkit.errors.InputError` naming the argument, the replicate (``row``) and the SNP
    column of the first non-finite value, non-positive SE or zero ``bx``.
    """
    names = ("bx", "bxse", "by", "byse")
    arrays = []
    for name, value in zip(names, (bx, bxse, by, byse)):
        try:
            arrays.append(np.asarray(value, dtype=float))
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name} must be numeric ({exc})", column=name) from None
    if any(a.ndim > 2 for a in arrays):
        raise InputError("inputs must be (n_rep, k) or (k,) arrays", column="bx")
    try:
        arrays = [np.atleast_2d(a) for a in np.broadcast_arrays(*[np.atleast_2d(a) for a in arrays])]
    except ValueError:
        raise InputError("bx, bxse, by, byse have shapes that do not broadcast: "
                         + ", ".join(str(np.shape(a)) for a in arrays), column="bx") from None
    arrays = [np.ascontiguousarray(a) for a in arrays]
    for name, a in zip(names, arrays):
        bad = ~np.isfinite(a)
        if name in ("bxse", "byse"):
            bad |= ~(a > 0)
        if name == "bx":
            bad |= a == 0
        if bad.any():
            r, j = np.argwhere(bad)[0]
            what = "must be finite" + (" and > 0" if name.endswith("se") else "") + \
                (" and non-zero" if name == "bx" else "")
            raise InputError(f"{name} {what} (value {a[r, j]!r} at SNP column {j})", row=int(r),
                             column=name)
    if arrays[0].shape[1] < min_snps:
        raise InputError(f"at least {min_snps} SNPs are needed, got {arrays[0].shape[1]}",
                         column="bx")
    return arrays[0], arrays[1], arrays[2], arrays[3]


def _normal_summary(est: np.ndarray, se: np.ndarray, df: float | None = None,
                    ci_df: float | None | str = "same") -> dict[str, np.ndarray]:
    """p-value and 95 % CI arrays, normal or t(df), as :func:`mrkit.conventions.result_row`."""
    ci_df = df if isinstance(ci_df, str) else ci_df
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(est / se)
    p = 2.0 * (stats.norm.sf(z) if df is None else stats.t.sf(z, df))
    q = _Z975 if ci_df is None else float(stats.t.ppf(0.975, ci_df))
    return {"estimate": est, "se": se, "ci_lower": est - q * se, "ci_upper": est + q * se, "p": p}


# ---------------------------------------------------------------------------------------------
# IVW and MR-Egger: closed forms
# ---------------------------------------------------------------------------------------------
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
    out = _normal_summary(est, ses[se_model])
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
    out = _normal_summary(slope, se_slope, dist)
    out.update(intercept=intercept, intercept_se=se_int,
               intercept_p=_normal_summary(intercept, se_int, dist)["p"], sigma=sigma, q=q,
               q_df=np.full(slope.shape, df), q_p=stats.chi2.sf(q, df))
    return out


# ---------------------------------------------------------------------------------------------
# medians
# ---------------------------------------------------------------------------------------------
def weighted_median_rows(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """:func:`mrkit.median.weighted_median` along the last axis for any leading shape."""
    values = np.asarray(values, dtype=float)
    weights = np.broadcast_to(np.asarray(weights, dtype=float), values.shape)
    k = values.shape[-1]
    flat = _weighted_median(values.reshape(-1, k), weights.reshape(-1, k))
    return np.asarray(flat).reshape(values.shape[:-1])


def median_weights(bx, bxse, by, byse, kind: str = "second_order") -> np.ndarray:
    """Ratio weights per replicate and SNP: ``second_order`` (TwoSampleMR), ``first_order``
    (MendelianRandomization) or ``simple`` (1/k), as :func:`mrkit.median.median_weights`."""
    if kind not in ("second_order", "first_order", "simple"):
        raise InputError(f"unknown median weights {kind!r}; choose second_order, first_order or "
                         "simple", column="weights")
    if kind == "simple":
        return np.full(bx.shape, 1.0 / bx.shape[-1])
    return _median_weights(bx, bxse, by, byse, kind)


def _boot_normals(seed: int, n_rep: int, n_boot: int, k: int, n_sets: int
                  ) -> list[np.ndarray]:
    """``n_sets`` independent standard-normal arrays of shape (n_rep, n_boot, k) from ``seed``."""
    rng = make_rng(seed)
    return [rng.standard_normal((n_rep, n_boot, k)) for _ in range(n_sets)]


def _median_bootstrap_se(bx, bxse, by, byse, weights, n_boot: int, seed: int) -> np.ndarray:
    """SD (ddof 1, as R's ``sd``) of the bootstrap weighted medians, per replicate."""
    n_rep, k = bx.shape
    zx, zy = _boot_normals(seed, n_rep, n_boot, k, 2)
    ratio = (by[:, None, :] + byse[:, None, :] * zy) / (bx[:, None, :] + bxse[:, None, :] * zx)
    med = weighted_median_rows(ratio, weights[:, None, :])
    return med.std(axis=1, ddof=1)


def _median_result(est, se, n_boot, seed) -> dict[str, np.ndarray]:
    out = _normal_summary(est, se)
    out["n_boot"], out["seed"] = n_boot, seed
    return out


def simple_median(bx, bxse, by, byse, *, n_boot: int = 1000, seed: int | None = None
                  ) -> dict[str, np.ndarray]:
    """Simple (unweighted) median of the ratio estimates, bootstrap SE, normal p.

    References
    ----------
    Bowden J, Davey Smith G, Haycock PC, Burgess S (2016). Genet Epidemiol 40:304-314.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    w = median_weights(bx, bxse, by, byse, "simple")
    used = resolve_seed(seed)
    est = weighted_median_rows(by / bx, w)
    return _median_result(est, _median_bootstrap_se(bx, bxse, by, byse, w, n_boot, used),
                          n_boot, used)


def weighted_median(bx, bxse, by, byse, *, weights: str = "second_order", n_boot: int = 1000,
                    seed: int | None = None) -> dict[str, np.ndarray]:
    """Weighted median of the ratio estimates for every replicate, bootstrap SE, normal p.

    Parameters
    ----------
    weights : {"second_order", "first_order"}
        TwoSampleMR (second order) or MendelianRandomization (first order) weights.
    n_boot : int
        Bootstrap draws per replicate (TwoSampleMR 1000).
    seed : int, optional
        Seed of the bootstrap (:data:`mrkit.rng.DEFAULT_SEED` when None), returned as ``seed``.

    References
    ----------
    Bowden J, Davey Smith G, Haycock PC, Burgess S (2016). Genet Epidemiol 40:304-314.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    w = median_weights(bx, bxse, by, byse, weights)
    used = resolve_seed(seed)
    est = weighted_median_rows(by / bx, w)
    return _median_result(est, _median_bootstrap_se(bx, bxse, by, byse, w, n_boot, used),
                          n_boot, used)


def penalised_weighted_median(bx, bxse, by, byse, *, weights: str = "second_order",
                              n_boot: int = 1000, seed: int | None = None
                              ) -> dict[str, np.ndarray]:
    """Penalised weighted median: weights times min(1, 20 P(chi2_1 > w (ratio - WM)^2))
    (:func:`mrkit.median.penalised_weights`), as TwoSampleMR ``mr_penalised_weighted_median``.

    References
    ----------
    Burgess S, Bowden J, Fall T, Ingelsson E, Thompson SG (2017). Sensitivity analyses for robust
    causal inference from Mendelian randomization analyses with multiple genetic variants.
    Epidemiology 28:30-42.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    w = median_weights(bx, bxse, by, byse, weights)
    ratio = by / bx
    wm = weighted_median_rows(ratio, w)
    pw = penalised_weights(ratio, w, wm[:, None])
    used = resolve_seed(seed)
    est = weighted_median_rows(ratio, pw)
    return _median_result(est, _median_bootstrap_se(bx, bxse, by, byse, pw, n_boot, used),
                          n_boot, used)


# ---------------------------------------------------------------------------------------------
# mode-based estimate
# ---------------------------------------------------------------------------------------------
def _mode_rows(ratio: np.ndarray, weights: np.ndarray, phi: float) -> np.ndarray:
    """TwoSampleMR ``mr_mode``'s inner ``beta()`` on rows of any leading shape: the bandwidth
    :func:`mrkit.mode.mbe_bandwidth` and the argmax of R's density with normalised weights."""
    shape = ratio.shape
    k = shape[-1]
    x = ratio.reshape(-1, k)
    w = np.broadcast_to(weights, shape).reshape(-1, k)
    w = w / w.sum(axis=1, keepdims=True)
    return np.asarray(density_mode(x, w, bw=mbe_bandwidth(x, phi))).reshape(shape[:-1])


def mode(bx, bxse, by, byse, *, weighted: bool = True, phi: float = 1.0, n_boot: int = 1000,
         seed: int | None = None, t_dist: bool = True) -> dict[str, np.ndarray]:
    """Mode-based estimate (MBE) for every replicate, as TwoSampleMR ``mr_mode``.

    The estimate is the argmax of R's ``density()`` of the ratio estimates (weights
    se^-2/sum(se^-2) with second-order se when ``weighted``, equal weights otherwise; bandwidth
    ``max(1e-8, phi * 0.9 min(sd, mad) / k^(1/5))``). The SE is the MAD of ``n_boot`` modes of
    ratios drawn from N(ratio, se) with the weights held fixed; p from t(k-1) when ``t_dist``
    (TwoSampleMR; MendelianRandomization: normal); the CI is normal in both packages.

    References
    ----------
    Hartwig FP, Davey Smith G, Bowden J (2017). Int J Epidemiol 46:1985-1998.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    n_rep, k = bx.shape
    ratio = by / bx
    se = np.sqrt(byse ** 2 / bx ** 2 + by ** 2 * bxse ** 2 / bx ** 4)
    w = se ** -2 if weighted else np.ones_like(se)
    est = _mode_rows(ratio, w, phi)
    used = resolve_seed(seed)
    (z,) = _boot_normals(used, n_rep, n_boot, k, 1)
    boot = _mode_rows(ratio[:, None, :] + se[:, None, :] * z, w[:, None, :], phi)
    out = _normal_summary(est, r_mad(boot), k - 1 if t_dist else None, ci_df=None)
    out["n_boot"], out["seed"] = n_boot, used
    return out


# ---------------------------------------------------------------------------------------------
# two-sample maximum likelihood
# ---------------------------------------------------------------------------------------------
def _ml_profile(beta, bx, bxse, by, byse):
    """Profile objective f = 1/2 sum (by - b bx)^2 / (sy^2 + b^2 sx^2) and its two derivatives."""
    b = beta[:, None]
    a = by - b * bx
    d = byse ** 2 + b * b * bxse ** 2
    sx2 = bxse ** 2
    f = 0.5 * np.sum(a * a / d, axis=1)
    g = np.sum(-bx * a / d - b * sx2 * a * a / d ** 2, axis=1)
    h = np.sum(bx * bx / d + 4.0 * b * sx2 * bx * a / d ** 2 - sx2 * a * a / d ** 2
               + 4.0 * b * b * sx2 * sx2 * a * a / d ** 3, axis=1)
    return f, g, h


def ml(bx, bxse, by, byse, *, max_iter: int = 200, tol: float = 1e-13) -> dict[str, np.ndarray]:
    """Two-sample maximum-likelihood estimate for every replicate (TwoSampleMR convention).

    TwoSampleMR minimises ``1/2 sum (bx - g)^2/sx^2 + 1/2 sum (by - b g)^2/sy^2`` over (g, b)
    with Nelder-Mead and takes the SE from the Hessian. Minimising over g first gives the
    profile ``1/2 sum (by - b bx)^2 / (sy^2 + b^2 sx^2)``, whose minimiser is the same b and
    whose second derivative at it equals 1 / [Hessian^-1]_bb, so the optimum is found exactly by
    a Newton iteration from the IVW estimate (steps halved until the objective does not rise).

    Returns
    -------
    dict of numpy.ndarray
        ``estimate, se, ci_lower, ci_upper, p`` (normal), ``q`` = 2 min (df k - 1), ``q_p``,
        ``converged``.

    References
    ----------
    Burgess S, Butterworth A, Thompson SG (2013). Genet Epidemiol 37:658-665.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=2)
    k = bx.shape[1]
    w = 1.0 / byse ** 2
    beta = np.sum(w * bx * by, axis=1) / np.sum(w * bx * bx, axis=1)
    f, g, h = _ml_profile(beta, bx, bxse, by, byse)
    converged = np.zeros(beta.shape, dtype=bool)
    for _ in range(max_iter):
        active = ~converged
        if not active.any():
            break
        # Newton where the curvature is positive, else a gradient step scaled by the IVW info
        step = np.where(h > 0, -g / np.where(h > 0, h, 1.0), -g / np.sum(w * bx * bx, axis=1))
        step = np.where(active, step, 0.0)
        new = beta + step
        f_new, g_new, h_new = _ml_profile(new, bx, bxse, by, byse)
        for _ in range(60):  # halve steps that increase the objective
            worse = active & (f_new > f + 1e-15 * np.abs(f))
            if not worse.any():
                break
            step = np.where(worse, step / 2.0, step)
            new = beta + step
            f_new, g_new, h_new = _ml_profile(new, bx, bxse, by, byse)
        done = active & (np.abs(step) <= tol * np.maximum(1.0, np.abs(new)))
        beta, f, g, h = new, f_new, g_new, h_new
        converged |= done
    se = 1.0 / np.sqrt(h)
    out = _normal_summary(beta, se)
    q = 2.0 * f
    out.update(q=q, q_df=np.full(beta.shape, k - 1), q_p=stats.chi2.sf(q, k - 1),
               converged=converged)
    return out


# ---------------------------------------------------------------------------------------------
# MR-RAPS
# ---------------------------------------------------------------------------------------------
def _raps_parts(beta, tau2, bx, bxse, by, byse):
    b = beta[:, None]
    s2 = byse ** 2 + tau2[:, None]
    den = 1.0 / bxse ** 2 + b * b / s2
    gamma = (bx / bxse ** 2 + b * by / s2) / den
    v = b * b * bxse ** 2 + s2
    t = (by - b * bx) / np.sqrt(v)
    return gamma, v, t, s2, den


def _psi1(beta, tau2, bx, bxse, by, byse, d1):
    gamma, v, t, _, _ = _raps_parts(beta, tau2, bx, bxse, by, byse)
    return np.sum(gamma * d1(t) / np.sqrt(v), axis=1)


def _psi2(beta, tau2, bx, bxse, by, byse, d1, delta):
    _, v, t, _, _ = _raps_parts(beta, tau2, bx, bxse, by, byse)
    return np.sum((t * d1(t) - delta) / v, axis=1)


def _illinois(f, lo, hi, flo, fhi, active, *, iters: int = 200, rtol: float = 1e-14):
    """Vectorised Illinois (modified regula falsi) root search on brackets [lo, hi]."""
    lo, hi, flo, fhi = lo.copy(), hi.copy(), flo.copy(), fhi.copy()
    x = np.where(flo == 0, lo, hi)
    side = np.zeros(lo.shape, dtype=int)
    todo = active & (flo != 0) & (fhi != 0)
    for _ in range(iters):
        if not todo.any():
            break
        denom = fhi - flo
        x_new = np.where(denom != 0, hi - fhi * (hi - lo) / np.where(denom != 0, denom, 1.0),
                         0.5 * (lo + hi))
        x_new = np.where((x_new <= np.minimum(lo, hi)) | (x_new >= np.maximum(lo, hi)),
                         0.5 * (lo + hi), x_new)
        fx = f(x_new)
        same_as_hi = np.sign(fx) == np.sign(fhi)
        # Illinois: halve the retained end's value when the same end is kept twice
        upd_hi = todo & same_as_hi
        upd_lo = todo & ~same_as_hi
        flo = np.where(upd_hi & (side == 1), flo / 2.0, flo)
        fhi = np.where(upd_lo & (side == -1), fhi / 2.0, fhi)
        hi = np.where(upd_hi, x_new, hi)
        fhi = np.where(upd_hi, fx, fhi)
        lo = np.where(upd_lo, x_new, lo)
        flo = np.where(upd_lo, fx, flo)
        side = np.where(upd_hi, 1, np.where(upd_lo, -1, side))
        x = np.where(todo, x_new, x)
        width = np.abs(hi - lo)
        todo = todo & (fx != 0) & (width > rtol * np.maximum(np.abs(x), 1e-300) + 1e-300)
    return x


def _raps_beta_root(tau2, start, bx, bxse, by, byse, d1):
    """Root of psi1(., tau2) nearest ``start`` per row, as :func:`mrkit.raps._beta_root`:
    brackets (start, start + h) then (start - h, start), h doubling from |start|/100."""
    n = start.shape[0]

    def f(b):
        return _psi1(b, tau2, bx, bxse, by, byse, d1)

    f0 = f(start)
    h = np.maximum(np.abs(start), 1e-8) * 0.01
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    flo, fhi = np.full(n, np.nan), np.full(n, np.nan)
    found = f0 == 0
    lo[found], hi[found], flo[found], fhi[found] = start[found], start[found], 0.0, 0.0
    for _ in range(80):
        if found.all():
            break
        up, dn = start + h, start - h
        fu, fd = f(up), f(dn)
        right = ~found & (np.sign(f0) != np.sign(fu))
        left = ~found & ~right & (np.sign(fd) != np.sign(f0))
        lo = np.where(right, start, np.where(left, dn, lo))
        hi = np.where(right, up, np.where(left, start, hi))
        flo = np.where(right, f0, np.where(left, fd, flo))
        fhi = np.where(right, fu, np.where(left, f0, fhi))
        found = found | right | left
        h = h * 2.0
    root = _illinois(f, lo, hi, flo, fhi, found)
    return np.where(found, root, np.nan)


def raps(bx, bxse, by, byse, *, over_dispersion: bool = True, loss: str = "huber",
         k: float | None = None) -> dict[str, np.ndarray]:
    """MR-RAPS for every replicate: the estimating equations of :func:`mrkit.raps.mr_raps`.

    For each row, tau2 solves psi2(beta(tau2), tau2) = 0 on [0, hi] (hi doubled from
    min(byse^2) up to mr.raps's cap 10 median(byse)) and beta(tau2) is the root of psi1 nearest
    the start; rows where psi2(0) <= 0 or no finite root exists fall back to tau2 = 0, as mr.raps.
    The start is the l2 profile estimate (= :func:`ml`); the 1-D function starts from mr.raps's
    alternating over-dispersed l2 profile, which reaches the same root whenever the root is unique.
    SE: mr.raps's sandwich. p: normal.

    Returns
    -------
    dict of numpy.ndarray
        ``estimate, se, ci_lower, ci_upper, p``, ``tau2``, ``over_dispersion`` (bool per row, as
        finally used).

    References
    ----------
    Zhao Q, Wang J, Hemani G, Bowden J, Small DS (2020). Ann Stat 48:1742-1769.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    n = bx.shape[0]
    kk = _DEFAULT_K[loss] if k is None else float(k)
    d1, _ = _psi_fn(loss, kk)
    delta, c1, c2, c3 = loss_constants(loss, float(kk))
    start = ml(bx, bxse, by, byse)["estimate"]
    tau2 = np.zeros(n)
    od = np.zeros(n, dtype=bool)
    if over_dispersion:
        def psi2_of(t2, rows):
            b = _raps_beta_root(t2, start[rows], bx[rows], bxse[rows], by[rows], byse[rows], d1)
            return _psi2(b, t2, bx[rows], bxse[rows], by[rows], byse[rows], d1, delta)

        allrows = np.arange(n)
        p0 = psi2_of(np.zeros(n), allrows)
        cand = p0 > 0
        cap = 10.0 * np.median(byse, axis=1)
        hi = np.min(byse ** 2, axis=1)
        phi_ = np.where(cand, psi2_of(hi, allrows), -1.0)
        for _ in range(200):
            grow = cand & (phi_ > 0) & (hi < cap)
            if not grow.any():
                break
            hi = np.where(grow, np.minimum(2.0 * hi, cap), hi)
            rows = np.flatnonzero(grow)
            phi_[rows] = psi2_of(hi[rows], rows)
        ok = cand & (phi_ <= 0)
        rows = np.flatnonzero(ok)
        if rows.size:
            def f(t2):
                return psi2_of(t2, rows)
            t_root = _illinois(f, np.zeros(rows.size), hi[rows], p0[rows], phi_[rows],
                               np.ones(rows.size, dtype=bool), rtol=1e-12)
            tau2[rows] = t_root
            od[rows] = True
    beta = _raps_beta_root(tau2, start, bx, bxse, by, byse, d1)

    gamma, v, t, s2, den = _raps_parts(beta, tau2, bx, bxse, by, byse)
    b = beta[:, None]
    g_beta = (by / s2) / den
    g_tau2 = -b * by / s2 ** 2 / den
    sv = np.sqrt(v)
    a = np.sum((g_beta * d1(t) + gamma * delta * (-bx) / sv) / sv, axis=1)
    v1_11 = c1 * np.sum(gamma ** 2 / v, axis=1)
    se_simple = np.sqrt(v1_11 / a ** 2)
    v1_22 = c2 * np.sum(1.0 / v ** 2, axis=1)
    a12 = np.sum(g_tau2 * d1(t) / sv, axis=1)
    a22 = (delta + c3) / 2.0 * np.sum(1.0 / v ** 2, axis=1)
    # [V2^-1 V1 V2^-T]_11 with V2 = [[a, a12], [0, a22]]: V2^-1 row 1 = (1/a, -a12/(a a22))
    se_od = np.sqrt(v1_11 / a ** 2 + (a12 / (a * a22)) ** 2 * v1_22)
    se = np.where(od, se_od, se_simple)
    out = _normal_summary(beta, se)
    out.update(tau2=tau2, over_dispersion=od)
    return out


# ---------------------------------------------------------------------------------------------
# all methods into one tidy table
# ---------------------------------------------------------------------------------------------
def fit_methods(bx, bxse, by, byse, methods: Iterable[str] = BATCH_METHODS, *,
                n_boot: int = 1000, seed: int | None = None) -> pd.DataFrame:
    """Fit several methods to every replicate; one row per (replicate, method).

    Columns ``replicate, method, estimate, se, ci_lower, ci_upper, p, seed``. TwoSampleMR
    conventions: ``ivw`` = multiplicative random effects floored, ``ivw_fe`` fixed effect, Egger
    and mode p from t, medians with second-order weights. Bootstrap methods share ``seed``.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    used = resolve_seed(seed)
    fns = {
        "ivw": lambda: ivw(bx, bxse, by, byse),
        "ivw_fe": lambda: ivw(bx, bxse, by, byse, se_model="fixed"),
        "egger": lambda: egger(bx, bxse, by, byse),
        "simple_median": lambda: simple_median(bx, bxse, by, byse, n_boot=n_boot, seed=used),
        "weighted_median": lambda: weighted_median(bx, bxse, by, byse, n_boot=n_boot, seed=used),
        "penalised_weighted_median": lambda: penalised_weighted_median(
            bx, bxse, by, byse, n_boot=n_boot, seed=used),
        "simple_mode": lambda: mode(bx, bxse, by, byse, weighted=False, n_boot=n_boot, seed=used),
        "weighted_mode": lambda: mode(bx, bxse, by, byse, n_boot=n_boot, seed=used),
        "ml": lambda: ml(bx, bxse, by, byse),
        "raps": lambda: raps(bx, bxse, by, byse),
    }
    frames = []
    for m in methods:
        if m not in fns:
            raise InputError(f"unknown batch method {m!r}; choose from {', '.join(fns)}",
                             column="methods")
        res = fns[m]()
        frames.append(pd.DataFrame({
            "replicate": np.arange(bx.shape[0]), "method": m, "estimate": res["estimate"],
            "se": res["se"], "ci_lower": res["ci_lower"], "ci_upper": res["ci_upper"],
            "p": res["p"], "seed": used}))
    return pd.concat(frames, ignore_index=True)
