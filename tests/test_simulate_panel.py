"""The built panel: reproducible bytes, checksummed manifest, atomic build, real formats, planned behaviour."""
from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import struct

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mrkit.gwas import io
from mrkit.gwas.io.columnar import BGZF_EOF
from mrkit.paths import VERIFIED
from mrkit.simulate import build as build_mod
from mrkit.simulate import build_panel, ensure_panel, panel_files, panel_problems
from mrkit.simulate.build import select_variants, stream
from mrkit.simulate.calibration import load_calibration
from mrkit.simulate.genome import make_genome
from mrkit.simulate.sumstats import plant_effects
from mrkit.simulate.writers import FINNGEN_HEADER, NEALE_HEADER

SEED = 7


@pytest.fixture(scope="module")
def cal():
    return load_calibration()


@pytest.fixture(scope="module")
def panel(tmp_path_factory, cal):
    return build_panel(tmp_path_factory.mktemp("panel") / "small", size="small", seed=SEED, calibration=cal)


@pytest.fixture(scope="module")
def files(panel):
    return panel_files(panel)


@pytest.fixture(scope="module")
def causal(files):
    return pd.read_csv(files["truth"].parent / "causal_variants.tsv", sep="\t", dtype={"chrom": str})


def _lines(path) -> list[str]:
    with gzip.open(path, "rt") as fh:
        return fh.read().splitlines()


def _table(path) -> pd.DataFrame:
    lines = [line for line in _lines(path) if not line.startswith("##")]
    rows = [line.split("\t") for line in lines]
    return pd.DataFrame(rows[1:], columns=rows[0])


# -- reproducibility, manifest, atomic build --------------------------------------------------------------

def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path, panel, cal):
    again = build_panel(tmp_path / "again", size="small", seed=SEED, calibration=cal)
    names = sorted(p.name for p in panel.iterdir() if p.name != VERIFIED)  # (the record of checks names inodes)
    assert names == sorted(p.name for p in again.iterdir() if p.name != VERIFIED)
    for name in names:
        assert (panel / name).read_bytes() == (again / name).read_bytes(), name
    other = build_panel(tmp_path / "other", size="small", seed=SEED + 1, calibration=cal)
    assert (other / "lbp.finngen.tsv.gz").read_bytes() != (panel / "lbp.finngen.tsv.gz").read_bytes()
    assert json.loads((other / "manifest.json").read_text())["seed"] == SEED + 1


def test_manifest_records_every_file_with_its_checksum(panel, cal):
    manifest = json.loads((panel / "manifest.json").read_text())
    assert manifest["calibration_sha256"] == cal.sha256
    assert manifest["seed"] == SEED and manifest["size"] == "small"
    assert len(manifest["generator_version"]["code_sha256"]) == 64
    on_disk = sorted(p.name for p in panel.iterdir() if p.name not in ("manifest.json", VERIFIED))
    assert sorted(manifest["files"]) == on_disk
    for name, entry in manifest["files"].items():
        data = (panel / name).read_bytes()
        assert entry["bytes"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert panel_problems(panel, cal=cal, verify=True) == []


def test_ensure_panel_reuses_rebuilds_and_verifies(tmp_path, panel, cal):
    folder = tmp_path / "cached"
    shutil.copytree(panel, folder)
    stamp = (folder / "ref.bed").stat().st_mtime_ns
    assert ensure_panel("small", SEED, calibration=cal, out_dir=folder) == folder
    assert (folder / "ref.bed").stat().st_mtime_ns == stamp  # intact: not rebuilt
    # same size, different bytes: the file was touched since it was verified, so it is hashed again (before
    # issue 21 only verify=True noticed, and a damaged panel was used)
    data = bytearray((folder / "truth.json").read_bytes())
    data[10] = ord("X") if data[10] != ord("X") else ord("Y")
    (folder / "truth.json").write_bytes(bytes(data))
    damaged = ["truth.json: sha256 differs from the one recorded when it was written"]
    assert panel_problems(folder, cal=cal) == damaged
    assert panel_problems(folder, cal=cal, verify=True) == damaged
    ensure_panel("small", SEED, calibration=cal, out_dir=folder)
    assert (folder / "truth.json").read_bytes() == (panel / "truth.json").read_bytes()
    # a truncated file is noticed cheaply, by its size
    (folder / "ref.bim").write_text("")
    assert any("ref.bim" in p for p in panel_problems(folder, cal=cal))
    ensure_panel("small", SEED, calibration=cal, out_dir=folder)
    assert (folder / "ref.bim").read_bytes() == (panel / "ref.bim").read_bytes()


def _truncate(path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_eight_bytes(path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 8):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _empty(path) -> None:
    path.write_bytes(b"")


def _older_manifest(path) -> None:
    """The manifest of another version of mrkit (version 1: no checksum of its own)."""
    manifest = json.loads(path.read_text())
    manifest.pop("manifest_sha256")
    path.write_text(json.dumps({**manifest, "manifest_version": 1}, indent=1, sort_keys=True))


def _edited_manifest(path) -> None:
    path.write_text(path.read_text().replace('"n_reference": ', '"n_reference": 1'))


@pytest.mark.parametrize("damage, name", [(_truncate, "ref.bed"), (_flip_eight_bytes, "ref.bed"),
                                          (_flip_eight_bytes, "insomnia.neale.tsv.gz"), (_empty, "truth.json"),
                                          (_older_manifest, "manifest.json"), (_edited_manifest, "manifest.json")])
def test_a_damaged_panel_is_reported_in_one_line_and_built_again_the_same(tmp_path, panel, cal, capsys, damage,
                                                                           name):
    """Issue 21: only the size was checked by default, so flipped bytes were used; the rebuild gives the same
    bytes, hence the same numbers."""
    folder = tmp_path / "cached"
    shutil.copytree(panel, folder)
    ensure_panel("small", SEED, calibration=cal, out_dir=folder)  # a copy: verified once (its files re-hashed)
    capsys.readouterr()
    damage(folder / name)
    assert ensure_panel("small", SEED, calibration=cal, out_dir=folder) == folder
    for entry in sorted(p.name for p in panel.iterdir() if p.name != VERIFIED):
        assert (folder / entry).read_bytes() == (panel / entry).read_bytes(), entry
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith(f"mrkit: {folder}: ") and name in err
    assert err.rstrip().endswith("building the synthetic panel again") and "Traceback" not in err
    assert panel_problems(folder, cal=cal, verify=True) == []


def test_an_unchanged_panel_is_not_hashed_again_and_a_touched_file_is(tmp_path, panel, cal, monkeypatch):
    """The cost: a verified, untouched panel costs one stat per file; a file written since is hashed again."""
    from mrkit import paths

    folder = tmp_path / "cached"
    shutil.copytree(panel, folder)
    hashed = []
    real = paths.sha256_file
    monkeypatch.setattr(paths, "sha256_file", lambda p: hashed.append(p.name) or real(p))
    assert panel_problems(folder, cal=cal) == [] and len(hashed) == len(list(panel.iterdir())) - 2  # a copy
    hashed.clear()
    assert panel_problems(folder, cal=cal) == [] and hashed == []
    (folder / "ref.fam").write_bytes((folder / "ref.fam").read_bytes())  # same bytes, written again
    assert panel_problems(folder, cal=cal) == [] and hashed == ["ref.fam"]
    hashed.clear()
    assert panel_problems(folder, cal=cal, verify=True) == [] and len(hashed) == len(list(panel.iterdir())) - 2


def test_panel_names_that_would_leave_the_folder_are_refused(tmp_path, panel, cal):
    folder = tmp_path / "cached"
    shutil.copytree(panel, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["traits"]["lbp"]["path"] = "../../outside.tsv.gz"
    manifest["manifest_sha256"] = build_mod._manifest_digest(manifest)  # consistent, but hostile
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(build_mod.PanelError, match="not a plain file name"):
        panel_files(folder)
    assert any("not a plain file name" in p for p in panel_problems(folder, cal=cal))
    text = cal.path.read_text().replace('file = "lbp.finngen.tsv.gz"', 'file = "../lbp.finngen.tsv.gz\\n"')
    (tmp_path / "cal.toml").write_text(text)
    with pytest.raises(build_mod.PanelError, match="traits.lbp.file must be a plain file name"):
        build_panel(tmp_path / "hostile", size="small", seed=SEED, calibration=load_calibration(tmp_path / "cal.toml"))
    assert not (tmp_path / "lbp.finngen.tsv.gz").exists() and not (tmp_path / "hostile").exists()


def test_stale_calibration_is_detected(tmp_path, panel):
    text = (build_mod.load_calibration().path).read_text().replace("sd_se = 1.5", "sd_se = 1.25")
    (tmp_path / "cal.toml").write_text(text)
    assert panel_problems(panel, cal=load_calibration(tmp_path / "cal.toml")) == ["calibration changed"]


def test_failed_build_leaves_no_folder(tmp_path, cal, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_mod.panel_mod, "write_plink", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        build_panel(tmp_path / "half", size="small", seed=SEED, calibration=cal)
    assert list(tmp_path.iterdir()) == []


# -- formats -----------------------------------------------------------------------------------------------

def _bgzf_blocks(path) -> list[tuple[int, int]]:
    """(compressed, uncompressed) size of every BGZF block, walking the BSIZE fields."""
    data = path.read_bytes()
    blocks, at = [], 0
    while at < len(data):
        assert data[at:at + 4] == b"\x1f\x8b\x08\x04", f"no BGZF header at byte {at}"
        assert data[at + 4:at + 8] == b"\0\0\0\0"  # mtime 0
        xlen, = struct.unpack("<H", data[at + 10:at + 12])
        assert xlen == 6 and data[at + 12:at + 14] == b"BC"
        bsize, = struct.unpack("<H", data[at + 16:at + 18])
        isize, = struct.unpack("<I", data[at + bsize - 3:at + bsize + 1])
        blocks.append((bsize + 1, isize))
        at += bsize + 1
    assert at == len(data) and data.endswith(BGZF_EOF)
    return blocks


def test_files_are_bgzf_that_gzip_reads_whole(files, cal):
    for trait, (path, _fmt) in ((t, files[t]) for t in cal.trait_order):
        blocks = _bgzf_blocks(path)
        assert blocks[-1] == (28, 0) and all(0 < u <= 65536 for _, u in blocks[:-1])
        lines = _lines(path)
        header_at = max(i for i, line in enumerate(lines[:100]) if line.startswith("#") or i == 0)
        assert len(lines) - header_at - 1 == 20_000, trait
        with gzip.open(path) as whole:
            assert sum(u for _, u in blocks) == len(whole.read())


def test_headers_are_exactly_the_real_formats(files):
    assert _lines(files["lbp"][0])[0].split("\t") == list(FINNGEN_HEADER)
    assert list(FINNGEN_HEADER) == ["#chrom", "pos", "ref", "alt", "rsids", "nearest_genes", "pval", "mlogp", "beta",
                                    "sebeta", "af_alt", "af_alt_cases", "af_alt_controls"]
    for trait in ("insomnia", "sleep_duration", "daytime_sleepiness"):
        assert files[trait][1] == "neale"
        assert _lines(files[trait][0])[0].split("\t") == list(NEALE_HEADER)
    assert list(NEALE_HEADER) == ["variant", "minor_allele", "minor_AF", "low_confidence_variant", "n_complete_samples",
                                  "AC", "ytx", "beta", "se", "tstat", "pval"]


def test_gwas_vcf_header_is_valid(files, cal):
    for trait in ("short_sleep", "long_sleep"):
        path, fmt = files[trait]
        assert fmt == "gwasvcf"
        lines = _lines(path)
        assert lines[0] == "##fileformat=VCFv4.2"
        meta = [line for line in lines if line.startswith("##")]
        head = lines[len(meta)].split("\t")
        study = cal.traits[trait].study_id
        assert head == ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", study]
        declared = {line.split("ID=")[1].split(",")[0] for line in meta if line.startswith("##FORMAT=<")}
        contigs = {line.split("ID=")[1].split(",")[0] for line in meta if line.startswith("##contig=<")}
        assert contigs == {str(c) for c in range(1, 23)}
        sample = next(line for line in meta if line.startswith("##SAMPLE=<"))
        t = cal.traits[trait]
        assert f"TotalCases={t.ncase:.1f}" in sample and f"TotalControls={t.ncontrol:.1f}" in sample
        body = _table(path)
        assert set(body["#CHROM"]) <= contigs and (body["FILTER"] == "PASS").all()
        keys = body["FORMAT"].unique()
        assert list(keys) == ["ES:SE:LP:AF:SS:NC:ID"] and set(keys[0].split(":")) <= declared
        fields = body[study].str.split(":", expand=True)
        assert fields.shape[1] == 7
        assert (fields[4].astype(int) == t.n).all() and (fields[5].astype(int) == t.ncase).all()
        assert (body["ID"] == body["#CHROM"] + ":" + body["POS"] + ":" + body["REF"] + ":" + body["ALT"]).all()


def test_variant_ids_agree_across_files_and_the_reference_panel(files, cal):
    bim = pd.read_csv(files["ref"].with_suffix(".bim"), sep="\t", header=None, dtype=str)
    ids = bim[1]
    assert (ids == bim[0] + ":" + bim[3] + ":" + bim[5] + ":" + bim[4]).all()  # A1 = ALT, A2 = REF
    assert (bim[2].astype(float) == 0).all()
    assert (_table(files["lbp"][0])["rsids"].to_numpy() == ids.to_numpy()).all()
    assert (_table(files["insomnia"][0])["variant"].to_numpy() == ids.to_numpy()).all()
    fam = pd.read_csv(files["ref"].with_suffix(".fam"), sep=r"\s+", header=None, dtype=str)
    assert len(fam) == cal.sizes["small"].n_reference
    assert fam[0].iloc[0] == fam[1].iloc[0] == "synth0001" and (fam[0] == fam[1]).all()


def test_readers_parse_every_trait_file(files, cal):
    for trait in cal.trait_order:
        path, fmt = files[trait]
        df = io.read_sumstats(path, fmt)
        assert len(df) == 20_000 and df.attrs["dropped"] == {}
        assert df["snp"].str.count(":").eq(3).all()
        if cal.traits[trait].binary and fmt == "gwasvcf":
            assert (df["ncase"] == cal.traits[trait].ncase).all()


# -- the numbers behave as planned -------------------------------------------------------------------------

def _frame(files, trait):
    t = _table(files[trait][0])
    if "variant" in t:
        parts = t["variant"].str.split(":", expand=True)
        return pd.DataFrame({"chrom": parts[0], "pos": parts[1].astype(int), "beta": t["beta"].astype(float),
                             "se": t["se"].astype(float), "p": t["pval"].astype(float),
                             "eaf": t["AC"].astype(float) / (2 * t["n_complete_samples"].astype(float))})
    if "sebeta" in t:
        return pd.DataFrame({"chrom": t["#chrom"], "pos": t["pos"].astype(int), "beta": t["beta"].astype(float),
                             "se": t["sebeta"].astype(float), "p": t["pval"].astype(float),
                             "eaf": t["af_alt"].astype(float)})
    f = t.iloc[:, 9].str.split(":", expand=True).astype({0: float, 1: float, 2: float, 3: float})
    return pd.DataFrame({"chrom": t["#CHROM"], "pos": t["POS"].astype(int), "beta": f[0], "se": f[1],
                         "p": 10 ** -f[2], "eaf": f[3]})


def test_standard_errors_follow_the_sample_sizes(files, cal):
    for trait in cal.trait_order:
        t = cal.traits[trait]
        df = _frame(files, trait)
        # se^2 2 f (1-f) N = sd_y^2 (continuous) or 1 / (phi (1 - phi)) (log odds); the reported
        # frequency carries sampling error (and FinnGen's its drift), hence the tolerances
        ratio = df["se"] ** 2 * 2 * df["eaf"] * (1 - df["eaf"]) * t.n / t.sd_effective ** 2
        assert np.median(ratio) == pytest.approx(1.0, abs=0.005), trait
        assert np.quantile(np.abs(ratio - 1), 0.99) < (0.2 if trait == "lbp" else 0.03), trait


def _near_causal(df: pd.DataFrame, causal: pd.DataFrame, trait: str, window: float) -> np.ndarray:
    active = causal[causal[f"total_{trait}"] != 0]
    near = np.zeros(len(df), dtype=bool)
    for chrom, group in active.groupby("chrom"):
        rows = np.flatnonzero(df["chrom"].to_numpy() == chrom)
        pos = df["pos"].to_numpy()[rows]
        sites = np.sort(group["pos"].to_numpy())
        k = np.clip(np.searchsorted(sites, pos), 1, len(sites))
        gap = np.minimum(np.abs(pos - sites[k - 1]), np.abs(sites[np.minimum(k, len(sites) - 1)] - pos))
        near[rows] = gap <= window
    return near


def test_hits_sit_at_causal_loci_and_nulls_hold_their_level(files, cal, causal):
    for trait in cal.trait_order:
        t = cal.traits[trait]
        df = _frame(files, trait)
        near = _near_causal(df, causal, trait, 1e6)
        hits = df["p"].to_numpy() <= t.p_threshold
        assert hits.sum() >= 5
        assert np.all(near[hits]), f"{trait}: a significant variant far from every causal variant"
        # null variants (beyond the reach of LD): p uniform, so 5 % below 0.05 (LD-correlated, hence wide)
        null_p = df["p"].to_numpy()[~_near_causal(df, causal, trait, 2e6)]
        assert null_p.size > 2000
        assert abs(np.mean(null_p < 0.05) - 0.05) < 0.02, trait
        assert stats.kstest(null_p, "uniform").statistic < 0.05, trait


def test_number_of_loci_matches_the_calibration(files, cal, causal):
    """Causal variants of a trait reached by a hit at its threshold: Poisson-like around expected_loci."""
    for trait in cal.trait_order:
        t = cal.traits[trait]
        df = _frame(files, trait)
        own = causal[(causal["trait"] == trait)]
        hits = df[df["p"] <= t.p_threshold]
        found = sum(((hits["chrom"] == c) & ((hits["pos"] - p).abs() < 2e5)).any()
                    for c, p in zip(own["chrom"], own["pos"]))
        assert abs(found - t.expected_loci) <= 3 * np.sqrt(t.expected_loci) + 2, (trait, found, t.expected_loci)


def test_reference_ld_matches_the_plan(files, cal):
    """Dosage r in the 200-person panel vs the planned R: unbiased, spread ~ 1/sqrt(n)."""
    from bed_reader import open_bed

    genome = make_genome(cal, cal.sizes["full"].n_variants, stream(SEED, "genome"))
    truth = plant_effects(cal, genome, stream(SEED, "effects"))
    idx = select_variants(cal, genome, truth, "small", stream(SEED, "subset"))
    with open_bed(files["ref"].with_suffix(".bed")) as bed:
        assert list(bed.sid) == list(genome.variant_ids(idx))
        g = bed.read(dtype="float64")
    n = g.shape[0]
    assert n == 200
    sd = g.std(axis=0)
    common = (genome.maf[idx] >= 0.05) & (sd > 0)
    z = (g - g.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    for lag in (1, 2, 5):
        ok = common[:-lag] & common[lag:]
        r_hat = np.mean(z[:, :-lag] * z[:, lag:], axis=0)[ok]
        planned = genome.planned_ld(idx[:-lag], idx[lag:])[ok]
        diff = r_hat - planned
        assert abs(np.mean(diff)) < 0.01, lag
        # sampling SD of r is (1 - r^2) / sqrt(n) for normal data; binary dosages are close to it
        scaled = diff / ((1 - planned ** 2) / np.sqrt(n) + 1e-3)
        assert 0.8 < np.std(scaled) < 1.3, lag
    # allele frequencies of the panel agree with the plan within binomial error
    freq = g.mean(axis=0) / 2
    f = genome.alt_freq[idx]
    assert np.mean(np.abs(freq - f) / np.sqrt(f * (1 - f) / (2 * n)) > 3.5) < 0.005


def test_cli_prints_the_folder_and_timing(tmp_path, panel, capsys):
    from mrkit.cli import main

    folder = tmp_path / "cli"
    shutil.copytree(panel, folder)
    assert main(["simulate", "--size", "small", "--panel-seed", str(SEED), "--out", str(folder), "--verify"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == str(folder) and out[1].startswith(f"mrkit simulate: small panel, panel seed {SEED}, ready in ")
