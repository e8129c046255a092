"""The one schema of harmonisable GWAS summary data, and what happens to data that break it.

Every way data enter mrkit goes through this module: the readers of every format (:mod:`mrkit.gwas.io`,
TwoSampleMR CSVs included), :func:`mrkit.gwas.harmonise.harmonise` on in-memory frames and the
harmonised tables ``mrkit estimate`` reads (:mod:`mrkit.gwas.io.harmonised`). The fields are declared
once (:data:`FIELDS`); each rule has one policy (:data:`RULES`):

* **refuse** the input: a structural problem (the file cannot be read, a required column is missing, a
  row has the wrong number of fields or text in a numeric column, there is no row, or no valid row).
  :class:`~mrkit.errors.InputError` names the file, the physical line (as an editor shows it, header
  included) and the column; the CLI prints it on one line and exits with code 2.
* **drop** the row and count it by reason: a bad value in one row (SE <= 0, p outside [0, 1], EAF
  outside (0, 1), a bad allele, a duplicated variant...). ``strict=True`` (``--strict``) refuses instead,
  naming the earliest such line.
* **flag**: valid but worth knowing, kept and counted (p = 0 stored for an underflowed p-value; several
  records of one variant id with different alleles, i.e. a multi-allelic site).

Positions in messages are always the physical line of the file; for an in-memory table, which has
none, they are the 0-based row position (``row i``).

References
----------
Hemani G et al. (2018) The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408 (TwoSampleMR ``format_data``: upper-case alleles, D/I indel codes, duplicate
SNPs; EAF "NR" = not reported). Lyon MS et al. (2021) Genome Biology 22:32 (GWAS-VCF). Hayhurst J et
al. (2023) GWAS-SSF, bioRxiv 2022.07.15.500230.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError, shown
from .rules import (
    ALLELE_PATTERN,
    CHROMOSOMES,
    MAGNITUDE,
    OUT_OF_RANGE,
    P_UNDERFLOW,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["DropLog", "DroppedVariants", "normalise_chrom", "normalise_alleles", "check_rows",
           "check_p_values", "allele_pair", "variant_keys", "fallback_ids", "duplicate_records"]

class DroppedVariants:
    """Ids and reasons of the rows a reader dropped, so a later step can say why a variant is missing.

    Immutable and shared, never copied: pandas deep-copies ``attrs`` on every operation, and this
    record may hold many ids.
    """

    def __init__(self, ids: np.ndarray, reasons: np.ndarray):
        self.ids = np.asarray(ids, dtype=object)
        self.reasons = np.asarray(reasons, dtype=object)

    def __deepcopy__(self, memo):
        return self

    def __len__(self) -> int:
        return int(self.ids.size)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, DroppedVariants) and np.array_equal(self.ids, other.ids)
                and np.array_equal(self.reasons, other.reasons))

    __hash__ = None

    def reasons_of(self, ids) -> dict[str, str]:
        """variant id -> reason, for those of ``ids`` that were dropped (first reason when several)."""
        wanted = set(map(str, ids))
        out: dict[str, str] = {}
        for snp, reason in zip(self.ids, self.reasons):
            if snp in wanted and snp not in out:
                out[snp] = reason
        return out


class DropLog:
    """Rows dropped (and flagged) by reason; with ``strict`` the earliest dropped row becomes an error.

    ``unit`` says what the positions are: physical ``"line"`` numbers of a file, or 0-based ``"row"``
    positions of an in-memory table. Checks run column by column, so in strict mode the problems are
    collected and :meth:`raise_first` reports the one at the smallest position, as a reader of the
    file expects. ``ids``/``reasons`` of dropped rows are kept when the caller gives the ids.
    """

    def __init__(self, file: str | None, strict: bool = False, unit: str = "line"):
        self.file, self.strict, self.unit = file, strict, unit
        self.counts: dict[str, int] = {}
        self.flags: dict[str, int] = {}
        self.earliest: tuple[int, str | None, str] | None = None  # (position, column, message)
        self._dropped_ids: list[np.ndarray] = []
        self._dropped_reasons: list[np.ndarray] = []

    def error(self, message: str, position: int | None, column: str | None) -> InputError:
        if self.unit == "line":
            return InputError(message, file=self.file, line=position, column=column)
        return InputError(message, file=self.file, row=position, column=column)

    def drop(self, reason: str, bad: np.ndarray, lines: np.ndarray, column: str | None,
             values=None, detail: str = "", ids: np.ndarray | None = None) -> np.ndarray:
        """Count rows flagged ``bad`` under ``reason``; return the mask of rows to keep."""
        bad = np.asarray(bad, dtype=bool)
        count = int(bad.sum())
        if count:
            self.counts[reason] = self.counts.get(reason, 0) + count
            first = int(np.flatnonzero(bad)[np.argmin(lines[bad])])
            if self.earliest is None or lines[first] < self.earliest[0]:
                value = "" if values is None else f" (value {shown(np.asarray(values, dtype=object)[first])})"
                self.earliest = (int(lines[first]), column, f"{reason}{value}{detail}")
            if ids is not None:
                self.record(np.asarray(ids, dtype=object)[bad], reason)
        return ~bad

    @property
    def first(self) -> InputError | None:
        """With ``strict``, the error of the earliest dropped row (None when nothing was dropped)."""
        if not self.strict or self.earliest is None:
            return None
        position, column, message = self.earliest
        return self.error(f"{message}; without --strict (in Python strict=False) such rows are dropped and counted",
                          position, column)

    def record(self, ids: np.ndarray, reason: str) -> None:
        """Remember the ids of dropped rows (those that have one)."""
        ids = np.asarray(ids, dtype=object)
        known = np.array([isinstance(i, str) and i != "" for i in ids], dtype=bool)
        if known.any():
            self._dropped_ids.append(ids[known])
            self._dropped_reasons.append(np.full(int(known.sum()), reason, dtype=object))

    def flag(self, reason: str, mask: np.ndarray) -> None:
        """Count kept rows that deserve a note (not a drop: ``strict`` does not refuse them)."""
        count = int(np.asarray(mask, dtype=bool).sum())
        if count:
            self.flags[reason] = self.flags.get(reason, 0) + count

    def raise_first(self) -> None:
        if self.first is not None:
            raise self.first

    def dropped_variants(self) -> DroppedVariants:
        if not self._dropped_ids:
            return DroppedVariants(np.array([], dtype=object), np.array([], dtype=object))
        return DroppedVariants(np.concatenate(self._dropped_ids), np.concatenate(self._dropped_reasons))

    def refuse_if_empty(self, rows_in: int, rows_left: int, what: str = "rows") -> None:
        """Refuse input with no data row, or whose every row was dropped (located at the first one)."""
        if rows_in == 0 or (rows_left == 0 and not self.counts):
            raise InputError(f"no data {what}: the file has a header and nothing else"
                             + (" (empty lines)" if rows_in else ""), file=self.file)
        if rows_left == 0 and self.earliest is not None:
            reasons = ", ".join(f"{n} {r}" for r, n in sorted(self.counts.items(), key=lambda kv: -kv[1]))
            position, column, message = self.earliest
            raise self.error(f"no valid row: all {rows_in} {what} dropped ({reasons}); the first: {message}",
                             position, column)


def normalise_chrom(chrom: pd.Series) -> pd.Series:
    """'chr1' -> '1', '23' -> 'X', 'x' -> 'X' (FinnGen and GWAS-SSF code X as 23)."""
    out = chrom.astype("str").str.strip().str.upper().str.removeprefix("CHR")
    return out.where(out != "23", "X")


def normalise_alleles(values: pd.Series) -> pd.Series:
    """Alleles stripped and upper-cased (TwoSampleMR ``toupper``); missing and "" stay missing."""
    text = values.astype("str").str.strip().str.upper()
    return text.where(values.notna() & (text != ""))


def _positive_finite(values: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (values <= 0) | np.isinf(values)


def check_p_values(p: np.ndarray, lines: np.ndarray, log: DropLog, column: str,
                   keep: np.ndarray | None = None, ids: np.ndarray | None = None) -> np.ndarray:
    """Drop rows whose p is missing or outside [0, 1] (p = 0 is kept: underflow in real files).

    Returns ``keep`` (all rows when None) narrowed to the rows that pass.
    """
    keep = np.ones(len(p), dtype=bool) if keep is None else keep.copy()
    keep &= log.drop("missing p", np.isnan(p) & keep, lines, column, ids=ids)
    with np.errstate(invalid="ignore"):
        keep &= log.drop("p outside [0, 1]", ((p < 0) | (p > 1)) & keep, lines, column, p, ids=ids)
    return keep


def _missing(values) -> np.ndarray:
    """Missing values of a column: a pandas Series, or a numpy array (float: NaN; object: None or NaN)."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            return np.isnan(values)
        return np.fromiter((v is None or (isinstance(v, float) and math.isnan(v)) for v in values.tolist()),
                           dtype=bool, count=values.size)
    return values.isna().to_numpy()


def _floats(values) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(float)
    return values.to_numpy(dtype=float, na_value=np.nan)


def _is_one_of(values, allowed: tuple[str, ...]) -> np.ndarray:
    if isinstance(values, np.ndarray):
        allowed = set(allowed)
        return np.fromiter((v in allowed for v in values.tolist()), dtype=bool, count=values.size)
    return values.isin(allowed).to_numpy()


_ALLELE = re.compile(ALLELE_PATTERN)


def _alleles_valid(values) -> np.ndarray:
    """Alleles that fully match :data:`ALLELE_PATTERN` (missing ones do not)."""
    if isinstance(values, np.ndarray):
        return np.fromiter((isinstance(v, str) and _ALLELE.fullmatch(v) is not None for v in values.tolist()),
                           dtype=bool, count=values.size)
    return values.str.fullmatch(ALLELE_PATTERN).fillna(False).to_numpy(bool)


def _same_text(a, b) -> np.ndarray:
    if isinstance(a, np.ndarray):
        return np.fromiter((x is not None and x == y for x, y in zip(a.tolist(), b.tolist())), dtype=bool,
                           count=a.size)
    return (a == b).fillna(False).to_numpy(bool)


def check_rows(frame: pd.DataFrame | Mapping[str, np.ndarray], origin: Mapping[str, str], log: DropLog,
               lines: np.ndarray, ids: np.ndarray | None = None,
               required: tuple[str, ...] = ("chrom", "pos", "effect_allele", "other_allele", "beta", "se", "p"),
               keep: np.ndarray | None = None) -> np.ndarray:
    """The per-row rules of the schema on a table with schema-named columns; returns the rows to keep.

    ``frame`` is a DataFrame, or a mapping of field -> numpy array (float for numbers, object for text
    with None where missing: what :mod:`mrkit.gwas.io.harmonised` reads without pandas); it holds
    normalised values (chromosome and alleles as :func:`normalise_chrom` and :func:`normalise_alleles`
    give them, numbers as floats); ``origin`` maps each schema field present in the input to the user's
    column name (used in messages; fields absent from ``origin`` are not checked); ``lines`` the
    position of each row (``log.unit``); ``required`` the fields whose missing values drop the row
    (elsewhere a missing value is allowed); ``keep`` the rows still in play (the others are neither
    checked nor counted). Each dropped row is counted under its first reason only; p = 0 is flagged,
    not dropped.
    """
    keep = np.ones(len(lines), dtype=bool) if keep is None else np.array(keep, dtype=bool)

    def flag(reason: str, bad, field: str, values=None) -> None:
        nonlocal keep
        if field in origin:
            keep &= log.drop(reason, np.asarray(bad, dtype=bool) & keep, lines, origin[field], values, ids=ids)

    for field in (f for f in required if f != "p"):
        flag(f"missing {field}", _missing(frame[field]), field)
    if "chrom" in origin:
        flag("chromosome not 1-22 or X", ~_is_one_of(frame["chrom"], CHROMOSOMES), "chrom", frame["chrom"])
    for field in ("effect_allele", "other_allele"):
        if field in origin:
            flag("invalid allele", ~_alleles_valid(frame[field]) & ~_missing(frame[field]), field, frame[field])
    if "effect_allele" in origin and "other_allele" in origin:
        flag("effect allele = other allele", _same_text(frame["effect_allele"], frame["other_allele"]),
             "other_allele", frame["other_allele"])
    if "p" in origin:
        p = _floats(frame["p"])
        if "p" in required:
            keep = check_p_values(p, lines, log, origin["p"], keep, ids=ids)
        else:
            with np.errstate(invalid="ignore"):
                flag("p outside [0, 1]", (p < 0) | (p > 1), "p", p)
    beta, se = _floats(frame["beta"]), _floats(frame["se"])
    flag("beta not finite", np.isinf(beta), "beta", beta)
    flag("se not finite", np.isinf(se), "se", se)
    with np.errstate(invalid="ignore"):
        flag("se <= 0", se <= 0, "se", se)
        flag(OUT_OF_RANGE, np.abs(beta) >= MAGNITUDE, "beta", beta)
        flag(OUT_OF_RANGE, (se <= 1 / MAGNITUDE) | (se >= MAGNITUDE), "se", se)
    if "pos" in origin:
        pos = _floats(frame["pos"])
        with np.errstate(invalid="ignore"):
            flag("position < 1", pos < 1, "pos", pos)
    if "eaf" in origin:
        eaf = _floats(frame["eaf"])
        with np.errstate(invalid="ignore"):
            flag("eaf outside (0, 1)", (eaf <= 0) | (eaf >= 1), "eaf", eaf)
    for field in ("n", "ncase", "ncontrol"):
        if field in origin:
            values = _floats(frame[field])
            flag(f"{field} not > 0 and finite", _positive_finite(values), field, values)
    if "p" in origin:
        log.flag(P_UNDERFLOW, keep & (_floats(frame["p"]) == 0))
    return keep


def _text(values) -> pa.Array:
    """Any sequence of str/None/NaN (or a pandas/arrow column) as an arrow string array."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    values = np.asarray(values, dtype=object)
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([v if isinstance(v, str) else None for v in values], type=pa.string())


def _complement(values: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    for base, lower in (("A", "t"), ("T", "a"), ("C", "g"), ("G", "c")):
        values = pc.replace_substring(values, base, lower)
    return pc.utf8_upper(values)


def _sorted_pair(a: pa.Array, b: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    first = pc.less_equal(a, b)
    return pc.binary_join_element_wise(pc.if_else(first, a, b), pc.if_else(first, b, a), ":")


def _objects(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False).astype(object)


def allele_pair(a1, a2, *, strand: bool = False, arrow: bool = False):
    """The unordered allele pair "A:G" of each row (None where an allele is missing), vectorised.

    ``strand=True`` also makes the pair strand-free: the smaller of the pair and its complement
    (A/G and C/T both give "A:G"), as rsid matching followed by TwoSampleMR's strand flip would.
    """
    import pyarrow.compute as pc

    a, b = (pc.utf8_upper(pc.utf8_trim_whitespace(_text(v))) for v in (a1, a2))
    pair = _sorted_pair(a, b)
    if strand:
        other = _sorted_pair(_complement(a), _complement(b))
        pair = pc.if_else(pc.less_equal(pair, other), pair, other)
    return pair if arrow else _objects(pair)


def fallback_ids(chrom: pd.Series, pos: pd.Series, a1: pd.Series, a2: pd.Series) -> pd.Series:
    """``chrom:pos:A1:A2`` with the two alleles in sorted order, so two files coding the same site
    with the effect and other alleles the other way round get the same id."""
    import pandas as pd

    pair = pd.Series(allele_pair(a1, a2), index=chrom.index, dtype=object)
    pair = pair.where(pair.notna(), a1.fillna("").astype("str"))
    return chrom.astype("str") + ":" + pos.astype("str") + ":" + pair


_ID_SHAPE = r"^(?:[Cc][Hh][Rr])?(?P<chrom>[0-9]{1,2}|[Xx])[:_](?P<pos>[0-9]+)[:_](?P<a1>[ACGTacgt]+)[:_](?P<a2>[ACGTacgt]+)$"


def variant_keys(snp, chrom=None, pos=None, a1=None, a2=None) -> np.ndarray:
    """Position keys ``chrom:pos:pair`` (strand-free unordered allele pair), None where unknown.

    From the chromosome and position columns when given, else parsed from ids shaped
    ``chrom:pos:A1:A2`` (or with ``_``). Two records of one site get the same key whatever the allele
    order or strand of their files, so variants without a shared rsid can still be matched.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = _text(snp)
    n = len(ids)
    pair = (allele_pair(a1, a2, strand=True, arrow=True) if a1 is not None and a2 is not None
            else pa.nulls(n, pa.string()))
    keys = pa.nulls(n, pa.string())
    if chrom is not None and pos is not None:
        ch = pc.utf8_upper(pc.utf8_trim_whitespace(_text(chrom)))
        ch = pc.replace_substring_regex(pc.replace_substring_regex(ch, "^CHR", ""), "^23$", "X")
        ps = pd.to_numeric(pd.Series(np.asarray(pos, dtype=object)), errors="coerce").to_numpy(dtype=float)
        ps = pa.array(np.where(np.isfinite(ps), ps, 0).astype(np.int64), mask=~np.isfinite(ps)).cast(pa.string())
        keys = pc.binary_join_element_wise(ch, ps, pair, ":")
    shaped = pc.fill_null(pc.match_substring_regex(ids, _ID_SHAPE), False)
    if pc.any(shaped).as_py():
        parts = pc.extract_regex(pc.if_else(shaped, ids, pa.scalar(None, pa.string())), _ID_SHAPE)
        field = {name: parts.field(name) for name in ("chrom", "pos", "a1", "a2")}
        ch = pc.replace_substring_regex(pc.utf8_ltrim(pc.utf8_upper(field["chrom"]), "0"), "^23$", "X")
        own = allele_pair(pc.utf8_upper(field["a1"]), pc.utf8_upper(field["a2"]), strand=True, arrow=True)
        parsed = pc.binary_join_element_wise(ch, pc.utf8_ltrim(field["pos"], "0"), own, ":")
        agree = pc.or_kleene(pc.is_null(pair), pc.equal(pair, own))
        keys = pc.coalesce(keys, pc.if_else(pc.fill_null(agree, False), parsed, pa.scalar(None, pa.string())))
    return _objects(keys)


def duplicate_records(snp: np.ndarray, pair: np.ndarray, site: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Masks ``(duplicated, multiallelic)`` over records.

    ``duplicated``: every copy of one variant seen twice, i.e. the same id and the same unordered
    allele pair, or (``site`` = chrom:pos:pair) the same position and alleles under two ids: keeping one
    copy would pick an association arbitrarily, so all are dropped. ``multiallelic``: the other
    records sharing an id, with different allele pairs: several alleles of one site, each a valid
    biallelic record, kept for harmonisation to pick the one matching the exposure.
    """
    import pandas as pd

    snp = np.asarray(snp, dtype=object)
    frame = pd.DataFrame({"snp": snp, "pair": np.asarray(pair, dtype=object)})
    dup = frame.duplicated(["snp", "pair"], keep=False).to_numpy().copy()
    if site is not None:
        site = pd.Series(np.asarray(site, dtype=object))
        dup |= site.notna().to_numpy() & site.duplicated(keep=False).to_numpy()
    multi = np.zeros(snp.size, dtype=bool)
    rest = ~dup
    multi[rest] = pd.Series(snp[rest]).duplicated(keep=False).to_numpy()
    return dup, multi
