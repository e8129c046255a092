"""A labelled correlation matrix from a CSV file: an LD matrix of variants or the exposures' phenotypic correlation.

The file is square and labelled: a header row naming the variants (or exposures), and optionally the same names
in its first column (then the first header cell is empty, as R's ``write.csv(m)`` writes it, or names the column of
names)::

    ,rs1,rs2,rs3                 rs1,rs2,rs3
    rs1,1,0.2,0.1        or      1,0.2,0.1
    rs2,0.2,1,0.3                0.2,1,0.3
    rs3,0.1,0.3,1                0.1,0.3,1

:func:`read_correlation_matrix` returns it in the order of the names the analysis uses (a harmonised pair's
variants, the exposures of a multivariable file), so the file's order does not matter; names the analysis does not
use are ignored. The values must be finite, in [-1, 1], with ones on the diagonal and symmetric; whether the matrix
is positive definite is the method's check. An LD matrix's signs are those of the alleles of the harmonised file
(MendelianRandomization's ``mr_input(correl = )``: correlations of the effect alleles as coded in ``bx``, ``by``).

Uses the csv module and numpy only (``mrkit estimate`` imports it).
"""
from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...errors import InputError, shown

__all__ = ["read_correlation_matrix"]

#: symmetric within this absolute difference (values are often written to 4-6 decimals)
SYMMETRY_TOLERANCE = 1e-6


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def read_correlation_matrix(path: str | Path, names: Sequence[str], *, what: str = "correlation matrix"
                            ) -> np.ndarray:
    """The ``len(names)`` x ``len(names)`` matrix of the file's rows and columns named ``names``, in that order.

    Parameters
    ----------
    path : str or Path
        A CSV file as above.
    names : sequence of str
        The variants or exposures wanted, in the analysis' order.
    what : str
        What the matrix is, for messages ("LD matrix", "phenotypic correlation").

    Returns
    -------
    numpy.ndarray, shape (len(names), len(names))

    Raises
    ------
    InputError
        The file cannot be read, is not square, a cell is not a number in [-1, 1] (file, line, column), a diagonal
        cell is not 1, the matrix is not symmetric, or a name of ``names`` is missing (listed).
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the {what}: {exc}", file=str(path)) from None
    if not rows:
        raise InputError(f"the {what} file is empty", file=str(path))
    header = [cell.strip() for cell in rows[0]]
    body = rows[1:]
    labelled = header[0] == "" or (len(header) == len(body) + 1 and all(
        len(row) == len(header) and not _is_number(row[0]) for row in body))
    columns = header[1:] if labelled else header
    n = len(columns)
    if len(body) != n:
        raise InputError(f"the {what} must be square: {n} named columns but {len(body)} rows", file=str(path))
    if len(set(columns)) != n:
        dup = sorted({c for c in columns if columns.count(c) > 1})
        raise InputError(f"the {what} names {', '.join(map(shown, dup[:5]))} more than once", file=str(path), line=1)
    values = np.empty((n, n))
    for i, row in enumerate(body):
        line = i + 2
        if labelled and row[0].strip() != columns[i]:
            raise InputError(f"row {i + 1} is named {shown(row[0].strip())} but column {i + 1} {shown(columns[i])}: "
                             "rows and columns must be in the same order", file=str(path), line=line,
                             column=header[0] or "(row names)")
        cells = row[1:] if labelled else row
        if len(cells) != n:
            raise InputError(f"{len(cells)} values, expected {n}", file=str(path), line=line)
        for j, cell in enumerate(cells):
            try:
                value = float(cell)
            except ValueError:
                value = float("nan")
            if not (np.isfinite(value) and -1.0 <= value <= 1.0):
                raise InputError(f"{shown(cell)} is not a correlation (a number in [-1, 1])", file=str(path),
                                 line=line, column=columns[j])
            values[i, j] = value
    off = np.flatnonzero(np.abs(np.diag(values) - 1.0) > SYMMETRY_TOLERANCE)
    if off.size:
        raise InputError(f"the diagonal must be 1, got {values[off[0], off[0]]:g}", file=str(path),
                         line=int(off[0]) + 2, column=columns[off[0]])
    asym = np.argwhere(np.abs(values - values.T) > SYMMETRY_TOLERANCE)
    if asym.size:
        i, j = asym[0]
        raise InputError(f"the {what} is not symmetric: {values[i, j]:g} here, {values[j, i]:g} at "
                         f"{shown(columns[j])}/{shown(columns[i])}", file=str(path), line=int(i) + 2,
                         column=columns[j])
    index = {name: i for i, name in enumerate(columns)}
    missing = [name for name in names if name not in index]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise InputError(f"the {what} has no row and column for {', '.join(map(shown, missing[:5]))}{more}",
                         file=str(path), line=1)
    order = np.array([index[name] for name in names], dtype=int)
    return values[np.ix_(order, order)]
