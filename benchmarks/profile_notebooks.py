"""Profile the book's notebooks: each planned run executed as a plain script under cProfile, in its own process.

Where does a page spend its time? This runs the code cells of each run of ``book/runplan.toml`` (with the
run's parameters, results written to a temporary folder) in a fresh interpreter under :mod:`cProfile`, and
prints per run the CPU seconds and the functions with the largest cumulative time. Kernel start-up and
papermill are not included: ``mrkit book`` reports each run's CPU time with them (``CPU`` column, and
``book/generated/.runs/<run>.json``); the difference is the per-page overhead. Run from the project root:

    .venv/bin/python benchmarks/profile_notebooks.py [--profile small] [--top 12] [RUN_ID_PATTERN ...]
"""
from __future__ import annotations

import argparse
import cProfile
import fnmatch
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def script_of(notebook: Path, parameters: dict) -> str:
    """The notebook's code cells as one script, the run's parameters assigned after the parameters cell."""
    import jupytext

    nb = jupytext.read(notebook)
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts.append(cell.source)
        if "parameters" in cell.metadata.get("tags", []):
            parts.append("\n".join(f"{k} = {v!r}" for k, v in parameters.items()))
    return "\n\n".join(parts)


def profile_one(run_id: str, profile: str, top: int) -> dict:
    from mrkit.book.runplan import load_plan

    run = load_plan(ROOT / "book" / "runplan.toml", profile, root=ROOT).by_id()[run_id]
    with tempfile.TemporaryDirectory() as tmp:
        source = script_of(run.notebook, {**run.parameters, "results_dir": tmp})
        code = compile(source, str(run.notebook), "exec")
        os.environ.setdefault("MPLBACKEND", "Agg")
        profiler = cProfile.Profile()
        cpu = time.process_time()
        profiler.enable()
        exec(code, {"__name__": "__main__"})
        profiler.disable()
        cpu = time.process_time() - cpu
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    wanted = r"mrkit|numpy/fft|pandas/io|pyarrow|matplotlib/figure|importlib._bootstrap>.*_find_and_load$"
    stats.print_stats(wanted, top)
    return {"run": run_id, "cpu": cpu, "report": out.getvalue()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patterns", nargs="*", default=["*"], help="run ids (glob patterns) to profile")
    parser.add_argument("--profile", default="full", help="run-plan profile (full or small)")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(profile_one(args.one, args.profile, args.top)))
        return
    from mrkit.book.runplan import load_plan

    plan = load_plan(ROOT / "book" / "runplan.toml", args.profile, root=ROOT)
    runs = [r.id for r in plan.runs if any(fnmatch.fnmatchcase(r.id, p) for p in args.patterns)]
    summary = []
    for run_id in runs:
        done = subprocess.run([sys.executable, __file__, "--one", run_id, "--profile", args.profile, "--top",
                               str(args.top)], cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"=== {run_id}: failed\n{done.stderr[-2000:]}")
            continue
        res = json.loads(done.stdout.strip().splitlines()[-1])
        summary.append((run_id, res["cpu"]))
        print(f"=== {run_id}: {res['cpu']:.1f} s CPU (notebook code and imports, no kernel)\n{res['report']}")
    print("CPU seconds per run (notebook code and imports):")
    for run_id, cpu in sorted(summary, key=lambda x: -x[1]):
        print(f"  {run_id:42s} {cpu:7.1f}")
    print(f"  {'total':42s} {sum(c for _, c in summary):7.1f}")


if __name__ == "__main__":
    main()
