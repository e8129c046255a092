"""Multivariable MR tables from disk: the file read as text, each row with its physical line.

The input of ``mrkit estimate --multivariable``: a CSV or tab-separated file (plain or gzip) in one of the
forms :mod:`mrkit.methods.mvdata` accepts (``SNP, bx1..bxK, bxse1..bxseK, by, byse``; ``bx_<name>`` columns;
TwoSampleMR's long multivariable format). The file-level rules of the schema apply here (refused, naming
the file and line: a missing, unreadable, truncated or corrupt file, an empty file, a wrong number of
fields, no data row, a line or a table over the read limits of :mod:`mrkit.gwas.io.limits`; see
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


def read_multivariable(path: str | Path, *, limits: ReadLimits = DEFAULT_LIMITS) -> pd.DataFrame:
    """The table of ``path`` as text columns (missing values None).

    Returns
    -------
    DataFrame
        The file's columns as text, ``attrs["source"]`` (the path) and ``attrs["lines"]`` (the physical
        line of each row, for the messages of :func:`mrkit.methods.mvdata.as_mvdata`).

    Raises
    ------
    InputError
        Naming the file (and line): no such file, unreadable or truncated, no data row.
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
    return frame
