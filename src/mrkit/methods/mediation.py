"""MR mediation: how much of an exposure's effect on an outcome goes through a mediator.

Two estimators of the indirect effect (Carter et al. 2021), from MR estimates the caller has made:

* **product of coefficients** (two-step MR): indirect = alpha * beta, with alpha the exposure -> mediator
  effect (univariable MR) and beta the mediator -> outcome effect adjusted for the exposure (multivariable
  MR of exposure and mediator on the outcome). SE by the first-order delta method (Sobel 1982):
  sqrt(alpha^2 se_beta^2 + beta^2 se_alpha^2), the two estimates taken as independent.
* **difference**: indirect = total - direct, with the total effect from univariable MR of the exposure on
  the outcome and the direct effect from the multivariable MR. SE sqrt(se_total^2 + se_direct^2): the two
  estimates share the outcome data, so this ignores their (positive) covariance and is conservative.

Every function raises :class:`~mrkit.errors.InputError` (naming the argument) for a non-finite number, an SE
<= 0 or, for the proportion, a total effect of 0.

The proportion mediated is indirect / total; its SE by the delta method treating indirect and total as
independent: sqrt(se_ind^2 / total^2 + indirect^2 se_total^2 / total^4). Normal 95 % CIs throughout. Both
are only meaningful when the total effect is clearly non-zero; the result carries a note when it is not.

References
----------
Carter AR, Sanderson E, Hammerton G, et al. (2021). Mendelian randomisation for mediation analysis:
current methods and challenges for implementation. Eur J Epidemiol 36:465-478.
doi:10.1007/s10654-021-00757-1
Sobel ME (1982). Asymptotic confidence intervals for indirect effects in structural equation models.
Sociol Methodol 13:290-312.
Burgess S, Daniel RM, Butterworth AS, Thompson SG (2015). Network Mendelian randomization: using genetic
variants as instrumental variables to investigate mediation in causal pathways. Int J Epidemiol 44:484-495.
"""
from __future__ import annotations

import math

import pandas as pd

from ..errors import InputError
from .conventions import confidence_interval, p_value

__all__ = ["difference_method", "mediation_table", "product_of_coefficients", "proportion_mediated"]


def _finite(**values: float) -> None:
    for name, v in values.items():
        if v is None or not math.isfinite(v):
            raise InputError(f"{name} must be a finite number, got {v!r}", column=name)
        if name.startswith("se") and v <= 0:
            raise InputError(f"{name} must be > 0, got {v!r}", column=name)


def _row(method: str, estimate: float, se: float, **extra) -> dict:
    lo, hi = confidence_interval(estimate, se)
    return {"quantity": "indirect", "method": method, "estimate": float(estimate), "se": float(se),
            "ci_lower": lo, "ci_upper": hi, "p": p_value(estimate, se), **extra}


def product_of_coefficients(alpha: float, se_alpha: float, beta: float, se_beta: float) -> dict:
    """Indirect effect alpha * beta with its delta-method (Sobel) SE, CI and normal p.

    ``alpha``: exposure -> mediator (mediator units per exposure unit); ``beta``: mediator -> outcome
    adjusted for the exposure (outcome units per mediator unit). The result is in outcome units per
    exposure unit.
    """
    _finite(alpha=alpha, se_alpha=se_alpha, beta=beta, se_beta=se_beta)
    se = math.sqrt(alpha ** 2 * se_beta ** 2 + beta ** 2 * se_alpha ** 2)
    return _row("product", alpha * beta, se, note="SE: first-order delta method (Sobel)")


def difference_method(total: float, se_total: float, direct: float, se_direct: float) -> dict:
    """Indirect effect total - direct with SE sqrt(se_total^2 + se_direct^2) (covariance ignored)."""
    _finite(total=total, se_total=se_total, direct=direct, se_direct=se_direct)
    return _row("difference", total - direct, math.sqrt(se_total ** 2 + se_direct ** 2),
                note="SE ignores the covariance of the total and direct estimates (conservative)")


def proportion_mediated(indirect: float, se_indirect: float, total: float, se_total: float) -> dict:
    """indirect / total with its delta-method SE and normal 95 % CI (a share, not a percentage)."""
    _finite(indirect=indirect, se_indirect=se_indirect, total=total, se_total=se_total)
    if total == 0:
        raise InputError("the total effect is 0: the proportion mediated is undefined", column="total")
    rho = indirect / total
    se = math.sqrt(se_indirect ** 2 / total ** 2 + indirect ** 2 * se_total ** 2 / total ** 4)
    lo, hi = confidence_interval(rho, se)
    note = "" if abs(total / se_total) >= 1.959964 else "total effect not significant: the proportion is unstable"
    return {"quantity": "proportion", "estimate": rho, "se": se, "ci_lower": lo, "ci_upper": hi,
            "p": p_value(rho, se), "note": note}


def mediation_table(total: tuple[float, float], direct: tuple[float, float], alpha: tuple[float, float],
                    beta: tuple[float, float]) -> pd.DataFrame:
    """Both indirect-effect estimators and their proportions mediated, one tidy table.

    Each argument is ``(estimate, se)``: ``total`` exposure -> outcome (univariable MR), ``direct`` the
    exposure's effect in the multivariable MR with the mediator, ``alpha`` exposure -> mediator,
    ``beta`` mediator -> outcome in the multivariable MR. Columns ``quantity`` (total, direct, indirect,
    proportion), ``method``, ``estimate``, ``se``, ``ci_lower``, ``ci_upper``, ``p``, ``note``.
    """
    rows = [_row("univariable MR", *total, note="total effect"),
            _row("multivariable MR", *direct, note="direct effect")]
    rows[0]["quantity"], rows[1]["quantity"] = "total", "direct"
    for ind in (product_of_coefficients(alpha[0], alpha[1], beta[0], beta[1]),
                difference_method(total[0], total[1], direct[0], direct[1])):
        rows.append(ind)
        prop = proportion_mediated(ind["estimate"], ind["se"], *total)
        rows.append({**prop, "method": ind["method"]})
    return pd.DataFrame(rows, columns=["quantity", "method", "estimate", "se", "ci_lower", "ci_upper", "p", "note"])
