"""Multivariable MR tables from disk: the file read as text, each row with its physical line.

The input of ``mrkit estimate --multivariable``: a CSV or tab-separated file (plain or gzip) in one of the
forms :mod:`mrkit.methods.mvdata` accepts (``SNP, bx1..bxK, bxse1..bxseK, by, byse``; ``bx_<name>`` columns;
TwoSampleMR's long multivariable format, aligned on the first exposure's effect allele when it has
allele columns, as ``mv_harmonise_data`` expects: :mod:`.mvalign`). The file-level rules of the schema
apply here (refused, naming the file and line: a missing, unreadable, truncated or corrupt file, an empty file, a
wrong number of fields, no data row, a line or a table over the read limits of :mod:`mrkit.gwas.io.limits`; see
:data:`mrkit.gwas.rules.RULES`); every value is then checked by :func:`mrkit.methods.mvdata.as_mvdata`, which
refuses the first bad one naming file, line and column.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from ...errors import InputError
from .columnar import scan_filtered, sniff
from .limits import DEFAULT_LIMITS, ReadLimits

__all__ = ["read_multivariable"]


def read_multivariable(path: str | Path, *, limits: ReadLimits = DEFAULT_LIMITS,
                       harmonise_action: int = 2) -> pd.DataFrame:
    """The table of ``path`` as text columns (missing values None); TwoSampleMR's long format with allele
    columns aligned on the first exposure's effect allele (:func:`mrkit.gwas.io.mvalign.align_long`, with
    TwoSampleMR's ``harmonise_strictness`` ``harmonise_action``).

    Returns
    -------
    DataFrame
        The file's columns as text, ``attrs["source"]`` (the path), ``attrs["lines"]`` (the physical
        line of each row, for the messages of :func:`mrkit.methods.mvdata.as_mvdata`) and, for an aligned
        long table, ``attrs["alignment"]`` (variants, kept, and per exposure and outcome the alleles swapped,
        strands flipped, palindromes flipped by frequency and variants removed).

    Raises
    ------
    InputError
        Naming the file (and line): no such file, unreadable or truncated, no data row; a bad value
        (:func:`mrkit.methods.mvdata.as_mvdata`); too few variants left once aligned.
    """
    path = Path(path)
    layout = sniff(path, limits=limits)
    table, rows_read = scan_filtered(layout, {name: pa.string() for name in layout.header},
                                     total=limits.table_bytes)
    if rows_read == 0:
        raise InputError("no data rows: the file has a header and nothing else", file=str(path),
                         line=layout.header_line)
    frame = table.to_pandas()
    lines = frame.pop("_line").to_numpy()
    frame = frame.astype(object).where(frame.notna(), None)
    frame.attrs.update(source=str(path), lines=lines)
    if {"beta.exposure", "effect_allele.exposure", "SNP"} <= set(frame.columns):
        frame = _aligned(frame, harmonise_action)
    return frame


def _aligned(frame: pd.DataFrame, action: int) -> pd.DataFrame:
    """A long TwoSampleMR table with alleles: checked as it is, then aligned (and checked again)."""

    from ...methods.mvdata import as_mvdata
    from .mvalign import align_long

    mv = as_mvdata(frame)  # every value checked, each variant with every exposure, before any allele is read
    name_col = "exposure" if "exposure" in frame.columns else "id.exposure"
    used = frame["SNP"].astype("str").isin(set(mv.snp)).to_numpy()
    if "mr_keep" in frame.columns:
        used &= frame["mr_keep"].astype("str").str.strip().str.upper().isin(["TRUE", "T", "1", "YES"]).to_numpy()
    out = align_long(frame, mv.exposures, name_col, used, action)
    as_mvdata(out)  # enough variants left for the exposures
    return out
