# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MRPRESSO 1.0 mr_presso, R/mr_presso.R (GPL-3).
"""MR-PRESSO: global pleiotropy test, outlier test and distortion test, vectorised.

A faithful port of ``mr_presso()`` from the MRPRESSO R package (R/mr_presso.R, release with the
leave-one-out ``predict`` in ``getRandomData``), for one exposure. The R code builds each of its
NbDistribution null datasets in an interpreted loop; here all of them are drawn at once as
``(n_distributions, k)`` arrays, and every leave-one-out IVW slope comes from the full sums
minus the SNP's own term (``benchmarks/bench_presso.py`` times it). MR-PRESSO is a per-dataset algorithm:
:func:`presso_estimates` runs it on each replicate of a batch in turn (the registry's ``presso`` id).

What is and is not identical to R
---------------------------------
* Deterministic parts are identical: the sign orientation on ``bx``, the observed RSS, the
  leave-one-out slopes, the "Raw" and "Outlier-corrected" rows (``lm`` without intercept, weights
  1/byse^2, unfloored SE, p from t(k-1) resp. t(k-n_outliers-1)).
* Random parts follow R's algorithm but not its random-number stream (numpy's generator,
  seeded through :mod:`mrkit.rng`), so p-values agree with R's within Monte Carlo error.
* p-values use R's rule, the share of simulated statistics strictly greater than the observed
  one. A share of 0 is reported as ``0`` together with ``global_p_bound = 1/n_distributions`` and
  the text ``"<1/N"`` that R prints (R prints only the text).
* R leaves the "Outlier-corrected" row NA unless the distortion test ran; here it is filled
  whenever outliers were found, which is what users of ``mr_presso`` read it for.

References
----------
Verbanck M, Chen CY, Neale B, Do R (2018). Detection of widespread horizontal pleiotropy in
causal relationships inferred from Mendelian randomization between complex traits and diseases.
Nat Genet 50:693-698.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, NotEstimable
from ..rng import make_rng, resolve_seed
from .conventions import exact_fit_q
from .distributions import t_sf
from .ivw import UNFLOORED_EXACT_FIT_NOTE
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result, replicate_seeds

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METHODS", "PressoResult", "mr_presso", "presso_estimates", "loo_ivw_slopes", "rss_loo"]


@dataclass
class PressoResult:
    """What ``mr_presso`` reports; ``raw``/``corrected`` are R's "Main MR results" rows."""

    global_rss: float
    global_p: float
    global_p_bound: float | None
    global_p_text: str
    global_p_rule: str
    outliers: list
    outlier_columns: dict[str, list]  # the outlier table's columns (see ``outlier_table``)
    raw: dict[str, float]
    corrected: dict[str, float] | None
    distortion_coefficient: float | None
    distortion_p: float | None
    distortion_p_text: str | None
    seed: int
    n_distributions: int
    alpha: float
    n_snps: int
    outlier_test_run: bool
    distortion_test_run: bool
    notes: list[str] = field(default_factory=list)

    @property
    def outlier_table(self) -> pd.DataFrame:
        """One row per SNP tested: ``snp``, ``rss_obs`` (observed squared residual), Bonferroni ``p`` and
        ``p_text`` (empty when the outlier test did not run). Built on access: pandas is not needed
        to run MR-PRESSO."""
        import pandas as pd

        c = self.outlier_columns
        return pd.DataFrame({"snp": pd.Series(c["snp"], dtype=object), "rss_obs": pd.Series(c["rss_obs"], dtype=float),
                             "p": pd.Series(c["p"], dtype=float), "p_text": pd.Series(c["p_text"], dtype=object)})

    def main_table(self) -> pd.DataFrame:
        """R's ``$`Main MR results``` layout: one row "Raw", one "Outlier-corrected"."""
        import pandas as pd

        rows = []
        for label, res in (("Raw", self.raw), ("Outlier-corrected", self.corrected)):
            res = res or {"estimate": np.nan, "sd": np.nan, "t_stat": np.nan, "p": np.nan}
            rows.append({"MR Analysis": label, "Causal Estimate": res["estimate"], "Sd": res["sd"],
                         "T-stat": res["t_stat"], "P-value": res["p"]})
        return pd.DataFrame(rows)


def loo_ivw_slopes(bx: np.ndarray, by: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Leave-one-out IVW slopes (no intercept, weights ``w``) for every SNP, along the last axis.

    ``bx`` and ``by`` may be ``(k,)`` or ``(n, k)``; the slope without SNP j is
    ``(Sxy - w_j bx_j by_j) / (Sxx - w_j bx_j^2)``, i.e. R's ``getRSS_LOO`` without k refits.
    """
    wxx = w * bx * bx
    wxy = w * bx * by
    return ((wxy.sum(axis=-1, keepdims=True) - wxy)
            / (wxx.sum(axis=-1, keepdims=True) - wxx))


def rss_loo(bx: np.ndarray, by: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MR-PRESSO's residual sum of squares ``sum_j w_j (by_j - theta_(-j) bx_j)^2`` and the slopes.

    Works on one dataset ``(k,)`` or a stack ``(n, k)``; returns ``(rss, theta_loo)``.
    """
    theta = loo_ivw_slopes(bx, by, w)
    return (w * (by - theta * bx) ** 2).sum(axis=-1), theta


def _wls_no_intercept(bx: np.ndarray, by: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """``summary(lm(by ~ -1 + bx, weights = w))$coefficients`` for one regressor."""
    k = bx.size
    sxx = np.sum(w * bx * bx)
    est = np.sum(w * bx * by) / sxx
    df = k - 1
    if df < 1:
        return {"estimate": float(est), "sd": np.nan, "t_stat": np.nan, "p": np.nan, "df": df}
    sigma2 = exact_fit_q(float(np.sum(w * (by - est * bx) ** 2)), w, by) / df
    sd = np.sqrt(sigma2 / sxx)
    if sd == 0:  # exact fit: lm's SE is 0 (R: ~1e-17, p ~ 0); the t statistic is undefined
        return {"estimate": float(est), "sd": 0.0, "t_stat": np.nan, "p": np.nan, "df": df}
    t = est / sd
    return {"estimate": float(est), "sd": float(sd), "t_stat": float(t),
            "p": float(2.0 * t_sf(abs(t), df)), "df": df}


def _p_text(p: float, bound: float) -> str:
    return f"<{bound:.6g}" if p == 0 else f"{p:.6g}"


def _empty_outlier_columns() -> dict[str, list]:
    return {"snp": [], "rss_obs": [], "p": [], "p_text": []}


def _outlier_test(bx: np.ndarray, by: np.ndarray, bx_null: np.ndarray, by_null: np.ndarray,
                  theta_obs: np.ndarray, snp: list | None, alpha: float, notes: list[str]
                  ) -> tuple[dict[str, list], np.ndarray]:
    """MR-PRESSO's single-SNP outlier test (R ``OUTLIERtest``): each SNP's observed squared residual
    from its leave-one-out slope against the same residual in the null datasets; Bonferroni
    p = min(1, k p). Returns the outlier table and the 0-based positions of the outliers."""
    n_distributions, k = bx_null.shape
    dif2 = (by - bx * theta_obs) ** 2
    exp2 = (by_null - bx_null * theta_obs) ** 2
    p_raw = np.count_nonzero(exp2 > dif2, axis=0) / n_distributions
    p_adj = np.minimum(p_raw * k, 1.0)
    ids = snp if snp is not None else list(range(k))
    table = {"snp": list(ids), "rss_obs": list(dif2), "p": list(p_adj),
             "p_text": [f"<{k / n_distributions:.6g}" if q == 0 else f"{q:.6g}" for q in p_adj]}
    if k / n_distributions > alpha:
        notes.append(f"Outlier test unstable: the threshold {alpha} is not achievable with "
                     f"{n_distributions} distributions (precision <{k / n_distributions:.3g}); "
                     "increase n_distributions.")
    return table, np.flatnonzero(p_adj <= alpha)


def _distortion_test(bx: np.ndarray, by: np.ndarray, w: np.ndarray, outliers_idx: np.ndarray, raw: float,
                     corrected: float, rng: np.random.Generator, n_distributions: int) -> tuple[float, float]:
    """MR-PRESSO's distortion test (R ``DISTORTIONtest``/``getRandomBias``): the distortion coefficient
    (in %) and its empirical p-value. The null resamples non-outliers exactly as R does (see the
    Notes of :func:`mr_presso`)."""
    k, n_out = bx.size, outliers_idx.size
    non_outliers = np.setdiff1d(np.arange(k), outliers_idx)
    n_draw = k - 2 * n_out  # resampled SNPs that survive R's indices[1:(k - n_out)]
    wxy, wxx = w * bx * by, w * bx * bx
    used_out = outliers_idx[:k - n_out] if n_draw < 0 else outliers_idx
    sxy = np.full(n_distributions, wxy[used_out].sum())
    sxx = np.full(n_distributions, wxx[used_out].sum())
    if n_draw > 0:
        draws = non_outliers[rng.integers(0, non_outliers.size, (n_distributions, n_draw))]
        sxy = sxy + wxy[draws].sum(axis=1)
        sxx = sxx + wxx[draws].sum(axis=1)
    theta_random = sxy / sxx
    bias_obs = (raw - corrected) / abs(corrected)
    bias_null = (raw - theta_random) / np.abs(theta_random)
    return float(100.0 * bias_obs), float(np.count_nonzero(np.abs(bias_null) > abs(bias_obs))) / n_distributions


def mr_presso(bx: Any, bxse: Any, by: Any, byse: Any, *, snp: Sequence | None = None,
              n_distributions: int = 1000, alpha: float = 0.05, seed: int | None = None,
              outlier_test: bool = True, distortion_test: bool = True) -> PressoResult:
    """MR-PRESSO global, outlier and distortion tests on harmonised summary statistics.

    Parameters
    ----------
    bx, bxse, by, byse : array_like
        SNP-exposure and SNP-outcome effects and standard errors (one exposure).
    snp : sequence, optional
        SNP identifiers, used to name outliers; without them outliers are 0-based positions.
    n_distributions : int
        Simulated datasets for the null distributions (R's ``NbDistribution``, default 1000).
    alpha : float
        Significance threshold (R's ``SignifThreshold``): the outlier test runs when the global
        p-value is below it, and SNPs with Bonferroni p <= alpha are outliers.
    seed : int, optional
        Seed of every draw (:data:`mrkit.rng.DEFAULT_SEED` when None); reported in the result.
    outlier_test, distortion_test : bool
        R's ``OUTLIERtest`` / ``DISTORTIONtest`` (both on here, as in TwoSampleMR's wrapper).

    Returns
    -------
    PressoResult
        ``global_rss``/``global_p`` (share of null RSS > observed; 0 is reported with
        ``global_p_bound``), ``outliers`` and ``outlier_table`` (observed squared residual and
        Bonferroni-corrected p = min(1, k p)), ``raw`` and ``corrected`` IVW rows, the
        distortion coefficient (in %, as R) and its p-value.

    Notes
    -----
    The null data follow ``getRandomData``: ``bx* ~ N(bx, bxse)`` and
    ``by*_j ~ N(theta_(-j) bx_j, byse_j)`` with theta_(-j) the observed leave-one-out slope; the
    global statistic refits the leave-one-out slopes on each null dataset, the per-SNP test
    uses the observed slopes. The distortion null reproduces ``getRandomBias`` exactly,
    including its quirk: the indices are ``c(outliers, k - n_out draws with replacement from
    the non-outliers)`` and the first ``k - n_out`` of them are used, so each null fit contains
    the outliers plus ``k - 2 n_out`` resampled SNPs.

    References
    ----------
    Verbanck M, Chen CY, Neale B, Do R (2018). Nat Genet 50:693-698.
    """
    bx, bxse, by, byse = (a[0] for a in as_batch(bx, bxse, by, byse))  # one dataset
    k = bx.size
    if snp is not None:
        snp = list(snp)
        if len(snp) != k:
            raise InputError(f"snp has {len(snp)} ids, expected {k}", column="snp")
    n_distributions = int(n_distributions)
    if not 0 < alpha <= 1:
        raise InputError(f"alpha must be in (0, 1], got {alpha}", column="alpha")
    if k <= 3:
        raise NotEstimable(f"MR-PRESSO needs at least 4 instruments, got {k}")
    if k >= n_distributions:
        raise InputError(f"n_distributions ({n_distributions}) must exceed the number of SNPs "
                         f"({k}) to compute empirical p-values", column="n_distributions")
    used_seed = resolve_seed(seed)
    rng = make_rng(used_seed)
    notes: list[str] = []

    # 0- orientation on the exposure (R: data * sign(bx), sign(0) = 0) and IVW weights
    sign = np.sign(bx)
    bx, by = bx * sign, by * sign
    w = 1.0 / byse ** 2

    # 1- observed RSS and leave-one-out slopes
    rss_obs, theta_obs = rss_loo(bx, by, w)
    rss_obs = float(rss_obs)

    # 2- null datasets, all at once: (n_distributions, k)
    bx_null = bx + bxse * rng.standard_normal((n_distributions, k))
    by_null = theta_obs * bx + byse * rng.standard_normal((n_distributions, k))
    rss_null, _ = rss_loo(bx_null, by_null, w)
    global_p = float(np.count_nonzero(rss_null > rss_obs)) / n_distributions
    bound = 1.0 / n_distributions

    # 3- single-SNP outlier test, only when the global test is significant
    outlier_run = bool(outlier_test and global_p < alpha)
    if outlier_run:
        outlier_table, outliers_idx = _outlier_test(bx, by, bx_null, by_null, theta_obs, snp, alpha, notes)
    else:
        outlier_table, outliers_idx = _empty_outlier_columns(), np.array([], dtype=int)
        if outlier_test:
            notes.append("Global test not significant: outlier and distortion tests not run.")

    # 4- raw and outlier-corrected IVW (lm without intercept)
    raw = _wls_no_intercept(bx, by, w)
    corrected = None
    n_out = outliers_idx.size
    if 0 < n_out < k:
        keep = np.ones(k, dtype=bool)
        keep[outliers_idx] = False
        corrected = _wls_no_intercept(bx[keep], by[keep], w[keep])
    elif n_out == k:
        notes.append("All SNPs considered as outliers.")

    # 5- distortion test (R: only when outliers exist and are not all SNPs)
    distortion_coefficient = distortion_p = distortion_p_text = None
    distortion_run = bool(distortion_test and outlier_run and 0 < n_out < k)
    if distortion_run:
        distortion_coefficient, distortion_p = _distortion_test(bx, by, w, outliers_idx, raw["estimate"],
                                                                corrected["estimate"], rng, n_distributions)
        distortion_p_text = _p_text(distortion_p, bound)

    outliers = ([snp[i] for i in outliers_idx] if snp is not None
                else [int(i) for i in outliers_idx])
    return PressoResult(
        global_rss=rss_obs, global_p=global_p, global_p_bound=bound if global_p == 0 else None,
        global_p_text=_p_text(global_p, bound),
        global_p_rule="share of simulated RSS strictly greater than the observed RSS (R's rule); "
                      "0 means below 1/n_distributions, see global_p_bound",
        outliers=outliers, outlier_columns=outlier_table, raw=raw, corrected=corrected,
        distortion_coefficient=distortion_coefficient, distortion_p=distortion_p,
        distortion_p_text=distortion_p_text, seed=used_seed, n_distributions=n_distributions,
        alpha=alpha, n_snps=k, outlier_test_run=outlier_run, distortion_test_run=distortion_run,
        notes=notes)


def presso_estimates(bx, bxse, by, byse, *, snp: Sequence | None = None, n_distributions: int = 1000,
                     seed=None) -> dict:
    """MR-PRESSO's outlier-corrected IVW (its raw IVW when no outlier is found) for every replicate.

    MR-PRESSO is a per-dataset algorithm: :func:`mr_presso` runs on each row of the ``(n_rep, k)`` arrays in
    turn, replicate r seeded with :func:`~mrkit.methods.replicates.replicate_seeds` ``(seed, n_rep)[r]``.
    p-value and CI from t(df) of MR-PRESSO's ``lm`` (k - 1, or k - n_outliers - 1 when corrected).

    Returns
    -------
    dict
        :func:`~mrkit.methods.replicates.make_result` arrays ``(n_rep,)`` with ``nsnp`` the variants of the fit,
        plus ``n_outliers``, ``global_p`` and ``outliers`` (object array of tuples); a note per replicate with
        the global test and the outliers.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse)
    n_rep, k = bx.shape
    seeds = replicate_seeds(seed, n_rep)
    est, se, df = np.empty(n_rep), np.empty(n_rep), np.empty(n_rep)
    nsnp, n_out, global_p = np.empty(n_rep, dtype=np.int64), np.empty(n_rep, dtype=np.int64), np.empty(n_rep)
    notes, outliers = np.empty(n_rep, dtype=object), np.empty(n_rep, dtype=object)
    for r in range(n_rep):
        res = mr_presso(bx[r], bxse[r], by[r], byse[r], snp=snp, n_distributions=n_distributions, seed=int(seeds[r]))
        use = res.corrected if res.corrected is not None else res.raw
        est[r], se[r] = use["estimate"], use["sd"]
        df[r] = use["df"] if use.get("df") and use["df"] > 0 else np.nan
        n_out[r] = len(res.outliers) if res.corrected is not None else 0
        nsnp[r], global_p[r], outliers[r] = k - len(res.outliers), res.global_p, tuple(res.outliers)
        what = "outlier-corrected" if res.corrected is not None else "raw (no outliers)"
        notes[r] = (f"MR-PRESSO {what}; global test RSS {res.global_rss:.4g}, p {res.global_p_text}; outliers: "
                    f"{', '.join(map(str, res.outliers)) or 'none'}")
        if use["sd"] == 0:
            notes[r] += "; " + UNFLOORED_EXACT_FIT_NOTE
    return make_result(est, se, nsnp=nsnp, df=df, se_model="random_unfloored", weights="first_order",
                       n_boot=int(n_distributions), seed=seeds, note=notes, n_outliers=n_out, global_p=global_p,
                       outliers=outliers)


register("presso", lambda data, ctx: presso_estimates(*data, snp=ctx.snp, n_distributions=ctx.options.get(
    "presso_n", 1000), seed=ctx.seed), reference="MRPRESSO mr_presso (outlier-corrected, else raw)")

#: What the book's methods chapter says about this id (:class:`~mrkit.methods.method_info.MethodInfo`).
METHODS = (
    MethodInfo(
        id="presso", label="MR-PRESSO (outlier-corrected IVW)", short_label="MR-PRESSO corrected IVW",
        family="outlier removal",
        r_function="MRPRESSO 1.0 mr_presso(OUTLIERtest = TRUE, DISTORTIONtest = TRUE)",
        idea=("A global test compares each variant's leave-one-out residual with a simulated null; variants that "
              "fail their own test are removed and IVW is refitted. The row is the outlier-corrected IVW."),
        formula=r"RSS_{obs} = \sum_j (\hat\beta_{Yj} - \hat\beta_{IVW,-j}\hat\beta_{Xj})^2,\ "
                r"\text{outlier } j: P(RSS_j^{null} > RSS_j) < 0.05/k",
        trades="Assumes the pleiotropy is in a few outlying variants and the rest are valid (balanced); removing "
               "outliers selects on the outcome.",
        when="When a few variants clearly disagree (a significant global test); report with and without them."),
)
