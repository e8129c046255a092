# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MendelianRandomization 0.10.0 (GPL-2 | GPL-3), R/mr_hetpen-methods.R (mr_hetpen, het.weight,
# model.prior), github.com/cran/MendelianRandomization tag 0.10.0.
"""Heterogeneity-penalised model averaging (MR-HetPen): a mode over all subsets of variants.

For every subset S of the J variants with at least two members (R enumerates all 2^J - 1 subsets; single
variants get weight 0 because R never sets their weight), with ratio estimates ``theta_j = by_j / bx_j`` and
first-order SEs ``s_j = byse_j / |bx_j|``:

* the IVW estimate ``est_S = sum_S theta_j s_j^-2 / sum_S s_j^-2``;
* its SE ``psi_S / sqrt(sum_S s_j^-2)`` with ``psi_S = max(1, sqrt(Q_S / (|S| - 1)))``, ``Q_S = sum_S (theta_j -
  est_S)^2 / s_j^2`` (Cochran's Q of the subset);
* the weight ``exp(-(sum_S log s_j + Q_S / 2)) prior^|S| (1 - prior)^(J - |S|)``: the likelihood of the subset's
  ratios under a common effect, times the prior probability that exactly these variants are valid.

The weights are normalised; the estimate is the grid point where the mixture density
``sum_S w_S phi(theta; est_S, se_S)`` is highest, and the confidence set is the grid points with
``2 log density > 2 max log density - chi2_{1, 1 - alpha}``, possibly a union of intervals.

R's defaults: ``prior = 0.5``, grid ``seq(-1, 1, by = 0.001)``.

Quirk of R kept here: the default grid (-1 to 1) is narrow; an effect outside it is cut to the grid's edge (the
calcium -> fasting glucose example: R reports 1, the wide grid -5 to 8 gives 2.219). The row's note says when
the estimate or a bound lies on the grid's edge. Variants: the enumeration is 2^J subsets, so the method runs
for J <= :data:`MAX_VARIANTS` only (R refuses J > 30 and warns above 25); beyond that it raises
:class:`~mrkit.errors.NotEstimable` with the reason.

Computation: subsets are enumerated as bit masks in blocks; mixture components whose weight / SE is below
``1e-16`` of the largest are dropped from the density (their total contribution is below 1e-10 of its maximum),
which changes no grid decision beyond that relative precision.

References
----------
Burgess S, Zuber V, Gkatzionis A, Foley CN (2018). Modal-based estimation via heterogeneity-penalized weighting:
model averaging for consistent and efficient estimation in Mendelian randomization when a plurality of candidate
instruments are valid. Int J Epidemiol 47:1242-1254.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError, NotEstimable
from .distributions import chi2_ppf
from .grid_search import grid_intervals, grid_note, r_seq_by, union_note
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result

__all__ = ["METHODS", "QUIRKS", "MAX_VARIANTS", "mr_hetpen", "subset_mixture"]

#: The largest number of variants the enumeration of 2^J subsets is run for.
MAX_VARIANTS = 20

METHODS = (
    MethodInfo(
        id="hetpen", label="Heterogeneity-penalized model averaging", short_label="HetPen",
        family="plurality valid",
        r_function="MendelianRandomization 0.10.0 mr_hetpen(prior = 0.5, CIMin = -1, CIMax = 1, CIStep = 0.001)",
        idea=("Every subset of variants gives an IVW estimate, weighted by how homogeneous its ratio estimates are "
              "and by the prior probability that exactly those variants are valid. The estimate is the mode of the "
              "weighted mixture of the subsets' estimates."),
        formula=r"\hat\beta = \arg\max_\theta \sum_{S} w_S\,\phi(\theta;\hat\beta_S,s_S),\quad "
                r"w_S \propto \pi^{|S|}(1-\pi)^{J-|S|}\prod_{j\in S}s_j^{-1}e^{-Q_S/2}",
        trades="Gives up 'majority valid' for plurality: the largest homogeneous group of variants is valid.",
        when=("Few variants (J <= 20: it enumerates every subset), several of them possibly invalid; widen the "
              "grid when the effect may lie outside -1...1."),
        extra_keys=("grid_min", "grid_max")),
)
#: R behaviours reproduced although they look unintended (for the conventions page), by method id.
QUIRKS = {"hetpen": ("The default grid -1...1 cuts larger effects at its edge (calcium -> fasting glucose: 1, where "
                     "-5...8 gives 2.219).",
                     "Single-variant subsets get weight 0 (R never sets their weight).")}

_BLOCK = 1 << 16  # subsets per block


def subset_mixture(ratio: np.ndarray, se: np.ndarray, prior: float):
    """R's ``het.weight``: (normalised weight, estimate, SE) of every subset with >= 2 variants, as three arrays."""
    j = ratio.size
    bits = np.arange(j)
    w_inv = se ** -2.0
    log_se = np.log(se)
    weights, ests, ses = [], [], []
    n_masks = (1 << j) - 1
    log_prior, log_rest = np.log(prior), np.log1p(-prior)
    for start in range(1, n_masks + 1, _BLOCK):
        masks = np.arange(start, min(start + _BLOCK, n_masks + 1), dtype=np.int64)
        inc = ((masks[:, None] >> bits) & 1).astype(float)
        size = inc.sum(axis=1)
        keep = size >= 2  # single variants: weight 0 in R
        inc, size = inc[keep], size[keep]
        recip = inc @ w_inv
        est = (inc @ (ratio * w_inv)) / recip
        q = np.sum(inc * (ratio[None, :] - est[:, None]) ** 2 * w_inv[None, :], axis=1)
        psi = np.maximum(np.sqrt(q / (size - 1)), 1.0)
        log_w = -(inc @ log_se + 0.5 * q) + size * log_prior + (j - size) * log_rest
        weights.append(log_w)
        ests.append(est)
        ses.append(psi / np.sqrt(recip))
    log_w = np.concatenate(weights)
    w = np.exp(log_w - log_w.max())
    return w / w.sum(), np.concatenate(ests), np.concatenate(ses)


def _density(grid, w, est, se, *, window: float = 9.0, chunk: int = 64):
    """sum_S w_S phi(grid; est_S, se_S), without the negligible terms.

    Dropped: components whose peak ``w / se`` is below 1e-16 of the largest, and each component's value more than
    ``window`` SEs from its estimate (``exp(-window^2 / 2)`` = 2.6e-18 of its peak). Both together change the density
    by less than about 1e-10 of its maximum. Components are grouped by SE (octaves) and sorted by estimate, so each
    block of ``chunk`` grid points visits only the components within reach.
    """
    peak = w / se
    keep = peak >= 1e-16 * peak.max()
    w, est, se = w[keep], est[keep], se[keep]
    out = np.zeros(grid.size)
    octave = np.floor(np.log2(se)).astype(int)
    for level in np.unique(octave):
        sel = octave == level
        order = np.argsort(est[sel], kind="stable")
        e, s, a = est[sel][order], se[sel][order], (w[sel] / se[sel])[order]
        reach = window * s.max()
        for start in range(0, grid.size, chunk):
            g = grid[start:start + chunk]
            lo, hi = np.searchsorted(e, [g[0] - reach, g[-1] + reach], side="left")
            if hi > lo:
                z = (g[None, :] - e[lo:hi, None]) / s[lo:hi, None]
                out[start:start + chunk] += a[lo:hi] @ np.exp(-0.5 * z * z)
    return out / np.sqrt(2 * np.pi)


def mr_hetpen(bx, bxse, by, byse, *, prior: float = 0.5, grid_min: float = -1.0, grid_max: float = 1.0,
              grid_step: float = 0.001, alpha: float = 0.05) -> dict[str, np.ndarray]:
    """Heterogeneity-penalised model-averaging estimate, MendelianRandomization ``mr_hetpen``.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k), 2 <= k <= :data:`MAX_VARIANTS`
    prior : float
        Prior probability that a variant is valid (R's ``prior``, 0.5).
    grid_min, grid_max, grid_step : float
        The grid (R's ``CIMin = -1``, ``CIMax = 1``, ``CIStep = 0.001``).
    alpha : float
        1 - confidence level.

    Returns
    -------
    dict
        The contract's result: ``estimate``; ``se`` and ``p`` NaN (R gives none); ``ci_lower``, ``ci_upper`` (outer
        bounds of the confidence set); ``grid_min``, ``grid_max`` (n_rep,); ``ci_pieces`` (n_rep,) objects, the
        (lower, upper) arrays of the set's intervals; ``note`` (n_rep,).

    Raises
    ------
    mrkit.errors.NotEstimable
        Fewer than 2 or more than :data:`MAX_VARIANTS` variants (2^k subsets).
    mrkit.errors.InputError
        Bad input, prior outside (0, 1), or a bad grid.

    References
    ----------
    Burgess S, Zuber V, Gkatzionis A, Foley CN (2018). Int J Epidemiol 47:1242-1254.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=2, method="HetPen")
    n_rep, k = bx.shape
    if k > MAX_VARIANTS:
        raise NotEstimable(f"HetPen enumerates all 2^J - 1 subsets of variants; J = {k} > {MAX_VARIANTS}, so it "
                           "is not run (R refuses J > 30)")
    if not 0 < prior < 1:
        raise InputError(f"prior must lie in (0, 1), got {prior!r}", column="prior")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must lie in (0, 1), got {alpha!r}", column="alpha")
    try:
        grid = r_seq_by(grid_min, grid_max, grid_step)
    except ValueError as exc:
        raise InputError(f"HetPen grid: {exc}", column="grid") from None
    crit = float(chi2_ppf(1 - alpha, 1))
    est, lo, hi, pieces, notes = [], [], [], [], []
    for r in range(n_rep):
        w, e, s = subset_mixture(by[r] / bx[r], np.abs(byse[r] / bx[r]), prior)
        with np.errstate(divide="ignore"):
            loglik = np.log(_density(grid, w, e, s))
        best = int(np.argmax(loglik))
        lower, upper = grid_intervals(np.flatnonzero(2 * loglik > 2 * loglik[best] - crit), grid_min, grid_step)
        estimate = grid_min + grid_step * best  # R: CIMin + CIStep * (which.max - 1)
        note = [union_note(lower, upper, "confidence set"),
                grid_note(lower, upper, grid_min, grid[-1], "confidence set")]
        if best in (0, grid.size - 1):
            note.insert(0, f"estimate on the grid's edge {estimate:.6g}: the grid {grid_min:g}...{grid_max:g} cuts "
                           "it (R's default grid is -1...1); widen it: grid_min/grid_max, mrkit estimate "
                           "--hetpen-grid MIN MAX")
        est.append(estimate)
        lo.append(lower.min())
        hi.append(upper.max())
        pieces.append((lower, upper))
        notes.append("; ".join(n for n in note if n))
    sets = np.empty(n_rep, dtype=object)
    sets[:] = pieces
    out = make_result(np.array(est), np.full(n_rep, np.nan), nsnp=k, se_model="none (mixture likelihood set)",
                      weights="heterogeneity_penalised", note=np.array(notes, dtype=object),
                      grid_min=np.full(n_rep, float(grid_min)), grid_max=np.full(n_rep, float(grid_max)),
                      grid_step=float(grid_step), prior=float(prior), ci_pieces=sets)
    out["ci_lower"], out["ci_upper"] = np.array(lo), np.array(hi)
    out["distribution"], out["ci_distribution"] = "none", "mixture likelihood on the grid"
    return out


register("hetpen", lambda data, ctx: mr_hetpen(*data, grid_min=ctx.options.get("hetpen_grid_min", -1.0),
                                                grid_max=ctx.options.get("hetpen_grid_max", 1.0)),
         row_keys=METHODS[0].extra_keys, reference=METHODS[0].r_function)
