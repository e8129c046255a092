# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) weighted_median, mr_penalised_weighted_median, R/mr.R; MendelianRandomization
# 0.10.0 (GPL-2 | GPL-3) mr_median.
"""Simple, weighted and penalised weighted median estimators with parametric-bootstrap SEs.

The estimate is the interpolated weighted median of the ratio estimates by/bx used by both R
packages: sort the ratios, take the cumulative weights minus half the own weight, normalised
to sum 1, and interpolate linearly between the two ratios that straddle 0.5. The packages
differ in the weights of the weighted median: TwoSampleMR uses the inverse second-order
variance ``1 / (byse^2/bx^2 + by^2 bxse^2/bx^4)``, MendelianRandomization the first-order
``(bx/byse)^2``. The penalised weighted median down-weights variants whose ratio is
heterogeneous with the weighted median: ``w * min(1, 20 * P(chi2_1 > w (ratio - WM)^2))``.

The SE is the standard deviation of the estimate over ``n_boot`` parametric bootstrap
replicates ``bx* ~ N(bx, bxse)``, ``by* ~ N(by, byse)`` with the weights held fixed (as both R
packages do). Written over replicates (:mod:`mrkit.methods.replicates`): the draws of replicate r come
from its own generator (``bx*`` then ``by*``, each ``(n_boot, k)``), and every median of every draw of every
replicate is computed at once on ``(n_rep, n_boot, k)`` arrays: one sort per row, cumulative sums and a gather.

References
----------
Bowden J, Davey Smith G, Haycock PC, Burgess S (2016). Consistent estimation in Mendelian
randomization with some invalid instruments using a weighted median estimator. Genet Epidemiol
40:304-314.
Burgess S, Bowden J, Dudbridge F, Thompson SG (2016). Robust instrumental variable methods using
multiple candidate instruments with application to Mendelian randomization. arXiv:1606.03729.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError, NotEstimable
from .distributions import chi2_sf
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result, replicate_rngs, replicate_seeds
from .wald import ratio_se

__all__ = ["METHODS", "weighted_median", "median_weights", "penalised_weights", "bootstrap_median_se",
           "mr_simple_median", "mr_weighted_median", "mr_penalised_weighted_median"]

PENALTY_FACTOR = 20.0  # TwoSampleMR penk, MendelianRandomization's fixed 20
#: Rows of ratios sorted at once: blocks that stay in the CPU caches (one block of a million bootstrap rows was
#: 2.5 times slower); every row's median is computed on its own, so the block size changes nothing.
_ROWS_PER_BLOCK = 32768


def _weighted_median_2d(r2: np.ndarray, w2: np.ndarray) -> np.ndarray:
    order = np.argsort(r2, axis=1, kind="stable")
    b = np.take_along_axis(r2, order, axis=1)
    w = np.take_along_axis(w2, order, axis=1)
    cum = (np.cumsum(w, axis=1) - 0.5 * w) / w.sum(axis=1, keepdims=True)
    below = np.count_nonzero(cum < 0.5, axis=1) - 1
    ok = (below >= 0) & (below < r2.shape[1] - 1)
    i = np.clip(below, 0, r2.shape[1] - 2)[:, None]
    b0, b1 = np.take_along_axis(b, i, 1)[:, 0], np.take_along_axis(b, i + 1, 1)[:, 0]
    c0, c1 = np.take_along_axis(cum, i, 1)[:, 0], np.take_along_axis(cum, i + 1, 1)[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, b0 + (b1 - b0) * (0.5 - c0) / (c1 - c0), np.nan)


def weighted_median(ratio: np.ndarray, weights: np.ndarray) -> np.ndarray | float:
    """Interpolated weighted median of ``ratio`` along its last axis (any leading shape) with ``weights``.

    ``weights`` broadcasts to ``ratio`` and need not be normalised. Ties in ``ratio`` keep their input order
    (R's stable ``order``). Returns an array of the leading shape (a float for 1-D ``ratio``). Large inputs are
    sorted in blocks of rows (:data:`_ROWS_PER_BLOCK`), which changes no number.
    """
    ratio = np.asarray(ratio, dtype=float)
    weights = np.broadcast_to(np.asarray(weights, dtype=float), ratio.shape)
    k = ratio.shape[-1]
    if ratio.ndim == 1:
        return float(_weighted_median_2d(ratio[None, :], weights[None, :])[0])
    if ratio.size // k <= _ROWS_PER_BLOCK:
        return _weighted_median_2d(ratio.reshape(-1, k), weights.reshape(-1, k)).reshape(ratio.shape[:-1])
    per_first = ratio.size // k // ratio.shape[0]  # rows per index of the first axis
    step = max(1, _ROWS_PER_BLOCK // per_first)
    out = np.empty(ratio.shape[:-1])
    for start in range(0, ratio.shape[0], step):
        block = slice(start, start + step)
        out[block] = _weighted_median_2d(ratio[block].reshape(-1, k), weights[block].reshape(-1, k)
                                         ).reshape(out[block].shape)
    return out


def median_weights(bx, bxse, by, byse, kind: str) -> np.ndarray:
    """Ratio weights of the shape of ``bx``: ``simple`` (1/k), ``first_order`` ((bx/byse)^2) or ``second_order``
    (1 / (byse^2/bx^2 + by^2 bxse^2/bx^4)). Raises :class:`~mrkit.errors.InputError` for another ``kind``."""
    if kind == "simple":
        return np.full(np.shape(bx), 1.0 / np.shape(bx)[-1])
    if kind == "first_order":
        return ratio_se(bx, bxse, by, byse, 1) ** -2
    if kind == "second_order":
        return 1.0 / (byse ** 2 / bx ** 2 + by ** 2 * bxse ** 2 / bx ** 4)
    raise InputError(f"unknown median weights {kind!r}; choose second_order, first_order or simple",
                     column="weights")


def penalised_weights(ratio: np.ndarray, weights: np.ndarray, centre) -> np.ndarray:
    """``w * min(1, 20 * P(chi2_1 > w (ratio - centre)^2))`` (Burgess et al. 2016); ``centre`` broadcasts."""
    penalty = chi2_sf(weights * (ratio - centre) ** 2, 1)
    return weights * np.minimum(1.0, penalty * PENALTY_FACTOR)


def bootstrap_median_se(bx, bxse, by, byse, weights, n_boot: int, seed=None) -> np.ndarray:
    """SD (n - 1 denominator, as R's ``sd``) of the weighted median over parametric replicates, per replicate.

    ``(n_rep, k)`` arrays; replicate r draws ``bx*`` then ``by*`` (``(n_boot, k)`` standard normals each) from
    :func:`~mrkit.methods.replicates.replicate_rngs` ``(seed, n_rep)[r]``.
    """
    n_rep, k = bx.shape
    rngs = replicate_rngs(seed, n_rep)
    zx = np.empty((n_rep, n_boot, k))
    zy = np.empty((n_rep, n_boot, k))
    for r, g in enumerate(rngs):
        zx[r] = g.standard_normal((n_boot, k))
        zy[r] = g.standard_normal((n_boot, k))
    ratio = (by[:, None, :] + byse[:, None, :] * zy) / (bx[:, None, :] + bxse[:, None, :] * zx)
    return weighted_median(ratio, weights[:, None, :]).std(axis=1, ddof=1)


def _median(bx, bxse, by, byse, kind: str, label: str, n_boot: int, seed, penalised: bool = False) -> dict:
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse)
    n_rep, k = bx.shape
    if k < 3:
        raise NotEstimable(f"median estimators need at least 3 SNPs, got {k}")
    n_boot = int(n_boot)
    weights = median_weights(bx, bxse, by, byse, kind)
    ratio = by / bx
    if penalised:
        weights = penalised_weights(ratio, weights, weighted_median(ratio, weights)[:, None])
    estimate = weighted_median(ratio, weights)
    se = bootstrap_median_se(bx, bxse, by, byse, weights, n_boot, seed)
    return make_result(estimate, se, nsnp=k, se_model="bootstrap", weights=label, n_boot=n_boot,
                       seed=replicate_seeds(seed, n_rep))


def mr_simple_median(bx, bxse, by, byse, *, n_boot: int = 1000, seed=None) -> dict:
    """Simple (unweighted) median of the ratio estimates, bootstrap SE, normal p.

    ``(n_rep, k)`` or ``(k,)`` arrays in, :func:`~mrkit.methods.replicates.make_result` arrays ``(n_rep,)`` out;
    ``seed``: see :func:`~mrkit.methods.replicates.replicate_rngs`. Raises
    :class:`~mrkit.errors.NotEstimable` for fewer than 3 SNPs.

    References
    ----------
    Bowden J, Davey Smith G, Haycock PC, Burgess S (2016). Genet Epidemiol 40:304-314.
    """
    return _median(bx, bxse, by, byse, "simple", "simple", n_boot, seed)


def mr_weighted_median(bx, bxse, by, byse, *, weights: str = "second_order", n_boot: int = 1000,
                       seed=None) -> dict:
    """Weighted median with ``second_order`` (TwoSampleMR) or ``first_order`` (MendelianRandomization) weights;
    as :func:`mr_simple_median` otherwise.

    References
    ----------
    Bowden J, Davey Smith G, Haycock PC, Burgess S (2016). Genet Epidemiol 40:304-314.
    """
    return _median(bx, bxse, by, byse, weights, weights, n_boot, seed)


def mr_penalised_weighted_median(bx, bxse, by, byse, *, weights: str = "second_order", n_boot: int = 1000,
                                 seed=None) -> dict:
    """Penalised weighted median: weights penalised by heterogeneity with the weighted median (weights fixed
    in the bootstrap); as :func:`mr_simple_median` otherwise.

    References
    ----------
    Burgess S, Bowden J, Dudbridge F, Thompson SG (2016). arXiv:1606.03729.
    """
    return _median(bx, bxse, by, byse, weights, f"penalised_{weights}", n_boot, seed, penalised=True)


register("weighted_median", lambda data, ctx: mr_weighted_median(
    *data, weights=ctx.convention.median_weights, n_boot=ctx.n_boot, seed=ctx.seed),
    reference="TwoSampleMR mr_weighted_median; MendelianRandomization mr_median(weighting = weighted)")
register("simple_median", lambda data, ctx: mr_simple_median(*data, n_boot=ctx.n_boot, seed=ctx.seed),
         reference="TwoSampleMR mr_simple_median; MendelianRandomization mr_median(weighting = simple)")
register("penalised_weighted_median", lambda data, ctx: mr_penalised_weighted_median(
    *data, weights=ctx.convention.median_weights, n_boot=ctx.n_boot, seed=ctx.seed),
    reference="TwoSampleMR mr_penalised_weighted_median; MendelianRandomization mr_median(weighting = penalized)")

_MEDIAN = dict(family="majority valid",
               trades=("Needs only that more than half of the weight comes from valid variants; less precise than "
                       "IVW, and the bootstrap SE is Monte Carlo."),
               when="With suspected invalid variants, as the first robust check beside IVW.")
#: What the book's methods chapter says about these ids (:class:`~mrkit.methods.method_info.MethodInfo`).
METHODS = (
    MethodInfo(
        id="weighted_median", label="Weighted median", short_label="Weighted median",
        r_function="TwoSampleMR 0.7.9 mr_weighted_median (second-order weights); MendelianRandomization 0.10.0 "
                   "mr_median(weighting = 'weighted') (first-order)",
        idea=("The median of the ratio estimates, each weighted by its inverse variance. It stays consistent when "
              "up to half of the weight comes from invalid variants."),
        formula=r"\hat\beta_{WM} = \text{weighted median of } \hat\beta_{Yj}/\hat\beta_{Xj}\text{ with weights }"
                r" w_j \propto \mathrm{se}_j^{-2}", **_MEDIAN),
    MethodInfo(
        id="simple_median", label="Simple median", short_label="Simple median",
        r_function="TwoSampleMR 0.7.9 mr_simple_median; MendelianRandomization 0.10.0 mr_median(weighting = "
                   "'simple')",
        idea=("The median of the ratio estimates, every variant counted once. It stays consistent when fewer than "
              "half of the variants are invalid."),
        formula=r"\hat\beta_{SM} = \operatorname{median}_j\ \hat\beta_{Yj}/\hat\beta_{Xj}", **_MEDIAN),
    MethodInfo(
        id="penalised_weighted_median", label="Penalised weighted median", short_label="Penalised weighted median",
        r_function="TwoSampleMR 0.7.9 mr_penalised_weighted_median; MendelianRandomization 0.10.0 "
                   "mr_median(weighting = 'penalized')",
        idea=("The weighted median after down-weighting variants whose ratio disagrees with it (a chi-square "
              "penalty). Outliers lose their weight, so the majority that agrees decides."),
        formula=r"w_j^* = w_j \min\{1, 20\,P(\chi^2_1 > w_j(\hat\beta_j - \hat\beta_{WM})^2)\}", **_MEDIAN),
)
