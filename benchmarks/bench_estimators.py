"""Time mrkit's default MR method set with 10,000 bootstraps on 100 SNPs against a naive loop.

The baseline computes the bootstrap standard errors the way the R code does: one replicate at a
time (a Python loop calling the 1-D weighted median and the 1-D R ``density()`` port per
replicate). mrkit draws all replicates at once as ``(n_boot, k)`` arrays. Run from the project
root:

    .venv/bin/python benchmarks/bench_estimators.py [n_snps] [n_boot]

It prints wall times and the ratio baseline / vectorised (the baseline loops are timed on a
tenth of the replicates and scaled); nothing is asserted.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from mrkit import mr
from mrkit.methods.median import median_weights, weighted_median
from mrkit.methods.mode import mode_estimate
from mrkit.methods.wald import ratio_se
from mrkit.rng import make_rng


def simulate(k: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.02, 0.2, k) * rng.choice([-1, 1], k)
    bxse = rng.uniform(0.003, 0.01, k)
    byse = rng.uniform(0.01, 0.03, k)
    by = 0.3 * bx + rng.normal(0, 1.5, k) * byse
    by[: k // 10] += 0.05  # some pleiotropy
    return pd.DataFrame({"SNP": [f"rs{i}" for i in range(k)], "bx": bx, "bxse": bxse, "by": by,
                         "byse": byse})


def naive_bootstraps(frame: pd.DataFrame, n_boot: int) -> None:
    """Weighted median and simple/weighted mode SEs, one replicate per loop iteration."""
    bx, bxse, by, byse = (frame[c].to_numpy() for c in ("bx", "bxse", "by", "byse"))
    rng = make_rng(0)
    w = median_weights(bx, bxse, by, byse, "second_order")
    meds = [weighted_median((by + byse * rng.standard_normal(bx.size))
                            / (bx + bxse * rng.standard_normal(bx.size)), w)
            for _ in range(n_boot)]
    ratio, se = by / bx, ratio_se(bx, bxse, by, byse, 2)
    wm = se ** -2 / np.sum(se ** -2)
    modes = []
    for _ in range(n_boot):
        draw = ratio + se * rng.standard_normal(bx.size)
        modes.append((mode_estimate(draw, None), mode_estimate(draw, wm)))
    np.std(meds, ddof=1), np.array(modes)


def main() -> None:
    k = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    n_boot = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    frame = simulate(k)
    mr(frame, n_boot=100)  # warm-up (imports, FFT plans)
    start = time.perf_counter()
    table = mr(frame, n_boot=n_boot)
    fast = time.perf_counter() - start
    per_method = {}
    for method in table["method"]:
        t0 = time.perf_counter()
        mr(frame, methods=[method], n_boot=n_boot)
        per_method[method] = time.perf_counter() - t0
    sub = max(n_boot // 10, 1)
    t0 = time.perf_counter()
    naive_bootstraps(frame, sub)
    naive = (time.perf_counter() - t0) * n_boot / sub
    t0 = time.perf_counter()
    mr(frame, methods=["weighted_median", "simple_mode", "weighted_mode"], n_boot=n_boot)
    vector = time.perf_counter() - t0
    print(f"default method set, {k} SNPs, {n_boot} bootstraps: {fast:.2f} s")
    print("  per method: " + ", ".join(f"{m} {s:.2f} s" for m, s in per_method.items()))
    print(f"bootstrap methods (weighted median, simple and weighted mode): vectorised "
          f"{vector:.2f} s, naive loop {naive:.1f} s (scaled from {sub}), ratio {naive / vector:.0f}x")


if __name__ == "__main__":
    main()
