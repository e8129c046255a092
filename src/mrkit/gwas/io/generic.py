"""Any delimited summary-statistics table, given (or recognised by) a column mapping.

``columns={"beta": "BETA", "se": "SE", ...}`` maps schema columns to the file's column names; roles
not mapped are looked up among common names (case-insensitive; a TwoSampleMR ``.exposure`` or
``.outcome`` suffix is ignored when only one of the two is present). ``odds_ratio`` may stand in for
``beta`` (beta = log OR, ``se`` then being the SE of log OR). Required: ``effect_allele``, ``beta``
(or ``odds_ratio``), ``se``, ``p``, and either ``snp`` or ``chrom`` + ``pos``. "A1" is read as the
effect (tested) allele, as PLINK, GCTA and LDSC write it; "Allele1" paired with "Allele0" too (BOLT-LMM,
REGENIE, GEMMA).

The effect allele is never guessed: a pair ``Allele1``/``Allele2`` from no known tool (the tools of
:mod:`mrkit.gwas.io.catalogue` are read by their own convention: SAIGE's effect allele is Allele2, METAL's
Allele1) is refused with the advice to name the effect-allele column (``effect_allele_col=``); the other
allele is then the other member of its pair, and a frequency column of allele 1 (``Freq1``, ``A1FREQ``) is
not taken as the effect-allele frequency when the effect allele is allele 2.

References
----------
Hemani G et al. (2018) The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408 (TwoSampleMR ``format_data`` column names).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from ...errors import InputError
from .columnar import TextLayout, require_columns
from .plan import ReadOptions, ReadPlan, as_float, renamed

NAME = "generic"
ROLE_TYPES = {"snp": pa.string(), "chrom": pa.string(), "pos": pa.int64(), "effect_allele": pa.string(),
              "other_allele": pa.string(), "eaf": pa.float64(), "beta": pa.float64(),
              "odds_ratio": pa.float64(), "se": pa.float64(), "p": pa.float64(), "n": pa.float64(),
              "ncase": pa.float64(), "ncontrol": pa.float64()}
ALIASES = {
    "snp": ("snp", "rsid", "rs_id", "rsids", "markername", "variant_id", "id", "variant"),
    "chrom": ("chrom", "chr", "chromosome", "#chrom", "#chr"),
    "pos": ("pos", "bp", "position", "base_pair_location", "pos_b37", "genpos"),
    "effect_allele": ("effect_allele", "a1", "ea", "allele1", "tested_allele", "alt"),
    "other_allele": ("other_allele", "a2", "nea", "allele0", "allele2", "non_effect_allele", "ref"),
    "eaf": ("eaf", "effect_allele_frequency", "freq", "frq", "af", "a1freq", "a1_freq", "freq1", "af_alt"),
    "beta": ("beta", "b", "effect", "es"),
    "odds_ratio": ("or", "odds_ratio"),
    "se": ("se", "standard_error", "sebeta", "stderr", "se_beta"),
    "p": ("p", "pval", "p_value", "pvalue", "p-value", "p_bolt_lmm"),
    "n": ("n", "samplesize", "sample_size", "n_total", "neff"),
    "ncase": ("ncase", "n_case", "n_cases", "ncases"),
    "ncontrol": ("ncontrol", "n_control", "n_controls", "ncontrols"),
}
SUFFIXES = (".exposure", ".outcome")


#: Allele columns that name no effect allele: which one is depends on the tool that wrote them.
AMBIGUOUS = (("allele1", "allele2"), ("allele_1", "allele_2"))
#: Pairs of allele columns: naming one the effect allele makes the other the other allele.
PAIRS = (*AMBIGUOUS, ("a1", "a2"), ("allele0", "allele1"), ("a0", "a1"), ("ref", "alt"), ("ea", "nea"),
         ("effect_allele", "other_allele"), ("tested_allele", "other_allele"))
#: Frequency columns of allele 1 (not of the effect allele when that is allele 2).
ALLELE1_FREQUENCIES = ("a1freq", "a1_freq", "freq1", "frq_a1")
_ALLELE1 = ("a1", "allele1", "allele_1")


def _names(layout: TextLayout) -> dict[str, list[str]]:
    """Lower-cased name (and name without a TwoSampleMR suffix) -> the header's columns, built once."""
    exact: dict[str, list[str]] = {}
    suffixed: dict[str, list[str]] = {}
    for col in layout.header:
        low = col.lower()
        exact.setdefault(low, []).append(col)
        for suffix in SUFFIXES:
            if low.endswith(suffix):
                suffixed.setdefault(low[: -len(suffix)], []).append(col)
    return {key: exact.get(key) or suffixed.get(key, []) for key in {*exact, *suffixed}}


def _lookup(layout: TextLayout, names: dict[str, list[str]], role: str, options: ReadOptions) -> str | None:
    """The file column holding ``role`` by the common names, or None; refuses ambiguous matches."""
    for alias in ALIASES[role]:
        hits = names.get(alias, [])
        if len(hits) > 1:
            raise InputError(f"columns {hits} could all be {role!r}: name one ({options.hint('columns')})",
                             file=str(layout.path), line=layout.header_line)
        if hits:
            return hits[0]
    return None


def _partner(layout: TextLayout, names: dict[str, list[str]], column: str) -> str | None:
    """The other member of the allele pair ``column`` belongs to, when the file has it."""
    low = column.lower()
    for pair in PAIRS:
        if low in pair:
            other = pair[1 - pair.index(low)]
            if len(names.get(other, [])) == 1:
                return names[other][0]
    return None


def resolve_columns(layout: TextLayout, columns: dict[str, str] | None,
                    options: ReadOptions | None = None) -> tuple[dict[str, str], list[str]]:
    """Schema role -> file column, from ``columns`` (and ``options.effect_allele_col``) first, then the common
    names; and the notes to report (a frequency column left unread, and why)."""
    columns = dict(columns or {})
    options = options or ReadOptions()
    if options.effect_allele_col is not None:
        columns["effect_allele"] = options.effect_allele_col
    unknown = sorted(set(columns) - set(ROLE_TYPES))
    if unknown:
        raise InputError(f"unknown schema column(s) {unknown} in the column mapping ({options.hint('columns')}); "
                         f"known: {sorted(ROLE_TYPES)}", file=str(layout.path))
    require_columns(layout, list(columns.values()), "the column mapping")
    names = _names(layout)
    notes: list[str] = []
    if "effect_allele" not in columns:
        for pair in AMBIGUOUS:
            if all(len(names.get(a, [])) == 1 for a in pair):
                found = [names[a][0] for a in pair]
                raise InputError(f"columns {found[0]} and {found[1]} do not say which is the effect allele (SAIGE's "
                                 f"is Allele2; METAL's, BOLT-LMM's and REGENIE's Allele1): name it "
                                 f"({options.hint('effect_allele_col')}), it is never guessed",
                                 file=str(layout.path), line=layout.header_line, column=found[0])
    elif "other_allele" not in columns:
        partner = _partner(layout, names, columns["effect_allele"])
        if partner is not None and partner not in columns.values():
            columns["other_allele"] = partner
    taken = set(columns.values())
    effect_is_allele1 = columns.get("effect_allele", "").lower() in _ALLELE1
    for role in ROLE_TYPES:
        if role not in columns:
            found = _lookup(layout, names, role, options)
            if found is not None and found not in taken:
                if role == "eaf" and found.lower() in ALLELE1_FREQUENCIES and "effect_allele" in columns \
                        and not effect_is_allele1:
                    notes.append(f"{found} not read as the effect-allele frequency: it is the frequency of allele 1, "
                                 f"the effect allele is {columns['effect_allele']} (name it: "
                                 f"{options.hint('columns')} with eaf)")
                    continue
                columns[role] = found
                taken.add(found)
    return columns, notes


def missing_roles(columns: dict[str, str]) -> list[str]:
    need = ["effect_allele", "se", "p"]
    if "beta" not in columns and "odds_ratio" not in columns:
        need.append("beta")
    if "snp" not in columns and not {"chrom", "pos"} <= set(columns):
        need.append("snp (or chrom and pos)")
    return [role for role in need if role not in columns]


def detect(layout: TextLayout) -> bool:
    """True also for a table the generic reader will refuse with advice (an Allele1/Allele2 pair)."""
    try:
        return not missing_roles(resolve_columns(layout, None)[0])
    except InputError as exc:
        return "never guessed" in exc.message


def plan(layout: TextLayout, options: ReadOptions) -> ReadPlan:
    columns, notes = resolve_columns(layout, options.columns, options)
    missing = missing_roles(columns)
    if missing:
        raise InputError(f"cannot find column(s) for {missing}; the file has columns {list(layout.header)}; "
                         f"name them ({options.hint('columns')}, once per column)",
                         file=str(layout.path), line=layout.header_line)
    types = {col: ROLE_TYPES[role] for role, col in columns.items()}
    origin = {role: col for role, col in columns.items() if role != "odds_ratio"}
    if "beta" not in columns:
        origin["beta"] = columns["odds_ratio"]

    def to_frame(table: pa.Table, log) -> object:
        mapping: dict = {role: col for role, col in origin.items()}
        if "beta" not in columns:
            with np.errstate(divide="ignore", invalid="ignore"):
                mapping["beta"] = np.log(as_float(table.column(columns["odds_ratio"])))
        return renamed(table, mapping)

    return ReadPlan(types, origin, to_frame, notes=notes)

