# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MVMR 0.4.6 (GPL-3), R/strength_mvmr.R, R/pleiotropy_mvmr.R and R/phenocov_mvmr.R,
# github.com/WSpiller/MVMR commit 13a3b37.
"""Diagnostics of a multivariable MR fit: conditional F of each exposure and Q_A (MVMR 0.4), with correlated
exposure estimates (MVMR's ``gencov``) or without (``gencov = 0``).

``phenocov_mvmr(pcor, bxse)`` builds, for every variant, the covariance of its K exposure estimates,
``Sigma_j = pcor * (bxse_j bxse_j')``, from the exposures' phenotypic correlation ``pcor`` (the estimates are
correlated when the exposure GWAS share participants); ``pcor = None`` is the identity, MVMR's ``gencov = 0``
(non-overlapping exposure samples). With it:

* **Conditional F** of each exposure (``MVMR::strength_mvmr``, Sanderson, Spiller & Bowden 2021): ``delta`` = OLS
  (unweighted, no intercept: R's ``lm``) of ``bx_k`` on the other exposures' effects; with ``d = (-1 at k, delta
  elsewhere)``, ``sigma_jk^2 = d' Sigma_j d`` and ``F_k = sum_j (bx_jk - bx_j,-k delta)^2 / sigma_jk^2 / J``
  (MVMR divides by J). With ``gencov = 0``, ``sigma_jk^2 = bxse_jk^2 + sum_l delta_l^2 bxse_jl^2``.
* **Q_A** (``MVMR::pleiotropy_mvmr``): with theta the MV-IVW estimate (``lm(by ~ bx - 1, weights = byse^-2)``),
  ``Q_A = sum_j (by_j - bx_j theta)^2 / (byse_j^2 + theta' Sigma_j theta)``, chi-square on J - K - 1 df (the df
  MVMR uses).

One implementation: :func:`conditional_f_gencov` and :func:`q_a_gencov` (batches: ``bx``, ``bxse`` (J, K) or
(n_rep, J, K); ``by``, ``byse`` (J,) or (n_rep, J)); :func:`conditional_f` and :func:`q_a` are one dataset of
them after the design check every multivariable method makes (:func:`mrkit.methods.mv_design.check_design`).

Quirks of MVMR kept here (listed on the conventions page, :data:`QUIRKS`): F is the statistic divided by J, where
MendelianRandomization's ``mr_mvivw(nx, correl.x)`` CondFstat divides its (minimised) statistic by J - K + 1, so the
two packages' conditional F differ; Q_A's p-value uses J - K - 1 degrees of freedom although the IVW fit has K
parameters (MendelianRandomization's ``mr_mvivw`` Heter.Stat uses J - K).

References
----------
Sanderson E, Spiller W, Bowden J (2021). Testing and correcting for weak and pleiotropic instruments in
two-sample multivariable Mendelian randomization. Stat Med 40:5434-5452.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InputError, NotEstimable
from .conventions import Convention, get_convention
from .distributions import chi2_sf
from .method_info import MethodInfo
from .mv_design import as_mv_batch, check_arrays, check_design, wls
from .mv_ivw import mr_mvegger, mv_ivw_fit
from .mvdata import as_mvdata

__all__ = ["METHODS", "QUIRKS", "conditional_f", "conditional_f_gencov", "q_a", "q_a_gencov",
           "phenotypic_covariances", "mv_diagnostics"]

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


def _as_bx3(bx, bxse) -> tuple[np.ndarray, np.ndarray]:
    bx3, bxse3 = np.asarray(bx, dtype=float), np.asarray(bxse, dtype=float)
    bx3, bxse3 = (bx3[None], bxse3[None]) if bx3.ndim == 2 else (bx3, bxse3)
    if bx3.ndim != 3 or bxse3.shape != bx3.shape:
        raise InputError(f"shapes disagree: bx {np.shape(bx)}, bxse {np.shape(bxse)} (want (J, K) or (n_rep, J, K))",
                         column="bx")
    return bx3, bxse3


def conditional_f_gencov(bx, bxse, pcor=None) -> np.ndarray:
    """Conditional F of every exposure, MVMR ``strength_mvmr(r_input, gencov = phenocov_mvmr(pcor, bxse))``.

    ``bx``, ``bxse`` (J, K) or (n_rep, J, K); ``pcor`` (K, K) or None (MVMR's ``gencov = 0``). Returns (n_rep, K).
    With one exposure, the mean of ``(bx / bxse)^2`` (nothing to condition on). Raises
    :class:`~mrkit.errors.InputError` for bad shapes or a bad ``pcor``.
    """
    bx3, bxse3 = _as_bx3(bx, bxse)
    n_rep, j, k = bx3.shape
    sigma = phenotypic_covariances(bxse3, pcor)
    out = np.empty((n_rep, k))
    for i in range(k):
        others = [other for other in range(k) if other != i]
        if not others:  # one exposure: nothing to condition on
            out[:, i] = np.mean(bx3[:, :, i] ** 2 / sigma[:, :, i, i], axis=1)
            continue
        xo = bx3[:, :, others]
        delta = np.stack([wls(xo[r], bx3[r, :, i], np.ones(j))["coef"] for r in range(n_rep)])  # R's lm(... - 1)
        d = np.zeros((n_rep, k))
        d[:, i] = -1.0
        d[:, others] = delta
        var = np.einsum("rk,rjkl,rl->rj", d, sigma, d)
        resid = bx3[:, :, i] - np.einsum("rjk,rk->rj", xo, delta)
        out[:, i] = np.sum(resid ** 2 / var, axis=1) / j
    return out


def q_a_gencov(bx, bxse, by, byse, pcor=None) -> dict[str, Any]:
    """Q_A, MVMR ``pleiotropy_mvmr(r_input, gencov = phenocov_mvmr(pcor, bxse))``.

    ``bx``, ``bxse`` (J, K) or (n_rep, J, K); ``by``, ``byse`` (J,) or (n_rep, J); ``pcor`` (K, K) or None.
    Returns ``q``, ``p`` (n_rep,) and ``df`` (int, J - K - 1, MVMR's).
    Raises :class:`~mrkit.errors.InputError` for bad input, fewer than K + 2 variants or a bad ``pcor``.
    """
    bx3, bxse3, by2, byse2 = as_mv_batch(bx, bxse, by, byse, min_extra_variants=2)
    n_rep, j, k = bx3.shape
    sigma = phenotypic_covariances(bxse3, pcor)
    theta = np.stack([wls(bx3[r], by2[r], byse2[r] ** -2.0)["coef"] for r in range(n_rep)])  # R's lm, weighted
    var = byse2 ** 2 + np.einsum("rk,rjkl,rl->rj", theta, sigma, theta)
    q = np.sum((by2 - np.einsum("rjk,rk->rj", bx3, theta)) ** 2 / var, axis=1)
    df = j - k - 1
    return {"q": q, "df": df, "p": chi2_sf(q, df)}


def conditional_f(bx, bxse, exposures: Sequence[str] | None = None, pcor=None) -> np.ndarray:
    """Conditional F-statistic of each exposure of one dataset, MVMR ``strength_mvmr`` (:func:`conditional_f_gencov`;
    ``pcor`` None: ``gencov = 0``). Shape (K,). Raises :class:`~mrkit.errors.NotEstimable` when J <= K or the
    exposure effects are collinear (named).

    References
    ----------
    Sanderson E, Spiller W, Bowden J (2021). Stat Med 40:5434-5452; MVMR ``strength_mvmr``.
    """
    bx, bxse = np.atleast_2d(np.asarray(bx, float)), np.atleast_2d(np.asarray(bxse, float))
    if bx.shape[1] > 1:
        check_design(bx, exposures, method="the conditional F")
    return conditional_f_gencov(bx, bxse, pcor)[0]


def q_a(bx, bxse, by, byse, exposures: Sequence[str] | None = None, pcor=None) -> dict:
    """Q_A for instrument validity of one dataset, MVMR ``pleiotropy_mvmr`` (:func:`q_a_gencov`; ``pcor`` None:
    ``gencov = 0``): ``q``, ``df``, ``p`` as numbers. Raises :class:`~mrkit.errors.NotEstimable` when J < K + 2 (no
    degree of freedom) or the exposure effects are collinear.

    References
    ----------
    Sanderson E, Spiller W, Bowden J (2021). Stat Med 40:5434-5452; MVMR ``pleiotropy_mvmr``.
    """
    bx, bxse, by, byse = check_arrays(bx, bxse, by, byse)
    check_design(bx, exposures, extra_variants=2, method="Q_A")
    res = q_a_gencov(bx, bxse, by, byse, pcor)
    return {"q": float(res["q"][0]), "df": res["df"], "p": float(res["p"][0])}


def _or_nan(compute, nan: dict) -> dict:
    try:
        return compute()
    except NotEstimable as exc:
        return {**nan, "note": str(exc)}


def mv_diagnostics(data: Any, convention: str | Convention = "twosamplemr", pcor=None) -> dict:
    """Conditional F per exposure, Cochran's Q of MV-IVW, Q_A and the MV-Egger intercept, as a dict.

    Keys: ``strength`` {exposure: conditional F}, ``heterogeneity`` {q, df, p}, ``pleiotropy`` {q_a, df, p,
    egger_intercept, egger_intercept_se, egger_intercept_p, egger_distribution}, ``nsnp``, ``exposures``, ``gencov``
    (``"0"`` or ``"phenocov_mvmr(pcor, bxse)"``: the rule of the conditional F and Q_A). ``pcor`` (K x K, the
    exposures' phenotypic correlation in the order of ``data``'s exposures) gives both with MVMR's ``gencov``
    (:func:`conditional_f_gencov`, :func:`q_a_gencov`); None, MVMR's ``gencov = 0``. A statistic the data cannot give
    (too few variants for Q_A or MV-Egger) is NaN and the part has a ``note`` saying why.

    Raises
    ------
    NotEstimable
        A design that identifies no multivariable fit: J <= K, or collinear exposure effects (named).
    InputError
        A bad ``pcor`` (not K x K, not symmetric positive definite with a unit diagonal).
    """
    conv = get_convention(convention)
    mv = as_mvdata(data)
    canon = mv.canonical()
    names = list(mv.exposures)
    check_design(canon.bx, names, method="multivariable MR")
    if pcor is not None:
        pcor = _check_pcor(pcor, canon.k)
        # canonical orientation flips whole variants (every exposure and the outcome): pcor is unchanged by it
    nan = float("nan")
    fit = mv_ivw_fit(canon.bx, canon.by, canon.byse, names)
    qa = _or_nan(lambda: q_a(*canon.arrays(), exposures=names, pcor=pcor),
                 {"q": nan, "df": canon.j - canon.k - 1, "p": nan})
    eg = _or_nan(lambda: mr_mvegger(*canon.arrays(), t_dist=conv.egger_t, exposures=names)["intercept"],
                 {"estimate": nan, "se": nan, "p": nan, "distribution": ""})
    pleiotropy = {"q_a": qa["q"], "df": qa["df"], "p": qa["p"], "egger_intercept": eg["estimate"],
                  "egger_intercept_se": eg["se"], "egger_intercept_p": eg["p"],
                  "egger_distribution": eg["distribution"]}
    notes = [x["note"] for x in (qa, eg) if "note" in x]
    if notes:
        pleiotropy["note"] = "; ".join(notes)
    return {"nsnp": mv.j, "exposures": names,
            "strength": dict(zip(names, conditional_f(canon.bx, canon.bxse, names, pcor).tolist())),
            "heterogeneity": {"q": fit["q"], "df": fit["q_df"], "p": fit["q_p"]}, "pleiotropy": pleiotropy,
            "gencov": "0" if pcor is None else "phenocov_mvmr(pcor, bxse)"}
