"""The design of a multivariable MR fit: input checks (one dataset or a batch), the rank check every multivariable
method makes first, weighted least squares as R's ``lm`` computes it, and a batch result as one row per exposure.

A multivariable fit regresses the variants' outcome effects on their effects on K exposures (plus an intercept in
MV-Egger). It is identified only when the design has full column rank: more variants than coefficients, and
exposure effects that are not linearly dependent across the variants (two exposures whose effects are
proportional, or one that is a combination of others, cannot be told apart). :func:`check_design` refuses such
a design with one line naming the exposures involved and the variants needed, before any estimator runs into a
singular matrix.

References
----------
Sanderson E, Davey Smith G, Windmeijer F, Bowden J (2019). An examination of multivariable Mendelian
randomization in the single-sample and two-sample summary data settings. Int J Epidemiol 48:713-727.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError, NotEstimable

__all__ = ["as_mv_batch", "check_arrays", "check_design", "mv_rows", "wls", "RANK_TOLERANCE"]

#: A design is rank deficient when its smallest singular value (columns scaled to unit length) is below this
#: fraction of its largest.
RANK_TOLERANCE = 1e-10


def as_mv_batch(bx, bxse, by, byse, *, min_extra_variants: int = 0
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Multivariable inputs with a replicate axis: ``bx``, ``bxse`` (J, K) or (n_rep, J, K) and ``by``, ``byse``
    (J,) or (n_rep, J), as (n_rep, J, K), (n_rep, J, K), (n_rep, J), (n_rep, J) float arrays.

    Raises :class:`~mrkit.errors.InputError` for shapes that disagree, non-finite values, SEs <= 0 or fewer than
    K + ``min_extra_variants`` variants (MV-Lasso and MVMR-cML: 2, as R's methods).
    """
    bx3, bxse3 = np.asarray(bx, dtype=float), np.asarray(bxse, dtype=float)
    by2, byse2 = np.atleast_2d(np.asarray(by, dtype=float)), np.atleast_2d(np.asarray(byse, dtype=float))
    if bx3.ndim == 2:
        bx3 = bx3[None]
    if bxse3.ndim == 2:
        bxse3 = bxse3[None]
    if bx3.ndim != 3 or bxse3.shape != bx3.shape or by2.shape != bx3.shape[:2] or byse2.shape != by2.shape:
        raise InputError(f"shapes disagree: bx {np.shape(bx)}, bxse {np.shape(bxse)}, by {np.shape(by)}, "
                         f"byse {np.shape(byse)} (want (J, K) and (J,), or with a leading replicate axis)",
                         column="bx")
    for name, arr in (("bx", bx3), ("bxse", bxse3), ("by", by2), ("byse", byse2)):
        if not np.all(np.isfinite(arr)):
            raise InputError("must be finite", column=name)
    if np.any(bxse3 <= 0) or np.any(byse2 <= 0):
        raise InputError("standard errors must be > 0", column="bxse" if np.any(bxse3 <= 0) else "byse")
    if bx3.shape[1] < bx3.shape[2] + min_extra_variants:
        raise InputError(f"{bx3.shape[1]} variants for {bx3.shape[2]} exposures: need at least K + "
                         f"{min_extra_variants}", column="bx")
    return bx3, bxse3, by2, byse2


def check_arrays(bx, bxse, by, byse) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``bx``, ``bxse`` as (J, K) and ``by``, ``byse`` as (J,) float arrays (one exposure may be given as a row):
    one dataset of :func:`as_mv_batch`.

    Raises :class:`~mrkit.errors.InputError` for shapes that disagree, non-finite values or SEs <= 0.
    """
    bx, bxse = np.atleast_2d(np.asarray(bx, float)), np.atleast_2d(np.asarray(bxse, float))
    by, byse = np.asarray(by, float).ravel(), np.asarray(byse, float).ravel()
    if bx.shape[0] != by.size and bx.shape[1] == by.size:  # one exposure given as a row
        bx, bxse = bx.T, bxse.T
    bx3, bxse3, by2, byse2 = as_mv_batch(bx, bxse, by, byse)
    return bx3[0], bxse3[0], by2[0], byse2[0]


def mv_rows(result: dict, *, nsnp: int, se_model: str, weights: str) -> list[dict]:
    """Replicate 0 of a batched multivariable result (``estimate``, ``se`` (n_rep, K), ``note`` (n_rep,)) as the
    registry's rows, one per exposure (``exposure_index``; normal p and CI)."""
    from .conventions import result_row

    return [result_row(result["estimate"][0, i], result["se"][0, i], nsnp=nsnp, se_model=se_model, weights=weights,
                       note=str(result["note"][0]), exposure_index=i) for i in range(result["estimate"].shape[1])]


def _names(exposures: Sequence[str] | None, k: int) -> list[str]:
    return list(exposures) if exposures is not None and len(exposures) == k else [f"exposure {i + 1}" for i in
                                                                                 range(k)]


def check_design(bx: np.ndarray, exposures: Sequence[str] | None = None, *, intercept: bool = False,
                 extra_variants: int = 1, method: str = "this multivariable method") -> None:
    """Refuse a design that does not identify the fit, with one line saying why.

    Parameters
    ----------
    bx : (J, K) array
        The variants' exposure effects (oriented as the fit uses them).
    exposures : K names, optional
        How the message names the exposures (default "exposure 1".."exposure K").
    intercept : bool
        The fit has an intercept column (MV-Egger).
    extra_variants : int
        Variants needed beyond the number of coefficients (1: a residual degree of freedom; MVMR's Q_A needs 2).
    method : str
        The method's name, first word of the message.

    Raises
    ------
    NotEstimable
        Fewer than ``K (+1) + extra_variants`` variants ("MV-IVW needs at least 4 variants for 3 exposures, got
        3"), or exposure effects that are linearly dependent across the variants ("the effects of ldl and tg are
        collinear over the 28 variants (design rank 2 of 3): ..."), naming the exposures of the dependency.
    """
    bx = np.atleast_2d(np.asarray(bx, dtype=float))
    j, k = bx.shape
    names = _names(exposures, k)
    n_coef = k + int(intercept)
    needed = n_coef + extra_variants
    what = f"{k} exposure{'s' if k > 1 else ''}" + (" and an intercept" if intercept else "")
    if j < needed:
        raise NotEstimable(f"{method} needs at least {needed} variants for {what}, got {j}")
    design = np.column_stack([np.ones(j), bx]) if intercept else bx
    norms = np.sqrt(np.sum(design ** 2, axis=0))
    zero = norms == 0
    if zero.any():
        first = int(np.flatnonzero(zero)[0]) - int(intercept)
        raise NotEstimable(f"{method}: {names[first]} has no effect on any of the {j} variants: its effect cannot "
                           "be estimated; drop it")
    _, s, vt = np.linalg.svd(design / norms, full_matrices=False)
    rank = int(np.sum(s > RANK_TOLERANCE * s[0]))
    if rank == n_coef:
        return
    null = vt[-1]  # a combination of the columns that is (numerically) zero
    involved = [i for i in np.flatnonzero(np.abs(null) > 1e-6 * np.abs(null).max())]
    labels = [("the intercept" if intercept and i == 0 else names[i - int(intercept)]) for i in involved]
    listed = " and ".join(labels) if len(labels) <= 2 else ", ".join(labels[:-1]) + " and " + labels[-1]
    raise NotEstimable(f"{method}: the effects of {listed} are collinear over the {j} variants (design rank {rank} "
                       f"of {n_coef}): drop one of them, or use at least {needed} variants whose effects on the "
                       f"exposures are not proportional")


def wls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict:
    """Weighted least squares ``y ~ x - 1`` as R's lm (QR of the weighted design): ``coef``, ``xtwx_inv``
    ((X'WX)^-1), ``sigma`` (residual SE), ``rss``, ``df`` = n - p and ``resid``. The design must have passed
    :func:`check_design`."""
    n, p = x.shape
    sw = np.sqrt(w)
    q, r = np.linalg.qr(x * sw[:, None])
    coef = np.linalg.solve(r, q.T @ (y * sw))
    rinv = np.linalg.inv(r)
    resid = y - x @ coef
    rss = float(np.sum(w * resid ** 2))
    return {"coef": coef, "xtwx_inv": rinv @ rinv.T, "sigma": float(np.sqrt(rss / (n - p))), "rss": rss,
            "df": n - p, "resid": resid}
