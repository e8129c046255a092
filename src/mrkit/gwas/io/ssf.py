"""GWAS Catalog summary-statistics standard (GWAS-SSF) tables.

Mandatory columns ``chromosome base_pair_location effect_allele other_allele beta|odds_ratio
standard_error effect_allele_frequency p_value|neg_log_10_p_value``; optional ``rsid``, ``variant_id``,
``n``. Missing values are ``#NA``. Where only ``odds_ratio`` is given, beta = log(OR) and
``standard_error`` is taken as the standard error of log(OR), as the standard defines it for ratios.

References
----------
Hayhurst J et al. (2023) A community driven GWAS summary statistics standard. bioRxiv
2022.07.15.500230; https://github.com/EBISPOT/gwas-summary-statistics-standard
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from .columnar import TextLayout, require_columns
from .plan import ReadOptions, ReadPlan, as_float, renamed

NAME = "ssf"
BASE = {"chromosome": pa.string(), "base_pair_location": pa.int64(), "effect_allele": pa.string(),
        "other_allele": pa.string(), "standard_error": pa.float64()}
OPTIONAL = {"beta": pa.float64(), "odds_ratio": pa.float64(), "effect_allele_frequency": pa.float64(),
            "p_value": pa.float64(), "neg_log_10_p_value": pa.float64(), "rsid": pa.string(),
            "variant_id": pa.string(), "n": pa.float64()}


def detect(layout: TextLayout) -> bool:
    header = set(layout.header)
    return ({"chromosome", "base_pair_location", "effect_allele"} <= header
            and bool(header & {"p_value", "neg_log_10_p_value"}))


def plan(layout: TextLayout, options: ReadOptions) -> ReadPlan:
    header = set(layout.header)
    effect = "beta" if "beta" in header else "odds_ratio" if "odds_ratio" in header else "beta"
    p_col = "p_value" if "p_value" in header else "neg_log_10_p_value" if "neg_log_10_p_value" in header else "p_value"
    require_columns(layout, [*BASE, effect, p_col], "a GWAS-SSF table")
    types = {**BASE, **{c: t for c, t in OPTIONAL.items() if c in header}}
    origin = {"chrom": "chromosome", "pos": "base_pair_location", "effect_allele": "effect_allele",
              "other_allele": "other_allele", "beta": effect, "se": "standard_error", "p": p_col}
    for role, col in (("eaf", "effect_allele_frequency"), ("n", "n")):
        if col in header:
            origin[role] = col
    id_col = "rsid" if "rsid" in header else "variant_id" if "variant_id" in header else None
    if id_col:
        origin["snp"] = id_col

    def p_from(column) -> np.ndarray:
        values = as_float(column)
        return values if p_col == "p_value" else 10.0 ** -values

    def to_frame(table: pa.Table, log) -> object:
        mapping: dict = {role: col for role, col in origin.items() if role not in ("beta", "p")}
        beta = as_float(table.column(effect))
        with np.errstate(divide="ignore", invalid="ignore"):
            mapping["beta"] = beta if effect == "beta" else np.log(beta)
        mapping["p"] = p_from(table.column(p_col))
        return renamed(table, mapping)

    return ReadPlan(types, origin, to_frame, p_values=lambda batch: p_from(batch.data.column(p_col)))
