"""Neale lab UK Biobank GWAS tables (rounds 1 and 2, e.g. OpenGWAS ``ukb-a-13`` insomnia).

Header ``variant minor_allele minor_AF low_confidence_variant n_complete_samples AC ytx beta se tstat
pval`` with ``variant = chrom:pos:ref:alt``. ``beta`` is the effect of the ALT allele, whichever allele
is minor, so the effect-allele frequency is the ALT frequency: ``AC / (2 n_complete_samples)`` (AC counts
ALT alleles), or, where AC is missing, ``minor_AF`` if the minor allele is ALT and ``1 - minor_AF``
otherwise. Taking ``minor_AF`` as the EAF is a classic error that breaks palindromic-SNP
harmonisation. Rows flagged ``low_confidence_variant`` (minor allele count < 25 in the sample) are
dropped and counted unless ``keep_low_confidence=True``.

References
----------
Neale lab (2017, 2018) UK Biobank GWAS results, http://www.nealelab.is/uk-biobank (README of the
summary-statistics manifest: column definitions); Bycroft C et al. (2018) The UK Biobank resource
with deep phenotyping and genomic data. Nature 562:203-209.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import InputError, shown
from .columnar import TextLayout, require_columns
from .plan import ReadOptions, ReadPlan, as_float, renamed

NAME = "neale"
REQUIRED = {"variant": pa.string(), "beta": pa.float64(), "se": pa.float64(), "pval": pa.float64()}
OPTIONAL = {"minor_allele": pa.string(), "minor_AF": pa.float64(), "low_confidence_variant": pa.bool_(),
            "n_complete_samples": pa.float64(), "AC": pa.float64()}


def detect(layout: TextLayout) -> bool:
    return {"variant", "minor_allele", "minor_AF", "beta", "se", "pval"} <= set(layout.header)


def split_variant(variant: pa.Array, lines: np.ndarray, layout: TextLayout) -> list[pa.Array]:
    """``chrom:pos:ref:alt`` -> four arrays (pos still text); a malformed id is a malformed file."""
    parts = pc.split_pattern(variant, ":")
    ok = pc.fill_null(pc.equal(pc.list_value_length(parts), 4), True).to_numpy(zero_copy_only=False)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise InputError(f"variant {shown(variant[bad].as_py())} is not chrom:pos:ref:alt",
                         file=str(layout.path), line=int(lines[bad]), column="variant")
    return [pc.list_element(parts, i) for i in range(4)]


def alt_frequency(alt: pa.Array, minor_allele: pa.Array | None, minor_af: np.ndarray | None,
                  ac: np.ndarray | None, n: np.ndarray | None) -> np.ndarray:
    """ALT allele frequency: AC/(2n) where available, else from the minor allele and its frequency."""
    eaf = np.full(len(alt), np.nan)
    if minor_allele is not None and minor_af is not None:
        same = pc.equal(pc.utf8_upper(minor_allele), pc.utf8_upper(alt))
        known = pc.is_valid(same).to_numpy(zero_copy_only=False)
        alt_is_minor = pc.fill_null(same, False).to_numpy(zero_copy_only=False)
        eaf = np.where(known, np.where(alt_is_minor, minor_af, 1.0 - minor_af), np.nan)
    if ac is not None and n is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            from_count = ac / (2.0 * n)
        eaf = np.where(np.isfinite(from_count) & (n > 0), from_count, eaf)
    return eaf


def plan(layout: TextLayout, options: ReadOptions) -> ReadPlan:
    require_columns(layout, list(REQUIRED), "a Neale lab UK Biobank table")
    types = {**REQUIRED, **{c: t for c, t in OPTIONAL.items() if c in layout.header}}
    origin = {"chrom": "variant", "pos": "variant", "snp": "variant", "effect_allele": "variant",
              "other_allele": "variant", "beta": "beta", "se": "se", "p": "pval"}
    if {"AC", "n_complete_samples"} <= set(types) or {"minor_allele", "minor_AF"} <= set(types):
        origin["eaf"] = "AC" if "AC" in types else "minor_AF"
    if "n_complete_samples" in types:
        origin["n"] = "n_complete_samples"

    def column(table: pa.Table, name: str, text: bool = False):
        if name not in types:
            return None
        values = table.column(name).combine_chunks()
        return values if text else as_float(values)

    def to_frame(table: pa.Table, log) -> object:
        lines = table.column("_line").to_numpy()
        if "low_confidence_variant" in types and not options.keep_low_confidence:
            flagged = pc.fill_null(table.column("low_confidence_variant"), False).to_numpy(zero_copy_only=False)
            keep = log.drop("low confidence variant", flagged, lines, "low_confidence_variant")
            table, lines = table.filter(pa.array(keep)), lines[keep]
        variant = table.column("variant").combine_chunks()
        chrom, pos, ref, alt = split_variant(variant, lines, layout)
        try:
            pos = pc.cast(pos, pa.int64())
        except pa.ArrowInvalid:
            text = pos.to_pylist()
            bad = next(i for i, v in enumerate(text) if v is not None and not v.strip().lstrip("-").isdigit())
            raise InputError(f"position {text[bad]!r} in variant {variant[bad].as_py()!r} is not an integer",
                             file=str(layout.path), line=int(lines[bad]), column="variant") from None
        n = column(table, "n_complete_samples")
        eaf = alt_frequency(alt, column(table, "minor_allele", text=True), column(table, "minor_AF"),
                            column(table, "AC"), n)
        mapping = {"chrom": chrom, "pos": pos, "snp": variant, "effect_allele": alt, "other_allele": ref,
                   "eaf": eaf, "beta": "beta", "se": "se", "p": "pval"}
        if n is not None:
            mapping["n"] = n
        return renamed(table, mapping)

    return ReadPlan(types, origin, to_frame)
