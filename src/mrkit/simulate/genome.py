"""The synthetic genome: variant positions, alleles, frequencies and planned LD.

LD model (the "planned" correlation every test compares with). Along each LD block the ALT-allele
indicator of a haplotype is a first-order binary Markov chain: between neighbours ``l-1, l`` the
haplotype correlation is ``r_l = o_{l-1} o_l exp(-d_l / L)`` (``d_l`` the distance, ``L`` the decay
length, ``o = +-1`` whether ALT lies on the block's "reference" haplotype), clipped to what the two
allele frequencies allow. For a binary Markov chain E[h_l | h_{l-1}] is linear, so correlations
multiply exactly: the planned correlation between variants i < k of one block is

    R_ik = prod_{l=i+1..k} r_l = o_i o_k exp(C_k - C_i),   C_k = sum_{l <= k} log |r_l / (o_{l-1} o_l)|,

and 0 between blocks. Genotypes are sums of two independent haplotypes, so genotype (dosage)
correlation equals haplotype correlation. The same R drives the summary-statistic noise. A
simplification of real haplotypes: a rare variant between two common ones shortens their LD.

References
----------
Berisa T, Pickrell JK (2016) Approximately independent linkage disequilibrium blocks in human
populations. Bioinformatics 32:283-285.
Hill WG, Robertson A (1968) Linkage disequilibrium in finite populations. Theor Appl Genet 38:226-231
(bounds of r for given allele frequencies).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calibration import Calibration

BASES = np.array(list("ACGT"))
#: (ref, alt) index pairs into BASES by class
TRANSITIONS = np.array([[0, 2], [2, 0], [1, 3], [3, 1]])
TRANSVERSIONS = np.array([[0, 1], [1, 0], [2, 3], [3, 2]])  # A/C, C/A, G/T, T/G
PALINDROMES = np.array([[0, 3], [3, 0], [1, 2], [2, 1]])  # A/T, T/A, C/G, G/C
#: smallest |r| kept, so that log|r| stays finite
MIN_ABS_R = 1e-300


@dataclass(frozen=True)
class Genome:
    """Variants sorted by (chromosome, position); arrays of equal length."""

    chrom: np.ndarray  # int8, 1..22
    pos: np.ndarray  # int64
    ref: np.ndarray  # '<U1'
    alt: np.ndarray  # '<U1'
    alt_freq: np.ndarray  # float64, ALT frequency in the (UK) reference population
    block: np.ndarray  # int64 global LD block id, nondecreasing
    orient: np.ndarray  # int8 +-1
    log_r_cum: np.ndarray  # float64, C_k above (cumulative over the whole genome; differences matter)

    def __len__(self) -> int:
        return int(self.pos.size)

    @property
    def maf(self) -> np.ndarray:
        return np.minimum(self.alt_freq, 1.0 - self.alt_freq)

    @property
    def palindromic(self) -> np.ndarray:
        pair = np.char.add(self.ref, self.alt)
        return np.isin(pair, ["AT", "TA", "CG", "GC"])

    def variant_ids(self, idx: np.ndarray | None = None) -> np.ndarray:
        """``chrom:pos:ref:alt`` ids (the ids of every file of the panel)."""
        idx = np.arange(len(self)) if idx is None else np.asarray(idx)
        return np.array([f"{c}:{p}:{r}:{a}" for c, p, r, a in zip(self.chrom[idx].tolist(), self.pos[idx].tolist(),
                                                                   self.ref[idx].tolist(), self.alt[idx].tolist())],
                        dtype=object)

    def planned_ld(self, i: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Planned dosage correlation R_ik between variants i and k (element-wise index arrays)."""
        i, k = np.asarray(i), np.asarray(k)
        same = self.block[i] == self.block[k]
        r = self.orient[i] * self.orient[k] * np.exp(-np.abs(self.log_r_cum[k] - self.log_r_cum[i]))
        return np.where(same, r, 0.0)

    def adjacent_ld(self, idx: np.ndarray) -> np.ndarray:
        """Correlation of each variant of the sorted subset ``idx`` with the previous one (0 at block starts)."""
        idx = np.asarray(idx)
        out = np.zeros(idx.size)
        if idx.size > 1:
            out[1:] = self.planned_ld(idx[:-1], idx[1:])
        return out


def _positions(length: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n strictly increasing positions in [1, length) with exponential gaps (a Poisson scatter)."""
    cum = np.cumsum(rng.exponential(size=n + 1))
    return 1 + np.floor(cum[:n] / cum[n] * (length - n - 1)).astype(np.int64) + np.arange(n)


def _alleles(n: int, cal: Calibration, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    kind = rng.choice(3, size=n, p=[cal.palindromic_share, cal.transition_share,
                                    1.0 - cal.palindromic_share - cal.transition_share])
    which = rng.integers(0, 4, size=n)
    pairs = np.where((kind == 0)[:, None], PALINDROMES[which],
                     np.where((kind == 1)[:, None], TRANSITIONS[which], TRANSVERSIONS[which]))
    return BASES[pairs[:, 0]], BASES[pairs[:, 1]]


def feasible_r(target: np.ndarray, p_prev: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Clip haplotype correlations to what two binary variables of frequencies p_prev, p can reach.

    The chain's transition P(h=1 | h_prev) = p + c (h_prev - p_prev), with
    c = r sqrt(p q / (p_prev q_prev)), must be a probability for h_prev = 0 and 1.
    """
    q_prev, q = 1.0 - p_prev, 1.0 - p
    scale = np.sqrt(p * q / (p_prev * q_prev))
    c_max = np.minimum(q / q_prev, p / p_prev)
    c_min = -np.minimum(p / q_prev, q / p_prev)
    return np.clip(target * scale, c_min, c_max) / scale


def make_genome(cal: Calibration, n_variants: int, rng: np.random.Generator) -> Genome:
    """The full synthetic genome of ``n_variants`` variants on 22 autosomes (vectorised per chromosome)."""
    lengths = np.asarray(cal.chromosome_lengths, dtype=np.int64)
    share = lengths / lengths.sum()
    per_chrom = np.floor(share * n_variants).astype(np.int64)
    per_chrom[np.argsort(-(share * n_variants - per_chrom))[: n_variants - per_chrom.sum()]] += 1
    blocks_per_chrom = np.maximum(1, np.round(share * cal.n_ld_blocks).astype(np.int64))
    chrom, pos, block = [], [], []
    first_block = 0
    for c, (length, n, nb) in enumerate(zip(lengths, per_chrom, blocks_per_chrom), start=1):
        p = _positions(int(length), int(n), rng)
        cuts = np.sort(rng.integers(1, int(length), size=int(nb) - 1))
        chrom.append(np.full(n, c, dtype=np.int8))
        pos.append(p)
        block.append(first_block + np.searchsorted(cuts, p, side="right"))
        first_block += int(nb)
    chrom, pos, block = np.concatenate(chrom), np.concatenate(pos), np.concatenate(block)
    block = np.unique(block, return_inverse=True)[1].astype(np.int64)  # renumber: no empty blocks
    n = pos.size
    ref, alt = _alleles(n, cal, rng)
    maf = rng.uniform(cal.maf_min, 0.5, size=n)
    alt_freq = np.where(rng.random(n) < 0.5, maf, 1.0 - maf)
    orient = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    # adjacent correlations, then their cumulative log magnitude
    start = np.ones(n, dtype=bool)
    start[1:] = block[1:] != block[:-1]
    dist = np.full(n, np.inf)  # block starts: no correlation with the previous variant
    dist[1:] = np.where(start[1:], np.inf, (pos[1:] - pos[:-1]).astype(np.float64))
    target = np.exp(-dist / (cal.ld_decay_kb * 1e3))
    signed = np.ones(n)
    signed[1:] = orient[1:] * orient[:-1]
    r = np.zeros(n)
    r[1:] = feasible_r(signed[1:] * target[1:], alt_freq[:-1], alt_freq[1:])
    r[start] = 0.0
    # r_l / (o_{l-1} o_l) >= 0 after clipping (clipping never changes the sign)
    log_abs = np.where(start, 0.0, np.log(np.maximum(np.abs(r), MIN_ABS_R)))
    return Genome(chrom=chrom, pos=pos, ref=ref, alt=alt, alt_freq=alt_freq, block=block, orient=orient,
                  log_r_cum=np.cumsum(log_abs))


def block_ranges(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a nondecreasing block array: (start, stop) of each run, and each element's rank in its run."""
    n = block.size
    change = np.ones(n, dtype=bool)
    change[1:] = block[1:] != block[:-1]
    starts = np.flatnonzero(change)
    stops = np.append(starts[1:], n)
    rank = np.arange(n) - np.repeat(starts, stops - starts)
    return starts, stops, rank


def rank_groups(rank: np.ndarray) -> list[np.ndarray]:
    """Element indices grouped by rank 1, 2, ... (rank 0 = block starts are excluded)."""
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(1, rank.max() + 2) if rank.size else [1])
    return [order[bounds[t]:bounds[t + 1]] for t in range(len(bounds) - 1)]


def ar1_noise(adjacent_r: np.ndarray, block: np.ndarray, n_cols: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with correlation R (product of adjacent correlations within blocks).

    e_l = r_l e_{l-1} + sqrt(1 - r_l^2) w_l, run over blocks in parallel (one step per rank).
    """
    e = rng.standard_normal((adjacent_r.size, n_cols))
    _, _, rank = block_ranges(block)
    innov = np.sqrt(1.0 - adjacent_r ** 2)[:, None]
    r = adjacent_r[:, None]
    for k in rank_groups(rank):
        e[k] = r[k] * e[k - 1] + innov[k] * e[k]
    return e
