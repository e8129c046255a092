"""Reference-panel genotypes drawn with the planned LD, written as PLINK 1 bed/bim/fam.

Haplotypes follow the binary Markov chain of :mod:`mrkit.simulate.genome` (exact frequencies and
exact product-form correlations); each individual carries two independent haplotypes. The chain is
run one rank at a time over every block of a chromosome at once, so the Python loop is over
positions within a block (hundreds), never over variants (hundreds of thousands).

References
----------
Purcell S et al. (2007) PLINK: a tool set for whole-genome association and population-based linkage
analyses. Am J Hum Genet 81:559-575 (bed/bim/fam formats).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .genome import Genome, block_ranges, rank_groups


def haplotypes(genome: Genome, idx: np.ndarray, n_haplotypes: int, rng: np.random.Generator) -> np.ndarray:
    """ALT indicators (len(idx), n_haplotypes) uint8 for the sorted variant subset ``idx``."""
    idx = np.asarray(idx)
    p = genome.alt_freq[idx]
    a = genome.adjacent_ld(idx)
    prev_p = np.empty_like(p)
    prev_p[0] = p[0]
    prev_p[1:] = p[:-1]
    slope = a * np.sqrt(p * (1 - p) / (prev_p * (1 - prev_p)))  # c_l of the transition
    h = np.empty((idx.size, n_haplotypes), dtype=np.uint8)
    starts, _, rank = block_ranges(genome.block[idx])
    h[starts] = rng.random((starts.size, n_haplotypes), dtype=np.float32) < p[starts, None]
    for k in rank_groups(rank):
        prob = p[k, None] + slope[k, None] * (h[k - 1] - prev_p[k, None])
        h[k] = rng.random((k.size, n_haplotypes), dtype=np.float32) < prob
    return h


def genotypes(genome: Genome, idx: np.ndarray, n_individuals: int, rng: np.random.Generator) -> np.ndarray:
    """ALT dosages, shape (n_individuals, len(idx)) int8 (Fortran order, as PLINK stores SNP-major).

    Drawn chromosome by chromosome to bound memory.
    """
    idx = np.asarray(idx)
    out = np.empty((idx.size, n_individuals), dtype=np.int8)
    chrom = genome.chrom[idx]
    bounds = np.flatnonzero(np.diff(chrom)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, idx.size]):
        h = haplotypes(genome, idx[lo:hi], 2 * n_individuals, rng)
        out[lo:hi] = h[:, 0::2] + h[:, 1::2]
    return out.T


def sample_ids(n_individuals: int) -> list[str]:
    """``synth0001`` ... (FID = IID)."""
    width = max(4, len(str(n_individuals)))
    return [f"synth{i:0{width}d}" for i in range(1, n_individuals + 1)]


def write_plink(prefix: Path, genome: Genome, idx: np.ndarray, ids: np.ndarray, dosages: np.ndarray) -> list[Path]:
    """Write ``prefix.bed/.bim/.fam``: bim ids = variant ids, A1 = ALT (counted), A2 = REF, cM 0."""
    from bed_reader import to_bed

    prefix = Path(prefix)
    people = sample_ids(dosages.shape[0])
    n = dosages.shape[0]
    properties = {
        "fid": people, "iid": people, "father": ["0"] * n, "mother": ["0"] * n, "sex": [0] * n,
        "pheno": ["-9"] * n, "chromosome": genome.chrom[idx].astype(str), "sid": np.asarray(ids, dtype=str),
        "cm_position": np.zeros(len(idx)), "bp_position": genome.pos[idx],
        "allele_1": genome.alt[idx], "allele_2": genome.ref[idx],
    }
    bed = prefix.with_suffix(".bed")
    to_bed(bed, dosages, properties=properties, count_A1=True, num_threads=1)
    return [bed, prefix.with_suffix(".bim"), prefix.with_suffix(".fam")]
