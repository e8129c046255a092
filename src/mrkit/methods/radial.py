# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from RadialMR 1.2.3 (github.com/WSpiller/RadialMR, commit e0d01fe; R/ivw_radial.R, R/egger_radial.R;
# GPL-3; W. Spiller, J. Bowden, T. Palmer) and of TwoSampleMR 0.7.9's mr_ivw_radial (R/other_formats.R; MIT).
"""Radial IVW and radial MR-Egger: the IVW and Egger fits on the radial scale, with RadialMR's outlier list.

Radial MR (Bowden et al. 2018) plots, for each variant j, ``BetaWj = ratio_j sqrt(W_j)`` against
``sqrt(W_j)``, with ``ratio_j = by_j / bx_j`` and ``W_j`` the inverse variance of the ratio. The radial IVW
estimate is the slope of the regression of ``BetaWj`` on ``sqrt(W_j)`` through the origin, radial MR-Egger the
slope with an intercept (which measures directional pleiotropy; no orientation of the alleles is needed, since
``sqrt(W_j) > 0``). Variant j's contribution to Cochran's Q is ``Q_j = W_j (ratio_j - fit_j)^2``; RadialMR calls
a variant an outlier when ``P(chi2_1 > Q_j) < alpha`` (0.05).

Weights (RadialMR's ``weights``):

* 1, first order: ``W_j = bx_j^2 / byse_j^2``;
* 2, second order: ``W_j = 1 / (byse_j^2 / bx_j^2 + by_j^2 bxse_j^2 / bx_j^4)``;
* 3, modified second order (default; TwoSampleMR's ``mr_ivw_radial``): fit with first-order weights, then refit
  with ``W_j = bx_j^2 / (byse_j^2 + b^2 bxse_j^2)``, b the first fit's slope.

The standard errors are ``lm``'s (residual-SE scaled, not floored), the IVW p-value is normal (RadialMR recomputes
it with ``pnorm``), the Egger p-values ``lm``'s t(k - 2). ``radial_ci_lower/upper`` keep RadialMR's own interval
(``confint``: t(k - 1) for IVW, t(k - 2) for Egger); the row's CI follows the convention. The iterative and exact
(Q-minimising) IVW rows are in :mod:`mrkit.methods.radial_exact`.

R quirks reproduced (see the notes of the rows): RadialMR returns ``df = k - 1`` for radial MR-Egger's Q (the fit
has k - 2 residual degrees of freedom); with weights 3 its Egger Q p-value uses k - 1 degrees of freedom, with
weights 1 and 2 k - 2 (both printed "on k - 2 DF"). Here ``q_df = k - 2`` and ``q_p`` is R's printed p-value.

References
----------
Bowden J, Spiller W, Del Greco MF, et al. (2018). Improving the visualization, interpretation and analysis of
two-sample summary data Mendelian randomization via the Radial plot and Radial regression. Int J Epidemiol
47:1264-1278.
"""
from __future__ import annotations

import numpy as np

from .conventions import p_value
from .distributions import chi2_sf, t_ppf
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result

__all__ = ["METHODS", "QUIRKS", "WEIGHTS", "radial_weights", "ivw_radial", "egger_radial", "outlier_ids"]

#: RadialMR's ``weights`` codes and the ``weights`` label of the row.
WEIGHTS = {1: "first_order", 2: "second_order", 3: "modified_second_order"}
_SUFFIX = {1: " (1st)", 2: " (2nd)", 3: " (Mod.2nd)"}


def radial_weights(bx, bxse, by, byse, order: int, estimate=None) -> np.ndarray:
    """Inverse variances ``W`` of the ratio estimates, ``(n_rep, k)``.

    ``order`` 1: ``bx^2 / byse^2``; 2: ``1 / (byse^2/bx^2 + by^2 bxse^2/bx^4)``; 3 (modified second order, needs
    ``estimate`` ``(n_rep,)``): ``1 / ((byse^2 + estimate^2 bxse^2) / bx^2)``, RadialMR's formula.
    """
    if order == 1:
        return bx ** 2 / byse ** 2
    if order == 2:
        return (byse ** 2 / bx ** 2 + (by ** 2 * bxse ** 2) / bx ** 4) ** -1
    if order == 3:
        return ((byse ** 2 + np.asarray(estimate, dtype=float)[:, None] ** 2 * bxse ** 2) / bx ** 2) ** -1
    raise ValueError(f"radial weights must be 1, 2 or 3, got {order!r}")


def origin_fit(w: np.ndarray, ratio: np.ndarray) -> dict:
    """``lm(ratio sqrt(w) ~ -1 + sqrt(w))`` row-wise: ``slope``, lm ``se``, residual ``sigma``, ``qj``, ``q``."""
    k = w.shape[1]
    sw = np.sum(w, axis=1)
    slope = np.sum(w * ratio, axis=1) / sw
    qj = w * (ratio - slope[:, None]) ** 2
    q = np.sum(qj, axis=1)
    sigma = np.sqrt(q / (k - 1))
    return {"slope": slope, "se": sigma / np.sqrt(sw), "sigma": sigma, "qj": qj, "q": q}


def _outliers(qj: np.ndarray, alpha: float) -> np.ndarray:
    return chi2_sf(qj, 1) < alpha


def _check(weights: int, alpha: float) -> None:
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be 1 (first order), 2 (second order) or 3 (modified second order), "
                         f"got {weights!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")


def ivw_radial(bx, bxse, by, byse, *, weights: int = 3, alpha: float = 0.05) -> dict:
    """Radial IVW (RadialMR ``ivw_radial``, its "Effect" row; weights 3 = TwoSampleMR ``mr_ivw_radial``).

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
        Harmonised summary statistics (beta and SE per variant).
    weights : {1, 2, 3}
        First-order, second-order or modified second-order weights (RadialMR's codes; default 3).
    alpha : float
        Outlier threshold for ``P(chi2_1 > Q_j)``.

    Returns
    -------
    dict
        :func:`mrkit.methods.replicates.make_result` (estimate, lm SE, normal p) plus ``q`` (Cochran's Q with
        these weights), ``q_df`` (k - 1), ``q_p``, ``qj`` and ``outlier`` (``(n_rep, k)``: Q_j and Q_j's
        chi2_1 p < alpha), ``n_outliers``, ``radial_ci_lower/upper`` (R's ``confint``, t(k - 1)) and
        ``mean_f`` (mean of bx^2 / bxse^2).

    Raises
    ------
    NotEstimable
        Fewer than 2 variants. InputError: bad arrays (:func:`mrkit.methods.replicates.as_batch`).
    """
    _check(weights, alpha)
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=2, method="radial IVW")
    k = bx.shape[1]
    ratio = by / bx
    fit = origin_fit(radial_weights(bx, bxse, by, byse, 1 if weights == 3 else weights), ratio)
    if weights == 3:
        fit = origin_fit(radial_weights(bx, bxse, by, byse, 3, fit["slope"]), ratio)
    t = float(t_ppf(0.975, k - 1))
    outlier = _outliers(fit["qj"], alpha)
    return make_result(fit["slope"], fit["se"], nsnp=k, se_model="random_unfloored", weights=WEIGHTS[weights],
                       q=fit["q"], q_df=k - 1, q_p=chi2_sf(fit["q"], k - 1), qj=fit["qj"], outlier=outlier,
                       n_outliers=outlier.sum(axis=1), radial_ci_lower=fit["slope"] - t * fit["se"],
                       radial_ci_upper=fit["slope"] + t * fit["se"], mean_f=np.mean(bx ** 2 / bxse ** 2, axis=1))


def _intercept_fit(x: np.ndarray, y: np.ndarray) -> dict:
    """``lm(y ~ x)`` row-wise (ordinary least squares with intercept)."""
    k = x.shape[1]
    xbar, ybar = x.mean(axis=1), y.mean(axis=1)
    dx = x - xbar[:, None]
    sxx = np.sum(dx * dx, axis=1)
    slope = np.sum(dx * (y - ybar[:, None]), axis=1) / sxx
    intercept = ybar - slope * xbar
    resid = y - intercept[:, None] - slope[:, None] * x
    sigma = np.sqrt(np.sum(resid ** 2, axis=1) / (k - 2))
    return {"slope": slope, "intercept": intercept, "se": sigma / np.sqrt(sxx),
            "intercept_se": sigma * np.sqrt(1.0 / k + xbar ** 2 / sxx), "qj": resid ** 2}


def egger_radial(bx, bxse, by, byse, *, weights: int = 3, alpha: float = 0.05) -> dict:
    """Radial MR-Egger (RadialMR ``egger_radial``): slope and intercept of ``lm(BetaWj ~ sqrt(W))``.

    Parameters and shapes as :func:`ivw_radial`.

    Returns
    -------
    dict
        :func:`mrkit.methods.replicates.make_result` of the slope (lm SE, p from t(k - 2)) plus ``intercept``,
        ``intercept_se``, ``intercept_p`` (t(k - 2)), ``q`` (sum of Q_j), ``q_df`` (k - 2), ``q_p`` (as R
        prints it: k - 2 degrees of freedom with weights 1 and 2, k - 1 with weights 3), ``qj``, ``outlier``,
        ``n_outliers``, ``radial_ci_lower/upper`` (R's ``confint`` of the slope, t(k - 2)).

    Raises
    ------
    NotEstimable
        Fewer than 3 variants.
    """
    _check(weights, alpha)
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3, method="radial MR-Egger")
    k = bx.shape[1]
    ratio = by / bx
    w = radial_weights(bx, bxse, by, byse, 1 if weights == 3 else weights)
    fit = _intercept_fit(np.sqrt(w), ratio * np.sqrt(w))
    if weights == 3:
        w = radial_weights(bx, bxse, by, byse, 3, fit["slope"])
        fit = _intercept_fit(np.sqrt(w), ratio * np.sqrt(w))
    q = np.sum(fit["qj"], axis=1)
    t = float(t_ppf(0.975, k - 2))
    outlier = _outliers(fit["qj"], alpha)
    note = ("RadialMR returns df = k - 1 for this Q; its p-value uses k - 1 df here (weights 3), printed as k - 2"
            if weights == 3 else "RadialMR returns df = k - 1 for this Q (the fit has k - 2)")
    return make_result(fit["slope"], fit["se"], nsnp=k, se_model="random_unfloored", weights=WEIGHTS[weights],
                       df=k - 2, note=note, intercept=fit["intercept"], intercept_se=fit["intercept_se"],
                       intercept_p=p_value(fit["intercept"], fit["intercept_se"], k - 2), q=q, q_df=k - 2,
                       q_p=chi2_sf(q, k - 1 if weights == 3 else k - 2), qj=fit["qj"], outlier=outlier,
                       n_outliers=outlier.sum(axis=1), radial_ci_lower=fit["slope"] - t * fit["se"],
                       radial_ci_upper=fit["slope"] + t * fit["se"])


def outlier_ids(outlier: np.ndarray, snp) -> np.ndarray:
    """RadialMR's outlier list per replicate: the ids of the flagged variants, comma-separated (object array).

    ``outlier`` is ``(n_rep, k)`` boolean; ``snp`` the ``(k,)`` ids (None: 1-based positions, as RadialMR's
    placeholder ids).
    """
    ids = np.asarray([str(i + 1) for i in range(outlier.shape[1])] if snp is None else snp, dtype=str)
    return np.array([", ".join(ids[row]) for row in outlier], dtype=object)


def _with_ids(result: dict, ctx) -> dict:
    result["outliers"] = outlier_ids(result["outlier"], ctx.snp)
    return result


_ROW_KEYS = ("q", "q_df", "q_p", "n_outliers", "outliers")
_INFO = dict(
    ivw=dict(family="none (all valid)",
             idea="IVW on the radial scale: each variant's ratio estimate times the square root of its weight, "
                  "regressed on that square root through the origin. Each variant's share of Cochran's Q flags "
                  "it as an outlier when its chi-squared(1) p-value is below 0.05.",
             formula=r"\hat\beta = \frac{\sum_j W_j \hat\beta_j}{\sum_j W_j},\quad "
                     r"Q_j = W_j(\hat\beta_j - \hat\beta)^2,\quad \hat\beta_j = \hat\beta_{Yj}/\hat\beta_{Xj}",
             trades="Assumes every variant is valid (no pleiotropy); the outlier list shows which variants break it.",
             when="As a heterogeneity diagnostic beside IVW: the radial plot and the Q_j outlier list show which "
                  "variants drive heterogeneity."),
    egger=dict(family="InSIDE",
               idea="MR-Egger on the radial scale: the radial regression with an intercept, which estimates "
                    "directional pleiotropy. No allele orientation is needed, since every square-root weight is "
                    "positive.",
               formula=r"\hat\beta_j\sqrt{W_j} = \beta_0 + \beta_1\sqrt{W_j} + \varepsilon_j",
               trades="Allows directional pleiotropy if it is independent of instrument strength (InSIDE).",
               when="With IVW radial, when Cochran's Q or the radial plot suggests directional pleiotropy."),
)


def _method(kind: str, weights: int, suffix: str) -> MethodInfo:
    info = _INFO[kind]
    name = "IVW radial" if kind == "ivw" else "MR-Egger radial"
    label = ("IVW radial" if kind == "ivw" and weights == 3 else name + _SUFFIX[weights])
    r_call = (f"RadialMR 1.2.3 {kind}_radial(weights = {weights}), 'Effect' row"
              + ("; TwoSampleMR 0.7.9 mr_ivw_radial" if kind == "ivw" and weights == 3 else ""))
    keys = _ROW_KEYS if kind == "ivw" else ("intercept", "intercept_se", "intercept_p", *_ROW_KEYS)
    return MethodInfo(id=f"{kind}_radial{suffix}", label=label, short_label=label.replace("MR-Egger", "Egger"),
                      family=info["family"], r_function=r_call, idea=info["idea"], formula=info["formula"],
                      trades=info["trades"], when=info["when"], extra_keys=keys)


#: One record per method id of this module (the registry, the methods chapter, the robust-methods table).
METHODS = tuple(_method(kind, w, s) for kind in ("ivw", "egger")
                for w, s in ((3, ""), (1, "_first_order"), (2, "_second_order")))

for _info in METHODS:
    _w = 3 if _info.id.endswith("radial") else 1 if _info.id.endswith("first_order") else 2
    _fit = ivw_radial if _info.id.startswith("ivw") else egger_radial
    register(_info.id, lambda data, ctx, f=_fit, w=_w: _with_ids(
        f(*data, weights=w, alpha=ctx.options.get("radial_alpha", 0.05)), ctx),
             row_keys=_info.extra_keys, reference=_info.r_function)

_EFFECT_SE = ("RadialMR's 'Effect' SE is lm's, not floored at the fixed-effect one: smaller than it when the "
              "residual SE is below 1 (as TwoSampleMR's mr_ivw_mre).")
_EGGER_DF = ("RadialMR's radial MR-Egger returns df = k - 1 for Q although the fit has k - 2 residual degrees of "
             "freedom; with weights 3 the printed p-value uses k - 1, with weights 1 and 2 k - 2, both printed "
             "'on k - 2 DF'. mrkit: q_df = k - 2, q_p as R prints it, and a note.")
#: R behaviours reproduced (the conventions page), by method id.
QUIRKS = {"ivw_radial": (_EFFECT_SE,), "ivw_radial_first_order": (_EFFECT_SE,),
          "ivw_radial_second_order": (_EFFECT_SE,), "egger_radial": (_EFFECT_SE, _EGGER_DF),
          "egger_radial_first_order": (_EFFECT_SE, _EGGER_DF), "egger_radial_second_order": (_EFFECT_SE, _EGGER_DF)}
