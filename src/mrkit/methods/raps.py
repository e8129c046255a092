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

Written over replicates (:mod:`mrkit.methods.replicates`): every step below runs on all replicates at once,
each with its own root searches (:func:`mrkit.methods.brent.brentq` over lanes).

How it is validated (no R output for RAPS is in ``validation/``): with ``loss="l2"`` and no
over-dispersion the estimate must equal the maximum of the joint likelihood of (beta,
gamma_1..gamma_k) with known variances, found by a general optimiser over all k + 1
parameters; with ``bxse -> 0`` estimate and SE must reduce to the fixed-effect IVW ones by hand
algebra; the Huber constants must equal their closed forms; plus equivariance properties. See
``tests/test_raps.py``.

Deviation from R in how the root is found (not in which equations are solved): mr.raps starts
``rootSolve::multiroot`` from its first-generation robust estimate and 9 random restarts and keeps
the root closest to the start. Here the search starts from the l2 profile estimate (the maximum of
``mr.raps.simple``'s profile likelihood, :func:`mrkit.methods.ml.ml_profile`); psi1 is solved for beta by a
Brent search in a bracket grown around the start (the root nearest the start) at each tau2, and psi2 for tau2
by Brent's method on [0, hi], hi doubled from min(byse^2) (Newton steps stall on the kinks of the Huber score).
As in mr.raps, when psi2 has no root above 0 (the over-dispersion would be negative) or none below
``10 * median(byse)``, the replicate falls back to the model without over-dispersion (``over_dispersion`` False
in its result, a note says which). mr.raps's warning about other roots (after its random restarts) is not
reproduced.

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
from .brent import brentq
from .distributions import norm_pdf
from .method_info import MethodInfo
from .ml import ml_profile
from .registry import register
from .replicates import as_batch, make_result, not_estimable

__all__ = ["METHODS", "mr_raps", "loss_constants", "integrate_loss_constants", "raps_estimating_equations"]

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


def _parts(beta, tau2, bx, bxse, by, byse):
    """Per replicate (rows) and variant: gamma-hat, its derivatives in beta and tau2, v and t."""
    b, t2 = beta[:, None], tau2[:, None]
    s2 = byse ** 2 + t2
    den = 1.0 / bxse ** 2 + b * b / s2
    gamma = (bx / bxse ** 2 + b * by / s2) / den
    v = b * b * bxse ** 2 + s2
    t = (by - b * bx) / np.sqrt(v)
    return gamma, (by / s2) / den, -b * by / s2 ** 2 / den, v, t


def _psi1(beta, tau2, bx, bxse, by, byse, d1):
    gamma, _, _, v, t = _parts(beta, tau2, bx, bxse, by, byse)
    return np.sum(gamma * d1(t) / np.sqrt(v), axis=1)


def _psi2(beta, tau2, bx, bxse, by, byse, d1, delta):
    _, _, _, v, t = _parts(beta, tau2, bx, bxse, by, byse)
    return np.sum((t * d1(t) - delta) / v, axis=1)


def raps_estimating_equations(beta: float, tau2: float, bx, bxse, by, byse, *, loss: str = "huber",
                              k: float | None = None, over_dispersion: bool = True) -> np.ndarray:
    """Values of mr.raps's estimating equations (psi1, and psi2 with over-dispersion) of one dataset ``(k,)`` at
    one ``beta`` and ``tau2`` (numbers, or arrays of one value)."""
    kk = _DEFAULT_K[loss] if k is None else k
    d1, _ = _psi_fn(loss, kk)
    delta = loss_constants(loss, float(kk))[0]
    arrays = [np.atleast_2d(np.asarray(a, dtype=float)) for a in (bx, bxse, by, byse)]
    beta, tau2 = np.array([np.asarray(beta, dtype=float).item()]), np.array([np.asarray(tau2, dtype=float).item()])
    psi1 = _psi1(beta, tau2, *arrays, d1)[0]
    if not over_dispersion:
        return np.array([psi1])
    return np.array([psi1, _psi2(beta, tau2, *arrays, d1, delta)[0]])


def _beta_root(tau2, start, bx, bxse, by, byse, d1) -> np.ndarray:
    """Per replicate, the root of psi1(., tau2) nearest ``start``: brackets (start, start + h), then
    (start - h, start), h doubling from |start|/100 (at most 80 times), then Brent. NaN where none is found."""
    def f(b):
        return _psi1(b, tau2, bx, bxse, by, byse, d1)

    f0 = f(start)
    found = f0 == 0
    lo, hi = start.copy(), start.copy()
    h = np.maximum(np.abs(start), 1e-8) * 0.01
    for _ in range(80):
        if found.all():
            break
        up, dn = start + h, start - h
        right = ~found & (np.sign(f0) != np.sign(f(up)))
        left = ~found & ~right & (np.sign(f(dn)) != np.sign(f0))
        hi = np.where(right, up, hi)
        lo = np.where(left, dn, lo)
        found |= right | left
        h = h * 2.0
    root = np.where(found, start, np.nan)
    solve = found & (lo != hi)
    if solve.any():
        rows = np.flatnonzero(solve)

        def g(b):
            return _psi1(b, tau2[rows], bx[rows], bxse[rows], by[rows], byse[rows], d1)

        root[rows] = brentq(g, lo[rows], hi[rows], xtol=1e-14 * np.maximum(1.0, np.abs(start[rows])), rtol=1e-13,
                            maxiter=500)
    return root


def _sandwich(beta, tau2, bx, bxse, by, byse, d1, constants, over_dispersion):
    """mr.raps's sandwich SEs of beta and tau2 (tau2's 0 where there is no over-dispersion), per replicate:
    ``V2^-1 V1 V2^-T`` with V2 = [[a, a12], [0, a22]] upper triangular, written out."""
    delta, c1, c2, c3 = constants
    gamma, g_beta, g_tau2, v, t = _parts(beta, tau2, bx, bxse, by, byse)
    sv = np.sqrt(v)
    a = np.sum((g_beta * d1(t) + gamma * delta * (-bx) / sv) / sv, axis=1)
    v1_11 = c1 * np.sum(gamma ** 2 / v, axis=1)
    v1_22 = c2 * np.sum(1.0 / v ** 2, axis=1)
    a12 = np.sum(g_tau2 * d1(t) / sv, axis=1)
    a22 = (delta + c3) / 2.0 * np.sum(1.0 / v ** 2, axis=1)
    se = np.where(over_dispersion, np.sqrt(v1_11 / a ** 2 + (a12 / (a * a22)) ** 2 * v1_22),
                  np.sqrt(v1_11 / a ** 2))
    return se, np.where(over_dispersion, np.sqrt(v1_22) / np.abs(a22), 0.0)


def _tau2(start, bx, bxse, by, byse, d1, delta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The over-dispersion root of psi2(beta(tau2), tau2) per replicate, mr.raps's fallbacks to tau2 = 0 where it
    is negative or above 10 median(byse). Returns (tau2, used, reason of the fallback)."""
    n = start.shape[0]

    def psi2(t2, rows):
        b = _beta_root(t2, start[rows], bx[rows], bxse[rows], by[rows], byse[rows], d1)
        return _psi2(b, t2, bx[rows], bxse[rows], by[rows], byse[rows], d1, delta)

    every = np.arange(n)
    p0 = psi2(np.zeros(n), every)
    cand = p0 > 0  # psi2 falls as tau2 grows: no sign change above 0 means the root is negative
    cap = 10.0 * np.median(byse, axis=1)  # mr.raps discards roots with tau2 above this
    hi = np.min(byse ** 2, axis=1)
    at_hi = np.where(cand, psi2(hi, every), -1.0)
    for _ in range(200):
        grow = cand & (at_hi > 0) & (hi < cap)
        if not grow.any():
            break
        hi = np.where(grow, np.minimum(2.0 * hi, cap), hi)
        rows = np.flatnonzero(grow)
        at_hi[rows] = psi2(hi[rows], rows)
    used = cand & (at_hi <= 0)
    tau2 = np.zeros(n)
    rows = np.flatnonzero(used)
    if rows.size:
        tau2[rows] = brentq(lambda t2: psi2(t2, rows), np.zeros(rows.size), hi[rows], xtol=1e-15, rtol=1e-12,
                            maxiter=500)
    used &= np.isfinite(tau2)
    tau2 = np.where(used, tau2, 0.0)
    reason = np.where(used | ~np.isfinite(p0), "", np.where(
        cand, "cannot find solution with finite over-dispersion; used tau2 = 0 (as mr.raps)",
        "estimated over-dispersion is negative; used tau2 = 0 (as mr.raps)")).astype(object)
    return tau2, used, reason


def mr_raps(bx: Any, bxse: Any, by: Any, byse: Any, *, over_dispersion: bool = True, loss: str = "huber",
            k: float | None = None, shrinkage: bool = False) -> dict[str, Any]:
    """MR-RAPS causal estimate with the mr.raps sandwich SE and a normal p-value, per replicate.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
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
        :func:`~mrkit.methods.replicates.make_result` arrays ``(n_rep,)`` plus ``tau2``, ``tau2_se``,
        ``over_dispersion`` (bool per replicate: as finally used), ``start`` (the l2 profile estimate the search
        began from), ``loss`` and ``k``. A replicate whose beta equation has no root near the start is NaN, noted.

    Raises
    ------
    InputError
        Bad arrays, loss or k.
    NotEstimable
        Fewer than 3 SNPs, or ``shrinkage=True``.

    References
    ----------
    Zhao Q, Wang J, Hemani G, Bowden J, Small DS (2020). Ann Stat 48:1742-1769.
    """
    if shrinkage:
        raise NotEstimable("MR-RAPS with shrinkage=True (empirical partially Bayes weights) is not "
                           "ported; TwoSampleMR uses shrinkage=False")
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse)
    n_rep, nsnp = bx.shape
    if nsnp < 3:
        raise NotEstimable(f"MR-RAPS needs at least 3 SNPs, got {nsnp}")
    k = _DEFAULT_K.get(loss, np.nan) if k is None else float(k)
    d1, _ = _psi_fn(loss, k)
    if not np.isfinite(k) or k <= 0:
        raise InputError(f"k must be a positive number, got {k}", column="k")
    constants = loss_constants(loss, float(k))
    start = ml_profile(bx, bxse, by, byse)["theta"]
    if over_dispersion:
        tau2, used, notes = _tau2(start, bx, bxse, by, byse, d1, constants[0])
    else:
        tau2, used, notes = np.zeros(n_rep), np.zeros(n_rep, dtype=bool), np.full(n_rep, "", dtype=object)
    beta = _beta_root(tau2, start, bx, bxse, by, byse, d1)
    with np.errstate(invalid="ignore"):
        se, tau2_se = _sandwich(beta, tau2, bx, bxse, by, byse, d1, constants, used)
    result = make_result(beta, se, nsnp=nsnp, se_model="sandwich_overdispersed" if over_dispersion else "sandwich",
                         weights=f"{loss}_profile_score", note=notes, tau2=tau2, tau2_se=tau2_se,
                         over_dispersion=used, start=start, loss=loss, k=k)
    return not_estimable(result, ~np.isfinite(beta), "MR-RAPS: the estimating equation for beta has no root near "
                                                      "the l2 profile estimate")


register("raps", lambda data, ctx: mr_raps(*data, over_dispersion=True, loss="huber"),
         reference="TwoSampleMR mr_raps (mr.raps, over.dispersion = TRUE, loss.function = huber)")

#: What the book's methods chapter says about this id (:class:`~mrkit.methods.method_info.MethodInfo`).
METHODS = (
    MethodInfo(
        id="raps", label="MR-RAPS", short_label="MR-RAPS", family="InSIDE",
        r_function="TwoSampleMR 0.7.9 mr_raps (mr.raps 0.4.2, over.dispersion = TRUE, loss.function = 'huber')",
        idea=("A profile-likelihood score with a random pleiotropic effect per variant (variance tau^2) and a "
              "robust (Huber) loss. Balanced pleiotropy widens the SE, a few large outliers lose influence."),
        formula=r"\sum_j \frac{\hat\gamma_j\,\rho'(t_j)}{\sqrt{v_j}} = 0,\ t_j = \frac{\hat\beta_{Yj} - "
                r"\beta\hat\beta_{Xj}}{\sqrt{v_j}},\ v_j = \beta^2\sigma_{Xj}^2 + \sigma_{Yj}^2 + \tau^2",
        trades="Assumes pleiotropy balanced and independent of instrument strength (InSIDE); allows weak "
               "instruments and a few outliers.",
        when="Many (also weak) instruments with balanced pleiotropy."),
)
