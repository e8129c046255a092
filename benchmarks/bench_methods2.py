"""Time the issue-23 MendelianRandomization estimators on 47 instruments, one process, against IVW in the same run.

Issue 23 asks for every univariable method but HetPen on 47 instruments in under a second as one ``mrkit estimate``
process. This script times each new estimator on one simulated 47-variant dataset (seeded), the total, and the
ratio to the IVW estimate in the same run; then HetPen (2^J subsets) for J = 10, 15, 20, and a batch of 200
replicates of the vectorised estimators against 200 one-replicate calls (the simulation study's use). Run from the
project root:

    .venv/bin/python benchmarks/bench_methods2.py

Nothing is asserted; timings vary with the machine's load (best of 3 repeats shown).
"""
from __future__ import annotations

import time

import numpy as np

from mrkit.methods.clr import mr_clr
from mrkit.methods.cml import mr_cml
from mrkit.methods.conmix import mr_conmix
from mrkit.methods.divw import mr_divw, mr_pivw
from mrkit.methods.hetpen import mr_hetpen
from mrkit.methods.ivw import mr_ivw
from mrkit.methods.mode import mr_mode
from mrkit.methods.mrlasso import mr_lasso
from mrkit.methods.pcgmm import mr_pcgmm
from mrkit.methods.robust_regression import mr_egger_robust, mr_ivw_robust

N = 300000


def simulate(k: int, seed: int = 47, reps: int | None = None):
    rng = np.random.default_rng(seed)
    shape = (k,) if reps is None else (reps, k)
    bx = rng.uniform(0.02, 0.1, shape) * rng.choice([-1, 1], shape)
    bxse = rng.uniform(0.004, 0.008, shape)
    byse = rng.uniform(0.006, 0.015, shape)
    by = 0.3 * bx + byse * rng.standard_normal(shape)
    by[..., : k // 8] += 0.03  # a few pleiotropic variants
    return bx, bxse, by, byse


METHODS = {
    "divw": lambda d: mr_divw(*d),
    "pivw (Fieller, 1000 draws)": lambda d: mr_pivw(*d),
    "conmix": lambda d: mr_conmix(*d),
    "lasso": lambda d: mr_lasso(*d),
    "cml (MA-BIC)": lambda d: mr_cml(*d, n=N),
    "simple+weighted mode NOME (10000 draws)": lambda d: mr_mode(*d, n_boot=10000, t_dist=False, se_order=1),
    "ivw_robust": lambda d: mr_ivw_robust(*d),
    "ivw_penalised": lambda d: mr_ivw_robust(*d, robust=False, penalized=True),
    "ivw_penalised_robust": lambda d: mr_ivw_robust(*d, penalized=True),
    "egger_robust": lambda d: mr_egger_robust(*d),
    "egger_penalised": lambda d: mr_egger_robust(*d, robust=False, penalized=True),
    "egger_penalised_robust": lambda d: mr_egger_robust(*d, penalized=True),
    "clr": lambda d: mr_clr(*d, nx=N, ny=N),
    "pcgmm": lambda d: mr_pcgmm(*d, nx=N, ny=N),
}


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    data = simulate(47)
    ivw = best_of(lambda: mr_ivw(*data), repeats=20)
    print(f"47 instruments; baseline IVW {ivw * 1e3:.3f} ms")
    total = 0.0
    for name, run in METHODS.items():
        t = best_of(lambda run=run: run(data))
        total += t
        print(f"  {name:42s} {t * 1e3:8.1f} ms   {t / ivw:8.0f} x IVW")
    print(f"  {'all of the above (hetpen excluded)':42s} {total * 1e3:8.1f} ms   {total / ivw:8.0f} x IVW")
    for j in (10, 15, 20):
        t = best_of(lambda j=j: mr_hetpen(*simulate(j)), repeats=1)
        print(f"hetpen J = {j:2d} ({2 ** j - 1} subsets): {t:.2f} s")
    batch = simulate(47, reps=200)
    for name in ("divw", "cml (MA-BIC)", "lasso", "ivw_penalised"):
        run = METHODS[name]
        t_batch = best_of(lambda run=run: run(batch), repeats=1)
        t_loop = best_of(lambda run=run: [run(tuple(a[r] for a in batch)) for r in range(200)], repeats=1)
        print(f"200 replicates, {name:14s}: batch {t_batch * 1e3:7.1f} ms, one at a time {t_loop * 1e3:7.1f} ms "
              f"({t_loop / t_batch:.1f} x)")


if __name__ == "__main__":
    main()
