"""``mrkit book``: execute the planned runs (incrementally, in parallel), then render the site.

A run is skipped when its key (see :mod:`.fingerprint`) matches the key recorded when its notebook last
executed successfully. Runs whose ``needs`` are satisfied execute concurrently on ``jobs`` workers.
The first failure stops new runs from starting, lets running ones finish, and raises with the
notebook, parameters and failing cell; nothing is rendered then, so the published site stays.

One build at a time per book: a second ``mrkit book`` on the same layout (the same checkout and build
folder) says that it waits, waits for the first to finish (a lock in ``<executed>/.runs/build.lock``, held
by the running build's process; released if it dies), then finds the runs current and re-uses them.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..paths import PROJECT_ROOT, file_lock
from .execute import RunFailed, execute_run
from .fingerprint import analysis_code_hash, run_key
from .pdf import PDF_NAME, build_pdf, publish_pdf
from .runplan import Plan, Run, load_plan, resolve_needs, with_data
from .site import render, stage_source

DEFAULT_PLAN = PROJECT_ROOT / "book" / "runplan.toml"


@dataclass
class Layout:
    """Where a build puts things. The default build executes into ``book/generated``."""

    root: Path
    build: Path
    executed: Path

    @classmethod
    def default(cls, root: Path = PROJECT_ROOT, build: Path | None = None) -> Layout:
        if build is None:
            return cls(root, root / "_build", root / "book" / "generated")
        return cls(root, Path(build), Path(build) / "generated")

    @property
    def results(self) -> Path:
        return self.executed / "results"

    @property
    def state(self) -> Path:
        return self.executed / ".runs"

    @property
    def downloads(self) -> Path:
        """The data files of each page's figures and tables (``downloads/<run id>/``)."""
        return self.executed / "downloads"


@dataclass
class Report:
    """What a build did and how long each part took (wall seconds, and CPU seconds of the notebooks)."""

    executed: list[tuple[str, float]] = field(default_factory=list)  # (run id, wall seconds)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0  # the whole build, wall
    cpu: dict[str, float] = field(default_factory=dict)  # run id -> CPU seconds (user + sys, kernel included)
    prepare_seconds: dict[str, float] = field(default_factory=dict)  # data set -> wall seconds to make it ready
    notebooks_seconds: float = 0.0  # from the first run started to the last one finished, wall
    render_seconds: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at the start and at the end
    cores: int = 1
    pdf: Path | None = None
    data_fingerprints: dict[str, str] = field(default_factory=dict)  # data set -> its fingerprint

    def summary(self) -> str:
        """The build's timing report: wall time of each part, CPU time of the notebooks, machine load."""
        cpu = sum(self.cpu.values())
        prep = ", ".join(f"{k} {v:.1f} s" for k, v in self.prepare_seconds.items()) or "none"
        lines = [f"mrkit book: {len(self.executed)} executed, {len(self.skipped)} unchanged, "
                 f"{self.seconds:.1f} s in all"]
        lines.append(f"  wall: data ready in {prep} (overlapping the runs that need no data); notebooks "
                     f"{self.notebooks_seconds:.1f} s; site {self.render_seconds:.1f} s")
        if self.executed:
            lines.append(f"  CPU of the executed notebooks: {cpu:.1f} s (user + sys, kernels included) on "
                         f"{self.cores} core(s)")
        busy = max(self.load) > self.cores
        lines.append(f"  load average {self.load[0]:.1f} at the start, {self.load[1]:.1f} at the end"
                     + (f": more than {self.cores} core(s) busy, so wall times are inflated by other work; "
                        "compare CPU times" if busy else ""))
        return "\n".join(lines)


def default_data_fingerprint(params: dict[str, Any]) -> str:
    """Make sure the run's input data exist (generating the synthetic panel) and fingerprint them."""
    from ..paper.datasets import prepare

    return prepare(data=params.get("data", "synthetic"), panel_size=params.get("panel_size", "full"),
                   panel_seed=params.get("panel_seed"))


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def build_book(plan_path: Path = DEFAULT_PLAN, profile: str = "full", layout: Layout | None = None,
               jobs: int | None = None, render_site: bool = True, strict: bool = True,
               data_fingerprint: Callable[[dict[str, Any]], str] = default_data_fingerprint,
               progress: bool = True, data: str | None = None, pdf: bool = False) -> Report:
    """Execute what changed in the plan, then render and publish the site (``data``: override the plan's data;
    with ``pdf``, also the PDF edition: ``<build>/pdf/<name>.pdf``, published at the site's root and linked
    from the landing page).

    The data each run needs are made ready (the synthetic panel generated on first use) in a background
    thread, while runs that need no data (``data = "none"``) already execute; a run's key, and so whether
    it must execute at all, is settled once its data and the runs it needs are ready. Another build of the same
    layout running at the time is waited for (said on stderr), and what it executed is then re-used.
    """
    layout = layout or Layout.default()
    plan = load_plan(plan_path, profile, root=layout.root)  # a malformed plan is refused before any waiting
    with build_lock(layout):
        return _build(plan, layout, jobs, render_site, strict, data_fingerprint, progress, data, pdf)


def build_lock(layout: Layout):
    """The lock that makes builds of one layout take turns (:func:`mrkit.paths.file_lock`); a build that finds it
    held says so on stderr, with the holder's process id and start time, and waits."""

    def waiting(holder: str) -> None:
        print(f"mrkit book: another build of this book is running ({holder or 'process unknown'}); waiting for it "
              "to finish, then re-using what it executed", file=sys.stderr, flush=True)

    note = f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}"
    return file_lock(layout.state / "build.lock", note=note, on_wait=waiting)


def _build(plan: Plan, layout: Layout, jobs: int | None, render_site: bool, strict: bool,
           data_fingerprint: Callable[[dict[str, Any]], str], progress: bool, data: str | None, pdf: bool) -> Report:
    start = time.perf_counter()
    report = Report(load=(_load(), 0.0), cores=os.cpu_count() or 1)
    if data is not None:
        plan = with_data(plan, data)
    jobs = max(1, jobs or os.cpu_count() or 1)
    needs = resolve_needs(plan)
    code_hash = analysis_code_hash()
    _topological(plan, needs)  # refuse a cyclic plan before anything runs
    bar = tqdm(total=len(plan.runs), unit="run", desc="notebooks", disable=not progress)
    outputs = {run: layout.executed / f"{run.id}.ipynb" for run in plan.runs}
    try:
        _execute_all(plan.runs, needs, layout, outputs, code_hash, data_fingerprint, jobs, bar, report)
    finally:
        bar.close()
    if report.skipped and progress:
        print(f"  unchanged, not re-executed: {len(report.skipped)} of {len(plan.runs)} runs")

    if render_site:
        stage = layout.build / "source"
        data_params = next((r.parameters for r in plan.runs if r.parameters.get("data") != "none"), {})
        stage_source(layout.root, stage, outputs, data_params, results=layout.results, downloads=layout.downloads,
                     pdf_name=PDF_NAME if pdf else None,
                     data_fingerprint=report.data_fingerprints.get(_data_label(data_params)))
        if pdf:  # first, so that a failure leaves the published site (which would link the PDF) as it was
            t0 = time.perf_counter()
            report.pdf = build_pdf(stage, layout.build, strict=strict)
            if progress:
                print(f"  PDF built in {time.perf_counter() - t0:.1f}s: {report.pdf}")
        t0 = time.perf_counter()
        render(stage, layout.build / "sphinx", layout.build / "html", strict=strict)
        report.render_seconds = time.perf_counter() - t0
        if report.pdf is not None:
            publish_pdf(report.pdf, layout.build / "html")
        if progress:
            print(f"  site rendered in {report.render_seconds:.1f}s: {layout.build / 'html' / 'index.html'}")
    report.seconds = time.perf_counter() - start
    report.load = (report.load[0], _load())
    layout.state.mkdir(parents=True, exist_ok=True)
    (layout.state / "last_build.json").write_text(json.dumps(  # the timing report, for scripts
        {"seconds": round(report.seconds, 1), "prepare_seconds": report.prepare_seconds,
         "notebooks_seconds": round(report.notebooks_seconds, 1), "render_seconds": round(report.render_seconds, 1),
         "cpu_seconds": {k: round(v, 2) for k, v in report.cpu.items()},
         "cpu_seconds_total": round(sum(report.cpu.values()), 1), "executed": [r for r, _ in report.executed],
         "skipped": report.skipped, "load_average": report.load, "cores": report.cores}, indent=1))
    return report


def _topological(plan: Plan, needs: dict[str, list[str]]) -> list[Run]:
    by_id, done, order = plan.by_id(), set(), []

    def visit(run_id: str, chain: tuple[str, ...]) -> None:
        if run_id in done:
            return
        if run_id in chain:
            raise RunFailed(f"run plan has a cycle: {' -> '.join(chain + (run_id,))}", None)
        for n in needs[run_id]:
            visit(n, chain + (run_id,))
        done.add(run_id)
        order.append(by_id[run_id])

    for run in plan.runs:
        visit(run.id, ())
    return order


def _state_file(layout: Layout, run: Run) -> Path:
    return layout.state / f"{run.id}.json"


def _is_current(layout: Layout, run: Run, output: Path, key: str) -> bool:
    state = _state_file(layout, run)
    if not (output.exists() and state.exists()):
        return False
    try:
        return json.loads(state.read_text()).get("key") == key
    except json.JSONDecodeError:
        return False


def _timings(layout: Layout) -> dict[str, float]:
    """Seconds each run took when it last executed (kept across builds, for scheduling)."""
    path = layout.state / "timings.json"
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError):
        return {}


def _data_signature(params: dict[str, Any]) -> str:
    return json.dumps({k: params.get(k) for k in ("data", "panel_size", "panel_seed")}, sort_keys=True)


def _data_label(params: dict[str, Any]) -> str:
    """The data set's name in the build report: ``synthetic full``, ``synthetic small``, ``opengwas``."""
    return " ".join(str(params[k]) for k in ("data", "panel_size") if params.get(k) is not None) or "synthetic"


def _execute_all(runs: list[Run], needs: dict[str, list[str]], layout: Layout, outputs: dict[Run, Path],
                 code_hash: str, data_fingerprint: Callable[[dict[str, Any]], str], jobs: int, bar: tqdm,
                 report: Report) -> None:
    """Run what is out of date, ``jobs`` at a time, as soon as its data and the runs it needs are ready.

    Making a data set ready (generating the synthetic panel) takes one of the ``jobs`` slots while it runs.
    """
    timings = _timings(layout)
    # longest first (the plan's slow hint, then the last build's timings), so the tail is short
    pending = {r.id: r for r in sorted(runs, key=lambda r: (not r.slow, -timings.get(r.id, 0.0)))}
    keys: dict[str, str] = {}
    resolved: set[str] = set()  # executed or found current
    running: dict[Future, Run] = {}
    failure: RunFailed | None = None
    layout.results.mkdir(parents=True, exist_ok=True)
    layout.state.mkdir(parents=True, exist_ok=True)

    data: dict[str, Future] = {}
    prep_started: dict[str, float] = {}
    with ThreadPoolExecutor(max_workers=1) as preparer, ThreadPoolExecutor(max_workers=jobs) as pool:
        def busy() -> int:
            return len(running) + sum(1 for f in data.values() if not f.done())

        def data_ready(run: Run) -> bool:
            """Whether the run's data are ready; starts making them ready when a slot is free."""
            sig = _data_signature(run.parameters)
            if sig not in data:
                if run.parameters.get("data", "synthetic") == "none":
                    data[sig] = Future()
                    data[sig].set_result(data_fingerprint(run.parameters))
                elif busy() < jobs:
                    prep_started[sig] = time.perf_counter()
                    data[sig] = preparer.submit(data_fingerprint, dict(run.parameters))
                else:
                    return False
            return data[sig].done()

        first_start = None
        while pending or running:
            progress = failure is None
            while progress:  # again after a pass that found runs current: runs needing them may start
                progress = False
                for run_id, run in list(pending.items()):
                    if not all(n in resolved for n in needs[run_id]) or not data_ready(run):
                        continue
                    sig = _data_signature(run.parameters)
                    if sig in prep_started:  # first time this data set is seen ready
                        report.prepare_seconds[_data_label(run.parameters)] = round(
                            time.perf_counter() - prep_started.pop(sig), 1)
                    if run_id not in keys:
                        report.data_fingerprints[_data_label(run.parameters)] = data[sig].result()
                        keys[run_id] = run_key(run.notebook, run.parameters, code_hash, data[sig].result(),
                                               [keys[n] for n in needs[run_id]])
                    if _is_current(layout, run, outputs[run], keys[run_id]):
                        del pending[run_id]
                        report.skipped.append(run_id)
                        resolved.add(run_id)
                        bar.update(1)
                        progress = True
                        continue
                    if busy() >= jobs:
                        continue  # its turn comes when a slot frees; later runs may still be found current
                    del pending[run_id]
                    _state_file(layout, run).unlink(missing_ok=True)  # a half-done run must never look current
                    first_start = first_start or time.perf_counter()
                    running[pool.submit(execute_run, run, outputs[run], layout.build / "failed",
                                        layout.root, {"results_dir": _rel(layout.results, layout.root)},
                                        layout.downloads)] = run
            waiting_on = list(running) + [f for f in data.values() if not f.done()]
            if not waiting_on:
                if pending and failure is None:  # nothing runs and nothing can start: needs that failed
                    raise RunFailed(f"runs {sorted(pending)} wait for runs that did not finish", None)
                break
            done, _ = wait(waiting_on, return_when=FIRST_COMPLETED)
            for fut in done:
                if fut not in running:
                    fut.result()  # a data set that could not be made ready raises here
                    continue
                run = running.pop(fut)
                try:
                    outcome = fut.result()
                except RunFailed as exc:
                    failure = failure or exc
                    bar.write(f"  FAILED    {run.id}")
                    continue
                resolved.add(run.id)
                _state_file(layout, run).write_text(json.dumps(
                    {"key": keys[run.id], "seconds": round(outcome.seconds, 2), "cpu_seconds": round(outcome.cpu, 2),
                     "parameters": run.parameters}, indent=1, sort_keys=True, default=str))
                report.executed.append((run.id, outcome.seconds))
                report.cpu[run.id] = outcome.cpu
                timings[run.id] = round(outcome.seconds, 2)
                (layout.state / "timings.json").write_text(json.dumps(timings, indent=1, sort_keys=True))
                bar.update(1)
                bar.write(f"  executed  {run.id:<42} {outcome.seconds:7.1f} s   CPU {outcome.cpu:7.1f} s")
        if first_start is not None:
            report.notebooks_seconds = time.perf_counter() - first_start
    if failure is not None:
        raise failure


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path.resolve())
