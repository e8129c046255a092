"""FinnGen release summary statistics (e.g. R5 ``finngen_R5_M13_LOWBACKPAIN.gz``).

Header ``#chrom pos ref alt rsids nearest_genes pval mlogp beta sebeta af_alt af_alt_cases
af_alt_controls``; bgzipped, tab-separated; the effect allele is ``alt`` and ``af_alt`` its frequency;
chromosome X is coded 23. Case and control counts are not in the file (they are per endpoint: pass
``ncase``/``ncontrol`` or take them from ``data/sources.toml``). ``rsids`` may hold several ids ("rs1,rs2"):
the first is the variant's id, all are kept in ``snp_aliases`` and the variant matches under each
(:mod:`mrkit.gwas.io.aliases`).

References
----------
Kurki MI et al. (2023) FinnGen provides genetic insights from a well-phenotyped isolated population.
Nature 613:508-518. doi:10.1038/s41586-022-05473-8
"""
from __future__ import annotations

import pyarrow as pa

from .aliases import ALIASES, split_ids
from .columnar import TextLayout, require_columns
from .plan import ReadOptions, ReadPlan, renamed

NAME = "finngen"
REQUIRED = {"#chrom": pa.string(), "pos": pa.int64(), "ref": pa.string(), "alt": pa.string(),
            "pval": pa.float64(), "beta": pa.float64(), "sebeta": pa.float64()}
OPTIONAL = {"rsids": pa.string(), "af_alt": pa.float64()}
ROLES = {"chrom": "#chrom", "pos": "pos", "snp": "rsids", "effect_allele": "alt", "other_allele": "ref",
         "eaf": "af_alt", "beta": "beta", "se": "sebeta", "p": "pval"}


def detect(layout: TextLayout) -> bool:
    return {"#chrom", "ref", "alt", "pval", "sebeta"} <= set(layout.header)


def plan(layout: TextLayout, options: ReadOptions) -> ReadPlan:
    require_columns(layout, list(REQUIRED), "a FinnGen table")
    types = {**REQUIRED, **{c: t for c, t in OPTIONAL.items() if c in layout.header}}
    origin = {role: col for role, col in ROLES.items() if col in types}

    def to_frame(table: pa.Table, log) -> object:
        mapping = {role: col for role, col in origin.items() if role != "snp"}
        if "snp" in origin:
            mapping["snp"], aliases = split_ids(table.column("rsids"))
            if aliases.null_count < len(aliases):
                mapping[ALIASES] = aliases
        return renamed(table, mapping)

    return ReadPlan(types, origin, to_frame, id_separator=",")
