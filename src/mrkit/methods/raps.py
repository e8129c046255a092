# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from mr.raps 0.4.2 mr.raps.shrinkage, R/shrinkage.R (GPL-3).
"""MR-RAPS: robust adjusted profile score, the estimator TwoSampleMR's ``mr_raps`` calls.

Port of ``mr.raps.shrinkage`` from the R package mr.raps (the function ``mr.raps()`` calls with
``shrinkage = FALSE``, TwoSampleMR's default), for ``loss`` in l2, huber, tukey, with or without
over-dispersion tau2 of the pleiotropic effects. The estimating equations are

    psi1 = sum_j gamma_j rho'(t_j) / sqrt(v_j) = 0,
    psi2 = sum_j (t_j rho'(t_j) - delta) / v_j = 0        (over-dispersion only),

with ``v_j = beta^2 bxse_j^2 + byse_j^2 + tau2``, ``t_j = (by_j - beta bx_j) / sqrt(v_j)``,
``gamma_j`` the profile MLE of the true SNP-exposure effect, and delta = E[Z rho'(Z)].
The SE is mr.raps's sandwich ``V2^-1 V1 V2^-T``; the p-value is normal, as TwoSampleMR reports.

How it is validated (no R output for RAPS is in ``validation/``): with ``loss="l2"`` and no
over-dispersion the estimate must equal the maximum of the joint likelihood of (beta,
gamma_1..gamma_k) with known variances, found by a general optimiser over all k + 1 parameters;
with ``bxse -> 0`` estimate and SE must reduce to the fixed-effect IVW ones by hand algebra; the
Huber constants must equal their closed forms; plus equivariance properties. See
``tests/test_raps.py``.

Deviation from R in how the root is found (not in which equations are solved): mr.raps starts
``rootSolve::multiroot`` from its first-generation robust estimate and 9 random restarts and keeps
the root closest to the start. Here the search starts from the l2 profile estimate
(``mr.raps.overdispersed``/``mr.raps.simple``), solves psi1 for beta by a bracketed Brent search
nearest the start at each tau2 and psi2 for tau2 by Brent's method (Newton steps stall on the
kinks of the Huber score), and scans beta on a grid for other roots, which are reported
(``other_roots``) as mr.raps warns about them. As in mr.raps, a negative tau2 root or one above
``10 * median(byse)`` falls back to the model without over-dispersion, with a warning.

References
----------
Zhao Q, Wang J, Hemani G, Bowden J, Small DS (2020). Statistical inference in two-sample summary-
data Mendelian randomization using robust adjusted profile score. Ann Stat 48:1742-1769.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import InputError, NotEstimable
from .brent import brentq, minimize_bounded
from .distributions import norm_pdf, norm_sf
from .strength import summary_arrays

__all__ = ["mr_raps", "loss_constants", "raps_estimating_equations"]

_DEFAULT_K = {"l2": 2.0, "huber": 1.345, "tukey": 4.685}


def _psi_fn(loss: str, k: float):
    """rho'(r) and rho''(r) of the loss (mr.raps ``rho.l2``, ``rho.huber``, ``rho.tukey``)."""
    if loss == "l2":
        return (lambda r: r), (lambda r: np.ones_like(r))
    if loss == "huber":
        return ((lambda r: np.where(np.abs(r) <= k, r, k * np.sign(r))),
                (lambda r: np.where(np.abs(r) <= k, 1.0, 0.0)))
    if loss == "tukey":
        return ((lambda r: r * (1 - (r / k) ** 2) ** 2 * (np.abs(r) <= k)),
                (lambda r: np.where((r / k) ** 2 < 1, (1 - (r / k) ** 2) * (1 - 5 * (r / k) ** 2),
                                    0.0)))
    raise InputError(f"loss must be 'l2', 'huber' or 'tukey', got {loss!r}", column="loss")


#: ``loss_constants`` of the default losses, the bits ``scipy.integrate.quad`` gives (``tests/test_raps.py``
#: integrates again and compares every bit): importing scipy.integrate would cost ``mrkit estimate`` a
#: tenth of a second for four numbers that never change.
_INTEGRATED = {
    ("l2", 2.0): ("0x1.0000000000001p+0", "0x1.0000000000001p+0", "0x1.ffffffffffffep+0", "0x1.0000000000001p+0"),
    ("huber", 1.345): ("0x1.a48b3bb6930e0p-1", "0x1.6b9ab00b3037ep-1", "0x1.9e7eecc1870aep-1",
                       "0x1.8c50d08ad32e8p-2"),
    ("tukey", 4.685): ("0x1.83fb348856752p-1", "0x1.357a417c07cbbp-1", "0x1.5fd7befebc81dp-1",
                       "0x1.579fd13e97bd9p-2"),
}


@lru_cache(maxsize=32)
def loss_constants(loss: str, k: float) -> tuple[float, float, float, float]:
    """``(delta, c1, c2, c3)`` of mr.raps: E[Z rho'(Z)], E[rho'(Z)^2], E[Z^2 rho'(Z)^2] - delta^2,
    E[Z^2 rho''(Z)] for Z ~ N(0, 1), integrated numerically as mr.raps does (:func:`integrate_loss_constants`;
    the values for the default ``k`` of each loss are kept from it)."""
    known = _INTEGRATED.get((loss, float(k)))
    if known is not None:
        return tuple(float.fromhex(v) for v in known)
    return integrate_loss_constants(loss, k)


def integrate_loss_constants(loss: str, k: float) -> tuple[float, float, float, float]:
    """:func:`loss_constants` by ``scipy.integrate.quad`` over the pieces between the kinks of rho'."""
    from scipy import integrate

    d1, d2 = _psi_fn(loss, k)
    phi = norm_pdf
    # integrate over pieces split at +-k where rho' has kinks
    pts = [-np.inf, -k, k, np.inf] if loss != "l2" else [-np.inf, 0.0, np.inf]

    def e(f):
        return sum(integrate.quad(lambda x: float(f(np.asarray(x))) * phi(x), a, b,
                                  epsabs=1e-13, epsrel=1e-12)[0] for a, b in zip(pts[:-1], pts[1:]))
    delta = e(lambda x: x * d1(x))
    c1 = e(lambda x: d1(x) ** 2)
    c2 = e(lambda x: x ** 2 * d1(x) ** 2) - delta ** 2
    c3 = e(lambda x: x ** 2 * d2(x))
    return delta, c1, c2, c3


def _gamma_hat(beta, tau2, bx, bxse, by, byse):
    s2 = byse ** 2 + tau2
    den = 1.0 / bxse ** 2 + beta ** 2 / s2
    gamma = (bx / bxse ** 2 + beta * by / s2) / den
    d_beta = (by / s2) / den
    d_tau2 = -beta * by / s2 ** 2 / den
    return gamma, d_beta, d_tau2


def raps_estimating_equations(beta: float, tau2: float, bx, bxse, by, byse, *,
                              loss: str = "huber", k: float | None = None,
                              over_dispersion: bool = True) -> np.ndarray:
    """Values of mr.raps's estimating equations (psi1, and psi2 with over-dispersion)."""
    k = _DEFAULT_K[loss] if k is None else k
    d1, _ = _psi_fn(loss, k)
    delta = loss_constants(loss, float(k))[0]
    v = beta ** 2 * bxse ** 2 + byse ** 2 + tau2
    t = (by - beta * bx) / np.sqrt(v)
    gamma, _, _ = _gamma_hat(beta, tau2, bx, bxse, by, byse)
    psi1 = np.sum(gamma * d1(t) / np.sqrt(v))
    if not over_dispersion:
        return np.array([psi1])
    return np.array([psi1, np.sum((t * d1(t) - delta) / v)])


def _bounded_max(f, bound: float) -> float:
    """R's ``optimize(f, c(-bound, bound), maximum = TRUE)`` with mr.raps's interval doubling."""
    for _ in range(60):
        x = minimize_bounded(lambda b: -f(b), -bound, bound, xatol=1e-10 * max(1.0, bound))
        if abs(x) <= 0.95 * bound:
            return x
        bound *= 2.0
    raise NotEstimable("MR-RAPS: could not bracket the profile-likelihood maximum")


def _profile_l2(bx, bxse, by, byse) -> float:
    """mr.raps ``mr.raps.simple``: maximiser of -1/2 sum (by - b bx)^2 / (byse^2 + b^2 bxse^2)."""
    bound = float(np.quantile(np.abs(by / bx), 0.95) * 2)
    return _bounded_max(lambda b: -0.5 * np.sum((by - bx * b) ** 2 / (byse ** 2 + bxse ** 2 * b ** 2)),
                        bound)


def _profile_l2_overdispersed(bx, bxse, by, byse, niter: int = 20) -> tuple[float, float]:
    """mr.raps ``mr.raps.overdispersed``: alternate tau2 and beta profile maximisations."""
    tol = np.finfo(float).eps ** 0.5
    beta = _profile_l2(bx, bxse, by, byse)
    tau2 = 0.0
    bound_beta = float(np.quantile(np.abs(by / bx), 0.95) * 10)
    bound_tau2 = float(np.quantile(byse ** 2, 0.95) * 10)
    for _ in range(niter):
        beta_old, tau2_old = beta, tau2
        tau2 = minimize_bounded(
            lambda s: 0.5 * np.sum(bxse ** 2 * np.log(s + byse ** 2 + bxse ** 2 * beta ** 2))
            + 0.5 * np.sum(bxse ** 2 * (by - bx * beta) ** 2 / (s + byse ** 2 + bxse ** 2 * beta ** 2)),
            0.0, bound_tau2, xatol=tol * bound_tau2)
        beta = _bounded_max(lambda b: -0.5 * np.sum((by - bx * b) ** 2
                                                    / (tau2 + byse ** 2 + bxse ** 2 * b ** 2)),
                            bound_beta)
        if (abs(beta_old - beta) / abs(beta + 1e-10)
                + abs(tau2_old - tau2) / abs(tau2 + 1e-10)) <= tol:
            break
    return beta, tau2


def _psi1_grid(betas: np.ndarray, tau2: float, bx, bxse, by, byse, d1) -> np.ndarray:
    """psi1 at many beta values at once, shape (len(betas),)."""
    b = np.asarray(betas, dtype=float)[:, None]
    v = b ** 2 * bxse ** 2 + byse ** 2 + tau2
    gamma, _, _ = _gamma_hat(b, tau2, bx, bxse, by, byse)
    return np.sum(gamma * d1((by - b * bx) / np.sqrt(v)) / np.sqrt(v), axis=1)


def _beta_root(tau2: float, start: float, bx, bxse, by, byse, d1) -> float:
    """Root of psi1(., tau2) nearest ``start``: expand a bracket around it, then Brent."""
    def f(b):
        return float(_psi1_grid(np.array([b]), tau2, bx, bxse, by, byse, d1)[0])
    f0 = f(start)
    if f0 == 0.0:
        return start
    h = max(abs(start), 1e-8) * 0.01
    for _ in range(80):
        for lo, hi in ((start, start + h), (start - h, start)):
            if np.sign(f(lo)) != np.sign(f(hi)):
                return float(brentq(f, lo, hi, xtol=1e-14 * max(1.0, abs(start)),
                                             rtol=1e-13, maxiter=500))
        h *= 2.0
    raise NotEstimable("MR-RAPS: the estimating equation for beta has no root")


def _other_roots(beta: float, beta0: float, tau2: float, bx, bxse, by, byse, d1) -> list[float]:
    """Other roots of the beta equation at ``tau2`` on a grid around the start (mr.raps warns about
    them after random restarts)."""
    span = max(100.0 * abs(beta - beta0), 5.0 * abs(beta0), 1e-6)
    grid = np.linspace(beta0 - span, beta0 + span, 4001)
    vals = _psi1_grid(grid, tau2, bx, bxse, by, byse, d1)
    change = np.flatnonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))
    other = []
    for i in change:
        root = float(brentq(lambda b: float(_psi1_grid(np.array([b]), tau2, bx, bxse, by,
                                                                byse, d1)[0]),
                                     grid[i], grid[i + 1]))
        if abs(root - beta) > 1e-4 and abs(root - beta0) < 100 * abs(beta - beta0) + 1e-12:
            other.append(root)
    return other


def _sandwich_se(beta: float, tau2: float, bx, bxse, by, byse, d1, delta: float,
                 c: tuple[float, float, float], over_dispersion: bool) -> tuple[float, float]:
    """mr.raps's sandwich standard errors of beta and tau2 (tau2's is 0 without over-dispersion)."""
    c1, c2, c3 = c
    v = beta ** 2 * bxse ** 2 + byse ** 2 + tau2
    t = (by - beta * bx) / np.sqrt(v)
    gamma, g_beta, g_tau2 = _gamma_hat(beta, tau2, bx, bxse, by, byse)
    a = np.sum((g_beta * d1(t) + gamma * delta * (-bx) / np.sqrt(v)) / np.sqrt(v))
    if not over_dispersion:
        return float(np.sqrt(c1 * np.sum(gamma ** 2 / v) / a ** 2)), 0.0
    v1 = np.diag([c1 * np.sum(gamma ** 2 / v), c2 * np.sum(1 / v ** 2)])
    v2 = np.array([[a, np.sum(g_tau2 * d1(t) / np.sqrt(v))],
                   [0.0, (delta + c3) / 2 * np.sum(1 / v ** 2)]])
    v2inv = np.linalg.inv(v2)
    cov = v2inv @ v1 @ v2inv.T
    return float(np.sqrt(cov[0, 0])), float(np.sqrt(cov[1, 1]))


def mr_raps(bx: Any, bxse: Any, by: Any, byse: Any, *, over_dispersion: bool = True,
            loss: str = "huber", k: float | None = None, shrinkage: bool = False
            ) -> dict[str, Any]:
    """MR-RAPS causal estimate with the mr.raps sandwich SE and a normal p-value.

    Parameters
    ----------
    bx, bxse, by, byse : array_like
        Harmonised SNP-exposure and SNP-outcome effects and standard errors.
    over_dispersion : bool
        Estimate the variance tau2 of pleiotropic effects (TwoSampleMR default True).
    loss : {"huber", "l2", "tukey"}
        Robust loss (TwoSampleMR default "huber").
    k : float, optional
        Loss threshold; default 1.345 (Huber), 4.685 (Tukey), as in mr.raps.
    shrinkage : bool
        Empirical partially Bayes weights. Only ``False`` (TwoSampleMR's default) is ported.

    Returns
    -------
    dict
        ``estimate``, ``se``, ``p`` (normal), ``tau2``, ``tau2_se``, ``over_dispersion`` (as
        finally used), ``loss``, ``k``, ``start`` (the l2 profile estimate the search began
        from), ``other_roots`` (other roots of the beta equation), ``warnings`` and ``nsnp``.

    References
    ----------
    Zhao Q, Wang J, Hemani G, Bowden J, Small DS (2020). Ann Stat 48:1742-1769.
    """
    if shrinkage:
        raise NotEstimable("MR-RAPS with shrinkage=True (empirical partially Bayes weights) is not "
                           "ported; TwoSampleMR uses shrinkage=False")
    bx, bxse, by, byse = summary_arrays(bx, bxse, by, byse, min_snps=3)
    if np.any(bx == 0):
        row = int(np.flatnonzero(bx == 0)[0])
        raise InputError("bx is 0: the ratio by/bx that bounds the search is undefined",
                         row=row, column="bx")
    k = _DEFAULT_K.get(loss, np.nan) if k is None else float(k)
    d1, _ = _psi_fn(loss, k)
    if not np.isfinite(k) or k <= 0:
        raise InputError(f"k must be a positive number, got {k}", column="k")
    delta, c1, c2, c3 = loss_constants(loss, float(k))
    notes: list[str] = []

    if over_dispersion:
        beta0, tau20 = _profile_l2_overdispersed(bx, bxse, by, byse)

        def psi2(tau2: float) -> float:
            beta_t = _beta_root(tau2, beta0, bx, bxse, by, byse, d1)
            return float(raps_estimating_equations(beta_t, tau2, bx, bxse, by, byse, loss=loss,
                                                   k=k)[1])

        # psi2 falls as tau2 grows; no sign change above 0 means the root is negative
        if psi2(0.0) <= 0.0:
            res = mr_raps(bx, bxse, by, byse, over_dispersion=False, loss=loss, k=k)
            res["warnings"].insert(0, "Estimated over-dispersion is negative; used tau2 = 0 "
                                      "(as mr.raps).")
            return res
        tau_cap = float(np.median(byse)) * 10  # mr.raps discards roots with tau2 above this
        hi = max(tau20, float(np.min(byse ** 2)))
        while psi2(hi) > 0.0 and hi < tau_cap:
            hi = min(2.0 * hi, tau_cap)
        if psi2(hi) > 0.0:
            res = mr_raps(bx, bxse, by, byse, over_dispersion=False, loss=loss, k=k)
            res["warnings"].insert(0, "Cannot find solution with finite over-dispersion; "
                                      "used tau2 = 0 (as mr.raps).")
            return res
        tau2 = float(brentq(psi2, 0.0, hi, xtol=1e-15, rtol=1e-12, maxiter=500))
    else:
        beta0, tau2 = _profile_l2(bx, bxse, by, byse), 0.0
    beta = _beta_root(tau2, beta0, bx, bxse, by, byse, d1)

    other = _other_roots(beta, beta0, tau2, bx, bxse, by, byse, d1)
    if other:
        notes.append(f"The estimating equations might have another finite root: {other}")
    se, tau2_se = _sandwich_se(beta, tau2, bx, bxse, by, byse, d1, delta, (c1, c2, c3), over_dispersion)
    if over_dispersion and tau2 <= np.min(byse ** 2) / 5:
        notes.append("The estimated over-dispersion is very small; consider over_dispersion=False.")
    return {"estimate": beta, "se": se, "p": float(2 * norm_sf(abs(beta / se))),
            "tau2": tau2, "tau2_se": tau2_se, "over_dispersion": over_dispersion, "loss": loss,
            "k": k, "start": {"beta": beta0, "tau2": tau20 if over_dispersion else 0.0},
            "other_roots": other,
            "warnings": notes, "nsnp": int(bx.size), "method": "MR-RAPS"}
