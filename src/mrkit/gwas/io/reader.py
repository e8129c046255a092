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

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import InputError
from ..schema import DropLog, check_p_range
from . import finngen, generic, gwasvcf, neale, ssf, tools, twosamplemr
from .aliases import matched_ids
from .catalogue import FORMAT_NAMES
from .columnar import DEFAULT_BLOCK_SIZE, Batch, TextLayout, scan_filtered, sniff
from .limits import DEFAULT_LIMITS, ReadLimits
from .plan import ReadOptions
from .traits import Traits, trait_columns
from .validate import validate

#: Recognised formats, in the order auto-detection tries them (generic last: it matches loosely).
FORMATS = {m.NAME: m for m in (gwasvcf, finngen, neale, ssf, twosamplemr, *tools.FORMATS, generic)}
assert tuple(FORMATS) == FORMAT_NAMES, "the catalogue lists every format, in detection order"


def detect_format(layout: TextLayout, options: ReadOptions | None = None) -> str:
    """The name of the first format whose header signature the file matches."""
    options = options or ReadOptions()
    for name, module in FORMATS.items():
        if module.detect(layout):
            return name
    raise InputError(f"unrecognised summary-statistics format; the header has columns {list(layout.header)}; "
                     f"give the format ({options.hint('fmt')}, one of {list(FORMATS)}), and for 'generic' "
                     f"the columns ({options.hint('columns')})",
                     file=str(layout.path), line=layout.header_line)


@dataclass(frozen=True)
class ReadReport:
    """What a read did: rows read, kept, dropped by reason, flagged, left out (by the p filter, the
    format's meaning, the trait chosen) and notes (comment lines skipped)."""

    source: str
    format: str
    rows_read: int
    rows_kept: int
    dropped: dict[str, int]
    above_p_max: int
    p_max: float | None
    flagged: dict[str, int]
    left_out: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    trait: str | None = None

    @classmethod
    def of(cls, frame: pd.DataFrame) -> ReadReport:
        a = frame.attrs
        trait = a.get("trait_id") or a.get("trait") if a.get("several_traits") else None
        return cls(a["source"], a["format"], a["rows_read"], len(frame), dict(a["dropped"]),
                   a["above_p_max"], a["p_max"], dict(a.get("flagged", {})), dict(a.get("left_out", {})),
                   tuple(a.get("notes", ())), trait)

    def __str__(self) -> str:
        trait = f" trait {self.trait}" if self.trait else ""
        lines = [f"{self.source} ({self.format}{trait}): {self.rows_read} rows read, {self.rows_kept} kept"]
        lines += [f"  {note}" for note in self.notes]
        if self.p_max is not None:
            lines.append(f"  {self.above_p_max} rows with p > {self.p_max:g} left out")
        lines += [f"  left out {count}: {reason}" for reason, count in sorted(self.left_out.items())]
        lines += [f"  dropped {count}: {reason}" for reason, count in sorted(self.dropped.items())]
        lines += [f"  flagged {count}: {reason}" for reason, count in sorted(self.flagged.items())]
        return "\n".join(lines)


def read_sumstats(path: str | Path, fmt: str = "auto", *, columns: dict[str, str] | None = None,
                  p_max: float | None = None, strict: bool = False, n: float | None = None,
                  ncase: float | None = None, ncontrol: float | None = None, study: str | None = None,
                  keep_low_confidence: bool = False, role: str | None = None,
                  block_size: int = DEFAULT_BLOCK_SIZE, snps: Collection[str] | None = None,
                  effect_allele_col: str | None = None, trait: str | None = None,
                  limits: ReadLimits = DEFAULT_LIMITS, hints: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read GWAS summary statistics into the internal schema (see :data:`SCHEMA_COLUMNS`).

    Parameters
    ----------
    path : file, plain text, gzip or bgzip (recognised by content, not by name). Leading ``#`` comment
        lines are skipped and counted in ``attrs["notes"]``.
    fmt : ``"auto"`` (from the header) or a name of :data:`FORMATS`: ``"gwasvcf"``, ``"finngen"``,
        ``"neale"``, ``"ssf"``, ``"twosamplemr"`` (``SNP, beta.exposure, ...`` CSVs), the association tools
        ``"saige"``, ``"regenie"``, ``"bolt"``, ``"plink2"``, ``"cojo"``, ``"fastgwa"``, ``"metal"``
        (:mod:`mrkit.gwas.io.catalogue`: each by its own allele convention) or ``"generic"``.
    columns : generic format: schema column -> file column, e.g. ``{"beta": "BETA"}``; implies
        ``fmt="generic"`` when fmt is "auto".
    effect_allele_col : generic format: the column holding the effect allele (the other allele is then its
        pair's other member: Allele1/Allele2, A1/A2, REF/ALT...); implies ``fmt="generic"`` when fmt is
        "auto". A table whose effect allele cannot be known (an Allele1/Allele2 pair) needs it.
    p_max : keep only rows with ``p <= p_max`` (filtered while streaming; rows with a missing or
        out-of-range p are still counted as dropped).
    strict : raise on the first per-row data problem instead of dropping and counting it.
    n, ncase, ncontrol : sample sizes to fill where the file has none (FinnGen has no counts).
    study : GWAS-VCF sample column to read when the file holds several studies.
    keep_low_confidence : Neale lab tables: keep rows flagged ``low_confidence_variant``.
    role : TwoSampleMR files: read the ``.exposure`` or ``.outcome`` columns (needed when both are there).
    trait : a table holding several traits (a trait name column, ``exposure``, ``trait`` or ``phenotype``,
        or a dataset id column, ``id.exposure``, ``opengwas_id``...): the one to read, by its id or its
        name; without it such a table is refused (:class:`~mrkit.gwas.io.traits.SeveralTraits`, listing them).
    block_size : bytes of text parsed per batch.
    snps : keep only these variant ids (an outcome lookup: the union of the instruments of every
        exposure paired with it), filtered while streaming like ``p_max``; rows left out are counted
        in ``attrs["not_requested"]``, never as dropped. A row with several ids (FinnGen ``rsids``) matches
        under any of them and is named by the one requested.
    limits : the longest line and the widest header read (:class:`~mrkit.gwas.io.limits.ReadLimits`: 1 MiB,
        10,000 columns), refused while streaming.
    hints : how messages name these choices (a command's flags, e.g. ``{"fmt": "--fmt NAME"}``); by default
        the Python parameters.

    Returns
    -------
    DataFrame with the schema columns (plus ``snp_aliases`` where a row has several ids); ``attrs``:
    ``source``, ``format``, ``dropped`` ({reason: count}), ``flagged`` ({reason: count} of kept rows: p = 0,
    multi-allelic sites), ``left_out`` ({reason: count}: rows of another test or trait), ``notes``,
    ``rows_read``, ``above_p_max``, ``p_max`` (see :class:`ReadReport`), ``invalid`` (the ids and reasons of
    dropped rows, :class:`~mrkit.gwas.schema.DroppedVariants`), ``trait`` and ``trait_id`` when the file names
    its trait; with ``snps``, ``snps_requested`` and ``not_requested``.

    Raises
    ------
    InputError
        Naming file, line and column (the rules and their policies: :data:`mrkit.gwas.rules.RULES`):
        missing columns, non-numeric values, wrong field counts, a truncated or corrupt gzip, a file
        with no data row or no valid row, a line or header over ``limits``, an effect allele that cannot be
        known, several traits without ``trait``, and with ``strict`` every dropped-row problem.

    References
    ----------
    Hemani G et al. (2018) eLife 7:e34408 (the TwoSampleMR data conventions this schema follows).
    """
    layout = sniff(path, limits=limits)
    options = ReadOptions(columns, study, keep_low_confidence, role, effect_allele_col, dict(hints or {}))
    if fmt == "auto":
        fmt = "generic" if columns or effect_allele_col else detect_format(layout, options)
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of {['auto', *FORMATS]}", file=str(path))
    if (columns or effect_allele_col) and fmt != "generic":
        raise InputError(f"a column mapping ({options.hint('columns')}, {options.hint('effect_allele_col')}) "
                         f"applies to the generic format, not {fmt!r}", file=str(path))
    plan = FORMATS[fmt].plan(layout, options)
    traits = Traits(layout, plan, trait_columns(layout, plan, role), trait, options)
    log = DropLog(str(layout.path), strict)
    above = 0
    left_out: dict[str, int] = {}
    wanted_ids = None if snps is None else pa.array(sorted({str(s) for s in snps}), pa.string())

    def keep(batch: Batch) -> np.ndarray:
        nonlocal above
        wanted = traits.rows(batch)
        if plan.left_out is not None:
            for reason, out in plan.left_out(batch).items():
                left_out[reason] = left_out.get(reason, 0) + int((out & wanted).sum())
                wanted = wanted & ~out
        in_play = wanted  # rows of the trait and test read: checked (the snps filter only selects)
        if wanted_ids is not None:
            ids = plan.snp_of(batch)
            if ids is not None:  # else the ids are made in validation: filtered below
                found = (pc.is_valid(matched_ids(ids, wanted_ids, plan.id_separator)) if plan.id_separator
                         else pc.fill_null(pc.is_in(pc.utf8_trim_whitespace(ids), value_set=wanted_ids), False))
                wanted = wanted & found.to_numpy(zero_copy_only=False)
        if p_max is not None:
            p = plan.p_of(batch)
            valid = check_p_range(p, batch.lines(), log, plan.origin["p"], keep=in_play)
            below = valid & ((p <= p_max) | np.isnan(p))  # a missing p is filled from beta and se, then filtered
            above += int((valid & ~below & wanted).sum())
            wanted = wanted & below
        return wanted

    filtering = p_max is not None or snps is not None or plan.left_out is not None or traits.active
    table, rows_read = scan_filtered(layout, plan.column_types | traits.column_types,
                                     keep if filtering else None, block_size)
    table = traits.resolve(table, left_out)
    if wanted_ids is not None and plan.id_separator:  # name each row by the id requested
        column = plan.origin["snp"]
        requested = pc.coalesce(matched_ids(table.column(column), wanted_ids, plan.id_separator),
                                table.column(column))
        table = table.set_column(table.schema.get_field_index(column), column, requested)
    frame = validate(plan.to_frame(table, log), plan.origin, log)
    if p_max is not None:  # p filled from beta and se; split multi-allelic records: each allele has its own p
        wanted = frame["p"].to_numpy(float) <= p_max
        above += int((~wanted).sum())
        frame = frame.loc[wanted].reset_index(drop=True)
    not_requested = 0
    if wanted_ids is not None:  # ids made in validation (formats without an id column) are filtered here
        frame = frame.loc[frame["snp"].isin(wanted_ids.to_pylist()).to_numpy()].reset_index(drop=True)
        not_requested = max(0, rows_read - len(frame) - sum(log.counts.values()) - above - sum(left_out.values()))
    log.refuse_if_empty(rows_read, len(frame) + above + not_requested + sum(left_out.values()))
    _fill_sample_sizes(frame, n, ncase, ncontrol)
    skipped = len(layout.meta_lines)
    notes = [f"{skipped} comment line(s) before the header skipped (lines 1-{skipped})"
             ] if skipped and fmt != "gwasvcf" else []
    frame.attrs.update(source=str(layout.path), format=fmt, dropped=dict(log.counts), rows_read=rows_read,
                       above_p_max=above, p_max=p_max, flagged=dict(log.flags), left_out=left_out,
                       notes=notes + plan.notes, invalid=log.dropped_variants())
    frame.attrs.update({**plan.attrs, **traits.attrs})
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
