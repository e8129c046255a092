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
packages do). All replicates are computed at once on ``(n_boot, k)`` arrays: one sort per row,
cumulative sums and a gather.

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

from ..errors import NotEstimable
from ..rng import make_rng, resolve_seed
from .conventions import result_row
from .distributions import chi2_sf
from .wald import ratio_se

__all__ = ["weighted_median", "median_weights", "penalised_weights", "bootstrap_median_se",
           "mr_simple_median", "mr_weighted_median", "mr_penalised_weighted_median"]

PENALTY_FACTOR = 20.0  # TwoSampleMR penk, MendelianRandomization's fixed 20


def weighted_median(ratio: np.ndarray, weights: np.ndarray) -> np.ndarray | float:
    """Interpolated weighted median of ``ratio`` (1-D, or row-wise for 2-D) with ``weights``.

    ``weights`` has the shape of ``ratio`` or of one row; it need not be normalised.
    Ties in ``ratio`` keep their input order (R's stable ``order``).
    """
    ratio = np.asarray(ratio, dtype=float)
    single = ratio.ndim == 1
    r2 = np.atleast_2d(ratio)
    w2 = np.broadcast_to(np.asarray(weights, dtype=float), r2.shape)
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
        est = np.where(ok, b0 + (b1 - b0) * (0.5 - c0) / (c1 - c0), np.nan)
    return float(est[0]) if single else est


def median_weights(bx, bxse, by, byse, kind: str) -> np.ndarray:
    """Ratio weights: ``simple`` (1/k), ``first_order`` ((bx/byse)^2) or ``second_order``."""
    if kind == "simple":
        return np.full(bx.size, 1.0 / bx.size)
    if kind == "first_order":
        return ratio_se(bx, bxse, by, byse, 1) ** -2
    if kind == "second_order":
        return 1.0 / (byse ** 2 / bx ** 2 + by ** 2 * bxse ** 2 / bx ** 4)
    raise ValueError(f"unknown median weights {kind!r}")


def penalised_weights(ratio: np.ndarray, weights: np.ndarray, centre: float) -> np.ndarray:
    """``w * min(1, 20 * P(chi2_1 > w (ratio - centre)^2))`` (Burgess et al. 2016)."""
    penalty = chi2_sf(weights * (ratio - centre) ** 2, 1)
    return weights * np.minimum(1.0, penalty * PENALTY_FACTOR)


def bootstrap_median_se(bx, bxse, by, byse, weights, n_boot: int,
                        rng: np.random.Generator) -> float:
    """SD (n - 1 denominator, as R's ``sd``) of the weighted median over parametric replicates."""
    k = bx.size
    zx = rng.standard_normal((n_boot, k))
    zy = rng.standard_normal((n_boot, k))
    ratio = (by + byse * zy) / (bx + bxse * zx)
    return float(np.std(weighted_median(ratio, weights), ddof=1))


def _median(bx, bxse, by, byse, weights, label, n_boot, seed, penalised_from=None) -> dict:
    k = bx.size
    if k < 3:
        raise NotEstimable(f"median estimators need at least 3 SNPs, got {k}")
    ratio = by / bx
    if penalised_from is not None:
        weights = penalised_weights(ratio, weights, weighted_median(ratio, weights))
    used = resolve_seed(seed)
    estimate = weighted_median(ratio, weights)
    se = bootstrap_median_se(bx, bxse, by, byse, weights, int(n_boot), make_rng(used))
    return result_row(estimate, se, nsnp=k, se_model="bootstrap", weights=label,
                      n_boot=int(n_boot), seed=used)


def mr_simple_median(bx, bxse, by, byse, *, n_boot: int = 1000, seed: int | None = None) -> dict:
    """Simple (unweighted) median of the ratio estimates, bootstrap SE, normal p.

    References
    ----------
    Bowden J, Davey Smith G, Haycock PC, Burgess S (2016). Genet Epidemiol 40:304-314.
    """
    return _median(bx, bxse, by, byse, median_weights(bx, bxse, by, byse, "simple"), "simple",
                   n_boot, seed)


def mr_weighted_median(bx, bxse, by, byse, *, weights: str = "second_order",
                       n_boot: int = 1000, seed: int | None = None) -> dict:
    """Weighted median with ``second_order`` (TwoSampleMR) or ``first_order`` weights.

    References
    ----------
    Bowden J, Davey Smith G, Haycock PC, Burgess S (2016). Genet Epidemiol 40:304-314.
    """
    return _median(bx, bxse, by, byse, median_weights(bx, bxse, by, byse, weights), weights,
                   n_boot, seed)


def mr_penalised_weighted_median(bx, bxse, by, byse, *, weights: str = "second_order",
                                 n_boot: int = 1000, seed: int | None = None) -> dict:
    """Penalised weighted median: weights penalised by heterogeneity with the weighted median.

    References
    ----------
    Burgess S, Bowden J, Dudbridge F, Thompson SG (2016). arXiv:1606.03729.
    """
    w = median_weights(bx, bxse, by, byse, weights)
    return _median(bx, bxse, by, byse, w, f"penalised_{weights}", n_boot, seed,
                   penalised_from=True)
