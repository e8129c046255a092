"""Median- and mode-based estimators on many replicates at once, with vectorised bootstraps
(see :mod:`mrkit.methods.batch`)."""
from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...rng import make_rng, resolve_seed
from ..density import density_mode
from ..median import median_weights as _median_weights
from ..median import penalised_weights
from ..median import weighted_median as _weighted_median
from ..mode import mbe_bandwidth, r_mad
from .common import as_batch, normal_summary

__all__ = ["weighted_median_rows", "median_weights", "simple_median", "weighted_median",
           "penalised_weighted_median", "mode"]


# ---------------------------------------------------------------------------------------------
# medians
# ---------------------------------------------------------------------------------------------
def weighted_median_rows(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """:func:`mrkit.methods.median.weighted_median` along the last axis for any leading shape."""
    values = np.asarray(values, dtype=float)
    weights = np.broadcast_to(np.asarray(weights, dtype=float), values.shape)
    k = values.shape[-1]
    flat = _weighted_median(values.reshape(-1, k), weights.reshape(-1, k))
    return np.asarray(flat).reshape(values.shape[:-1])


def median_weights(bx, bxse, by, byse, kind: str = "second_order") -> np.ndarray:
    """Ratio weights per replicate and SNP: ``second_order`` (TwoSampleMR), ``first_order``
    (MendelianRandomization) or ``simple`` (1/k), as :func:`mrkit.methods.median.median_weights`."""
    if kind not in ("second_order", "first_order", "simple"):
        raise InputError(f"unknown median weights {kind!r}; choose second_order, first_order or "
                         "simple", column="weights")
    if kind == "simple":
        return np.full(bx.shape, 1.0 / bx.shape[-1])
    return _median_weights(bx, bxse, by, byse, kind)


def _boot_normals(seed: int, n_rep: int, n_boot: int, k: int, n_sets: int
                  ) -> list[np.ndarray]:
    """``n_sets`` independent standard-normal arrays of shape (n_rep, n_boot, k) from ``seed``."""
    rng = make_rng(seed)
    return [rng.standard_normal((n_rep, n_boot, k)) for _ in range(n_sets)]


def _median_bootstrap_se(bx, bxse, by, byse, weights, n_boot: int, seed: int) -> np.ndarray:
    """SD (ddof 1, as R's ``sd``) of the bootstrap weighted medians, per replicate."""
    n_rep, k = bx.shape
    zx, zy = _boot_normals(seed, n_rep, n_boot, k, 2)
    ratio = (by[:, None, :] + byse[:, None, :] * zy) / (bx[:, None, :] + bxse[:, None, :] * zx)
    med = weighted_median_rows(ratio, weights[:, None, :])
    return med.std(axis=1, ddof=1)


def _median_result(est, se, n_boot, seed) -> dict[str, np.ndarray]:
    out = normal_summary(est, se)
    out["n_boot"], out["seed"] = n_boot, seed
    return out


def simple_median(bx, bxse, by, byse, *, n_boot: int = 1000, seed: int | None = None
                  ) -> dict[str, np.ndarray]:
    """Simple (unweighted) median of the ratio estimates, bootstrap SE, normal p.

    References
    ----------
    Bowden J, Davey Smith G, Haycock PC, Burgess S (2016). Genet Epidemiol 40:304-314.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    w = median_weights(bx, bxse, by, byse, "simple")
    used = resolve_seed(seed)
    est = weighted_median_rows(by / bx, w)
    return _median_result(est, _median_bootstrap_se(bx, bxse, by, byse, w, n_boot, used),
                          n_boot, used)


def weighted_median(bx, bxse, by, byse, *, weights: str = "second_order", n_boot: int = 1000,
                    seed: int | None = None) -> dict[str, np.ndarray]:
    """Weighted median of the ratio estimates for every replicate, bootstrap SE, normal p.

    Parameters
    ----------
    weights : {"second_order", "first_order"}
        TwoSampleMR (second order) or MendelianRandomization (first order) weights.
    n_boot : int
        Bootstrap draws per replicate (TwoSampleMR 1000).
    seed : int, optional
        Seed of the bootstrap (:data:`mrkit.rng.DEFAULT_SEED` when None), returned as ``seed``.

    References
    ----------
    Bowden J, Davey Smith G, Haycock PC, Burgess S (2016). Genet Epidemiol 40:304-314.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    w = median_weights(bx, bxse, by, byse, weights)
    used = resolve_seed(seed)
    est = weighted_median_rows(by / bx, w)
    return _median_result(est, _median_bootstrap_se(bx, bxse, by, byse, w, n_boot, used),
                          n_boot, used)


def penalised_weighted_median(bx, bxse, by, byse, *, weights: str = "second_order",
                              n_boot: int = 1000, seed: int | None = None
                              ) -> dict[str, np.ndarray]:
    """Penalised weighted median: weights times min(1, 20 P(chi2_1 > w (ratio - WM)^2))
    (:func:`mrkit.methods.median.penalised_weights`), as TwoSampleMR ``mr_penalised_weighted_median``.

    References
    ----------
    Burgess S, Bowden J, Fall T, Ingelsson E, Thompson SG (2017). Sensitivity analyses for robust
    causal inference from Mendelian randomization analyses with multiple genetic variants.
    Epidemiology 28:30-42.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    w = median_weights(bx, bxse, by, byse, weights)
    ratio = by / bx
    wm = weighted_median_rows(ratio, w)
    pw = penalised_weights(ratio, w, wm[:, None])
    used = resolve_seed(seed)
    est = weighted_median_rows(ratio, pw)
    return _median_result(est, _median_bootstrap_se(bx, bxse, by, byse, pw, n_boot, used),
                          n_boot, used)


# ---------------------------------------------------------------------------------------------
# mode-based estimate
# ---------------------------------------------------------------------------------------------
def _mode_rows(ratio: np.ndarray, weights: np.ndarray, phi: float) -> np.ndarray:
    """TwoSampleMR ``mr_mode``'s inner ``beta()`` on rows of any leading shape: the bandwidth
    :func:`mrkit.methods.mode.mbe_bandwidth` and the argmax of R's density with normalised weights."""
    shape = ratio.shape
    k = shape[-1]
    x = ratio.reshape(-1, k)
    w = np.broadcast_to(weights, shape).reshape(-1, k)
    w = w / w.sum(axis=1, keepdims=True)
    return np.asarray(density_mode(x, w, bw=mbe_bandwidth(x, phi))).reshape(shape[:-1])


def mode(bx, bxse, by, byse, *, weighted: bool = True, phi: float = 1.0, n_boot: int = 1000,
         seed: int | None = None, t_dist: bool = True) -> dict[str, np.ndarray]:
    """Mode-based estimate (MBE) for every replicate, as TwoSampleMR ``mr_mode``.

    The estimate is the argmax of R's ``density()`` of the ratio estimates (weights
    se^-2/sum(se^-2) with second-order se when ``weighted``, equal weights otherwise; bandwidth
    ``max(1e-8, phi * 0.9 min(sd, mad) / k^(1/5))``). The SE is the MAD of ``n_boot`` modes of
    ratios drawn from N(ratio, se) with the weights held fixed; p from t(k-1) when ``t_dist``
    (TwoSampleMR; MendelianRandomization: normal); the CI is normal in both packages.

    References
    ----------
    Hartwig FP, Davey Smith G, Bowden J (2017). Int J Epidemiol 46:1985-1998.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    n_rep, k = bx.shape
    ratio = by / bx
    se = np.sqrt(byse ** 2 / bx ** 2 + by ** 2 * bxse ** 2 / bx ** 4)
    w = se ** -2 if weighted else np.ones_like(se)
    est = _mode_rows(ratio, w, phi)
    used = resolve_seed(seed)
    (z,) = _boot_normals(used, n_rep, n_boot, k, 1)
    boot = _mode_rows(ratio[:, None, :] + se[:, None, :] * z, w[:, None, :], phi)
    out = normal_summary(est, r_mad(boot), k - 1 if t_dist else None, ci_df=None)
    out["n_boot"], out["seed"] = n_boot, used
    return out
