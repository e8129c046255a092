"""LD from PLINK panels: PLINK 1.9's haplotype r^2, dosage r, genotype tables, panel reading, alleles."""
from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest
from ld_panel_helpers import blocky_panel, write_panel

from mrkit.errors import InputError
from mrkit.gwas.clump import plink_binary
from mrkit.gwas.ld import (
    allele_alignment,
    complement,
    dosage_r,
    genotype_counts,
    haplotype_r,
    is_palindromic,
    open_panel,
    standardise,
)

needs_plink = pytest.mark.skipif(plink_binary() is None, reason="plink1.9 not on PATH")


@pytest.fixture(scope="module")
def panel_with_missing(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("ld") / "panel"
    blocky_panel(prefix, seed=11, n=400, m=80, block=10, missing=0.05)
    return prefix


def test_genotype_counts_match_a_crosstab():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, 200).astype(np.int8)
    y = rng.integers(0, 3, (200, 3)).astype(np.int8)
    x[:7] = -127
    y[5:12, 1] = -127
    counts = genotype_counts(x, y)
    for j in range(3):
        ok = (x >= 0) & (y[:, j] >= 0)
        table = pd.crosstab(pd.Categorical(x[ok], [2, 1, 0]), pd.Categorical(y[ok, j], [2, 1, 0]),
                            dropna=False).to_numpy()
        np.testing.assert_array_equal(counts[j].reshape(3, 3), table)


def test_haplotype_r_without_double_heterozygotes_is_the_counted_haplotype_r():
    # With no double heterozygote every haplotype is known, so the ML estimate is the count itself.
    x = np.array([2, 2, 1, 0, 0, 1, 2, 0], dtype=np.int8)
    y = np.array([2, 1, 2, 0, 1, 0, 2, 0], dtype=np.int8)
    assert not ((x == 1) & (y == 1)).any()
    haps = []  # (allele A1 at x, allele A1 at y) for both haplotypes of each person
    for gx, gy in zip(x, y):
        hx = [1] * gx + [0] * (2 - gx)
        hy = [1] * gy + [0] * (2 - gy)
        if gx == 1:  # the het's A1 sits with y's allele that has the larger count (y is homozygous)
            hx = [1, 0]
        if gy == 1:
            hy = [1, 0]
        haps += list(zip(hx, hy))
    h = np.array(haps)
    p11 = np.mean((h[:, 0] == 1) & (h[:, 1] == 1))
    p1, q1 = h[:, 0].mean(), h[:, 1].mean()
    d = p11 - p1 * q1
    expected = d * abs(d) / (p1 * (1 - p1) * q1 * (1 - q1))
    r, r2 = haplotype_r(x, y.reshape(-1, 1))
    assert r2[0] == pytest.approx(expected, rel=1e-12)
    assert r[0] == pytest.approx(np.sign(d) * np.sqrt(abs(expected)), rel=1e-12)


def test_identical_and_mirrored_variants_are_in_perfect_ld_with_the_right_phase():
    rng = np.random.default_rng(1)
    x = rng.binomial(2, 0.3, 300).astype(np.int8)
    r, r2 = haplotype_r(x, np.stack([x, 2 - x], axis=1))
    np.testing.assert_allclose(r, [1.0, -1.0], atol=1e-12)
    np.testing.assert_allclose(r2, [1.0, -1.0], atol=1e-12)  # PLINK's r2 carries the sign of D


def test_monomorphic_pair_cannot_be_phased():
    x = np.full(50, 2, dtype=np.int8)
    y = np.random.default_rng(2).integers(0, 3, 50).astype(np.int8)
    r, r2 = haplotype_r(x, y.reshape(-1, 1))
    assert np.isnan(r2[0]) or r2[0] == 0.0  # never passes an r^2 threshold


@needs_plink
def test_haplotype_r2_reproduces_plink_r2_dprime_with_missing_calls(panel_with_missing, tmp_path):
    # plink's --r2 dprime uses the same two-locus ML haplotype frequencies as --clump
    out = tmp_path / "ld"
    subprocess.run([plink_binary(), "--bfile", str(panel_with_missing), "--r2", "dprime", "--ld-window", "100000",
                    "--ld-window-kb", "100000", "--ld-window-r2", "0", "--threads", "1", "--out", str(out)],
                   check=True, capture_output=True)
    ld = pd.read_csv(str(out) + ".ld", sep=r"\s+")
    assert len(ld) > 300
    panel = open_panel(panel_with_missing)
    g = panel.genotypes(np.arange(panel.n_variants))
    a, b = panel.locate(ld["SNP_A"]), panel.locate(ld["SNP_B"])
    mine = np.empty(len(ld))
    for i in np.unique(a):
        sel = a == i
        mine[sel] = np.abs(haplotype_r(g[:, i], g[:, b[sel]])[1])
    # plink prints 6 significant digits
    np.testing.assert_allclose(mine, ld["R2"], rtol=5e-6, atol=1e-12)


@needs_plink
def test_dosage_r_reproduces_plink_r_with_missing_calls(panel_with_missing, tmp_path):
    out = tmp_path / "r"
    # --keep-allele-order: otherwise plink re-codes A1 as the minor allele and flips the sign of r
    subprocess.run([plink_binary(), "--bfile", str(panel_with_missing), "--r", "--keep-allele-order",
                    "--ld-window", "100000",
                    "--ld-window-kb", "100000", "--ld-window-r2", "0", "--threads", "1", "--out", str(out)],
                   check=True, capture_output=True)
    ld = pd.read_csv(str(out) + ".ld", sep=r"\s+")
    panel = open_panel(panel_with_missing)
    g = panel.genotypes(np.arange(panel.n_variants))
    a, b = panel.locate(ld["SNP_A"]), panel.locate(ld["SNP_B"])
    mine = np.concatenate([dosage_r(g[:, i], g[:, b[a == i]]) for i in np.unique(a)])
    order = np.concatenate([np.flatnonzero(a == i) for i in np.unique(a)])
    np.testing.assert_allclose(mine, ld["R"].to_numpy()[order], rtol=5e-6, atol=2e-6)


def test_dosage_r_is_pairwise_complete_pearson():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, 100).astype(np.int8)
    y = np.stack([x, rng.integers(0, 3, 100)], axis=1).astype(np.int8)
    y[:10, 0] = 0
    x[90:] = -127
    y[50:55, 1] = -127
    got = dosage_r(x, y)
    for j in range(2):
        ok = (x >= 0) & (y[:, j] >= 0)
        assert got[j] == pytest.approx(np.corrcoef(x[ok], y[ok, j])[0, 1], rel=1e-12)


def test_standardise_zeroes_missing_and_scales_to_unit_variance():
    g = np.array([[0, 2], [1, -127], [2, 0], [1, 1]], dtype=np.int8)
    z, called = standardise(g)
    assert called[1, 1] == 0 and z[1, 1] == 0
    for j in range(2):
        ok = called[:, j] > 0
        assert z[ok, j].mean() == pytest.approx(0, abs=1e-6)
        assert (z[ok, j] ** 2).mean() == pytest.approx(1, rel=1e-6)


def test_panel_reads_only_founders_and_requested_columns(tmp_path):
    g = np.array([[0, 1, 2], [1, 1, 0], [2, 0, np.nan], [0, 2, 1]], dtype=float)
    founders = np.array([True, True, True, False])
    bim = write_panel(tmp_path / "p", g, founders=founders)
    panel = open_panel(tmp_path / "p.bed")
    assert panel.n_founders == 3 and panel.n_samples == 4
    np.testing.assert_array_equal(panel.locate([bim.snp[2], "nope", bim.snp[0]]), [2, -1, 0])
    got = panel.genotypes(np.array([2, 0, 2]))
    np.testing.assert_array_equal(got, np.array([[2, 0, 2], [0, 1, 0], [-127, 2, -127]], dtype=np.int8))


def test_panel_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        open_panel(tmp_path / "missing")
    write_panel(tmp_path / "d", np.zeros((3, 2)), ids=["x", "x"])
    panel = open_panel(tmp_path / "d")
    with pytest.raises(InputError, match=r"d\.bim, line 2.*more than once"):
        panel.locate(["x"])
    (tmp_path / "d.bim").write_text("1 x 0 1000 A\n")
    with pytest.raises(InputError, match=r"d\.bim, line 1.*6 whitespace-separated columns"):
        open_panel(tmp_path / "d")


@pytest.mark.parametrize("effect, other, a1, a2, sign, flipped", [
    ("A", "G", "A", "G", 1, False),
    ("G", "A", "A", "G", -1, False),
    ("T", "C", "A", "G", 1, True),
    ("C", "T", "A", "G", -1, True),
    ("A", "T", "A", "T", 1, False),
    ("T", "A", "A", "T", -1, False),
    ("A", "C", "A", "G", 0, False),
])
def test_allele_alignment(effect, other, a1, a2, sign, flipped):
    got_sign, got_flip = allele_alignment([effect], [other], [a1], [a2])
    assert got_sign[0] == sign and got_flip[0] == flipped


def test_complement_and_palindromes():
    assert list(complement(["A", "ACGT", "C"])) == ["T", "TGCA", "G"]
    np.testing.assert_array_equal(is_palindromic(["A", "G", "A", "C"], ["T", "C", "G", "A"]),
                                  [True, True, False, False])
