"""Two-sample maximum-likelihood MR estimate, as TwoSampleMR and MendelianRandomization compute it.

Model: ``bx_j ~ N(g_j, bxse_j^2)``, ``by_j ~ N(theta g_j, byse_j^2)``, independent, with the true
SNP-exposure effects ``g_j`` as nuisance parameters. Both R packages minimise the negative
log-likelihood ``1/2 sum (bx - g)^2/bxse^2 + 1/2 sum (by - theta g)^2/byse^2`` over all k + 1
parameters with ``optim`` (Nelder-Mead, ``maxit = 25000``, start ``g = bx``, theta = IVW), take
the SE of theta from the inverse Hessian, a normal p-value, and Q = 2 * minimum on k - 1 df.
MendelianRandomization (``mr_maxlik``, ``model = "default"``) multiplies the SE by
``max(1, sqrt(Q / (k - 1)))`` when k >= 4.

Nelder-Mead does not reach the optimum on real data: on the Waterworth lipids data R stops
1.6 % from the maximum-likelihood estimate (objective 1 % above the minimum), and on BMI -> CHD
it runs out of its 25,000 evaluations. To give the numbers R prints, the default optimiser
here, ``"nelder_mead"``, is a line-by-line port of R's ``nmmin`` (R's ``optim.c``; same
starting simplex, coefficients 1, 0.5, 2, ``reltol = sqrt(.Machine$double.eps)``, and R's long
double accumulation in ``sum``) run on the rows in the order given. Its result depends on the
row order and on which allele is coded as effect allele, exactly as R's does.
``optimizer="profile"`` instead finds the true maximum: the likelihood profiled over ``g`` is
``1/2 sum (by - theta bx)^2 / (byse^2 + theta^2 bxse^2)``, minimised in one dimension to machine
precision. In both cases the SE is the exact inverse-Hessian one (R's finite-difference
Hessian is exact up to rounding for this quadratic-in-each-parameter likelihood).

References
----------
Burgess S, Butterworth A, Thompson SG (2013). Mendelian randomization analysis with multiple
genetic variants using summarized data. Genet Epidemiol 37:658-665.
Nelder JA, Mead R (1965). A simplex method for function minimization. Comput J 7:308-313.
Nash JC (1990). Compact Numerical Methods for Computers, 2nd ed., Algorithm 19 (R's ``nmmin``).
"""
from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from ..errors import NotEstimable
from .conventions import result_row

__all__ = ["nelder_mead_r", "ml_objective", "mr_ml"]

_BIG = 1.0e35
_RELTOL = float(np.sqrt(np.finfo(float).eps))


def _rsum(values: np.ndarray) -> float:
    """R's ``sum`` of doubles: sequential accumulation in long double, rounded to double."""
    return float(np.cumsum(values.astype(np.longdouble))[-1])


def nelder_mead_r(fn, start: np.ndarray, *, maxit: int = 25000, reltol: float = _RELTOL,
                  abstol: float = -np.inf, alpha: float = 1.0, beta: float = 0.5,
                  gamma: float = 2.0) -> tuple[np.ndarray, float, int, int]:
    """R's ``optim(method = "Nelder-Mead")`` (``nmmin``), step for step.

    Returns ``(par, value, fncount, fail)`` with R's codes: fail 0 converged, 1 maxit reached,
    10 degenerate simplex.

    References
    ----------
    Nelder JA, Mead R (1965). Comput J 7:308-313. Nash JC (1990), Algorithm 19.
    """
    b = np.array(start, dtype=float)
    n = b.size
    n1 = n + 1
    f = fn(b)
    if not np.isfinite(f):
        raise NotEstimable("function cannot be evaluated at initial parameters")
    funcount = 1
    convtol = reltol * (abs(f) + reltol)
    # rows 1..n1 of buf are the simplex vertices; row 0 holds -P[H] for R's centroid sum order
    buf = np.empty((n1 + 1, n))
    P = buf[1:]
    F = np.empty(n1)
    P[:] = b
    F[0] = f
    step = float(np.max(0.1 * np.abs(b)))
    if step == 0.0:
        step = 0.1
    size = 0.0
    for j in range(1, n1):
        trystep = step
        while P[j, j - 1] == b[j - 1]:
            P[j, j - 1] = b[j - 1] + trystep
            trystep *= 10
        size += trystep
    oldsize = size
    L = 0
    calcvert = True
    fail = 0

    def evaluate(par):
        value = fn(par)
        return value if np.isfinite(value) else _BIG

    while True:
        if calcvert:
            for j in range(n1):
                if j != L:
                    F[j] = evaluate(P[j])
                    funcount += 1
            calcvert = False
        # R scans the vertices keeping the first strict improvement; the current L wins ties
        fl, fmin, fmax = F[L], F.min(), F.max()
        H = L if fl == fmax else int(np.argmax(F))
        if fl != fmin:
            L = int(np.argmin(F))
        VL, VH = F[L], F[H]
        if VH <= VL + convtol or VL <= abstol:
            break
        buf[0] = -P[H]
        centroid = np.add.reduce(buf, axis=0) / n  # sequential, as R's loop
        trial = (1.0 + alpha) * centroid - alpha * P[H]
        VR = evaluate(trial)
        funcount += 1
        if VR < VL:
            extended = gamma * trial + (1 - gamma) * centroid
            fe = evaluate(extended)
            funcount += 1
            if fe < VR:
                P[H], F[H] = extended, fe
            else:
                P[H], F[H] = trial, VR
        else:
            if VR < VH:
                P[H], F[H] = trial, VR
            contracted = (1 - beta) * P[H] + beta * centroid
            fc = evaluate(contracted)
            funcount += 1
            if fc < F[H]:
                P[H], F[H] = contracted, fc
            elif VR >= VH:
                calcvert = True
                size = 0.0
                for j in range(n1):
                    if j != L:
                        P[j] = beta * (P[j] - P[L]) + P[L]
                        for value in np.abs(P[j] - P[L]):  # R's double accumulation order
                            size += value
                if size < oldsize:
                    oldsize = size
                else:
                    fail = 10
                    break
        if funcount > maxit:
            break
    if funcount > maxit:
        fail = 1
    return P[L].copy(), float(F[L]), funcount, fail


def ml_objective(bx, bxse, by, byse):
    """The negative log-likelihood of (g_1..g_k, theta) exactly as the R packages write it."""
    k = bx.size
    sx2, sy2 = bxse ** 2, byse ** 2

    def fn(par: np.ndarray) -> float:
        g, theta = par[:k], par[k]
        return 0.5 * _rsum((bx - g) ** 2 / sx2) + 0.5 * _rsum((by - theta * g) ** 2 / sy2)

    return fn


def _theta_variance(bx, bxse, by, byse, g, theta) -> float:
    """[H^-1]_theta,theta of the joint likelihood at (g, theta), via the Schur complement."""
    h_gg = 1.0 / bxse ** 2 + theta ** 2 / byse ** 2
    h_gt = (2.0 * theta * g - by) / byse ** 2
    h_tt = np.sum(g ** 2 / byse ** 2)
    return float(1.0 / (h_tt - np.sum(h_gt ** 2 / h_gg)))


def _profile_optimum(bx, bxse, by, byse, start: float) -> float:
    def profile(theta):
        return 0.5 * np.sum((by - theta * bx) ** 2 / (byse ** 2 + theta ** 2 * bxse ** 2))

    scale = max(abs(start), 1.0) * 10.0
    grid = start + np.linspace(-scale, scale, 4001)
    values = 0.5 * np.sum((by - grid[:, None] * bx) ** 2
                          / (byse ** 2 + grid[:, None] ** 2 * bxse ** 2), axis=1)
    best = int(np.argmin(values))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    res = optimize.minimize_scalar(profile, bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-14 * max(1.0, abs(grid[best]))})
    return float(res.x)


def mr_ml(bx, bxse, by, byse, *, optimizer: str = "nelder_mead", scale_se: bool = False) -> dict:
    """Two-sample maximum-likelihood estimate with Hessian SE (normal p).

    Parameters
    ----------
    optimizer : {"nelder_mead", "profile"}
        ``nelder_mead`` reproduces R (depends on row order, may stop short of the optimum);
        ``profile`` gives the exact maximum-likelihood estimate.
    scale_se : bool
        MendelianRandomization's random-effects rule: SE * max(1, sqrt(Q / (k - 1))) when
        k >= 4 (fixed effect for k < 4).

    Returns
    -------
    dict
        Result row plus ``q``, ``q_df``, ``q_p``, ``optimizer``, ``converged``, ``fncount``.

    References
    ----------
    Burgess S, Butterworth A, Thompson SG (2013). Genet Epidemiol 37:658-665.
    """
    k = bx.size
    if k < 2:
        raise NotEstimable(f"maximum likelihood needs at least 2 SNPs, got {k}")
    fn = ml_objective(bx, bxse, by, byse)
    ivw = _rsum(bx * by / byse ** 2) / _rsum(bx ** 2 / byse ** 2)
    if optimizer == "nelder_mead":
        par, value, fncount, fail = nelder_mead_r(fn, np.append(bx, ivw))
        g, theta = par[:k], par[k]
        converged, note = fail == 0, ""
        if fail == 1:
            note = "Nelder-Mead reached maxit = 25000 before convergence (as R's optim)"
    elif optimizer == "profile":
        theta = _profile_optimum(bx, bxse, by, byse, ivw)
        g = (bx / bxse ** 2 + theta * by / byse ** 2) / (1.0 / bxse ** 2 + theta ** 2 / byse ** 2)
        value, fncount, converged, note = fn(np.append(g, theta)), 0, True, ""
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    var = _theta_variance(bx, bxse, by, byse, g, theta)
    se = np.sqrt(var) if var > 0 else np.nan
    q = 2.0 * value
    se_model = "hessian"
    if scale_se and k >= 4:
        se = se * max(1.0, np.sqrt(q / (k - 1)))
        se_model = "hessian_random_scaled"
    return result_row(theta, se, nsnp=k, se_model=se_model, weights="likelihood", note=note,
                      q=q, q_df=k - 1, q_p=float(stats.chi2.sf(q, k - 1)),
                      optimizer=optimizer, converged=bool(converged), fncount=int(fncount))
