"""Arrays with a leading replicate axis: the input check, the seeds and the result of every estimator.

Every estimator of :mod:`mrkit.methods` is written once, for ``n_rep`` datasets of ``k`` variants at a time
(one dataset is a batch of one): ``bx, bxse, by, byse`` of shape ``(n_rep, k)`` (or ``(k,)``) in, a dict of
``(n_rep,)`` arrays out. This module holds what they share:

* :func:`as_batch` checks the four inputs and returns them as C-contiguous ``(n_rep, k)`` float arrays;
* :func:`replicate_seeds` and :func:`replicate_rngs`: replicate ``r`` of a batch seeded with ``s`` draws from
  ``numpy.random.default_rng(s + r)`` (or from the r-th seed of an array of seeds), so that a batch of one
  seeded ``s + r`` gives exactly row ``r`` of the batch, and a single dataset seeded ``s`` draws what the
  one-dataset estimators of earlier mrkit versions drew;
* :func:`make_result` turns estimates and SEs into the result dict (p-value and 95 % CI from the normal or
  t(df), the labels of how they were made); :func:`result_rows` turns a result into one plain dict per
  replicate (the rows of ``mrkit.mr()``).

The contract every estimator follows is written out for contributors in the project's estimator contract and in
:mod:`mrkit.methods.registry`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, NotEstimable
from ..rng import resolve_seed
from .distributions import norm_ppf, norm_sf, t_ppf, t_sf

__all__ = ["Batch", "as_batch", "replicate_seeds", "replicate_rngs", "make_result", "result_rows", "n_replicates",
           "not_estimable", "NOT_ESTIMABLE", "SHARED_LABELS"]

#: ``(bx, bxse, by, byse)``, each of shape ``(n_rep, k)``.
Batch = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
#: How a replicate's note starts when it could not be estimated (its numbers are NaN).
NOT_ESTIMABLE = "not estimable: "
#: Keys of every result besides the five numbers; each is one value for the batch or an array of n_rep values.
SHARED_LABELS = ("nsnp", "se_model", "distribution", "ci_distribution", "weights", "n_boot", "seed", "note")
_NAMES = ("bx", "bxse", "by", "byse")


def as_batch(bx: Any, bxse: Any, by: Any, byse: Any, *, min_snps: int = 1, method: str = "this method") -> Batch:
    """The four inputs as float arrays of one common shape ``(n_rep, k)`` (C-contiguous).

    A 1-D input is one replicate; an SE of shape ``(k,)`` is shared by every replicate.

    Raises
    ------
    InputError
        Arrays that are not numeric, of more than two dimensions or of shapes that do not broadcast; a
        non-finite value, an SE <= 0 or a zero ``bx`` (the message names the argument and, for 1-D input, the
        variant as ``row``; for 2-D input the replicate as ``row`` and the variant's column).
    NotEstimable
        Fewer than ``min_snps`` variants: "<method> needs at least <min_snps> SNPs, got <k>".
    """
    arrays = []
    for name, value in zip(_NAMES, (bx, bxse, by, byse)):
        try:
            arrays.append(np.asarray(value, dtype=float))
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name} must be numeric ({exc})", column=name) from None
    if any(a.ndim > 2 for a in arrays):
        raise InputError("inputs must be (n_rep, k) or (k,) arrays, got shapes "
                         + ", ".join(str(a.shape) for a in arrays), column="bx")
    try:
        arrays = np.broadcast_arrays(*[np.atleast_2d(a) for a in arrays])
    except ValueError:
        raise InputError("bx, bxse, by, byse have shapes that do not broadcast: "
                         + ", ".join(str(np.shape(a)) for a in arrays), column="bx") from None
    one = all(np.ndim(v) <= 1 for v in (bx, bxse, by, byse))
    arrays = [np.ascontiguousarray(a) for a in arrays]
    for name, a in zip(_NAMES, arrays):
        bad = ~np.isfinite(a)
        if name in ("bxse", "byse"):
            bad |= ~(a > 0)
        if name == "bx":
            bad |= a == 0
        if bad.any():
            r, j = np.argwhere(bad)[0]
            what = "must be finite" + (" and > 0" if name.endswith("se") else "") + (" and non-zero" if name == "bx"
                                                                                     else "")
            if one:  # one dataset: the row is the variant
                raise InputError(f"{name} {what} (value {a[r, j]!r})", row=int(j), column=name)
            raise InputError(f"{name} {what} (value {a[r, j]!r} at SNP column {j})", row=int(r), column=name)
    k = arrays[0].shape[1]
    if k < min_snps:
        raise NotEstimable(f"{method} needs at least {min_snps} SNPs, got {k}")
    return arrays[0], arrays[1], arrays[2], arrays[3]


def replicate_seeds(seed: int | Any | None, n_rep: int) -> np.ndarray:
    """The seed of each replicate: ``seed + r`` for an integer (the default seed when None), or the array given.

    Raises :class:`~mrkit.errors.InputError` for an array of the wrong length or a negative seed.
    """
    if seed is None or np.ndim(seed) == 0:
        first = resolve_seed(None if seed is None else int(seed))
        return first + np.arange(n_rep, dtype=object if first + n_rep >= 2 ** 63 else np.int64)
    seeds = np.asarray(seed).ravel()
    if seeds.size != n_rep:
        raise InputError(f"got {seeds.size} seeds for {n_rep} replicates", column="seed")
    if (seeds < 0).any():
        raise InputError("seeds must be >= 0", column="seed")
    return seeds


def replicate_rngs(seed: int | Any | None, n_rep: int) -> list[np.random.Generator]:
    """One generator per replicate, ``numpy.random.default_rng(replicate_seeds(seed, n_rep)[r])``."""
    return [np.random.default_rng(int(s)) for s in replicate_seeds(seed, n_rep)]


def n_replicates(result: dict) -> int:
    """The number of replicates of a result (the length of its ``estimate``)."""
    return int(np.shape(result["estimate"])[0])


def _label(df) -> Any:
    if df is None:
        return "normal"
    if np.ndim(df) == 0:
        return f"t({int(df)})"
    return np.array(["normal" if not np.isfinite(d) else f"t({int(d)})" for d in np.asarray(df, float)], dtype=object)


def _p_and_quantile(estimate: np.ndarray, se: np.ndarray, df, ci_df) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, np.abs(estimate / se), np.nan)
    if df is None:
        p = 2.0 * norm_sf(z)
    else:
        d = np.asarray(df, dtype=float)
        p = np.where(np.isfinite(d), 2.0 * t_sf(z, np.where(np.isfinite(d), d, 1.0)), 2.0 * norm_sf(z))
    if ci_df is None:
        q = np.full(estimate.shape, norm_ppf(0.975))
    else:
        d = np.broadcast_to(np.asarray(ci_df, dtype=float), estimate.shape)
        q = np.where(np.isfinite(d), t_ppf(0.975, np.where(np.isfinite(d), d, 1.0)), norm_ppf(0.975))
    return np.asarray(p, dtype=float), np.asarray(q, dtype=float)


def make_result(estimate: Any, se: Any, *, nsnp: Any, se_model: str, weights: str, df: Any = None,
                ci_df: Any = "same", n_boot: int | None = None, seed: Any = None, note: Any = "",
                **extra: Any) -> dict[str, Any]:
    """The result of an estimator over ``n_rep`` replicates: numbers, p-values, 95 % CIs and labels.

    Parameters
    ----------
    estimate, se : array_like, shape (n_rep,)
        A NaN estimate marks a replicate that could not be estimated (say why in ``note``).
    nsnp : int or (n_rep,) ints
        Variants used.
    se_model, weights : str
        How the SE was made and which weights (result columns of ``mrkit.mr()``).
    df : None, number or (n_rep,) array
        Degrees of freedom of the t distribution of the p-value; None (or NaN per replicate) for the normal.
    ci_df : "same", None, number or (n_rep,) array
        The CI's distribution when it differs from the p-value's (TwoSampleMR's mode: t p-value, normal CI).
    n_boot : int, optional
        Bootstrap draws (or null distributions), for a random method.
    seed : int or (n_rep,) ints, optional
        The seed of each replicate's draws (:func:`replicate_seeds`), for a random method.
    note : str or (n_rep,) array of str
        One note for the batch or one per replicate ("" when nothing to say).
    **extra
        Further quantities: an ``numpy.ndarray`` whose first axis is the replicate (``(n_rep,)`` or
        ``(n_rep, k)``), or a plain value shared by the batch.

    Returns
    -------
    dict
        ``estimate, se, ci_lower, ci_upper, p`` as ``(n_rep,)`` float arrays, then ``nsnp, se_model,
        distribution, ci_distribution, weights, n_boot, seed, note`` and ``extra``. p: two-sided, from |estimate /
        se|; NaN where se <= 0. CI: estimate -/+ q se with q the 97.5 % quantile of the CI's distribution.
    """
    estimate = np.atleast_1d(np.asarray(estimate, dtype=float))
    se = np.atleast_1d(np.asarray(se, dtype=float))
    ci_df = df if isinstance(ci_df, str) and ci_df == "same" else ci_df
    p, q = _p_and_quantile(estimate, se, df, ci_df)
    out = {"estimate": estimate, "se": se, "ci_lower": estimate - q * se, "ci_upper": estimate + q * se, "p": p,
           "nsnp": nsnp, "se_model": se_model, "distribution": _label(df), "ci_distribution": _label(ci_df),
           "weights": weights, "n_boot": n_boot, "seed": seed, "note": note}
    out.update(extra)
    return out


def not_estimable(result: dict, failed: np.ndarray, reasons: Any) -> dict:
    """Mark replicates ``failed`` (boolean, (n_rep,)) as not estimable: NaN numbers, note ``"not estimable: "``
    + the reason (one string, or one per replicate). Returns ``result`` (changed in place)."""
    failed = np.asarray(failed, dtype=bool)
    if not failed.any():
        return result
    n = failed.size
    for key in ("estimate", "se", "ci_lower", "ci_upper", "p"):
        result[key] = np.where(failed, np.nan, result[key])
    note = result.get("note", "")
    notes = np.array(list(note) if isinstance(note, np.ndarray) else [note] * n, dtype=object)
    reasons = np.broadcast_to(np.asarray(reasons, dtype=object), (n,))
    notes[failed] = [NOT_ESTIMABLE + str(r) for r in reasons[failed]]
    result["note"] = notes
    return result


def _item(value: Any, r: int) -> Any:
    if isinstance(value, np.ndarray):
        value = value[r]
        if isinstance(value, np.ndarray):
            return value
    return value.item() if isinstance(value, np.generic) else value


def result_rows(result: dict, keys: tuple[str, ...] | None = None) -> list[dict]:
    """One dict per replicate: each value of the result at that replicate (an array's row, a shared value as is),
    numbers as Python floats and ints. ``keys``: only these keys (default: every key)."""
    keys = tuple(result) if keys is None else keys
    return [{key: _item(result.get(key), r) for key in keys} for r in range(n_replicates(result))]
