# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MendelianRandomization 0.10.0 (GPL-2 | GPL-3), R/mr_pcgmm-methods.R (mr_pcgmm),
# github.com/cran/MendelianRandomization tag 0.10.0; R 4.2's uniroot(extendInt = "yes") interval extension
# (src/library/stats/R/nlm.R, GPL-2 | GPL-3).
"""Principal-components GMM (PC-GMM): IVW-like estimation with many correlated variants, via their principal components.

With an LD (correlation) matrix ``ld`` of the J variants (the identity when none is given):

1. ``Phi = ((|bx| / byse)(|bx| / byse)') * ld``; its principal components (R's ``prcomp(Phi)``: columns centred,
   no scaling) are kept up to the first number ``r`` whose share of the variance exceeds ``thres = 0.99``; the
   loadings ``L`` (J x r) define r instruments. Fewer than 2 components: R returns nothing (here
   :class:`~mrkit.errors.NotEstimable`).
2. Joint effects of the components, as in ``mr_clr`` (:func:`mrkit.methods.clr.summary_joint`, projected):
   ``a_j = 1 / (n byse_j^2 + by_j^2)``, ``A = (sqrt(a) sqrt(a)') * ld``, ``A_f = L' A L``, ``B_f = L'(a * by)``,
   ``gamma_Y = A_f^-1 B_f``, ``Sigma_Y = A_f^-1 (1 - B_f' A_f^-1 B_f) / (n_y - r + 1)``; the same for the exposure.
   ``F = gamma_X' Sigma_X^-1 gamma_X / r``.
3. The LIML / GMM estimate minimises ``Q(theta) = g' (Sigma_Y + theta^2 Sigma_X)^-1 g``, ``g = gamma_Y - theta
   gamma_X``, by R's ``optim(method = "Brent")`` on [-100, 100]; SE ``(G' Om^-1 G)^(-1/2)``, ``G = -gamma_X``;
   normal CI and p; heterogeneity ``Q`` on r - 1 df.
4. ``robust = TRUE`` (R's default): an over-dispersion ``kappa`` solves ``Q_kappa(theta_nr) = r - 1`` with
   ``Om = Sigma_Y + kappa / n_y I + theta^2 Sigma_X``, found by ``uniroot`` from the grid ``seq(-50, 50, 0.1)``;
   the estimate is then re-minimised with ``max(0, kappa)`` and the row reports ``kappa`` (R's
   ``Overdispersion``, which can be negative) and ``Q`` without a p-value (as R).

Quirks of R kept here: R's "11 starting values" (``seq(-1, 1, 0.2)``) change nothing, because ``optim``'s Brent
method ignores the start and always searches [-100, 100] (one bounded search here; an effect beyond +-100 is cut);
the robust row's heterogeneity statistic has no p-value in R; ``uniroot`` is asked for a root between the last grid
kappa with Q > 0 and 20 and extends that interval (``extendInt = "yes"``) in both directions until the signs
differ, so the root can be far beyond the grid (the MR-PRESSO example: 969).

The optimisers: :func:`mrkit.methods.brent.r_optimize` is R's ``optimize`` (``Brent_fmin``, step for step; the
tolerance 1.49e-8 is R's ``optim`` reltol, which its Brent method passes on), and :func:`mrkit.methods.brent.brentq`
is Brent's ``zeroin`` as scipy has it, standing in for R's ``uniroot`` (tolerance 1.22e-4): the root agrees with
R's to about that tolerance. Q is evaluated through a simultaneous diagonalisation (O(r) per evaluation).

Batches: ``(n_rep, k)`` inputs; the replicates with the same number of components are solved together, each a lane
of one set of searches (:func:`mrkit.methods.brent.r_optimize` and ``brentq`` over lanes: a lane takes the steps it
would take alone).

References
----------
Patel A, Burgess S, Gill D, Newcombe PJ (2020). Inference with many correlated weak instruments and summary
statistics. arXiv:2005.01765 (PC-GMM; MendelianRandomization ``mr_pcgmm``).
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError, NotEstimable
from .brent import brentq, r_optimize
from .cml import gwas_sample_sizes
from .correlated import checked_ld
from .distributions import chi2_sf
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result, not_estimable

__all__ = ["METHODS", "QUIRKS", "mr_pcgmm", "uniroot_extend"]

METHODS = (
    MethodInfo(
        id="pcgmm", label="Principal components GMM", short_label="PC-GMM", family="none (all valid)",
        r_function="MendelianRandomization 0.10.0 mr_pcgmm(nx, ny, thres = 0.99, robust = TRUE)",
        idea=("Many correlated variants carry fewer independent signals than their number. PC-GMM replaces them by "
              "the principal components of their weighted LD matrix and estimates the effect by generalised method "
              "of moments on those, with an over-dispersion term for pleiotropy."),
        formula=r"\hat\theta = \arg\min_\theta (\hat\gamma_Y-\theta\hat\gamma_X)'(\Sigma_Y + \kappa I/n_Y + "
                r"\theta^2\Sigma_X)^{-1}(\hat\gamma_Y-\theta\hat\gamma_X)",
        trades=("Keeps 'all variants valid' with balanced pleiotropy (the over-dispersion kappa); gives up the need "
                "for uncorrelated variants."),
        when="Correlated variants from one region (e.g. a cis-MR of a gene) with an LD matrix.",
        extra_keys=("pcs", "fstat", "kappa", "q")),
)
#: R behaviours reproduced although they look unintended (for the conventions page), by method id.
QUIRKS = {"pcgmm": ("The 11 starting values change nothing: optim's Brent method ignores them and searches "
                    "[-100, 100].",
                    "The robust row's heterogeneity statistic has no p-value; kappa may be negative (max(0, kappa) "
                    "is used).",
                    "uniroot(extendInt = 'yes') widens its interval until the sign changes: the MR-PRESSO "
                    "example's kappa is 969, far beyond the grid -50...50.")}

_OPTIM_RELTOL = float(np.sqrt(np.finfo(float).eps))  # R's optim() reltol: the tol of its Brent method
_UNIROOT_TOL = float(np.finfo(float).eps ** 0.25)  # R's uniroot() default tol


def uniroot_extend(f, lower: float, upper: float, *, tol: float = _UNIROOT_TOL, maxiter: int = 1000) -> float:
    """R's ``uniroot(f, c(lower, upper), extendInt = "yes")``: widen both ends until ``f`` changes sign, then Brent.

    The interval grows as R's does: ``delta = 0.01 max(1e-4, |end|)``, both ends moved by delta, delta doubled each
    time. Raises :class:`~mrkit.errors.NotEstimable` when no sign change is found in ``maxiter`` steps.
    """
    lower, upper = min(lower, upper), max(lower, upper)
    if not lower < upper:
        raise NotEstimable("uniroot: lower < upper is not fulfilled (R stops here)")
    f_lo, f_up = float(f(lower)), float(f(upper))
    delta = [0.01 * max(1e-4, abs(lower)), 0.01 * max(1e-4, abs(upper))]
    it = 0
    while f_lo * f_up > 0:
        it += 1
        if it > maxiter:
            raise NotEstimable(f"uniroot: no sign change found in {maxiter} iterations")
        old, old_f = lower, f_lo
        lower -= delta[0]
        f_lo = float(f(lower))
        if np.isnan(f_lo):
            lower, f_lo, delta[0] = old, old_f, delta[0] / 4
        old, old_f = upper, f_up
        upper += delta[1]
        f_up = float(f(upper))
        if np.isnan(f_up):
            upper, f_up, delta[1] = old, old_f, delta[1] / 4
        delta = [2 * delta[0], 2 * delta[1]]
    if f_lo == 0:
        return lower
    if f_up == 0:
        return upper
    return float(brentq(f, lower, upper, xtol=tol, maxiter=maxiter))


def _components(bx, byse, ld, thres):
    """Per replicate, the loadings of R's prcomp(Phi) (``(n_rep, J, J)``, columns by decreasing variance) and r, the
    first count whose variance share exceeds ``thres``; ``bx``, ``byse`` ``(n_rep, J)``."""
    w = np.abs(bx) / byse
    phi = w[:, :, None] * w[:, None, :] * ld
    centred = phi - phi.mean(axis=1, keepdims=True)
    # prcomp's rotation and variances: the eigenvectors / eigenvalues of C'C (the SVD of C, without its cost)
    lam, vec = np.linalg.eigh(np.matmul(np.swapaxes(centred, 1, 2), centred))
    lam, vec = np.maximum(lam[:, ::-1], 0.0), vec[:, :, ::-1]
    share = np.cumsum(lam, axis=1) / np.sum(lam, axis=1, keepdims=True)
    return vec, np.argmax(share > thres, axis=1) + 1


def _projected(b, se, n, ld, lam):
    """Joint effects of the r components and their covariance, for a group of replicates with the same r:
    ``b``, ``se`` (g, J), ``lam`` (g, J, r) -> (g, r), (g, r, r)."""
    a = 1.0 / (n * se ** 2 + b ** 2)
    sa = np.sqrt(a)
    big_a = sa[:, :, None] * sa[:, None, :] * ld
    lam_t = np.swapaxes(lam, 1, 2)
    af = np.matmul(np.matmul(lam_t, big_a), lam)
    bf = np.matmul(lam_t, (a * b)[:, :, None])[:, :, 0]
    inv = np.linalg.inv(af)
    r = lam.shape[2]
    gamma = np.matmul(inv, bf[:, :, None])[:, :, 0]
    quad = np.sum(bf * gamma, axis=1)
    return gamma, inv * ((1 - quad) / (n - r + 1))[:, None, None]


class _Objective:
    """Q(theta) = g' (M + theta^2 Sx)^-1 g with g = gy - theta gx, by simultaneous diagonalisation of M and Sx, for
    a group of replicates (lanes): ``gy``, ``gx`` (g, r), ``m``, ``sx`` (g, r, r)."""

    def __init__(self, gy, gx, m, sx):
        li = np.linalg.inv(np.linalg.cholesky(m))
        d, u = np.linalg.eigh(np.matmul(np.matmul(li, sx), np.swapaxes(li, 1, 2)))
        u_t = np.swapaxes(u, 1, 2)
        self.d = d
        self.a = np.matmul(u_t, np.matmul(li, gy[:, :, None]))[:, :, 0]
        self.b = np.matmul(u_t, np.matmul(li, gx[:, :, None]))[:, :, 0]
        self.m, self.sx, self.gx = m, sx, gx

    def __call__(self, theta):
        """Q of each lane at its ``theta`` ((g,): one value per lane)."""
        t = np.asarray(theta, dtype=float)[:, None]
        return np.sum((self.a - t * self.b) ** 2 / (1.0 + t * t * self.d), axis=-1)

    def variance(self, theta) -> np.ndarray:
        om = self.m + (theta * theta)[:, None, None] * self.sx
        return 1.0 / np.sum(self.gx * np.linalg.solve(om, self.gx[:, :, None])[:, :, 0], axis=1)


def _kappas(c2, e, r, ny):
    """R's uniroot over the grid seq(-50, 50, 0.1) and 20, per lane: kappa (0 where no grid value is positive) and
    a note. Lanes whose ends already differ in sign are solved together (Brent over lanes, each lane as alone);
    the others widen their interval as R does (:func:`uniroot_extend`), one at a time."""
    def q_kappa(kappa, lanes):  # kappa (m,) of lanes (m,)
        return np.sum(c2[lanes] / (e[lanes] + kappa[:, None] / ny), axis=-1) - (r - 1)

    grid = -50 + np.arange(1001) * 0.1  # R: seq(-50, 50, 0.1)
    values = np.sum(c2[:, None, :] / (e[:, None, :] + grid[None, :, None] / ny), axis=-1) - (r - 1)
    g = c2.shape[0]
    kappa, notes = np.zeros(g), np.full(g, "", dtype=object)
    positive = values > 0
    none = ~positive.any(axis=1)
    notes[none] = "over-dispersion could not be estimated (R: default 0, unrobust estimate)"
    lanes = np.flatnonzero(~none)
    if not lanes.size:
        return kappa, notes
    lower = grid[positive.shape[1] - 1 - np.argmax(positive[lanes, ::-1], axis=1)]
    upper = np.full(lanes.size, 20.0)
    lo, hi = np.minimum(lower, upper), np.maximum(lower, upper)
    f_lo, f_up = q_kappa(lo, lanes), q_kappa(hi, lanes)
    simple = (lo < hi) & (f_lo * f_up < 0)
    if simple.any():
        kappa[lanes[simple]] = brentq(lambda k, sel=lanes[simple]: q_kappa(k, sel), lo[simple], hi[simple],
                                      xtol=_UNIROOT_TOL, maxiter=1000)
    for i in np.flatnonzero(~simple):  # a zero at an end, or R's interval extension
        lane = lanes[i]
        kappa[lane] = uniroot_extend(lambda k, lane=lane: float(q_kappa(np.array([float(k)]), [lane])[0]),
                                     lower[i], 20.0)
    return kappa, notes


def _group(bx, bxse, by, byse, nx, ny, ld, vec, r, robust) -> dict:
    """PC-GMM of a group of replicates with the same number r of components (the lanes of one set of searches)."""
    lam = vec[:, :, :r]
    gy, sy = _projected(by, byse, ny, ld, lam)
    gx, sx = _projected(bx, bxse, nx, ld, lam)
    fstat = np.sum(gx * np.linalg.solve(sx, gx[:, :, None])[:, :, 0], axis=1) / r
    g = bx.shape[0]
    lower, upper = np.full(g, -100.0), np.full(g, 100.0)
    q_nr = _Objective(gy, gx, sy, sx)
    theta_nr = r_optimize(q_nr, lower, upper, tol=_OPTIM_RELTOL)
    if not robust:
        q = q_nr(theta_nr)
        return dict(estimate=theta_nr, se=np.sqrt(q_nr.variance(theta_nr)), fstat=fstat, pcs=np.full(g, r),
                    kappa=np.full(g, np.nan), q=q, q_p=chi2_sf(q, r - 1), note=np.full(g, "", dtype=object))
    resid = gy - theta_nr[:, None] * gx
    e, v = np.linalg.eigh(sy + (theta_nr ** 2)[:, None, None] * sx)
    c2 = np.matmul(np.swapaxes(v, 1, 2), resid[:, :, None])[:, :, 0] ** 2
    kappa, note = _kappas(c2, e, r, ny)
    q_r = _Objective(gy, gx, sy + np.eye(r) * (np.maximum(0.0, kappa) / ny)[:, None, None], sx)
    theta = r_optimize(q_r, lower, upper, tol=_OPTIM_RELTOL)
    return dict(estimate=theta, se=np.sqrt(q_r.variance(theta)), fstat=fstat, pcs=np.full(g, r), kappa=kappa,
                q=q_r(theta), q_p=np.full(g, np.nan), note=note)


def mr_pcgmm(bx, bxse, by, byse, *, nx, ny, ld=None, thres: float = 0.99, robust: bool = True
             ) -> dict[str, np.ndarray]:
    """Principal-components GMM estimate, MendelianRandomization ``mr_pcgmm``.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k)
    nx, ny : float
        Sample sizes of the exposure and outcome GWAS.
    ld : array_like, shape (k, k), optional
        LD correlation matrix in the alleles of ``bx``; the identity (uncorrelated variants) when None.
    thres : float
        Share of the variance of Phi the components must explain (R's 0.99).
    robust : bool
        Estimate the over-dispersion kappa (R's default) or not.

    Returns
    -------
    dict
        The contract's result: ``estimate, se, ci_lower, ci_upper, p`` (normal), ``pcs`` (r), ``fstat``, ``kappa``
        (NaN when not robust), ``q`` and ``q_p`` (heterogeneity on r - 1 df; no p when robust, as R), each
        (n_rep,); ``note``.

    Raises
    ------
    mrkit.errors.InputError
        Bad input, bad sample sizes, or an ``ld`` of the wrong shape / not positive definite.
    mrkit.errors.NotEstimable
        Fewer than 3 variants. A replicate with fewer than two principal components, or where R's uniroot fails (R
        stops), is NaN with the reason in its note.

    References
    ----------
    Patel A, Burgess S, Gill D, Newcombe PJ (2020). arXiv:2005.01765; MendelianRandomization ``mr_pcgmm``.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3, method="PC-GMM")
    n_rep, k = bx.shape
    for name, n in (("nx", nx), ("ny", ny)):
        if not (np.isfinite(n) and n > k):
            raise InputError(f"{name} must be a sample size above k = {k}, got {n!r}", column=name)
    ld = np.eye(k) if ld is None else checked_ld(ld, k)
    vec, pcs = _components(bx, byse, ld, thres)
    keys = ("estimate", "se", "fstat", "pcs", "kappa", "q", "q_p")
    out = {key: np.full(n_rep, np.nan) for key in keys}
    out["pcs"] = pcs.astype(np.int64)
    notes = np.full(n_rep, "", dtype=object)
    failed = pcs < 2
    reasons = np.where(failed, "PC-GMM needs at least 2 principal components (R: 'More principal components needed'); "
                       "raise the threshold", "").astype(object)
    for r in np.unique(pcs[~failed]):  # one set of searches per number of components (each lane as if alone)
        idx = np.flatnonzero(pcs == r)
        try:
            res = _group(bx[idx], bxse[idx], by[idx], byse[idx], nx, ny, ld, vec[idx], int(r), robust)
        except NotEstimable as exc:  # R's uniroot stopping (no sign change) fails the group's replicate alone
            if idx.size == 1:
                failed[idx], reasons[idx] = True, str(exc)
                continue
            for i in idx:
                try:
                    one = _group(bx[[i]], bxse[[i]], by[[i]], byse[[i]], nx, ny, ld, vec[[i]], int(r), robust)
                except NotEstimable as err:
                    failed[i], reasons[i] = True, str(err)
                    continue
                for key in keys:
                    out[key][i] = one[key][0]
                notes[i] = one["note"][0]
            continue
        for key in keys:
            out[key][idx] = res[key]
        notes[idx] = res["note"]
    result = make_result(out["estimate"], out["se"], nsnp=k, se_model="gmm" + ("_overdispersed" if robust else ""),
                         weights="principal_components", note=notes,
                         **{key: out[key] for key in ("pcs", "fstat", "kappa", "q", "q_p")})
    return not_estimable(result, failed, reasons)


def _run_pcgmm(data, ctx):
    nx, ny = gwas_sample_sizes(ctx, "PC-GMM")
    return mr_pcgmm(*data, nx=nx, ny=ny, ld=ctx.options.get("ld"))


# order "given": an LD matrix (option "ld") is in the user's rows and alleles
register("pcgmm", _run_pcgmm, order="given", row_keys=METHODS[0].extra_keys, reference=METHODS[0].r_function,
         uses_ld=True)
