# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MendelianRandomization 0.10.0 (GPL-2 | GPL-3), R/mr_conmix-methods.R (mr_conmix),
# github.com/cran/MendelianRandomization tag 0.10.0.
"""Contamination mixture method (MR-ConMix): a profile likelihood in which each variant is valid or not.

Each ratio estimate ``ratio_j = by_j / bx_j`` (first-order SE ``s_j = byse_j / |bx_j|``) is either valid,
``N(theta, s_j^2)``, or invalid, ``N(0, psi^2 + s_j^2)``. For each theta on a grid the likelihood takes, variant by
variant, the larger of the two (the best assignment):

    l(theta) = sum_j max( -(theta - ratio_j)^2 / (2 s_j^2) - log sqrt(2 pi s_j^2),
                          -ratio_j^2 / (2 (psi^2 + s_j^2)) - log sqrt(2 pi (psi^2 + s_j^2)) ).

The estimate is the grid point of largest ``l`` (the first, as R's ``which.max``); the valid variants are those
assigned to the valid component there. With ``phi = max(1, sqrt(Q_valid / (n_valid - 1)))`` (1 when fewer than two
variants are valid; Q_valid = Cochran's Q of the valid ratios about their IVW mean), the confidence set is
``{theta : 2 l(theta) > 2 max l - chi2_{1, 1 - alpha} phi^2}``, possibly a union of intervals, and the p-value is
``P(chi2_1 > 2 (max l - l(0)) phi^2)`` with l(0) evaluated at exactly 0.

R's defaults: ``psi = 1.5 sd(ratio)`` (when psi <= 0), grid ``seq(min((by - 2 byse) / bx), max((by + 2 byse) / bx),
by = 0.01)``.

Quirks of R kept here (the conventions page lists them): the p-value multiplies the likelihood-ratio statistic by
``phi^2`` where the interval divides by it, so with phi > 1 the p-value is smaller (anti-conservative) while the
interval is wider; the estimate and the bounds are grid points, and a bound on the grid's edge means the set was
cut there (noted in the row).

Batches: ``(n_rep, k)`` inputs; the grid differs between replicates, so the function loops over replicates and
vectorises over the grid (in chunks of bounded memory).

References
----------
Burgess S, Foley CN, Allara E, Staley JR, Howson JMM (2020). A robust and efficient method for Mendelian
randomization with hundreds of genetic variants. Nat Commun 11:376.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .distributions import chi2_ppf, chi2_sf
from .grid_search import grid_intervals, grid_note, r_seq_by, union_note
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result

__all__ = ["METHODS", "QUIRKS", "mr_conmix"]

METHODS = (
    MethodInfo(
        id="conmix", label="Contamination mixture", short_label="ConMix", family="plurality valid",
        r_function="MendelianRandomization 0.10.0 mr_conmix(psi = 0, CIStep = 0.01)",
        idea=("Each variant's ratio estimate is modelled as coming either from the valid instruments, centred on "
              "the causal effect, or from a wide contamination distribution centred on zero. The likelihood, "
              "maximised over which variants are valid, peaks where the largest group of similar ratios sits."),
        formula=r"\ell(\theta) = \sum_j \max\{\log\phi(\hat\theta_j;\theta,s_j^2),\ "
                r"\log\phi(\hat\theta_j;0,\psi^2+s_j^2)\}",
        trades=("Gives up 'all or most variants valid' for plurality: the valid variants form the largest group "
                "with the same ratio estimate."),
        when=("Many variants, some of them pleiotropic in different directions; its interval can be a union of "
              "intervals, which flags several candidate effects."),
        extra_keys=("psi", "n_valid")),
)
#: R behaviours reproduced although they look unintended (for the conventions page), by method id.
QUIRKS = {"conmix": ("The p-value multiplies the likelihood-ratio statistic by phi^2 where the interval divides by "
                     "it: with phi > 1 the p-value is anti-conservative while the interval is widened.",
                     "Estimate and bounds are grid points (step 0.01); a bound on the grid's edge is a cut "
                     "interval.")}

_CHUNK = 1 << 20  # grid points x variants per block


def _profile(grid: np.ndarray, ratio: np.ndarray, se: np.ndarray, exc: np.ndarray) -> np.ndarray:
    """l(theta) on the grid (block-wise), as R sums ``c(lik.inc[valid == 1], lik.exc[valid == 0])``."""
    out = np.empty(grid.size)
    rows = max(1, _CHUNK // ratio.size)
    log_norm = np.log(np.sqrt(2 * np.pi * se ** 2))
    for start in range(0, grid.size, rows):
        g = grid[start:start + rows, None]
        inc = -(g - ratio) ** 2 / 2 / se ** 2 - log_norm
        out[start:start + rows] = np.sum(np.where(inc > exc, inc, exc), axis=1)
    return out


def _one(bx, bxse, by, byse, psi, grid_min, grid_max, step, alpha):
    ratio = by / bx
    se = np.abs(byse / bx)
    lo = np.min((by - 2 * byse) / bx) if grid_min is None else float(grid_min)
    hi = np.max((by + 2 * byse) / bx) if grid_max is None else float(grid_max)
    if psi is None or psi <= 0:
        psi = 1.5 * np.std(ratio, ddof=1)
    grid = r_seq_by(lo, hi, step)
    exc = -ratio ** 2 / 2 / (psi ** 2 + se ** 2) - np.log(np.sqrt(2 * np.pi * (psi ** 2 + se ** 2)))
    loglik = _profile(grid, ratio, se, exc)
    best = int(np.argmax(loglik))
    inc_best = -(grid[best] - ratio) ** 2 / 2 / se ** 2 - np.log(np.sqrt(2 * np.pi * se ** 2))
    valid = inc_best > exc
    n_valid = int(valid.sum())
    if n_valid < 1.5:
        phi = 1.0
    else:
        w = se[valid] ** -2.0
        centre = np.sum(ratio[valid] * w) / np.sum(w)
        phi = max(np.sqrt(np.sum((ratio[valid] - centre) ** 2 * w) / (n_valid - 1)), 1.0)
    inc0 = -ratio ** 2 / 2 / se ** 2 - np.log(np.sqrt(2 * np.pi * se ** 2))
    loglik0 = np.sum(np.where(inc0 > exc, inc0, exc))
    top = loglik[best]
    accepted = np.flatnonzero(2 * loglik > 2 * top - float(chi2_ppf(1 - alpha, 1)) * phi ** 2)
    lower, upper = grid_intervals(accepted, lo, step)
    p = float(chi2_sf(2 * (top - loglik0) * phi ** 2, 1))
    estimate = lo + step * best  # R: CIMin + CIStep * (which.max(loglik) - 1)
    note = "; ".join(n for n in (union_note(lower, upper, "confidence set"),
                                 grid_note(lower, upper, lo, grid[-1], "confidence set")) if n)
    return dict(estimate=estimate, ci_lower=lower.min(), ci_upper=upper.max(), p=p, psi=psi, phi=phi,
                n_valid=n_valid, valid=valid, grid_min=lo, grid_max=hi, ci_pieces=(lower, upper), note=note)


def mr_conmix(bx, bxse, by, byse, *, psi: float | None = None, grid_min: float | None = None,
              grid_max: float | None = None, grid_step: float = 0.01, alpha: float = 0.05
              ) -> dict[str, np.ndarray]:
    """Contamination mixture estimate, MendelianRandomization ``mr_conmix``.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k)
        Harmonised summary statistics (``bxse`` is not used: the method takes first-order ratio SEs).
    psi : float or None
        SD of the invalid ratio estimates; None or <= 0 gives R's default ``1.5 sd(ratio)``.
    grid_min, grid_max : float or None
        Grid range (R's ``CIMin``, ``CIMax``); None gives R's defaults ``min((by - 2 byse) / bx)`` and
        ``max((by + 2 byse) / bx)``.
    grid_step : float
        Grid step (R's ``CIStep``, 0.01).
    alpha : float
        1 - confidence level.

    Returns
    -------
    dict
        The contract's result: ``estimate``, ``se`` (NaN: R gives none), ``ci_lower, ci_upper`` (the outer bounds
        of the confidence set), ``p``, ``psi``, ``phi``, ``n_valid``, ``grid_min``, ``grid_max`` (n_rep,);
        ``valid`` (n_rep, k) boolean; ``ci_pieces`` (n_rep,) objects, each the (lower, upper) arrays of the set's
        intervals; ``note`` (n_rep,): a union of intervals, a bound on the grid's edge.

    Raises
    ------
    mrkit.errors.InputError
        Bad input (non-finite, SE <= 0, bx == 0), a step <= 0, alpha outside (0, 1) or a grid with no points.
    mrkit.errors.NotEstimable
        Fewer than 2 variants.

    References
    ----------
    Burgess S, Foley CN, Allara E, Staley JR, Howson JMM (2020). Nat Commun 11:376.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=2, method="ConMix")
    if not grid_step > 0:
        raise InputError(f"grid step must be > 0, got {grid_step!r}", column="grid_step")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must lie in (0, 1), got {alpha!r}", column="alpha")
    rows = []
    for r in range(bx.shape[0]):
        try:
            rows.append(_one(bx[r], bxse[r], by[r], byse[r], psi, grid_min, grid_max, grid_step, alpha))
        except ValueError as exc:
            raise InputError(f"ConMix grid: {exc}", row=r, column="grid") from None
    n_rep = bx.shape[0]
    extra = {key: np.array([row[key] for row in rows]) for key in ("psi", "phi", "n_valid", "grid_min", "grid_max")}
    pieces = np.empty(n_rep, dtype=object)
    pieces[:] = [row["ci_pieces"] for row in rows]
    out = make_result(np.array([row["estimate"] for row in rows]), np.full(n_rep, np.nan), nsnp=bx.shape[1],
                      se_model="none (profile likelihood set)", weights="first_order",
                      note=np.array([row["note"] for row in rows], dtype=object),
                      valid=np.array([row["valid"] for row in rows]), ci_pieces=pieces, **extra)
    for key in ("ci_lower", "ci_upper", "p"):
        out[key] = np.array([row[key] for row in rows])
    out["distribution"] = "chi2(1) of the likelihood ratio x phi^2"
    out["ci_distribution"] = "profile likelihood on the grid"
    return out


register("conmix", lambda data, ctx: mr_conmix(*data), row_keys=METHODS[0].extra_keys,
         reference=METHODS[0].r_function)
