"""Two-sample maximum likelihood and MR-RAPS on many replicates at once: vectorised Newton and
root-finding iterations (see :mod:`mrkit.methods.batch`)."""
from __future__ import annotations

import numpy as np

from ..distributions import chi2_sf
from ..raps import _DEFAULT_K, _psi_fn, loss_constants
from .common import as_batch, normal_summary

__all__ = ["ml", "raps"]


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
    out = normal_summary(beta, se)
    q = 2.0 * f
    out.update(q=q, q_df=np.full(beta.shape, k - 1), q_p=chi2_sf(q, k - 1),
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
    """Root of psi1(., tau2) nearest ``start`` per row, as :func:`mrkit.methods.raps._beta_root`:
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
    """MR-RAPS for every replicate: the estimating equations of :func:`mrkit.methods.raps.mr_raps`.

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
    out = normal_summary(beta, se)
    out.update(tau2=tau2, over_dispersion=od)
    return out
