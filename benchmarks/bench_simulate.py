"""Time the synthetic panel build (both sizes) against the one-minute budget of the full panel.

Run from the project root:

    .venv/bin/python benchmarks/bench_simulate.py

Builds into a temporary folder (the cache is untouched) and prints wall times, the time of each
stage of the full build and the ratio to the 60 s budget (< 1 is within budget); nothing is asserted.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from mrkit.simulate import build as build_mod
from mrkit.simulate.calibration import load_calibration

BUDGET_SECONDS = 60.0


def timed_stages() -> dict[str, float]:
    """Wrap the stage functions of the build to record their wall time."""
    times: dict[str, float] = {}
    targets = [(build_mod, "make_genome"), (build_mod, "plant_effects"), (build_mod, "select_variants"),
               (build_mod, "draw_sumstats"), (build_mod, "_trait_tables"), (build_mod.panel_mod, "genotypes"),
               (build_mod.panel_mod, "write_plink")]
    for owner, name in targets:
        original = getattr(owner, name)

        def wrapper(*args, _f=original, _n=name, **kwargs):
            start = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                times[_n] = times.get(_n, 0.0) + time.perf_counter() - start

        setattr(owner, name, wrapper)
    return times


def main() -> None:
    cal = load_calibration()
    times = timed_stages()
    with tempfile.TemporaryDirectory() as tmp:
        for size in ("small", "full"):
            times.clear()
            start = time.perf_counter()
            build_mod.build_panel(Path(tmp) / size, size=size, calibration=cal)
            wall = time.perf_counter() - start
            print(f"{size:5s} panel: {wall:6.1f} s  ({cal.sizes[size].n_variants:,} variants, "
                  f"{cal.sizes[size].n_reference} reference individuals)")
            for name, seconds in sorted(times.items(), key=lambda kv: -kv[1]):
                print(f"    {name:16s} {seconds:6.2f} s")
            if size == "full":
                print(f"ratio full build / {BUDGET_SECONDS:.0f} s budget: {wall / BUDGET_SECONDS:.2f}")


if __name__ == "__main__":
    main()
