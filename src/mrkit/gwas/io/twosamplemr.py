"""TwoSampleMR-format tables (``read_exposure_data`` / ``extract_outcome_data`` output saved as CSV).

Columns ``SNP``, ``effect_allele.<role>``, ``other_allele.<role>``, ``eaf.<role>``, ``beta.<role>``,
``se.<role>``, ``pval.<role>``, optional ``samplesize.<role>``, ``ncase.<role>``, ``ncontrol.<role>``,
``chr.<role>``/``pos.<role>`` (or ``chr``/``pos``) and the trait name in ``<role>``; role is
``exposure`` or ``outcome``. Required: ``SNP``, ``effect_allele``, ``beta``, ``se`` and ``pval`` of the
role. An EAF of ``NR`` ("not reported") is missing, as in TwoSampleMR. The rows then go through the same
schema as every other format (:mod:`mrkit.gwas.schema`): an impossible EAF, a non-positive SE or a
p-value above 1 is dropped and counted (or refused with ``strict``), never used. The LD-proxy labels
``proxy.<role>``, ``target_snp.<role>`` and ``proxy_snp.<role>`` (``extract_outcome_data`` with proxies,
``mrkit opengwas associations``) are carried through for :func:`mrkit.gwas.harmonise.harmonise`. A table of
several traits (``exposure``/``id.exposure`` with several values: ``extract_instruments`` of several ids)
is read one trait at a time (:mod:`mrkit.gwas.io.traits`).

References
----------
Hemani G et al. (2018) The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408 (``format_data``, ``harmonise_cleanup_variables``).
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ...errors import InputError
from ..rules import PASSTHROUGH_COLUMNS
from .columnar import TextLayout, require_columns, to_float
from .plan import ReadOptions, ReadPlan, renamed

NAME = "twosamplemr"
ROLES = ("exposure", "outcome")
FIELDS = {"effect_allele": ("effect_allele", pa.string()), "other_allele": ("other_allele", pa.string()),
          "eaf": ("eaf", pa.string()), "beta": ("beta", pa.float64()), "se": ("se", pa.float64()),
          "p": ("pval", pa.float64()), "n": ("samplesize", pa.float64()), "ncase": ("ncase", pa.float64()),
          "ncontrol": ("ncontrol", pa.float64()), "chrom": ("chr", pa.string()), "pos": ("pos", pa.int64())}
REQUIRED = ("effect_allele", "beta", "se", "p")


def roles_in(header) -> list[str]:
    return [r for r in ROLES if f"beta.{r}" in header or f"pval.{r}" in header]


def detect(layout: TextLayout) -> bool:
    return "SNP" in layout.header and bool(roles_in(layout.header))


def choose_role(layout: TextLayout, role: str | None, options_hint: str = "role='exposure' or 'outcome'") -> str:
    found = roles_in(layout.header)
    if role is not None:
        if role not in ROLES:
            raise InputError(f"role must be 'exposure' or 'outcome', got {role!r}", file=str(layout.path))
        return role
    if len(found) != 1:
        raise InputError(f"TwoSampleMR columns of {found or 'neither exposure nor outcome'}: say which role "
                         f"to read ({options_hint})", file=str(layout.path), line=layout.header_line)
    return found[0]


def plan(layout: TextLayout, options: ReadOptions) -> ReadPlan:
    role = choose_role(layout, options.role, options.hint("role"))
    header = set(layout.header)
    columns = {"snp": "SNP"}
    for field, (stem, _) in FIELDS.items():
        for name in (f"{stem}.{role}", stem if field in ("chrom", "pos") else None):
            if name in header:
                columns[field] = name
                break
    columns.update({field: f"{field}.{role}" for field in PASSTHROUGH_COLUMNS if f"{field}.{role}" in header})
    require_columns(layout, ["SNP"] + [f"{FIELDS[f][0]}.{role}" for f in REQUIRED],
                    f"a TwoSampleMR {role} table")
    types = {col: (FIELDS[field][1] if field in FIELDS else pa.string()) for field, col in columns.items()}
    trait_column = role if role in header else None
    if trait_column:
        types[trait_column] = pa.string()
    trait_ids = tuple(c for c in (f"id.{role}",) if c in header)
    result = ReadPlan(types, dict(columns), lambda table, log: None, trait_columns=(trait_column, trait_ids))

    def to_frame(table: pa.Table, log) -> object:
        mapping: dict = {field: col for field, col in columns.items() if field != "eaf"}
        if "eaf" in columns:  # TwoSampleMR: "NR" is "not reported"
            raw = pc.utf8_trim_whitespace(table.column(columns["eaf"]))
            raw = pc.if_else(pc.equal(pc.utf8_upper(raw), "NR"), None, raw)
            raw = raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw
            mapping["eaf"] = to_float(raw, columns["eaf"], layout, table.column("_line").to_numpy(), missing=())
        if trait_column:
            names = table.column(trait_column).drop_null()
            if len(names):
                result.attrs["trait"] = names[0].as_py()
        return renamed(table, mapping)

    result.to_frame = to_frame
    return result

