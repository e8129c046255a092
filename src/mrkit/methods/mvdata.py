"""Harmonised multivariable MR input: K exposures, one outcome, J variants, checked once.

Accepted forms (a CSV path, a DataFrame or a dict of arrays):

* wide, numbered: ``SNP, bx1..bxK, bxse1..bxseK, by, byse`` (MendelianRandomization's
  ``mr_mvinput(bx, bxse, by, byse)`` as columns);
* wide, named: ``SNP, bx_<name>, bxse_<name>, ..., by, byse`` (the exposure names become the labels);
* TwoSampleMR's long multivariable format: one row per variant and exposure with ``SNP``,
  ``exposure`` (or ``id.exposure``), ``beta.exposure``, ``se.exposure``, ``beta.outcome``,
  ``se.outcome`` (the outcome columns repeated on every row of a variant), as
  ``mv_extract_exposures`` + ``mv_harmonise_data`` give; every variant needs every exposure.

Bad input is an :class:`~mrkit.errors.InputError` naming the file, line and column (or row and column
in memory): missing or non-finite numbers, standard errors <= 0, duplicated variants, a variant
whose exposure effects are all zero, fewer variants than exposures.

References
----------
Yavorska OO, Burgess S (2017). Int J Epidemiol 46:1734-1739 (``mr_mvinput``).
Hemani G et al. (2018). eLife 7:e34408 (TwoSampleMR ``mv_harmonise_data``).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .mrdata import read_harmonised

__all__ = ["MVData", "as_mvdata"]


@dataclass(frozen=True)
class MVData:
    """Checked summary statistics of K exposures and one outcome over J variants.

    Attributes
    ----------
    snp : (J,) array of str, unique
    bx, bxse : (J, K) arrays, exposure effects and SEs (SE > 0, finite)
    by, byse : (J,) arrays, outcome effects and SEs
    exposures : tuple of K names (``exposure1``... when the input has none)
    outcome : str
    source : the file read, if any
    """

    snp: np.ndarray
    bx: np.ndarray
    bxse: np.ndarray
    by: np.ndarray
    byse: np.ndarray
    exposures: tuple[str, ...]
    outcome: str = "outcome"
    source: str | None = None
    labels: dict = field(default_factory=dict)

    @property
    def j(self) -> int:
        """Number of variants."""
        return int(self.by.size)

    @property
    def k(self) -> int:
        """Number of exposures."""
        return int(self.bx.shape[1])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.bx, self.bxse, self.by, self.byse

    def select(self, exposures) -> MVData:
        """The same variants with only the named (or indexed) exposures, in the order given."""
        idx = [self.exposures.index(e) if isinstance(e, str) else int(e) for e in exposures]
        return replace(self, bx=self.bx[:, idx], bxse=self.bxse[:, idx],
                       exposures=tuple(self.exposures[i] for i in idx))

    def subset(self, keep) -> MVData:
        """The variants selected by a mask or index, order kept."""
        return replace(self, snp=self.snp[keep], bx=self.bx[keep], bxse=self.bxse[keep], by=self.by[keep],
                       byse=self.byse[keep])

    def canonical(self) -> MVData:
        """Sorted by variant id and oriented so that the first exposure's effect is >= 0.

        Bootstrap estimators draw in this order, so a result depends neither on the row order nor on
        the coded allele (flipping an allele negates a variant's every effect).
        """
        order = np.argsort(self.snp, kind="stable")
        sign = np.where(self.bx[order, 0] < 0, -1.0, 1.0)
        return replace(self, snp=self.snp[order], bx=self.bx[order] * sign[:, None], bxse=self.bxse[order],
                       by=self.by[order] * sign, byse=self.byse[order])


_NUM = re.compile(r"^bx(\d+)$")
_NAMED = re.compile(r"^bx_(.+)$")


def _frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, Path)):
        return read_harmonised(data)
    if isinstance(data, Mapping):
        return pd.DataFrame({k: list(np.asarray(v, dtype=object).ravel()) for k, v in data.items()})
    raise InputError(f"multivariable MR input must be a DataFrame, a dict of arrays or a CSV path, "
                     f"got {type(data).__name__}")


def _where(frame: pd.DataFrame, position: int, column: str, message: str) -> InputError:
    source = frame.attrs.get("source")
    if source is not None:
        lines = frame.attrs.get("lines")
        line = int(lines[position]) if lines is not None and position < len(lines) else position + 2
        return InputError(message, file=source, line=line, column=column)
    return InputError(message, row=int(position), column=column)


def _numbers(frame: pd.DataFrame, column: str, positive: bool = False, rows: np.ndarray | None = None) -> np.ndarray:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    positions = np.arange(len(frame)) if rows is None else rows
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _where(frame, int(positions[i]), column, f"{raw.iloc[i]!r} is not a finite number")
    if positive and (values <= 0).any():
        i = int(np.flatnonzero(values <= 0)[0])
        raise _where(frame, int(positions[i]), column, f"standard error {values[i]!r} must be > 0")
    return values


def _wide(frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
    cols = list(frame.columns)
    numbered = sorted((int(m.group(1)), c) for c in cols if (m := _NUM.match(c)))
    named = [(m.group(1), c) for c in cols if (m := _NAMED.match(c))]
    if numbered and named:
        raise InputError("mixes numbered (bx1) and named (bx_name) exposure columns", file=frame.attrs.get("source"),
                         column=named[0][1])
    if numbered:
        keys = [n for n, _ in numbered]
        if keys != list(range(1, len(keys) + 1)):
            raise InputError(f"exposure columns must be bx1..bxK without gaps, found {[c for _, c in numbered]}",
                             file=frame.attrs.get("source"), column=numbered[0][1])
        names = tuple(f"exposure{n}" for n in keys)
        bx_cols = [f"bx{n}" for n in keys]
        se_cols = [f"bxse{n}" for n in keys]
    else:
        names = tuple(n for n, _ in named)
        bx_cols = [f"bx_{n}" for n in names]
        se_cols = [f"bxse_{n}" for n in names]
    for c in [*se_cols, "by", "byse"]:
        if c not in frame.columns:
            raise InputError(f"missing column {c!r}", file=frame.attrs.get("source"), column=c)
    bx = np.column_stack([_numbers(frame, c) for c in bx_cols])
    bxse = np.column_stack([_numbers(frame, c, positive=True) for c in se_cols])
    return names, bx, bxse, _numbers(frame, "by"), _numbers(frame, "byse", positive=True)


def _long(frame: pd.DataFrame, snp_col: str) -> tuple:
    name_col = "exposure" if "exposure" in frame.columns else "id.exposure"
    if "mr_keep" in frame.columns:
        keep = frame["mr_keep"].astype(str).str.upper().isin(["TRUE", "1", "T"]).to_numpy()
        frame = frame.loc[keep]
    names = tuple(dict.fromkeys(frame[name_col].astype(str)))
    snps = list(dict.fromkeys(frame[snp_col].astype(str)))
    j, k = len(snps), len(names)
    bx, bxse = np.full((j, k), np.nan), np.full((j, k), np.nan)
    by, byse = np.full(j, np.nan), np.full(j, np.nan)
    row_of = {s: i for i, s in enumerate(snps)}
    col_of = {n: i for i, n in enumerate(names)}
    positions = np.arange(len(frame))
    full = frame.reset_index(drop=True)
    full.attrs = frame.attrs
    b = _numbers(full, "beta.exposure")
    s = _numbers(full, "se.exposure", positive=True)
    yb = _numbers(full, "beta.outcome")
    ys = _numbers(full, "se.outcome", positive=True)
    seen = set()
    for p, snp, name in zip(positions, full[snp_col].astype(str), full[name_col].astype(str)):
        key = (snp, name)
        if key in seen:
            raise _where(full, int(p), snp_col, f"variant {snp} appears twice for exposure {name}")
        seen.add(key)
        i, c = row_of[snp], col_of[name]
        bx[i, c], bxse[i, c] = b[p], s[p]
        if np.isnan(by[i]):
            by[i], byse[i] = yb[p], ys[p]
        elif not (np.isclose(by[i], yb[p], rtol=0, atol=1e-12) and np.isclose(byse[i], ys[p], rtol=0, atol=1e-12)):
            raise _where(full, int(p), "beta.outcome", f"variant {snp} has different outcome effects on its rows")
    missing = np.isnan(bx)
    if missing.any():
        i, c = np.argwhere(missing)[0]
        raise InputError(f"variant {snps[i]} has no effect on exposure {names[c]} (every variant needs every "
                         f"exposure, as mv_harmonise_data keeps)", file=frame.attrs.get("source"), column="beta.exposure")
    outcome = str(full["outcome"].iloc[0]) if "outcome" in full.columns and len(full) else "outcome"
    return names, bx, bxse, by, byse, np.array(snps, dtype=object), outcome


def as_mvdata(data: Any, exposures: list[str] | None = None) -> MVData:
    """Any accepted input as :class:`MVData` (see the module docstring), optionally only ``exposures``."""
    if isinstance(data, MVData):
        return data.select(exposures) if exposures else data
    frame = _frame(data)
    snp_col = "SNP" if "SNP" in frame.columns else "snp" if "snp" in frame.columns else None
    if snp_col is None:
        raise InputError("no SNP column", file=frame.attrs.get("source"), column="SNP")
    if "beta.exposure" in frame.columns:
        names, bx, bxse, by, byse, snp, outcome = _long(frame, snp_col)
    else:
        names, bx, bxse, by, byse = _wide(frame)
        snp = frame[snp_col].astype(str).to_numpy(dtype=object)
        outcome = str(frame["outcome"].iloc[0]) if "outcome" in frame.columns and len(frame) else "outcome"
        dup = pd.Series(snp).duplicated().to_numpy()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise _where(frame, i, snp_col, f"variant {snp[i]} appears more than once")
    if not names:
        raise InputError("no exposure columns (bx1.. or bx_<name>, or TwoSampleMR's beta.exposure)",
                         file=frame.attrs.get("source"))
    zero = np.all(bx == 0, axis=1)
    if zero.any():
        i = int(np.flatnonzero(zero)[0])
        raise InputError(f"variant {snp[i]} has zero effect on every exposure", file=frame.attrs.get("source"),
                         column="bx")
    if len(by) <= len(names):
        raise InputError(f"{len(by)} variants for {len(names)} exposures: multivariable MR needs more variants "
                         "than exposures", file=frame.attrs.get("source"))
    out = MVData(snp=np.asarray(snp, dtype=object), bx=bx, bxse=bxse, by=by, byse=byse, exposures=tuple(names),
                 outcome=outcome, source=frame.attrs.get("source"))
    return out.select(exposures) if exposures else out
