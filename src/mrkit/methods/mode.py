# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) mr_mode, R/mr_mode.R; MendelianRandomization 0.10.0 (GPL-2 | GPL-3) mr_mbe.
"""Mode-based estimate (MBE): the mode of the smoothed distribution of ratio estimates.

The simple and weighted MBE of Hartwig et al. (2017), as TwoSampleMR's ``mr_mode`` and
MendelianRandomization's ``mr_mbe`` compute them (their defaults coincide, phi = 1, "not
assuming NOME"):

* ratios ``by/bx`` with second-order (delta) SEs ``se_j``;
* bandwidth ``h = max(1e-8, phi * 0.9 * min(sd, mad) / k^(1/5))`` (Bickel's modified Silverman
  rule; R's ``sd`` and ``mad`` with constant 1.4826);
* weights ``se_j^-2 / sum(se^-2)`` (weighted) or 1/k (simple);
* the estimate is the argmax of R's ``density()`` (:mod:`mrkit.methods.density`) on its 512-point grid;
* the SE is the median absolute deviation (R ``mad``) of the estimate over ``n_boot`` draws of
  ``ratio* ~ N(ratio, se)``, the weights fixed at their observed values.

TwoSampleMR takes the p-value from t(k - 1) but its CI from the normal quantile (mr_mode.R;
they can disagree, issue #558); MendelianRandomization uses the normal for both. Written over replicates
(:mod:`mrkit.methods.replicates`): replicate r draws its ``(n_boot, k)`` normals from its own generator, and the
densities of every draw of every replicate are evaluated together by :func:`mrkit.methods.density.density_modes`.

References
----------
Hartwig FP, Davey Smith G, Bowden J (2017). Robust inference in summary data Mendelian
randomization via the zero modal pleiotropy assumption. Int J Epidemiol 46:1985-1998.
Bickel DR, Fruhwirth R (2006). On a fast, robust estimator of the mode. Comput Stat Data Anal
50:3500-3530.
"""
from __future__ import annotations

import numpy as np

from ..errors import NotEstimable
from .density import density_mode, density_modes
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result, replicate_rngs, replicate_seeds
from .wald import ratio_se

__all__ = ["METHODS", "QUIRKS", "r_mad", "mbe_bandwidth", "mode_estimate", "mr_mode", "MODE_KINDS"]

MAD_CONSTANT = 1.4826
#: Method id of each kind of mode-based estimate.
MODE_KINDS = {"simple": "simple_mode", "weighted": "weighted_mode"}


def r_mad(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """R's ``mad``: 1.4826 * median(|x - median(x)|), along ``axis``."""
    med = np.median(x, axis=axis, keepdims=True)
    return MAD_CONSTANT * np.median(np.abs(x - med), axis=axis)


def mbe_bandwidth(ratio: np.ndarray, phi: float = 1.0) -> np.ndarray:
    """``max(1e-8, phi * 0.9 * min(sd, mad) / k^(1/5))`` row-wise (Hartwig et al. 2017)."""
    ratio = np.asarray(ratio, dtype=float)
    k = ratio.shape[-1]
    s = 0.9 * np.minimum(np.std(ratio, axis=-1, ddof=1), r_mad(ratio)) / k ** 0.2
    return np.maximum(1e-8, s * phi)


def mode_estimate(ratio: np.ndarray, weights: np.ndarray | None = None, phi: float = 1.0):
    """MBE of ``ratio`` (1-D or row-wise 2-D) with normalised ``weights`` (None = simple)."""
    ratio = np.asarray(ratio, dtype=float)
    w = np.full(ratio.shape[-1], 1.0 / ratio.shape[-1]) if weights is None else weights
    return density_mode(ratio, w, bw=mbe_bandwidth(ratio, phi))


def mr_mode(bx, bxse, by, byse, *, kinds=("simple", "weighted"), n_boot: int = 1000, seed=None,
            t_dist: bool = True, phi: float = 1.0, se_order: int = 2) -> dict[str, dict]:
    """Simple and/or weighted mode-based estimates sharing one set of bootstrap draws per replicate.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
    kinds : sequence of {"simple", "weighted"}
    n_boot, seed : int, int or array
        Draws per replicate; replicate r draws from :func:`~mrkit.methods.replicates.replicate_rngs`.
    t_dist : bool
        p-value from t(k - 1) (TwoSampleMR); the CI is normal either way.
    se_order : {2, 1}
        Ratio SEs for the weights and the bootstrap draws: second order (default, "not assuming NOME") or first
        order ``byse/|bx|``, the NOME versions (TwoSampleMR ``mr_simple_mode_nome``/``mr_weighted_mode_nome``,
        MendelianRandomization ``mr_mbe(stderror = "simple")``; :mod:`mrkit.methods.mode_nome`).

    Returns
    -------
    dict
        ``{"simple_mode": result, "weighted_mode": result}`` for the requested kinds, each
        :func:`~mrkit.methods.replicates.make_result` arrays ``(n_rep,)``.

    Raises
    ------
    NotEstimable
        Fewer than 3 SNPs.

    References
    ----------
    Hartwig FP, Davey Smith G, Bowden J (2017). Int J Epidemiol 46:1985-1998.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse)
    n_rep, k = bx.shape
    if k < 3:
        raise NotEstimable(f"mode-based estimates need at least 3 SNPs, got {k}")
    n_boot = int(n_boot)
    ratio = by / bx
    se = ratio_se(bx, bxse, by, byse, se_order)
    z = np.empty((n_rep, n_boot, k))
    for r, g in enumerate(replicate_rngs(seed, n_rep)):
        z[r] = g.standard_normal((n_boot, k))
    draws = (ratio[:, None, :] + se[:, None, :] * z).reshape(n_rep * n_boot, k)
    weights = {"simple": None, "weighted": se ** -2 / np.sum(se ** -2, axis=1, keepdims=True)}
    boot_weights = [None if weights[kind] is None else
                    np.broadcast_to(weights[kind][:, None, :], (n_rep, n_boot, k)).reshape(n_rep * n_boot, k)
                    for kind in kinds]
    boots = density_modes(draws, boot_weights, bw=mbe_bandwidth(draws, phi))
    seeds = replicate_seeds(seed, n_rep)
    out = {}
    for kind, boot in zip(kinds, boots):
        estimate = mode_estimate(ratio, weights[kind], phi)
        out[MODE_KINDS[kind]] = make_result(
            estimate, r_mad(boot.reshape(n_rep, n_boot)), nsnp=k, df=k - 1 if t_dist else None, ci_df=None,
            se_model="bootstrap_mad", n_boot=n_boot,
            weights="simple" if kind == "simple" else ("second_order" if se_order == 2 else "first_order"),
            seed=seeds)
    return out


def _modes(data, ctx, method_id: str) -> dict:
    """The mode-based estimate ``method_id``, computed with the other kind when both were asked (shared draws:
    the same numbers either way, at less cost)."""
    asked = tuple(kind for kind, mid in MODE_KINDS.items() if mid in ctx.requested or mid == method_id)
    results = ctx.shared(("mode", asked), lambda: mr_mode(*data, kinds=asked, n_boot=ctx.n_boot, seed=ctx.seed,
                                                          t_dist=ctx.convention.mode_t))
    return results[method_id]


register("simple_mode", lambda data, ctx: _modes(data, ctx, "simple_mode"),
         reference="TwoSampleMR mr_simple_mode; MendelianRandomization mr_mbe(weighting = simple)")
register("weighted_mode", lambda data, ctx: _modes(data, ctx, "weighted_mode"),
         reference="TwoSampleMR mr_weighted_mode; MendelianRandomization mr_mbe(weighting = weighted)")

_MODE = dict(family="plurality valid",
             trades=("Needs only that the largest group of variants with the same ratio estimate is the valid one "
                     "(ZEMPA); imprecise, and its bootstrap SE is Monte Carlo."),
             when="When many variants may be invalid but the valid ones agree: a different assumption from the "
                  "median's, so agreement of the two is informative.")
#: What the book's methods chapter says about these ids (:class:`~mrkit.methods.method_info.MethodInfo`).
METHODS = (
    MethodInfo(
        id="simple_mode", label="Simple mode", short_label="Simple mode",
        r_function="TwoSampleMR 0.7.9 mr_simple_mode; MendelianRandomization 0.10.0 mr_mbe(weighting = 'simple', "
                   "stderror = 'delta')",
        idea=("The mode of a smoothed (kernel) density of the ratio estimates, each variant counted once. The "
              "largest cluster of agreeing variants decides the estimate."),
        formula=r"\hat\beta = \arg\max_\beta \sum_j \tfrac1k\,\phi_h(\beta - \hat\beta_j),\ "
                r"h = 0.9\min(s, \mathrm{mad})\,k^{-1/5}", **_MODE),
    MethodInfo(
        id="weighted_mode", label="Weighted mode", short_label="Weighted mode",
        r_function="TwoSampleMR 0.7.9 mr_weighted_mode; MendelianRandomization 0.10.0 mr_mbe(weighting = "
                   "'weighted', stderror = 'delta')",
        idea=("The mode of the kernel density of the ratio estimates weighted by their second-order inverse "
              "variances. The most precise cluster of agreeing variants decides."),
        formula=r"\hat\beta = \arg\max_\beta \sum_j w_j\,\phi_h(\beta - \hat\beta_j),\ "
                r"w_j \propto \mathrm{se}_{2,j}^{-2}", **_MODE),
)
#: R behaviours reproduced (the conventions page), by method id.
QUIRKS = {"simple_mode": ("TwoSampleMR takes the p-value from t(k - 1) but prints a normal interval "
                          "(mr_mode.R; TwoSampleMR issue #558).",),
          "weighted_mode": ("TwoSampleMR takes the p-value from t(k - 1) but prints a normal interval "
                            "(mr_mode.R; TwoSampleMR issue #558).",)}
