"""Statistical power of an MR study, and the smallest effect it can detect.

The default method is the non-centrality-parameter calculation of Brion, Shakhbazov & Visscher
(2013), as coded in their mRnd calculator (kn3in/mRnd ``functions.R`` for a continuous outcome,
``binary_derivation.md`` for a binary one): the MR (2SLS) estimate ``b`` has sampling variance
``var(e) / (N R2xz var(x))`` and ``power = P(chi2_1(NCP) > chi2_{1, 1-alpha})`` with
``NCP = b^2 / var``. For a binary outcome the effect is an odds ratio per SD of the exposure,
converted to the 0/1 scale with the case fraction K: ``b01 = K (OR / (1 + K (OR - 1)) - 1)``,
``var(e) = K (1 - K) - b01^2``.

``method="burgess"`` (binary outcome only) is the normal approximation of Burgess (2014) for a
logistic model, ``power = Phi(sqrt(N R2 K (1 - K)) |log OR| - z_{1-alpha/2})`` (plus the
negligible opposite tail). Burgess (2014) addresses binary outcomes; for a continuous outcome
the Brion formula is used (the brief's attribution of the continuous case to Burgess 2014 does
not match that paper). As OR -> 1 both NCPs reduce to ``N R2 K (1 - K) (log OR)^2``.

Everything broadcasts over numpy arrays, so power curves are one call.

References
----------
Brion MJ, Shakhbazov K, Visscher PM (2013). Calculating statistical power in Mendelian
randomization studies. Int J Epidemiol 42:1497-1501.
Burgess S (2014). Sample size and power calculations in Mendelian randomization with a single
instrumental variable and a binary outcome. Int J Epidemiol 43:922-929.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from .brent import brentq
from .distributions import chi2_isf, norm_cdf, norm_isf

__all__ = ["mr_power", "mr_min_detectable_effect"]


def _arr(name: str, value: Any, *, low: float | None = None, high: float | None = None,
         open_low: bool = True, open_high: bool = True) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(a)):
        raise InputError(f"{name} must be finite", column=name)
    if low is not None and np.any(a <= low if open_low else a < low):
        raise InputError(f"{name} must be {'>' if open_low else '>='} {low}", column=name)
    if high is not None and np.any(a >= high if open_high else a > high):
        raise InputError(f"{name} must be {'<' if open_high else '<='} {high}", column=name)
    return a


def _ncp(n, r2, effect, *, outcome, case_fraction, method, var_x, var_y, b_ols):
    n = _arr("n", n, low=0.0)
    r2 = _arr("r2", r2, low=0.0, high=1.0)
    if outcome == "binary":
        if case_fraction is None:
            raise InputError("a binary outcome needs case_fraction (cases / total)",
                             column="case_fraction")
        k = _arr("case_fraction", case_fraction, low=0.0, high=1.0)
        odds_ratio = _arr("effect", effect, low=0.0)
        if method == "brion":
            b01 = k * (odds_ratio / (1.0 + k * (odds_ratio - 1.0)) - 1.0)
            var_e = k * (1.0 - k) - b01 ** 2
            return n * r2 * b01 ** 2 / var_e, b01, np.sqrt(var_e / (n * r2))
        if method == "burgess":
            log_or = np.log(odds_ratio)
            se = 1.0 / np.sqrt(n * r2 * k * (1.0 - k))
            return (log_or / se) ** 2, log_or, se
        raise InputError(f"method must be 'brion' or 'burgess', got {method!r}", column="method")
    if outcome == "continuous":
        if method != "brion":
            raise InputError("a continuous outcome uses method='brion' (Brion et al. 2013)",
                             column="method")
        byx = _arr("effect", effect)
        var_x = _arr("var_x", var_x, low=0.0)
        var_y = _arr("var_y", var_y, low=0.0)
        b_ols = byx if b_ols is None else _arr("b_ols", b_ols)
        con = (b_ols - byx) * var_x  # covariance due to X-Y confounding
        b2sls = byx + con / (n * r2)
        vey = var_y - byx * var_x * (2.0 * b_ols - byx)
        if np.any(vey <= 0):
            raise InputError("var_y - byx var_x (2 b_ols - byx) must be > 0: the effect explains "
                             "more than the whole outcome variance", column="effect")
        v2sls = vey / (n * r2 * var_x)
        return b2sls ** 2 / v2sls, b2sls, np.sqrt(v2sls)
    raise InputError(f"outcome must be 'binary' or 'continuous', got {outcome!r}", column="outcome")


def mr_power(n: Any, r2: Any, effect: Any, *, alpha: float = 0.05, outcome: str = "binary",
             case_fraction: Any = None, method: str = "brion", var_x: Any = 1.0,
             var_y: Any = 1.0, b_ols: Any = None) -> dict[str, Any]:
    """Power of a two-sided MR test at level ``alpha``.

    Parameters
    ----------
    n : array_like
        Sample size (for a binary outcome, cases + controls).
    r2 : array_like
        Proportion of exposure variance explained by the instruments.
    effect : array_like
        Binary outcome: true odds ratio per SD of the exposure. Continuous outcome: causal
        effect of one unit of the exposure on the outcome (``byx``).
    alpha : float
        Type-I error rate of the two-sided test.
    outcome : {"binary", "continuous"}
    case_fraction : array_like, optional
        K, the proportion of cases (binary outcome).
    method : {"brion", "burgess"}
        NCP of Brion et al. (both outcomes) or Burgess's normal approximation (binary only).
    var_x, var_y, b_ols : array_like
        Continuous outcome only: variances of exposure and outcome and the observational
        (confounded) regression slope of Y on X; ``b_ols = effect`` means no confounding.

    Returns
    -------
    dict
        ``power``, ``ncp``, ``estimate`` (expected MR estimate on the scale the NCP uses: 0/1
        scale for Brion-binary, log OR for Burgess, outcome units for continuous), ``se``,
        ``threshold`` (chi-square critical value) and the settings.

    References
    ----------
    Brion MJ, Shakhbazov K, Visscher PM (2013). Int J Epidemiol 42:1497-1501.
    Burgess S (2014). Int J Epidemiol 43:922-929.
    """
    alpha = float(_arr("alpha", alpha, low=0.0, high=1.0))
    ncp, estimate, se = _ncp(n, r2, effect, outcome=outcome, case_fraction=case_fraction,
                             method=method, var_x=var_x, var_y=var_y, b_ols=b_ols)
    threshold = chi2_isf(alpha, 1)
    if method == "burgess":
        z = norm_isf(alpha / 2)
        x = np.sqrt(ncp)
        power = norm_cdf(x - z) + norm_cdf(-x - z)
    else:
        from scipy import stats  # the noncentral chi-squared has no scipy.special counterpart here

        power = stats.ncx2.sf(threshold, 1, ncp)
    def out(x):
        return x if np.ndim(x) else float(x)
    return {"power": out(power), "ncp": out(ncp), "estimate": out(estimate), "se": out(se),
            "threshold": float(threshold), "alpha": alpha, "outcome": outcome, "method": method}


def mr_min_detectable_effect(n: float, r2: float, *, power: float = 0.8, alpha: float = 0.05,
                             outcome: str = "binary", case_fraction: float | None = None,
                             method: str = "brion", direction: str = "increase",
                             var_x: float = 1.0, var_y: float = 1.0) -> float:
    """Smallest effect detected with probability ``power`` (inverse of :func:`mr_power`).

    Returns an odds ratio per SD of the exposure (binary outcome; > 1 for
    ``direction="increase"``, < 1 for "decrease") or a causal effect ``byx`` (continuous outcome,
    no confounding). Solved by Brent's method on the monotone power curve.

    References
    ----------
    Brion MJ, Shakhbazov K, Visscher PM (2013). Int J Epidemiol 42:1497-1501.
    Burgess S (2014). Int J Epidemiol 43:922-929.
    """
    power = float(_arr("power", power, low=0.0, high=1.0))
    alpha = float(_arr("alpha", alpha, low=0.0, high=1.0))
    if power <= alpha:
        raise InputError("power must exceed alpha", column="power")
    if direction not in ("increase", "decrease"):
        raise InputError(f"direction must be 'increase' or 'decrease', got {direction!r}",
                         column="direction")
    for name, value in (("n", n), ("r2", r2)):
        if np.ndim(value):
            raise InputError(f"{name} must be a single number here", column=name)

    def gap(x):
        return mr_power(n, r2, x, alpha=alpha, outcome=outcome, case_fraction=case_fraction,
                        method=method, var_x=var_x, var_y=var_y)["power"] - power

    if outcome == "binary":
        # search on log OR; the 0/1-scale NCP stays finite for any finite OR
        sign = 1.0 if direction == "increase" else -1.0
        lo, hi = 1e-12, 1.0
        while gap(np.exp(sign * hi)) < 0:
            hi *= 2.0
            if hi > 50:
                raise InputError("no odds ratio reaches this power: increase n or r2", column="n")
        return float(np.exp(sign * brentq(lambda t: gap(np.exp(sign * t)), lo, hi, xtol=1e-14, rtol=1e-12)))
    limit = np.sqrt(float(var_y) / float(var_x))  # |byx| must leave residual variance > 0
    sign = 1.0 if direction == "increase" else -1.0
    hi = limit * (1.0 - 1e-12)
    if gap(sign * hi) < 0:
        raise InputError("no causal effect reaches this power: increase n or r2", column="n")
    return float(sign * brentq(lambda b: gap(sign * b), 1e-15, hi, xtol=1e-15, rtol=1e-12))
