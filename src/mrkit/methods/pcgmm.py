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

Batches: ``(n_rep, k)`` inputs, one loop over replicates (an eigen-decomposition and two searches each).

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
    """Loadings L (J x r) of R's prcomp(Phi) with r the first count whose variance share exceeds ``thres``."""
    w = np.abs(bx) / byse
    phi = np.outer(w, w) * ld
    centred = phi - phi.mean(axis=0)
    # prcomp's rotation and variances: the eigenvectors / eigenvalues of C'C (the SVD of C, without its cost)
    lam, vec = np.linalg.eigh(centred.T @ centred)
    lam, vec = np.maximum(lam[::-1], 0.0), vec[:, ::-1]
    share = np.cumsum(lam) / np.sum(lam)
    r = int(np.flatnonzero(share > thres)[0]) + 1
    return vec[:, :r], r


def _projected(b, se, n, ld, lam):
    a = 1.0 / (n * se ** 2 + b ** 2)
    big_a = np.sqrt(np.outer(a, a)) * ld
    af = lam.T @ big_a @ lam
    bf = lam.T @ (a * b)
    inv = np.linalg.inv(af)
    r = lam.shape[1]
    return inv @ bf, inv * (1 - bf @ inv @ bf) / (n - r + 1)


class _Objective:
    """Q(theta) = g' (M + theta^2 Sx)^-1 g with g = gy - theta gx, by simultaneous diagonalisation of M and Sx."""

    def __init__(self, gy, gx, m, sx):
        chol = np.linalg.cholesky(m)
        li = np.linalg.inv(chol)
        d, u = np.linalg.eigh(li @ sx @ li.T)
        self.d = d
        self.a = u.T @ (li @ gy)
        self.b = u.T @ (li @ gx)
        self.m, self.sx, self.gx = m, sx, gx

    def __call__(self, theta):
        """Q at ``theta`` (a number, or an array of values: one Q each)."""
        t = np.asarray(theta, dtype=float)[..., None]
        return np.sum((self.a - t * self.b) ** 2 / (1.0 + t * t * self.d), axis=-1)

    def variance(self, theta: float) -> float:
        om = self.m + theta * theta * self.sx
        return float(1.0 / (self.gx @ np.linalg.solve(om, self.gx)))


def _one(bx, bxse, by, byse, nx, ny, ld, thres, robust):
    lam, r = _components(bx, byse, ld, thres)
    if r < 2:
        raise NotEstimable("PC-GMM needs at least 2 principal components (R: 'More principal components needed'); "
                           "raise the threshold")
    gy, sy = _projected(by, byse, ny, ld, lam)
    gx, sx = _projected(bx, bxse, nx, ld, lam)
    fstat = float(gx @ np.linalg.solve(sx, gx)) / r
    q_nr = _Objective(gy, gx, sy, sx)
    theta_nr = r_optimize(q_nr, -100.0, 100.0, tol=_OPTIM_RELTOL)
    if not robust:
        q = float(q_nr(theta_nr))
        return dict(estimate=theta_nr, se=np.sqrt(q_nr.variance(theta_nr)), fstat=fstat, pcs=r, kappa=np.nan, q=q,
                    q_p=float(chi2_sf(q, r - 1)), note="")
    g = gy - theta_nr * gx
    e, v = np.linalg.eigh(sy + theta_nr ** 2 * sx)
    c2 = (v.T @ g) ** 2

    def q_kappa(kappa):  # a number or an array of kappas (brentq's lanes)
        return np.sum(c2 / (e + np.asarray(kappa, dtype=float)[..., None] / ny), axis=-1) - (r - 1)

    grid = -50 + np.arange(1001) * 0.1  # R: seq(-50, 50, 0.1)
    values = q_kappa(grid)
    note = ""
    if not np.any(values > 0):
        kappa = 0.0
        note = "over-dispersion could not be estimated (R: default 0, unrobust estimate)"
    else:
        kappa = uniroot_extend(q_kappa, grid[np.flatnonzero(values > 0).max()], 20.0)
    q_r = _Objective(gy, gx, sy + np.eye(r) * max(0.0, kappa) / ny, sx)
    theta = r_optimize(q_r, -100.0, 100.0, tol=_OPTIM_RELTOL)
    return dict(estimate=theta, se=np.sqrt(q_r.variance(theta)), fstat=fstat, pcs=r, kappa=kappa, q=float(q_r(theta)),
                q_p=np.nan, note=note)


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
    if ld is None:
        ld = np.eye(k)
    else:
        ld = np.asarray(ld, dtype=float)
        if ld.shape != (k, k) or not np.allclose(ld, ld.T) or np.any(np.linalg.eigvalsh(ld) <= 0):
            raise InputError(f"ld must be a symmetric positive definite {k} x {k} matrix", column="ld")
    rows, failed = [], np.zeros(n_rep, dtype=bool)
    reasons = np.full(n_rep, "", dtype=object)
    for r in range(n_rep):  # a replicate R would stop on (uniroot, too few components) is NaN, with R's reason
        try:
            rows.append(_one(bx[r], bxse[r], by[r], byse[r], nx, ny, ld, thres, robust))
        except NotEstimable as exc:
            failed[r], reasons[r] = True, str(exc)
            rows.append(dict(estimate=np.nan, se=np.nan, fstat=np.nan, pcs=0, kappa=np.nan, q=np.nan, q_p=np.nan,
                             note=""))
    extra = {key: np.array([row[key] for row in rows]) for key in ("pcs", "fstat", "kappa", "q", "q_p")}
    result = make_result(np.array([row["estimate"] for row in rows]), np.array([row["se"] for row in rows]), nsnp=k,
                         se_model="gmm" + ("_overdispersed" if robust else ""), weights="principal_components",
                         note=np.array([row["note"] for row in rows], dtype=object), **extra)
    return not_estimable(result, failed, reasons)


def _run_pcgmm(data, ctx):
    nx, ny = gwas_sample_sizes(ctx, "PC-GMM")
    return mr_pcgmm(*data, nx=nx, ny=ny, ld=ctx.options.get("ld"))


# order "given": an LD matrix (option "ld") is in the user's rows and alleles
register("pcgmm", _run_pcgmm, order="given", row_keys=METHODS[0].extra_keys, reference=METHODS[0].r_function)
