"""The sources file: complete for the study's traits, local overrides, resolution, and the CLI."""
from __future__ import annotations

import re

import pytest

from mrkit import cli
from mrkit.errors import InputError
from mrkit.gwas.io import FORMATS
from mrkit.gwas.sources import SourceUnavailable, load_sources, reference_panel, resolve
from mrkit.paper.labels import TRAITS


def test_every_trait_has_a_complete_source():
    sources = load_sources()
    assert set(sources) == set(TRAITS)
    for src in sources.values():
        assert src.format in FORMATS and src.synthetic_format in FORMATS
        assert src.url.startswith("https://") and src.cache_name
        assert src.sample_size and src.citation and src.units and src.ancestry
        # a checksum is either absent (unknown) or a real sha256, never a placeholder
        assert src.sha256 == "" or re.fullmatch(r"[0-9a-f]{64}", src.sha256)


def test_counts_match_the_article():
    # published-results.md: LBP 13,178 cases / 164,682 controls (FinnGen R5); sleep GWAS N 336,965
    sources = load_sources()
    assert (sources["lbp"].ncase, sources["lbp"].ncontrol) == (13178, 164682)
    assert sources["lbp"].n_variants == 16380287
    assert sources["insomnia"].sample_size == 336965
    assert sources["lbp"].url.endswith("finngen_R5_M13_LOWBACKPAIN.gz")
    # contract: synthetic LBP is FinnGen, short/long sleep GWAS-VCF, the rest Neale tables
    assert {t: s.synthetic_format for t, s in sources.items()} == {
        "insomnia": "neale", "sleep_duration": "neale", "daytime_sleepiness": "neale",
        "short_sleep": "gwasvcf", "long_sleep": "gwasvcf", "lbp": "finngen"}


def write_sources(tmp_path, extra=""):
    path = tmp_path / "sources.toml"
    path.write_text('[sources.lbp]\ndescription = "LBP"\nunits = "log odds"\nformat = "finngen"\n'
                    'citation = "c"\nurl = "https://example.org/lbp.gz"\nsynthetic_format = "finngen"\n' + extra)
    return path


def test_resolution_order(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("MRKIT_CACHE", str(cache))
    monkeypatch.delenv("MRKIT_SOURCE_LBP", raising=False)
    sources = load_sources(write_sources(tmp_path))
    with pytest.raises(SourceUnavailable, match=r"mrkit fetch lbp.*MRKIT_SOURCE_LBP"):
        resolve("lbp", sources=sources)
    cache.mkdir(exist_ok=True)
    (cache / "lbp.gz").write_bytes(b"x")
    assert resolve("lbp", sources=sources) == (cache / "lbp.gz", "finngen")
    mine = tmp_path / "mine.vcf.gz"
    mine.write_bytes(b"x")
    sources = load_sources(write_sources(tmp_path, f'[local]\nlbp = {{ path = "{mine}", format = "gwasvcf" }}\n'))
    assert resolve("lbp", sources=sources) == (mine, "gwasvcf")
    monkeypatch.setenv("MRKIT_SOURCE_LBP", str(mine))
    assert resolve("lbp", sources=sources) == (mine, "auto")
    assert resolve("lbp", sources=sources, local=cache / "lbp.gz") == (cache / "lbp.gz", "auto")
    monkeypatch.setenv("MRKIT_SOURCE_LBP", str(tmp_path / "gone.gz"))
    with pytest.raises(InputError, match="gone.gz: MRKIT_SOURCE_LBP points at a file that does not exist"):
        resolve("lbp", sources=sources)


def test_local_file_beside_the_sources(tmp_path, monkeypatch):
    monkeypatch.delenv("MRKIT_SOURCE_LBP", raising=False)
    mine = tmp_path / "lbp_copy.gz"
    mine.write_bytes(b"x")
    path = write_sources(tmp_path)
    (tmp_path / "sources.local.toml").write_text(f'[local]\nlbp = "{mine}"\n')
    assert resolve("lbp", sources=load_sources(path)) == (mine, "auto")
    (tmp_path / "sources.local.toml").write_text(f'[local]\nbmi = "{mine}"\n')
    with pytest.raises(InputError, match=r"\[local\] names unknown source\(s\) \['bmi'\]"):
        load_sources(path)

def test_bad_sources_file(tmp_path):
    path = write_sources(tmp_path, 'checksum = "abc"\n')
    with pytest.raises(InputError, match=r"\[sources.lbp\] has unknown key\(s\) \['checksum'\]"):
        load_sources(path)
    with pytest.raises(InputError, match="unknown trait 'bmi'"):
        resolve("bmi", sources=load_sources(write_sources(tmp_path)))


def test_fetch_command_lists_sources(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MRKIT_CACHE", str(tmp_path))
    monkeypatch.delenv("MRKIT_SOURCE_LBP", raising=False)
    assert cli.main(["fetch", "--sources", str(write_sources(tmp_path))]) == 0
    assert re.search(r"lbp\s+not downloaded", capsys.readouterr().out)
    assert cli.main(["fetch", "nosuch", "--sources", str(write_sources(tmp_path))]) == 2
    assert "unknown source(s) ['nosuch']" in capsys.readouterr().err


def test_read_command(tmp_path, capsys):
    path = tmp_path / "x.tsv"
    path.write_text("SNP\tA1\tA2\tBETA\tSE\tP\nrs1\tA\tG\t0.1\t0.01\t1e-9\nrs2\tA\tG\t0.1\t0\t0.2\n")
    out = tmp_path / "out.tsv"
    assert cli.main(["read", str(path), "--p-max", "5e-8", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 rows read, 1 kept" in text and "1 rows with p > 5e-08 left out" in text
    header, first = out.read_text().splitlines()[:2]
    assert first.startswith("rs1\tA\tG\t0.1\t0.01") and "chrom" not in header  # no row has a position: left out
    assert cli.main(["read", str(path), "--strict"]) == 2
    assert "line 3, column 'SE': se <= 0" in capsys.readouterr().err


def test_reference_panel_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("MRKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MRKIT_REFERENCE", raising=False)
    path = write_sources(tmp_path, '[reference]\ndescription = "1kg"\nurl = "https://example.org/1kg.v3.tgz"\n'
                                   'prefix = "EUR"\n')
    with pytest.raises(SourceUnavailable, match="mrkit fetch reference"):
        reference_panel(path)
    folder = tmp_path / "cache" / "1kg.v3"
    folder.mkdir(parents=True)
    for ext in (".bed", ".bim", ".fam"):
        (folder / f"EUR{ext}").write_bytes(b"x")
    assert reference_panel(path) == folder / "EUR"
    monkeypatch.setenv("MRKIT_REFERENCE", str(tmp_path / "nope"))
    with pytest.raises(InputError, match="MRKIT_REFERENCE must be a PLINK prefix"):
        reference_panel(path)
    monkeypatch.setenv("MRKIT_REFERENCE", str(folder / "EUR"))
    assert reference_panel(path) == folder / "EUR"
    assert load_sources(path)["lbp"].format == "finngen"  # [reference] is not a trait


def test_the_project_sources_name_a_reference_download():
    from mrkit.gwas.sources import reference_source

    ref = reference_source()
    assert ref.url.endswith("1kg.v3.tgz") and ref.prefix == "EUR"
