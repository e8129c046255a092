"""Time ``mrkit estimate --methods <every univariable id but hetpen>`` on 47 instruments, one process per run.

Issue 23 asks for all univariable methods but HetPen on 47 instruments in under a second as one ``mrkit estimate``
process. This script writes one seeded simulated 47-variant harmonised CSV (with sample sizes, which cml, clr and
pcgmm need), then, under each convention, times as separate processes:

* the baseline ``mrkit estimate FILE --methods ivw`` (start-up, reading, heterogeneity, MR-PRESSO's summary and
  the rest of the report that every run prints), and
* ``mrkit estimate FILE --methods <all>``,

reporting wall and CPU seconds (user + system of the child) and the ratio to the baseline of the same run (best of
3). Under the mendelianrandomization convention the medians and modes draw 10,000 bootstrap samples each; the
four mode ids share two sets of draws (regular and NOME), whose 20,000 densities dominate. It also times the mode
core's density step (10,000 rows, two weight sets) in process. Run from the project root:

    .venv/bin/python benchmarks/bench_estimate_all.py

Nothing is asserted; the machine's load average is printed with the numbers.
"""
from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MRKIT = [sys.executable, "-m", "mrkit.cli"]


def write_input(path: Path, k: int = 47, seed: int = 47) -> None:
    """A seeded 47-variant harmonised table: effect 0.3, six pleiotropic variants, sample sizes 300,000/250,000."""
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.02, 0.1, k) * rng.choice([-1.0, 1.0], k)
    bxse, byse = rng.uniform(0.004, 0.008, k), rng.uniform(0.006, 0.015, k)
    by = 0.3 * bx + byse * rng.standard_normal(k)
    by[: k // 8] += 0.03
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["SNP", "bx", "bxse", "by", "byse", "samplesize.exposure", "samplesize.outcome"])
        for j in range(k):
            out.writerow([f"rs{j + 1}", bx[j], bxse[j], by[j], byse[j], 300000, 250000])


def run_once(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best(args: list[str], repeats: int = 3) -> tuple[float, float]:
    runs = [run_once(args) for _ in range(repeats)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def density_step() -> float:
    """Seconds of the mode core's density step for 10,000 bootstrap rows of 47 ratios, two weight sets."""
    from mrkit.methods.density import density_modes
    from mrkit.methods.mode import mbe_bandwidth

    rng = np.random.default_rng(1)
    ratio, se = rng.normal(0.3, 0.1, 47), rng.uniform(0.05, 0.2, 47)
    draws = ratio + se * rng.standard_normal((10000, 47))
    w = np.broadcast_to(se ** -2 / np.sum(se ** -2), draws.shape)
    bw = mbe_bandwidth(draws, 1.0)
    times = []
    for _ in range(3):
        start = time.process_time()
        density_modes(draws, [None, w], bw=bw)
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    from mrkit.methods.registry import method_ids

    ids = [m for m in method_ids() if m not in ("hetpen", "wald_ratio")]
    print(f"{len(ids)} univariable ids (hetpen and wald_ratio excluded), 47 instruments; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sim47.csv"
        write_input(data)
        for convention in ("twosamplemr", "mendelianrandomization"):
            base = [*MRKIT, "estimate", str(data), "--convention", convention]
            wall0, cpu0 = best([*base, "--methods", "ivw"])
            wall, cpu = best([*base, "--methods", ",".join(ids)])
            print(f"{convention:24s} baseline (ivw) wall {wall0:.2f} s cpu {cpu0:.2f} s | all ids wall {wall:.2f} s "
                  f"cpu {cpu:.2f} s ({wall / wall0:.1f} x / {cpu / cpu0:.1f} x the baseline)")
    print(f"mode density step, 10,000 rows x 2 weight sets: {density_step() * 1e3:.0f} ms CPU; load average "
          f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
