"""Run a scan: every pending pair of a manifest, in a serial loop or as a Dask graph, into a folder.

The graph (one task per file, one per pair)::

    instruments[e] = exposure_instruments(exposure e)                     one per exposure file
    lookup[o]      = outcome_lookup(outcome o, instruments of every e paired with o)   one per outcome file
    result[e, o]   = estimate_pair(instruments[e], lookup[o])            one per pair

A file listed both as an exposure and as an outcome is read once in each role (the lookup needs the
instruments of every exposure first). OpenGWAS ids are read by this process, not by tasks
(:mod:`mrkit.scan.opengwas`): the ``tophits`` of every exposure id first, then one ``associations`` lookup
per outcome id once the instruments it needs are known; their values enter the graph as task arguments.
The serial loop calls the same functions in the same order of inputs, so both paths give identical numbers.
Results are written by this (the client) process as each pair finishes
(:class:`~mrkit.scan.store.ScanStore`), each atomically, so:

* a failing pair is recorded with its reason and the others go on (tasks return failures, they do not
  raise);
* an interrupted scan, run again, computes only the pairs without a current result;
* a worker lost mid-scan loses nothing: the scheduler recomputes the tasks whose results were on it, and
  each pair's result is written once, when its future first completes (a future completes once,
  whatever was recomputed). A pair whose task kills workers repeatedly (``KilledWorker``) is not
  written, reported as unfinished, and computed again by the next run;
* a failure of the OpenGWAS requests as a whole (no token, a refused token, the allowance used up, the
  server down: :data:`mrkit.scan.opengwas.FATAL`) stops the scan with :class:`ScanStopped`; the pairs
  written so far stay, and the next run resumes after them.
"""
from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MRKitError
from .manifest import Manifest, Pair
from .opengwas import FATAL, opengwas_associations, opengwas_instruments, pair_outcome
from .store import ScanStore
from .tasks import PairResult, estimate_pair, exposure_instruments, outcome_lookup

__all__ = ["ScanReport", "ScanStopped", "run_scan"]


@dataclass
class ScanReport:
    """What one run of a scan did (counts of pairs) and where the table is."""

    n_pairs: int
    already_done: int
    computed: int = 0
    failed: int = 0
    unfinished: list[tuple[Pair, str]] = field(default_factory=list)
    seconds: float = 0.0
    table: Path | None = None
    mode: str = "serial"
    #: OpenGWAS requests of this run: {"sent": requests that went out, "cached": answers from the cache}
    opengwas: dict[str, int] | None = None
    #: over the whole table (this run's pairs and those done before): pairs with a result, and the failed
    #: pairs counted by reason, most frequent first
    n_ok: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.unfinished

    @property
    def all_failed(self) -> bool:
        """Every pair of the scan has a result, and every one failed."""
        return self.complete and self.n_ok == 0 and sum(self.reasons.values()) == self.n_pairs > 0

    def __str__(self) -> str:
        lines = [(f"{self.n_pairs} pairs: {self.already_done} already done, {self.computed} computed "
                 f"({self.failed} failed, reasons in the table) in {self.seconds:.1f} s ({self.mode})")]
        if self.unfinished:
            lines.append(f"{len(self.unfinished)} pairs not finished (run the scan again to retry them), e.g. "
                         f"{self.unfinished[0][0].name}: {self.unfinished[0][1]}")
        if self.opengwas is not None:
            lines.append(f"OpenGWAS: {self.opengwas['sent']} requests sent, {self.opengwas['cached']} answers "
                         "from the cache")
        if self.table is not None:
            lines.append(f"table: {self.table}")
        return "\n".join(lines)


class ScanStopped(MRKitError):
    """The scan stopped before its end for a reason that concerns every pair (an OpenGWAS token, allowance or
    server); the pairs written stay valid and a new run resumes after them. ``report``: what this run did."""

    def __init__(self, message: str, report: ScanReport):
        super().__init__(message)
        self.report = report


def _plan(manifest: Manifest, pending: list[Pair]):
    exposures = list(dict.fromkeys(p.exposure for p in pending))
    outcomes = list(dict.fromkeys(p.outcome for p in pending))
    partners: dict[str, list[str]] = defaultdict(list)
    for p in pending:
        partners[p.outcome].append(p.exposure)
    return exposures, outcomes, {o: list(dict.fromkeys(es)) for o, es in partners.items()}


class _API:
    """The OpenGWAS client of one run, made when the first OpenGWAS source is read."""

    def __init__(self, client=None):
        self._client = client
        self._start = len(client.exchanges) if client is not None else 0

    @property
    def client(self):
        if self._client is None:
            from ..gwas.opengwas import Client

            self._client = Client()
        return self._client

    def counts(self) -> dict[str, int] | None:
        if self._client is None:
            return None
        mine = self._client.exchanges[self._start:]
        return {"sent": sum(1 for e in mine if not e.from_cache), "cached": sum(1 for e in mine if e.from_cache)}


def run_scan(manifest: Manifest, out_dir: str | Path, *, client=None, progress: bool = True,
             retry_failed: bool = False, on_result: Callable[[PairResult], None] | None = None,
             timeout: float | None = None, api=None) -> ScanReport:
    """Analyse every pair of ``manifest`` that has no current result in ``out_dir``, then write the table.

    Parameters
    ----------
    client : distributed.Client, optional
        Run as a Dask graph on this client's cluster; None runs the serial loop in this process.
    retry_failed : compute again the pairs recorded as failed (default: a failure is a result).
    on_result : called after each pair is written (progress hooks, tests).
    timeout : Dask only: seconds to wait for all pairs before giving up (``TimeoutError``; the pairs
        written so far stay, and a new run resumes from them). None waits for ever.
    api : mrkit.gwas.opengwas.Client, optional
        The client that reads the manifest's OpenGWAS ids (default: ``Client()``, made only when needed:
        token, base URL and cache from the environment).

    Returns
    -------
    ScanReport
        Counts, the unfinished pairs with their reason, and ``table`` (``DIR/results.parquet``, every
        pair's rows in manifest order, :data:`mrkit.scan.tasks.RESULT_COLUMNS`).

    Raises
    ------
    ScanStopped
        An OpenGWAS failure that concerns every request (:data:`mrkit.scan.opengwas.FATAL`): the message
        is the client's (what to do) and how many pairs are written; ``results.parquet`` is not rewritten.
    """
    start = time.perf_counter()
    store = ScanStore(out_dir, manifest)
    store.open()
    status = {p: store.status(p) for p in manifest.pairs}
    store.report_more_damage()
    pending = [p for p in manifest.pairs if status[p] is None or (retry_failed and status[p] == "failed")]
    report = ScanReport(len(manifest.pairs), len(manifest.pairs) - len(pending),
                        mode="serial" if client is None else "dask")
    from tqdm import tqdm

    bar = tqdm(total=len(manifest.pairs), initial=report.already_done, unit="pair", desc="pairs",
               disable=not progress, mininterval=0.5)

    def record(result: PairResult) -> None:
        store.write(result)
        report.computed += 1
        report.failed += 0 if result.ok else 1
        bar.update(1)
        if on_result is not None:
            on_result(result)

    reader = _API(api)
    try:
        if pending:
            if client is None:
                _run_serial(manifest, pending, record, reader)
            else:
                _run_dask(manifest, pending, client, record, report, timeout, reader)
    except FATAL as exc:
        report.opengwas = reader.counts()
        done = sum(1 for p in manifest.pairs if store.status(p) is not None)
        raise ScanStopped(f"{exc} The scan stopped: {done} of {len(manifest.pairs)} pairs are written in "
                          f"{store.root} and stay valid; run the same command again to resume.", report) from None
    finally:
        bar.close()
    report.opengwas = reader.counts()
    report.table = store.table_file
    pairs = store.assemble().drop_duplicates(["exposure", "outcome"])
    report.n_ok = int((pairs["status"] == "ok").sum())
    report.reasons = {str(k): int(v) for k, v in pairs.loc[pairs["status"] == "failed", "reason"].fillna("no reason")
                      .value_counts(sort=True).items()}
    report.seconds = time.perf_counter() - start
    return report


def _instrument_task(manifest: Manifest, exposure: str):
    return (exposure_instruments, manifest.exposures[exposure], manifest.settings,
            manifest.exposure_threshold(exposure))


def _api_instruments(manifest: Manifest, exposure: str, reader: _API):
    return opengwas_instruments(manifest.exposures[exposure], manifest.settings, manifest.exposure_threshold(exposure),
                                reader.client)


def _by_outcome(pending: list[Pair]) -> dict[str, list[Pair]]:
    out: dict[str, list[Pair]] = defaultdict(list)
    for p in pending:
        out[p.outcome].append(p)
    return out


def _run_serial(manifest: Manifest, pending: list[Pair], record, reader: _API) -> None:
    exposures, outcomes, partners = _plan(manifest, pending)
    instruments = {}
    for e in exposures:  # OpenGWAS ids first: a refused token stops the scan before any file is read
        if manifest.exposures[e].kind == "opengwas":
            instruments[e] = _api_instruments(manifest, e, reader)
    for e in exposures:
        if e not in instruments:
            fn, *args = _instrument_task(manifest, e)
            instruments[e] = fn(*args)
    by_outcome = _by_outcome(pending)
    for o in outcomes:  # one outcome in memory at a time
        source = manifest.outcomes[o]
        if source.kind == "opengwas":
            answer = opengwas_associations(source, [instruments[e] for e in partners[o]], reader.client)
            for pair in by_outcome[o]:
                rows = pair_outcome(answer, instruments[pair.exposure])
                record(estimate_pair(pair, manifest.settings, instruments[pair.exposure], rows))
            continue
        rows = outcome_lookup(source, *(instruments[e] for e in partners[o]))
        for pair in by_outcome[o]:
            record(estimate_pair(pair, manifest.settings, instruments[pair.exposure], rows))


def _run_dask(manifest: Manifest, pending: list[Pair], client, record, report: ScanReport,
              timeout: float | None, reader: _API) -> None:
    from asyncio import CancelledError

    from distributed import Future, as_completed

    run = uuid.uuid4().hex[:8]
    exposures, outcomes, partners = _plan(manifest, pending)
    by_outcome = _by_outcome(pending)
    settings = manifest.settings
    submitted: list = []

    def submit(fn, *args, key: str):
        future = client.submit(fn, *args, key=f"{key}-{run}", pure=False)
        submitted.append(future)
        return future

    futures: dict = {}
    try:
        inst: dict = {}
        for e in exposures:  # OpenGWAS ids in this process, first: a refused token stops the scan at once
            if manifest.exposures[e].kind == "opengwas":
                inst[e] = _api_instruments(manifest, e, reader)
        for e in exposures:
            if e not in inst:
                fn, *args = _instrument_task(manifest, e)
                inst[e] = submit(fn, *args, key=f"scan-instruments-{e}")
        api_outcomes = [o for o in outcomes if manifest.outcomes[o].kind == "opengwas"]
        look = None
        for o in outcomes:
            if o in api_outcomes:
                continue
            look = submit(outcome_lookup, manifest.outcomes[o], *(inst[e] for e in partners[o]),
                          key=f"scan-lookup-{o}")
            for p in by_outcome[o]:
                futures[submit(estimate_pair, p, settings, inst[p.exposure], look,
                               key=f"scan-pair-{p.exposure}-{p.outcome}")] = p
        # an outcome id needs the instruments of its exposures here, to ask for their union once
        known: dict = {}
        for o in api_outcomes:
            for e in partners[o]:
                if e in known:
                    continue
                if not isinstance(inst[e], Future):
                    known[e] = inst[e]
                    continue
                try:
                    known[e] = inst[e].result(timeout=timeout)
                except (Exception, CancelledError) as exc:  # noqa: BLE001 - infrastructure: retried next run
                    known[e] = exc
            ready = [known[e] for e in partners[o] if not isinstance(known[e], BaseException)]
            answer = opengwas_associations(manifest.outcomes[o], ready, reader.client)
            for p in by_outcome[o]:
                value = known[p.exposure]
                if isinstance(value, BaseException):
                    report.unfinished.append((p, f"{type(value).__name__}: {value}"))
                    continue
                futures[submit(estimate_pair, p, settings, inst[p.exposure], pair_outcome(answer, value),
                               key=f"scan-pair-{p.exposure}-{p.outcome}")] = p
        # the client holds only the pair futures: a file's result is released once its last pair is done
        del inst, known, look
        submitted[:] = list(futures)
        written: set[Pair] = set()
        for future in as_completed(futures, timeout=timeout):
            pair = futures[future]
            try:
                # blocks while a result lost with a worker is recomputed; raises KilledWorker, CancelledError...
                result = future.result(timeout=timeout)
            except (Exception, CancelledError) as exc:  # noqa: BLE001 - infrastructure: not written, retried next run
                report.unfinished.append((pair, f"{type(exc).__name__}: {exc}"))
            else:
                if pair not in written:  # a future completes once; the guard makes "never twice" explicit
                    written.add(pair)
                    record(result)
            future.release()
    finally:
        for future in submitted:
            future.cancel()

