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

from itertools import combinations
from math import comb

import numpy as np

from ..errors import NotEstimable

__all__ = ["MAX_CANDIDATES", "TUNING_CHI", "TUNING_PSI", "lmrob_mm", "rho_bisquare", "psi_bisquare",
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


def _wls(x, y, w):
    """Weighted least squares per row: x (n, p), y (n,), w (C, n) -> coefficients (C, p)."""
    xtwx = np.einsum("ni,cn,nj->cij", x, w, x)
    xtwy = np.einsum("ni,cn,n->ci", x, w, y)
    return np.linalg.solve(xtwx, xtwy[..., None])[..., 0]


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


def _candidates(x, y, rng):
    """Coefficients through p observations for every p-subset (or a random sample of them), (C, p)."""
    n, p = x.shape
    if comb(n, p) <= MAX_CANDIDATES:
        idx = np.array(list(combinations(range(n), p)), dtype=int)
    else:
        if rng is None:
            raise ValueError(f"{comb(n, p)} subsets of the design: a random generator is needed to draw candidates")
        idx = np.array([rng.choice(n, size=p, replace=False) for _ in range(MAX_CANDIDATES)], dtype=int)
    xs, ys = x[idx], y[idx]  # (C, p, p), (C, p)
    ok = np.abs(np.linalg.det(xs)) > 1e-12 * np.prod(np.max(np.abs(xs), axis=1) + 1e-300, axis=1)
    if not ok.any():
        raise NotEstimable("robust regression: every subset of the design is singular")
    return np.linalg.solve(xs[ok], ys[ok][..., None])[..., 0]


def _refine(x, y, beta, scale, n, p, k_max, tol):
    """robustbase ``refine_fast_s`` with ``conv = TRUE``: (beta, scale, residuals of the last iterate, converged)."""
    res = y - x @ beta
    for _ in range(k_max):
        scale = scale * np.sqrt(np.sum(rho_bisquare(res / scale, TUNING_CHI)) / (n - p) / BB)
        w = wgt_bisquare(res / scale, TUNING_CHI)
        beta_ref = _wls(x, y, w[None, :])[0]
        if np.linalg.norm(beta - beta_ref) <= tol * max(tol, np.linalg.norm(beta)):
            return beta_ref, scale, res, True
        res = y - x @ beta_ref
        beta = beta_ref
    return beta, scale, res, False


def _s_estimate(x, y, *, k_max, maxit_scale, refine_tol, scale_tol, rng):
    n, p = x.shape
    cand = _candidates(x, y, rng)
    res = y[None, :] - cand @ x.T  # (C, n)
    zeros = np.sum(np.abs(res) < EPS_SCALE, axis=1)
    exact = np.flatnonzero(zeros > (n + p) / 2.0)
    if exact.size:  # R: "perfect fit" -> that candidate with scale 0
        return cand[exact[0]], 0.0, res[exact[0]], True
    s0 = 1.4826 * _r_median(np.abs(res))
    usable = s0 > 0  # R would go on with a zero scale (0/0 residuals): such a candidate gives no S-estimate
    if not usable.any():
        raise NotEstimable(f"robust regression: every candidate fits at least half of the {n} variants exactly, "
                           "so the S-estimator's scale is 0 (too few variants)")
    cand, res, s0 = cand[usable], res[usable], s0[usable]
    s0 = s0 * np.sqrt(_mean_rho(res, s0, n, p, TUNING_CHI) / BB)
    w = wgt_bisquare(res / s0[:, None], TUNING_CHI)
    beta = _wls(x, y, w)
    res = y[None, :] - beta @ x.T
    # the two smallest M-scales (best.r.s = 2), solving the scale equation only where it can beat them: as R's
    # fast_s, a candidate needs sum(rho(r / worst)) / (n - p) < b to have a smaller scale than the worst kept
    first = np.argsort(s0, kind="stable")[:2]
    scale = np.full(s0.shape, np.inf)
    scale[first] = _find_scale(res[first], s0[first], n, p, maxit_scale, scale_tol)
    worst = scale[first].max()
    better = np.flatnonzero(_mean_rho(res, np.full(s0.shape, worst), n, p, TUNING_CHI) < BB)
    better = better[~np.isin(better, first)]
    scale[better] = _find_scale(res[better], s0[better], n, p, maxit_scale, scale_tol)
    best = np.argsort(scale, kind="stable")[:2]
    fits = [_refine(x, y, beta[i], scale[i], n, p, k_max, refine_tol) for i in best]
    win = min(range(len(fits)), key=lambda i: fits[i][1])
    b, s, r0, conv = fits[win]
    return b, float(s), r0, all(f[3] for f in fits)


def _rwls(x, y, beta, scale, max_it, rel_tol):
    """robustbase ``rwls``: IRWLS with the scale fixed; at most ``max_it - 1`` steps."""
    converged = False
    iterations = 0
    res = y - x @ beta
    while not converged and iterations + 1 < max_it:
        iterations += 1
        w = wgt_bisquare(res / scale, TUNING_PSI)
        new = _wls(x, y, w[None, :])[0]
        res = y - x @ new
        converged = np.sum(np.abs(beta - new)) <= rel_tol * max(rel_tol, np.sum(np.abs(new)))
        beta = new
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
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        keep = w != 0
        sw = np.sqrt(w[keep])
        x, y = x[keep] * sw[:, None], y[keep] * sw
    n, p = x.shape
    if n <= p:
        raise NotEstimable(f"robust regression needs more observations than coefficients ({n} for {p})")
    beta_s, scale, r0, s_conv = _s_estimate(x, y, k_max=k_max, maxit_scale=maxit_scale, refine_tol=refine_tol,
                                            scale_tol=scale_tol, rng=rng)
    if scale == 0:  # exact fit: R keeps the S-estimate, covariance 0
        return {"coef": beta_s, "cov": np.zeros((p, p)), "se": np.zeros(p), "scale": 0.0, "converged": True,
                "s_converged": s_conv, "iterations": 0, "s_coef": beta_s, "rweights": np.ones(n), "n_used": n}
    beta, res, conv, iterations = _rwls(x, y, beta_s, scale, max_it, rel_tol)
    # not converged, R: "M-step did NOT converge. Returning unconverged SM-estimate"; its summary's SE is NA
    cov = _vcov_avar1(x, res, r0, scale) if conv else np.full((p, p), np.nan)
    return {"coef": beta, "cov": cov, "se": np.sqrt(np.diag(cov)), "scale": scale, "converged": bool(conv),
            "s_converged": s_conv, "iterations": iterations, "s_coef": beta_s,
            "rweights": wgt_bisquare(res / scale, TUNING_PSI), "n_used": n}
