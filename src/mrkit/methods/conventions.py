"""Which reference package an MR number follows: TwoSampleMR 0.7.9 or MendelianRandomization 0.10.0.

The two R packages agree on point estimates but differ on purpose in several standard errors,
weights and p-value distributions (see ``reference/mr-conventions.md`` of the project). A
:class:`Convention` spells out every such choice so that a result row can say which one it
follows, and so that a user can reproduce either package exactly.

Also here: the p-value and confidence-interval helpers shared by all estimators, since the
distribution (normal or t with some degrees of freedom) is itself part of the convention.

Confidence intervals. TwoSampleMR's ``mr()`` reports no interval; its users get one from
``generate_odds_ratios`` (``format_mr_results2.R``): ``b -/+ 1.96 se`` for every method, MR-Egger and
the modes included, although their p-values come from t(k - 2) and t(k - 1). Under the twosamplemr
convention every row's interval is that one (:attr:`Convention.ci_z` = 1.96, ``ci_distribution``
``"normal (1.96)"``), so a row's CI can disagree with its p-value exactly as TwoSampleMR's do (an
MR-Egger p just above 0.05 with an interval excluding 0). MendelianRandomization's intervals follow
each method's own distribution (``ci_normal``/``ci_t``, ``qnorm(0.975)``), so under that convention
the interval follows the row's p-value distribution.

References
----------
Hemani G, Zheng J, Elsworth B, et al. (2018). The MR-Base platform supports systematic causal
inference across the human phenome. eLife 7:e34408 (TwoSampleMR).
Yavorska OO, Burgess S (2017). MendelianRandomization: an R package for performing Mendelian
randomization analyses using summarized data. Int J Epidemiol 46:1734-1739.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .distributions import norm_ppf, norm_sf, t_ppf, t_sf

__all__ = ["Convention", "CONVENTIONS", "get_convention", "p_value", "confidence_interval",
           "convention_interval", "apply_convention_ci", "result_row", "distribution_label", "exact_fit_q",
           "EXACT_FIT_NOTE", "TSMR_Z"]

#: TwoSampleMR's interval multiplier (``generate_odds_ratios``: ``b -/+ 1.96 se``).
TSMR_Z = 1.96

#: Note of a result row whose fit is exact (residual standard error 0).
EXACT_FIT_NOTE = ("exact fit (residual SE 0): the SE is the fixed-effect one, as TwoSampleMR's "
                  "se / min(1, sigma) gives")


@dataclass(frozen=True)
class Convention:
    """Every choice on which TwoSampleMR and MendelianRandomization differ.

    Attributes
    ----------
    name : str
        ``"twosamplemr"`` or ``"mendelianrandomization"`` (the value of the result column).
    package : str
        The R package and version the choices reproduce.
    n_boot : int
        Default number of bootstrap draws (medians and modes).
    median_weights : str
        ``"second_order"`` (TwoSampleMR: 1 / (sy^2/bx^2 + by^2 sx^2/bx^4)) or ``"first_order"``
        (MendelianRandomization: (bx / sy)^2).
    egger_t : bool
        MR-Egger slope/intercept p-values from t(k - 2) (TwoSampleMR) instead of normal.
    mode_t : bool
        Mode-based estimate p-value from t(k - 1) (TwoSampleMR; its CI stays normal).
    ivw_auto : bool
        IVW fixed effect when k < 4, else multiplicative random effects floored at the
        fixed-effect SE (MendelianRandomization's ``model = "default"``); when false the
        default IVW row is always the floored random-effects one (TwoSampleMR ``mr_ivw``).
    ml_scaled : bool
        Scale the maximum-likelihood SE by max(1, sqrt(Q / (k - 1))) when k >= 4
        (MendelianRandomization ``mr_maxlik`` random model); TwoSampleMR reports the Hessian SE.
    i2gx_on_ratio_scale : bool
        I2_GX of bx / sy with SE sx / sy (MendelianRandomization) instead of bx with SE sx.
        The two differ only through the spread of sy: I2_GX is
        ``1 - (k - 1) / Q`` with Q Cochran's Q of the "exposure estimates" around their
        inverse-variance weighted mean; dividing each bx and sx by the same sy_j leaves each
        z-statistic bx_j / sx_j unchanged but moves the weighted mean and each term's share of
        Q (see :func:`mrkit.methods.heterogeneity.i2_gx`).
    ci_z : float or None
        Every 95 % interval is ``estimate -/+ ci_z * se`` whatever the p-value's distribution
        (TwoSampleMR ``generate_odds_ratios``: 1.96); None: the interval follows each row's own
        distribution (normal or t, MendelianRandomization).
    """

    name: str
    package: str
    n_boot: int
    median_weights: str
    egger_t: bool
    mode_t: bool
    ivw_auto: bool
    ml_scaled: bool
    i2gx_on_ratio_scale: bool
    ci_z: float | None


CONVENTIONS: dict[str, Convention] = {
    "twosamplemr": Convention(
        name="twosamplemr", package="TwoSampleMR 0.7.9", n_boot=1000,
        median_weights="second_order", egger_t=True, mode_t=True, ivw_auto=False,
        ml_scaled=False, i2gx_on_ratio_scale=False, ci_z=TSMR_Z),
    "mendelianrandomization": Convention(
        name="mendelianrandomization", package="MendelianRandomization 0.10.0", n_boot=10000,
        median_weights="first_order", egger_t=False, mode_t=False, ivw_auto=True,
        ml_scaled=True, i2gx_on_ratio_scale=True, ci_z=None),
}

_ALIASES = {"tsmr": "twosamplemr", "two_sample_mr": "twosamplemr", "mr": "mendelianrandomization",
            "mendelian_randomization": "mendelianrandomization"}


def get_convention(convention: str | Convention) -> Convention:
    """The :class:`Convention` for a name (``twosamplemr``, ``mendelianrandomization`` or alias)."""
    if isinstance(convention, Convention):
        return convention
    key = str(convention).strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in CONVENTIONS:
        from ..errors import InputError
        raise InputError(f"unknown convention {convention!r}; choose one of "
                         f"{', '.join(CONVENTIONS)}", column="convention")
    return CONVENTIONS[key]


def distribution_label(df: float | None) -> str:
    """``"normal"`` for ``df=None``, else ``"t(df)"`` as written in result tables."""
    return "normal" if df is None else f"t({int(df)})"


def _scalar_or_array(value: np.ndarray):
    return float(value) if value.ndim == 0 else value


def p_value(estimate, se, df: float | None = None):
    """Two-sided p-value of ``estimate / se`` from the normal (``df=None``) or t(df).

    Scalars give a float, arrays an array of the broadcast shape; NaN where ``se <= 0`` or the ratio
    is not finite.
    """
    estimate, se = np.asarray(estimate, dtype=float), np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, np.abs(estimate / np.where(se > 0, se, 1.0)), np.nan)
    ok = np.isfinite(z)
    safe = np.where(ok, z, 0.0)
    p = 2.0 * (norm_sf(safe) if df is None else t_sf(safe, df))
    return _scalar_or_array(np.where(ok, p, np.nan))


def confidence_interval(estimate, se, df: float | None = None, level: float = 0.95):
    """``estimate -/+ q se`` with q the normal or t(df) quantile of ``(1 + level) / 2``.

    Scalars give a tuple of floats, arrays a tuple of arrays.
    """
    upper = (1.0 + level) / 2.0
    q = float(norm_ppf(upper) if df is None else t_ppf(upper, df))
    estimate, se = np.asarray(estimate, dtype=float), np.asarray(se, dtype=float)
    return _scalar_or_array(estimate - q * se), _scalar_or_array(estimate + q * se)


def convention_interval(estimate, se, ci_df: float | None, convention: str | Convention):
    """The 95 % interval a convention reports, and its ``ci_distribution`` label.

    TwoSampleMR (``ci_z`` = 1.96): ``estimate -/+ 1.96 se`` whatever ``ci_df``, label
    ``"normal (1.96)"``; MendelianRandomization: the normal (``ci_df=None``) or t(ci_df) quantile.
    Returns ``(lower, upper, label)``; floats for scalars, arrays for arrays.
    """
    conv = get_convention(convention)
    if conv.ci_z is None:
        lower, upper = confidence_interval(estimate, se, ci_df)
        return lower, upper, distribution_label(ci_df)
    estimate, se = np.asarray(estimate, dtype=float), np.asarray(se, dtype=float)
    return (_scalar_or_array(estimate - conv.ci_z * se), _scalar_or_array(estimate + conv.ci_z * se),
            f"normal ({conv.ci_z:g})")


def _wald(label) -> Any:
    """Whether an interval labelled ``label`` is ``estimate -/+ q se`` ("normal" or "t(df)"), per replicate for an
    array of labels; intervals of another kind (a Fieller, grid or test-inversion interval) are not."""
    if isinstance(label, np.ndarray):
        return np.array([_wald(x) for x in label], dtype=bool)
    return isinstance(label, str) and (label == "normal" or label.startswith("t("))


def apply_convention_ci(result: dict, convention: str | Convention) -> dict:
    """``result`` (a row or a :func:`~mrkit.methods.replicates.make_result` batch) with its interval(s) made the
    convention's (:func:`convention_interval`), in place.

    Under TwoSampleMR's convention every interval of the form ``estimate -/+ q se`` (``ci_distribution``
    ``normal`` or ``t(df)``) becomes ``estimate -/+ 1.96 se`` labelled ``"normal (1.96)"`` (an MR-Egger row keeps
    its t(k - 2) p-value, as in R); an intercept interval (``intercept_ci_lower``/``upper``) follows the same rule.
    Intervals of another kind (pIVW's bootstrap Fieller interval, ConMix's and HetPen's grid intervals, the CLR
    test inversion) are the method's own under both conventions, as is a row without a finite SE. Under
    MendelianRandomization's convention the result is returned unchanged. The registry applies this to every
    result it runs (:class:`mrkit.methods.registry.Method`): the one place it happens.
    """
    conv = get_convention(convention)
    if conv.ci_z is None or "ci_lower" not in result:
        return result
    label = result.get("ci_distribution")
    wald = _wald(label)
    if not np.any(wald):
        return result
    estimate, se = result["estimate"], result["se"]
    lower, upper, new_label = convention_interval(estimate, se, None, conv)
    redo = wald & np.isfinite(np.asarray(se, dtype=float))  # a method's own interval without an SE stays
    result["ci_lower"] = np.where(redo, lower, result["ci_lower"])
    result["ci_upper"] = np.where(redo, upper, result["ci_upper"])
    if np.ndim(estimate) == 0:
        result["ci_lower"], result["ci_upper"] = float(result["ci_lower"]), float(result["ci_upper"])
    result["ci_distribution"] = (new_label if np.ndim(wald) == 0 else
                                 np.where(wald, new_label, label).astype(object))
    if "intercept_ci_lower" in result and result.get("intercept_se") is not None:
        result["intercept_ci_lower"], result["intercept_ci_upper"], _ = convention_interval(
            result["intercept"], result["intercept_se"], None, conv)
    return result


def result_row(estimate: float, se: float, *, nsnp: int, df: float | None = None,
               ci_df: float | None | str = "same", se_model: str, weights: str,
               n_boot: int | None = None, seed: int | None = None, note: str = "",
               **extra) -> dict:
    """One estimator result with its p-value, 95 % CI and the labels of how they were made.

    ``df`` is the p-value's t degrees of freedom (None = normal); the CI uses the same
    distribution unless ``ci_df`` says otherwise (TwoSampleMR's mode: t p-value, normal CI).
    """
    ci_df = df if isinstance(ci_df, str) and ci_df == "same" else ci_df
    estimate, se = float(estimate), float(se)
    lower, upper = confidence_interval(estimate, se, ci_df)
    row = {"estimate": estimate, "se": se, "ci_lower": lower, "ci_upper": upper,
           "p": p_value(estimate, se, df), "nsnp": int(nsnp), "se_model": se_model,
           "distribution": distribution_label(df), "ci_distribution": distribution_label(ci_df),
           "weights": weights, "n_boot": n_boot, "seed": seed, "note": note}
    row.update(extra)
    return row


def exact_fit_q(q, w: np.ndarray, y: np.ndarray):
    """Residual sums of squares, 0 where they are rounding error (an exact fit), else unchanged.

    ``q = sum(w r^2)`` of a weighted fit of ``y`` (along the last axis: ``q`` a number or ``(n_rep,)``, ``w`` and
    ``y`` ``(k,)`` or ``(n_rep, k)``); residuals within about 100 machine epsilons of ``y`` are rounding, so
    ``q <= (100 eps)^2 sum(w y^2)`` is an exact fit (R's ``lm`` would give a residual SE of ~1e-17 there, and
    SEs that are ratios of two such numbers).
    """
    scale = np.sum(w * np.asarray(y, dtype=float) ** 2, axis=-1)
    exact = q <= (100 * np.finfo(float).eps) ** 2 * scale
    if np.ndim(q) == 0:
        return 0.0 if exact else q
    return np.where(exact, 0.0, q)
