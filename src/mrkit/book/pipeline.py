"""``mrkit book``: execute the planned runs (incrementally, in parallel), then render the site.

A run is skipped when its key (see :mod:`.fingerprint`) matches the key recorded when its notebook last
executed successfully. Runs whose ``needs`` are satisfied execute concurrently on ``jobs`` workers.
The first failure stops new runs from starting, lets running ones finish, and raises with the
notebook, parameters and failing cell; nothing is rendered then, so the published site stays.
"""
from __future__ import annotations

import json
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from ..paths import PROJECT_ROOT
from .execute import RunFailed, execute_run
from .fingerprint import analysis_code_hash, run_key
from .runplan import Plan, Run, load_plan, resolve_needs
from .pdf import PDF_NAME, build_pdf, publish_pdf
from .site import render, stage_source

DEFAULT_PLAN = PROJECT_ROOT / "book" / "runplan.toml"


@dataclass
class Layout:
    """Where a build puts things. The default build executes into ``book/generated``."""

    root: Path
    build: Path
    executed: Path

    @classmethod
    def default(cls, root: Path = PROJECT_ROOT, build: Path | None = None) -> "Layout":
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
    executed: list[tuple[str, float]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    pdf: Path | None = None


def default_data_fingerprint(params: dict[str, Any]) -> str:
    """Make sure the run's input data exist (generating the synthetic panel) and fingerprint them."""
    from ..paper.datasets import prepare

    return prepare(data=params.get("data", "synthetic"), panel_size=params.get("panel_size", "full"),
                   seed=params.get("seed"))


def build_book(plan_path: Path = DEFAULT_PLAN, profile: str = "full", layout: Layout | None = None,
               jobs: int | None = None, render_site: bool = True, strict: bool = True,
               data_fingerprint: Callable[[dict[str, Any]], str] = default_data_fingerprint,
               progress: bool = True, pdf: bool = False) -> Report:
    """Execute what changed in the plan, then render and publish the site (and, with ``pdf``, the PDF edition:
    ``<build>/pdf/<name>.pdf``, also published at the site's root and linked from the landing page)."""
    start = time.perf_counter()
    layout = layout or Layout.default()
    plan = load_plan(plan_path, profile, root=layout.root)
    jobs = max(1, jobs or os.cpu_count() or 1)
    needs = resolve_needs(plan)
    code_hash = analysis_code_hash()

    data_keys: dict[str, str] = {}

    def data_key(params: dict[str, Any]) -> str:
        sig = json.dumps({k: params.get(k) for k in ("data", "panel_size", "seed")}, sort_keys=True)
        if sig not in data_keys:
            data_keys[sig] = data_fingerprint(params)
        return data_keys[sig]

    keys: dict[str, str] = {}
    for run in _topological(plan, needs):
        keys[run.id] = run_key(run.notebook, run.parameters, code_hash, data_key(run.parameters),
                               [keys[n] for n in needs[run.id]])

    report = Report()
    outputs = {run: layout.executed / f"{run.id}.ipynb" for run in plan.runs}
    todo = [r for r in plan.runs if not _is_current(layout, r, outputs[r], keys[r.id])]
    report.skipped = [r.id for r in plan.runs if r not in todo]
    bar = tqdm(total=len(plan.runs), unit="run", desc="notebooks", disable=not progress, initial=len(report.skipped))
    if report.skipped:
        bar.write(f"  unchanged, not re-executed: {len(report.skipped)} of {len(plan.runs)} runs")
    _execute_all(todo, needs, layout, outputs, keys, jobs, bar, report)
    bar.close()

    if render_site:
        stage = layout.build / "source"
        data_params = next((r.parameters for r in plan.runs if r.parameters.get("data") != "none"), {})
        stage_source(layout.root, stage, outputs, data_params, downloads=layout.downloads,
                     pdf_name=PDF_NAME if pdf else None)
        if pdf:  # first, so that a failure leaves the published site (which would link the PDF) as it was
            t0 = time.perf_counter()
            report.pdf = build_pdf(stage, layout.build, strict=strict)
            if progress:
                print(f"  PDF built in {time.perf_counter() - t0:.1f}s: {report.pdf}")
        t0 = time.perf_counter()
        render(stage, layout.build / "sphinx", layout.build / "html", strict=strict)
        if report.pdf is not None:
            publish_pdf(report.pdf, layout.build / "html")
        if progress:
            print(f"  site rendered in {time.perf_counter() - t0:.1f}s: {layout.build / 'html' / 'index.html'}")
    report.seconds = time.perf_counter() - start
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


def _execute_all(todo: list[Run], needs: dict[str, list[str]], layout: Layout, outputs: dict[Run, Path],
                 keys: dict[str, str], jobs: int, bar: tqdm, report: Report) -> None:
    timings = _timings(layout)
    # longest first (the plan's slow hint, then the last build's timings), so the tail is short
    todo = sorted(todo, key=lambda r: (not r.slow, -timings.get(r.id, 0.0)))
    pending = {r.id: r for r in todo}
    finished: set[str] = set()
    running: dict[Future, Run] = {}
    failure: RunFailed | None = None
    layout.results.mkdir(parents=True, exist_ok=True)
    layout.state.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        while pending or running:
            if failure is None:
                for run_id, run in list(pending.items()):
                    if len(running) >= jobs:
                        break
                    if all(n in finished or n not in pending and n not in _ids(running) for n in needs[run_id]):
                        del pending[run_id]
                        state = _state_file(layout, run)
                        state.unlink(missing_ok=True)  # a half-done run must never look current
                        running[pool.submit(execute_run, run, outputs[run], layout.build / "failed",
                                            layout.root, {"results_dir": _rel(layout.results, layout.root)},
                                            layout.downloads)] = run
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                run = running.pop(fut)
                try:
                    outcome = fut.result()
                except RunFailed as exc:
                    failure = failure or exc
                    bar.write(f"  FAILED    {run.id}")
                    continue
                finished.add(run.id)
                _state_file(layout, run).write_text(json.dumps(
                    {"key": keys[run.id], "seconds": round(outcome.seconds, 2), "parameters": run.parameters},
                    indent=1, sort_keys=True, default=str))
                report.executed.append((run.id, outcome.seconds))
                timings[run.id] = round(outcome.seconds, 2)
                (layout.state / "timings.json").write_text(json.dumps(timings, indent=1, sort_keys=True))
                bar.update(1)
                bar.write(f"  executed  {run.id:<42} {outcome.seconds:7.1f} s")
    if failure is not None:
        raise failure


def _ids(running: dict[Future, Run]) -> set[str]:
    return {r.id for r in running.values()}


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path.resolve())
