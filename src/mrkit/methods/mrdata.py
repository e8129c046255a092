"""Harmonised MR input: one checked, typed container that every estimator takes.

Users hand mrkit what TwoSampleMR's ``harmonise_data`` returns (``SNP, beta.exposure,
se.exposure, beta.outcome, se.outcome`` plus optional ``mr_keep``, ``exposure``, ``outcome``,
...), the short names ``SNP, bx, bxse, by, byse`` or a dict of arrays, in memory (files are read,
checked and their bad rows dropped and counted by :func:`mrkit.gwas.io.harmonised.read_harmonised`).
This module turns any of them into :class:`MRData`, refusing bad input with an
:class:`~mrkit.errors.InputError` that names the column and the row (0-based position and SNP id)
or, for a table read from a file (``attrs["source"]`` and ``attrs["lines"]``), the file, line and
column, so that no estimator ever returns a number computed from NaN, infinite values,
non-positive standard errors, a zero SNP-exposure effect or a duplicated SNP.

Rows with ``mr_keep == FALSE`` (TwoSampleMR's flag for palindromic-ambiguous or incompatible
variants) are excluded, as ``TwoSampleMR::mr`` does, and counted in ``n_excluded``. A table
holding several exposure-outcome pairs is split by ``id.exposure``/``id.outcome``/``exposure``/
``outcome`` (:func:`split_pairs`), the grouping ``TwoSampleMR::mr`` uses.

pandas is never needed to check input: a DataFrame is taken as it is, a dict of arrays as numpy arrays (with
``attrs`` ``source`` and ``lines`` when it was read from a file, as
:func:`mrkit.gwas.io.harmonised.read_harmonised_table` returns it).
"""
from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["MRData", "split_pairs", "as_mrdata", "is_missing", "PAIR_COLUMNS", "INPUT_COLUMNS",
           "TWOSAMPLEMR_NAMES"]

#: TwoSampleMR column -> short name.
TWOSAMPLEMR_NAMES = {"SNP": "snp", "beta.exposure": "bx", "se.exposure": "bxse",
                     "beta.outcome": "by", "se.outcome": "byse"}
_SHORT_NAMES = {"SNP": "snp", "snp": "snp", "bx": "bx", "bxse": "bxse", "by": "by", "byse": "byse"}
_NUMERIC = ("bx", "bxse", "by", "byse")
#: Effects and SEs must lie within (1/MAGNITUDE, MAGNITUDE) in absolute value (0 allowed for by):
#: beyond, their squares and ratios under- or overflow double precision.
MAGNITUDE = 1e150
#: Columns that identify one exposure-outcome pair, in TwoSampleMR's grouping order.
PAIR_COLUMNS = ("id.exposure", "id.outcome", "exposure", "outcome")
#: Optional per-variant columns carried to the methods that need them (``MRData.inputs``): numbers > 0, missing
#: values NaN.
INPUT_COLUMNS = ("samplesize.exposure", "samplesize.outcome")


@dataclass(frozen=True)
class MRData:
    """Checked summary statistics of one exposure-outcome pair, in the user's row order.

    Attributes
    ----------
    snp : numpy.ndarray of str
        Variant ids, unique.
    bx, bxse, by, byse : numpy.ndarray
        SNP-exposure and SNP-outcome effects and standard errors: finite, SEs > 0, bx != 0,
        all within :data:`MAGNITUDE` (|x| < 1e150, SEs and |bx| > 1e-150).
    labels : dict
        ``exposure``/``outcome``/``id.*`` values of the pair, carried into result tables.
    n_excluded : int
        Rows dropped because ``mr_keep`` was false.
    source : str or None
        File the data came from, if any.
    inputs : dict
        Optional per-variant columns of :data:`INPUT_COLUMNS` the input had (name -> float array aligned
        with ``snp``, NaN where missing), for the methods that need them (e.g. sample sizes).
    """

    snp: np.ndarray
    bx: np.ndarray
    bxse: np.ndarray
    by: np.ndarray
    byse: np.ndarray
    labels: dict = field(default_factory=dict)
    n_excluded: int = 0
    source: str | None = None
    inputs: dict = field(default_factory=dict)

    @property
    def k(self) -> int:
        """Number of SNPs."""
        return int(self.bx.size)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(bx, bxse, by, byse)``."""
        return self.bx, self.bxse, self.by, self.byse

    def subset(self, keep: np.ndarray) -> MRData:
        """The SNPs selected by a boolean mask or integer index, order kept."""
        return replace(self, snp=self.snp[keep], bx=self.bx[keep], bxse=self.bxse[keep],
                       by=self.by[keep], byse=self.byse[keep], inputs={c: v[keep] for c, v in self.inputs.items()})

    def canonical(self) -> MRData:
        """Sorted by SNP id and oriented so that every ``bx > 0`` (``by`` negated with it).

        Bootstrap estimators draw in this order, so their results do not depend on the row
        order of the input nor on which allele was coded as the effect allele.
        """
        order = np.argsort(self.snp, kind="stable")
        sign = np.where(self.bx[order] < 0, -1.0, 1.0)
        return replace(self, snp=self.snp[order], bx=self.bx[order] * sign,
                       bxse=self.bxse[order], by=self.by[order] * sign, byse=self.byse[order],
                       inputs={c: v[order] for c, v in self.inputs.items()})


@dataclass
class _Table:
    """Columns of raw values (a DataFrame's, a dict's or a CSV file's), with where they came from."""

    columns: list[str]
    values: dict[str, np.ndarray]  # column -> 1-D array (object for text, missing values None)
    n: int
    source: str | None = None
    lines: np.ndarray | None = None  # physical line of each row (files)
    load: Any = None  # column name -> array, for columns not in ``values`` yet (DataFrames)

    def column(self, name: str) -> np.ndarray:
        if name not in self.values:
            self.values[name] = self.load(name)
        return self.values[name]


def is_missing(value: Any) -> bool:
    """None, NaN, pandas.NA or NaT: no value (a string never is one)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return False
    try:
        return bool(value != value) or type(value).__name__ in ("NAType", "NaTType")
    except (TypeError, ValueError):  # pandas.NA refuses bool()
        return True


def _dataframe_type():
    """pandas.DataFrame if pandas is already imported (a DataFrame input implies it is)."""
    pd = sys.modules.get("pandas")
    return pd.DataFrame if pd is not None else ()


def _from_dataframe(frame) -> _Table:
    names = {str(c): c for c in frame.columns}

    def load(name: str) -> np.ndarray:
        col = frame[names[name]]
        if getattr(col.dtype, "kind", "O") in "fiub" and not col.hasnans:
            return col.to_numpy()
        return np.asarray([None if is_missing(v) else v for v in col.tolist()], dtype=object)

    return _Table(list(names), {}, len(frame), frame.attrs.get("source"), frame.attrs.get("lines"), load)


def _from_mapping(data: Mapping) -> _Table:
    sizes = {}
    arrays = {}
    for name, values in data.items():
        arr = np.atleast_1d(np.asarray(values, dtype=object))
        if arr.ndim != 1:
            raise InputError(f"must be one-dimensional, got shape {arr.shape}", column=str(name))
        sizes[name] = arr.size
        arrays[str(name)] = np.asarray([None if is_missing(v) else v for v in arr], dtype=object)
    if len(set(sizes.values())) > 1:
        first = next(iter(sizes))
        for name, size in sizes.items():
            if size != sizes[first]:
                raise InputError(f"has {size} values but '{first}' has {sizes[first]}: "
                                 "all columns must have the same length", column=str(name))
    return _Table(list(arrays), arrays, next(iter(sizes.values()), 0))


class _Locator:
    """Turns a row position into the most precise location the input allows."""

    def __init__(self, table: _Table, columns: dict[str, str]):
        self.source = table.source
        self.lines = table.lines
        self.columns = columns  # short name -> user's column name

    def error(self, message: str, position: int, short: str | None, snp: Any = None):
        column = self.columns.get(short, short) if short else None
        if snp is not None and not (isinstance(snp, float) and np.isnan(snp)):
            message = f"{message} (SNP {snp})"
        if self.source is not None:
            line = int(self.lines[position]) if self.lines is not None else position + 2
            return InputError(message, file=self.source, line=line, column=column)
        return InputError(message, row=int(position), column=column)


def _as_table(data: Any) -> _Table:
    if isinstance(data, _dataframe_type()):
        return _from_dataframe(data)
    if isinstance(data, (str, Path)):
        raise InputError("MR input is a table in memory: read a harmonised file with "
                         "mrkit.gwas.io.harmonised.read_harmonised (it checks and counts bad rows)", file=str(data))
    if isinstance(data, Mapping):
        table = _from_mapping(data)
        attrs = getattr(data, "attrs", None) or {}  # a table read from a file (read_harmonised_table)
        table.source, table.lines = attrs.get("source"), attrs.get("lines")
        return table
    raise InputError(f"MR input must be a DataFrame or a dict of arrays, got {type(data).__name__}")


def _column_map(table: _Table) -> dict[str, str]:
    """short name -> the user's column name; short names win over TwoSampleMR names."""
    found: dict[str, str] = {}
    for user, short in list(TWOSAMPLEMR_NAMES.items()) + list(_SHORT_NAMES.items()):
        if user in table.columns:
            found[short] = user
    missing = [s for s in _NUMERIC if s not in found]
    if missing:
        wanted = {v: k for k, v in TWOSAMPLEMR_NAMES.items()}
        names = ", ".join(f"'{m}' (or '{wanted[m]}')" for m in missing)
        where = table.source
        raise InputError(f"missing column(s) {names}; found {', '.join(map(str, table.columns))}",
                         file=where, line=1 if where else None)
    return found


_TRUTH = {"true": True, "t": True, "1": True, "yes": True, "false": False, "f": False, "0": False, "no": False}


def _keep_mask(table: _Table, loc: _Locator) -> np.ndarray:
    if "mr_keep" not in table.columns:
        return np.ones(table.n, dtype=bool)
    loc.columns["mr_keep"] = "mr_keep"
    values = table.column("mr_keep")
    if values.dtype == bool:
        return values.astype(bool)
    keep = np.empty(table.n, dtype=bool)
    for pos, value in enumerate(values.tolist()):
        if value is None:
            value = float("nan")  # as pandas shows a missing value
        key = str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()
        if key.endswith(".0"):
            key = key[:-2]
        if key not in _TRUTH:
            raise loc.error(f"mr_keep must be TRUE or FALSE, got {value!r}", pos, "mr_keep")
        keep[pos] = _TRUTH[key]
    return keep


def _parse_number(value: Any) -> float | None:
    """A number from a raw value; None when it is not one (text such as 'abc')."""
    if isinstance(value, str):
        if "_" in value:  # float() accepts 1_000; pandas does not
            return None
        try:
            return float(value)
        except ValueError:
            return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _numeric(table: _Table, short: str, loc: _Locator, rows: np.ndarray,
             snp: np.ndarray, *, positive: bool | None = None, nonzero: bool | None = None) -> np.ndarray:
    """The column ``loc.columns[short]`` at ``rows`` as floats, or the located error of the first bad value.

    ``positive`` (default: ``short`` is a standard error) refuses values <= 0; ``nonzero`` (default:
    ``short == "bx"``) refuses 0.
    """
    positive = short in ("bxse", "byse") if positive is None else positive
    nonzero = short == "bx" if nonzero is None else nonzero
    raw = table.column(loc.columns[short])[rows]
    if raw.dtype.kind in "fiub":
        values = raw.astype(float)
        notnum = np.zeros(values.size, dtype=bool)
    else:
        parsed = [None if v is None else _parse_number(v) for v in raw.tolist()]
        values = np.array([np.nan if p is None else p for p in parsed], dtype=float)
        notnum = np.array([v is not None and p is None for v, p in zip(raw.tolist(), parsed)], dtype=bool)
    checks = [(notnum, lambda i: f"not a number: {raw[i]!r}"),
              (np.isnan(values) & ~notnum, lambda i: "missing value (NaN)"),
              (np.isinf(values), lambda i: f"infinite value ({float(values[i])})")]
    if positive:
        checks.append((values <= 0,
                       lambda i: f"standard error must be > 0, got {float(values[i])}"))
    if nonzero:
        checks.append((values == 0, lambda i: "SNP-exposure effect is 0: the ratio by/bx "
                                              "is undefined"))
    tiny = values <= 1 / MAGNITUDE if positive else (np.abs(values) <= 1 / MAGNITUDE) & (
        values != 0) if nonzero else np.zeros(values.size, dtype=bool)
    checks.append((tiny | (np.abs(values) >= MAGNITUDE),
                   lambda i: f"{float(values[i]):g} is outside the range where squares and ratios are "
                             f"computable ({1 / MAGNITUDE:g} < |x| < {MAGNITUDE:g})"))
    for bad, describe in checks:
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero(bad)
        if hits.size:
            i = int(hits[0])
            raise loc.error(describe(i), int(rows[i]), short, snp[i])
    return values


def _snp_text(value: Any) -> str:
    """An id as text; a whole number read from a file as 1.0 stays '1.0', as pandas' str() gives."""
    return str(value)


def _check_group(table: _Table, rows: np.ndarray, loc: _Locator, labels: dict,
                 n_excluded: int) -> MRData:
    if "snp" in loc.columns:
        raw_snp = table.column(loc.columns["snp"])[rows]
        missing = np.flatnonzero([is_missing(v) for v in raw_snp.tolist()])
        if missing.size:
            raise loc.error("missing SNP id", int(rows[missing[0]]), "snp")
        snp = np.asarray([_snp_text(s) for s in raw_snp.tolist()], dtype=object)
        seen: dict[str, int] = {}
        for i, s in enumerate(snp):
            if s in seen:
                first = int(rows[seen[s]])
                where = (f"line {int(loc.lines[first])}" if loc.source is not None
                         and loc.lines is not None else f"row {first}")
                raise loc.error(f"duplicate SNP id, first seen at {where}", int(rows[i]), "snp", s)
            seen[s] = i
    else:
        snp = np.asarray([f"row{int(r)}" for r in rows], dtype=object)
    values = {short: _numeric(table, short, loc, rows, snp) for short in _NUMERIC}
    inputs = {name: _optional_numeric(table, name, loc, rows, snp) for name in INPUT_COLUMNS
              if name in table.columns}
    return MRData(snp=snp, labels=labels, n_excluded=n_excluded, source=loc.source, inputs=inputs, **values)


def _optional_numeric(table: _Table, name: str, loc: _Locator, rows: np.ndarray, snp: np.ndarray) -> np.ndarray:
    """An optional column of positive numbers at ``rows`` (missing values NaN), or the located error of the first
    value that is not a positive finite number."""
    raw = table.column(name)[rows]
    parsed = (raw.astype(float).tolist() if raw.dtype.kind in "fiub"
              else [np.nan if v is None else _parse_number(v) for v in raw.tolist()])
    for i, value in enumerate(parsed):
        if value is None or not (np.isnan(value) or (np.isfinite(value) and value > 0)):
            loc.columns.setdefault(name, name)
            raise loc.error(f"must be a number > 0 or missing, got {raw[i]!r}", int(rows[i]), name, snp[i])
    return np.array(parsed, dtype=float)


def _label_value(value: Any) -> Any:
    """A pair label as pandas would have typed it: whole numbers as int, numbers as float, else text."""
    if not isinstance(value, str):
        return value.item() if isinstance(value, np.generic) else value
    try:
        return int(value)
    except ValueError:
        pass
    number = _parse_number(value)
    return value if number is None else number


def _pair_keys(table: _Table, pair_cols: list[str]) -> list[tuple]:
    if not pair_cols:
        return [()] * table.n
    columns = []
    for c in pair_cols:
        raw = table.column(c).tolist()
        if table.source is not None:  # text from a file: type each column as pandas.read_csv would
            typed = [None if v is None else _label_value(v) for v in raw]
            present = [v for v in typed if v is not None]
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
                typed = [None if v is None else str(v) for v in raw]
            elif any(isinstance(v, float) for v in present) or len(present) < len(typed):
                typed = [None if v is None else float(v) for v in typed]
            raw = typed
        else:
            raw = [None if is_missing(v) else (v.item() if isinstance(v, np.generic) else v) for v in raw]
        columns.append(raw)
    return [tuple(r) for r in zip(*columns)]


def split_pairs(data: Any) -> list[MRData]:
    """Check MR input and return one :class:`MRData` per exposure-outcome pair.

    Parameters
    ----------
    data : pandas.DataFrame, dict of arrays or MRData
        TwoSampleMR-named or short-named columns (read files with
        :func:`mrkit.gwas.io.harmonised.read_harmonised`).

    Raises
    ------
    InputError
        Missing columns, mismatched lengths, non-numeric, NaN or infinite values, standard errors
        <= 0, ``bx == 0``, duplicate or missing SNP ids, or no SNP left after ``mr_keep``; the
        message names the column and the row (or file and line) and the SNP id.
    """
    if isinstance(data, MRData):
        return [data]
    table = _as_table(data)
    loc = _Locator(table, _column_map(table))
    if table.n == 0:
        raise InputError("no rows", file=loc.source)
    keep = _keep_mask(table, loc)
    pair_cols = [c for c in PAIR_COLUMNS if c in table.columns]
    key_tuples = _pair_keys(table, pair_cols)
    groups: dict[tuple, list[int]] = {}
    for pos, key in enumerate(key_tuples):
        groups.setdefault(key, []).append(pos)
    out = []
    for key, positions in groups.items():
        positions = np.asarray(positions)
        kept = positions[keep[positions]]
        labels = dict(zip(pair_cols, key))
        if kept.size == 0:
            what = f" for {labels}" if labels else ""
            raise InputError(f"no SNP left{what} after excluding rows with mr_keep == FALSE "
                             f"({positions.size} excluded)", file=loc.source, column="mr_keep")
        out.append(_check_group(table, kept, loc, labels, int(positions.size - kept.size)))
    return out


def as_mrdata(data: Any) -> MRData:
    """Like :func:`split_pairs` for input holding exactly one exposure-outcome pair."""
    pairs = split_pairs(data)
    if len(pairs) != 1:
        raise InputError(f"input holds {len(pairs)} exposure-outcome pairs; use split_pairs() "
                         "or mrkit.mr(), which estimates each pair")
    return pairs[0]
