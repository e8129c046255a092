"""Harmonised multivariable MR input: K exposures, one outcome, J variants, checked once.

Accepted forms (a DataFrame or a dict of arrays, in memory; a file is read by
:func:`mrkit.gwas.io.multivariable.read_multivariable`, which keeps each row's line for the messages):

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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import InputError
from .mrdata import _as_table, _keep_mask, _Locator, _numeric, _Table, is_missing

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
        """``(bx, bxse, by, byse)``: shapes (J, K), (J, K), (J,), (J,)."""
        return self.bx, self.bxse, self.by, self.byse

    def select(self, exposures) -> MVData:
        """The same variants with only the named (or indexed) exposures, in the order given."""
        unknown = [e for e in exposures if isinstance(e, str) and e not in self.exposures]
        if unknown:
            raise InputError(f"unknown exposure(s) {', '.join(unknown)}; the input has {', '.join(self.exposures)}",
                             file=self.source, column="exposures")
        idx = [self.exposures.index(e) if isinstance(e, str) else int(e) for e in exposures]
        return replace(self, bx=self.bx[:, idx], bxse=self.bxse[:, idx],
                       exposures=tuple(self.exposures[i] for i in idx))

    def subset(self, keep) -> MVData:
        """The variants selected by a mask or index, order kept."""
        return replace(self, snp=self.snp[keep], bx=self.bx[keep], bxse=self.bxse[keep], by=self.by[keep],
                       byse=self.byse[keep])

    def canonical(self) -> MVData:
        """Sorted by variant id and oriented so that each variant's first non-zero exposure effect is > 0.

        Bootstrap estimators draw in this order, so a result depends neither on the row order nor on
        the coded allele (flipping an allele negates a variant's every effect). Usually the first exposure
        orients every variant; a variant with no effect on it is oriented by the next exposure.
        """
        order = np.argsort(self.snp, kind="stable")
        bx = self.bx[order]
        lead = bx[np.arange(bx.shape[0]), np.argmax(bx != 0, axis=1)]  # every variant has a non-zero effect
        sign = np.where(lead < 0, -1.0, 1.0)
        return replace(self, snp=self.snp[order], bx=self.bx[order] * sign[:, None], bxse=self.bxse[order],
                       by=self.by[order] * sign, byse=self.byse[order])


_NUM = re.compile(r"^bx(\d+)$")
_NAMED = re.compile(r"^bx_(.+)$")


def _values(table: _Table, column: str, loc: _Locator, rows: np.ndarray, snp: np.ndarray,
            positive: bool = False) -> np.ndarray:
    """``column`` at ``rows`` as finite floats (> 0 if ``positive``), else the located error of the first bad one."""
    loc.columns[column] = column
    return _numeric(table, column, loc, rows, snp, positive=positive, nonzero=False)


def _snp_ids(table: _Table, snp_col: str, loc: _Locator, rows: np.ndarray) -> np.ndarray:
    raw = table.column(snp_col)[rows].tolist()
    missing = np.flatnonzero([is_missing(v) for v in raw])
    if missing.size:
        raise loc.error("missing SNP id", int(rows[missing[0]]), snp_col)
    return np.asarray([str(v) for v in raw], dtype=object)


def _text(table: _Table, column: str, row: int) -> str:
    return str(table.column(column)[row])


def _wide(table: _Table, snp_col: str, loc: _Locator, rows: np.ndarray) -> tuple:
    cols = list(table.columns)
    numbered = sorted((int(m.group(1)), c) for c in cols if (m := _NUM.match(c)))
    named = [(m.group(1), c) for c in cols if (m := _NAMED.match(c))]
    if numbered and named:
        raise InputError("mixes numbered (bx1) and named (bx_name) exposure columns", file=loc.source,
                         column=named[0][1])
    if numbered:
        keys = [n for n, _ in numbered]
        if keys != list(range(1, len(keys) + 1)):
            raise InputError(f"exposure columns must be bx1..bxK without gaps, found {[c for _, c in numbered]}",
                             file=loc.source, column=numbered[0][1])
        names = tuple(f"exposure{n}" for n in keys)
        bx_cols, se_cols = [f"bx{n}" for n in keys], [f"bxse{n}" for n in keys]
    else:
        names = tuple(n for n, _ in named)
        bx_cols, se_cols = [f"bx_{n}" for n in names], [f"bxse_{n}" for n in names]
    if not names:
        raise InputError("no exposure columns (bx1.. or bx_<name>, or TwoSampleMR's beta.exposure)", file=loc.source)
    for c in [*se_cols, "by", "byse"]:
        if c not in table.columns:
            raise InputError(f"missing column {c!r}", file=loc.source, column=c)
    snp = _snp_ids(table, snp_col, loc, rows)
    seen: dict[str, int] = {}
    for i, s in enumerate(snp):
        if s in seen:
            raise loc.error("variant appears more than once", int(rows[i]), snp_col, s)
        seen[s] = i
    bx = np.column_stack([_values(table, c, loc, rows, snp) for c in bx_cols])
    bxse = np.column_stack([_values(table, c, loc, rows, snp, positive=True) for c in se_cols])
    by, byse = _values(table, "by", loc, rows, snp), _values(table, "byse", loc, rows, snp, positive=True)
    outcome = _text(table, "outcome", rows[0]) if "outcome" in table.columns else "outcome"
    return names, bx, bxse, by, byse, snp, outcome, rows


def _long(table: _Table, snp_col: str, loc: _Locator, rows: np.ndarray) -> tuple:
    name_col = "exposure" if "exposure" in table.columns else "id.exposure"
    if name_col not in table.columns:
        raise InputError("TwoSampleMR's long format needs an 'exposure' or 'id.exposure' column", file=loc.source,
                         column="exposure")
    for c in ("se.exposure", "beta.outcome", "se.outcome"):
        if c not in table.columns:
            raise InputError(f"missing column {c!r}", file=loc.source, column=c)
    ids = _snp_ids(table, snp_col, loc, rows)
    exposure_of = np.asarray([str(v) for v in table.column(name_col)[rows].tolist()], dtype=object)
    names = tuple(dict.fromkeys(exposure_of))
    snps = list(dict.fromkeys(ids))
    j, k = len(snps), len(names)
    bx, bxse = np.full((j, k), np.nan), np.full((j, k), np.nan)
    by, byse = np.full(j, np.nan), np.full(j, np.nan)
    first_row = np.full(j, -1, dtype=np.int64)  # position in the file's frame of each variant's first row
    row_of = {s: i for i, s in enumerate(snps)}
    col_of = {n: i for i, n in enumerate(names)}
    b = _values(table, "beta.exposure", loc, rows, ids)
    s = _values(table, "se.exposure", loc, rows, ids, positive=True)
    yb = _values(table, "beta.outcome", loc, rows, ids)
    ys = _values(table, "se.outcome", loc, rows, ids, positive=True)
    for n, (pos, snp, name) in enumerate(zip(rows, ids, exposure_of)):
        i, c = row_of[snp], col_of[name]
        if not np.isnan(bx[i, c]):
            raise loc.error(f"appears twice for exposure {name}", int(pos), snp_col, snp)
        bx[i, c], bxse[i, c] = b[n], s[n]
        if first_row[i] < 0:
            first_row[i] = pos
            by[i], byse[i] = yb[n], ys[n]
        elif not (np.isclose(by[i], yb[n], rtol=0, atol=1e-12) and np.isclose(byse[i], ys[n], rtol=0, atol=1e-12)):
            raise loc.error("different outcome effects on the rows of one variant", int(pos), "beta.outcome", snp)
    missing = np.isnan(bx)
    if missing.any():
        i, c = np.argwhere(missing)[0]
        raise loc.error(f"no effect on exposure {names[c]} (every variant needs every exposure, as "
                        "mv_harmonise_data keeps)", int(first_row[i]), name_col, snps[i])
    outcome = _text(table, "outcome", rows[0]) if "outcome" in table.columns else "outcome"
    return names, bx, bxse, by, byse, np.array(snps, dtype=object), outcome, first_row


def as_mvdata(data: Any, exposures: list[str] | None = None) -> MVData:
    """Any accepted input as :class:`MVData` (see the module docstring), optionally only ``exposures``.

    Raises
    ------
    InputError
        Naming the file, line and column (or row and column in memory) of the first bad value: a missing,
        non-numeric or infinite number, a standard error <= 0, a duplicated variant, a variant without an effect
        on some exposure (long format) or with a zero effect on every exposure; or no SNP column, no exposure
        columns, no rows left after ``mr_keep``, fewer variants than exposures, an unknown exposure name.
    """
    if isinstance(data, MVData):
        return data.select(exposures) if exposures else data
    table = _as_table(data)
    loc = _Locator(table, {})
    snp_col = "SNP" if "SNP" in table.columns else "snp" if "snp" in table.columns else None
    if snp_col is None:
        raise InputError("no SNP column", file=loc.source, column="SNP")
    rows = np.flatnonzero(_keep_mask(table, loc))
    if rows.size == 0:
        raise InputError(f"no rows{' left after mr_keep' if table.n else ''}", file=loc.source)
    if "beta.exposure" in table.columns:
        names, bx, bxse, by, byse, snp, outcome, where = _long(table, snp_col, loc, rows)
    else:
        names, bx, bxse, by, byse, snp, outcome, where = _wide(table, snp_col, loc, rows)
    zero = np.all(bx == 0, axis=1)
    if zero.any():
        i = int(np.flatnonzero(zero)[0])
        raise loc.error("zero effect on every exposure", int(where[i]), snp_col, snp[i])
    if len(by) <= len(names):
        raise InputError(f"{len(by)} variants for {len(names)} exposures: multivariable MR needs more variants "
                         "than exposures", file=loc.source)
    out = MVData(snp=np.asarray(snp, dtype=object), bx=bx, bxse=bxse, by=by, byse=byse, exposures=tuple(names),
                 outcome=outcome, source=loc.source)
    return out.select(exposures) if exposures else out
