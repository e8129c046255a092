"""The three kinds of task of a scan: one per exposure file, one per outcome file, one per pair.

* :func:`exposure_instruments`: read the exposure's file once, streaming only the rows with
  ``p <= threshold``, select and LD-clump the instruments (:func:`mrkit.gwas.instruments.build_instruments`);
* :func:`outcome_lookup`: read the outcome's file once, streaming only the rows of the union of the
  instruments of every exposure paired with it (``read_sumstats(..., snps=...)``);
* :func:`estimate_pair`: harmonise (:func:`mrkit.gwas.harmonise.harmonise`) and estimate
  (:func:`mrkit.methods.estimate.mr`) one exposure-outcome pair.

OpenGWAS ids are not read by tasks but by the process running the scan (:mod:`mrkit.scan.opengwas`); their
instruments and outcome rows enter :func:`outcome_lookup` and :func:`estimate_pair` as the same values.

Every task is a pure function of its arguments (plain data in, plain data out, picklable), so the same
code runs in a serial loop and on Dask workers with identical results. Expected failures (a bad or
missing file, no instruments, too few SNPs after harmonisation) are returned as :class:`Failure` values,
not raised: a pair whose inputs failed becomes a failed :class:`PairResult` with the reason, and the
scan goes on.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MRKitError
from ..methods.mrdata import is_missing
from .manifest import Pair, Settings, Source

__all__ = [
    "RESULT_COLUMNS",
    "Failure",
    "Instruments",
    "OutcomeRows",
    "PairResult",
    "estimate_pair",
    "exposure_instruments",
    "outcome_lookup",
    "read_source",
]

#: Columns of a scan's result table, one row per (pair, method); a failed pair has one row, method empty.
RESULT_COLUMNS = ("exposure", "outcome", "status", "reason", "n_instruments", "n_harmonised", "method",
                  "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "convention", "se_model", "distribution",
                  "ci_distribution", "weights", "n_boot", "seed", "note")
#: Instrument columns kept for harmonisation (the internal schema).
_INSTRUMENT_COLUMNS = ("snp", "chrom", "pos", "effect_allele", "other_allele", "eaf", "beta", "se", "p", "n")


@dataclass(frozen=True)
class Failure:
    """Why a task could not give its result: ``stage`` (exposure, outcome, pair) and a one-line reason."""

    stage: str
    trait: str | None
    reason: str

    def describe(self) -> str:
        return f"{self.stage} {self.trait}: {self.reason}" if self.trait else self.reason


@dataclass
class Instruments:
    exposure: str
    table: pd.DataFrame  # internal schema, clumped
    log: dict[str, Any]


@dataclass
class OutcomeRows:
    outcome: str
    table: pd.DataFrame  # internal schema, the requested variants found
    log: dict[str, Any]


@dataclass
class PairResult:
    """One pair's rows (:data:`RESULT_COLUMNS`, tidy: :func:`tidy_rows`) and its harmonisation log."""

    pair: Pair
    rows: pd.DataFrame
    log: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool((self.rows["status"] == "ok").all())


def _reason(exc: BaseException) -> str:
    if isinstance(exc, MRKitError):
        return str(exc)
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})" if where else ""
    return f"unexpected {type(exc).__name__}: {exc}{at}"


def read_source(source: Source, *, p_max: float | None = None, snps=None) -> pd.DataFrame:
    """The source's summary statistics in the internal schema (streamed: ``p_max`` or ``snps`` filter)."""
    if source.kind != "file":  # OpenGWAS ids are read by mrkit.scan.opengwas, in the process running the scan
        raise MRKitError(f"{source.kind} sources are not files (see mrkit.scan.opengwas)")
    from ..gwas.io import read_sumstats

    return read_sumstats(source.location, source.format, columns=source.columns, p_max=p_max, snps=snps,
                         n=source.n, ncase=source.ncase, ncontrol=source.ncontrol)


def _read_log(frame: pd.DataFrame) -> dict[str, Any]:
    a = frame.attrs
    out = {"file": a.get("source"), "format": a.get("format"), "rows_read": int(a.get("rows_read", 0)),
           "rows_kept": len(frame), "dropped": {str(k): int(v) for k, v in a.get("dropped", {}).items()}}
    for key in ("above_p_max", "snps_requested", "not_requested"):
        if a.get(key) is not None:
            out[key] = int(a[key])
    return out


def exposure_instruments(source: Source, settings: Settings, p_threshold: float) -> Instruments | Failure:
    """Read an exposure once (rows with p <= ``p_threshold`` only) and select its instruments."""
    try:
        from ..gwas.instruments import build_instruments

        gwas = read_source(source, p_max=p_threshold)
        log = {"read": _read_log(gwas), "p_threshold": p_threshold}
        if len(gwas) == 0:
            return Failure("exposure", source.id, f"no variant with p <= {p_threshold:g} in {source.location}")
        table = build_instruments(gwas, settings.reference, p_threshold=p_threshold, r2=settings.clump_r2,
                                  kb=settings.clump_kb, engine=settings.clump_engine)
        clump = table.attrs.get("clump", {})
        log.update(selected=int(table.attrs.get("selection", {}).get("selected", len(gwas))),
                   clump_engine=str(clump.get("engine", "none")),
                   absent_from_reference=len(clump.get("absent_from_panel", [])), instruments=len(table))
        if len(table) == 0:
            return Failure("exposure", source.id, "no instrument left after clumping")
        keep = [c for c in _INSTRUMENT_COLUMNS if c in table.columns]
        out = table[keep].reset_index(drop=True)
        out.attrs = {}
        return Instruments(source.id, out, log)
    except Exception as exc:  # noqa: BLE001 - every failure of one file is recorded, the scan goes on
        return Failure("exposure", source.id, _reason(exc))


def outcome_lookup(source: Source, *instrument_sets: Instruments | Failure) -> OutcomeRows | Failure:
    """Read an outcome once, keeping only the union of the variants of ``instrument_sets``."""
    wanted = sorted({s for inst in instrument_sets if isinstance(inst, Instruments) for s in inst.table["snp"]})
    if not wanted:
        return Failure("outcome", source.id, "not read: no exposure paired with it has instruments")
    try:
        frame = read_source(source, snps=wanted)
        log = _read_log(frame)
        frame = frame.reset_index(drop=True)
        frame.attrs = {}
        return OutcomeRows(source.id, frame, log)
    except Exception as exc:  # noqa: BLE001
        return Failure("outcome", source.id, _reason(exc))


def _failed(pair: Pair, reason: str, log: dict, n_instruments=None, n_harmonised=None) -> PairResult:
    row = {c: None for c in RESULT_COLUMNS}
    row.update(exposure=pair.exposure, outcome=pair.outcome, status="failed", reason=reason,
               n_instruments=n_instruments, n_harmonised=n_harmonised)
    log = {**log, "status": "failed", "reason": reason}
    return PairResult(pair, tidy_rows(pd.DataFrame([row])), log)


_FLOAT_COLUMNS = ("estimate", "se", "ci_lower", "ci_upper", "p")
_INT_COLUMNS = ("n_instruments", "n_harmonised", "nsnp", "n_boot", "seed")


def tidy_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows in :data:`RESULT_COLUMNS` order with one dtype per column (so pair files concatenate): float64 for the
    numbers, nullable Int64 for the counts and seeds, nullable string for the rest; a column ``rows`` lacks is
    missing throughout. Every :class:`PairResult` holds tidy rows."""
    n = len(rows)
    data = {}
    for c in RESULT_COLUMNS:
        values = rows[c].tolist() if c in rows.columns else [None] * n
        if c in _FLOAT_COLUMNS:
            data[c] = np.array([np.nan if is_missing(v) else float(v) for v in values], dtype="float64")
        elif c in _INT_COLUMNS:
            data[c] = pd.array([None if is_missing(v) else int(v) for v in values], dtype="Int64")
        else:
            data[c] = pd.array([None if is_missing(v) else str(v) for v in values], dtype="string")
    return pd.DataFrame(data)


def estimate_pair(pair: Pair, settings: Settings, instruments: Instruments | Failure,
                  outcome: OutcomeRows | Failure) -> PairResult:
    """Harmonise and estimate one pair; a failed input or too few SNPs gives a failed result."""
    log: dict[str, Any] = {"exposure": pair.exposure, "outcome": pair.outcome}
    if isinstance(instruments, Failure):
        return _failed(pair, instruments.describe(), log)
    log["instruments"] = instruments.log
    if isinstance(outcome, Failure):
        return _failed(pair, outcome.describe(), log, n_instruments=len(instruments.table))
    log["outcome_read"] = outcome.log
    try:
        from ..gwas.harmonise import harmonise, refuse_self_pair
        from ..methods.estimate import mr

        harmonised = harmonise(instruments.table, outcome.table, action=settings.harmonise_action,
                               exposure_name=pair.exposure, outcome_name=pair.outcome)
        refuse_self_pair(harmonised, f"exposure {pair.exposure}", f"outcome {pair.outcome}")
        log["harmonisation"] = dict(harmonised.attrs["log"])
        log["variants"] = harmonised[["SNP", "mr_keep", "remove", "palindromic", "ambiguous"]].to_dict(orient="list")
        if "proxy" in harmonised.columns:  # an OpenGWAS outcome with LD proxies: which rows stand in, by which variant
            stand_in = harmonised[harmonised["proxy"].astype(bool)]
            log["by_proxy"] = {str(t): str(p) for t, p in zip(stand_in["SNP"], stand_in["proxy_snp"])}
        k = int(log["harmonisation"]["kept"])
        n_inst = len(instruments.table)
        if k < settings.min_snps:
            return _failed(pair, f"too few SNPs: {k} instrument(s) left after harmonisation (of {n_inst}; "
                                 f"{log['harmonisation']['absent_from_outcome']} absent from the outcome), "
                                 f"min_snps = {settings.min_snps}", log, n_inst, k)
        table = mr(harmonised, methods=settings.methods, convention=settings.convention, seed=settings.seed,
                   n_boot=settings.n_boot)
        table = table.assign(status="ok", reason=None, n_instruments=n_inst, n_harmonised=k)
        table["exposure"], table["outcome"] = pair.exposure, pair.outcome
        log["status"] = "ok"
        return PairResult(pair, tidy_rows(table), log)
    except Exception as exc:  # noqa: BLE001
        return _failed(pair, _reason(exc), log, n_instruments=len(instruments.table))
