"""Wald ratio: the causal estimate from a single variant, by/bx.

TwoSampleMR (``mr_wald_ratio``) and MendelianRandomization (``weights = "simple"``) report the
first-order standard error ``byse/|bx|``, which ignores the uncertainty in ``bx``; the
second-order (delta-method) SE ``sqrt(byse^2/bx^2 + by^2 bxse^2/bx^4)`` adds it. The p-value is
normal in both packages.

References
----------
Wald A (1940). The fitting of straight lines if both variables are subject to error. Ann Math
Stat 11:284-300.
Burgess S, Small DS, Thompson SG (2017). A review of instrumental variable estimators for
Mendelian randomization. Stat Methods Med Res 26:2333-2355.
"""
from __future__ import annotations

import numpy as np

from ..errors import NotEstimable
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result

__all__ = ["METHODS", "ratio_se", "wald_ratio"]


def ratio_se(bx, bxse, by, byse, order: int = 1) -> np.ndarray:
    """Per-SNP SE of by/bx (any shape): first order ``byse/|bx|`` or second order (delta method)."""
    if order == 1:
        return byse / np.abs(bx)
    if order == 2:
        return np.sqrt(byse ** 2 / bx ** 2 + by ** 2 * bxse ** 2 / bx ** 4)
    raise ValueError(f"order must be 1 or 2, got {order!r}")


def wald_ratio(bx, bxse, by, byse, *, order: int = 1) -> dict:
    """Wald ratio of one SNP per replicate with a first- (default, as both R packages) or second-order SE.

    ``bx, bxse, by, byse``: shape ``(n_rep, 1)`` or ``(1,)`` (one SNP; the ratio of each of k SNPs is the batch
    of k replicates ``(k, 1)``). Returns :func:`~mrkit.methods.replicates.make_result` arrays ``(n_rep,)``;
    raises :class:`~mrkit.errors.NotEstimable` for more than one SNP.

    References
    ----------
    Burgess S, Small DS, Thompson SG (2017). Stat Methods Med Res 26:2333-2355.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse)
    if bx.shape[1] != 1:
        raise NotEstimable(f"the Wald ratio uses exactly one SNP, got {bx.shape[1]}")
    se = ratio_se(bx, bxse, by, byse, order)[:, 0]
    return make_result(by[:, 0] / bx[:, 0], se, nsnp=1, se_model=f"{'first' if order == 1 else 'second'}_order_delta",
                       weights="none")


register("wald_ratio", lambda data, ctx: wald_ratio(*data), reference="TwoSampleMR mr_wald_ratio")

#: What the book's methods chapter says about this id (:class:`~mrkit.methods.method_info.MethodInfo`).
METHODS = (
    MethodInfo(
        id="wald_ratio", label="Wald ratio", short_label="Wald ratio", family="none (all valid)",
        r_function="TwoSampleMR 0.7.9 mr_wald_ratio; MendelianRandomization 0.10.0 mr_ivw with one variant",
        idea=("With one variant the causal effect is the ratio of its effect on the outcome to its effect on the "
              "exposure. Its SE here is the first-order one, byse / |bx|, as both R packages report it."),
        formula=r"\hat\beta_{W} = \hat\beta_{Y}/\hat\beta_{X},\quad \mathrm{SE} = \sigma_Y/|\hat\beta_X|",
        trades="Assumes the one variant is a valid instrument; nothing can be checked with one variant.",
        when="A single instrument (a cis-variant of a drug target, a pQTL)."),
)
