"""Throughput and memory of ``mrkit scan``: pairs per second serially and on LocalClusters of 1 and 2 workers,
the peak memory of a worker reading a 16-million-row file, and a cost model for N machines.

Part 1 scans a synthetic phenome (the panel's 6 traits against ``--traits`` phenome traits, cached in
``benchmarks/results/``) three ways: the serial loop in this process, then a LocalCluster of 1 and of 2 worker
processes; it checks that the three tables are identical and prints pairs per second (wall, and CPU of all
processes: the machine is shared, so wall times are disturbed by other work), with the scaling as ratios to
the serial loop measured in the same run. Part 2 scans a FinnGen-sized file (16.4 M rows, made by
``bench_read.py``'s generator) as an exposure (p <= 5e-8) and as an outcome (lookup of its instruments) on a
fresh 1-worker LocalCluster and reports the worker's peak RSS. Part 3 fits the cost model. Run from the
project root:

    .venv/bin/python benchmarks/bench_scan.py [--traits 40] [--rows 16380287] [--skip-big]

Nothing is asserted; the numbers go in the issue's note.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _worker_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _worker_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def scan_once(manifest, out: Path, workers: int) -> dict:
    """One scan into a fresh folder; wall and CPU (this process plus every worker) of the scan alone."""
    import shutil

    from mrkit.scan.cluster import dask_client
    from mrkit.scan.engine import run_scan

    shutil.rmtree(out, ignore_errors=True)
    if workers == 0:
        c0, w0 = cpu_self(), time.perf_counter()
        report = run_scan(manifest, out, progress=False)
        return {"mode": "serial", "wall": time.perf_counter() - w0, "cpu": cpu_self() - c0, "start": 0.0,
                "table": pd.read_parquet(report.table), "pairs": report.n_pairs}
    s0 = time.perf_counter()
    with dask_client(n_workers=workers) as client:
        client.wait_for_workers(workers)
        start = time.perf_counter() - s0
        before = client.run(_worker_cpu)
        c0, w0 = cpu_self(), time.perf_counter()
        report = run_scan(manifest, out, client=client, progress=False)
        wall = time.perf_counter() - w0
        after = client.run(_worker_cpu)
        cpu = cpu_self() - c0 + sum(after[w] - before.get(w, 0.0) for w in after)
    return {"mode": f"{workers} worker{'s' if workers > 1 else ''}", "wall": wall, "cpu": cpu, "start": start,
            "table": pd.read_parquet(report.table), "pairs": report.n_pairs}


def throughput(n_traits: int) -> dict:
    from mrkit.scan.manifest import load_manifest
    from mrkit.simulate.phenome import MANIFEST_FILE, ensure_phenome

    folder = ensure_phenome(n_traits, max(1, n_traits // 5), out_dir=RESULTS / f"phenome-{n_traits}")
    manifest = load_manifest(folder / MANIFEST_FILE)
    runs = [scan_once(manifest, RESULTS / f"scan-{w}", w) for w in (0, 1, 2)]
    same = all(r["table"].equals(runs[0]["table"]) for r in runs[1:])
    base = runs[0]
    print(f"phenome scan: {len(manifest.exposures)} exposures x {len(manifest.outcomes)} outcomes = {base['pairs']} "
          f"pairs, {len(manifest.exposures) + len(manifest.outcomes)} files; identical tables: {same}")
    print(f"{'mode':10s} {'wall s':>8s} {'CPU s':>8s} {'pairs/s wall':>13s} {'pairs/CPU-s':>12s} "
          f"{'wall ratio':>11s} {'cluster start s':>16s}")
    for r in runs:
        print(f"{r['mode']:10s} {r['wall']:8.1f} {r['cpu']:8.1f} {r['pairs'] / r['wall']:13.2f} "
              f"{r['pairs'] / r['cpu']:12.2f} {base['wall'] / r['wall']:10.2f}x {r['start']:16.1f}")
    return {"runs": runs, "manifest": manifest, "same": same}


def memory(rows: int) -> dict:
    from bench_read import FINNGEN_R5_LBP_VARIANTS, generate

    from mrkit.scan.cluster import dask_client
    from mrkit.scan.engine import run_scan
    from mrkit.scan.manifest import parse_manifest

    rows = rows or FINNGEN_R5_LBP_VARIANTS
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"finngen_like_{rows}.tsv.gz"
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, rows)
        print(f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s")
    text = (f'[settings]\nmethods = ["ivw"]\n[[exposure]]\nid = "big_exposure"\nfile = "{path}"\nn = 177860\n'
            f'[[outcome]]\nid = "big_outcome"\nfile = "{path}"\nn = 177860\n')
    manifest = parse_manifest(text, RESULTS / "big.toml")
    import shutil

    out = RESULTS / "scan-big"
    shutil.rmtree(out, ignore_errors=True)
    with dask_client(n_workers=1, memory_limit="4GiB") as client:
        client.wait_for_workers(1)
        idle = client.run(_worker_rss_mb)
        before = client.run(_worker_cpu)
        w0 = time.perf_counter()
        report = run_scan(manifest, out, client=client, progress=False)
        wall = time.perf_counter() - w0
        peak = client.run(_worker_peak_mb)
        cpu = {w: v - before[w] for w, v in client.run(_worker_cpu).items()}
    table = pd.read_parquet(report.table)
    nsnp = int(table["nsnp"].iloc[0]) if table["status"].iloc[0] == "ok" else 0
    (worker,) = peak
    print(f"16M-row file ({rows:,} rows, {path.stat().st_size / 1e6:.0f} MB bgzip) read twice inside one worker "
          f"(instruments at p <= 5e-8, then the lookup of its {nsnp} instruments): {wall:.1f} s wall, "
          f"{cpu[worker]:.1f} s CPU; worker RSS idle {idle[worker]:.0f} MB, peak {peak[worker]:.0f} MB")
    return {"rows": rows, "wall": wall, "cpu": cpu[worker], "peak_mb": peak[worker], "idle_mb": idle[worker],
            "read_cpu_per_mrow": cpu[worker] / (2 * rows / 1e6)}


def cost_model(tp: dict, mem: dict | None) -> None:
    """T(N machines of c workers) ~ start + (F t_file + P t_pair) / (N c e), from the measured constants."""
    serial, two = tp["runs"][0], tp["runs"][2]
    m = tp["manifest"]
    # separate file and pair costs with the serial run's timings of each kind of task
    from mrkit.scan.tasks import estimate_pair, exposure_instruments, outcome_lookup

    outcome = next(iter(m.outcomes.values()))
    inst = {e: exposure_instruments(s, m.settings, m.exposure_threshold(e)) for e, s in m.exposures.items()}
    t0 = time.process_time()
    rows = outcome_lookup(outcome, *inst.values())
    t_lookup = time.process_time() - t0
    t0 = time.process_time()
    for e in m.exposures:
        from mrkit.scan.manifest import Pair

        estimate_pair(Pair(e, outcome.id), m.settings, inst[e], rows)
    t_pair = (time.process_time() - t0) / len(m.exposures)
    eff = (serial["cpu"] / two["cpu"]) if two["cpu"] else float("nan")
    print(f"constants (CPU s): outcome lookup of a 20,000-row file {t_lookup:.3f}; one pair (harmonise + "
          f"{len(m.settings.methods)} methods) {t_pair:.3f}; serial CPU / 2-worker CPU = {eff:.2f} "
          f"(the Dask overhead); LocalCluster start {two['start']:.1f} s wall")
    if mem:
        per_mrow = mem["read_cpu_per_mrow"]
        print(f"a FinnGen-sized file costs {per_mrow:.2f} CPU s per million rows read ({16.38 * per_mrow:.0f} s "
              f"per 16.4 M-row file), and its worker peaks at {mem['peak_mb']:.0f} MB")
        t_file = 16.38 * per_mrow
    else:
        t_file = t_lookup
    print("model: T(N) = start + (E t_file + O t_file + E*O t_pair) / (N c e);  e = serial CPU / Dask CPU")
    for n_out, label in ((2_000, "2,000 FinnGen-sized endpoints x 6 exposures"),):
        work = (6 + n_out) * t_file + 6 * n_out * t_pair
        for n_machines, cores in ((1, 2), (10, 16), (50, 32)):
            hours = work / (n_machines * cores * eff) / 3600
            print(f"  {label}: {n_machines} machine(s) x {cores} workers: {hours:.2f} h "
                  f"(reading {100 * (6 + n_out) * t_file / work:.0f} % of the work)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traits", type=int, default=40)
    parser.add_argument("--rows", type=int, default=0, help="rows of the big file (default: FinnGen R5 LBP's)")
    parser.add_argument("--skip-big", action="store_true", help="skip the 16M-row memory part")
    args = parser.parse_args()
    os.chdir(HERE.parent)
    RESULTS.mkdir(exist_ok=True)
    tp = throughput(args.traits)
    mem = None if args.skip_big else memory(args.rows)
    cost_model(tp, mem)


if __name__ == "__main__":
    main()
