# SPDX-License-Identifier: GPL-3.0-or-later
# Port of MVMR 0.4.6 (GPL-3), R/strength_mvmr.R, R/pleiotropy_mvmr.R and R/phenocov_mvmr.R,
# github.com/WSpiller/MVMR commit 13a3b37.
"""Conditional F-statistics and Q_A for multivariable MR with correlated exposure estimates (MVMR ``gencov``).

``phenocov_mvmr(pcor, bxse)`` builds, for every variant, the covariance of its K exposure estimates,
``Sigma_j = pcor * (bxse_j bxse_j')``, from the exposures' phenotypic correlation ``pcor`` (the estimates are
correlated when the exposure GWAS share participants). With it:

* **conditional F** (``strength_mvmr(r_input, gencov)``): for exposure k, ``delta`` = OLS (unweighted, no
  intercept) of ``bx_k`` on the other exposures' effects; with ``d = (-1 at k, delta elsewhere)``,
  ``sigma_jk^2 = d' Sigma_j d`` and ``F_k = sum_j (bx_jk - bx_j,-k delta)^2 / sigma_jk^2 / J``;
* **Q_A** (``pleiotropy_mvmr(r_input, gencov)``): with theta the MV-IVW estimate (``lm(by ~ bx - 1, weights =
  byse^-2)``), ``Q_A = sum_j (by_j - bx_j theta)^2 / (byse_j^2 + theta' Sigma_j theta)``, chi-square on
  ``J - K - 1`` df.

With ``pcor = None`` (the identity: uncorrelated estimates) both reduce exactly to MVMR's ``gencov = 0`` versions.

Quirks of MVMR kept here (listed on the conventions page): F is the statistic divided by J, where
MendelianRandomization's ``mr_mvivw(nx, correl.x)`` CondFstat divides its (minimised) statistic by J - K + 1, so the
two packages' conditional F differ; Q_A's p-value uses J - K - 1 degrees of freedom although the IVW fit has K
parameters (MendelianRandomization's ``mr_mvivw`` Heter.Stat uses J - K).

Batches: ``bx``, ``bxse`` of shape (J, K) or (n_rep, J, K); ``by``, ``byse`` (J,) or (n_rep, J).

References
----------
Sanderson E, Spiller W, Bowden J (2021). Testing and correcting for weak and pleiotropic instruments in two-sample
multivariable Mendelian randomization. Stat Med 40:5434-5452.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .distributions import chi2_sf
from .method_info import MethodInfo
from .mrlasso import mv_batch

__all__ = ["METHODS", "QUIRKS", "conditional_f_gencov", "q_a_gencov", "phenotypic_covariances"]

METHODS = (
    MethodInfo(
        id="conditional_f_gencov", label="Conditional F-statistic (correlated exposure estimates)",
        short_label="Cond. F", family="none (all valid)",
        r_function="MVMR 0.4.6 strength_mvmr(r_input, gencov = phenocov_mvmr(pcor, bxse))",
        idea=("In multivariable MR an instrument must predict each exposure given the others. The conditional F of "
              "an exposure measures how well the variants predict it beyond what the other exposures explain, "
              "allowing for correlated exposure estimates."),
        formula=r"F_k = \frac1J\sum_j \frac{(\hat\beta_{Xjk} - \hat\beta_{Xj,-k}'\hat\delta)^2}{d'\Sigma_j d}",
        trades="A diagnostic (no estimate): flags weak instruments for each exposure (F below about 10).",
        when="Every multivariable analysis; give --phenocor when the exposure GWAS overlap.",
        extra_keys=("conditional_f",)),
    MethodInfo(
        id="q_a_gencov", label="Q_A heterogeneity (correlated exposure estimates)", short_label="Q_A",
        family="none (all valid)",
        r_function="MVMR 0.4.6 pleiotropy_mvmr(r_input, gencov = phenocov_mvmr(pcor, bxse))",
        idea=("Cochran's Q for multivariable MR with the uncertainty of the exposure effects in the weights. Large "
              "Q_A means the variants disagree more than chance allows: pleiotropy beyond the modelled exposures."),
        formula=r"Q_A = \sum_j \frac{(\hat\beta_{Yj} - \hat\beta_{Xj}'\hat\theta)^2}{\sigma_{Yj}^2 + "
                r"\hat\theta'\Sigma_j\hat\theta}",
        trades="A diagnostic (no estimate): tests the validity assumption jointly.",
        when="Every multivariable analysis, beside the MV-IVW estimate.",
        extra_keys=("q", "df", "p")),
)
#: R behaviours reproduced although they look unintended (for the conventions page), by method id.
QUIRKS = {"conditional_f_gencov": ("MVMR divides the statistic by J; MendelianRandomization's mr_mvivw CondFstat "
                                   "divides by J - K + 1.",),
          "q_a_gencov": ("The p-value uses J - K - 1 df although the IVW fit has K parameters (mr_mvivw's "
                         "Heter.Stat: J - K).",)}


def phenotypic_covariances(bxse, pcor=None) -> np.ndarray:
    """MVMR ``phenocov_mvmr``: ``Sigma_j = pcor * outer(bxse_j, bxse_j)``, shape (..., J, K, K)."""
    bxse = np.asarray(bxse, dtype=float)
    k = bxse.shape[-1]
    pcor = np.eye(k) if pcor is None else _check_pcor(pcor, k)
    return pcor * bxse[..., :, None] * bxse[..., None, :]


def _check_pcor(pcor, k):
    pcor = np.asarray(pcor, dtype=float)
    if pcor.shape != (k, k) or not np.allclose(pcor, pcor.T) or not np.allclose(np.diag(pcor), 1.0) \
            or np.any(np.linalg.eigvalsh(pcor) <= 0):
        raise InputError(f"the exposure correlation must be a symmetric positive definite {k} x {k} matrix with "
                         "ones on the diagonal", column="phenocor")
    return pcor


def conditional_f_gencov(bx, bxse, pcor=None) -> np.ndarray:
    """Conditional F of every exposure, MVMR ``strength_mvmr(r_input, gencov = phenocov_mvmr(pcor, bxse))``.

    ``bx``, ``bxse`` (J, K) or (n_rep, J, K); ``pcor`` (K, K) or None (MVMR's ``gencov = 0``). Returns (n_rep, K).
    Raises :class:`~mrkit.errors.InputError` for bad shapes or a bad ``pcor``.
    """
    bx3 = np.asarray(bx, dtype=float)
    if bx3.ndim == 2:
        bx3 = bx3[None]
    n_rep, j, k = bx3.shape
    sigma = phenotypic_covariances(np.asarray(bxse, dtype=float).reshape(bx3.shape), pcor)
    out = np.empty((n_rep, k))
    for i in range(k):
        others = [other for other in range(k) if other != i]
        if not others:  # one exposure: nothing to condition on
            out[:, i] = np.mean(bx3[:, :, i] ** 2 / sigma[:, :, i, i], axis=1)
            continue
        xo = bx3[:, :, others]
        delta = np.linalg.solve(np.einsum("rjk,rjl->rkl", xo, xo),
                                np.einsum("rjk,rj->rk", xo, bx3[:, :, i])[..., None])[..., 0]
        d = np.zeros((n_rep, k))
        d[:, i] = -1.0
        d[:, others] = delta
        var = np.einsum("rk,rjkl,rl->rj", d, sigma, d)
        resid = bx3[:, :, i] - np.einsum("rjk,rk->rj", xo, delta)
        out[:, i] = np.sum(resid ** 2 / var, axis=1) / j
    return out


def q_a_gencov(bx, bxse, by, byse, pcor=None) -> dict[str, np.ndarray]:
    """Q_A, MVMR ``pleiotropy_mvmr(r_input, gencov = phenocov_mvmr(pcor, bxse))``.

    ``bx``, ``bxse`` (J, K) or (n_rep, J, K); ``by``, ``byse`` (J,) or (n_rep, J); ``pcor`` (K, K) or None.
    Returns ``q``, ``p`` (n_rep,) and ``df`` (int, J - K - 1, MVMR's).
    Raises :class:`~mrkit.errors.InputError` for bad input or a bad ``pcor``.
    """
    bx3, by2, byse2 = mv_batch(bx, bxse, by, byse)
    n_rep, j, k = bx3.shape
    sigma = phenotypic_covariances(np.asarray(bxse, dtype=float).reshape(bx3.shape), pcor)
    w = byse2 ** -2.0
    theta = np.linalg.solve(np.einsum("rjk,rj,rjl->rkl", bx3, w, bx3),
                            np.einsum("rjk,rj,rj->rk", bx3, w, by2)[..., None])[..., 0]
    var = byse2 ** 2 + np.einsum("rk,rjkl,rl->rj", theta, sigma, theta)
    q = np.sum((by2 - np.einsum("rjk,rk->rj", bx3, theta)) ** 2 / var, axis=1)
    df = j - k - 1
    return {"q": q, "df": df, "p": chi2_sf(q, df) if df > 0 else np.full(n_rep, np.nan)}
