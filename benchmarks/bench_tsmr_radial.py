"""Time the TwoSampleMR/RadialMR method ids (issue 23) on one dataset of 47 instruments, against baselines in the
same run.

* every id once through the registry (twosamplemr defaults: 1000 bootstrap draws, RadialMR's 1000 resamples for
  the Exact (RE) SE), its total, and the ratio to mrkit's default method set (``mrkit.mr()`` defaults) on the same
  data;
* the Exact (RE) bootstrap, whose 1000 nested R ``optimize`` runs go in lock step
  (:func:`mrkit.methods.brent.r_optimize` lanes), against the same computation one resample at a time (R's loop;
  timed on a tenth of the resamples and scaled).

Run from the project root (nothing is asserted; timings go here, not into tests):

    .venv/bin/python benchmarks/bench_tsmr_radial.py [n_snps] [n_rep]
"""
from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

from mrkit import mr
from mrkit.methods import egger_bootstrap, grip, mode_nome, radial, radial_exact, rucker, sign_concordance
from mrkit.methods.radial_exact import _bootstrap_re
from mrkit.methods.registry import Context, run_method

MODULES = (sign_concordance, grip, rucker, egger_bootstrap, mode_nome, radial, radial_exact)


def simulate(k: int, n_rep: int = 1, seed: int = 1):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.02, 0.2, (n_rep, k)) * rng.choice([-1, 1], (n_rep, k))
    bxse, byse = rng.uniform(0.003, 0.01, (n_rep, k)), rng.uniform(0.01, 0.03, (n_rep, k))
    by = 0.3 * bx + rng.normal(0, 1.5, (n_rep, k)) * byse
    by[:, : k // 10] += 0.05  # some pleiotropy
    return bx, bxse, by, byse


def timed(fn, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    k = int(sys.argv[1]) if len(sys.argv) > 1 else 47
    n_rep = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    data = simulate(k)
    def ctx():  # a fresh context per call: nothing shared between the timed runs
        return Context(n_boot=1000, seed=1)

    ids = [info.id for module in MODULES for info in module.METHODS]
    for method_id in ids:  # warm-up (imports, FFT plans)
        run_method(method_id, *data, ctx())
    times = {method_id: timed(lambda m=method_id: run_method(m, *data, ctx())) for method_id in ids}
    both = Context(n_boot=1000, seed=1, requested=tuple(ids))
    together = timed(lambda: [run_method(m, *data, both) for m in ids] if not both._shared.clear() else None)
    frame = pd.DataFrame({"SNP": [f"rs{j}" for j in range(k)], "bx": data[0][0], "bxse": data[1][0],
                          "by": data[2][0], "byse": data[3][0]})
    mr(frame)
    baseline = timed(lambda: mr(frame), repeat=2)
    total = sum(times.values())
    print(f"{len(ids)} TwoSampleMR/RadialMR ids, {k} SNPs, one dataset: {total:.3f} s in total; mrkit.mr() default "
          f"set {baseline:.3f} s; ratio {total / baseline:.2f}")
    print("  per id: " + ", ".join(f"{m} {1000 * s:.1f} ms" for m, s in sorted(times.items(), key=lambda x: -x[1])))
    print(f"  all {len(ids)} in one context (the NOME modes share their draws, as in mrkit.mr()): {together:.3f} s")

    ratio = data[2] / data[0]
    n_boot, sub = 1000, 100
    rng = [np.random.default_rng(1)]
    lanes = timed(lambda: _bootstrap_re(ratio, *data, n_boot, [np.random.default_rng(1)]), repeat=2)
    start = time.perf_counter()
    with warnings.catch_warnings():  # the SD of one resample is NaN; only the time matters here
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(sub):  # one resample per call: R's BootVar loop
            _bootstrap_re(ratio, *data, 1, rng)
    loop = (time.perf_counter() - start) * n_boot / sub
    print(f"Exact (RE) bootstrap, {n_boot} resamples: lanes {lanes:.3f} s, one at a time {loop:.2f} s (scaled from "
          f"{sub}), ratio {loop / lanes:.0f}x")

    batch = simulate(k, n_rep, seed=2)
    for method_id in ("radial", "rucker_cd", "egger_boot"):
        mid = {"radial": "ivw_radial"}.get(method_id, method_id)
        together = timed(lambda m=mid: run_method(m, *batch, ctx()), repeat=1)
        apart = timed(lambda m=mid: [run_method(m, *(a[r] for a in batch), ctx()) for r in range(n_rep)], repeat=1)
        print(f"{mid}, {n_rep} replicates: one batch {together:.3f} s, one call per replicate {apart:.3f} s, "
              f"ratio {apart / together:.1f}x")


if __name__ == "__main__":
    main()
