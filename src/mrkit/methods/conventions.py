"""Which reference package an MR number follows: TwoSampleMR 0.7.9 or MendelianRandomization 0.10.0.

The two R packages agree on point estimates but differ on purpose in several standard errors,
weights and p-value distributions (see ``reference/mr-conventions.md`` of the project). A
:class:`Convention` spells out every such choice so that a result row can say which one it
follows, and so that a user can reproduce either package exactly.

Also here: the p-value and confidence-interval helpers shared by all estimators, since the
distribution (normal or t with some degrees of freedom) is itself part of the convention.

References
----------
Hemani G, Zheng J, Elsworth B, et al. (2018). The MR-Base platform supports systematic causal
inference across the human phenome. eLife 7:e34408 (TwoSampleMR).
Yavorska OO, Burgess S (2017). MendelianRandomization: an R package for performing Mendelian
randomization analyses using summarized data. Int J Epidemiol 46:1734-1739.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .distributions import norm_ppf, norm_sf, t_ppf, t_sf

__all__ = ["Convention", "CONVENTIONS", "get_convention", "p_value", "confidence_interval",
           "result_row", "distribution_label", "exact_fit_q", "EXACT_FIT_NOTE"]

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


CONVENTIONS: dict[str, Convention] = {
    "twosamplemr": Convention(
        name="twosamplemr", package="TwoSampleMR 0.7.9", n_boot=1000,
        median_weights="second_order", egger_t=True, mode_t=True, ivw_auto=False,
        ml_scaled=False, i2gx_on_ratio_scale=False),
    "mendelianrandomization": Convention(
        name="mendelianrandomization", package="MendelianRandomization 0.10.0", n_boot=10000,
        median_weights="first_order", egger_t=False, mode_t=False, ivw_auto=True,
        ml_scaled=True, i2gx_on_ratio_scale=True),
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


def p_value(estimate: float, se: float, df: float | None = None) -> float:
    """Two-sided p-value of ``estimate / se`` from the normal (``df=None``) or t(df)."""
    z = abs(estimate / se) if se > 0 else np.nan
    if not np.isfinite(z):
        return np.nan
    return float(2.0 * (norm_sf(z) if df is None else t_sf(z, df)))


def confidence_interval(estimate: float, se: float, df: float | None = None,
                        level: float = 0.95) -> tuple[float, float]:
    """``estimate -/+ q se`` with q the normal or t(df) quantile of ``(1 + level) / 2``."""
    upper = (1.0 + level) / 2.0
    q = norm_ppf(upper) if df is None else t_ppf(upper, df)
    return float(estimate - q * se), float(estimate + q * se)


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
