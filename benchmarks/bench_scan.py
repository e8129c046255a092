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
IDLE_SECONDS = 10
sys.path.insert(0, str(HERE))


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _worker_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _worker_peak_mb() -> float:
    """Peak RSS of this process's own address space (Linux VmHWM). Not ru_maxrss: a spawned worker is
    forked from the process that starts the cluster, and ru_maxrss keeps that parent's RSS across exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
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
        cpu = cpu_self() - c0
        return {"mode": "serial", "wall": time.perf_counter() - w0, "cpu": cpu, "start": 0.0, "idle_cpu_per_s": 0.0,
                "net_cpu": cpu, "table": pd.read_parquet(report.table), "pairs": report.n_pairs}
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
        # Dask's background work (heartbeats, memory monitors, event loops) per wall second, measured idle
        c1, w1 = cpu_self() + sum(after.values()), time.perf_counter()
        time.sleep(IDLE_SECONDS)
        idle = (cpu_self() + sum(client.run(_worker_cpu).values()) - c1) / (time.perf_counter() - w1)
    return {"mode": f"{workers} worker{'s' if workers > 1 else ''}", "wall": wall, "cpu": cpu, "start": start,
            "table": pd.read_parquet(report.table), "pairs": report.n_pairs, "idle_cpu_per_s": idle,
            "net_cpu": cpu - idle * wall}


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
    print(f"{'mode':10s} {'wall s':>7s} {'CPU s':>7s} {'idle CPU/s':>10s} {'net CPU s':>9s} {'pairs/s':>8s} "
          f"{'pairs/net-CPU-s':>15s} {'wall ratio':>10s} {'net CPU ratio':>13s} {'start s':>7s}")
    for r in runs:
        print(f"{r['mode']:10s} {r['wall']:7.1f} {r['cpu']:7.1f} {r['idle_cpu_per_s']:10.3f} {r['net_cpu']:9.1f} "
              f"{r['pairs'] / r['wall']:8.2f} {r['pairs'] / r['net_cpu']:15.2f} {base['wall'] / r['wall']:9.2f}x "
              f"{base['net_cpu'] / r['net_cpu']:12.2f}x {r['start']:7.1f}")
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
            "read_cpu_per_mrow": cpu[worker] / (2 * rows / 1e6), "mb": path.stat().st_size / 1e6}


def cost_model(tp: dict, mem: dict | None) -> None:
    """T(N machines x c workers) ~ start + W / (N c),  W = (E + O) t_file + E O t_pair  (CPU seconds)."""
    from mrkit.scan.manifest import Pair
    from mrkit.scan.tasks import estimate_pair, exposure_instruments, outcome_lookup

    m = tp["manifest"]
    two = tp["runs"][2]
    outcome = next(iter(m.outcomes.values()))
    inst = {e: exposure_instruments(s, m.settings, m.exposure_threshold(e)) for e, s in m.exposures.items()}
    t0 = time.process_time()
    rows = outcome_lookup(outcome, *inst.values())
    t_small_file = time.process_time() - t0
    t0 = time.process_time()
    for e in m.exposures:
        estimate_pair(Pair(e, outcome.id), m.settings, inst[e], rows)
    t_pair = (time.process_time() - t0) / len(m.exposures)
    print(f"constants (CPU s, this process): lookup in a 20,000-row file {t_small_file:.3f}; one pair (harmonise + "
          f"{len(m.settings.methods)} methods) {t_pair:.3f}; Dask background {two['idle_cpu_per_s']:.3f} CPU s per "
          f"wall second with 2 workers; LocalCluster start {two['start']:.1f} s wall")
    t_file = 16.38 * mem["read_cpu_per_mrow"] if mem else t_small_file
    if mem:
        print(f"reading costs {mem['read_cpu_per_mrow']:.2f} CPU s per million rows: t_file = {t_file:.1f} s for a "
              f"16.4 M-row FinnGen file ({mem['mb']:.0f} MB, so {mem['mb'] / t_file:.0f} MB/s of compressed input "
              f"per worker); peak RSS of the worker reading it {mem['peak_mb']:.0f} MB")
    print("model: T = start + ((E + O) t_file + E O t_pair) / (N c), while N c x input rate stays below the "
          "file system's bandwidth")
    e, o = 6, 2_000
    work = (e + o) * t_file + e * o * t_pair
    print(f"  {e} exposures x {o:,} FinnGen-sized outcomes: W = {work / 3600:.1f} CPU h, "
          f"{100 * (e + o) * t_file / work:.0f} % of it reading files")
    for n_machines, cores in ((1, 2), (10, 16), (50, 32)):
        seconds = two["start"] + work / (n_machines * cores)
        rate = mem["mb"] / t_file * n_machines * cores if mem else float("nan")
        print(f"  N = {n_machines:3d} machines x c = {cores:2d} workers: {seconds / 3600:6.2f} h "
              f"(needs {rate / 1000:.1f} GB/s of reads)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traits", type=int, default=40)
    parser.add_argument("--rows", type=int, default=0, help="rows of the big file (default: FinnGen R5 LBP's)")
    parser.add_argument("--skip-big", action="store_true", help="skip the 16M-row memory part")
    parser.add_argument("--only-big", action="store_true", help="only the 16M-row memory part")
    args = parser.parse_args()
    os.chdir(HERE.parent)
    RESULTS.mkdir(exist_ok=True)
    mem = None if args.skip_big else memory(args.rows)
    if not args.only_big:
        cost_model(throughput(args.traits), mem)


if __name__ == "__main__":
    main()
