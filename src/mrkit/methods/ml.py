# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from R's nmmin, src/appl/optim.c, R (GPL-2.0-or-later); TwoSampleMR 0.7.9 (MIT) mr_two_sample_ml;
# MendelianRandomization 0.10.0 (GPL-2 | GPL-3) mr_maxlik.
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
here, ``"nelder_mead"``, runs R's ``nmmin`` step for step (:mod:`mrkit.methods.nelder_mead`) on the rows in
the order given, one replicate after the other: its result depends on the row order and on which allele is
coded as effect allele, exactly as R's does. ``optimizer="profile"`` instead finds the true maximum
(:func:`ml_profile`): the likelihood profiled over ``g`` is ``1/2 sum (by - theta bx)^2 / (byse^2 + theta^2
bxse^2)``, minimised by a safeguarded Newton iteration, all replicates at once. In both cases the SE is the
exact inverse-Hessian one at the point reported (R's finite-difference Hessian is exact up to rounding for this
quadratic-in-each-parameter likelihood), computed as the Schur complement of the g block.

References
----------
Burgess S, Butterworth A, Thompson SG (2013). Mendelian randomization analysis with multiple
genetic variants using summarized data. Genet Epidemiol 37:658-665.
Nelder JA, Mead R (1965). A simplex method for function minimization. Comput J 7:308-313.
"""
from __future__ import annotations

import numpy as np

from ..errors import NotEstimable
from .distributions import chi2_sf
from .method_info import MethodInfo
from .nelder_mead import ml_nelder_mead, rsum
from .registry import register
from .replicates import as_batch, make_result, not_estimable

__all__ = ["METHODS", "QUIRKS", "ml_profile", "mr_ml", "theta_variance"]

_MAXIT_NOTE = "Nelder-Mead reached maxit = 25000 before convergence (as R's optim)"
#: R's ``optim`` default ``reltol`` (``sqrt(.Machine$double.eps)``).
_RELTOL = float(np.sqrt(np.finfo(float).eps))


def theta_variance(bx, bxse, by, byse, g, theta) -> np.ndarray:
    """[H^-1]_theta,theta of the joint likelihood at (g, theta) (Schur complement of the g block), per replicate:
    ``(n_rep, k)`` arrays and ``theta`` ``(n_rep,)`` in, ``(n_rep,)`` out."""
    t = theta[:, None]
    h_gg = 1.0 / bxse ** 2 + t ** 2 / byse ** 2
    h_gt = (2.0 * t * g - by) / byse ** 2
    h_tt = np.sum(g ** 2 / byse ** 2, axis=1)
    return 1.0 / (h_tt - np.sum(h_gt ** 2 / h_gg, axis=1))


def _profile(beta, bx, bxse, by, byse):
    """Profile objective f = 1/2 sum (by - b bx)^2 / (sy^2 + b^2 sx^2) and its two derivatives in b."""
    b = beta[:, None]
    a = by - b * bx
    d = byse ** 2 + b * b * bxse ** 2
    sx2 = bxse ** 2
    f = 0.5 * np.sum(a * a / d, axis=1)
    g = np.sum(-bx * a / d - b * sx2 * a * a / d ** 2, axis=1)
    h = np.sum(bx * bx / d + 4.0 * b * sx2 * bx * a / d ** 2 - sx2 * a * a / d ** 2
               + 4.0 * b * b * sx2 * sx2 * a * a / d ** 3, axis=1)
    return f, g, h


def ml_profile(bx, bxse, by, byse, *, max_iter: int = 200, tol: float = 1e-13) -> dict[str, np.ndarray]:
    """The maximum of the two-sample likelihood, per replicate: the minimiser of its profile over g.

    Minimising over g first gives the profile ``1/2 sum (by - b bx)^2 / (sy^2 + b^2 sx^2)``, whose minimiser is
    the joint optimum's theta; a Newton iteration from the IVW estimate (a gradient step where the curvature is
    not positive; steps halved until the objective does not rise) finds it to ``tol`` relative, all replicates
    at once. ``(n_rep, k)`` arrays in.

    Returns
    -------
    dict of numpy.ndarray, shape (n_rep,) (``g``: (n_rep, k))
        ``theta``, ``g`` (the profile's g at theta: ``(bx/sx^2 + theta by/sy^2) / (1/sx^2 + theta^2/sy^2)``),
        ``converged``.

    References
    ----------
    Burgess S, Butterworth A, Thompson SG (2013). Genet Epidemiol 37:658-665.
    """
    w = 1.0 / byse ** 2
    beta = np.sum(w * bx * by, axis=1) / np.sum(w * bx * bx, axis=1)
    f, g, h = _profile(beta, bx, bxse, by, byse)
    converged = np.zeros(beta.shape, dtype=bool)
    for _ in range(max_iter):
        active = ~converged
        if not active.any():
            break
        step = np.where(h > 0, -g / np.where(h > 0, h, 1.0), -g / np.sum(w * bx * bx, axis=1))
        step = np.where(active, step, 0.0)
        new = beta + step
        f_new, g_new, h_new = _profile(new, bx, bxse, by, byse)
        for _ in range(60):  # halve steps that increase the objective
            worse = active & (f_new > f + 1e-15 * np.abs(f))
            if not worse.any():
                break
            step = np.where(worse, step / 2.0, step)
            new = beta + step
            f_new, g_new, h_new = _profile(new, bx, bxse, by, byse)
        done = active & (np.abs(step) <= tol * np.maximum(1.0, np.abs(new)))
        beta, f, g, h = new, f_new, g_new, h_new
        converged |= done
    t = beta[:, None]
    gamma = (bx / bxse ** 2 + t * by / byse ** 2) / (1.0 / bxse ** 2 + t ** 2 / byse ** 2)
    return {"theta": beta, "g": gamma, "converged": converged}


def _hessian_se(bx, bxse, by, byse, g, theta, q, scale_se: bool) -> tuple[np.ndarray, str]:
    """The inverse-Hessian SE of theta at (g, theta), per replicate (NaN where the curvature is not positive),
    times ``max(1, sqrt(q / (k - 1)))`` when ``scale_se`` and k >= 4 (MendelianRandomization); and its label."""
    var = theta_variance(bx, bxse, by, byse, g, theta)
    with np.errstate(invalid="ignore"):
        se = np.where(var > 0, np.sqrt(np.where(var > 0, var, 1.0)), np.nan)
    k = bx.shape[1]
    if scale_se and k >= 4:
        return se * np.maximum(1.0, np.sqrt(q / (k - 1))), "hessian_random_scaled"
    return se, "hessian"


def _objective(bx, bxse, by, byse, g, theta) -> np.ndarray:
    """The negative log-likelihood at (g, theta) per replicate, R's long-double sums."""
    return 0.5 * rsum((bx - g) ** 2 / bxse ** 2) + 0.5 * rsum((by - theta[:, None] * g) ** 2 / byse ** 2)


def mr_ml(bx, bxse, by, byse, *, optimizer: str = "nelder_mead", scale_se: bool = False) -> dict:
    """Two-sample maximum-likelihood estimate with Hessian SE (normal p), per replicate.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
    optimizer : {"nelder_mead", "profile"}
        ``nelder_mead`` reproduces R (R's nmmin on each replicate, rows in the order given; may stop short of the
        optimum); ``profile`` gives the exact maximum-likelihood estimate (:func:`ml_profile`).
    scale_se : bool
        MendelianRandomization's random-effects rule: SE * max(1, sqrt(Q / (k - 1))) when
        k >= 4 (fixed effect for k < 4).

    Returns
    -------
    dict
        :func:`~mrkit.methods.replicates.make_result` arrays ``(n_rep,)`` plus ``q``, ``q_df``, ``q_p``,
        ``optimizer``, ``converged`` and ``fncount`` (R's count of objective evaluations; 0 for ``profile``), and
        ``estimate_converged``, ``se_converged``: the maximum of the likelihood (:func:`ml_profile`) and its SE
        by the same rule, beside R's Nelder-Mead point (equal to ``estimate``/``se`` for ``profile``). Where R's
        point has an objective above the minimum by more than R's ``reltol`` (its own convergence criterion), the
        note gives both (lipids data: R's Nelder-Mead stops at 3.2249, the maximum is at 3.1733).

    Raises
    ------
    NotEstimable
        Fewer than 2 SNPs. A replicate whose objective is not finite at the start is NaN, noted.

    References
    ----------
    Burgess S, Butterworth A, Thompson SG (2013). Genet Epidemiol 37:658-665.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse)
    n_rep, k = bx.shape
    if k < 2:
        raise NotEstimable(f"maximum likelihood needs at least 2 SNPs, got {k}")
    notes = np.full(n_rep, "", dtype=object)
    failed = np.zeros(n_rep, dtype=bool)
    if optimizer == "nelder_mead":
        ivw = rsum(bx * by / byse ** 2) / rsum(bx ** 2 / byse ** 2)
        g = np.empty((n_rep, k))
        theta, value = np.empty(n_rep), np.empty(n_rep)
        fncount, converged = np.zeros(n_rep, dtype=np.int64), np.zeros(n_rep, dtype=bool)
        for r in range(n_rep):
            try:
                par, value[r], fncount[r], fail = ml_nelder_mead(bx[r], bxse[r], by[r], byse[r],
                                                                 np.append(bx[r], ivw[r]))
            except NotEstimable as exc:
                failed[r], notes[r], par, value[r], fail = True, str(exc), np.full(k + 1, np.nan), np.nan, -1
            g[r], theta[r], converged[r] = par[:k], par[k], fail == 0
            if fail == 1:
                notes[r] = _MAXIT_NOTE
    elif optimizer == "profile":
        fit = ml_profile(bx, bxse, by, byse)
        theta, g, converged = fit["theta"], fit["g"], fit["converged"]
        value, fncount = _objective(bx, bxse, by, byse, g, theta), np.zeros(n_rep, dtype=np.int64)
        notes[~converged] = "the profile-likelihood Newton iteration did not converge in 200 steps"
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    se, se_model = _hessian_se(bx, bxse, by, byse, g, theta, 2.0 * value, scale_se)
    q = 2.0 * value
    if optimizer == "nelder_mead":
        best = ml_profile(bx, bxse, by, byse)
        value_c = _objective(bx, bxse, by, byse, best["g"], best["theta"])
        theta_c, se_c = best["theta"], _hessian_se(bx, bxse, by, byse, best["g"], best["theta"], 2.0 * value_c,
                                                   scale_se)[0]
        short = ~failed & best["converged"] & (value - value_c > _RELTOL * (np.abs(value_c) + _RELTOL))
        for r in np.flatnonzero(short):
            notes[r] = "; ".join(filter(None, (notes[r], (
                f"R's Nelder-Mead stops at {theta[r]:.5g}; the maximum of the likelihood is at {theta_c[r]:.5g} "
                "(estimate_converged)"))))
    else:
        theta_c, se_c = theta, se
    result = make_result(theta, se, nsnp=k, se_model=se_model, weights="likelihood", note=notes, q=q, q_df=k - 1,
                         q_p=chi2_sf(q, k - 1), optimizer=optimizer, converged=converged, fncount=fncount,
                         estimate_converged=np.asarray(theta_c, dtype=float),
                         se_converged=np.asarray(se_c, dtype=float))
    return not_estimable(result, failed, notes)


register("ml", lambda data, ctx: mr_ml(*data, optimizer=ctx.options.get("ml_optimizer", "nelder_mead"),
                                       scale_se=ctx.convention.ml_scaled),
         order="given", row_keys=("estimate_converged", "se_converged"),
         reference="TwoSampleMR mr_two_sample_ml; MendelianRandomization mr_maxlik")

#: What the book's methods chapter says about this id (:class:`~mrkit.methods.method_info.MethodInfo`).
METHODS = (
    MethodInfo(
        id="ml", label="Maximum likelihood", short_label="Maximum likelihood", family="none (all valid)",
        r_function="TwoSampleMR 0.7.9 mr_two_sample_ml; MendelianRandomization 0.10.0 mr_maxlik",
        idea=("A likelihood for both sets of associations, with the true variant-exposure effects as nuisance "
              "parameters, maximised jointly. Unlike IVW it accounts for the uncertainty in bx."),
        formula=r"\hat\beta_{ML} = \arg\min_\beta \tfrac12\sum_j \frac{(\hat\beta_{Yj} - \beta\hat\beta_{Xj})^2}"
                r"{\sigma_{Yj}^2 + \beta^2\sigma_{Xj}^2}",
        trades="Assumes every variant is valid (as IVW); no NOME assumption.",
        when="With weaker instruments, where IVW is diluted; read estimate_converged (the maximum) beside R's "
             "Nelder-Mead point.",
        extra_keys=("estimate_converged", "se_converged")),
)
#: R behaviours reproduced (the conventions page), by method id.
QUIRKS = {"ml": ("R's optim(Nelder-Mead) stops before the maximum (lipids: 3.2249 where the maximum is at 3.1733; "
                 "BMI -> CHD: maxit = 25000 reached); the row reproduces R's point and gives the maximum in "
                 "estimate_converged.",)}
