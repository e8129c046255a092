# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from robustbase 0.95-0 (GPL >= 2): R/lmrob.R (lmrob with prior weights), R/lmrob.MM.R (lmrob.control defaults,
# lmrob.fit, lmrob.S, lmrob..M..fit, .vcov.avar1) and src/lmrob.c (fast_s, refine_fast_s, find_scale, rwls,
# the bisquare rho/psi/weight functions), github.com/cran/robustbase tag 0.95-0.
"""MM-regression as robustbase's ``lmrob`` fits it by default: the robust regression of MR's robust IVW and MR-Egger.

``lmrob(y ~ x, weights = w, k.max = 500, maxit.scale = 500)`` (MendelianRandomization's call) multiplies the rows
by ``sqrt(w)`` (rows of weight 0 are dropped, as R does) and then fits, with Tukey's bisquare throughout:

1. **S-estimate** (``lmrob.S``, ``fast_s``): candidate coefficients through p observations; each gets one
   refinement step (``k.fast.s = 1``): start from the scale ``1.4826 median|r|``, one step of the M-scale equation
   ``s <- s sqrt(sum(rho(r / s)) / (n - p) / b)``, then a weighted least-squares step with weights
   ``wgt(r / s)`` (bisquare, ``tuning.chi = 1.54764``, ``b = 0.5``). The M-scale of each refined candidate solves
   ``sum(rho(r / s)) / (n - p) = b`` (``find_scale``: fixed point, ``scale.tol = 1e-10``). The ``best.r.s = 2``
   candidates of smallest scale are refined to convergence (``refine.tol = 1e-7``, at most ``k.max`` steps); the
   smaller final scale wins and is the MM-estimate's scale ``sigma``.
2. **M-step** (``lmrob..M..fit``, ``rwls``): iteratively reweighted least squares from the S-estimate with the
   scale fixed, weights ``wgt(r / sigma)`` (bisquare, ``tuning.psi = 4.685061``), at most ``max.it - 1 = 49`` steps,
   until ``||b_new - b_old||_1 <= rel.tol max(rel.tol, ||b_new||_1)`` (``rel.tol = 1e-7``).
3. **Covariance** ``.vcov.avar1`` (the default for MM): the asymptotic covariance of Croux, Dhaene & Hoorelbeke
   (2003) from the final and the S residuals, made positive semi-definite by ``posdefify`` when it is not.

Where this differs from R, and why it still gives R's numbers: R draws ``nResample = 500`` candidate subsets at
random (``subsampling = "nonsingular"``); here every p-subset is a candidate when there are at most
:data:`MAX_CANDIDATES` of them (the IVW and MR-Egger cases: p = 1 or 2), else that many random subsets from
``rng``. Because the best two candidates are kept and refined, taking all subsets finds R's answer whenever R's
500 draws find the best subsample, which is what R's own spread over seeds shows on the validation data (at most
4e-7, ``expected/methods2`` ``seed_spread``). R's ``.vcov.avar1`` takes the S residuals from the last of the two
refinements (its ``y`` buffer), which equals the best one's when both converge to the same fit; here they are
always the best one's.

May import: numpy and mrkit.errors.

References
----------
Yohai VJ (1987). High breakdown-point and high efficiency robust estimates for regression. Ann Stat 15:642-656.
Salibian-Barrera M, Yohai VJ (2006). A fast algorithm for S-regression estimates. J Comput Graph Stat 15:414-427.
Croux C, Dhaene G, Hoorelbeke D (2003). Robust standard errors for robust estimators. Discussion paper, KU Leuven.
Maechler M et al. robustbase: Basic Robust Statistics, R package 0.95-0 (lmrob, lmrob.control).
"""
from __future__ import annotations

from contextlib import suppress
from itertools import combinations
from math import comb

import numpy as np

from ..errors import NotEstimable

__all__ = ["MAX_CANDIDATES", "TUNING_CHI", "TUNING_PSI", "lmrob_mm", "lmrob_batch", "rho_bisquare", "psi_bisquare",
           "wgt_bisquare"]

#: lmrob.control() defaults for psi = "bisquare" (R/lmrob.MM.R .Mchi.tuning.defaults, .Mpsi.tuning.defaults).
TUNING_CHI = 1.54764
TUNING_PSI = 4.685061
BB = 0.5
EPS_SCALE = 1e-10  # src/lmrob.c: residuals below this count as exact zeros
#: Every p-subset is a candidate up to this many; beyond it, that many random subsets.
MAX_CANDIDATES = 20000


def rho_bisquare(x, c):
    """Tukey's bisquare rho scaled to rho(inf) = 1 (robustbase ``rho_biwgt``, R's ``Mchi(x, c, "bisquare")``)."""
    t = (np.asarray(x, dtype=float) / c) ** 2
    return np.where(np.abs(x) > c, 1.0, t * (3.0 + t * (-3.0 + t)))


def psi_bisquare(x, c):
    """psi = rho' for the unscaled rho, psi'(0) = 1 (``psi_biwgt``, R's ``Mpsi(x, c, "bisquare")``)."""
    x = np.asarray(x, dtype=float)
    u = 1.0 - (x / c) ** 2
    return np.where(np.abs(x) > c, 0.0, x * u * u)


def _psip_bisquare(x, c):
    x2 = (np.asarray(x, dtype=float) / c) ** 2
    return np.where(np.abs(x) > c, 0.0, (1.0 - x2) * (1.0 - 5.0 * x2))


def wgt_bisquare(x, c):
    """IRWLS weight psi(x) / x (``wgt_biwgt``)."""
    a = np.asarray(x, dtype=float) / c
    a = (1.0 - a) * (1.0 + a)
    return np.where(np.abs(x) > c, 0.0, a * a)


def _r_median(a: np.ndarray) -> np.ndarray:
    """Median along the last axis (R's C ``median``: mean of the two middle values for even n)."""
    return np.median(a, axis=-1)


def _mean_rho(res, scale, n, p, c):
    """robustbase ``sum_rho_sc``: sum(rho(r / s)) / (n - p), row-wise."""
    return np.sum(rho_bisquare(res / scale[..., None], c), axis=-1) / (n - p)


def _solve(a, b):
    """``a^-1 b`` for stacks of small systems, a (..., p, p), b (..., p); NaN where a slice is singular."""
    try:
        return np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        for i in np.ndindex(*b.shape[:-1]):
            with suppress(np.linalg.LinAlgError):
                out[i] = np.linalg.solve(a[i], b[i])
        return out


def _wls(x, y, w):
    """Weighted least squares of each replicate's ``y`` on its ``x`` under many weight vectors: x (R, n, p),
    y (R, n), w (R, C, n) -> coefficients (R, C, p)."""
    xtwx = np.einsum("rni,rcn,rnj->rcij", x, w, x)
    xtwy = np.einsum("rni,rcn,rn->rci", x, w, y)
    return _solve(xtwx, xtwy)


def _fitted(x, beta):
    """x (R, n, p), beta (R, C, p) -> fitted values (R, C, n)."""
    return np.einsum("rnp,rcp->rcn", x, beta)


def _find_scale(res, initial, n, p, maxit, tol):
    """robustbase ``find_scale`` for many residual vectors at once: the fixed point of the M-scale equation."""
    scale = initial.copy()
    active = np.ones(scale.shape, dtype=bool)
    for _ in range(maxit):
        if not active.any():
            break
        a = np.flatnonzero(active)
        new = scale[a] * np.sqrt(_mean_rho(res[a], scale[a], n, p, TUNING_CHI) / BB)
        done = np.abs(new - scale[a]) <= tol * scale[a]
        scale[a] = new
        active[a[done]] = False
    return scale


def _subsets(n, p, rngs):
    """Indices of the candidate p-subsets: every one, (C, p), when there are at most :data:`MAX_CANDIDATES`; else
    that many random ones per replicate, (R, C, p), from each replicate's generator."""
    if comb(n, p) <= MAX_CANDIDATES:
        return np.array(list(combinations(range(n), p)), dtype=int)
    if any(rng is None for rng in rngs):
        raise ValueError(f"{comb(n, p)} subsets of the design: a random generator is needed to draw candidates")
    return np.array([[rng.choice(n, size=p, replace=False) for _ in range(MAX_CANDIDATES)] for rng in rngs],
                    dtype=int)


def _candidates(x, y, rngs):
    """Coefficients through p observations for every p-subset (or a random sample of them), (R, C, p), and
    which are defined (R, C) (a singular subset is not)."""
    n_rep, n, p = x.shape
    idx = _subsets(n, p, rngs)
    rows = np.arange(n_rep)[:, None, None]
    xs, ys = x[rows, idx], y[rows, idx]  # (R, C, p, p), (R, C, p)
    ok = np.abs(np.linalg.det(xs)) > 1e-12 * np.prod(np.max(np.abs(xs), axis=2) + 1e-300, axis=2)
    xs = np.where(ok[..., None, None], xs, np.eye(p))  # singular subsets: solved as identity, then masked
    return _solve(xs, ys), ok


def _refine(x, y, beta, scale, n, p, k_max, tol):
    """robustbase ``refine_fast_s`` with ``conv = TRUE`` for M fits at once, x (M, n, p), y (M, n), beta (M, p),
    scale (M,): (beta, scale, residuals of the last iterate, converged), each with the leading M axis."""
    beta, scale = beta.copy(), scale.copy()
    res = y - _fitted(x, beta[:, None])[:, 0]
    converged = np.zeros(scale.shape, dtype=bool)
    active = np.arange(scale.size)
    for _ in range(k_max):
        if not active.size:
            break
        r, s = res[active], scale[active]
        s = s * np.sqrt(np.sum(rho_bisquare(r / s[:, None], TUNING_CHI), axis=1) / (n - p) / BB)
        scale[active] = s
        w = wgt_bisquare(r / s[:, None], TUNING_CHI)
        beta_ref = _wls(x[active], y[active], w[:, None])[:, 0]
        old = beta[active]
        done = np.linalg.norm(old - beta_ref, axis=1) <= tol * np.maximum(tol, np.linalg.norm(old, axis=1))
        beta[active] = beta_ref
        going = active[~done]  # a converged fit keeps the residuals of the iterate before (R's refine_fast_s)
        res[going] = y[going] - _fitted(x[going], beta_ref[~done][:, None])[:, 0]
        converged[active[done]] = True
        active = going
    return beta, scale, res, converged


def _s_estimate(x, y, *, k_max, maxit_scale, refine_tol, scale_tol, rngs):
    """The S-estimate of every replicate, x (R, n, p), y (R, n): (coef (R, p), scale (R,), S residuals (R, n),
    converged (R,), error (R,) object: None, or why the replicate has no S-estimate)."""
    n_rep, n, p = x.shape
    cand, defined = _candidates(x, y, rngs)
    res = y[:, None, :] - _fitted(x, cand)  # (R, C, n)
    coef, scale_out = np.full((n_rep, p), np.nan), np.full(n_rep, np.nan)
    res_out, conv_out = np.full((n_rep, n), np.nan), np.zeros(n_rep, dtype=bool)
    error = np.full(n_rep, None, dtype=object)
    error[~defined.any(axis=1)] = "robust regression: every subset of the design is singular"
    exact = (np.sum(np.abs(res) < EPS_SCALE, axis=2) > (n + p) / 2.0) & defined
    s0 = 1.4826 * _r_median(np.abs(res))
    usable = defined & (s0 > 0)  # R would go on with a zero scale (0/0 residuals): such a candidate gives none
    has_exact = exact.any(axis=1)
    for r in np.flatnonzero(has_exact & (error == None)):  # noqa: E711  R: "perfect fit" -> scale 0
        c = np.argmax(exact[r])
        coef[r], scale_out[r], res_out[r], conv_out[r] = cand[r, c], 0.0, res[r, c], True
    none = ~usable.any(axis=1) & ~has_exact & (error == None)  # noqa: E711
    error[none] = (f"robust regression: every candidate fits at least half of the {n} variants exactly, so the "
                   "S-estimator's scale is 0 (too few variants)")
    go = np.flatnonzero(usable.any(axis=1) & ~has_exact & (error == None))  # noqa: E711
    if not go.size:
        return coef, scale_out, res_out, conv_out, error
    x, y, res, usable = x[go], y[go], res[go], usable[go]
    s0 = np.where(usable, s0[go], 1.0)  # unusable candidates: any scale, masked below
    s0 = s0 * np.sqrt(_mean_rho(res, s0, n, p, TUNING_CHI) / BB)
    w = wgt_bisquare(res / s0[..., None], TUNING_CHI)
    beta = _wls(x, y, w)
    res = y[:, None, :] - _fitted(x, beta)
    # the two smallest M-scales (best.r.s = 2), solving the scale equation only where it can beat them: as R's
    # fast_s, a candidate needs sum(rho(r / worst)) / (n - p) < b to have a smaller scale than the worst kept
    m, c_all = usable.shape
    first = np.argsort(np.where(usable, s0, np.inf), axis=1, kind="stable")[:, :2]
    first_ok = np.take_along_axis(usable, first, axis=1)
    scale = np.full((m, c_all), np.inf)
    fr, fc = np.nonzero(first_ok)
    fc = first[fr, fc]
    scale[fr, fc] = _find_scale(res[fr, fc], s0[fr, fc], n, p, maxit_scale, scale_tol)
    worst = np.max(np.where(first_ok, np.take_along_axis(scale, first, axis=1), -np.inf), axis=1)
    better = (_mean_rho(res, np.broadcast_to(worst[:, None], s0.shape), n, p, TUNING_CHI) < BB) & usable
    better[fr, fc] = False
    br, bc = np.nonzero(better)
    scale[br, bc] = _find_scale(res[br, bc], s0[br, bc], n, p, maxit_scale, scale_tol)
    best = np.argsort(scale, axis=1, kind="stable")[:, :2]
    best_ok = np.isfinite(np.take_along_axis(scale, best, axis=1))
    rr, slot = np.nonzero(best_ok)
    cc = best[rr, slot]
    b, s, r0, conv = _refine(x[rr], y[rr], beta[rr, cc], scale[rr, cc], n, p, k_max, refine_tol)
    fit_scale = np.full((m, 2), np.inf)
    fit_scale[rr, slot] = s
    win = np.argmin(fit_scale, axis=1)  # the smaller final scale; a tie goes to the first, as in R
    pick = np.full((m, 2), -1)
    pick[rr, slot] = np.arange(rr.size)
    chosen = pick[np.arange(m), win]
    all_conv = np.ones(m, dtype=bool)
    np.logical_and.at(all_conv, rr, conv)
    coef[go], scale_out[go], res_out[go], conv_out[go] = b[chosen], s[chosen], r0[chosen], all_conv
    return coef, scale_out, res_out, conv_out, error


def _rwls(x, y, beta, scale, max_it, rel_tol):
    """robustbase ``rwls`` for R fits at once, x (R, n, p), y (R, n), beta (R, p), scale (R,): IRWLS with the scale
    fixed, at most ``max_it - 1`` steps: (beta, residuals, converged, iterations), each with the leading R axis."""
    beta = beta.copy()
    res = y - _fitted(x, beta[:, None])[:, 0]
    converged = np.zeros(scale.shape, dtype=bool)
    iterations = np.zeros(scale.shape, dtype=int)
    active = np.arange(scale.size)
    for _ in range(max_it - 1):
        if not active.size:
            break
        iterations[active] += 1
        w = wgt_bisquare(res[active] / scale[active, None], TUNING_PSI)
        new = _wls(x[active], y[active], w[:, None])[:, 0]
        res[active] = y[active] - _fitted(x[active], new[:, None])[:, 0]
        done = np.sum(np.abs(beta[active] - new), axis=1) <= rel_tol * np.maximum(rel_tol, np.sum(np.abs(new), axis=1))
        beta[active] = new
        converged[active[done]] = True
        active = active[~done]
    return beta, res, converged, iterations


def _vcov_avar1(x, r, r0, scale):
    """robustbase ``.vcov.avar1`` (with ``posdefify``)."""
    n, p = x.shape
    rs, r0s = r / scale, r0 / scale
    rho_inf = TUNING_CHI ** 2 / 6.0
    w = _psip_bisquare(rs, TUNING_PSI)
    w0 = psi_bisquare(r0s, TUNING_CHI) / rho_inf
    a_mat = np.linalg.inv(x.T @ (x * w[:, None])) * scale
    a = a_mat @ (x.T @ (w * rs)) / np.mean(w0 * r0s)
    w = psi_bisquare(rs, TUNING_PSI)
    w0 = rho_bisquare(r0s, TUNING_CHI)
    xww = x.T @ (w * w0)
    u1 = a_mat @ (x.T @ (x * (w ** 2)[:, None])) @ (n * a_mat)
    u2 = np.outer(a, xww @ a_mat)
    u3 = np.outer(a_mat @ xww, a)
    u4 = np.mean(w0 ** 2 - BB ** 2) * np.outer(a, a)
    cov = (u1 - u2 - u3 + u4) / n
    lam, q = np.linalg.eigh(cov)
    if np.any(lam < 0):  # posdefify: zero the negative eigenvalues, keep the diagonal
        diag = np.diag(cov).copy()
        cov = (q * np.maximum(lam, 0.0)) @ q.T
        d = np.sqrt(np.maximum(diag, 0.0) / np.diag(cov))
        cov = d[:, None] * cov * d[None, :]
    return cov


def _mm_fits(x, y, rngs, control) -> list[dict]:
    """The MM fits of R replicates of the same rows, x (R, n, p) and y (R, n) already multiplied by sqrt(weight):
    one dict per replicate (``error``: None, or why it has no fit)."""
    n_rep, n, p = x.shape
    if n <= p:
        return [{"error": f"robust regression needs more observations than coefficients ({n} for {p})"}] * n_rep
    beta_s, scale, r0, s_conv, error = _s_estimate(x, y, k_max=control["k_max"], maxit_scale=control["maxit_scale"],
                                                   refine_tol=control["refine_tol"], scale_tol=control["scale_tol"],
                                                   rngs=rngs)
    m = np.flatnonzero((error == None) & (scale > 0))  # noqa: E711  (scale 0: an exact fit, no M-step)
    beta, res, conv, iterations = beta_s.copy(), np.full((n_rep, n), np.nan), np.ones(n_rep, dtype=bool), \
        np.zeros(n_rep, dtype=int)
    if m.size:
        beta[m], res[m], conv[m], iterations[m] = _rwls(x[m], y[m], beta_s[m], scale[m], control["max_it"],
                                                        control["rel_tol"])
    fits = []
    for r in range(n_rep):
        if error[r] is not None:
            fits.append({"error": error[r]})
        elif scale[r] == 0:  # exact fit: R keeps the S-estimate, covariance 0
            fits.append({"coef": beta_s[r], "cov": np.zeros((p, p)), "se": np.zeros(p), "scale": 0.0,
                         "converged": True, "s_converged": bool(s_conv[r]), "iterations": 0, "s_coef": beta_s[r],
                         "rweights": np.ones(n), "n_used": n, "error": None})
        else:
            # not converged, R: "M-step did NOT converge. Returning unconverged SM-estimate"; its summary's SE is NA
            cov = _vcov_avar1(x[r], res[r], r0[r], scale[r]) if conv[r] else np.full((p, p), np.nan)
            fits.append({"coef": beta[r], "cov": cov, "se": np.sqrt(np.diag(cov)), "scale": float(scale[r]),
                         "converged": bool(conv[r]), "s_converged": bool(s_conv[r]), "iterations": int(iterations[r]),
                         "s_coef": beta_s[r], "rweights": wgt_bisquare(res[r] / scale[r], TUNING_PSI), "n_used": n,
                         "error": None})
    return fits


def lmrob_batch(x, y, weights=None, *, rngs=None, k_max: int = 500, maxit_scale: int = 500, max_it: int = 50,
                rel_tol: float = 1e-7, refine_tol: float = 1e-7, scale_tol: float = 1e-10) -> list[dict]:
    """:func:`lmrob_mm` for many replicates at once: the replicates that keep every row are fitted together (every
    step vectorised over them), a replicate with rows of weight 0 on its own rows.

    Parameters
    ----------
    x : array_like, shape (n_rep, n, p)
    y : array_like, shape (n_rep, n)
    weights : array_like, shape (n_rep, n), optional
    rngs : sequence of numpy.random.Generator, optional
        One per replicate, needed only when there are more than :data:`MAX_CANDIDATES` p-subsets.
    k_max, maxit_scale, max_it, rel_tol, refine_tol, scale_tol
        As for :func:`lmrob_mm`.

    Returns
    -------
    list of dict
        Per replicate, the keys of :func:`lmrob_mm` and ``error``: None, or (instead of the numbers) the reason the
        replicate has no fit (too few rows of positive weight, every subset singular, a zero S-scale).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n_rep = x.shape[0]
    w = np.ones(y.shape) if weights is None else np.asarray(weights, dtype=float)
    rngs = [None] * n_rep if rngs is None else list(rngs)
    control = {"k_max": k_max, "maxit_scale": maxit_scale, "max_it": max_it, "rel_tol": rel_tol,
               "refine_tol": refine_tol, "scale_tol": scale_tol}
    keep = w != 0
    sw = np.sqrt(np.where(keep, w, 0.0))
    fits: list[dict] = [{}] * n_rep
    full = np.flatnonzero(keep.all(axis=1))
    if full.size:
        for r, fit in zip(full, _mm_fits(x[full] * sw[full, :, None], y[full] * sw[full],
                                         [rngs[r] for r in full], control)):
            fits[r] = fit
    for r in np.flatnonzero(~keep.all(axis=1)):
        k = keep[r]
        fits[r] = _mm_fits((x[r][k] * sw[r][k, None])[None], (y[r][k] * sw[r][k])[None], [rngs[r]], control)[0]
    return fits


def lmrob_mm(x, y, weights=None, *, k_max: int = 500, maxit_scale: int = 500, max_it: int = 50,
             rel_tol: float = 1e-7, refine_tol: float = 1e-7, scale_tol: float = 1e-10,
             rng: np.random.Generator | None = None) -> dict:
    """MM-regression of ``y`` on the columns of ``x`` (no implicit intercept), robustbase ``lmrob``.

    Parameters
    ----------
    x : array_like, shape (n, p)
        Design matrix (add a column of ones for an intercept).
    y : array_like, shape (n,)
    weights : array_like, shape (n,), optional
        Prior weights (R's ``weights``): rows are multiplied by their square root; rows of weight 0 are dropped.
    k_max, maxit_scale : int
        R's ``k.max`` and ``maxit.scale`` (MendelianRandomization passes 500 for both; lmrob's defaults are 200).
    max_it, rel_tol, refine_tol, scale_tol : float
        lmrob.control's ``max.it``, ``rel.tol``, ``refine.tol`` and ``scale.tol``.
    rng : numpy.random.Generator, optional
        Draws the random subsets when there are more than :data:`MAX_CANDIDATES` p-subsets (required then).

    Returns
    -------
    dict
        ``coef`` (p,), ``cov`` (p, p) (``.vcov.avar1``; NaN when the M-step did not converge, as R's summary
        gives NA), ``se`` (p,), ``scale`` (sigma, the S-scale), ``converged`` (M-step), ``s_converged``,
        ``iterations`` (M-step), ``s_coef``, ``rweights`` (n_used,), ``n_used``.

    Raises
    ------
    mrkit.errors.NotEstimable
        Fewer observations of positive weight than coefficients + 1, or a singular design.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    fit = lmrob_batch(x[None], y[None], None if weights is None else np.asarray(weights, dtype=float)[None],
                      rngs=[rng], k_max=k_max, maxit_scale=maxit_scale, max_it=max_it, rel_tol=rel_tol,
                      refine_tol=refine_tol, scale_tol=scale_tol)[0]
    if fit["error"] is not None:
        raise NotEstimable(fit["error"])
    return {key: value for key, value in fit.items() if key != "error"}
