"""A reader's raw rows to the schema, through the rule engine of :mod:`mrkit.gwas.schema`.

Two kinds of problems are told apart (the policy of each rule is in :data:`mrkit.gwas.rules.RULES`).
A malformed file (a missing column, text in a numeric column, a truncated gzip, no data row, no valid
row) stops the read with an :class:`~mrkit.errors.InputError`. Missing values TwoSampleMR derives (p from
beta and SE, n from cases and controls) are filled first and counted in ``df.attrs["flagged"]``. Per-row
data problems that real GWAS files do contain (a few ``se = 0`` rows, ``N`` alleles, a variant repeated
with different values) drop the row and are counted by reason in ``df.attrs["dropped"]``;
``strict=True`` turns the first of them into an error naming the file, line and column instead. An
exact repeat of a row counts once. Nothing is dropped silently. Valid rows worth a note are counted in
``df.attrs["flagged"]``: p = 0 (underflow), and the records of a multi-allelic site (one id, several
allele pairs), which are all kept so that harmonisation can take the one matching the exposure's alleles.

References
----------
Hemani G et al. (2018) The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408 (TwoSampleMR ``format_data``: upper-case alleles, D/I indel codes, duplicate
SNPs). Lyon MS et al. (2021) The variant call format provides efficient and robust storage of GWAS
summary statistics. Genome Biology 22:32. Hayhurst J et al. (2023) A community driven GWAS summary
statistics standard (GWAS-SSF). bioRxiv 2022.07.15.500230.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..rules import EMPTY_LINE, FLOAT_COLUMNS, MULTIALLELIC, PASSTHROUGH_COLUMNS, SCHEMA_COLUMNS
from ..schema import (
    DropLog,
    check_rows,
    fallback_ids,
    fill_missing,
    normalise_alleles,
    normalise_chrom,
    normalise_ids,
    variant_repeats,
)

_TEXT = ("chrom", "snp", "effect_allele", "other_allele")


def _arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The schema columns of a reader's raw frame as numpy arrays (text: object with None; numbers: float)."""
    out = {}
    for column in SCHEMA_COLUMNS:
        if column not in frame:
            out[column] = np.full(len(frame), None if column in _TEXT else np.nan,
                                  dtype=object if column in _TEXT else float)
        elif column in _TEXT:
            out[column] = frame[column].to_numpy(dtype=object, na_value=None)
        else:
            out[column] = frame[column].to_numpy(dtype=float, na_value=np.nan)
    return out


def validate(frame: pd.DataFrame, origin: dict[str, str], log: DropLog) -> pd.DataFrame:
    """Normalise a reader's raw frame to the schema and drop (or, strict, reject) bad rows.

    ``frame`` has the schema columns (raw text for chrom/alleles, possibly null) plus ``_line``;
    ``origin`` maps each schema column to the file's column name, for messages. Columns absent from
    ``origin`` were not in the file and are not checked (e.g. eaf of a generic table). The ids of
    dropped rows are remembered in ``log`` (:meth:`DropLog.dropped_variants`).
    """
    lines = frame["_line"].to_numpy(dtype=np.int64)
    columns = _arrays(frame)
    if "chrom" in origin:
        columns["chrom"] = normalise_chrom(columns["chrom"])
    for column in ("effect_allele", "other_allele"):
        columns[column] = normalise_alleles(columns[column])
    snp = normalise_ids(columns["snp"])
    if "chrom" in origin and "pos" in origin:
        need = np.flatnonzero(np.equal(snp, None) & ~np.equal(columns["chrom"], None) & ~np.isnan(columns["pos"]))
        if need.size:
            snp[need] = fallback_ids(columns["chrom"][need], columns["pos"][need],
                                     columns["effect_allele"][need], columns["other_allele"][need])
    columns["snp"] = snp

    present = [c for c in SCHEMA_COLUMNS if c in origin]
    blank = np.all([np.isnan(columns[c]) if c not in _TEXT else np.equal(columns[c], None) for c in present], axis=0)
    log.flag(EMPTY_LINE, blank)  # no data in it: skipped, not a dropped row (strict does not refuse)
    not_empty = ~blank
    fill_missing(columns, log, not_empty)
    keep = check_rows(columns, origin, log, lines, ids=snp, keep=not_empty)
    keep &= log.drop("missing snp", np.equal(snp, None) & keep, lines, origin.get("snp"))
    repeats, multiallelic = variant_repeats(columns, log, lines, origin.get("snp"), keep,
                                            by_site="pos" in origin and "chrom" in origin)
    keep &= repeats
    log.flag(MULTIALLELIC, multiallelic)
    log.raise_first()
    return _to_schema(frame, columns, keep, "pos" in origin)


def _to_schema(frame: pd.DataFrame, columns: dict[str, np.ndarray], keep: np.ndarray, has_pos: bool) -> pd.DataFrame:
    n = int(keep.sum())
    out = pd.DataFrame(index=pd.RangeIndex(n))
    for column in SCHEMA_COLUMNS:
        values = columns[column][keep]
        if column in FLOAT_COLUMNS:
            out[column] = values
        elif column == "pos":
            out[column] = values.astype(np.int64) if has_pos else pd.array(values, dtype="Int64")
        else:
            out[column] = pd.array(values, dtype="str")
    for column in PASSTHROUGH_COLUMNS:
        if column in frame:
            out[column] = frame[column].to_numpy(dtype=object)[keep]
    return out
