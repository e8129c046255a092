# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MVMR 0.4 (GPL-3) strength_mvmr, pleiotropy_mvmr.
"""Diagnostics of a multivariable MR fit: conditional F of each exposure and Q_A (MVMR 0.4, ``gencov = 0``).

* **Conditional F** of each exposure (``MVMR::strength_mvmr`` with ``gencov = 0``, Sanderson, Spiller &
  Bowden 2021): delta = OLS (unweighted, no intercept) of bx_k on the other exposures' bx;
  F_k = sum_j (bx_jk - bx_j,-k delta)^2 / (bxse_jk^2 + sum_l delta_l^2 bxse_jl^2) / J (MVMR divides by J).
* **Q_A** (``MVMR::pleiotropy_mvmr`` with ``gencov = 0``): sum_j (by_j - bx_j theta)^2 /
  (byse_j^2 + sum_k theta_k^2 bxse_jk^2) with theta the MV-IVW estimate, chi-square on J - K - 1 df
  (the df MVMR uses).

Both refuse a design that does not identify them (:func:`mrkit.methods.mv_design.check_design`).

References
----------
Sanderson E, Spiller W, Bowden J (2021). Testing and correcting for weak and pleiotropic instruments in
two-sample multivariable Mendelian randomization. Stat Med 40:5434-5452.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import NotEstimable
from .conventions import Convention, get_convention
from .distributions import chi2_sf
from .mv_design import check_arrays, check_design
from .mv_ivw import mr_mvegger, mv_ivw_fit
from .mvdata import as_mvdata
from .strength import f_statistic, mean_f

__all__ = ["conditional_f", "q_a", "mv_diagnostics"]


def conditional_f(bx, bxse, exposures: Sequence[str] | None = None) -> np.ndarray:
    """Conditional F-statistic of each exposure, MVMR ``strength_mvmr(r_input, gencov = 0)``.

    For exposure k: delta = OLS (no weights, no intercept) of bx_k on the other columns;
    F_k = (1/J) sum_j (bx_jk - sum_l delta_l bx_jl)^2 / (bxse_jk^2 + sum_l delta_l^2 bxse_jl^2).
    With one exposure this is the mean of (bx/bxse)^2. Shape (K,). Raises
    :class:`~mrkit.errors.NotEstimable` when J <= K or the exposure effects are collinear (named).

    References
    ----------
    Sanderson E, Spiller W, Bowden J (2021). Stat Med 40:5434-5452 (gencov = 0: non-overlapping
    exposure samples); MVMR ``strength_mvmr``.
    """
    bx, bxse = np.atleast_2d(np.asarray(bx, float)), np.atleast_2d(np.asarray(bxse, float))
    j, k = bx.shape
    if k == 1:  # nothing to condition on: the usual mean F
        return np.array([mean_f(f_statistic(bx[:, 0], bxse[:, 0]))])
    check_design(bx, exposures, method="the conditional F")
    out = np.empty(k)
    for i in range(k):
        others = np.delete(np.arange(k), i)
        delta, *_ = np.linalg.lstsq(bx[:, others], bx[:, i], rcond=None)
        resid = bx[:, i] - bx[:, others] @ delta
        var = bxse[:, i] ** 2 + (bxse[:, others] ** 2) @ (delta ** 2)
        out[i] = np.sum(resid ** 2 / var) / j
    return out


def q_a(bx, bxse, by, byse, exposures: Sequence[str] | None = None) -> dict:
    """Q_A for instrument validity, MVMR ``pleiotropy_mvmr(r_input, gencov = 0)``.

    ``Q_A = sum_j (by_j - bx_j theta)^2 / (byse_j^2 + sum_k theta_k^2 bxse_jk^2)``, theta the MV-IVW
    estimate; chi-square p on J - K - 1 df (MVMR's df). Returns ``q``, ``df``, ``p``. Raises
    :class:`~mrkit.errors.NotEstimable` when J < K + 2 (no degree of freedom) or the exposure effects are collinear.

    References
    ----------
    Sanderson E, Spiller W, Bowden J (2021). Stat Med 40:5434-5452; MVMR ``pleiotropy_mvmr``.
    """
    bx, bxse, by, byse = check_arrays(bx, bxse, by, byse)
    j, k = bx.shape
    check_design(bx, exposures, extra_variants=2, method="Q_A")
    theta = mv_ivw_fit(bx, by, byse, exposures)["estimate"]
    var = byse ** 2 + (bxse ** 2) @ (theta ** 2)
    q = float(np.sum((by - bx @ theta) ** 2 / var))
    df = j - k - 1
    return {"q": q, "df": df, "p": float(chi2_sf(q, df))}


def _or_nan(compute, nan: dict) -> dict:
    try:
        return compute()
    except NotEstimable as exc:
        return {**nan, "note": str(exc)}


def mv_diagnostics(data: Any, convention: str | Convention = "twosamplemr") -> dict:
    """Conditional F per exposure, Cochran's Q of MV-IVW, Q_A and the MV-Egger intercept, as a dict.

    Keys: ``strength`` {exposure: conditional F}, ``heterogeneity`` {q, df, p}, ``pleiotropy`` {q_a, df, p,
    egger_intercept, egger_intercept_se, egger_intercept_p, egger_distribution}, ``nsnp``, ``exposures``. A
    statistic the data cannot give (too few variants for Q_A or MV-Egger) is NaN and the part has a ``note``
    saying why.

    Raises
    ------
    NotEstimable
        A design that identifies no multivariable fit: J <= K, or collinear exposure effects (named).
    """
    conv = get_convention(convention)
    mv = as_mvdata(data)
    canon = mv.canonical()
    names = list(mv.exposures)
    check_design(canon.bx, names, method="multivariable MR")
    nan = float("nan")
    fit = mv_ivw_fit(canon.bx, canon.by, canon.byse, names)
    qa = _or_nan(lambda: q_a(*canon.arrays(), exposures=names), {"q": nan, "df": canon.j - canon.k - 1, "p": nan})
    eg = _or_nan(lambda: mr_mvegger(*canon.arrays(), t_dist=conv.egger_t, exposures=names)["intercept"],
                 {"estimate": nan, "se": nan, "p": nan, "distribution": ""})
    pleiotropy = {"q_a": qa["q"], "df": qa["df"], "p": qa["p"], "egger_intercept": eg["estimate"],
                  "egger_intercept_se": eg["se"], "egger_intercept_p": eg["p"],
                  "egger_distribution": eg["distribution"]}
    notes = [x["note"] for x in (qa, eg) if "note" in x]
    if notes:
        pleiotropy["note"] = "; ".join(notes)
    return {"nsnp": mv.j, "exposures": names,
            "strength": dict(zip(names, conditional_f(canon.bx, canon.bxse, names).tolist())),
            "heterogeneity": {"q": fit["q"], "df": fit["q_df"], "p": fit["q_p"]}, "pleiotropy": pleiotropy}
