"""Harmonised MR input: one checked, typed container that every estimator takes.

Users hand mrkit what TwoSampleMR's ``harmonise_data`` returns (``SNP, beta.exposure,
se.exposure, beta.outcome, se.outcome`` plus optional ``mr_keep``, ``exposure``, ``outcome``,
...), the short names ``SNP, bx, bxse, by, byse``, a dict of arrays, or a CSV file with either.
This module turns any of them into :class:`MRData`, refusing bad input with an
:class:`~mrkit.errors.InputError` that names the column and the row (0-based position and SNP id)
or, for a file, the file, line and column, so that no estimator ever returns a number computed
from NaN, infinite values, non-positive standard errors, a zero SNP-exposure effect or a
duplicated SNP.

Rows with ``mr_keep == FALSE`` (TwoSampleMR's flag for palindromic-ambiguous or incompatible
variants) are excluded, as ``TwoSampleMR::mr`` does, and counted in ``n_excluded``. A table
holding several exposure-outcome pairs is split by ``id.exposure``/``id.outcome``/``exposure``/
``outcome`` (:func:`split_pairs`), the grouping ``TwoSampleMR::mr`` uses.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["MRData", "read_harmonised", "split_pairs", "as_mrdata", "PAIR_COLUMNS",
           "TWOSAMPLEMR_NAMES"]

#: TwoSampleMR column -> short name.
TWOSAMPLEMR_NAMES = {"SNP": "snp", "beta.exposure": "bx", "se.exposure": "bxse",
                     "beta.outcome": "by", "se.outcome": "byse"}
_SHORT_NAMES = {"SNP": "snp", "snp": "snp", "bx": "bx", "bxse": "bxse", "by": "by", "byse": "byse"}
_NUMERIC = ("bx", "bxse", "by", "byse")
#: Columns that identify one exposure-outcome pair, in TwoSampleMR's grouping order.
PAIR_COLUMNS = ("id.exposure", "id.outcome", "exposure", "outcome")


@dataclass(frozen=True)
class MRData:
    """Checked summary statistics of one exposure-outcome pair, in the user's row order.

    Attributes
    ----------
    snp : numpy.ndarray of str
        Variant ids, unique.
    bx, bxse, by, byse : numpy.ndarray
        SNP-exposure and SNP-outcome effects and standard errors: finite, SEs > 0, bx != 0.
    labels : dict
        ``exposure``/``outcome``/``id.*`` values of the pair, carried into result tables.
    n_excluded : int
        Rows dropped because ``mr_keep`` was false.
    source : str or None
        File the data came from, if any.
    """

    snp: np.ndarray
    bx: np.ndarray
    bxse: np.ndarray
    by: np.ndarray
    byse: np.ndarray
    labels: dict = field(default_factory=dict)
    n_excluded: int = 0
    source: str | None = None

    @property
    def k(self) -> int:
        """Number of SNPs."""
        return int(self.bx.size)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(bx, bxse, by, byse)``."""
        return self.bx, self.bxse, self.by, self.byse

    def subset(self, keep: np.ndarray) -> "MRData":
        """The SNPs selected by a boolean mask or integer index, order kept."""
        return replace(self, snp=self.snp[keep], bx=self.bx[keep], bxse=self.bxse[keep],
                       by=self.by[keep], byse=self.byse[keep])

    def canonical(self) -> "MRData":
        """Sorted by SNP id and oriented so that every ``bx > 0`` (``by`` negated with it).

        Bootstrap estimators draw in this order, so their results do not depend on the row
        order of the input nor on which allele was coded as the effect allele.
        """
        order = np.argsort(self.snp, kind="stable")
        sign = np.where(self.bx[order] < 0, -1.0, 1.0)
        return replace(self, snp=self.snp[order], bx=self.bx[order] * sign,
                       bxse=self.bxse[order], by=self.by[order] * sign, byse=self.byse[order])


def _data_lines(path: Path) -> np.ndarray:
    """1-based physical line of each data row (non-blank lines after the header)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = [i + 1 for i, text in enumerate(handle) if text.strip()]
    return np.asarray(lines[1:], dtype=np.int64)


def read_harmonised(path: str | Path) -> pd.DataFrame:
    """Read a harmonised CSV (TwoSampleMR or short column names) for :func:`split_pairs`.

    The returned frame carries ``attrs["source"]`` (the path) and ``attrs["lines"]`` (the physical
    line of each row) so that later errors can name the file line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    try:
        frame = pd.read_csv(path, dtype={"SNP": str, "snp": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV table ({str(exc).strip()})", file=str(path)) from None
    lines = _data_lines(path)
    if lines.size != len(frame):  # quoted newlines: fall back to header + position
        lines = np.arange(len(frame), dtype=np.int64) + 2
    frame.attrs["source"] = str(path)
    frame.attrs["lines"] = lines
    return frame


class _Locator:
    """Turns a row position into the most precise location the input allows."""

    def __init__(self, frame: pd.DataFrame, columns: dict[str, str]):
        self.source = frame.attrs.get("source")
        self.lines = frame.attrs.get("lines")
        self.columns = columns  # short name -> user's column name

    def error(self, message: str, position: int, short: str | None, snp: Any = None):
        column = self.columns.get(short, short) if short else None
        if snp is not None and not (isinstance(snp, float) and np.isnan(snp)):
            message = f"{message} (SNP {snp})"
        if self.source is not None:
            line = int(self.lines[position]) if self.lines is not None else position + 2
            return InputError(message, file=self.source, line=line, column=column)
        return InputError(message, row=int(position), column=column)


def _as_frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, Path)):
        return read_harmonised(data)
    if isinstance(data, Mapping):
        sizes = {}
        for name, values in data.items():
            arr = np.atleast_1d(np.asarray(values, dtype=object))
            if arr.ndim != 1:
                raise InputError(f"must be one-dimensional, got shape {arr.shape}", column=str(name))
            sizes[name] = arr.size
        if len(set(sizes.values())) > 1:
            first = next(iter(sizes))
            for name, size in sizes.items():
                if size != sizes[first]:
                    raise InputError(f"has {size} values but '{first}' has {sizes[first]}: "
                                     "all columns must have the same length", column=str(name))
        return pd.DataFrame({name: list(np.atleast_1d(np.asarray(v, dtype=object)))
                             for name, v in data.items()})
    raise InputError(f"MR input must be a DataFrame, a dict of arrays or a CSV path, "
                     f"got {type(data).__name__}")


def _column_map(frame: pd.DataFrame) -> dict[str, str]:
    """short name -> the user's column name; short names win over TwoSampleMR names."""
    found: dict[str, str] = {}
    for user, short in list(TWOSAMPLEMR_NAMES.items()) + list(_SHORT_NAMES.items()):
        if user in frame.columns:
            found[short] = user
    missing = [s for s in _NUMERIC if s not in found]
    if missing:
        wanted = {v: k for k, v in TWOSAMPLEMR_NAMES.items()}
        names = ", ".join(f"'{m}' (or '{wanted[m]}')" for m in missing)
        where = frame.attrs.get("source")
        raise InputError(f"missing column(s) {names}; found {', '.join(map(str, frame.columns))}",
                         file=where, line=1 if where else None)
    return found


def _keep_mask(frame: pd.DataFrame, loc: _Locator) -> np.ndarray:
    if "mr_keep" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    loc.columns["mr_keep"] = "mr_keep"
    values = frame["mr_keep"]
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return values.to_numpy(dtype=bool)
    truth = {"true": True, "t": True, "1": True, "yes": True,
             "false": False, "f": False, "0": False, "no": False}
    keep = np.empty(len(frame), dtype=bool)
    for pos, value in enumerate(values.tolist()):
        key = str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()
        if key.endswith(".0"):
            key = key[:-2]
        if key not in truth:
            raise loc.error(f"mr_keep must be TRUE or FALSE, got {value!r}", pos, "mr_keep")
        keep[pos] = truth[key]
    return keep


def _numeric(frame: pd.DataFrame, short: str, loc: _Locator, rows: np.ndarray,
             snp: np.ndarray, *, positive: bool | None = None, nonzero: bool | None = None) -> np.ndarray:
    """The column ``loc.columns[short]`` at ``rows`` as floats, or the located error of the first bad value.

    ``positive`` (default: ``short`` is a standard error) refuses values <= 0; ``nonzero`` (default:
    ``short == "bx"``) refuses 0.
    """
    positive = short in ("bxse", "byse") if positive is None else positive
    nonzero = short == "bx" if nonzero is None else nonzero
    raw = frame[loc.columns[short]].iloc[rows]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    notnum = np.isnan(values) & raw.notna().to_numpy()
    checks = [(notnum, lambda i: f"not a number: {raw.iloc[i]!r}"),
              (np.isnan(values) & ~notnum, lambda i: "missing value (NaN)"),
              (np.isinf(values), lambda i: f"infinite value ({float(values[i])})")]
    if positive:
        checks.append((values <= 0,
                       lambda i: f"standard error must be > 0, got {float(values[i])}"))
    if nonzero:
        checks.append((values == 0, lambda i: "SNP-exposure effect is 0: the ratio by/bx "
                                              "is undefined"))
    for bad, describe in checks:
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero(bad)
        if hits.size:
            i = int(hits[0])
            raise loc.error(describe(i), int(rows[i]), short, snp[i])
    return values


def _check_group(frame: pd.DataFrame, rows: np.ndarray, loc: _Locator, labels: dict,
                 n_excluded: int) -> MRData:
    if "snp" in loc.columns:
        raw_snp = frame[loc.columns["snp"]].iloc[rows]
        missing = np.flatnonzero(raw_snp.isna().to_numpy())
        if missing.size:
            raise loc.error("missing SNP id", int(rows[missing[0]]), "snp")
        snp = np.asarray([str(s) for s in raw_snp.tolist()], dtype=object)
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
    values = {short: _numeric(frame, short, loc, rows, snp) for short in _NUMERIC}
    return MRData(snp=snp, labels=labels, n_excluded=n_excluded, source=loc.source, **values)


def split_pairs(data: Any) -> list[MRData]:
    """Check MR input and return one :class:`MRData` per exposure-outcome pair.

    Parameters
    ----------
    data : pandas.DataFrame, dict of arrays, MRData, str or Path
        TwoSampleMR-named or short-named columns; a path is read with :func:`read_harmonised`.

    Raises
    ------
    InputError
        Missing columns, mismatched lengths, non-numeric, NaN or infinite values, standard errors
        <= 0, ``bx == 0``, duplicate or missing SNP ids, or no SNP left after ``mr_keep``; the
        message names the column and the row (or file and line) and the SNP id.
    """
    if isinstance(data, MRData):
        return [data]
    frame = _as_frame(data)
    loc = _Locator(frame, _column_map(frame))
    if len(frame) == 0:
        raise InputError("no rows", file=loc.source)
    keep = _keep_mask(frame, loc)
    pair_cols = [c for c in PAIR_COLUMNS if c in frame.columns]
    if pair_cols:
        keys = frame[pair_cols].astype(object).where(frame[pair_cols].notna(), None)
        key_tuples = [tuple(r) for r in keys.itertuples(index=False, name=None)]
    else:
        key_tuples = [()] * len(frame)
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
        out.append(_check_group(frame, kept, loc, labels, int(positions.size - kept.size)))
    return out


def as_mrdata(data: Any) -> MRData:
    """Like :func:`split_pairs` for input holding exactly one exposure-outcome pair."""
    pairs = split_pairs(data)
    if len(pairs) != 1:
        raise InputError(f"input holds {len(pairs)} exposure-outcome pairs; use split_pairs() "
                         "or mrkit.mr(), which estimates each pair")
    return pairs[0]
