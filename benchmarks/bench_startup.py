"""Start-up of the command line: ``mrkit --help`` and ``mrkit estimate`` as whole processes.

Targets (issue 14): ``mrkit --help`` within 2.5x of ``python -c "import numpy"`` measured in the same run;
``mrkit estimate`` on the 28-SNP lipids data (``../shared/validation/harmonised/lipids_chd_ldlc.csv``, default
methods plus MR-PRESSO with 3,000 distributions) at least 100x faster than R's MR-PRESSO alone on that input
(63.2 s, measured once with R 4.2.2; R is not available where this runs), i.e. at most 0.632 s.

Each command runs ``--repeat`` times (default 7) in a fresh process, the commands taking turns (so that a change
of load hits them alike); the median wall time and the median CPU time (user + system, from ``os.wait4``) are
printed, with the ratios. ``python -c "import numpy, scipy.special"`` is the floor of ``mrkit estimate``: the
imports it cannot do without (scipy.special's tail probabilities, bit for bit those of scipy.stats). On a machine
shared with other work the wall times are inflated; the CPU times are the process's own, and on an idle core the
wall time of these single-threaded processes is their CPU time plus a few milliseconds. Run from the project
root:

    .venv/bin/python benchmarks/bench_startup.py [--repeat 7]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MRKIT_SHARED", ROOT.parent / "shared"))
R_PRESSO_SECONDS = 63.2  # R MR-PRESSO (NbDistribution = 3000) on the lipids data, from the issue


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(cases: dict[str, list[str]], repeat: int) -> dict[str, dict[str, float]]:
    """Median and minimum wall, median CPU of each case; the cases take turns, after one warm-up run each."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for cmd in cases.values():
        timed(cmd)  # warm the file cache
    for _ in range(repeat):
        for name, cmd in cases.items():
            runs[name].append(timed(cmd))
    return {name: {"wall": statistics.median(w for w, _ in r), "cpu": statistics.median(c for _, c in r),
                   "wall_min": min(w for w, _ in r), "cpu_min": min(c for _, c in r)} for name, r in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    script = Path(sys.executable).parent / "mrkit"
    mrkit = [str(script)] if script.exists() else [sys.executable, "-m", "mrkit.cli"]
    lipids = SHARED / "validation" / "harmonised" / "lipids_chd_ldlc.csv"
    cases = {"python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
             "python -c 'import numpy, scipy.special'": [sys.executable, "-c", "import numpy, scipy.special"],
             "mrkit --help": [*mrkit, "--help"]}
    if lipids.exists():
        cases["mrkit estimate (lipids, PRESSO 3000)"] = [*mrkit, "estimate", str(lipids), "--presso-n", "3000"]
    else:
        print(f"(lipids data not found at {lipids}: set MRKIT_SHARED; estimate not timed)")
    load = os.getloadavg()[0]
    res = measure(cases, args.repeat)
    print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"medians of {args.repeat} runs")
    for name, r in res.items():
        print(f"{name:42s} wall {r['wall']:6.3f} s (min {r['wall_min']:6.3f})   "
              f"CPU {r['cpu']:6.3f} s (min {r['cpu_min']:6.3f})")
    base = res["python -c 'import numpy'"]
    helps = res["mrkit --help"]
    met = "met" if helps["wall"] <= 2.5 * base["wall"] else "NOT met"
    print(f"mrkit --help / import numpy: wall {helps['wall'] / base['wall']:.2f}x, "
          f"CPU {helps['cpu'] / base['cpu']:.2f}x   (target <= 2.5x: {met})")
    if "mrkit estimate (lipids, PRESSO 3000)" in res:
        est = res["mrkit estimate (lipids, PRESSO 3000)"]
        floor = res["python -c 'import numpy, scipy.special'"]
        target = R_PRESSO_SECONDS / 100
        print(f"R MR-PRESSO {R_PRESSO_SECONDS} s / mrkit estimate: wall {R_PRESSO_SECONDS / est['wall']:.0f}x, "
              f"CPU {R_PRESSO_SECONDS / est['cpu']:.0f}x   (target >= 100x, i.e. <= {target:.3f} s: "
              f"{'met' if est['wall'] <= target else 'met in CPU time' if est['cpu'] <= target else 'NOT met'})")
        print(f"mrkit estimate / import numpy: wall {est['wall'] / base['wall']:.1f}x, CPU "
              f"{est['cpu'] / base['cpu']:.1f}x; beyond import numpy, scipy.special: "
              f"CPU {est['cpu'] - floor['cpu']:.3f} s")


if __name__ == "__main__":
    main()
