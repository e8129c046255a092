"""Harmonised tables from disk (``mrkit harmonise`` or TwoSampleMR ``harmonise_data`` output), checked.

The input of ``mrkit estimate``: a CSV (or tab-separated, plain or gzip) with TwoSampleMR names (``SNP,
beta.exposure, se.exposure, beta.outcome, se.outcome`` and optional ``mr_keep``, ``pval.*``,
``samplesize.*``, ``eaf.*``, alleles, ``exposure``/``outcome``/``id.*``) or the short names ``SNP, bx,
bxse, by, byse``. The rows go through the schema of :mod:`mrkit.gwas.schema` before they reach
:class:`mrkit.methods.mrdata.MRData`:

* refused (InputError naming file, line and column): unreadable or truncated file, a required
  column missing, text in a numeric column, no data row, no valid row, a line or a table over the read
  limits (:mod:`mrkit.gwas.io.limits`: 1 MiB per line, 16 MiB per table);
* filled and counted (with the flags), as TwoSampleMR ``format_data`` fills them: a missing p-value in
  a p column from beta and SE, a missing sample size in a sample-size column from ``ncase.*`` and
  ``ncontrol.*``;
* dropped and counted by reason (``strict`` refuses instead, at the earliest line): a missing or
  infinite beta or SE, an SE <= 0, a p-value outside [0, 1], an EAF outside (0, 1), a non-positive
  sample size, a bad allele, ``beta.exposure = 0`` (the ratio by/bx is undefined), a variant repeated in
  a pair with different values (every copy), an exact repeat of a row (one copy kept);
* flagged: p = 0 (underflow; Steiger then takes r2 from beta and SE).

Rows with ``mr_keep`` FALSE are not checked: they leave the analysis anyway (counted as excluded).

Harmonised tables are small (one row per instrument), and ``mrkit estimate`` must answer within a second:
they are read with the csv module and checked on numpy arrays by the one rule engine of every reader
(:mod:`mrkit.gwas.schema`, which imports neither pandas nor pyarrow). Text becomes a number as
``pandas.to_numeric`` reads it (ASCII digits, no ``_`` separators, ``inf``/``infinity`` in any case);
``tests/test_harmonised_table.py`` checks that against pandas, and the reader against hand-written tables.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...errors import InputError, shown
from ...methods.mrdata import PAIR_COLUMNS
from ..rules import EMPTY_LINE
from ..schema import DropLog, check_rows, drop_repeats, fill_missing, normalise_alleles
from .limits import DEFAULT_LIMITS, ReadLimits
from .text import read_records, sniff

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SHORT_NAMES", "HarmonisedTable", "parse_number", "read_harmonised", "read_harmonised_table"]

#: role -> schema field -> (TwoSampleMR column, short column)
SHORT_NAMES = {"exposure": {"beta": "bx", "se": "bxse"}, "outcome": {"beta": "by", "se": "byse"}}
_FIELDS = {"effect_allele": "effect_allele", "other_allele": "other_allele", "eaf": "eaf", "beta": "beta",
           "se": "se", "p": "pval", "n": "samplesize"}
_TRUE = {"true", "t", "1", "yes", "1.0"}
_FALSE = {"false", "f", "0", "no", "0.0"}
#: Text that reads as a missing number rather than as text in a numeric column (stripped, lower case).
_MISSING_NUMBER = {"nan", "na", "inf", "-inf"}
_NUMBER = re.compile(r"[ \t\n\v\f\r]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t\n\v\f\r]*\Z")
_INTEGER = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+[ \t\n\v\f\r]*\Z")
_SPECIAL = {"inf": np.inf, "+inf": np.inf, "-inf": -np.inf, "infinity": np.inf, "+infinity": np.inf,
            "-infinity": -np.inf, "nan": np.nan, "+nan": np.nan, "-nan": np.nan}


class HarmonisedTable(Mapping):
    """A checked harmonised table: column name -> numpy array (float for numbers, bool for ``mr_keep``,
    object holding str or None for text), in the file's column order, plus ``attrs`` (see
    :func:`read_harmonised`). :func:`mrkit.methods.mrdata.split_pairs` takes it as it is."""

    def __init__(self, columns: dict[str, np.ndarray], attrs: dict):
        self._columns, self.attrs = columns, attrs

    def __getitem__(self, name: str) -> np.ndarray:
        return self._columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    @property
    def n_rows(self) -> int:
        return len(self.attrs["lines"])

    def to_frame(self) -> pd.DataFrame:
        """As a DataFrame (text columns of pandas' string dtype), with ``attrs``."""
        import pandas as pd

        frame = pd.DataFrame({name: values if values.dtype.kind in "fb" else pd.array(values, dtype="str")
                              for name, values in self._columns.items()}, index=pd.RangeIndex(self.n_rows))
        frame.attrs.update(self.attrs)
        return frame


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


def _lower(text: str) -> str:
    """Lower case as arrow's ``utf8_lower`` (which pandas string columns use) for comparisons with ASCII words:
    Python lower-cases U+0130 to two characters, arrow to ``i``."""
    return text.replace("\u0130", "i").lower()


def parse_number(text: str) -> float | None:
    """A number as ``pandas.to_numeric`` reads text, None where it gives NaN (not a number, or "nan").

    Decimal and scientific notation with ASCII digits, surrounding ASCII whitespace allowed;
    ``inf``/``infinity`` with an optional sign in any case and without surrounding space. Unlike
    Python's ``float``, no ``_`` digit separators, no Unicode digits or spaces.
    """
    match = _NUMBER.match(text)
    if match is not None:
        return float(match.group(1))
    value = _SPECIAL.get(_lower(text)) if text.isascii() else None
    return None if value is None or np.isnan(value) else value


def _numbers(raw: np.ndarray, column: str, lines: np.ndarray, path: Path) -> np.ndarray:
    """A text column (None = missing) as floats (missing values NaN); text that is not a number is refused.

    As ``pd.to_numeric(errors="coerce")``: a column of whole numbers only (no missing value) is read as
    integers, so ``-0`` is 0.
    """
    values = np.full(raw.size, np.nan)
    whole = True
    for i, text in enumerate(raw.tolist()):
        if text is None:
            whole = False
            continue
        number = parse_number(text)
        if number is None:
            whole = False
            if _lower(text.strip()) not in _MISSING_NUMBER:
                raise InputError(f"value {shown(text)} is not a number", file=str(path), line=int(lines[i]),
                                 column=column)
            continue
        values[i] = number
        whole = whole and _INTEGER.match(text) is not None
    if whole:
        values += 0.0  # -0.0 + 0.0 = 0.0: an integer has no signed zero
    return values


def _keep_flags(raw: np.ndarray | None, lines: np.ndarray, path: Path) -> np.ndarray:
    if raw is None:
        return np.ones(lines.size, dtype=bool)
    keep = np.empty(raw.size, dtype=bool)
    for i, value in enumerate(raw.tolist()):
        text = None if value is None else _lower(value.strip())
        if text not in _TRUE and text not in _FALSE:
            raise InputError(f"mr_keep must be TRUE or FALSE, got {shown(np.nan if value is None else value)}",
                             file=str(path), line=int(lines[i]), column="mr_keep")
        keep[i] = text in _TRUE
    return keep


def read_harmonised_table(path: str | Path, *, strict: bool = False,
                          limits: ReadLimits = DEFAULT_LIMITS) -> HarmonisedTable:
    """:func:`read_harmonised` without pandas: the checked table as numpy arrays (:class:`HarmonisedTable`).

    Raises
    ------
    InputError
        Naming file, line and column; see the module docstring for what is refused.
    """
    path = Path(path)
    layout = sniff(path, limits=limits)
    header = layout.header
    roles = {role: _columns(header, role) for role in ("exposure", "outcome")}
    missing = [(SHORT_NAMES[r][f], f"{f}.{r}") for r in roles for f in ("beta", "se") if f not in roles[r]]
    if missing:
        names = ", ".join(f"'{short}' (or '{tsmr}')" for short, tsmr in missing)
        raise InputError(f"missing column(s) {names}; the file has {list(header)}", file=str(path),
                         line=layout.header_line, column=missing[0][1])
    records = read_records(layout)
    rows_read = len(records)
    lines = np.arange(layout.first_data_line, layout.first_data_line + rows_read, dtype=np.int64)
    text = {name: np.array([r[j] for r in records], dtype=object) for j, name in enumerate(header)}
    log = DropLog(str(path), strict, unit="line")
    if rows_read == 0:
        log.refuse_if_empty(0, 0)
    numeric = {col for r in roles.values() for f, col in r.items() if f not in ("effect_allele", "other_allele")}
    table: dict[str, np.ndarray] = dict(text)
    for column in (c for c in header if c in numeric or c.startswith(("ncase.", "ncontrol.", "pos.", "proxy_r2"))):
        table[column] = _numbers(text[column], column, lines, path)
    blank = np.all([np.isnan(v) if v.dtype.kind == "f" else np.equal(v, None) for v in table.values()], axis=0)
    log.flag(EMPTY_LINE, blank)  # no data in it: skipped, not a dropped row (strict does not refuse)
    not_empty = ~blank
    keep_text = None
    if "mr_keep" in table:
        keep_text = table["mr_keep"].copy()
        keep_text[blank] = "TRUE"
    used = _keep_flags(keep_text, lines, path)  # rows with mr_keep FALSE leave anyway: not checked
    if "mr_keep" in table:
        table["mr_keep"] = used
    excluded = ~used & not_empty
    snp_column = "SNP" if "SNP" in header else "snp" if "snp" in header else None
    ids = table[snp_column] if snp_column else np.full(rows_read, None, dtype=object)

    used &= not_empty
    rows = np.flatnonzero(used)
    valid = not_empty.copy()
    for role, columns in roles.items():
        fields = {field: (normalise_alleles(table[col]) if field.endswith("allele") else table[col])[rows]
                  for field, col in columns.items()}
        counts = {f: table[f"{f}.{role}"][rows] for f in ("ncase", "ncontrol") if f"{f}.{role}" in table}
        work = {**fields, **counts}
        fill_missing(work, log)
        for field in ("p", "n"):  # only into the table's own p and sample-size columns
            if field in columns:
                fields[field] = work[field]
                table[columns[field]][rows] = work[field]
        valid[rows] &= check_rows(fields, columns, log, lines[rows], ids=ids[rows], required=("beta", "se"))
    bx = table[roles["exposure"]["beta"]]
    valid &= log.drop("beta.exposure = 0 (the ratio by/bx is undefined)", used & valid & (bx == 0), lines,
                      roles["exposure"]["beta"], ids=ids)
    if snp_column:
        valid &= _drop_repeats(table, used & valid, lines, snp_column, log)
    log.raise_first()
    log.refuse_if_empty(rows_read, int((valid & used).sum()) + int(excluded.sum()))
    return HarmonisedTable({name: values[valid] for name, values in table.items()},
                           {"source": str(path), "lines": lines[valid], "rows_read": rows_read,
                            "dropped": dict(log.counts), "flagged": dict(log.flags)})


def read_harmonised(path: str | Path, *, strict: bool = False, limits: ReadLimits = DEFAULT_LIMITS) -> pd.DataFrame:
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
    return read_harmonised_table(path, strict=strict, limits=limits).to_frame()


def _drop_repeats(table: dict[str, np.ndarray], candidates: np.ndarray, lines: np.ndarray, snp_column: str,
                  log: DropLog) -> np.ndarray:
    """The engine's repeat rule among the rows used: one variant is one id in one exposure-outcome pair (rows
    without an id are one variant); an exact repeat counts once, copies that differ all leave."""
    names = [*(c for c in PAIR_COLUMNS if c in table), snp_column]
    key = np.empty(len(lines), dtype=object)
    key[:] = [tuple("" if v is None else v for v in row) for row in zip(*(table[c].tolist() for c in names))]
    snp = table[snp_column]
    shown_ids = [np.nan if v is None else v for v in snp.tolist()]  # a missing id shows as pandas shows it
    return drop_repeats([key], list(table.values()), log, lines, snp_column, snp, candidates, shown_ids)
