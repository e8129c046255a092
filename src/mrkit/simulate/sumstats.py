"""The planted causal model and the GWAS summary statistics drawn from it.

Causal model. Each trait t has ``n_causal`` causal variants (one per LD block) with direct
per-allele effects; traits affect each other through B (``B[outcome, exposure]``, the study's
published estimates), so the total genetic effects are Gamma = D (I - B)^-T and both directions of a
bidirectional pair hold at once (a ratio by/bx of a variant acting only through the exposure equals
the causal effect exactly). Balanced pleiotropy and one outlier add direct effects on the outcome.

Summary statistics are drawn at the summary level, without individuals: within each LD block
z_obs = R z_joint + e, e ~ N(0, R), R the planned LD (Zhu & Stephens 2017), with joint z from the
per-allele effects, the allele frequency and the sample size, and standard errors
se = sd / sqrt(2 f (1-f) N) for linear models and 1 / sqrt(2 f (1-f) N phi (1-phi)) for log odds.

References
----------
Zhu X, Stephens M (2017) Bayesian large-scale multiple regression with summary statistics from
genome-wide association studies. Ann Appl Stat 11:1561-1592 (the RSS likelihood z ~ N(R z_joint, R)).
Hemani G et al. (2017) Orienting the causal relationship between imprecisely measured traits using
GWAS summary data. PLoS Genet 13:e1007081 (bidirectional causal models).
Verbanck M et al. (2018) Detection of widespread horizontal pleiotropy in causal relationships
inferred from Mendelian randomization between complex traits and diseases. Nat Genet 50:693-698.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..methods.distributions import norm_logsf
from .calibration import Calibration, standardized_magnitudes
from .genome import Genome, ar1_noise, block_ranges

LN10 = np.log(10.0)
#: p-values are written no smaller than this (what R and most GWAS software print as the floor)
P_MIN = 1e-300


@dataclass(frozen=True)
class Truth:
    """What was planted: causal variants, their direct and total effects, pleiotropy and the outlier."""

    traits: tuple[str, ...]
    variants: np.ndarray  # genome indices of every causal variant (sorted)
    owner: np.ndarray  # index into traits of the trait each variant is causal for
    role: np.ndarray  # "causal" | "pleiotropic" | "outlier"
    direct: np.ndarray  # (n_variants, n_traits) per-ALT-allele direct effects, trait units
    total: np.ndarray  # Gamma = direct (I - B)^-T
    b_matrix: np.ndarray  # B[outcome, exposure]
    gwas_freq: np.ndarray  # (n_genome, n_traits) ALT frequency in each GWAS population


def standard_error(cal: Calibration, trait: str, freq: np.ndarray) -> np.ndarray:
    """Expected SE of a per-allele effect at ALT frequency ``freq`` in the trait's GWAS."""
    t = cal.traits[trait]
    return t.sd_effective / np.sqrt(2.0 * freq * (1.0 - freq) * t.n)


def gwas_frequencies(cal: Calibration, genome: Genome, rng: np.random.Generator) -> np.ndarray:
    """ALT frequency per trait's population: UK Biobank = reference; FinnGen drifted by F_ST."""
    f = genome.alt_freq
    out = np.repeat(f[:, None], len(cal.trait_order), axis=1)
    if cal.lbp_fst > 0:
        j = cal.trait_order.index("lbp")
        drift = rng.standard_normal(f.size) * np.sqrt(cal.lbp_fst * f * (1 - f))
        out[:, j] = np.clip(f + drift, 0.005, 0.995)
    return out


def _pick_causal(cal: Calibration, genome: Genome, rng: np.random.Generator) -> np.ndarray:
    """One random common variant in each of sum(n_causal) random distinct LD blocks."""
    eligible = np.flatnonzero(genome.maf >= cal.causal_maf_min)
    shuffled = rng.permutation(eligible)
    _, first = np.unique(genome.block[shuffled], return_index=True)
    one_per_block = shuffled[first]
    total = sum(t.n_causal for t in cal.traits.values())
    if total > one_per_block.size:
        raise ValueError(f"{total} causal variants need as many LD blocks; the genome has {one_per_block.size}")
    return rng.permutation(one_per_block)[:total]


def _outlier_slot(genome: Genome, variants: np.ndarray) -> int:
    """Which of the exposure's causal variants becomes the outlier.

    A common (MAF >= 0.1), non-palindromic variant as far as possible from the exposure's other
    causal variants, so that LD clumping (10 Mb windows, r2 0.001, panel r2 noise ~1/n) keeps it.
    """
    chrom, pos = genome.chrom[variants].astype(np.int64), genome.pos[variants].astype(np.float64)
    same = chrom[:, None] == chrom[None, :]
    dist = np.where(same, np.abs(pos[:, None] - pos[None, :]), np.inf)
    np.fill_diagonal(dist, np.inf)
    nearest = dist.min(axis=1)
    ok = (genome.maf[variants] >= 0.1) & ~genome.palindromic[variants]
    return int(np.argmax(np.where(ok, nearest, -1.0)))


def _pleiotropic_variants(rows: np.ndarray, strength: np.ndarray, expected: float, pairs: bool,
                          rng: np.random.Generator) -> np.ndarray:
    """Which of a trait's causal variants also act directly on its outcome(s).

    With ``pairs`` the count is even and the variants come in pairs of neighbouring strength (sorted
    by |joint z|), so that opposite effects within a pair cancel in IVW whether or not both are
    selected as instruments together; the pairs are returned consecutively.
    """
    if not pairs:
        return rng.choice(rows, size=max(1, int(round(expected))), replace=False)
    n_pairs = min(max(1, int(round(expected / 2))), rows.size // 2)
    ranked = rows[np.argsort(-strength, kind="stable")]
    # a random block of 2 n_pairs strength ranks would cluster the pairs; instead split the ranking
    # into n_pairs strata and take two neighbours at a random place in each
    edges = np.linspace(0, rows.size, n_pairs + 1).astype(int)
    first = edges[:-1] + (rng.random(n_pairs) * (edges[1:] - edges[:-1] - 1)).astype(int)
    return ranked[np.column_stack([first, first + 1]).ravel()]


def _pleiotropic_effects(n: int, pairs: bool, rng: np.random.Generator) -> np.ndarray:
    """Standard-normal direct effects, or +d, -d within each consecutive pair (mean exactly zero)."""
    if not pairs:
        return rng.standard_normal(n)
    d = np.abs(rng.standard_normal(n // 2)) * np.where(rng.random(n // 2) < 0.5, 1.0, -1.0)
    return np.column_stack([d, -d]).ravel()


def _plant_shared(cal: Calibration, owner: np.ndarray, role: np.ndarray, direct: np.ndarray, f: np.ndarray,
                  strength: np.ndarray, rng: np.random.Generator) -> None:
    """Shared instruments: a share of each listed trait's causal variants also acts on the other listed traits.

    Effect on trait o = +/- ``shared_scale`` x the variant's own standardised effect, in pairs of neighbouring
    strength with opposite signs (so that each trait's univariable estimates stay unbiased); role "shared".
    """
    if not cal.shared_traits or cal.shared_fraction <= 0:
        return
    traits = cal.trait_order
    listed = [traits.index(t) for t in cal.shared_traits]
    het = np.sqrt(2 * f * (1 - f))
    for j in listed:
        rows = np.flatnonzero((owner == j) & (role == "causal"))
        chosen = _pleiotropic_variants(rows, strength[rows, j], cal.shared_fraction * cal.traits[traits[j]].n_causal,
                                       True, rng)
        role[chosen] = "shared"
        own = direct[chosen, j] * het[chosen] / np.sqrt(cal.traits[traits[j]].latent_variance)
        for o in listed:
            if o == j:
                continue
            sign = np.repeat(np.where(rng.random(chosen.size // 2) < 0.5, 1.0, -1.0), 2) * np.tile([1.0, -1.0],
                                                                                                  chosen.size // 2)
            direct[chosen, o] = (sign * cal.shared_scale * own * np.sqrt(cal.traits[traits[o]].latent_variance)
                                 / het[chosen])


def plant_effects(cal: Calibration, genome: Genome, rng: np.random.Generator) -> Truth:
    """Draw the causal variants and their effects (independent of the panel size)."""
    traits = cal.trait_order
    n_t = len(traits)
    gwas_freq = gwas_frequencies(cal, genome, rng)
    picked = _pick_causal(cal, genome, rng)
    owner = np.repeat(np.arange(n_t), [cal.traits[t].n_causal for t in traits])
    role = np.full(picked.size, "causal", dtype=object)
    direct = np.zeros((picked.size, n_t))
    f = genome.alt_freq[picked]
    for j, key in enumerate(traits):
        t = cal.traits[key]
        rows = np.flatnonzero(owner == j)
        b = rng.permutation(standardized_magnitudes(t.n_causal)) * np.sqrt(t.h2_planted / t.n_causal)
        if cal.outlier and key == cal.outlier["exposure"]:
            k = _outlier_slot(genome, picked[rows])
            b[k] = np.sign(b[k]) * cal.outlier["exposure_z"] / np.sqrt(t.n_effective)
            role[rows[k]] = "outlier"
        direct[rows, j] = b * np.sqrt(t.latent_variance) / np.sqrt(2 * f[rows] * (1 - f[rows]))
    # balanced horizontal pleiotropy on the study's outcome(s) of each exposure
    lbp = traits.index("lbp")
    strength = np.abs(direct) * np.sqrt(2 * f * (1 - f))[:, None]  # proportional to each joint |z|
    for j, key in enumerate(traits):
        rows = np.flatnonzero((owner == j) & (role == "causal"))
        chosen = _pleiotropic_variants(rows, strength[rows, j], cal.pleiotropy_fraction * cal.traits[key].n_causal,
                                       cal.pleiotropy_pairs, rng)
        role[chosen] = "pleiotropic"
        for o in ([lbp] if j != lbp else [i for i in range(n_t) if i != lbp]):
            se = standard_error(cal, traits[o], gwas_freq[picked[chosen], o])
            direct[chosen, o] = _pleiotropic_effects(chosen.size, cal.pleiotropy_pairs, rng) * cal.pleiotropy_sd_se * se
            if cal.pleiotropy_pairs:  # orient by the exposure effect, so each pair's ratios deviate +d and -d
                direct[chosen, o] *= np.sign(direct[chosen, j])
    _plant_shared(cal, owner, role, direct, f, strength, rng)
    b_matrix = cal.effect_matrix()
    if cal.outlier:
        # the sign of the outlier's ratio deviation: "along" the causal effect, "against" it, or "random"
        # (drawn from the seed's effects stream)
        k = np.flatnonzero(role == "outlier")[0]
        e, o = traits.index(cal.outlier["exposure"]), traits.index(cal.outlier["outcome"])
        along = np.sign(direct[k, e]) * (np.sign(b_matrix[o, e]) or 1.0)
        sign = {"along": 1.0, "against": -1.0}.get(cal.outlier["sign"])
        if sign is None:
            sign = 1.0 if rng.random() < 0.5 else -1.0
        se_o = standard_error(cal, traits[o], gwas_freq[picked[k], o])
        direct[k, o] = along * sign * abs(cal.outlier["direct_se"]) * se_o
    total = direct @ np.linalg.inv(np.eye(n_t) - b_matrix).T
    order = np.argsort(picked)
    return Truth(traits=traits, variants=picked[order], owner=owner[order], role=role[order],
                 direct=direct[order], total=total[order], b_matrix=b_matrix, gwas_freq=gwas_freq)


@dataclass(frozen=True)
class SummaryStats:
    """Per-trait arrays over the variant subset ``idx`` of the genome."""

    idx: np.ndarray
    beta: np.ndarray  # (n, n_traits)
    se: np.ndarray
    z: np.ndarray
    mean_z: np.ndarray  # R z_joint: the expected z
    p: np.ndarray
    mlog10p: np.ndarray
    eaf: np.ndarray  # reported ALT frequency (with the GWAS's sampling error)


def expected_z(cal: Calibration, genome: Genome, idx: np.ndarray, truth: Truth) -> np.ndarray:
    """R z_joint over the sorted subset ``idx`` (which must contain every causal variant)."""
    idx = np.asarray(idx)
    where = np.searchsorted(idx, truth.variants)
    if np.any(where >= idx.size) or np.any(idx[np.minimum(where, idx.size - 1)] != truth.variants):
        raise ValueError("the variant subset must contain every causal variant")
    n_t = len(truth.traits)
    freq = truth.gwas_freq[truth.variants]
    sd_eff = np.array([cal.traits[t].sd_effective for t in truth.traits])
    n = np.array([cal.traits[t].n for t in truth.traits])
    z_joint = truth.total * np.sqrt(2 * freq * (1 - freq) * n) / sd_eff
    starts, stops, _ = block_ranges(genome.block[idx])
    run = np.searchsorted(starts, where, side="right") - 1
    lengths = stops[run] - starts[run]
    source = np.repeat(np.arange(where.size), lengths)
    offset_in_run = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    target = np.repeat(starts[run], lengths) + offset_in_run
    r = genome.planned_ld(idx[target], truth.variants[source])
    mean = np.zeros((idx.size, n_t))
    for j in range(n_t):
        mean[:, j] = np.bincount(target, weights=r * z_joint[source, j], minlength=idx.size)
    return mean


def draw_sumstats(cal: Calibration, genome: Genome, idx: np.ndarray, truth: Truth,
                  rng: np.random.Generator) -> SummaryStats:
    """Summary statistics of every trait over the sorted subset ``idx``."""
    idx = np.asarray(idx)
    mean = expected_z(cal, genome, idx, truth)
    z = mean + ar1_noise(genome.adjacent_ld(idx), genome.block[idx], len(truth.traits), rng)
    freq = truth.gwas_freq[idx]
    se = np.column_stack([standard_error(cal, t, freq[:, j]) for j, t in enumerate(truth.traits)])
    n = np.array([cal.traits[t].n for t in truth.traits])
    eaf = np.clip(freq + rng.standard_normal(freq.shape) * np.sqrt(freq * (1 - freq) / (2 * n)), 1e-4, 1 - 1e-4)
    logp = np.log(2.0) + norm_logsf(np.abs(z))
    return SummaryStats(idx=idx, beta=z * se, se=se, z=z, mean_z=mean, p=np.maximum(np.exp(logp), P_MIN),
                        mlog10p=-logp / LN10, eaf=eaf)
