"""``read_sumstats``: any supported GWAS summary-statistics file to the one internal schema.

The format is recognised from the header (``fmt="auto"``), the file is streamed in pyarrow batches
with only the needed columns, rows with ``p > p_max`` (or, for an outcome lookup, rows of variants not
in ``snps``) are dropped batch by batch (so a 16-million-row FinnGen file needs little memory), and the
kept rows are validated once (:mod:`mrkit.gwas.io.validate`).

References
----------
Hemani G et al. (2018) The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408. Lyon MS et al. (2021) Genome Biology 22:32 (GWAS-VCF).
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import InputError
from ..schema import DropLog, check_p_range
from . import finngen, generic, gwasvcf, neale, ssf, twosamplemr
from .columnar import DEFAULT_BLOCK_SIZE, Batch, TextLayout, scan_filtered, sniff
from .plan import ReadOptions
from .validate import validate

#: Recognised formats, in the order auto-detection tries them (generic last: it matches loosely).
FORMATS = {m.NAME: m for m in (gwasvcf, finngen, neale, ssf, twosamplemr, generic)}


def detect_format(layout: TextLayout) -> str:
    """The name of the first format whose header signature the file matches."""
    for name, module in FORMATS.items():
        if module.detect(layout):
            return name
    raise InputError(f"unrecognised summary-statistics format; the header has columns {list(layout.header)}; "
                     f"give the format, one of {list(FORMATS)} (--fmt / --exposure-format; in Python fmt=), and for "
                     f"'generic' the columns (--column beta=BETA ...; columns=)",
                     file=str(layout.path), line=layout.header_line)


@dataclass(frozen=True)
class ReadReport:
    """What a read did: rows read, kept, dropped by reason, flagged and left out by the p filter."""

    source: str
    format: str
    rows_read: int
    rows_kept: int
    dropped: dict[str, int]
    above_p_max: int
    p_max: float | None
    flagged: dict[str, int]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> ReadReport:
        a = frame.attrs
        return cls(a["source"], a["format"], a["rows_read"], len(frame), dict(a["dropped"]),
                   a["above_p_max"], a["p_max"], dict(a.get("flagged", {})))

    def __str__(self) -> str:
        lines = [f"{self.source} ({self.format}): {self.rows_read} rows read, {self.rows_kept} kept"]
        if self.p_max is not None:
            lines.append(f"  {self.above_p_max} rows with p > {self.p_max:g} left out")
        lines += [f"  dropped {count}: {reason}" for reason, count in sorted(self.dropped.items())]
        lines += [f"  flagged {count}: {reason}" for reason, count in sorted(self.flagged.items())]
        return "\n".join(lines)


def read_sumstats(path: str | Path, fmt: str = "auto", *, columns: dict[str, str] | None = None,
                  p_max: float | None = None, strict: bool = False, n: float | None = None,
                  ncase: float | None = None, ncontrol: float | None = None, study: str | None = None,
                  keep_low_confidence: bool = False, role: str | None = None,
                  block_size: int = DEFAULT_BLOCK_SIZE, snps: Collection[str] | None = None) -> pd.DataFrame:
    """Read GWAS summary statistics into the internal schema (see :data:`SCHEMA_COLUMNS`).

    Parameters
    ----------
    path : file, plain text, gzip or bgzip (recognised by content, not by name).
    fmt : ``"auto"`` (from the header), ``"gwasvcf"``, ``"finngen"``, ``"neale"``, ``"ssf"``,
        ``"twosamplemr"`` (``SNP, beta.exposure, ...`` CSVs) or ``"generic"``.
    columns : generic format: schema column -> file column, e.g. ``{"beta": "BETA"}``; implies
        ``fmt="generic"`` when fmt is "auto".
    p_max : keep only rows with ``p <= p_max`` (filtered while streaming; rows with a missing or
        out-of-range p are still counted as dropped).
    strict : raise on the first per-row data problem instead of dropping and counting it.
    n, ncase, ncontrol : sample sizes to fill where the file has none (FinnGen has no counts).
    study : GWAS-VCF sample column to read when the file holds several studies.
    keep_low_confidence : Neale lab tables: keep rows flagged ``low_confidence_variant``.
    role : TwoSampleMR files: read the ``.exposure`` or ``.outcome`` columns (needed when both are there).
    block_size : bytes of text parsed per batch.
    snps : keep only these variant ids (an outcome lookup: the union of the instruments of every
        exposure paired with it), filtered while streaming like ``p_max``; rows left out are counted
        in ``attrs["not_requested"]``, never as dropped.

    Returns
    -------
    DataFrame with the schema columns; ``attrs``: ``source``, ``format``, ``dropped`` ({reason:
    count}), ``flagged`` ({reason: count} of kept rows: p = 0, multi-allelic sites), ``rows_read``,
    ``above_p_max``, ``p_max`` (see :class:`ReadReport`), ``invalid`` (the ids and reasons of dropped
    rows, :class:`~mrkit.gwas.schema.DroppedVariants`) and, for TwoSampleMR files, ``trait``;
    with ``snps``, ``snps_requested`` and ``not_requested``.

    Raises
    ------
    InputError
        Naming file, line and column (the rules and their policies: :data:`mrkit.gwas.rules.RULES`):
        missing columns, non-numeric values, wrong field counts, a truncated or corrupt gzip, a file
        with no data row or no valid row, and with ``strict`` every dropped-row problem.

    References
    ----------
    Hemani G et al. (2018) eLife 7:e34408 (the TwoSampleMR data conventions this schema follows).
    """
    layout = sniff(path)
    if fmt == "auto":
        fmt = "generic" if columns else detect_format(layout)
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of {['auto', *FORMATS]}", file=str(path))
    if columns and fmt != "generic":
        raise InputError(f"columns= applies to the generic format, not {fmt!r}", file=str(path))
    plan = FORMATS[fmt].plan(layout, ReadOptions(columns, study, keep_low_confidence, role))
    log = DropLog(str(layout.path), strict)
    above = 0
    wanted_ids = None if snps is None else pa.array(sorted({str(s) for s in snps}), pa.string())

    def keep(batch: Batch) -> np.ndarray:
        nonlocal above
        wanted = np.ones(batch.data.num_rows, dtype=bool)
        if wanted_ids is not None:
            ids = plan.snp_of(batch)
            if ids is not None:  # else the ids are made in validation: filtered below
                found = pc.is_in(pc.utf8_trim_whitespace(ids), value_set=wanted_ids)
                wanted = pc.fill_null(found, False).to_numpy(zero_copy_only=False)
        if p_max is not None:
            p = plan.p_of(batch)
            valid = check_p_range(p, batch.lines(), log, plan.origin["p"])
            below = valid & ((p <= p_max) | np.isnan(p))  # a missing p is filled from beta and se, then filtered
            above += int((valid & ~below & wanted).sum())
            wanted = wanted & below
        return wanted

    filtering = p_max is not None or snps is not None
    table, rows_read = scan_filtered(layout, plan.column_types, keep if filtering else None, block_size)
    frame = validate(plan.to_frame(table, log), plan.origin, log)
    if p_max is not None:  # p filled from beta and se; split multi-allelic records: each allele has its own p
        wanted = frame["p"].to_numpy(float) <= p_max
        above += int((~wanted).sum())
        frame = frame.loc[wanted].reset_index(drop=True)
    not_requested = 0
    if wanted_ids is not None:  # ids made in validation (formats without an id column) are filtered here
        frame = frame.loc[frame["snp"].isin(wanted_ids.to_pylist()).to_numpy()].reset_index(drop=True)
        not_requested = max(0, rows_read - len(frame) - sum(log.counts.values()) - above)
    log.refuse_if_empty(rows_read, len(frame) + above + not_requested)
    _fill_sample_sizes(frame, n, ncase, ncontrol)
    frame.attrs.update(source=str(layout.path), format=fmt, dropped=dict(log.counts), rows_read=rows_read,
                       above_p_max=above, p_max=p_max, flagged=dict(log.flags),
                       invalid=log.dropped_variants(), **plan.attrs)
    if wanted_ids is not None:
        frame.attrs.update(snps_requested=len(wanted_ids), not_requested=not_requested)
    return frame


def _fill_sample_sizes(frame: pd.DataFrame, n, ncase, ncontrol) -> None:
    """Fill unknown (NaN) sample sizes from the caller; n = ncase + ncontrol when only those are given."""
    if n is None and ncase is not None and ncontrol is not None:
        n = ncase + ncontrol
    for column, value in (("n", n), ("ncase", ncase), ("ncontrol", ncontrol)):
        if value is not None:
            frame[column] = frame[column].fillna(float(value))


__all__ = ["FORMATS", "ReadReport", "detect_format", "read_sumstats"]
