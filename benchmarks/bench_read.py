"""Time ``read_sumstats(..., p_max=5e-8)`` against ``pandas.read_csv`` on a FinnGen-sized file.

Generates once (into the data cache, ``<cache>/benchmarks/``, outside the repository; about 8 minutes) a
bgzipped FinnGen R5-format table of 16.4 million rows (the size of finngen_R5_M13_LOWBACKPAIN: 16,380,287
variants) with realistic values: null z-scores plus a few thousand associated variants, MAF-dependent
standard errors, rsids for most rows. Each reader runs in its own process so that its peak RSS is its own:

* ``mrkit``: :func:`mrkit.gwas.io.read_sumstats` (pyarrow's streaming CSV reader, only the needed columns,
  numeric ones parsed as text and cast, the p filter applied batch by batch, gzip inflated by ISA-L in a
  second thread);
* ``polars``: ``polars.scan_csv(...).filter(pval <= p).collect(engine="streaming")``, the lazy scan;
* ``pandas``: ``pandas.read_csv`` of the whole table, then the filter (the baseline of the target);
* ``gzip -dc``: decompression alone, the floor of any reader of this file.

Target (issue 14): mrkit at least 4x faster than pandas, peak memory at most 300 MB. Run from the
project root:

    .venv/bin/python benchmarks/bench_read.py [--rows 16380287] [--methods mrkit,polars,pandas,gzip]

It prints wall and CPU time, peak RSS, rows selected and the ratios; nothing is asserted.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv


def data_folder() -> Path:
    from mrkit.paths import cache_dir

    return cache_dir() / "benchmarks"

FINNGEN_R5_LBP_VARIANTS = 16_380_287  # published-results.md
CHUNK = 1_000_000
P_MAX = 5e-8


def generate(path: Path, rows: int, seed: int = 314159265) -> None:
    """Write the synthetic FinnGen table chunk by chunk (vectorised; never all rows in memory)."""
    from scipy.stats import norm

    from mrkit.gwas.io.columnar import write_bgzip

    rng = np.random.default_rng(seed)
    bounds = np.linspace(0, rows, 24).astype(np.int64)  # chromosomes 1..23 in order

    def chunks():
        header = True
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            index = np.arange(start, start + n)
            chrom = np.searchsorted(bounds, index, side="right")
            pos = 10_000 + (index - bounds[chrom - 1]) * 180 + rng.integers(0, 150, n)
            ref = rng.choice(np.array(["A", "C", "G", "T", "AT", "CAG"]), n, p=[.24, .24, .24, .24, .02, .02])
            alt = rng.choice(np.array(["A", "C", "G", "T"]), n)
            alt = np.where(alt == ref, np.where(ref == "A", "G", "A"), alt)
            af = rng.beta(0.4, 1.2, n) * 0.98 + 0.001
            se = 1.0 / np.sqrt(2 * af * (1 - af) * 177_860 * 0.074 * 0.926)
            z = rng.normal(size=n) + np.where(rng.random(n) < 2e-4, rng.normal(0, 7, n), 0)
            p = 2 * norm.sf(np.abs(z))
            rsid = np.where(rng.random(n) < 0.7, np.char.add("rs", (index + 1).astype(str)), "")
            f32 = lambda x: pa.array(x.astype(np.float32))  # FinnGen prints ~4-6 significant digits
            table = pa.table({
                "#chrom": chrom.astype(str), "pos": pos, "ref": ref, "alt": alt, "rsids": rsid,
                "nearest_genes": np.char.add("GENE", (index // 5000).astype(str)),
                "pval": f32(p), "mlogp": f32(-np.log10(p)), "beta": f32(z * se), "sebeta": f32(se),
                "af_alt": f32(af), "af_alt_cases": f32(af * 1.01), "af_alt_controls": f32(af * 0.999)})
            if header:  # arrow quotes header names whatever the quoting style
                yield ("\t".join(table.column_names) + "\n").encode()
                header = False
            buffer = io.BytesIO()
            pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False, delimiter="\t",
                                                              quoting_style="none"))
            yield buffer.getvalue()

    tmp = path.with_suffix(".part")
    write_bgzip(tmp, chunks(), level=1)  # level 1 to generate fast; decompression speed is similar
    tmp.replace(path)


def run_one(method: str, path: str) -> dict:
    start = time.perf_counter()
    if method == "mrkit":
        from mrkit.gwas.io import read_sumstats

        selected = len(read_sumstats(path, p_max=P_MAX))
    elif method == "polars":
        import polars as pl

        lazy = pl.scan_csv(path, separator="\t").filter(pl.col("pval") <= P_MAX)
        selected = lazy.collect(engine="streaming").height
    else:
        import pandas as pd

        frame = pd.read_csv(path, sep="\t")
        selected = int((frame["pval"] <= P_MAX).sum())
    wall = time.perf_counter() - start
    return {"method": method, "wall_s": wall, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "selected": selected}


def measured(cmd: list[str], stdout=subprocess.PIPE) -> tuple[float, float, float, bytes]:
    """Wall seconds, CPU seconds (user + sys) and peak RSS (MB) of a child process, and its output."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE)
    out = proc.stdout.read() if stdout == subprocess.PIPE else b""
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {err.decode()[-1000:]}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=FINNGEN_R5_LBP_VARIANTS)
    parser.add_argument("--methods", default="mrkit,polars,pandas,gzip")
    parser.add_argument("--run", nargs=2, metavar=("METHOD", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(*args.run)))
        return
    folder = data_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"finngen_like_{args.rows}.tsv.gz"
    if not path.exists():
        start = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.0f} s",
              flush=True)
        # start afresh: a child forked from this (now large) process reports the parent's pages in its peak RSS
        # (gzip -dc showed 921 MB), so the readers are measured from a new, small process
        os.execv(sys.executable, [sys.executable, *sys.argv])
    results = {}
    print(f"{path} ({path.stat().st_size / 1e6:.0f} MB); load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    for method in args.methods.split(","):
        if method == "polars" and importlib.util.find_spec("polars") is None:
            print("polars  not installed (pip install -e '.[bench]'): skipped")
            continue
        if method == "gzip":
            wall, cpu, rss, _ = measured(["gzip", "-dc", str(path)], stdout=subprocess.DEVNULL)
            r = {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss, "selected": None}
        else:
            wall, cpu, rss, out = measured([sys.executable, __file__, "--run", method, str(path)])
            r = {**json.loads(out), "cpu_s": cpu, "peak_rss_mb": rss}
        results[method] = r
        print(f"{method:7s} wall {r['wall_s']:7.1f} s   CPU {r['cpu_s']:7.1f} s   peak RSS "
              f"{r['peak_rss_mb']:7.0f} MB   rows with p <= {P_MAX:g}: {r['selected']}")
    m = results.get("mrkit")
    if m and "pandas" in results:
        p = results["pandas"]
        met = p["wall_s"] / m["wall_s"] >= 4 and m["peak_rss_mb"] <= 300
        print(f"pandas / mrkit: wall {p['wall_s'] / m['wall_s']:.1f}x, CPU {p['cpu_s'] / m['cpu_s']:.1f}x, "
              f"peak RSS {p['peak_rss_mb'] / m['peak_rss_mb']:.1f}x   (target: >= 4x faster, mrkit <= 300 MB: "
              f"{'met' if met else 'NOT met'})")
    if m and "polars" in results:
        q = results["polars"]
        print(f"polars / mrkit: wall {q['wall_s'] / m['wall_s']:.2f}x, peak RSS {q['peak_rss_mb']:.0f} MB vs "
              f"{m['peak_rss_mb']:.0f} MB")
    if m and "gzip" in results:
        g = results["gzip"]
        print(f"mrkit / gzip -dc (the floor): wall {m['wall_s'] / g['wall_s']:.2f}x, "
              f"CPU {m['cpu_s'] / g['cpu_s']:.2f}x")


if __name__ == "__main__":
    main()
