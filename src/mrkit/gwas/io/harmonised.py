"""Harmonised tables from disk (``mrkit harmonise`` or TwoSampleMR ``harmonise_data`` output), checked.

The input of ``mrkit estimate``: a CSV (or tab-separated, plain or gzip) with TwoSampleMR names (``SNP,
beta.exposure, se.exposure, beta.outcome, se.outcome`` and optional ``mr_keep``, ``pval.*``,
``samplesize.*``, ``eaf.*``, alleles, ``exposure``/``outcome``/``id.*``) or the short names ``SNP, bx,
bxse, by, byse``. The rows go through the schema of :mod:`mrkit.gwas.schema` before they reach
:class:`mrkit.methods.mrdata.MRData`:

* refused (InputError naming file, line and column): unreadable or truncated file, a required
  column missing, text in a numeric column, no data row, no valid row;
* dropped and counted by reason (``strict`` refuses instead, at the earliest line): a missing or
  infinite beta or SE, an SE <= 0, a p-value outside [0, 1], an EAF outside (0, 1), a non-positive
  sample size, a bad allele, ``beta.exposure = 0`` (the ratio by/bx is undefined), one variant twice
  in a pair (every copy);
* flagged: p = 0 (underflow; Steiger then takes r2 from beta and SE).

Rows with ``mr_keep`` FALSE are not checked: they leave the analysis anyway (counted as excluded).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ...errors import InputError, shown
from ...methods.mrdata import PAIR_COLUMNS
from ..schema import EMPTY_LINE, DropLog, check_rows, normalise_alleles
from .columnar import scan_filtered, sniff

__all__ = ["read_harmonised", "SHORT_NAMES"]

#: role -> schema field -> (TwoSampleMR column, short column)
SHORT_NAMES = {"exposure": {"beta": "bx", "se": "bxse"}, "outcome": {"beta": "by", "se": "byse"}}
_FIELDS = {"effect_allele": "effect_allele", "other_allele": "other_allele", "eaf": "eaf", "beta": "beta",
           "se": "se", "p": "pval", "n": "samplesize"}
_TRUE = {"true", "t", "1", "yes", "1.0"}
_FALSE = {"false", "f", "0", "no", "0.0"}


def _columns(header: tuple[str, ...], role: str) -> dict[str, str]:
    """schema field -> the file's column for ``role`` (short names win, as in mrdata)."""
    out = {}
    for field, stem in _FIELDS.items():
        short = SHORT_NAMES[role].get(field)
        if short is not None and short in header:
            out[field] = short
        elif f"{stem}.{role}" in header:
            out[field] = f"{stem}.{role}"
    return out


def _numbers(frame: pd.DataFrame, column: str, lines: np.ndarray, path: Path) -> np.ndarray:
    """A text column as floats (missing values NaN); text that is not a number is refused."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    text = raw.notna().to_numpy() & np.isnan(values) & ~raw.astype("str").str.strip().str.lower().isin(
        ["nan", "na", "inf", "-inf"]).to_numpy()
    if text.any():
        i = int(np.flatnonzero(text)[0])
        raise InputError(f"value {shown(raw.iloc[i])} is not a number", file=str(path), line=int(lines[i]),
                         column=column)
    return values


def _keep_flags(frame: pd.DataFrame, lines: np.ndarray, path: Path) -> np.ndarray:
    if "mr_keep" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    text = frame["mr_keep"].astype("str").str.strip().str.lower()
    bad = ~text.isin(_TRUE | _FALSE).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"mr_keep must be TRUE or FALSE, got {shown(frame['mr_keep'].iloc[i])}", file=str(path),
                         line=int(lines[i]), column="mr_keep")
    return np.array(text.isin(_TRUE).to_numpy(), dtype=bool)


def read_harmonised(path: str | Path, *, strict: bool = False) -> pd.DataFrame:
    """Read and check a harmonised table for :func:`mrkit.methods.mrdata.split_pairs`.

    Returns
    -------
    DataFrame
        The file's columns (numbers as floats) without the dropped rows; ``attrs``: ``source``,
        ``lines`` (physical line of each row, for later messages), ``rows_read``, ``dropped``
        ({reason: count}) and ``flagged`` ({reason: count}).

    Raises
    ------
    InputError
        Naming file, line and column; see the module docstring for what is refused.
    """
    path = Path(path)
    layout = sniff(path)
    header = layout.header
    roles = {role: _columns(header, role) for role in ("exposure", "outcome")}
    missing = [(SHORT_NAMES[r][f], f"{f}.{r}") for r in roles for f in ("beta", "se") if f not in roles[r]]
    if missing:
        names = ", ".join(f"'{short}' (or '{tsmr}')" for short, tsmr in missing)
        raise InputError(f"missing column(s) {names}; the file has {list(header)}", file=str(path),
                         line=layout.header_line, column=missing[0][1])
    table, rows_read = scan_filtered(layout, {name: pa.string() for name in header})
    frame = table.to_pandas()
    lines = frame.pop("_line").to_numpy(dtype=np.int64)
    log = DropLog(str(path), strict, unit="line")
    if rows_read == 0:
        log.refuse_if_empty(0, 0)
    numeric = {col for r in roles.values() for f, col in r.items() if f not in ("effect_allele", "other_allele")}
    for column in (c for c in header if c in numeric or c.startswith(("ncase.", "ncontrol.", "pos.", "proxy_r2"))):
        frame[column] = _numbers(frame, column, lines, path)
    blank = frame.isna().all(axis=1).to_numpy()
    log.flag(EMPTY_LINE, blank)  # no data in it: skipped, not a dropped row (strict does not refuse)
    not_empty = ~blank
    if "mr_keep" in frame.columns:
        frame.loc[blank, "mr_keep"] = "TRUE"
    used = _keep_flags(frame, lines, path)  # rows with mr_keep FALSE leave anyway: not checked
    if "mr_keep" in frame.columns:
        frame["mr_keep"] = used
    excluded = ~used & not_empty
    snp_column = "SNP" if "SNP" in header else "snp" if "snp" in header else None
    ids = frame[snp_column].to_numpy(dtype=object) if snp_column else np.full(len(frame), None, dtype=object)

    used &= not_empty
    rows = np.flatnonzero(used)
    valid = not_empty.copy()
    for columns in roles.values():
        fields = pd.DataFrame({field: (normalise_alleles(frame[col]) if field.endswith("allele") else frame[col])
                               for field, col in columns.items()}).iloc[rows]
        valid[rows] &= check_rows(fields, columns, log, lines[rows], ids=ids[rows], required=("beta", "se"))
    bx = frame[roles["exposure"]["beta"]].to_numpy(dtype=float)
    valid &= log.drop("beta.exposure = 0 (the ratio by/bx is undefined)", used & valid & (bx == 0), lines,
                      roles["exposure"]["beta"], ids=ids)
    if snp_column:
        valid &= _drop_duplicates(frame, used & valid, lines, snp_column, log)
    log.raise_first()
    log.refuse_if_empty(rows_read, int((valid & used).sum()) + int(excluded.sum()))
    out = frame.loc[valid].reset_index(drop=True)
    out.attrs.update(source=str(path), lines=lines[valid], rows_read=rows_read, dropped=dict(log.counts),
                     flagged=dict(log.flags))
    return out


def _drop_duplicates(frame: pd.DataFrame, candidates: np.ndarray, lines: np.ndarray, snp_column: str,
                     log: DropLog) -> np.ndarray:
    """Every copy of a variant that appears twice in one exposure-outcome pair (among rows used)."""
    pair = [c for c in PAIR_COLUMNS if c in frame.columns]
    keys = frame[pair + [snp_column]].astype("str").where(frame[pair + [snp_column]].notna(), "")
    dup = np.zeros(len(frame), dtype=bool)
    used = keys.loc[candidates]
    dup[np.flatnonzero(candidates)] = used.duplicated(keep=False).to_numpy()
    detail = ""
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        same = dup & (frame[snp_column].to_numpy(dtype=object) == frame[snp_column].iloc[first])
        detail = f" (lines {', '.join(map(str, lines[same]))})"
    return log.drop("duplicated variant", dup, lines, snp_column, frame[snp_column], detail)
