"""Any delimited summary-statistics table, given (or recognised by) a column mapping.

``columns={"beta": "BETA", "se": "SE", ...}`` maps schema columns to the file's column names; roles
not mapped are looked up among common names (case-insensitive; a TwoSampleMR ``.exposure`` or
``.outcome`` suffix is ignored when only one of the two is present). ``odds_ratio`` may stand in for
``beta`` (beta = log OR, ``se`` then being the SE of log OR). Required: ``effect_allele``, ``beta``
(or ``odds_ratio``), ``se``, ``p``, and either ``snp`` or ``chrom`` + ``pos``. "A1" is read as the
effect (tested) allele, as PLINK, BOLT-LMM, REGENIE and METAL write it.

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


def _lookup(layout: TextLayout, role: str) -> str | None:
    """The file column holding ``role`` by the common names, or None; refuses ambiguous matches."""
    for alias in ALIASES[role]:
        hits = [col for col in layout.header if col.lower() == alias]
        hits = hits or [col for col in layout.header for s in SUFFIXES if col.lower() == alias + s]
        if len(hits) > 1:
            raise InputError(f"columns {hits} could all be {role!r}: name one (--column {role}=NAME; in Python "
                             f"columns={{{role!r}: NAME}})",
                             file=str(layout.path), line=layout.header_line)
        if hits:
            return hits[0]
    return None


def resolve_columns(layout: TextLayout, columns: dict[str, str] | None) -> dict[str, str]:
    """Schema role -> file column, from ``columns`` first then the common names."""
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(ROLE_TYPES))
    if unknown:
        raise InputError(f"unknown schema column(s) {unknown} in columns=; known: {sorted(ROLE_TYPES)}",
                         file=str(layout.path))
    require_columns(layout, list(columns.values()), "the columns= mapping")
    taken = set(columns.values())
    for role in ROLE_TYPES:
        if role not in columns:
            found = _lookup(layout, role)
            if found is not None and found not in taken:
                columns[role] = found
                taken.add(found)
    return columns


def missing_roles(columns: dict[str, str]) -> list[str]:
    need = ["effect_allele", "se", "p"]
    if "beta" not in columns and "odds_ratio" not in columns:
        need.append("beta")
    if "snp" not in columns and not {"chrom", "pos"} <= set(columns):
        need.append("snp (or chrom and pos)")
    return [role for role in need if role not in columns]


def detect(layout: TextLayout) -> bool:
    try:
        return not missing_roles(resolve_columns(layout, None))
    except InputError:
        return False


def plan(layout: TextLayout, options: ReadOptions) -> ReadPlan:
    columns = resolve_columns(layout, options.columns)
    missing = missing_roles(columns)
    if missing:
        raise InputError(f"cannot find column(s) for {missing}; the file has columns {list(layout.header)}; "
                         f"name them (--column beta=BETA ...; in Python columns={{'beta': 'BETA', ...}})",
                         file=str(layout.path),
                         line=layout.header_line)
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

    return ReadPlan(types, origin, to_frame)

