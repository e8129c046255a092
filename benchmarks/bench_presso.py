"""Time mrkit's vectorised MR-PRESSO against a loop-per-distribution port of the R algorithm.

The baseline follows R/mr_presso.R step by step: for every distribution it refits k leave-one-out
regressions to draw the null outcome, then k more to get the null RSS (``getRSS_LOO``), then
loops over SNPs for the outlier test. Run from the project root:

    .venv/bin/python benchmarks/bench_presso.py [path/to/shared/validation]

It prints wall times and the speed-up ratio (baseline / vectorised); nothing is asserted.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mrkit.methods.presso import mr_presso


def _lm_slope(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    sw = np.sqrt(w)
    return float(np.linalg.lstsq((sw * x)[:, None], sw * y, rcond=None)[0][0])


def _rss_loo_loop(bx, by, w):
    k = bx.size
    theta = np.empty(k)
    for i in range(k):
        m = np.arange(k) != i
        theta[i] = _lm_slope(bx[m], by[m], w[m])
    return float(np.sum(w * (by - theta * bx) ** 2)), theta


def presso_loop(bx, bxse, by, byse, n_distributions=1000, alpha=0.05, seed=1):
    """Loop-per-distribution MR-PRESSO (global + outlier test), the R-like baseline."""
    rng = np.random.default_rng(seed)
    sign = np.sign(bx)
    bx, by = bx * sign, by * sign
    w = 1 / byse ** 2
    k = bx.size
    rss_obs, theta_obs = _rss_loo_loop(bx, by, w)
    random_data = []
    rss_exp = np.empty(n_distributions)
    for d in range(n_distributions):
        bx_r = rng.normal(bx, bxse)
        mods = [_lm_slope(np.delete(bx, i), np.delete(by, i), np.delete(w, i)) for i in range(k)]
        by_r = np.array([rng.normal(mods[i] * bx[i], byse[i]) for i in range(k)])
        random_data.append((bx_r, by_r))
        rss_exp[d] = _rss_loo_loop(bx_r, by_r, w)[0]
    p_global = np.sum(rss_exp > rss_obs) / n_distributions
    p_snp = np.empty(k)
    for j in range(k):
        dif = by[j] - bx[j] * theta_obs[j]
        exp = np.array([r[1][j] - r[0][j] * theta_obs[j] for r in random_data])
        p_snp[j] = min(1.0, np.sum(exp ** 2 > dif ** 2) / n_distributions * k)
    return rss_obs, p_global, np.flatnonzero(p_snp <= alpha)


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "validation"
    lipids = pd.read_csv(shared / "harmonised" / "lipids_chd_ldlc.csv")
    args = [lipids[c].to_numpy() for c in ("bx", "bxse", "by", "byse")]

    t0 = time.perf_counter()
    base = presso_loop(*args, n_distributions=3000)
    t_loop = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast = mr_presso(*args, n_distributions=3000, seed=1)
    t_vec = time.perf_counter() - t0
    print(f"lipids (k=28, 3000 distributions): loop {t_loop:.2f} s, vectorised {t_vec:.4f} s, "
          f"ratio {t_loop / t_vec:.0f}x")
    print(f"  same RSS: {base[0]:.6f} vs {fast.global_rss:.6f}; outliers loop {[int(i) for i in base[2]]} "
          f"vs vectorised {fast.outliers}")

    rng = np.random.default_rng(2)
    k = 100
    bx = rng.normal(0.08, 0.02, k)
    bxse = np.full(k, 0.01)
    byse = rng.uniform(0.01, 0.02, k)
    by = 0.4 * bx + rng.normal(0, byse)
    by[:3] += 0.08  # a few pleiotropic SNPs so that all three tests run
    t0 = time.perf_counter()
    mr_presso(bx, bxse, by, byse, n_distributions=10_000, seed=1)
    print(f"k=100, 10000 distributions, all three tests: {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    main()
