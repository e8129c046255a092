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

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, shown
from ..methods.mrdata import MAGNITUDE

__all__ = ["FIELDS", "SCHEMA_COLUMNS", "FLOAT_COLUMNS", "PASSTHROUGH_COLUMNS", "CHROMOSOMES", "ALLELE_PATTERN", "Rule", "RULES",
           "policy_help", "DropLog", "DroppedVariants", "normalise_chrom", "normalise_alleles", "check_rows",
           "check_p_values", "allele_pair", "variant_keys", "fallback_ids", "duplicate_records"]

#: Schema field -> what it holds. The columns (in order) of the frame every reader returns.
FIELDS = {
    "chrom": "chromosome, 1-22 or X ('chr' prefix dropped, 23 read as X)",
    "pos": "base-pair position (>= 1)",
    "snp": "variant id (rsid, or chrom:pos:A1:A2 with the alleles sorted when the file has none)",
    "effect_allele": "effect allele: A/C/G/T sequence, or D/I for indels (upper-cased)",
    "other_allele": "the other allele, as effect_allele",
    "eaf": "effect-allele frequency, 0 < eaf < 1 (may be missing)",
    "beta": "effect of the effect allele (log OR for binary traits), finite",
    "se": "standard error of beta, finite and > 0",
    "p": "p-value, 0 <= p <= 1 (p = 0 kept and flagged as underflow)",
    "n": "sample size, > 0 (may be missing)",
    "ncase": "number of cases, > 0 (may be missing)",
    "ncontrol": "number of controls, > 0 (may be missing)",
}
SCHEMA_COLUMNS = ("chrom", "pos", "snp", "effect_allele", "other_allele", "eaf", "beta", "se", "p",
                  "n", "ncase", "ncontrol")
FLOAT_COLUMNS = ("eaf", "beta", "se", "p", "n", "ncase", "ncontrol")
#: Carried through unchecked when a reader has them: the LD-proxy labels of an outcome table whose rows
#: already stand in for their targets (TwoSampleMR ``extract_outcome_data``, OpenGWAS ``associations``).
PASSTHROUGH_COLUMNS = ("proxy", "target_snp", "proxy_snp")
CHROMOSOMES = tuple(str(i) for i in range(1, 23)) + ("X",)
#: A nucleotide sequence (SNV or indel) or the D/I codes TwoSampleMR accepts for indels.
ALLELE_PATTERN = r"[ACGT]+|[DI]"
#: Reasons under which a kept row is flagged (not dropped).
P_UNDERFLOW = "p = 0 (underflow; kept: Steiger takes r2 from beta and SE)"
MULTIALLELIC = "multi-allelic site (records with one id and different alleles, kept)"
OUT_OF_RANGE = f"beta or se out of range (|beta| < {MAGNITUDE:g}, {1 / MAGNITUDE:g} < se < {MAGNITUDE:g})"
EMPTY_LINE = "empty line (no data: skipped)"
MULTIALLELIC_SPLIT = "record of a multi-allelic GWAS-VCF line (split into biallelic records)"


@dataclass(frozen=True)
class Rule:
    """One rule of the schema: what it checks, its policy and the reason counted or printed."""

    check: str
    policy: str  # "refuse", "drop" or "flag"
    reason: str


RULES: tuple[Rule, ...] = (
    Rule("file missing, unreadable, truncated or corrupt (gzip/BGZF)", "refuse",
         "no such file / truncated or corrupt gzip (...) after line N"),
    Rule("empty file, empty or duplicated header, unrecognised format", "refuse",
         "empty file: no header line / unrecognised summary-statistics format"),
    Rule("a required column missing", "refuse", "missing required column(s) [...]"),
    Rule("wrong number of fields in a row", "refuse", "expected K fields (as in the header), found M"),
    Rule("text in a numeric column", "refuse", "value 'abc' is not a number"),
    Rule("header but no data row", "refuse", "no data rows"),
    Rule("every row dropped", "refuse", "no valid row: all N rows dropped (reasons)"),
    Rule("mr_keep not TRUE/FALSE (harmonised tables)", "refuse", "mr_keep must be TRUE or FALSE"),
    Rule("chromosome, position, allele, beta, se, p or id missing", "drop", "missing <field>"),
    Rule("chromosome not 1-22 or X", "drop", "chromosome not 1-22 or X"),
    Rule("allele not A/C/G/T (sequence) or D/I", "drop", "invalid allele"),
    Rule("effect allele equal to other allele", "drop", "effect allele = other allele"),
    Rule("p < 0 or p > 1", "drop", "p outside [0, 1]"),
    Rule("beta or se infinite", "drop", "beta not finite / se not finite"),
    Rule("se <= 0", "drop", "se <= 0"),
    Rule("|beta| >= 1e150, se <= 1e-150 or se >= 1e150 (squares overflow)", "drop", OUT_OF_RANGE),
    Rule("position < 1", "drop", "position < 1"),
    Rule("eaf <= 0 or eaf >= 1", "drop", "eaf outside (0, 1)"),
    Rule("n, ncase or ncontrol <= 0 or infinite", "drop", "n (ncase, ncontrol) not > 0 and finite"),
    Rule("Neale lab row flagged low_confidence_variant", "drop", "low confidence variant"),
    Rule("one variant twice (same id and alleles, or same position and alleles)", "drop",
         "duplicated variant (every copy)"),
    Rule("GWAS-VCF record whose ALT and ES/SE/LP counts differ", "drop", "malformed multi-allelic record"),
    Rule("SNP-exposure effect 0 (harmonised tables: ratio undefined)", "drop", "beta.exposure = 0"),
    Rule("harmonise: exposure id with several allele pairs", "drop",
         "multi-allelic site: a more significant record of the variant kept"),
    Rule("harmonise: several outcome records fit the exposure's alleles", "drop",
         "multi-allelic site: several records match the exposure's alleles"),
    Rule("p = 0", "flag", P_UNDERFLOW),
    Rule("one id with different allele pairs (multi-allelic site)", "flag", MULTIALLELIC),
    Rule("GWAS-VCF record with several ALT alleles", "flag", MULTIALLELIC_SPLIT),
    Rule("an empty line among the data rows", "flag", EMPTY_LINE),
)


def policy_help() -> str:
    """The rule table as plain text, for the epilog of the CLI commands."""
    width = max(len(r.check) for r in RULES)
    lines = ["input checks (one schema for every format; --strict turns 'drop' into 'refuse'):"]
    lines += [f"  {r.check:<{width}}  {r.policy:<6}  {r.reason}" for r in RULES]
    lines.append("refuse: exit code 2 and one line naming file, line and column; drop: the row is left out "
                 "and counted by reason in the report; flag: kept and counted.")
    return "\n".join(lines)


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
        return self.error(f"{message}; without --strict (strict=False) such rows are dropped and counted",
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


def check_rows(frame: pd.DataFrame, origin: Mapping[str, str], log: DropLog, lines: np.ndarray,
               ids: np.ndarray | None = None, required: tuple[str, ...] = ("chrom", "pos", "effect_allele",
                                                                            "other_allele", "beta", "se", "p"),
               keep: np.ndarray | None = None) -> np.ndarray:
    """The per-row rules of the schema on a frame with schema-named columns; returns the rows to keep.

    ``frame`` holds normalised values (chromosome and alleles as :func:`normalise_chrom` and
    :func:`normalise_alleles` give them, numbers as floats); ``origin`` maps each schema field present
    in the input to the user's column name (used in messages; fields absent from ``origin`` are not
    checked); ``lines`` the position of each row (``log.unit``); ``required`` the fields whose missing
    values drop the row (elsewhere a missing value is allowed); ``keep`` the rows still in play (the
    others are neither checked nor counted). Each dropped row is counted under its first reason only;
    p = 0 is flagged, not dropped.
    """
    keep = np.ones(len(frame), dtype=bool) if keep is None else np.array(keep, dtype=bool)

    def flag(reason: str, bad, field: str, values=None) -> None:
        nonlocal keep
        if field in origin:
            keep &= log.drop(reason, np.asarray(bad, dtype=bool) & keep, lines, origin[field], values, ids=ids)

    for field in (f for f in required if f != "p"):
        flag(f"missing {field}", frame[field].isna().to_numpy(), field)
    if "chrom" in origin:
        flag("chromosome not 1-22 or X", ~frame["chrom"].isin(CHROMOSOMES).to_numpy(), "chrom", frame["chrom"])
    for field in ("effect_allele", "other_allele"):
        if field in origin:
            valid = frame[field].str.fullmatch(ALLELE_PATTERN).fillna(False).to_numpy(bool)
            flag("invalid allele", ~valid & frame[field].notna().to_numpy(), field, frame[field])
    if "effect_allele" in origin and "other_allele" in origin:
        same = (frame["effect_allele"] == frame["other_allele"]).fillna(False).to_numpy(bool)
        flag("effect allele = other allele", same, "other_allele", frame["other_allele"])
    if "p" in origin:
        p = frame["p"].to_numpy(float)
        if "p" in required:
            keep = check_p_values(p, lines, log, origin["p"], keep, ids=ids)
        else:
            with np.errstate(invalid="ignore"):
                flag("p outside [0, 1]", (p < 0) | (p > 1), "p", p)
    beta, se = frame["beta"].to_numpy(float), frame["se"].to_numpy(float)
    flag("beta not finite", np.isinf(beta), "beta", beta)
    flag("se not finite", np.isinf(se), "se", se)
    with np.errstate(invalid="ignore"):
        flag("se <= 0", se <= 0, "se", se)
        flag(OUT_OF_RANGE, np.abs(beta) >= MAGNITUDE, "beta", beta)
        flag(OUT_OF_RANGE, (se <= 1 / MAGNITUDE) | (se >= MAGNITUDE), "se", se)
    if "pos" in origin:
        pos = frame["pos"].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            flag("position < 1", pos < 1, "pos", pos)
    if "eaf" in origin:
        eaf = frame["eaf"].to_numpy(float)
        with np.errstate(invalid="ignore"):
            flag("eaf outside (0, 1)", (eaf <= 0) | (eaf >= 1), "eaf", eaf)
    for field in ("n", "ncase", "ncontrol"):
        if field in origin:
            values = frame[field].to_numpy(float)
            flag(f"{field} not > 0 and finite", _positive_finite(values), field, values)
    if "p" in origin:
        log.flag(P_UNDERFLOW, keep & (frame["p"].to_numpy(float) == 0))
    return keep


def _text(values) -> pa.Array:
    """Any sequence of str/None/NaN (or a pandas/arrow column) as an arrow string array."""
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
    for base, lower in (("A", "t"), ("T", "a"), ("C", "g"), ("G", "c")):
        values = pc.replace_substring(values, base, lower)
    return pc.utf8_upper(values)


def _sorted_pair(a: pa.Array, b: pa.Array) -> pa.Array:
    first = pc.less_equal(a, b)
    return pc.binary_join_element_wise(pc.if_else(first, a, b), pc.if_else(first, b, a), ":")


def _objects(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False).astype(object)


def allele_pair(a1, a2, *, strand: bool = False, arrow: bool = False):
    """The unordered allele pair "A:G" of each row (None where an allele is missing), vectorised.

    ``strand=True`` also makes the pair strand-free: the smaller of the pair and its complement
    (A/G and C/T both give "A:G"), as rsid matching followed by TwoSampleMR's strand flip would.
    """
    a, b = (pc.utf8_upper(pc.utf8_trim_whitespace(_text(v))) for v in (a1, a2))
    pair = _sorted_pair(a, b)
    if strand:
        other = _sorted_pair(_complement(a), _complement(b))
        pair = pc.if_else(pc.less_equal(pair, other), pair, other)
    return pair if arrow else _objects(pair)


def fallback_ids(chrom: pd.Series, pos: pd.Series, a1: pd.Series, a2: pd.Series) -> pd.Series:
    """``chrom:pos:A1:A2`` with the two alleles in sorted order, so two files coding the same site
    with the effect and other alleles the other way round get the same id."""
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
