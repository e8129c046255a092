"""Small PLINK 1 panels with LD blocks, written with bed-reader, for the LD, clumping and proxy tests.

Haplotypes copy one of a few template haplotypes per block (strong LD inside a block, none between
blocks) with a per-block mutation rate, so r^2 takes every value from ~0 to 1. Seeded, deterministic.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def blocky_haplotypes(rng: np.random.Generator, n_haplotypes: int, n_variants: int, *, block: int = 20,
                      templates: int = 4) -> np.ndarray:
    """(n_haplotypes, n_variants) 0/1 array of A1 alleles with LD inside blocks of ``block`` variants."""
    n_blocks = -(-n_variants // block)
    freqs = rng.uniform(0.05, 0.95, size=(n_blocks, 1, block))
    template = rng.random((n_blocks, templates, block)) < freqs
    pick = rng.integers(0, templates, size=(n_haplotypes, n_blocks))
    hap = template[np.arange(n_blocks)[None, :], pick]  # (n_haplotypes, n_blocks, block)
    mutation = rng.uniform(0.0, 0.25, size=(1, n_blocks, 1))
    hap = hap ^ (rng.random(hap.shape) < mutation)
    return hap.reshape(n_haplotypes, -1)[:, :n_variants].astype(np.int8)


def write_panel(prefix: Path, genotypes: np.ndarray, *, chrom=None, pos=None, ids=None, a1=None, a2=None,
                founders: np.ndarray | None = None) -> pd.DataFrame:
    """Write ``genotypes`` (individuals x variants A1 counts, NaN = missing) as ``prefix.bed/.bim/.fam``.

    Returns the ``.bim`` table written. Non-founders (``founders`` False) get parents iid0/iid1.
    """
    import bed_reader

    n, m = genotypes.shape
    chrom = np.full(m, "1") if chrom is None else np.asarray(chrom, dtype=str)
    pos = (np.arange(m) + 1) * 1000 if pos is None else np.asarray(pos)
    a1 = np.full(m, "A") if a1 is None else np.asarray(a1, dtype=str)
    a2 = np.full(m, "G") if a2 is None else np.asarray(a2, dtype=str)
    ids = [f"{c}:{p}:{r}:{a}" for c, p, r, a in zip(chrom, pos, a2, a1)] if ids is None else list(ids)
    iids = [f"iid{i}" for i in range(n)]
    father = np.full(n, "0", dtype=object)
    mother = np.full(n, "0", dtype=object)
    if founders is not None:
        father[~founders] = "iid0"
        mother[~founders] = "iid1"
    bed_reader.to_bed(Path(str(prefix) + ".bed"), np.asarray(genotypes, dtype=np.float32), properties={
        "fid": iids, "iid": iids, "father": list(father), "mother": list(mother), "sex": [0] * n,
        "chromosome": list(chrom), "sid": ids, "bp_position": list(pos), "allele_1": list(a1),
        "allele_2": list(a2)})
    return pd.DataFrame({"chrom": chrom, "snp": ids, "pos": pos, "a1": a1, "a2": a2})


def blocky_panel(prefix: Path, *, seed: int, n: int = 500, m: int = 300, block: int = 20, gap: int = 60_000,
                 spacing: int = 1_000, missing: float = 0.0, chroms: int = 1) -> pd.DataFrame:
    """A panel of ``m`` variants in LD blocks (``spacing`` bp apart, blocks ``gap`` bp apart)."""
    rng = np.random.default_rng(seed)
    hap = blocky_haplotypes(rng, 2 * n, m, block=block)
    g = (hap[:n] + hap[n:]).astype(np.float32)
    if missing:
        g[rng.random(g.shape) < missing] = np.nan
    j = np.arange(m)
    chrom = (1 + (j * chroms) // m).astype(str)
    within = j - np.searchsorted(j * chroms // m, j * chroms // m)  # index within chromosome
    pos = 10_000 + (within // block) * gap + (within % block) * spacing
    return write_panel(prefix, g, chrom=chrom, pos=pos)
