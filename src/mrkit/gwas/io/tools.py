"""The output of association tools (SAIGE, REGENIE, BOLT-LMM, PLINK 2, GCTA-COJO, fastGWA, METAL), read by
the column meanings of :data:`mrkit.gwas.io.catalogue.TOOLS`.

One reader for every tool: each field is taken from the first of its candidate columns that the file has;
a p column on the -log10 or log10 scale is converted to p (so the ``p_max`` filter streams on p); an odds
ratio becomes a log odds ratio; rows of a test other than the additive one (``TEST`` not ``ADD``: REGENIE,
PLINK 2) are left out and counted; PLINK 2's other allele, when the file has no ``OMITTED`` column, is the
one of REF/ALT that is not A1 (as PLINK 2's own ``--gwas-ssf`` converter takes it).

References
----------
The ``source`` of each entry of :data:`~mrkit.gwas.io.catalogue.TOOLS` (the tool's documentation or code).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import InputError
from .catalogue import TOOLS, ToolSpec
from .columnar import Batch, TextLayout, require_columns
from .plan import ReadOptions, ReadPlan, as_float, renamed

_TYPES = {"snp": pa.string(), "chrom": pa.string(), "pos": pa.int64(), "effect_allele": pa.string(),
          "other_allele": pa.string(), "eaf": pa.float64(), "beta": pa.float64(), "se": pa.float64(),
          "p": pa.float64(), "n": pa.float64(), "ncase": pa.float64(), "ncontrol": pa.float64()}
_REQUIRED = ("effect_allele", "beta", "se", "p")


class ToolFormat:
    """A format module (``NAME``, ``detect``, ``plan``) made from a :class:`ToolSpec`."""

    def __init__(self, spec: ToolSpec):
        self.spec, self.NAME = spec, spec.name

    def detect(self, layout: TextLayout) -> bool:
        return self.spec.detects(layout.header)

    def plan(self, layout: TextLayout, options: ReadOptions) -> ReadPlan:
        spec, names = self.spec, set(layout.header)
        for present, absent, message in spec.refusals:
            if set(present) <= names and not (set(absent) & names):
                raise InputError(f"{spec.tool}: {message}", file=str(layout.path), line=layout.header_line)
        origin = {role: next((c for c in candidates if c in names), candidates[0])
                  for role, candidates in spec.columns.items()}
        origin = {role: col for role, col in origin.items() if col in names or role in _REQUIRED}
        require_columns(layout, [origin[r] for r in _REQUIRED], f"a {spec.tool} table")
        if "snp" not in origin and not {"chrom", "pos"} <= set(origin):
            require_columns(layout, list(spec.columns["snp"])[:1], f"a {spec.tool} table")
        types = {col: _TYPES[role] for role, col in origin.items()}
        other = None
        if spec.other_of and "other_allele" not in origin:
            ref, alts = spec.other_of
            alt = next((c for c in alts if c in names), None)
            require_columns(layout, [ref, alt or alts[0]], f"a {spec.tool} table without an OMITTED column")
            other = (ref, alt)
            types.update({ref: pa.string(), alt: pa.string()})
            origin["other_allele"] = f"{ref}/{alt}"
        test = spec.keep_test if spec.keep_test and spec.keep_test[0] in names else None
        if test:
            types[test[0]] = pa.string()
        p_col, effect_col = origin["p"], origin["beta"]
        scale = spec.p_scale.get(p_col)

        def p_from(values) -> np.ndarray:
            p = as_float(values)
            return p if scale is None else 10.0 ** -p if scale == "neg_log10" else 10.0 ** p

        def to_frame(table: pa.Table, log) -> object:
            mapping: dict = {role: col for role, col in origin.items() if role not in ("p", "beta", "other_allele")}
            mapping["p"] = p_from(table.column(p_col))
            beta = as_float(table.column(effect_col))
            with np.errstate(divide="ignore", invalid="ignore"):
                mapping["beta"] = np.log(beta) if effect_col in spec.odds_ratio else beta
            if other is None:
                mapping["other_allele"] = origin["other_allele"]
            else:
                mapping["other_allele"] = _other_allele(table, origin["effect_allele"], *other)
            return renamed(table, mapping)

        def left_out(batch: Batch) -> dict[str, np.ndarray]:
            column, value = test
            other_test = pc.not_equal(pc.utf8_trim_whitespace(batch.data.column(column)), value)
            return {f"{column} is not {value} (a test other than the additive one)":
                    pc.fill_null(other_test, True).to_numpy(zero_copy_only=False)}

        return ReadPlan(types, origin, to_frame, p_values=lambda batch: p_from(batch.data.column(p_col)),
                        left_out=left_out if test else None)


def _other_allele(table: pa.Table, effect: str, ref: str, alt: str) -> pa.Array:
    """Whichever of REF and ALT is not the effect allele (null when the effect allele is neither)."""
    a1, r, a = (pc.utf8_upper(pc.utf8_trim_whitespace(table.column(c))) for c in (effect, ref, alt))
    return pc.if_else(pc.equal(a1, a), table.column(ref),
                      pc.if_else(pc.equal(a1, r), table.column(alt), pa.scalar(None, pa.string())))


FORMATS = tuple(ToolFormat(spec) for spec in TOOLS)
