"""IEU OpenGWAS GWAS-VCF files (``<id>.vcf.gz``).

One row per variant: ``#CHROM POS ID REF ALT QUAL FILTER INFO FORMAT <study>``; the sample column is
the study and holds the FORMAT fields ``ES`` (effect of ALT), ``SE``, ``LP`` (-log10 p), ``AF`` (ALT
frequency), ``SS`` (sample size), ``NC`` (number of cases), ``ID`` (study variant id); ``.`` marks a
missing field and trailing fields may be left out. ``##SAMPLE=<...TotalCases=..,TotalControls=..>``
gives study-wide counts used where SS/NC are missing.

The fast path parses only the needed columns with pyarrow, then splits the sample field on ``:``
vectorised, once per distinct FORMAT string (a file normally has one).

A multi-allelic record (``ALT = T,G`` with ``ES = 0.04,0.09``: Number=A fields hold one value per ALT
allele) is split into one biallelic record per ALT allele, all on the record's line, and counted in
``attrs["flagged"]``; a sample size (SS, NC) given once is shared by the alleles. A record whose
ES, SE, LP or AF has another number of values is dropped and counted as "malformed multi-allelic
record". The records of
the split site share the VCF ID: harmonisation keeps the one whose alleles match the exposure's.

References
----------
Lyon MS et al. (2021) The variant call format provides efficient and robust storage of GWAS summary
statistics. Genome Biology 22:32. doi:10.1186/s13059-020-02248-0
"""
from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import InputError, shown
from ..rules import MULTIALLELIC_SPLIT
from .columnar import Batch, TextLayout, list_field, require_columns, to_float
from .plan import ReadOptions, ReadPlan, renamed

NAME = "gwasvcf"
FIXED = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"]
REQUIRED_FIELDS = ("ES", "SE", "LP")
FIELDS = ("ES", "SE", "LP", "AF", "SS", "NC", "ID")


def detect(layout: TextLayout) -> bool:
    return bool(layout.meta_lines) and layout.meta_lines[0].startswith("##fileformat=VCF")


def header_counts(layout: TextLayout, study: str) -> dict[str, float]:
    """Study-wide n / ncase / ncontrol from the ``##SAMPLE`` line (empty when absent).

    For ``StudyType=Continuous`` gwas2vcf puts everyone in TotalControls (TotalCases = 0): that is
    the sample size, not a control count.
    """
    for line in layout.meta_lines:
        if line.startswith("##SAMPLE=<") and re.search(rf"[<,]ID={re.escape(study)}[,>]", line):
            fields = dict(re.findall(r"(TotalCases|TotalControls|StudyType)=([^,>]+)", line))
            try:
                cases, controls = (float(fields.get(k, "nan")) for k in ("TotalCases", "TotalControls"))
            except ValueError:
                raise InputError(f"unreadable TotalCases/TotalControls in {line!r}", file=str(layout.path),
                                 line=layout.meta_lines.index(line) + 1) from None
            if fields.get("StudyType", "").lower() == "continuous" or not cases > 0:
                return {"n": np.nansum([cases, controls]) or np.nan, "ncase": np.nan, "ncontrol": np.nan}
            return {"n": cases + controls, "ncase": cases, "ncontrol": controls}
    return {}


def choose_study(layout: TextLayout, study: str | None) -> str:
    samples = list(layout.header[len(FIXED):])
    if study is not None:
        if study not in samples:
            raise InputError(f"study {study!r} is not a sample column; the file has {samples}",
                             file=str(layout.path), line=layout.header_line)
        return study
    if len(samples) != 1:
        raise InputError(f"{len(samples)} study columns {samples}: pass study= to choose one",
                         file=str(layout.path), line=layout.header_line)
    return samples[0]


def format_fields(table: pa.Table | pa.RecordBatch, study: str, wanted: tuple[str, ...],
                  layout: TextLayout, lines: np.ndarray) -> dict[str, pa.Array]:
    """Split the study column by its FORMAT, vectorised per distinct FORMAT string."""
    fmt = table.column("FORMAT")
    fmt = fmt.combine_chunks() if isinstance(fmt, pa.ChunkedArray) else fmt
    values = pc.split_pattern(table.column(study), ":")
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    out: dict[str, list] = {key: [] for key in wanted}
    order = []
    fmt = pc.fill_null(fmt, "")
    for layout_string in pc.unique(fmt).to_pylist():
        rows = np.flatnonzero(pc.equal(fmt, layout_string).to_numpy(zero_copy_only=False))
        keys = layout_string.split(":")
        missing = [key for key in REQUIRED_FIELDS if key in wanted and key not in keys]
        if missing:
            raise InputError(f"FORMAT {layout_string!r} lacks required field(s) {missing}",
                             file=str(layout.path), line=int(lines[rows[0]]), column="FORMAT")
        group = values.take(pa.array(rows))
        for key in wanted:
            out[key].append(list_field(group, keys.index(key)) if key in keys
                            else pa.nulls(len(rows), pa.string()))
        order.append(rows)
    if not order:
        return {key: pa.array([], pa.string()) for key in wanted}
    back = pa.array(np.argsort(np.concatenate(order), kind="stable"))
    return {key: pa.concat_arrays([a.cast(pa.string()) for a in arrays]).take(back)
            for key, arrays in out.items()}


def plan(layout: TextLayout, options: ReadOptions) -> ReadPlan:
    require_columns(layout, FIXED, "a GWAS-VCF file")
    study = choose_study(layout, options.study)
    types = {"#CHROM": pa.string(), "POS": pa.int64(), "ID": pa.string(), "REF": pa.string(),
             "ALT": pa.string(), "FORMAT": pa.string(), study: pa.string()}
    totals = header_counts(layout, study)
    origin = {"chrom": "#CHROM", "pos": "POS", "snp": "ID", "effect_allele": "ALT", "other_allele": "REF",
              "eaf": f"{study}[AF]", "beta": f"{study}[ES]", "se": f"{study}[SE]", "p": f"{study}[LP]",
              "n": f"{study}[SS]", "ncase": f"{study}[NC]"}

    def p_from(lp: pa.Array, lines: np.ndarray) -> np.ndarray:
        return 10.0 ** -to_float(lp, origin["p"], layout, lines)

    def p_values(batch: Batch) -> np.ndarray:
        """p of each record for the p_max filter; a multi-allelic record: its smallest p."""
        lines = batch.lines()
        lp = format_fields(batch.data, study, ("LP",), layout, lines)["LP"]
        several = pc.fill_null(pc.match_substring(lp, ","), False).to_numpy(zero_copy_only=False)
        if several.any():
            text = lp.to_pylist()
            for i in np.flatnonzero(several):
                values = [v for v in text[i].split(",") if v not in (".", "")]
                text[i] = max(values, key=lambda v: _number(v, origin["p"], layout, lines[i])) if values else None
            lp = pa.array(text, pa.string())
        return p_from(lp, lines)

    def variant_ids(table: pa.Table | pa.RecordBatch, study_ids: pa.Array) -> pa.Array:
        """The ID column, or the study's FORMAT ID where ID is "."."""
        dot = pa.array(["."])
        ids = table.column("ID")
        vcf_id = pc.if_else(pc.is_in(ids, dot), None, ids)
        study_id = pc.if_else(pc.is_in(study_ids, dot), None, study_ids)
        return pc.coalesce(vcf_id.combine_chunks() if isinstance(vcf_id, pa.ChunkedArray) else vcf_id, study_id)

    def snp_values(batch: Batch) -> pa.Array:
        lines = batch.lines()
        return variant_ids(batch.data, format_fields(batch.data, study, ("ID",), layout, lines)["ID"])

    def to_frame(table: pa.Table, log) -> object:
        lines = table.column("_line").to_numpy()
        fields = format_fields(table, study, FIELDS, layout, lines)
        table, fields = split_multiallelic(table, fields, log)
        lines = table.column("_line").to_numpy()
        num = {key: to_float(fields[key], f"{study}[{key}]", layout, lines) for key in ("ES", "SE", "AF", "SS", "NC")}
        ncase = np.where(np.isnan(num["NC"]), totals.get("ncase", np.nan), num["NC"])
        ncontrol = np.where(np.isnan(num["SS"]) | np.isnan(num["NC"]), totals.get("ncontrol", np.nan),
                            num["SS"] - num["NC"])
        n = np.where(np.isnan(num["SS"]), totals.get("n", np.nan), num["SS"])
        mapping = {"chrom": "#CHROM", "pos": "POS", "snp": variant_ids(table, fields["ID"]),
                   "effect_allele": "ALT", "other_allele": "REF", "eaf": num["AF"], "beta": num["ES"],
                   "se": num["SE"], "p": p_from(fields["LP"], lines), "n": n, "ncase": ncase,
                   "ncontrol": ncontrol}
        return renamed(table, mapping)

    return ReadPlan(types, origin, to_frame, p_values=p_values, snp_values=snp_values)


def _number(text: str, column: str, layout: TextLayout, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"value {shown(text)} is not a number", file=str(layout.path), line=int(line),
                         column=column) from None


#: FORMAT fields with one value per ALT allele (GWAS-VCF specification, Number=A); the sample sizes
#: may also be given once for the site (shared by its alleles).
PER_ALLELE = ("ES", "SE", "LP", "AF", "SS", "NC")
SHARED = ("SS", "NC")


def split_multiallelic(table: pa.Table, fields: dict[str, pa.Array], log) -> tuple[pa.Table, dict[str, pa.Array]]:
    """One biallelic record per ALT allele of each multi-allelic record (see the module docstring)."""
    alt = table.column("ALT").combine_chunks()
    several = pc.fill_null(pc.match_substring(alt, ","), False).to_numpy(zero_copy_only=False)
    if not several.any():
        return table, fields
    lines = table.column("_line").to_numpy()
    rows = np.flatnonzero(several)
    alts = alt.take(pa.array(rows)).to_pylist()
    values = {key: fields[key].take(pa.array(rows)).to_pylist() for key in PER_ALLELE if key in fields}
    take, new_alt, new_values, malformed = [], [], {key: [] for key in values}, np.zeros(len(table), dtype=bool)
    for j, row in enumerate(rows):
        alleles = alts[j].split(",")
        split = {}
        for key, column in values.items():
            parts = [None if v in (".", "") else v for v in column[j].split(",")] if column[j] is not None else [None]
            if len(parts) == 1 and key in SHARED:
                parts = parts * len(alleles)
            split[key] = parts
        if any(len(parts) != len(alleles) for parts in split.values()):
            malformed[row] = True
            continue
        for k, allele in enumerate(alleles):
            take.append(row)
            new_alt.append(allele.strip())
            for key in values:
                new_values[key].append(split[key][k])
    log.drop("malformed multi-allelic record", malformed, lines, "ALT", alt.to_numpy(zero_copy_only=False))
    log.flag(MULTIALLELIC_SPLIT, np.ones(len(take), dtype=bool))
    single = np.flatnonzero(~several)
    order = np.argsort(np.concatenate([single, np.asarray(take, dtype=np.int64)]), kind="stable")
    parts = table.take(pa.array(single)), table.take(pa.array(take, type=pa.int64()))
    expanded = parts[1].set_column(parts[1].schema.get_field_index("ALT"), "ALT", pa.array(new_alt, pa.string()))
    out = pa.concat_tables([parts[0], expanded.cast(parts[0].schema)]).take(pa.array(order))
    new_fields = {}
    for key, column in fields.items():
        tail = (pa.array(new_values[key], pa.string()) if key in new_values
                else column.take(pa.array(take, type=pa.int64())))
        new_fields[key] = pa.concat_arrays([column.take(pa.array(single)).cast(pa.string()),
                                            tail.cast(pa.string())]).take(pa.array(order))
    return out, new_fields
