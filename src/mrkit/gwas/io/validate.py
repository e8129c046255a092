"""Checks shared by every summary-statistics reader, and the internal schema they all return.

Two kinds of problems are told apart. A malformed file (a missing column, text in a numeric column,
a truncated gzip) stops the read with an :class:`~mrkit.errors.InputError`. Per-row data problems that
real GWAS files do contain (a few ``se = 0`` rows, NA p-values, ``N`` alleles, a duplicated variant)
drop the row and are counted by reason in ``df.attrs["dropped"]``; ``strict=True`` turns the first of
them into an error naming the file, line and column instead. Nothing is dropped silently.

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

from ...errors import InputError

#: Columns (in order) of the data frame every reader returns; see the shared contracts.
SCHEMA_COLUMNS = ("chrom", "pos", "snp", "effect_allele", "other_allele", "eaf", "beta", "se", "p",
                  "n", "ncase", "ncontrol")
FLOAT_COLUMNS = ("eaf", "beta", "se", "p", "n", "ncase", "ncontrol")
CHROMOSOMES = tuple(str(i) for i in range(1, 23)) + ("X",)
#: A nucleotide sequence (SNV or indel) or the D/I codes TwoSampleMR accepts for indels.
ALLELE_PATTERN = r"[ACGT]+|[DI]"


class DropLog:
    """Rows dropped by reason; with ``strict`` the earliest problem in the file becomes an error.

    Checks run column by column, so in strict mode the problems are collected and
    :meth:`raise_first` reports the one on the smallest line, as a reader of the file expects.
    """

    def __init__(self, file: str, strict: bool = False):
        self.file, self.strict, self.counts = file, strict, {}
        self.first: InputError | None = None

    def drop(self, reason: str, bad: np.ndarray, lines: np.ndarray, column: str | None,
             values=None, detail: str = "") -> np.ndarray:
        """Count rows flagged ``bad`` under ``reason``; return the mask of rows to keep."""
        bad = np.asarray(bad, dtype=bool)
        count = int(bad.sum())
        if count:
            self.counts[reason] = self.counts.get(reason, 0) + count
            first = int(np.flatnonzero(bad)[np.argmin(lines[bad])])
            if self.strict and (self.first is None or lines[first] < self.first.line):
                shown = "" if values is None else f" (value {np.asarray(values, dtype=object)[first]!r})"
                self.first = InputError(f"{reason}{shown}{detail}; pass strict=False to drop and count "
                                        f"such rows", file=self.file, line=int(lines[first]), column=column)
        return ~bad

    def raise_first(self) -> None:
        if self.first is not None:
            raise self.first


def normalise_chrom(chrom: pd.Series) -> pd.Series:
    """'chr1' -> '1', '23' -> 'X', 'x' -> 'X' (FinnGen and GWAS-SSF code X as 23)."""
    out = chrom.astype("str").str.strip().str.upper().str.removeprefix("CHR")
    return out.where(out != "23", "X")


def _fallback_ids(frame: pd.DataFrame) -> pd.Series:
    """``chrom:pos:other:effect`` (= chrom:pos:ref:alt where the effect allele is ALT)."""
    return (frame["chrom"].astype("str") + ":" + frame["pos"].astype("str") + ":"
            + frame["other_allele"].fillna("").astype("str") + ":" + frame["effect_allele"].astype("str"))


def check_p_values(p: np.ndarray, lines: np.ndarray, log: DropLog, column: str,
                   keep: np.ndarray | None = None) -> np.ndarray:
    """Drop rows whose p is missing or outside [0, 1] (p = 0 is kept: underflow in real files).

    Returns ``keep`` (all rows when None) narrowed to the rows that pass.
    """
    keep = np.ones(len(p), dtype=bool) if keep is None else keep.copy()
    keep &= log.drop("missing p", np.isnan(p) & keep, lines, column)
    keep &= log.drop("p outside [0, 1]", ((p < 0) | (p > 1)) & keep, lines, column, p)
    return keep


def validate(frame: pd.DataFrame, origin: dict[str, str], log: DropLog) -> pd.DataFrame:
    """Normalise a reader's raw frame to the schema and drop (or, strict, reject) bad rows.

    ``frame`` has the schema columns (raw text for chrom/alleles, possibly null) plus ``_line``;
    ``origin`` maps each schema column to the file's column name, for messages. Columns absent from
    ``origin`` were not in the file and are not checked (e.g. eaf of a generic table).
    """
    frame = frame.copy()
    for column in SCHEMA_COLUMNS:
        if column not in frame:
            frame[column] = (np.nan if column in FLOAT_COLUMNS else
                             pd.array([pd.NA] * len(frame), dtype="Int64" if column == "pos" else "str"))
    lines = frame["_line"].to_numpy(dtype=np.int64)
    keep = np.ones(len(frame), dtype=bool)

    def flag(reason: str, bad, column: str, values=None) -> None:
        """Drop rows ``bad`` not already dropped: each row is counted under its first reason only."""
        nonlocal keep
        if column in origin:
            keep &= log.drop(reason, np.asarray(bad, dtype=bool) & keep, lines, origin[column], values)

    for column in ("chrom", "pos", "effect_allele", "other_allele", "beta", "se"):
        flag(f"missing {column}", frame[column].isna().to_numpy(), column)
    if "chrom" in origin:
        frame["chrom"] = normalise_chrom(frame["chrom"])
        flag("chromosome not 1-22 or X", ~frame["chrom"].isin(CHROMOSOMES).to_numpy(), "chrom", frame["chrom"])
    for column in ("effect_allele", "other_allele"):
        if column in origin:
            alleles = frame[column].astype("str").str.strip().str.upper()
            frame[column] = alleles.where(frame[column].notna())
            valid = alleles.str.fullmatch(ALLELE_PATTERN).fillna(False).to_numpy(bool)
            flag("invalid allele", ~valid, column, frame[column])
    if "p" in origin:
        keep = check_p_values(frame["p"].to_numpy(float), lines, log, origin["p"], keep)
    beta, se = frame["beta"].to_numpy(float), frame["se"].to_numpy(float)
    flag("beta not finite", np.isinf(beta), "beta", beta)
    flag("se not finite", np.isinf(se), "se", se)
    flag("se <= 0", se <= 0, "se", se)
    if "pos" in origin:
        pos = frame["pos"].to_numpy(dtype=float, na_value=np.nan)
        flag("position < 1", pos < 1, "pos", pos)
    if "eaf" in origin:
        eaf = frame["eaf"].to_numpy(float)
        flag("eaf outside (0, 1)", (eaf <= 0) | (eaf >= 1), "eaf", eaf)
    for column in ("n", "ncase", "ncontrol"):
        if column in origin:
            values = frame[column].to_numpy(float)
            flag(f"{column} <= 0", values <= 0, column, values)

    frame = frame.loc[keep]
    lines = lines[keep]
    frame["pos"] = frame["pos"].astype("int64" if "pos" in origin else "Int64")
    snp = frame["snp"].astype("str").str.strip()
    snp = snp.where(frame["snp"].notna() & ~snp.isin(["", "."]))
    if "chrom" in origin and "pos" in origin:
        snp = snp.fillna(_fallback_ids(frame))
    frame["snp"] = snp
    keep = log.drop("missing snp", frame["snp"].isna().to_numpy(), lines, origin.get("snp"))
    frame, lines = frame.loc[keep], lines[keep]
    frame, lines = _drop_duplicates(frame, lines, origin, log)
    log.raise_first()
    return _to_schema(frame)


def _drop_duplicates(frame: pd.DataFrame, lines: np.ndarray, origin: dict[str, str], log: DropLog):
    """Every copy of a variant seen twice (same id, or same position and alleles) is dropped.

    Keeping one copy would pick an association arbitrarily (TwoSampleMR keeps the first and warns);
    multi-allelic sites sharing an rsid are the usual cause.
    """
    dup = frame["snp"].duplicated(keep=False).to_numpy()
    if "pos" in origin:
        dup = dup | frame.duplicated(["chrom", "pos", "effect_allele", "other_allele"], keep=False).to_numpy()
    detail = ""
    if dup.any():
        ids = frame["snp"].to_numpy(dtype=object)
        first = int(np.flatnonzero(dup)[0])
        detail = f" (lines {', '.join(map(str, lines[dup & (ids == ids[first])]))})"
    keep = log.drop("duplicated variant", dup, lines, origin.get("snp"), frame["snp"], detail)
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
    return out
