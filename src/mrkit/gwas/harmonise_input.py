"""The two inputs of :func:`mrkit.gwas.harmonise.harmonise` as TwoSampleMR columns, through the rule engine.

:func:`to_twosamplemr` converts an internal-schema or TwoSampleMR frame to the columns of one role
(``SNP, effect_allele.<role>, ...``); :func:`checked` applies the engine (:mod:`mrkit.gwas.schema`) to it
as to a file: missing p and sample sizes filled as TwoSampleMR ``format_data`` does, bad values dropped and
counted (``strict`` refuses), exact repeats counted once and variants repeated with different values
dropped; :func:`exposure_records` keeps one record per exposure variant.

References
----------
Hemani G et al. (2018). The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408 (TwoSampleMR ``format_data``, ``harmonise_cleanup_variables``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, shown
from .columns import resolve_columns
from .schema import (
    DropLog,
    check_rows,
    fill_missing,
    normalise_alleles,
    normalise_chrom,
    normalise_ids,
    variant_repeats,
)

__all__ = ["to_twosamplemr", "checked", "exposure_records", "default_name", "PROXY_COLUMNS"]

PROXY_COLUMNS = ("proxy", "target_snp", "proxy_snp", "proxy_r2")
#: schema field -> TwoSampleMR column stem, for the fields harmonise carries
VALUE_FIELDS = (("effect_allele", "effect_allele"), ("other_allele", "other_allele"), ("eaf", "eaf"),
                ("beta", "beta"), ("se", "se"), ("p", "pval"), ("n", "samplesize"), ("ncase", "ncase"),
                ("ncontrol", "ncontrol"))


def default_name(frame: pd.DataFrame, role: str) -> str:
    if role in frame.columns and frame[role].notna().any():
        return str(frame[role].dropna().iloc[0])
    for key in ("trait", "study"):
        if frame.attrs.get(key):
            return str(frame.attrs[key])
    if frame.attrs.get("source"):
        return Path(str(frame.attrs["source"])).name.split(".")[0]
    return role


def _floats(frame: pd.DataFrame, column: str | None, *, nr_is_missing: bool = False) -> np.ndarray:
    if column is None:
        return np.full(len(frame), np.nan)
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw):  # numbers already: nothing to parse
        return raw.to_numpy(dtype=float, na_value=np.nan)
    if nr_is_missing:  # TwoSampleMR: EAF "NR" = not reported
        raw = raw.mask(raw.astype("str").str.strip().str.upper().eq("NR"))
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    text = raw.notna().to_numpy() & np.isnan(values)
    if text.any():
        row = int(np.flatnonzero(text)[0])
        raise InputError(f"value {shown(raw.iloc[row])} is not a number", file=frame.attrs.get("source"), row=row,
                         column=column)
    return values


def _text(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(frame), None, dtype=object)
    return frame[column].to_numpy(dtype=object, na_value=None)


def to_twosamplemr(frame: pd.DataFrame, role: str, name: str | None = None) -> pd.DataFrame:
    """An internal-schema or TwoSampleMR frame as TwoSampleMR columns for ``role`` ("exposure"/"outcome").

    Columns: ``SNP``, ``effect_allele.<role>``, ``other_allele.<role>``, ``eaf.<role>``, ``beta.<role>``,
    ``se.<role>``, ``pval.<role>``, ``samplesize.<role>``, ``ncase.<role>``, ``ncontrol.<role>``,
    ``chr.<role>``, ``pos.<role>`` (missing where the frame has none) and ``<role>`` (the trait name); ids,
    alleles and chromosomes normalised by the rule engine (:mod:`mrkit.gwas.schema`), numbers as float
    (text in a numeric column is an error naming row and column). No row is checked or dropped here:
    :func:`checked` applies the rules.
    """
    if role not in ("exposure", "outcome"):
        raise InputError(f"role must be 'exposure' or 'outcome', got {role!r}", column="role")
    cols = resolve_columns(frame, role if f"beta.{role}" in frame.columns else None)
    if cols["snp"] is None or cols["beta"] is None:
        raise InputError(f"the {role} table needs a variant id and a beta column", file=frame.attrs.get("source"))
    data = {"SNP": normalise_ids(_text(frame, cols["snp"]))}
    for field, tsmr in VALUE_FIELDS:
        column = f"{tsmr}.{role}"
        if field in ("effect_allele", "other_allele"):
            data[column] = normalise_alleles(_text(frame, cols[field]))
        else:
            data[column] = _floats(frame, cols[field], nr_is_missing=field == "eaf")
    data[f"chr.{role}"] = normalise_chrom(_text(frame, cols["chrom"]))
    data[f"pos.{role}"] = _floats(frame, cols["pos"])
    data[role] = np.full(len(frame), name if name is not None else default_name(frame, role), dtype=object)
    for extra in PROXY_COLUMNS:
        column = extra if extra in frame.columns else f"{extra}.{role}"  # TwoSampleMR: proxy.outcome, ...
        if column in frame.columns:
            data[extra] = frame[column].to_numpy()
    out = pd.DataFrame(data)  # one frame from the columns (adding them one by one copies the frame each time)
    out.attrs = {"source": frame.attrs.get("source")}
    return out


def _columns(table: pd.DataFrame, role: str) -> dict[str, np.ndarray]:
    """The schema fields of a :func:`to_twosamplemr` table, as the engine takes them."""
    columns = {"snp": table["SNP"].to_numpy(dtype=object), "chrom": table[f"chr.{role}"].to_numpy(dtype=object),
               "pos": table[f"pos.{role}"].to_numpy(dtype=float)}
    for field, tsmr in VALUE_FIELDS:
        values = table[f"{tsmr}.{role}"]
        columns[field] = values.to_numpy(dtype=object) if field.endswith("allele") else values.to_numpy(dtype=float)
    return columns


def checked(table: pd.DataFrame, role: str, log: DropLog, rows: np.ndarray | None = None) -> pd.DataFrame:
    """The rule engine on a :func:`to_twosamplemr` table; returns the valid rows, each variant once.

    Missing p-values and sample sizes are filled first (TwoSampleMR ``format_data``; counted among the
    log's flags). Missing alleles, betas and SEs are not drops here: as in TwoSampleMR they stay in the
    harmonised table with ``mr_keep = FALSE`` and are counted in the log ("Missing allele", "Missing beta
    or SE"). An exact repeat of a row counts once; every copy of a variant repeated with different values
    is dropped. ``rows`` are the positions named in messages (default 0..n-1).
    """
    positions = np.arange(len(table)) if rows is None else np.asarray(rows)
    columns = _columns(table, role)
    origin = {field: f"{tsmr}.{role}" for field, tsmr in VALUE_FIELDS if table[f"{tsmr}.{role}"].notna().any()}
    fill_missing(columns, log)
    table = table.assign(**{f"pval.{role}": columns["p"], f"samplesize.{role}": columns["n"]})
    keep = check_rows(columns, origin, log, positions, ids=columns["snp"], required=())
    keep &= log.drop("missing snp", np.equal(columns["snp"], None) & keep, positions, "SNP")
    log.raise_first()
    unique, _ = variant_repeats(columns, log, positions, "SNP", keep)
    log.raise_first()
    return table.loc[keep & unique]


def exposure_records(table: pd.DataFrame, log: DropLog) -> pd.DataFrame:
    """One record per exposure id: at a multi-allelic site the most significant one (as clumping keeps)."""
    several = table["SNP"].duplicated(keep=False).to_numpy()
    if several.any():
        p = table["pval.exposure"].fillna(np.inf).to_numpy(dtype=float)
        order = np.lexsort((np.arange(len(table)), p))
        best = np.zeros(len(table), dtype=bool)
        best[order[~table["SNP"].iloc[order].duplicated(keep="first").to_numpy()]] = True
        keep = log.drop("multi-allelic site: a more significant record of the variant kept", several & ~best,
                        np.asarray(table.index), "SNP", table["SNP"])
        table = table.loc[keep]
    return table
