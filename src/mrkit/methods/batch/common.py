"""Input checking and the normal/t summary shared by the batch estimators (``(n_rep, k)`` arrays)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import InputError
from ..distributions import norm_ppf, norm_sf, t_ppf, t_sf

__all__ = ["as_batch", "normal_summary"]

_Z975 = float(norm_ppf(0.975))


def as_batch(bx: Any, bxse: Any, by: Any, byse: Any, *, min_snps: int = 1
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four inputs as float arrays of one common shape ``(n_rep, k)``.

    1-D inputs are one replicate; SEs may be ``(k,)`` and are broadcast over replicates. Raises
    :class:`~mrkit.errors.InputError` naming the argument, the replicate (``row``) and the SNP
    column of the first non-finite value, non-positive SE or zero ``bx``.
    """
    names = ("bx", "bxse", "by", "byse")
    arrays = []
    for name, value in zip(names, (bx, bxse, by, byse)):
        try:
            arrays.append(np.asarray(value, dtype=float))
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name} must be numeric ({exc})", column=name) from None
    if any(a.ndim > 2 for a in arrays):
        raise InputError("inputs must be (n_rep, k) or (k,) arrays", column="bx")
    try:
        arrays = [np.atleast_2d(a) for a in np.broadcast_arrays(*[np.atleast_2d(a) for a in arrays])]
    except ValueError:
        raise InputError("bx, bxse, by, byse have shapes that do not broadcast: "
                         + ", ".join(str(np.shape(a)) for a in arrays), column="bx") from None
    arrays = [np.ascontiguousarray(a) for a in arrays]
    for name, a in zip(names, arrays):
        bad = ~np.isfinite(a)
        if name in ("bxse", "byse"):
            bad |= ~(a > 0)
        if name == "bx":
            bad |= a == 0
        if bad.any():
            r, j = np.argwhere(bad)[0]
            what = "must be finite" + (" and > 0" if name.endswith("se") else "") + \
                (" and non-zero" if name == "bx" else "")
            raise InputError(f"{name} {what} (value {a[r, j]!r} at SNP column {j})", row=int(r),
                             column=name)
    if arrays[0].shape[1] < min_snps:
        raise InputError(f"at least {min_snps} SNPs are needed, got {arrays[0].shape[1]}",
                         column="bx")
    return arrays[0], arrays[1], arrays[2], arrays[3]


def normal_summary(est: np.ndarray, se: np.ndarray, df: float | None = None,
                    ci_df: float | None | str = "same") -> dict[str, np.ndarray]:
    """p-value and 95 % CI arrays, normal or t(df), as :func:`mrkit.methods.conventions.result_row`."""
    ci_df = df if isinstance(ci_df, str) else ci_df
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(est / se)
    p = 2.0 * (norm_sf(z) if df is None else t_sf(z, df))
    q = _Z975 if ci_df is None else float(t_ppf(0.975, ci_df))
    return {"estimate": est, "se": se, "ci_lower": est - q * se, "ci_upper": est + q * se, "p": p}
