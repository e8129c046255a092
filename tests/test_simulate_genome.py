"""The synthetic genome and its LD model: haplotypes and summary-statistic noise follow the planned R."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mrkit.simulate.build import select_variants, stream
from mrkit.simulate.calibration import load_calibration
from mrkit.simulate.genome import ar1_noise, feasible_r, make_genome
from mrkit.simulate.panel import haplotypes
from mrkit.simulate.sumstats import expected_z, plant_effects, standard_error

SEED = 20240611


@pytest.fixture(scope="module")
def cal():
    return load_calibration()


@pytest.fixture(scope="module")
def genome(cal):
    return make_genome(cal, 60_000, stream(SEED, "genome"))


def test_positions_alleles_and_frequencies_are_realistic(cal, genome):
    assert len(genome) == 60_000
    assert set(np.unique(genome.chrom)) == set(range(1, 23))
    key = genome.chrom.astype(np.int64) * 10 ** 10 + genome.pos
    assert np.all(np.diff(key) > 0)  # sorted and unique
    lengths = np.asarray(cal.chromosome_lengths)
    assert np.all((genome.pos >= 1) & (genome.pos < lengths[genome.chrom - 1]))
    assert np.all(genome.ref != genome.alt)
    assert 0.13 < genome.palindromic.mean() < 0.17  # calibration: 15 % A/T or G/C
    assert genome.maf.min() >= cal.maf_min and genome.maf.max() <= 0.5
    assert 0.45 < np.mean(genome.alt_freq < 0.5) < 0.55  # either allele is ALT
    # LD blocks are contiguous runs within one chromosome, about n_ld_blocks of them
    assert np.all(np.diff(genome.block) >= 0)
    starts = np.flatnonzero(np.diff(genome.block)) + 1
    assert np.all(genome.chrom[starts - 1] <= genome.chrom[starts])
    assert 0.9 * cal.n_ld_blocks < genome.block.max() + 1 <= cal.n_ld_blocks + 22


def test_planned_ld_is_a_product_of_adjacent_correlations_and_zero_across_blocks(genome):
    i = np.arange(1000, 1200)
    adjacent = genome.adjacent_ld(np.arange(len(genome)))
    same = genome.block[i] == genome.block[i + 3]
    product = adjacent[i + 1] * adjacent[i + 2] * adjacent[i + 3]
    assert np.allclose(genome.planned_ld(i, i + 3)[same], product[same], atol=1e-12)
    assert np.all(genome.planned_ld(i, i + 3)[~same] == 0)
    assert np.all(genome.planned_ld(i, i) == 1)
    # LD decays with distance (below exp(-d / L) where the allele frequencies bound r)
    d = np.diff(genome.pos).astype(float)
    inside = np.diff(genome.block) == 0
    r = np.abs(adjacent[1:])
    assert np.all(r[inside] <= np.exp(-d[inside] / 30e3) * (1 + 1e-9))
    medians = [np.median(r[inside & (d >= lo) & (d < hi)]) for lo, hi in ((0, 2e3), (20e3, 50e3), (1e5, 1e6))]
    assert medians[0] > 0.4 > medians[1] > medians[2] and medians[2] < 0.05


def test_feasible_r_respects_binary_bounds():
    p_prev = np.array([0.05, 0.4, 0.5, 0.3, 0.3])
    p = np.array([0.4, 0.05, 0.5, 0.3, 0.3])
    r = feasible_r(np.array([0.9, -0.9, -0.9, 0.9, -0.9]), p_prev, p)
    # max r between frequencies 0.05 and 0.4 is sqrt(0.05 * 0.6 / (0.4 * 0.95)); min r at equal
    # frequencies p is -p / (1 - p) (both ALT alleles can never be on one haplotype more rarely)
    assert r[0] == pytest.approx(np.sqrt(0.05 * 0.6 / (0.4 * 0.95)))
    assert abs(r[1]) < 0.9
    assert r[2] == pytest.approx(-0.9) and r[3] == pytest.approx(0.9)
    assert r[4] == pytest.approx(-0.3 / 0.7)


def test_markov_haplotypes_reproduce_frequencies_and_planned_ld(genome):
    """20,000 haplotypes: r between neighbours and at lag 3 within ~5 SE of the plan."""
    idx = np.flatnonzero(genome.chrom == 22)[:1500]
    n_hap = 20_000
    h = haplotypes(genome, idx, n_hap, np.random.default_rng(1)).astype(np.float64)
    freq = h.mean(axis=1)
    p = genome.alt_freq[idx]
    assert np.max(np.abs(freq - p) / np.sqrt(p * (1 - p) / n_hap)) < 5
    z = (h - freq[:, None]) / h.std(axis=1, keepdims=True)
    for lag in (1, 3):
        r_hat = np.mean(z[:-lag] * z[lag:], axis=1)
        planned = genome.planned_ld(idx[:-lag], idx[lag:])
        assert np.max(np.abs(r_hat - planned)) < 5 / np.sqrt(n_hap) * 1.5
        assert abs(np.mean(r_hat - planned)) < 0.5 / np.sqrt(n_hap) * 3


def test_ar1_noise_has_the_planned_correlation(genome):
    idx = np.flatnonzero(genome.chrom == 21)[:400]
    e = ar1_noise(genome.adjacent_ld(idx), genome.block[idx], 20_000, np.random.default_rng(2))
    assert np.allclose(e.std(axis=1), 1, atol=0.03)
    for lag in (1, 4):
        r_hat = np.mean(e[:-lag] * e[lag:], axis=1)
        assert np.max(np.abs(r_hat - genome.planned_ld(idx[:-lag], idx[lag:]))) < 0.035


def test_expected_z_spreads_causal_signal_through_ld_only(cal, genome):
    truth = plant_effects(cal, genome, stream(SEED, "effects"))
    idx = select_variants(cal, genome, truth, "small", stream(SEED, "subset"))
    assert np.isin(truth.variants, idx).all()
    mean = expected_z(cal, genome, idx, truth)
    j = list(truth.traits).index("insomnia")
    causal_blocks = np.unique(genome.block[truth.variants[truth.total[:, j] != 0]])
    outside = ~np.isin(genome.block[idx], causal_blocks)
    assert np.all(mean[outside, j] == 0)
    at = np.searchsorted(idx, truth.variants)
    f = truth.gwas_freq[truth.variants, j]
    t = cal.traits["insomnia"]
    z_joint = truth.total[:, j] * np.sqrt(2 * f * (1 - f) * t.n) / t.sd_effective
    # one causal variant per block: the expected z at a causal variant is its joint z
    assert np.allclose(mean[at, j], z_joint)


def test_bidirectional_total_effects_keep_the_causal_ratio(cal, genome):
    truth = plant_effects(cal, genome, stream(SEED, "effects"))
    traits = list(truth.traits)
    ins, lbp = traits.index("insomnia"), traits.index("lbp")
    only = (truth.owner == ins) & (truth.role == "causal")
    assert np.allclose(truth.total[only, lbp] / truth.total[only, ins], np.log(1.954))
    only = (truth.owner == lbp) & (truth.role == "causal")
    assert np.allclose(truth.total[only, ins] / truth.total[only, lbp], np.log(1.015))
    assert (truth.role == "outlier").sum() == 1
    pleio = (truth.owner != lbp) & (truth.role == "pleiotropic")
    assert pleio.sum() >= 5 and np.all(truth.direct[pleio, lbp] != 0)


def _outlier_deviation(cal, genome, seed):
    """(ratio - causal effect) of the outlier, and its direct effect on LBP in LBP standard errors."""
    truth = plant_effects(cal, genome, stream(seed, "effects"))
    traits = list(truth.traits)
    ins, lbp = traits.index("insomnia"), traits.index("lbp")
    k = np.flatnonzero(truth.role == "outlier")[0]
    se = standard_error(cal, "lbp", truth.gwas_freq[truth.variants[k], lbp])
    return truth.total[k, lbp] / truth.total[k, ins] - np.log(1.954), truth.direct[k, lbp] / se


def test_outlier_is_six_standard_errors_with_a_sign_drawn_from_the_seed(cal, genome):
    # calibration.toml: direct_se = 6, sign = "random" (a fair coin from the effects stream), so the
    # outlier adds no bias over seeds; "against" / "along" fix the sign.
    assert cal.outlier["sign"] == "random"
    found = [_outlier_deviation(cal, genome, seed) for seed in range(1, 13)]
    assert all(abs(abs(z) - 6.0) < 1e-9 for _, z in found)
    signs = {np.sign(dev) for dev, _ in found}
    assert signs == {-1.0, 1.0}  # both orientations occur (P = 1 - 2 * 0.5**12 that they do)
    for fixed, sign in (("against", -1.0), ("along", 1.0)):
        other = dataclasses.replace(cal, outlier={**cal.outlier, "sign": fixed})
        assert all(np.sign(_outlier_deviation(other, genome, seed)[0]) == sign for seed in range(1, 5))


def test_pleiotropy_comes_in_balanced_pairs_of_like_strength(cal, genome):
    # pairs = true: +d / -d on two variants of neighbouring exposure strength, oriented so that their
    # ratio deviations cancel; the mean pleiotropic deviation of every trait is exactly zero.
    assert cal.pleiotropy_pairs
    truth = plant_effects(cal, genome, stream(SEED, "effects"))
    traits = list(truth.traits)
    lbp = traits.index("lbp")
    freq = genome.alt_freq[truth.variants]
    for j, key in enumerate(traits):
        rows = np.flatnonzero((truth.owner == j) & (truth.role == "pleiotropic"))
        assert rows.size % 2 == 0 and rows.size >= 2
        for o in ([lbp] if j != lbp else [i for i in range(len(traits)) if i != lbp]):
            se = standard_error(cal, traits[o], truth.gwas_freq[truth.variants[rows], o])
            deviation = truth.direct[rows, o] * np.sign(truth.direct[rows, j]) / se  # in outcome SEs
            assert np.sort(deviation) == pytest.approx(-np.sort(deviation)[::-1])  # symmetric: +d, -d
            assert abs(deviation.sum()) < 1e-9 and np.all(deviation != 0)
        # partners (same |d|) are neighbours in the trait's ranking of variants by joint |z|
        candidates = np.flatnonzero((truth.owner == j) & (truth.role != "outlier"))
        strength = np.abs(truth.direct[candidates, j]) * np.sqrt(2 * freq[candidates] * (1 - freq[candidates]))
        # the planted magnitudes are symmetric normal quantiles, so |z| comes in tied twos: dense ranks
        _, dense = np.unique(np.round(strength, 9), return_inverse=True)
        rank = dict(zip(candidates.tolist(), dense.tolist()))
        o = lbp if j != lbp else traits.index("insomnia")
        size = np.round(np.abs(truth.direct[rows, o]
                               / standard_error(cal, traits[o], truth.gwas_freq[truth.variants[rows], o])), 9)
        for d in np.unique(size):
            pair = rows[size == d]
            assert pair.size == 2 and abs(rank[pair[0]] - rank[pair[1]]) <= 1, key
