"""LD clumping: the numpy engine selects exactly what PLINK 1.9 selects, and the edge rules are PLINK's."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ld_panel_helpers import blocky_panel, write_panel

import mrkit.gwas.clump as clump_module
from mrkit.errors import InputError, MRKitError
from mrkit.gwas.clump import PlinkError, clump, plink_binary
from mrkit.gwas.ld import haplotype_r, open_panel

HAVE_PLINK = plink_binary() is not None
needs_plink = pytest.mark.skipif(not HAVE_PLINK, reason="plink1.9 not on PATH")
ENGINES = ["numpy"] + (["plink"] if HAVE_PLINK else [])


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """400 variants in LD blocks on two chromosomes, 500 individuals, 2 % missing calls, tied p-values."""
    prefix = tmp_path_factory.mktemp("clump") / "panel"
    bim = blocky_panel(prefix, seed=3, n=500, m=400, missing=0.02, chroms=2)
    rng = np.random.default_rng(5)
    p = 10 ** -rng.uniform(0, 12, len(bim))
    p[::7] = p[3]
    sumstats = pd.DataFrame({"snp": bim["snp"], "p": p, "beta": rng.normal(size=len(bim))})
    return prefix, sumstats


@pytest.fixture(scope="module")
def strong_ld(tmp_path_factory):
    """Blocks of near-identical variants (r^2 up to 1), so high thresholds also clump."""
    prefix = tmp_path_factory.mktemp("strong") / "panel"
    rng = np.random.default_rng(8)
    base = rng.binomial(1, 0.35, size=(1000, 30))
    hap = np.repeat(base, 10, axis=1) ^ (rng.random((1000, 300)) < rng.uniform(0, 0.1, 300))
    g = (hap[:500] + hap[500:]).astype(float)
    bim = write_panel(prefix, g, pos=10_000 + np.arange(300) * 2_000)
    sumstats = pd.DataFrame({"snp": bim["snp"], "p": 10 ** -rng.uniform(0, 12, 300)})
    return prefix, sumstats


@needs_plink
@pytest.mark.parametrize("r2", [0.001, 0.01, 0.1, 0.5])
@pytest.mark.parametrize("kb", [5, 60, 10000])
def test_numpy_engine_selects_the_same_index_variants_as_plink(generated, r2, kb):
    prefix, sumstats = generated
    by_plink = clump(sumstats, prefix, r2=r2, kb=kb, p1=1e-3, engine="plink")
    by_numpy = clump(sumstats, prefix, r2=r2, kb=kb, p1=1e-3, engine="numpy")
    assert by_plink.attrs["clump"]["engine"] == "plink" and by_numpy.attrs["clump"]["engine"] == "numpy"
    assert 0 < len(by_plink) < (sumstats["p"] <= 1e-3).sum()
    assert list(by_numpy["snp"]) == list(by_plink["snp"])  # same variants, same (p) order


@needs_plink
@pytest.mark.parametrize("r2", [0.2, 0.6, 0.9, 0.95])
def test_engines_agree_at_high_thresholds(strong_ld, r2):
    prefix, sumstats = strong_ld
    by_plink = clump(sumstats, prefix, r2=r2, kb=250, p1=1e-2, p2=1e-2, engine="plink")
    by_numpy = clump(sumstats, prefix, r2=r2, kb=250, p1=1e-2, p2=1e-2, engine="numpy")
    assert list(by_numpy["snp"]) == list(by_plink["snp"])
    members = by_numpy.attrs["clump"]["members"]
    assert members == by_plink.attrs["clump"]["members"]  # SP2: clumped with p < p2, panel order
    assert any(members.values())


@pytest.fixture(scope="module")
def four_variants(tmp_path_factory):
    """v0, v1 identical; v2 identical at 149 999 bp from v0; v3 correlated with v0 (r^2 ~ 0.85)."""
    prefix = tmp_path_factory.mktemp("edge") / "e"
    rng = np.random.default_rng(1)
    x = rng.binomial(2, 0.3, 200).astype(float)
    y = x.copy()
    y[:20] = rng.binomial(2, 0.3, 20)
    bim = write_panel(prefix, np.stack([x, x, x, y], axis=1), pos=[100_000, 150_000, 249_999, 400_000])
    sumstats = pd.DataFrame({"snp": bim["snp"], "p": [1e-10, 1e-9, 1e-9, 1e-8]})
    return prefix, sumstats


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kb, v1_clumped", [(50, False), (49.999, False), (50.001, True)])
def test_window_is_kb_times_1000_minus_one(four_variants, engine, kb, v1_clumped):
    # v1 is exactly 50 000 bp from the index: PLINK's radius for --clump-kb 50 is 49 999 bp
    prefix, sumstats = four_variants
    kept = list(clump(sumstats, prefix, r2=0.5, kb=kb, p1=1.0, engine=engine)["snp"])
    assert (sumstats["snp"][1] not in kept) == v1_clumped


@pytest.mark.parametrize("engine", ENGINES)
def test_clumping_needs_r2_strictly_above_the_threshold(four_variants, engine):
    prefix, sumstats = four_variants
    panel = open_panel(prefix)
    g = panel.genotypes(np.array([0, 3]))
    r2 = float(haplotype_r(g[:, 0], g[:, 1:])[1][0])
    at = clump(sumstats, prefix, r2=r2, kb=1000, p1=1.0, engine=engine)
    below = clump(sumstats, prefix, r2=float(np.nextafter(r2, 0.0)), kb=1000, p1=1.0, engine=engine)
    assert sumstats["snp"][3] in set(at["snp"])
    assert sumstats["snp"][3] not in set(below["snp"])


@pytest.mark.parametrize("engine", ENGINES)
def test_tied_p_values_go_in_panel_order(four_variants, engine):
    prefix, sumstats = four_variants
    tied = pd.DataFrame({"snp": sumstats["snp"][::-1].to_list(), "p": [1e-5] * 4})
    assert list(clump(tied, prefix, r2=0.5, kb=1000, p1=1.0, engine=engine)["snp"]) == [sumstats["snp"][0]]


@pytest.mark.parametrize("engine", ENGINES)
def test_only_founders_count(tmp_path, engine):
    rng = np.random.default_rng(2)
    x = rng.binomial(2, 0.3, 300).astype(float)
    y = rng.binomial(2, 0.4, 300).astype(float)
    founders = np.ones(300, dtype=bool)
    founders[2:150] = False
    y[~founders] = x[~founders]  # the LD is carried by the non-founders only
    bim = write_panel(tmp_path / "nf", np.stack([x, y], axis=1), founders=founders)
    sumstats = pd.DataFrame({"snp": bim["snp"], "p": [1e-10, 1e-9]})
    assert len(clump(sumstats, tmp_path / "nf", r2=0.1, kb=1000, p1=1.0, engine=engine)) == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_absent_variants_are_dropped_and_reported(generated, engine):
    prefix, sumstats = generated
    extra = pd.DataFrame({"snp": ["1:1:A:C", "1:2:A:C"], "p": [1e-30, 0.5], "beta": [0.1, 0.2]})
    out = clump(pd.concat([extra, sumstats], ignore_index=True), prefix, r2=0.01, kb=60, p1=1e-3, engine=engine)
    info = out.attrs["clump"]
    assert info["absent_from_panel"] == ["1:1:A:C"]  # only candidates (p <= p1) are counted
    assert info["candidates"] == 1 + int((sumstats["p"] <= 1e-3).sum())
    assert "1:1:A:C" not in set(out["snp"])
    assert list(out.columns) == ["snp", "p", "beta"]  # the caller's rows, unchanged


@pytest.mark.parametrize("engine", ENGINES)
def test_no_candidates_gives_an_empty_table(generated, engine):
    prefix, sumstats = generated
    out = clump(sumstats, prefix, p1=1e-300, engine=engine)
    assert out.empty and out.attrs["clump"]["index_variants"] == 0


@needs_plink
def test_plink_with_no_significant_variant_in_the_panel(generated):
    # every candidate is absent from the panel -> plink is not even asked
    prefix, _ = generated
    out = clump(pd.DataFrame({"snp": ["9:1:A:C"], "p": [1e-20]}), prefix, engine="plink")
    assert out.empty and out.attrs["clump"]["absent_from_panel"] == ["9:1:A:C"]


@needs_plink
def test_plink_failure_shows_its_log(tmp_path, generated):
    prefix, sumstats = generated
    for ext in (".bim", ".fam"):
        (tmp_path / f"bad{ext}").write_bytes(prefix.with_suffix(ext).read_bytes())
    (tmp_path / "bad.bed").write_bytes(prefix.with_suffix(".bed").read_bytes()[:100])
    with pytest.raises(PlinkError, match=r"(?s)plink --clump failed.*Error"):
        clump(sumstats, tmp_path / "bad", p1=1e-3, engine="plink")


def test_auto_engine_falls_back_to_numpy_without_plink(generated, monkeypatch):
    prefix, sumstats = generated
    monkeypatch.setattr(clump_module, "plink_binary", lambda: None)
    out = clump(sumstats, prefix, r2=0.01, kb=60, p1=1e-3)
    assert out.attrs["clump"]["engine"] == "numpy"
    with pytest.raises(MRKitError, match="plink1.9"):
        clump(sumstats, prefix, engine="plink")


def test_twosamplemr_exposure_frames_are_accepted(generated):
    prefix, sumstats = generated
    tsmr = sumstats.rename(columns={"snp": "SNP", "p": "pval.exposure", "beta": "beta.exposure"})
    a = clump(tsmr, prefix, r2=0.01, kb=60, p1=1e-3, engine="numpy")
    b = clump(sumstats, prefix, r2=0.01, kb=60, p1=1e-3, engine="numpy")
    assert list(a["SNP"]) == list(b["snp"])


@pytest.mark.parametrize("kwargs, match", [
    ({"r2": 1.0}, "r2 must be in"), ({"p1": 2.0}, "p1 must be in"), ({"kb": 0}, "kb must be"),
    ({"engine": "R"}, "engine must be"), ({"p1": 1e-3, "p2": 1e-4}, "p2 .* must be >= p1"),
])
def test_bad_parameters_are_refused(generated, kwargs, match):
    prefix, sumstats = generated
    with pytest.raises(InputError, match=match):
        clump(sumstats, prefix, **kwargs)


def test_bad_p_values_are_located(generated):
    prefix, sumstats = generated
    bad = sumstats.copy()
    bad.loc[4, "p"] = 1.5
    with pytest.raises(InputError, match=r"row 4, column 'p'"):
        clump(bad, prefix)


def test_numpy_engine_warns_on_chromosome_x(tmp_path):
    rng = np.random.default_rng(12)
    g = rng.binomial(2, 0.3, (100, 2)).astype(float)
    bim = write_panel(tmp_path / "x", g, chrom=["X", "X"])
    with pytest.warns(UserWarning, match="diploid"):
        clump(pd.DataFrame({"snp": bim["snp"], "p": [1e-9, 1e-8]}), tmp_path / "x", engine="numpy")
