"""OpenGWAS sources of a scan: an exposure's instruments from ``tophits``, an outcome's rows from ``associations``.

A manifest trait given as ``opengwas = "<dataset id>"`` is read through :class:`mrkit.gwas.opengwas.Client`
the way TwoSampleMR reads it:

* an exposure id: one ``tophits`` request at the exposure's p-value threshold, LD-clumped on the server
  at the settings' ``clump_r2`` / ``clump_kb`` against the ``[opengwas]`` population (``extract_instruments``;
  ``preclumped`` as ieugwasr sets it), :func:`opengwas_instruments`;
* an outcome id: the union of the instruments of every exposure paired with it, looked up once
  (``extract_outcome_data``: LD proxies with r^2 >= ``proxy_r2`` unless ``[opengwas] proxies = false``,
  proxy rows labelled with the target and its alleles aligned to the target's, ``align_alleles = 1``),
  :func:`opengwas_associations`. Each pair then takes the rows of its own instruments
  (:func:`pair_outcome`) and makes TwoSampleMR's outcome table of them (:func:`mrkit.gwas.opengwas.outcome_table`),
  so a pair's rows, proxies included, do not depend on which other exposures share the outcome (TwoSampleMR
  ``format_d`` keeps one target per proxy variant; done per pair, that is per exposure, as a user running
  TwoSampleMR exposure by exposure gets it).

Requests per scan: one ``tophits`` per exposure id and ``ceil(variants / 64)`` ``associations`` per
outcome id (the client's chunking within the server's limit of 64 id x variant pairs per request,
:func:`mrkit.gwas.opengwas.association_requests`, the one every OpenGWAS path uses), plus one ``gwasinfo``
only to name the cause of an empty answer. Every answer goes through the client's cache (keyed by server,
endpoint and body; the variant list is sorted, so the same union asks the same questions), so a second scan,
or a resumed one, asks nothing it has asked before, and runs without a token.

The requests are sent by the process that runs the scan, never by Dask workers: the token stays in that
process (never in the task graph, a worker or a log), the allowance is spent in one place, and a failure
that concerns the whole scan stops it at once. Failures follow :mod:`mrkit.gwas.opengwas`:

* an empty answer (unknown id, no top hits, none of the variants in the dataset) or a request the server
  rejects: that source's pairs fail with the reason, and the scan goes on;
* :data:`FATAL` (no token or one that is not a token, a refused token, the allowance used up, the server
  unreachable or silent within the time-out, retries included): raised, so the scan stops (``mrkit scan``
  exits with code 2 and one line); the pairs already written stay valid and a new run resumes after them.
  Recording such pairs as failed would be a wrong result: nothing is known about them.

References
----------
ieugwasr ``associations(assocs_per_request = 64)`` (1.1.0): "Number of associations to request per API
call. Default=64 to avoid query being rejected by the API" (MRCIEU/ieugwasr issue 140, pull request 141);
MRCIEU/opengwas-api ``app/apis/assoc.py`` (the limit);
TwoSampleMR ``extract_instruments``, ``extract_outcome_data``, ``format_d`` (``R/query.R``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..gwas.opengwas import (
    AllowanceExhausted,
    OpenGWASError,
    ServerUnavailable,
    TokenMissing,
    TokenRefused,
    association_requests,
    instrument_rows,
    outcome_table,
    without_repeats,
)
from .manifest import Settings, Source
from .tasks import _INSTRUMENT_COLUMNS, Failure, Instruments, OutcomeRows

__all__ = ["FATAL", "OpenGWASAnswer", "opengwas_associations", "opengwas_instruments", "pair_outcome"]

#: Failures that concern every request of the scan, not one source: they stop the scan (TokenMalformed is a
#: TokenMissing).
FATAL = (TokenMissing, TokenRefused, AllowanceExhausted, ServerUnavailable)


@dataclass
class OpenGWASAnswer:
    """The ``associations`` answer of one outcome id for the union of its exposures' instruments."""

    outcome: str
    rows: list[dict]  # the API's rows (proxy rows carry the target as rsid / target_snp)
    log: dict[str, Any]


def _answers(client, since: int) -> list[dict[str, Any]]:
    """The answers behind the exchanges ``client.exchanges[since:]``: endpoint, cache key, sha256, retrieval time."""
    seen: dict[str, dict[str, Any]] = {}
    for e in client.exchanges[since:]:
        if not e.key:
            continue
        entry = seen.setdefault(e.key, {"endpoint": e.endpoint, "key": e.key, "from_cache": True})
        entry["from_cache"] = entry["from_cache"] and e.from_cache
    for entry in seen.values():
        hit = client.cache.get(entry["key"])
        entry.update(sha256=hit.sha256 if hit else None, retrieved=hit.retrieved if hit else None)
    return list(seen.values())


def opengwas_instruments(source: Source, settings: Settings, p_threshold: float, client) -> Instruments | Failure:
    """The instruments of an exposure id: ``tophits`` at ``p_threshold``, clumped on the server.

    Returns :class:`~mrkit.scan.tasks.Instruments` (the internal schema, the server's order; a variant listed
    twice under the readers' repeat rule: equal copies count once, differing copies all leave) or a
    :class:`~mrkit.scan.tasks.Failure` naming the id (no hits, unknown id,
    a rejected request). Raises the :data:`FATAL` errors.
    """
    options = source.opengwas or {}
    clump = bool(options.get("clump", True))
    pop = str(options.get("pop", "EUR"))
    request = {"pval": p_threshold, "clump": int(clump), "r2": settings.clump_r2, "kb": int(settings.clump_kb),
               "pop": pop}
    since = len(client.exchanges)
    try:
        rows = client.tophits(source.location, **request)
    except FATAL:
        raise
    except OpenGWASError as exc:
        return Failure("exposure", source.id, str(exc))
    table = without_repeats(instrument_rows(rows), [str(r.get("id", source.location)) for r in rows], "snp")
    log = {"opengwas": source.location, "request": request, "p_threshold": p_threshold, "rows": len(rows),
           "repeats_dropped": table.attrs["dropped"],
           "clump_engine": f"OpenGWAS server ({pop} reference)" if clump else "none",
           "instruments": len(table), "answers": _answers(client, since)}
    out = table[[c for c in _INSTRUMENT_COLUMNS if c in table.columns]]
    out.attrs = {}
    return Instruments(source.id, out, log)


def _target(row: dict) -> str:
    return str(row.get("target_snp") or row.get("rsid"))


def _is_proxy(row: dict) -> bool:
    return str(row.get("proxy")).strip().lower() in ("true", "1")


def opengwas_associations(source: Source, instrument_sets: list[Instruments | Failure],
                          client) -> OpenGWASAnswer | Failure:
    """The associations of an outcome id at the union of the variants of ``instrument_sets``, read once.

    The sorted union goes out in the client's requests of at most 64 pairs each, with LD proxies (from the
    ``[opengwas]`` population) unless the source's options say ``proxies = false``. Returns a
    :class:`Failure` naming the id when nothing comes back; raises the :data:`FATAL` errors.
    """
    wanted = sorted({s for inst in instrument_sets if isinstance(inst, Instruments) for s in inst.table["snp"]})
    if not wanted:
        return Failure("outcome", source.id, "not read: no exposure paired with it has instruments")
    options = source.opengwas or {}
    proxies = bool(options.get("proxies", True))
    request = {"proxies": int(proxies), "r2": float(options.get("proxy_r2", 0.8)), "align_alleles": 1,
               "palindromes": int(bool(options.get("palindromes", True))),
               "maf_threshold": float(options.get("maf_threshold", 0.3)), "population": str(options.get("pop", "EUR"))}
    since = len(client.exchanges)
    try:
        rows = client.associations(wanted, source.location, **request)
    except FATAL:
        raise
    except OpenGWASError as exc:
        return Failure("outcome", source.id, str(exc))
    found = {_target(r) for r in rows}
    chunks = association_requests([source.location], wanted)
    log = {"opengwas": source.location, "request": request, "variants_requested": len(wanted),
           "per_request": max(len(v) for _, v in chunks), "requests": len(chunks),
           "rows": len(rows), "found_by_proxy": sum(1 for r in rows if _is_proxy(r)),
           "not_found": len(set(wanted) - found), "answers": _answers(client, since)}
    return OpenGWASAnswer(source.id, rows, log)


def pair_outcome(answer: OpenGWASAnswer | Failure, instruments: Instruments | Failure) -> OutcomeRows | Failure:
    """One pair's outcome rows: the answer's rows of this exposure's instruments as TwoSampleMR's outcome table
    (:func:`mrkit.gwas.opengwas.outcome_table`, proxy columns included when proxies were asked for)."""
    if isinstance(answer, Failure) or isinstance(instruments, Failure):
        return answer if isinstance(answer, Failure) else Failure("outcome", answer.outcome, "not needed")
    snps = set(instruments.table["snp"])
    rows = [r for r in answer.rows if _target(r) in snps]
    table = outcome_table(rows)
    table.attrs = {}
    return OutcomeRows(answer.outcome, table, {**answer.log, "rows_for_pair": len(table)})
