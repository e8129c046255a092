"""Time the numpy clumping engine against PLINK 1.9 on a generated panel (50 000 variants, 500 people).

300 candidate instruments sit in 30 LD blocks spread over the panel (the usual shape: clusters of
significant variants around a few loci). Both engines clump them with the TwoSampleMR defaults
(r2 0.001, 10 000 kb) and with r2 0.1 / 250 kb; the index variants must agree. Run from the project
root:

    .venv/bin/python benchmarks/bench_clump.py

It prints wall times (best of 3) and the ratio numpy / plink; nothing is asserted.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from ld_panel_helpers import blocky_haplotypes, write_panel  # noqa: E402

from mrkit.gwas.clump import clump, plink_binary  # noqa: E402

N_PEOPLE, N_VARIANTS, BLOCK, N_LOCI, PER_LOCUS = 500, 50_000, 20, 30, 10


def make_panel(prefix: Path, seed: int = 20220101) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hap = blocky_haplotypes(rng, 2 * N_PEOPLE, N_VARIANTS, block=BLOCK)
    genotypes = (hap[:N_PEOPLE] + hap[N_PEOPLE:]).astype(np.int8)
    j = np.arange(N_VARIANTS)
    chrom = (1 + j // (N_VARIANTS // 10)).astype(str)  # ten chromosomes
    pos = 10_000 + (j % (N_VARIANTS // 10)) * 2_000
    bim = write_panel(prefix, genotypes, chrom=chrom, pos=pos)
    blocks = rng.choice(N_VARIANTS // BLOCK, N_LOCI, replace=False)
    within = np.argsort(rng.random((N_LOCI, BLOCK)), axis=1)[:, :PER_LOCUS]  # distinct variants per locus
    picked = (blocks[:, None] * BLOCK + within).ravel()
    p = np.ones(N_VARIANTS)
    p[picked] = 10 ** -rng.uniform(8, 40, picked.size)
    return pd.DataFrame({"snp": bim["snp"], "p": p})


def best_of(fn, repeat: int = 3) -> tuple[float, pd.DataFrame]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> int:
    if plink_binary() is None:
        print("plink1.9 not on PATH: nothing to compare against")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "panel"
        start = time.perf_counter()
        sumstats = make_panel(prefix)
        print(f"panel: {N_VARIANTS} variants x {N_PEOPLE} people, {(sumstats['p'] <= 5e-8).sum()} candidates "
              f"(generated in {time.perf_counter() - start:.1f} s)")
        for r2, kb in ((0.001, 10000), (0.1, 250)):
            t_plink, a = best_of(lambda r2=r2, kb=kb: clump(sumstats, prefix, r2=r2, kb=kb, engine="plink"))
            t_numpy, b = best_of(lambda r2=r2, kb=kb: clump(sumstats, prefix, r2=r2, kb=kb, engine="numpy"))
            same = list(a["snp"]) == list(b["snp"])
            print(f"r2 {r2:g}, {kb:g} kb: {len(a)} index variants; plink {t_plink:.3f} s, numpy {t_numpy:.3f} s, "
                  f"ratio numpy/plink {t_numpy / t_plink:.2f}; same selection: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
