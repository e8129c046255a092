"""The rule engine of row validation: every rule on GWAS summary data, written once, on numpy arrays.

Every way data enter mrkit goes through this module: the readers of every format (:mod:`mrkit.gwas.io`,
TwoSampleMR CSVs included), :func:`mrkit.gwas.harmonise.harmonise` on in-memory frames, the OpenGWAS
tables (:mod:`mrkit.gwas.opengwas.tables`) and the harmonised tables ``mrkit estimate`` reads
(:mod:`mrkit.gwas.io.harmonised`). The fields and the policy of each rule are declared in
:mod:`mrkit.gwas.rules` (the table ``mrkit read --help`` prints); the rules themselves are here:

* **normalise** text (:func:`normalise_alleles`, :func:`normalise_chrom`, :func:`normalise_ids`) and make
  the keys that say which rows are one variant (:func:`allele_pair`, :func:`site_keys`,
  :func:`fallback_ids`): :mod:`mrkit.gwas.normalise`;
* **fill** missing values as TwoSampleMR ``format_data`` derives them (:func:`fill_missing`: p from beta
  and SE, the sample size from cases and controls), before anything is dropped; each filled value is
  counted;
* **drop** a row with a bad value and count it by reason (:func:`check_rows`: SE <= 0, p outside [0, 1],
  EAF outside (0, 1), a bad allele...), or **refuse** with ``strict=True`` (``--strict``), naming the
  earliest such line;
* **repeats** (:func:`repeats`): an exact repeat of a row counts once; repeats of one variant that
  disagree drop every copy: :mod:`mrkit.gwas.repeats`;
* count all this in a :class:`DropLog` (:mod:`mrkit.gwas.droplog`);
* **flag**: valid but worth knowing, kept and counted (p = 0 stored for an underflowed p-value; several
  records of one variant id with different alleles, i.e. a multi-allelic site).

The engine imports numpy only (no pandas, pyarrow or scipy), so that ``mrkit estimate`` checks a harmonised
table without them. Text columns are object arrays holding ``str`` or ``None`` (missing); numbers are float
arrays with NaN for missing values. Text rules run once per distinct value (alleles and chromosomes take a
handful of values), so a GWAS of a million rows is checked in about a second. This module holds the
value rules and fills and gathers the engine's parts (import them from here).

Positions in messages are always the physical line of the file; for an in-memory table, which has
none, they are the 0-based row position (``row i``).

References
----------
Hemani G et al. (2018) The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408 (TwoSampleMR ``format_data``: upper-case alleles, D/I indel codes, p from beta
and SE, sample size from cases and controls; EAF "NR" = not reported). Lyon MS et al. (2021) Genome
Biology 22:32 (GWAS-VCF). Hayhurst J et al. (2023) GWAS-SSF, bioRxiv 2022.07.15.500230.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

import numpy as np

from .droplog import DropLog, DroppedVariants
from .normalise import (
    allele_pair,
    complement,
    fallback_ids,
    missing,
    normalise_alleles,
    normalise_chrom,
    normalise_ids,
    site_keys,
)
from .repeats import drop_repeats, repeated, repeats, variant_repeats
from .rules import ALLELE_PATTERN, CHROMOSOMES, MAGNITUDE, N_FILLED, OUT_OF_RANGE, P_FILLED, P_UNDERFLOW

__all__ = ["DropLog", "DroppedVariants", "normalise_chrom", "normalise_alleles", "normalise_ids",
           "complement", "allele_pair", "site_keys", "fallback_ids", "p_from_z", "fill_missing",
           "check_rows", "check_p_range", "repeated", "repeats", "drop_repeats", "variant_repeats"]


# -- numbers -----------------------------------------------------------------------------------------------
def p_from_z(beta: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Two-sided normal p-value of beta/se: ``2 * pnorm(-|beta/se|)`` (TwoSampleMR ``format_data``), computed
    as ``erfc(|z| / sqrt 2)``, which keeps its precision far into the tail (no 1 - Phi cancellation)."""
    z = np.abs(np.asarray(beta, dtype=float) / np.asarray(se, dtype=float))
    return np.array([math.erfc(v / math.sqrt(2.0)) for v in z.tolist()], dtype=float)


def fill_missing(columns: dict[str, np.ndarray], log: DropLog, keep: np.ndarray | None = None) -> None:
    """Fill missing values as TwoSampleMR ``format_data`` derives them (in place), counting each among the flags.

    ``columns`` maps schema fields to float arrays (those absent are skipped); ``keep`` the rows in play.

    * p (NaN) where beta and SE are finite and SE > 0: ``2 * pnorm(-|beta/se|)`` (:func:`p_from_z`);
    * n (NaN) where ncase and ncontrol are both known: ``ncase + ncontrol``.

    TwoSampleMR ``format_data`` makes no other derivation: a missing SE, EAF or effect stays missing (see
    :data:`mrkit.gwas.rules.TWOSAMPLEMR` for how each rule compares).
    """
    rows = np.ones(len(next(iter(columns.values()))), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    if {"p", "beta", "se"} <= columns.keys():
        beta, se = columns["beta"], columns["se"]
        with np.errstate(invalid="ignore"):
            fill = rows & np.isnan(columns["p"]) & np.isfinite(beta) & np.isfinite(se) & (se > 0)
        if fill.any():
            columns["p"] = columns["p"].copy()
            columns["p"][fill] = p_from_z(beta[fill], se[fill])
            log.flag(P_FILLED, fill)
    if {"n", "ncase", "ncontrol"} <= columns.keys():
        fill = rows & np.isnan(columns["n"]) & ~np.isnan(columns["ncase"]) & ~np.isnan(columns["ncontrol"])
        if fill.any():
            columns["n"] = columns["n"].copy()
            columns["n"][fill] = columns["ncase"][fill] + columns["ncontrol"][fill]
            log.flag(N_FILLED, fill)


# -- value rules ---------------------------------------------------------------------------------------
_ALLELE = re.compile(ALLELE_PATTERN)
_CHROMOSOMES = frozenset(CHROMOSOMES)


def _valid_text(values: np.ndarray, valid: Callable[[str], bool]) -> np.ndarray:
    """``valid`` on each distinct text value (False for None)."""
    items = values.tolist()
    table = {v: v is not None and valid(v) for v in dict.fromkeys(items)}
    return np.fromiter(map(table.__getitem__, items), dtype=bool, count=len(items))


def check_p_range(p: np.ndarray, lines: np.ndarray, log: DropLog, column: str,
                  keep: np.ndarray | None = None, ids: np.ndarray | None = None) -> np.ndarray:
    """Drop rows whose p lies outside [0, 1] (p = 0 is kept: underflow in real files; a missing p is left to
    :func:`fill_missing`). Returns ``keep`` (all rows when None) narrowed to the rows that pass."""
    keep = np.ones(len(p), dtype=bool) if keep is None else keep.copy()
    with np.errstate(invalid="ignore"):
        keep &= log.drop("p outside [0, 1]", ((p < 0) | (p > 1)) & keep, lines, column, p, ids=ids)
    return keep


def check_rows(columns: Mapping[str, np.ndarray], origin: Mapping[str, str], log: DropLog, lines: np.ndarray,
               ids: np.ndarray | None = None,
               required: tuple[str, ...] = ("chrom", "pos", "effect_allele", "other_allele", "beta", "se", "p"),
               keep: np.ndarray | None = None) -> np.ndarray:
    """The per-row value rules on a table of schema fields; returns the rows to keep.

    ``columns`` maps fields to numpy arrays: float for numbers (NaN missing), object for text (None
    missing) holding normalised values (chromosome, alleles as :func:`normalise_chrom` and
    :func:`normalise_alleles` give them); ``origin`` maps each field present in the input to the user's
    column name (used in messages; fields absent from ``origin`` are not checked); ``lines`` the position
    of each row (``log.unit``); ``required`` the fields whose missing values drop the row (elsewhere a
    missing value is allowed); ``keep`` the rows still in play (the others are neither checked nor
    counted). Each dropped row is counted under its first reason only; p = 0 is flagged, not dropped.
    """
    keep = np.ones(len(lines), dtype=bool) if keep is None else np.array(keep, dtype=bool)

    def drop(reason: str, bad, field: str, values=None) -> None:
        nonlocal keep
        if field in origin:
            keep &= log.drop(reason, np.asarray(bad, dtype=bool) & keep, lines, origin[field], values, ids=ids)

    for field in required:
        if field in origin and field != "p":
            drop(f"missing {field}", missing(columns[field]), field)
    if "chrom" in origin:
        drop("chromosome not 1-22 or X", ~_valid_text(columns["chrom"], _CHROMOSOMES.__contains__), "chrom",
             columns["chrom"])
    for field in ("effect_allele", "other_allele"):
        if field in origin:
            values = columns[field]
            drop("invalid allele", ~_valid_text(values, lambda a: _ALLELE.fullmatch(a) is not None) & ~missing(values),
                 field, values)
    if "effect_allele" in origin and "other_allele" in origin:
        ea, oa = columns["effect_allele"], columns["other_allele"]
        same = np.equal(ea, oa).astype(bool) & ~missing(ea)
        drop("effect allele = other allele", same, "other_allele", columns["other_allele"])
    if "p" in origin:
        if "p" in required:
            drop("missing p", np.isnan(columns["p"]), "p")
        keep = check_p_range(columns["p"], lines, log, origin["p"], keep, ids=ids)
    beta, se = columns["beta"], columns["se"]
    drop("beta not finite", np.isinf(beta), "beta", beta)
    drop("se not finite", np.isinf(se), "se", se)
    with np.errstate(invalid="ignore"):
        drop("se <= 0", se <= 0, "se", se)
        drop(OUT_OF_RANGE, np.abs(beta) >= MAGNITUDE, "beta", beta)
        drop(OUT_OF_RANGE, (se <= 1 / MAGNITUDE) | (se >= MAGNITUDE), "se", se)
        if "pos" in origin:
            drop("position < 1", columns["pos"] < 1, "pos", columns["pos"])
        if "eaf" in origin:
            eaf = columns["eaf"]
            drop("eaf outside (0, 1)", (eaf <= 0) | (eaf >= 1), "eaf", eaf)
        for field in ("n", "ncase", "ncontrol"):
            if field in origin:
                values = columns[field]
                drop(f"{field} not > 0 and finite", (values <= 0) | np.isinf(values), field, values)
    if "p" in origin:
        log.flag(P_UNDERFLOW, keep & (columns["p"] == 0))
    return keep
