# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) get_r_from_pn, get_r_from_bsen, get_r_from_lor, contingency, R/add_rsq.r.
"""Instrument strength: per-SNP F statistics and variance explained (R2), as TwoSampleMR computes them.

Weak instruments bias two-sample MR towards the null and inflate type-I error of the pleiotropy
tests, so STROBE-MR (item 10) asks for the F statistic and R2 of the instruments. The R2 rules
here are the ones TwoSampleMR uses for Steiger filtering (``add_rsq``, ``get_r_from_bsen``,
``get_r_from_pn``, ``get_r_from_lor``), so that Steiger results match the R package.

Every function is vectorised over SNPs and raises :class:`~mrkit.errors.InputError` naming the
argument and the first offending position when an input is out of range, instead of returning
a silently wrong number.

References
----------
Hemani G, Tilling K, Davey Smith G (2017). Orienting the causal relationship between imprecisely
measured traits using GWAS summary data. PLoS Genet 13:e1007081.
Lee SH, Goddard ME, Wray NR, Visscher PM (2012). A better coefficient of determination for
genetic profile analysis. Genet Epidemiol 36:214-224.
Burgess S, Thompson SG (2011). Avoiding bias from weak instruments in Mendelian randomization
studies. Int J Epidemiol 40:755-764.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from ..errors import InputError
from .distributions import chi2_isf, f_sf

__all__ = [
    "as_vector", "f_statistic", "r2_from_eaf", "r_from_bsen", "r2_from_bsen",
    "r_from_pn", "p_from_r2n", "r_from_lor", "r2_from_lor", "mean_f", "total_r2",
    "f_from_r2", "weak_instrument_flags", "instrument_strength",
]


# ---------------------------------------------------------------------------------------------
# input checking of the per-SNP statistics (steiger, power; the estimators check theirs with
# mrkit.methods.replicates.as_batch)
# ---------------------------------------------------------------------------------------------
def as_vector(name: str, values: Any, *, size: int | None = None, positive: bool = False,
              nonnegative: bool = False, lower: float | None = None, upper: float | None = None,
              open_interval: bool = False, allow_nan: bool = False) -> np.ndarray:
    """``values`` as a 1-D float array, or an :class:`InputError` naming ``name`` and the row.

    Scalars are broadcast to ``size`` when it is given. ``lower``/``upper`` are inclusive bounds
    unless ``open_interval`` is true.
    """
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numeric ({exc})", column=name) from None
    if arr.ndim == 0 and size is not None:
        arr = np.full(size, float(arr))
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {arr.shape}", column=name)
    if size is not None and arr.size != size:
        raise InputError(f"{name} has {arr.size} values, expected {size}", column=name)

    def fail(mask: np.ndarray, what: str) -> None:
        row = int(np.flatnonzero(mask)[0])
        raise InputError(f"{what} (value {float(arr[row])!r})", row=row, column=name)

    bad = ~np.isfinite(arr) & ~(allow_nan & np.isnan(arr))
    if bad.any():
        fail(bad, f"{name} must be finite")
    with np.errstate(invalid="ignore"):
        if positive and (arr <= 0).any():
            fail(arr <= 0, f"{name} must be > 0")
        if nonnegative and (arr < 0).any():
            fail(arr < 0, f"{name} must be >= 0")
        if lower is not None:
            low = arr <= lower if open_interval else arr < lower
            if low.any():
                fail(low, f"{name} must be {'>' if open_interval else '>='} {lower}")
        if upper is not None:
            high = arr >= upper if open_interval else arr > upper
            if high.any():
                fail(high, f"{name} must be {'<' if open_interval else '<='} {upper}")
    return arr


# ---------------------------------------------------------------------------------------------
# per-SNP strength
# ---------------------------------------------------------------------------------------------
def f_statistic(beta: Any, se: Any) -> np.ndarray:
    """Per-SNP F statistic ``(beta / se) ** 2`` (one-degree-of-freedom Wald chi-square).

    References
    ----------
    Burgess S, Thompson SG (2011). Int J Epidemiol 40:755-764.
    """
    beta = as_vector("beta", beta)
    se = as_vector("se", se, size=beta.size, positive=True)
    return (beta / se) ** 2


def r2_from_eaf(beta: Any, eaf: Any) -> np.ndarray:
    """Variance explained ``2 beta^2 f (1 - f)`` for a trait in SD units (TwoSampleMR ``add_rsq``).

    Valid only when ``beta`` is per allele on a trait standardised to unit variance.

    References
    ----------
    Hemani G, Tilling K, Davey Smith G (2017). PLoS Genet 13:e1007081.
    """
    beta = as_vector("beta", beta)
    eaf = as_vector("eaf", eaf, size=beta.size, lower=0.0, upper=1.0, open_interval=True)
    return 2.0 * beta ** 2 * eaf * (1.0 - eaf)


def r_from_bsen(beta: Any, se: Any, n: Any) -> np.ndarray:
    """Signed correlation ``sign(b) sqrt(F / (n - 2 + F))``, F = (b/se)^2 (TwoSampleMR ``get_r_from_bsen``).

    References
    ----------
    Hemani G, Tilling K, Davey Smith G (2017). PLoS Genet 13:e1007081.
    """
    beta = as_vector("beta", beta)
    se = as_vector("se", se, size=beta.size, positive=True)
    n = as_vector("n", n, size=beta.size, lower=2.0, open_interval=True)
    f = (beta / se) ** 2
    return np.sign(beta) * np.sqrt(f / (n - 2.0 + f))


def r2_from_bsen(beta: Any, se: Any, n: Any) -> np.ndarray:
    """Variance explained ``F / (n - 2 + F)`` from beta, SE and sample size (any trait scale).

    References
    ----------
    Hemani G, Tilling K, Davey Smith G (2017). PLoS Genet 13:e1007081.
    """
    return r_from_bsen(beta, se, n) ** 2


def _qf_upper_1(p: np.ndarray, df2: np.ndarray) -> np.ndarray:
    """Upper-tail F(1, df2) quantile computed the way R's ``qf(p, 1, df2, lower.tail=FALSE)`` does.

    R switches to ``qchisq(p, 1, lower.tail=FALSE)`` when df2 > 4e5 and otherwise inverts the
    incomplete beta function; scipy's ``f.isf`` returns inf for p below about 1e-17 at large df2,
    which would silently drop the strongest instruments.
    """
    x = special.betaincinv(df2 / 2.0, 0.5, p)  # lower quantile of Beta(df2/2, 1/2) at p
    with np.errstate(divide="ignore"):
        f = (1.0 / x - 1.0) * df2
    chisq = chi2_isf(p, 1)
    f = np.where(df2 > 4e5, chisq, f)
    # R falls back to optim() when qf overflows; the chi-square quantile is its limit
    return np.where(np.isfinite(f), f, chisq)


def r_from_pn(p: Any, n: Any) -> np.ndarray:
    """Correlation implied by a p-value and sample size (TwoSampleMR ``get_r_from_pn``).

    ``F = qf(p, 1, n - 1, lower.tail = FALSE)`` and ``r = sqrt(F / (n - 2 + F))`` (the df mismatch,
    n - 1 in the quantile and n - 2 in the ratio, is TwoSampleMR's). The result is unsigned.
    A p-value of exactly 0 gives NaN, as in R ("P-value of 0 cannot be converted to R value").

    References
    ----------
    Hemani G, Tilling K, Davey Smith G (2017). PLoS Genet 13:e1007081.
    """
    p = as_vector("p", p, lower=0.0, upper=1.0)
    n = as_vector("n", n, size=p.size, lower=2.0, open_interval=True)
    p_safe = np.where(p >= 1.0, 0.999, np.where(p <= 0.0, 0.5, p))
    f = np.where(p >= 1.0, 0.0, _qf_upper_1(p_safe, n - 1.0))
    r = np.sqrt(f / (n - 2.0 + f))
    return np.where(p <= 0.0, np.nan, r)


def p_from_r2n(r2: Any, n: Any) -> np.ndarray:
    """P-value of an F(1, n-1) test for variance explained ``r2`` (TwoSampleMR ``get_p_from_r2n``)."""
    r2 = as_vector("r2", r2, lower=0.0, upper=1.0)
    n = as_vector("n", n, size=r2.size, lower=2.0, open_interval=True)
    with np.errstate(divide="ignore"):
        f = r2 * (n - 2.0) / (1.0 - r2)
    return f_sf(f, 1, n - 1.0)


def _population_allele_frequency(af: np.ndarray, prop: np.ndarray, odds_ratio: np.ndarray,
                                 prevalence: np.ndarray) -> np.ndarray:
    """Population effect-allele frequency from a case-control sample (TwoSampleMR ``contingency``).

    Solves for the case/effect-allele cell z of the 2x2 allele table with margins ``af`` and
    ``prop`` and the given odds ratio, keeps the root whose cells all lie in [0, 1], then
    weights case and control allele frequencies by the population prevalence.
    """
    a = odds_ratio - 1.0
    b = (af + prop) * (1.0 - odds_ratio) - 1.0
    c = odds_ratio * af * prop
    eps = 1e-15
    linear = np.abs(a) < eps
    disc = np.maximum(b * b - 4.0 * a * c, 0.0)
    safe_a = np.where(linear, 1.0, 2.0 * a)
    roots = np.stack([(-b - np.sqrt(disc)) / safe_a, (-b + np.sqrt(disc)) / safe_a])
    roots = np.where(linear, -c / b, roots)
    cells = np.stack([roots, prop - roots, af - roots, 1.0 + roots - af - prop])  # (4, 2, k)
    tol = 1e-12  # R zapsmall()s the cells before checking them
    valid = np.all((cells >= -tol) & (cells <= 1.0 + tol), axis=0)  # (2, k)
    z = np.where(valid[0], roots[0], roots[1])
    if not valid.any(axis=0).all():
        row = int(np.flatnonzero(~valid.any(axis=0))[0])
        raise InputError("no 2x2 allele table matches this allele frequency, case fraction and "
                         "odds ratio", row=row, column="lor")
    af_cases = z / prop
    af_controls = (af - z) / (1.0 - prop)
    return af_controls * (1.0 - prevalence) + af_cases * prevalence


def r2_from_lor(lor: Any, af: Any, ncase: Any, ncontrol: Any, prevalence: Any, *,
                model: str = "logit", correction: bool = False) -> np.ndarray:
    """Variance of liability explained by a SNP from its log odds ratio (TwoSampleMR ``get_r_from_lor``).

    ``vg = lor^2 p (1 - p)`` with p the population allele frequency reconstructed from the
    case-control allele frequency, and ``r2 = vg / (vg + ve)`` with ``ve = pi^2 / 3`` (logit) or
    1 (probit); ``correction=True`` divides by 0.58 as TwoSampleMR does. TwoSampleMR's
    ``add_rsq`` uses prevalence 0.1 when none is given; here it must be passed explicitly.

    References
    ----------
    Lee SH, Goddard ME, Wray NR, Visscher PM (2012). Genet Epidemiol 36:214-224 (eq. 10).
    """
    lor = as_vector("lor", lor)
    k = lor.size
    af = as_vector("af", af, size=k, lower=0.0, upper=1.0, open_interval=True)
    ncase = as_vector("ncase", ncase, size=k, positive=True)
    ncontrol = as_vector("ncontrol", ncontrol, size=k, positive=True)
    prevalence = as_vector("prevalence", prevalence, size=k, lower=0.0, upper=1.0,
                           open_interval=True)
    if model == "logit":
        ve = np.pi ** 2 / 3.0
    elif model == "probit":
        ve = 1.0
    else:
        raise InputError(f"model must be 'logit' or 'probit', got {model!r}", column="model")
    popaf = _population_allele_frequency(af, ncase / (ncase + ncontrol), np.exp(lor), prevalence)
    vg = lor ** 2 * popaf * (1.0 - popaf)
    r2 = vg / (vg + ve)
    return r2 / 0.58 if correction else r2


def r_from_lor(lor: Any, af: Any, ncase: Any, ncontrol: Any, prevalence: Any, *,
               model: str = "logit", correction: bool = False) -> np.ndarray:
    """Unsigned ``sqrt(r2_from_lor(...))``, the value TwoSampleMR's ``get_r_from_lor`` returns."""
    return np.sqrt(r2_from_lor(lor, af, ncase, ncontrol, prevalence, model=model,
                               correction=correction))


# ---------------------------------------------------------------------------------------------
# summaries
# ---------------------------------------------------------------------------------------------
def mean_f(f: Any) -> float:
    """Mean of the per-SNP F statistics (the "mean F" most MR papers report)."""
    f = as_vector("F", f, nonnegative=True)
    if f.size == 0:
        raise InputError("no F statistics given", column="F")
    return float(f.mean())


def total_r2(r2: Any) -> float:
    """Sum of per-SNP R2, i.e. variance explained by independent (clumped) instruments."""
    r2 = as_vector("r2", r2, lower=0.0, upper=1.0)
    return float(r2.sum())


def f_from_r2(r2: float, n: float, k: int) -> float:
    """Overall F statistic of k instruments explaining ``r2`` in n people: ``r2 (n-k-1) / ((1-r2) k)``.

    References
    ----------
    Burgess S, Thompson SG (2011). Int J Epidemiol 40:755-764.
    """
    r2 = float(as_vector("r2", r2, lower=0.0, upper=1.0, open_interval=False)[0])
    if r2 >= 1.0:
        raise InputError("r2 must be < 1", column="r2")
    if k < 1 or n <= k + 1:
        raise InputError(f"need n > k + 1 (n={n}, k={k})", column="n")
    return r2 * (n - k - 1.0) / ((1.0 - r2) * k)


def weak_instrument_flags(f: Any, threshold: float = 10.0) -> np.ndarray:
    """Boolean mask of weak instruments, ``F < threshold`` (Staiger-Stock rule of thumb F < 10).

    References
    ----------
    Staiger D, Stock JH (1997). Instrumental variables regression with weak instruments.
    Econometrica 65:557-586.
    """
    f = as_vector("F", f, nonnegative=True)
    if not np.isfinite(threshold) or threshold < 0:
        raise InputError(f"threshold must be a non-negative number, got {threshold!r}",
                         column="threshold")
    return f < threshold


def instrument_strength(beta: Any, se: Any, *, n: Any = None, eaf: Any = None,
                        threshold: float = 10.0) -> dict[str, Any]:
    """Per-SNP F and R2 with their summaries, the table STROBE-MR item 10 asks for.

    R2 uses ``F / (n - 2 + F)`` when ``n`` is given, otherwise ``2 b^2 f (1 - f)`` when ``eaf`` is
    given (SD-unit traits only), otherwise it is left out.

    References
    ----------
    Burgess S, Thompson SG (2011). Int J Epidemiol 40:755-764.
    """
    f = f_statistic(beta, se)
    out: dict[str, Any] = {"F": f, "mean_F": mean_f(f), "min_F": float(f.min()),
                           "n_weak": int(weak_instrument_flags(f, threshold).sum()),
                           "threshold": threshold, "r2": None, "total_r2": None, "r2_rule": None}
    if n is not None:
        r2 = r2_from_bsen(beta, se, n)
        out.update(r2=r2, total_r2=total_r2(r2), r2_rule="F/(n-2+F)")
    elif eaf is not None:
        r2 = r2_from_eaf(beta, eaf)
        out.update(r2=r2, total_r2=total_r2(r2), r2_rule="2*b^2*f*(1-f)")
    return out
