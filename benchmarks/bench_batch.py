"""Time every registered MR method on many replicates at once against a loop over the replicates, and R's
Nelder-Mead compiled against its numpy fallback.

Each estimator is written once, over arrays with a leading replicate axis (``mrkit.methods.registry``). The
simulation chapter gives it blocks of replicates; ``mrkit.mr()`` gives it one dataset at a time. This prints, per
method, the wall time of one call on ``(n_rep, k)`` arrays and of a Python loop calling the same function on each
replicate alone (a batch of one; timed on a subset of rows and scaled), and the ratio loop / batch. Then the
maximum-likelihood path R's ``optim`` takes on the Waterworth lipids data, in C (``_nmmin.c``) and in numpy.
Run from the project root:

    .venv/bin/python benchmarks/bench_batch.py

Nothing is asserted.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from mrkit.methods.nelder_mead import _compiled, ml_nelder_mead, rsum
from mrkit.methods.registry import Context, run_method
from mrkit.simulate.scenarios import simulate_mr_summary

N_REP, K, N_BOOT, LOOP_ROWS = 500, 30, 200, 25
METHODS = ("ivw", "egger", "weighted_median", "weighted_mode", "ml", "raps", "presso")
OPTIONS = {"ml_optimizer": "profile", "presso_n": 200}  # as the simulation chapter runs them


def methods() -> None:
    sim = simulate_mr_summary(N_REP, K, beta=0.05, scenario="balanced_pleiotropy", seed=1)
    arrays = (sim.bx, sim.bxse, sim.by, sim.byse)
    print(f"{N_REP} replicates x {K} SNPs, bootstrap {N_BOOT} draws; the loop is timed on {LOOP_ROWS} rows")
    print(f"{'method':<18}{'batch s':>10}{'loop s (scaled)':>18}{'ratio':>10}")
    for name in METHODS:
        t0 = time.perf_counter()
        run_method(name, *arrays, Context(seed=1, n_boot=N_BOOT, options=OPTIONS))
        tb = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(LOOP_ROWS):
            run_method(name, *(a[i] for a in arrays), Context(seed=1 + i, n_boot=N_BOOT, options=OPTIONS))
        tl = (time.perf_counter() - t0) * N_REP / LOOP_ROWS
        print(f"{name:<18}{tb:>10.3f}{tl:>18.3f}{tl / tb:>10.1f}")


def nelder_mead() -> None:
    shared = Path(os.environ.get("MRKIT_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    path = shared / "validation" / "harmonised" / "lipids_chd_ldlc.csv"
    if not path.exists():
        print(f"R's Nelder-Mead: {path} not found (set MRKIT_SHARED)")
        return
    columns = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
    bx, bxse, by, byse = (np.asarray(columns[c], dtype=float) for c in ("bx", "bxse", "by", "byse"))
    start = np.append(bx, rsum(bx * by / byse ** 2) / rsum(bx ** 2 / byse ** 2))
    times = {}
    for label, compiled in (("C (_nmmin.c)", True), ("numpy fallback", False)):
        if compiled and _compiled() is None:
            print("R's Nelder-Mead: the C port is not built")
            continue
        t0 = time.perf_counter()
        _, _, fncount, _ = ml_nelder_mead(bx, bxse, by, byse, start, compiled=compiled)
        times[label] = time.perf_counter() - t0
        print(f"R's Nelder-Mead, lipids data ({fncount} evaluations), {label}: {times[label]:.3f} s")
    if len(times) == 2:
        print(f"ratio numpy / C: {times['numpy fallback'] / times['C (_nmmin.c)']:.1f}")


if __name__ == "__main__":
    methods()
    nelder_mead()
