"""Which column of a summary-statistics frame holds each field, in the internal or TwoSampleMR naming.

Instrument selection, clumping and harmonisation accept frames in the internal schema (``snp, beta,
se, p, n, ...``, what :func:`mrkit.gwas.io.read_sumstats` returns) and TwoSampleMR frames (``SNP,
beta.exposure, ...`` or ``.outcome``); :func:`resolve_columns` maps the schema fields to the frame's own
names, :func:`checked_p_values` reads a p-value column or raises naming the first bad row.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["resolve_columns", "checked_p_values", "numeric_column"]

_FIELDS = ("snp", "chrom", "pos", "effect_allele", "other_allele", "eaf", "beta", "se", "p", "n",
           "ncase", "ncontrol")
_TSMR_NAMES = {"snp": "SNP", "chrom": "chr", "pos": "pos", "effect_allele": "effect_allele",
               "other_allele": "other_allele", "eaf": "eaf", "beta": "beta", "se": "se", "p": "pval",
               "n": "samplesize", "ncase": "ncase", "ncontrol": "ncontrol"}


def resolve_columns(frame: pd.DataFrame, role: str | None = None) -> dict[str, str | None]:
    """Map schema fields (``snp, beta, se, p, eaf, n, ...``) to the frame's own column names.

    The internal schema is used as is; TwoSampleMR frames use ``SNP`` and ``<field>.<role>`` with
    role ``exposure`` or ``outcome`` (guessed from the columns when ``role`` is None). Absent fields map
    to None; a frame with neither a variant id nor a beta raises :class:`InputError`.
    """
    cols = set(frame.columns)
    if {"snp", "beta"} <= cols or {"snp", "p"} <= cols:
        return {f: (f if f in cols else None) for f in _FIELDS}
    roles = [role] if role else ["exposure", "outcome"]
    for r in roles:
        if "SNP" in cols and ({f"beta.{r}", f"pval.{r}"} & cols):
            out = {}
            for f in _FIELDS:
                name = "SNP" if f == "snp" else f"{_TSMR_NAMES[f]}.{r}"
                out[f] = name if name in cols else None
            if out["chrom"] is None and "chr" in cols:
                out["chrom"] = "chr"
            if out["pos"] is None and "pos" in cols:
                out["pos"] = "pos"
            return out
    want = f"'SNP' and 'beta.{role}'" if role else "'SNP' and 'beta.exposure' (or '.outcome')"
    raise InputError(f"not a summary-statistics table: need internal-schema columns 'snp', 'beta', 'se', "
                     f"'p' or TwoSampleMR columns {want}; got {list(frame.columns)}",
                     file=frame.attrs.get("source"))


def numeric_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``frame[column]`` as floats (missing values NaN), or an InputError at the first text value."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    text = frame[column].notna().to_numpy() & np.isnan(values)
    if text.any():
        row = int(np.flatnonzero(text)[0])
        raise InputError(f"{frame[column].iloc[row]!r} is not a number", file=frame.attrs.get("source"),
                         row=row, column=column)
    return values


def checked_p_values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``frame[column]`` as floats, or an InputError at the first missing or out-of-range p-value."""
    p = numeric_column(frame, column)
    bad = np.isnan(p) | (p < 0) | (p > 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"p-value {frame[column].iloc[row]!r} is not a number in [0, 1]",
                         file=frame.attrs.get("source"), row=row, column=column)
    return p
