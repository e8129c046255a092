"""Run a scan: every pending pair of a manifest, in a serial loop or as a Dask graph, into a folder.

The graph (one task per file, one per pair)::

    instruments[e] = exposure_instruments(exposure e)                     one per exposure file
    lookup[o]      = outcome_lookup(outcome o, instruments of every e paired with o)   one per outcome file
    result[e, o]   = estimate_pair(instruments[e], lookup[o])            one per pair

A file listed both as an exposure and as an outcome is read once in each role (the lookup needs the
instruments of every exposure first). The serial loop calls the same functions in the same order of
inputs, so both paths give identical numbers. Results are written by this (the client) process as each pair finishes
(:class:`~mrkit.scan.store.ScanStore`), each atomically, so:

* a failing pair is recorded with its reason and the others go on (tasks return failures, they do not
  raise);
* an interrupted scan, run again, computes only the pairs without a current result;
* a worker lost mid-scan loses nothing: the scheduler recomputes the tasks whose results were on it, and
  each pair's result is written once, when its future first completes (a future completes once,
  whatever was recomputed). A pair whose task kills workers repeatedly (``KilledWorker``) is not
  written, reported as unfinished, and computed again by the next run.
"""
from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .manifest import Manifest, Pair
from .store import ScanStore
from .tasks import PairResult, estimate_pair, exposure_instruments, outcome_lookup

__all__ = ["ScanReport", "run_scan"]


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

    @property
    def complete(self) -> bool:
        return not self.unfinished

    def __str__(self) -> str:
        lines = [(f"{self.n_pairs} pairs: {self.already_done} already done, {self.computed} computed "
                 f"({self.failed} failed, reasons in the table) in {self.seconds:.1f} s ({self.mode})")]
        if self.unfinished:
            lines.append(f"{len(self.unfinished)} pairs not finished (run the scan again to retry them), e.g. "
                         f"{self.unfinished[0][0].name}: {self.unfinished[0][1]}")
        if self.table is not None:
            lines.append(f"table: {self.table}")
        return "\n".join(lines)


def _plan(manifest: Manifest, pending: list[Pair]):
    exposures = list(dict.fromkeys(p.exposure for p in pending))
    outcomes = list(dict.fromkeys(p.outcome for p in pending))
    partners: dict[str, list[str]] = defaultdict(list)
    for p in pending:
        partners[p.outcome].append(p.exposure)
    return exposures, outcomes, {o: list(dict.fromkeys(es)) for o, es in partners.items()}


def run_scan(manifest: Manifest, out_dir: str | Path, *, client=None, progress: bool = True,
             retry_failed: bool = False, on_result: Callable[[PairResult], None] | None = None,
             timeout: float | None = None) -> ScanReport:
    """Analyse every pair of ``manifest`` that has no current result in ``out_dir``, then write the table.

    Parameters
    ----------
    client : distributed.Client, optional
        Run as a Dask graph on this client's cluster; None runs the serial loop in this process.
    retry_failed : compute again the pairs recorded as failed (default: a failure is a result).
    on_result : called after each pair is written (progress hooks, tests).
    timeout : Dask only: seconds to wait for all pairs before giving up (``TimeoutError``; the pairs
        written so far stay, and a new run resumes from them). None waits for ever.

    Returns
    -------
    ScanReport
        Counts, the unfinished pairs with their reason, and ``table`` (``DIR/results.parquet``, every
        pair's rows in manifest order, :data:`mrkit.scan.tasks.RESULT_COLUMNS`).
    """
    start = time.perf_counter()
    store = ScanStore(out_dir, manifest)
    store.open()
    status = {p: store.status(p) for p in manifest.pairs}
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

    try:
        if pending:
            if client is None:
                _run_serial(manifest, pending, record)
            else:
                _run_dask(manifest, pending, client, record, report, timeout)
    finally:
        bar.close()
    report.table = store.table_file
    store.assemble()
    report.seconds = time.perf_counter() - start
    return report


def _instrument_task(manifest: Manifest, exposure: str):
    return (exposure_instruments, manifest.exposures[exposure], manifest.settings,
            manifest.exposure_threshold(exposure))


def _run_serial(manifest: Manifest, pending: list[Pair], record) -> None:
    exposures, outcomes, partners = _plan(manifest, pending)
    instruments = {}
    for e in exposures:
        fn, *args = _instrument_task(manifest, e)
        instruments[e] = fn(*args)
    by_outcome: dict[str, list[Pair]] = defaultdict(list)
    for p in pending:
        by_outcome[p.outcome].append(p)
    for o in outcomes:  # one outcome in memory at a time
        rows = outcome_lookup(manifest.outcomes[o], *(instruments[e] for e in partners[o]))
        for pair in by_outcome[o]:
            record(estimate_pair(pair, manifest.settings, instruments[pair.exposure], rows))


def _run_dask(manifest: Manifest, pending: list[Pair], client, record, report: ScanReport,
              timeout: float | None) -> None:
    from asyncio import CancelledError

    from distributed import as_completed

    run = uuid.uuid4().hex[:8]
    exposures, outcomes, partners = _plan(manifest, pending)
    inst = {}
    for e in exposures:
        fn, *args = _instrument_task(manifest, e)
        inst[e] = client.submit(fn, *args, key=f"scan-instruments-{e}-{run}", pure=False)
    look = {o: client.submit(outcome_lookup, manifest.outcomes[o], *(inst[e] for e in partners[o]),
                             key=f"scan-lookup-{o}-{run}", pure=False) for o in outcomes}
    futures = {client.submit(estimate_pair, p, manifest.settings, inst[p.exposure], look[p.outcome],
                             key=f"scan-pair-{p.exposure}-{p.outcome}-{run}", pure=False): p for p in pending}
    # the client holds only the pair futures: a file's result is released once its last pair is done
    del inst, look
    written: set[Pair] = set()
    try:
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
        for future in futures:
            future.cancel()


def results_table(out_dir: str | Path) -> pd.DataFrame:
    """The table of a finished scan (``DIR/results.parquet``)."""
    return pd.read_parquet(Path(out_dir) / "results.parquet")
