"""A reader's raw rows to the schema of :mod:`mrkit.gwas.schema`, with its rules applied.

Two kinds of problems are told apart (the policy of each rule is in :data:`mrkit.gwas.schema.RULES`).
A malformed file (a missing column, text in a numeric column, a truncated gzip, no data row, no valid
row) stops the read with an :class:`~mrkit.errors.InputError`. Per-row data problems that real GWAS
files do contain (a few ``se = 0`` rows, NA p-values, ``N`` alleles, a duplicated variant) drop the
row and are counted by reason in ``df.attrs["dropped"]``; ``strict=True`` turns the first of them into
an error naming the file, line and column instead. Nothing is dropped silently. Valid rows worth a
note are counted in ``df.attrs["flagged"]``: p = 0 (underflow), and the records of a multi-allelic
site (one id, several allele pairs), which are all kept so that harmonisation can take the one
matching the exposure's alleles.

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

from ..schema import (
    EMPTY_LINE,
    FLOAT_COLUMNS,
    MULTIALLELIC,
    PASSTHROUGH_COLUMNS,
    SCHEMA_COLUMNS,
    DropLog,
    allele_pair,
    check_rows,
    duplicate_records,
    fallback_ids,
    normalise_alleles,
    normalise_chrom,
)


def validate(frame: pd.DataFrame, origin: dict[str, str], log: DropLog) -> pd.DataFrame:
    """Normalise a reader's raw frame to the schema and drop (or, strict, reject) bad rows.

    ``frame`` has the schema columns (raw text for chrom/alleles, possibly null) plus ``_line``;
    ``origin`` maps each schema column to the file's column name, for messages. Columns absent from
    ``origin`` were not in the file and are not checked (e.g. eaf of a generic table). The ids of
    dropped rows are remembered in ``log`` (:meth:`DropLog.dropped_variants`).
    """
    frame = frame.copy()
    for column in SCHEMA_COLUMNS:
        if column not in frame:
            frame[column] = (np.nan if column in FLOAT_COLUMNS else
                             pd.array([pd.NA] * len(frame), dtype="Int64" if column == "pos" else "str"))
    lines = frame["_line"].to_numpy(dtype=np.int64)
    if "chrom" in origin:
        frame["chrom"] = normalise_chrom(frame["chrom"]).where(frame["chrom"].notna())
    for column in ("effect_allele", "other_allele"):
        frame[column] = normalise_alleles(frame[column])
    snp = frame["snp"].astype("str").str.strip()
    snp = snp.where(frame["snp"].notna() & ~snp.isin(["", "."]))
    if "chrom" in origin and "pos" in origin:
        need = (snp.isna() & frame["chrom"].notna() & frame["pos"].notna()).to_numpy()
        if need.any():
            part = frame.loc[need]
            snp = snp.copy()
            snp[need] = fallback_ids(part["chrom"], part["pos"], part["effect_allele"], part["other_allele"])
    frame["snp"] = snp
    ids = snp.to_numpy(dtype=object)

    present = [c for c in SCHEMA_COLUMNS if c in origin]
    blank = frame[present].isna().all(axis=1).to_numpy()
    log.flag(EMPTY_LINE, blank)  # no data in it: skipped, not a dropped row (strict does not refuse)
    not_empty = ~blank
    keep = check_rows(frame, origin, log, lines, ids=ids, keep=not_empty)
    frame, lines = frame.loc[keep], lines[keep]
    frame["pos"] = frame["pos"].astype("int64" if "pos" in origin else "Int64")
    keep = log.drop("missing snp", frame["snp"].isna().to_numpy(), lines, origin.get("snp"))
    frame, lines = frame.loc[keep], lines[keep]
    frame, lines = _drop_duplicates(frame, lines, origin, log)
    log.raise_first()
    return _to_schema(frame)


def _drop_duplicates(frame: pd.DataFrame, lines: np.ndarray, origin: dict[str, str], log: DropLog):
    """Every copy of a variant seen twice (same id and alleles, or same position and alleles) is dropped;
    records of one id with different alleles (a multi-allelic site) are kept and flagged.

    Keeping one copy of a duplicate would pick an association arbitrarily (TwoSampleMR keeps the first
    and warns).
    """
    snp = frame["snp"].to_numpy(dtype=object)
    has_site = "pos" in origin and "chrom" in origin
    # only rows sharing an id or a position can be duplicates: pair their alleles (few rows, fast)
    shared = frame["snp"].duplicated(keep=False).to_numpy().copy()
    if has_site:
        shared |= frame.duplicated(["chrom", "pos"], keep=False).to_numpy()
    dup, multi = np.zeros(len(frame), dtype=bool), np.zeros(len(frame), dtype=bool)
    if shared.any():
        sub = frame.loc[shared]
        ea = sub["effect_allele"].to_numpy(dtype=object)
        pair = allele_pair(ea, sub["other_allele"].to_numpy(dtype=object))
        pair = np.where(pd.isnull(pair), ea, pair)  # no other allele: the effect allele alone
        site = None
        if has_site:
            site = (sub["chrom"].astype("str") + ":" + sub["pos"].astype("str") + ":"
                    + pd.Series(pair, index=sub.index, dtype=object).astype("str")).to_numpy(dtype=object)
        dup[shared], multi[shared] = duplicate_records(snp[shared], pair, site)
    detail = ""
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        detail = f" (lines {', '.join(map(str, lines[dup & (snp == snp[first])]))})"
    keep = log.drop("duplicated variant", dup, lines, origin.get("snp"), frame["snp"], detail, ids=snp)
    log.flag(MULTIALLELIC, multi)
    return frame.loc[keep], lines[keep]


def _to_schema(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for column in SCHEMA_COLUMNS:
        if column in FLOAT_COLUMNS:
            out[column] = frame[column].to_numpy(dtype=float)
        elif column == "pos":
            out[column] = frame[column].array
        else:
            out[column] = pd.array(frame[column].to_numpy(), dtype="str")
    for column in PASSTHROUGH_COLUMNS:
        if column in frame:
            out[column] = frame[column].to_numpy(dtype=object)
    return out
