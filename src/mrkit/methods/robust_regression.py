# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MendelianRandomization 0.10.0 (GPL-2 | GPL-3), R/mr_ivw-methods.R (mr_ivw with robust / penalized /
# weights = "delta"; penalised.weights, r.weights) and R/mr_egger-methods.R (mr_egger with robust / penalized),
# github.com/cran/MendelianRandomization tag 0.10.0. The robust fits are robustbase::lmrob (see .lmrob).
"""Robust and penalised IVW and MR-Egger (MR-Robust): regressions that down-weight outlying variants.

MendelianRandomization's ``mr_ivw`` and ``mr_egger`` with ``robust`` and/or ``penalized`` (Rees, Wood, Dudbridge &
Burgess 2019):

* **robust**: the regression is robustbase's MM-estimator ``lmrob`` (Tukey bisquare, 95 % efficiency, 50 %
  breakdown; :func:`mrkit.methods.lmrob.lmrob_batch`) instead of ``lm``, with the same prior weights ``byse^-2``
  (IVW: ``by ~ bx - 1``; Egger: ``by ~ bx`` after orienting every variant to ``bx > 0``). The residual standard
  error is lmrob's scale.
* **penalized**: each variant's weight is multiplied by ``min(1, 100 p_j)``, ``p_j`` the chi-square(1) upper tail
  of its heterogeneity contribution: for IVW ``(bx/byse)^2 (ratio_j - median(ratio))^2``; for Egger
  ``(by_j - a - b bx_j)^2 / byse_j^2`` from the ordinary Egger fit. With ``weights = "delta"`` (IVW only) the
  weights and contributions use the second-order ratio variance and the factor is ``min(1, 20 p_j)``.
* SEs: ``lm``/``lmrob`` SE divided by ``min(1, sigma)`` (random effects; IVW: by ``sigma`` for the fixed model, and
  MendelianRandomization's ``model = "default"`` is fixed when k < 4). p-values and CIs normal. Cochran's Q
  (IVW ``(k - 1) sigma^2``; Egger ``sum(((by - a - b bx) / byse)^2)``) is NaN for the penalised rows, as in R.

Quirks of R kept here (listed on the conventions page): the simple-weights penalisation uses ``min(1, 100 p)``
where the paper and the delta-weights branch use ``min(1, 20 p)``; MR-Egger's p-values are computed as
``2 (1 - pnorm(|z|))``, so a p below about 1e-16 is exactly 0 (IVW uses ``2 pnorm(-|z|)``); the robust Egger
``Heter.Stat`` is the weighted residual sum of squares of the robust fit, whatever its weights; when lmrob's
M-step does not converge R's summary gives no SE, so the SE is NaN (noted in the row).

Batches: ``(n_rep, k)`` inputs; the robust fit is per dataset (a loop over replicates); the penalised weights
and the least-squares fits are vectorised.

References
----------
Rees JMB, Wood AM, Dudbridge F, Burgess S (2019). Robust methods in Mendelian randomization via penalization of
heterogeneous causal estimates. PLoS One 14:e0222362.
Burgess S, Bowden J, Dudbridge F, Thompson SG (2016). Robust instrumental variable methods using multiple
candidate instruments with application to Mendelian randomization. arXiv:1606.03729.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError, NotEstimable
from .distributions import chi2_sf, norm_cdf, norm_ppf
from .lmrob import MAX_CANDIDATES, lmrob_batch
from .method_info import MethodInfo
from .mv_design import wls
from .registry import register
from .replicates import as_batch, make_result, replicate_rngs

__all__ = ["METHODS", "QUIRKS", "mr_ivw_robust", "mr_egger_robust"]

_ROBUST = ("Fits the regression by MM-estimation (robustbase lmrob, Tukey's bisquare), which gives outlying "
           "variants little or no weight.")
_PENAL = ("Multiplies each variant's weight by min(1, 100 p), p the chi-square p-value of its heterogeneity "
          "contribution, so clearly heterogeneous variants barely count.")


_QUIRKS = {
    "penalised": "Penalised weights use min(1, 100 p) (the paper and R's delta-weights branch use min(1, 20 p)).",
    "egger_p": "MR-Egger p-values are 2 (1 - pnorm(|z|)): exactly 0 below about 1e-16.",
    "robust": "When lmrob's M-step does not converge R's summary gives no SE (here a missing SE, noted in the row).",
}


def _info(id_, label, short, family, call, idea, formula, trades, when, extra=()):
    return MethodInfo(id=id_, label=label, short_label=short, family=family,
                      r_function=f"MendelianRandomization 0.10.0 {call}", idea=idea, formula=formula, trades=trades,
                      when=when, extra_keys=extra)


_IVW_F = (r"\hat\beta = \arg\min_\beta \sum_j \rho\!\left(\frac{(\hat\beta_{Yj}-\beta\hat\beta_{Xj})/\sigma_{Yj}}"
          r"{s}\right)")
_EGG_F = (r"(\hat\beta_0,\hat\beta) = \arg\min \sum_j \rho\!\left(\frac{(\hat\beta_{Yj}-\beta_0-\beta|\hat\beta_{Xj}|)"
          r"/\sigma_{Yj}}{s}\right)")
_PEN_F = r"w_j^* = \sigma_{Yj}^{-2}\min(1, 100\,p_j),\quad p_j = P(\chi^2_1 > Q_j)"
_IVW_EXTRA = ("sigma", "q", "q_p")
_EGG_EXTRA = ("intercept", "intercept_se", "intercept_p", "sigma", "q", "q_p")

METHODS = (
    _info("ivw_robust", "IVW (robust regression)", "IVW robust", "majority valid",
          "mr_ivw(robust = TRUE)", "IVW as a regression through the origin. " + _ROBUST, _IVW_F,
          "Gives up 'all variants valid' for a majority of valid variants (50 % breakdown of the MM-estimator).",
          "A few outlying variants that would dominate IVW.", _IVW_EXTRA),
    _info("ivw_penalised", "IVW (penalized weights)", "IVW penalised", "outlier removal",
          "mr_ivw(penalized = TRUE)", "IVW with down-weighted heterogeneous variants. " + _PENAL, _PEN_F,
          "Gives up 'all variants valid' for: invalid variants show up as heterogeneous ratio estimates.",
          "A handful of clearly outlying ratio estimates; as sensitivity analysis beside IVW.", _IVW_EXTRA),
    _info("ivw_penalised_robust", "IVW (robust regression, penalized weights)", "IVW pen. robust", "majority valid",
          "mr_ivw(robust = TRUE, penalized = TRUE)",
          "IVW with both protections. " + _PENAL + " " + _ROBUST, _IVW_F + r",\ w_j^*",
          "As robust IVW, with the outliers also down-weighted before the robust fit.",
          "The most outlier-resistant IVW variant; compare with the robust and penalised ones.", _IVW_EXTRA),
    _info("egger_robust", "MR-Egger (robust regression)", "Egger robust", "InSIDE",
          "mr_egger(robust = TRUE)", "MR-Egger, whose intercept absorbs directional pleiotropy. " + _ROBUST,
          _EGG_F, "Keeps InSIDE (pleiotropy independent of instrument strength); resists outlying variants.",
          "Directional pleiotropy suspected and a few outliers that would drive MR-Egger.", _EGG_EXTRA),
    _info("egger_penalised", "MR-Egger (penalized weights)", "Egger penalised", "InSIDE",
          "mr_egger(penalized = TRUE)", "MR-Egger with down-weighted heterogeneous variants. " + _PENAL,
          _PEN_F, "Keeps InSIDE; outlying variants (about the Egger line) barely count.",
          "Directional pleiotropy plus a few clear outliers.", _EGG_EXTRA),
    _info("egger_penalised_robust", "MR-Egger (robust regression, penalized weights)", "Egger pen. robust",
          "InSIDE", "mr_egger(robust = TRUE, penalized = TRUE)",
          "MR-Egger with both protections. " + _PENAL + " " + _ROBUST, _EGG_F + r",\ w_j^*",
          "Keeps InSIDE; the most outlier-resistant MR-Egger variant.",
          "As a sensitivity analysis beside the other MR-Egger rows.", _EGG_EXTRA),
)

#: R behaviours reproduced although they look unintended (for the conventions page), by method id.
QUIRKS = {info.id: tuple(text for key, text in _QUIRKS.items()
                         if (key == "penalised" and "penal" in info.id)
                         or (key == "egger_p" and info.id.startswith("egger"))
                         or (key == "robust" and "robust" in info.id)) for info in METHODS}

def _r_median(x: np.ndarray) -> np.ndarray:
    return np.median(x, axis=-1)


def _lm(x: np.ndarray, y: np.ndarray, w: np.ndarray):
    """R's weighted ``lm(y ~ x - 1)`` (rows of weight 0 dropped, as R does): coefficients, SEs, sigma, n used."""
    keep = w != 0
    x, y, w = x[keep], y[keep], w[keep]
    n, p = x.shape
    if n <= p:
        raise NotEstimable(f"{n} variants of positive weight for {p} coefficients")
    fit = wls(x, y, w)
    return fit["coef"], fit["sigma"] * np.sqrt(np.diag(fit["xtwx_inv"])), fit["sigma"], n


def _fits(x, y, w, robust: bool, rngs) -> list[tuple]:
    """Per replicate (coef, se, sigma, n_used, note) of x (R, k, p), y (R, k), weights w (R, k): lm, or lmrob with
    MendelianRandomization's k.max = maxit.scale = 500 (:func:`~mrkit.methods.lmrob.lmrob_batch`, all replicates
    at once). A replicate that cannot be fitted gives NaN numbers and ``"not estimable: <reason>"`` as its note."""
    p = x.shape[2]
    failed = (np.full(p, np.nan), np.full(p, np.nan), np.nan, 0)
    out = []
    if not robust:
        for r in range(x.shape[0]):
            try:
                out.append((*_lm(x[r], y[r], w[r]), ""))
            except NotEstimable as exc:
                out.append((*failed, f"not estimable: {exc}"))
        return out
    for fit in lmrob_batch(x, y, w, rngs=rngs, k_max=500, maxit_scale=500):
        if fit["error"] is not None:
            out.append((*failed, f"not estimable: {fit['error']}"))
            continue
        note = "" if fit["converged"] else ("lmrob's M-step did not converge in 49 steps: R reports no SE "
                                            "(the estimate is the unconverged one)")
        out.append((fit["coef"], fit["se"], fit["scale"], fit["n_used"], note))
    return out


def _rngs(seed, n_rep: int, k: int, p: int):
    """Replicate generators, only when lmrob will draw subsets (more than MAX_CANDIDATES of them)."""
    from math import comb
    return replicate_rngs(seed, n_rep) if comb(k, p) > MAX_CANDIDATES else [None] * n_rep


def _ivw_pen_weights(bx, bxse, by, byse, weights: str, psi: float):
    ratio = by / bx
    theta = _r_median(ratio)[:, None]
    if weights == "simple":
        pen = chi2_sf((bx ** 2 / byse ** 2) * (ratio - theta) ** 2, 1)
        return byse ** -2.0 * np.minimum(1.0, pen * 100)
    var = byse ** 2 / bx ** 2 + by ** 2 * bxse ** 2 / bx ** 4 - 2 * psi * by * bxse * byse / bx ** 3
    pen = chi2_sf(var ** -1.0 * (ratio - theta) ** 2, 1)
    return (byse ** 2 + by ** 2 * bxse ** 2 / bx ** 2 - 2 * psi * by * bxse * byse / bx) ** -1.0 * \
        np.minimum(1.0, pen * 20)


def _column(rows: list[dict], key: str) -> np.ndarray:
    return np.array([row[key] for row in rows], dtype={"note": object, "n_used": int}.get(key, float))


def mr_ivw_robust(bx, bxse, by, byse, *, robust: bool = True, penalized: bool = False, model: str = "default",
                  weights: str = "simple", psi: float = 0.0, seed: int | None = None) -> dict[str, np.ndarray]:
    """Robust and/or penalised IVW, MendelianRandomization ``mr_ivw(robust =, penalized =, weights =)``.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k)
    robust, penalized : bool
        lmrob instead of lm; penalised weights (see the module docstring). Both False is R's plain IVW (with
        ``weights = "delta"``: IVW with second-order weights).
    model : {"default", "random", "fixed"}
        SE divided by min(1, sigma) (random) or by sigma (fixed); ``default``: fixed when k < 4.
    weights : {"simple", "delta"}
        First-order weights ``byse^-2`` or second-order ``(byse^2 + by^2 bxse^2 / bx^2 - 2 psi by bxse byse / bx)^-1``.
    psi : float
        Correlation of the exposure and outcome estimates in the delta weights (R's ``psi``, 0).
    seed : int, array or None
        Replicate seeds (:func:`mrkit.methods.replicates.replicate_rngs`) of lmrob's subsample draws, used only
        when a replicate has more than :data:`mrkit.methods.lmrob.MAX_CANDIDATES` variants (IVW's candidates are
        single variants).

    Returns
    -------
    dict
        The contract's result: ``estimate, se, ci_lower, ci_upper, p`` (normal), ``sigma`` (residual SE / lmrob
        scale), ``q``, ``q_p`` (Cochran's Q on k - 1 df; NaN when penalised), ``n_used``, each (n_rep,); ``note``.

    Raises
    ------
    mrkit.errors.InputError
        Bad input or an unknown model / weights.
    mrkit.errors.NotEstimable
        Fewer than 2 variants, or a fit with too few variants of positive weight.

    References
    ----------
    Rees JMB, Wood AM, Dudbridge F, Burgess S (2019). PLoS One 14:e0222362; MendelianRandomization ``mr_ivw``.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=2, method="IVW")
    if model not in ("default", "random", "fixed"):
        raise InputError(f"model must be default, random or fixed, got {model!r}", column="model")
    if weights not in ("simple", "delta"):
        raise InputError(f"weights must be simple or delta, got {weights!r}", column="weights")
    n_rep, k = bx.shape
    if model == "default":
        model = "fixed" if k < 4 else "random"
    if penalized:
        w = _ivw_pen_weights(bx, bxse, by, byse, weights, psi)
    elif weights == "simple":
        w = byse ** -2.0
    else:
        w = (byse ** 2 + by ** 2 * bxse ** 2 / bx ** 2 - 2 * psi * by * bxse * byse / bx) ** -1.0
    rows = []
    fits = _fits(bx[:, :, None], by, w, robust, _rngs(seed, n_rep, k, 1))
    for r in range(n_rep):
        coef, se, sigma, n_used, note = fits[r]
        se = se[0] / (min(sigma, 1.0) if model == "random" else sigma)
        q = (k - 1) * sigma ** 2 if not penalized else np.nan
        rows.append({"estimate": coef[0], "se": se, "sigma": sigma, "n_used": n_used, "note": note, "q": q,
                     "q_p": float(chi2_sf(q, k - 1)) if not penalized else np.nan})
    return make_result(_column(rows, "estimate"), _column(rows, "se"), nsnp=k,
                       se_model=("lmrob_avar1" if robust else "lm") + ("_random_floored" if model == "random" else
                                                                       "_fixed"),
                       weights=("penalised_" if penalized else "") + ("first_order" if weights == "simple" else
                                                                      "second_order"),
                       note=_column(rows, "note"),
                       **{key: _column(rows, key) for key in ("sigma", "q", "q_p", "n_used")})


def _r_egger_p(estimate, se):
    """MendelianRandomization's Egger p-value ``2 * (1 - pnorm(abs(estimate / se)))`` (0 below about 1e-16)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 2.0 * (1.0 - norm_cdf(np.abs(estimate / se)))


def mr_egger_robust(bx, bxse, by, byse, *, robust: bool = True, penalized: bool = False,
                    seed: int | None = None) -> dict[str, np.ndarray]:
    """Robust and/or penalised MR-Egger, MendelianRandomization ``mr_egger(robust =, penalized =)``.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k)
    robust, penalized : bool
        lmrob instead of lm; penalised weights from the residuals of the ordinary Egger fit.
    seed : int, array or None
        Replicate seeds of lmrob's subsample draws, used only when there are more than
        :data:`mrkit.methods.lmrob.MAX_CANDIDATES` pairs of variants (k > 200); below that every pair is a
        candidate and nothing is drawn.

    Returns
    -------
    dict
        The contract's result: ``estimate, se, ci_lower, ci_upper, p`` (the slope; normal CI, R's p),
        ``intercept, intercept_se, intercept_ci_lower, intercept_ci_upper, intercept_p``, ``sigma``, ``q``,
        ``q_p`` (Rucker's Q' on k - 2 df; NaN when penalised), ``i2_gx`` (R's I.sq: I^2 of bx/byse with SE
        bxse/byse), each (n_rep,); ``note``.

    Raises
    ------
    mrkit.errors.InputError
        Bad input.
    mrkit.errors.NotEstimable
        Fewer than 3 variants, a fit with too few variants of positive weight, or no variation in |bx|.

    References
    ----------
    Rees JMB, Wood AM, Dudbridge F, Burgess S (2019). PLoS One 14:e0222362; MendelianRandomization ``mr_egger``.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3, method="MR-Egger")
    n_rep, k = bx.shape
    sign = np.where(bx < 0, -1.0, 1.0)  # R: sign(betaX); bx == 0 is refused by as_batch
    x, y = np.abs(bx), by * sign
    z = float(norm_ppf(0.975))
    rows = []
    design = np.stack([np.ones((n_rep, k)), x], axis=2)  # (n_rep, k, 2)
    w = byse ** -2.0
    if penalized:
        for r in range(n_rep):
            coef0, _, _, _ = _lm(design[r], y[r], w[r])
            pen = chi2_sf(w[r] * (y[r] - coef0[0] - coef0[1] * x[r]) ** 2, 1)
            w[r] = w[r] * np.minimum(1.0, pen * 100)
    fits = _fits(design, y, w, robust, _rngs(seed, n_rep, k, 2))
    for r in range(n_rep):
        coef, se, sigma, _, note = fits[r]
        se = se / min(sigma, 1.0)
        q = np.sum((byse[r] ** -1.0 * (y[r] - coef[0] - coef[1] * x[r])) ** 2) if not penalized else np.nan
        rows.append({"estimate": coef[1], "se": se[1], "intercept": coef[0], "intercept_se": se[0],
                     "sigma": sigma, "q": q, "note": note})
    est, se, icpt, icpt_se, q = (_column(rows, key) for key in ("estimate", "se", "intercept", "intercept_se", "q"))
    ratio, ratio_se = x / byse, bxse / byse  # I.sq of R's mr_egger
    wq = ratio_se ** -2.0
    centre = np.sum(ratio * wq, axis=1) / np.sum(wq, axis=1)
    qx = np.sum(wq * (ratio - centre[:, None]) ** 2, axis=1)
    out = make_result(est, se, nsnp=k, se_model="lmrob_avar1_random_floored" if robust else "lm_random_floored",
                      weights="penalised_first_order" if penalized else "first_order", note=_column(rows, "note"),
                      intercept=icpt, intercept_se=icpt_se, intercept_ci_lower=icpt - z * icpt_se,
                      intercept_ci_upper=icpt + z * icpt_se, intercept_p=_r_egger_p(icpt, icpt_se),
                      sigma=_column(rows, "sigma"), q=q, q_p=np.where(np.isnan(q), np.nan, chi2_sf(q, k - 2)),
                      i2_gx=np.maximum(0.0, (qx - (k - 1)) / qx))
    out["p"] = _r_egger_p(est, se)  # R's 2 * (1 - pnorm(|z|))
    return out


def _ivw(robust: bool, penalized: bool):
    return lambda data, ctx: mr_ivw_robust(*data, robust=robust, penalized=penalized, seed=ctx.seed)


def _egger(robust: bool, penalized: bool):
    return lambda data, ctx: mr_egger_robust(*data, robust=robust, penalized=penalized, seed=ctx.seed)


for _info_, _run in zip(METHODS, (_ivw(True, False), _ivw(False, True), _ivw(True, True), _egger(True, False),
                                  _egger(False, True), _egger(True, True))):
    register(_info_.id, _run, row_keys=_info_.extra_keys, reference=_info_.r_function)
