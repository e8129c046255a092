"""Time the batch estimators (mrkit.methods.batch) against a loop of the 1-D mrkit estimators.

The simulation chapter fits every method to thousands of replicates; this prints, per method, the
wall time of one vectorised call on (n_rep, k) arrays and of a Python loop calling the 1-D estimator
on each row (timed on a subset of rows and scaled), and the ratio loop / batch. Run from the
project root:

    .venv/bin/python benchmarks/bench_batch.py

Nothing is asserted.
"""
from __future__ import annotations

import time

from mrkit.methods import batch
from mrkit.methods.egger import mr_egger
from mrkit.methods.ivw import mr_ivw
from mrkit.methods.median import mr_weighted_median
from mrkit.methods.ml import mr_ml
from mrkit.methods.mode import mr_mode
from mrkit.methods.raps import mr_raps
from mrkit.simulate.scenarios import simulate_mr_summary

N_REP, K, N_BOOT, LOOP_ROWS = 1000, 30, 200, 50


def main() -> None:
    sim = simulate_mr_summary(N_REP, K, beta=0.05, scenario="balanced_pleiotropy", seed=1)
    arrays = (sim.bx, sim.bxse, sim.by, sim.byse)
    cases = [
        ("ivw", lambda: batch.ivw(*arrays), lambda r: mr_ivw(*r)),
        ("egger", lambda: batch.egger(*arrays), lambda r: mr_egger(*r)),
        ("weighted_median", lambda: batch.weighted_median(*arrays, n_boot=N_BOOT, seed=1),
         lambda r: mr_weighted_median(*r, n_boot=N_BOOT, seed=1)),
        ("weighted_mode", lambda: batch.mode(*arrays, n_boot=N_BOOT, seed=1),
         lambda r: mr_mode(*r, kinds=("weighted",), n_boot=N_BOOT, seed=1)),
        ("ml", lambda: batch.ml(*arrays), lambda r: mr_ml(*r, optimizer="profile")),
        ("raps", lambda: batch.raps(*arrays), lambda r: mr_raps(*r)),
    ]
    print(f"{N_REP} replicates x {K} SNPs, bootstrap {N_BOOT} draws; loop timed on {LOOP_ROWS} rows")
    print(f"{'method':<18}{'batch s':>10}{'loop s (scaled)':>18}{'ratio':>10}")
    for name, fb, f1 in cases:
        t0 = time.perf_counter()
        fb()
        tb = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(LOOP_ROWS):
            f1([a[i] for a in arrays])
        tl = (time.perf_counter() - t0) * N_REP / LOOP_ROWS
        print(f"{name:<18}{tb:>10.3f}{tl:>18.3f}{tl / tb:>10.1f}")


if __name__ == "__main__":
    main()
