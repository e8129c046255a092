"""Build, find and verify the synthetic panel folder (summary statistics, reference panel, truth).

``build_panel`` generates everything into a temporary folder beside the destination and renames it
into place, so an interrupted run never leaves half a panel. The folder's ``manifest.json`` records
every file's size and sha256, the seed, the calibration hash and a hash of the generator code, and its
own sha256 (``manifest_sha256``, over the rest); ``ensure_panel`` rebuilds when any of these no longer
match. Output is a pure function of (calibration, generator code, size, seed): the same bytes on every run.

Verified once, trusted until touched (:func:`mrkit.paths.check_files`): hashing the full panel (about
240 MB) on every use would cost about a second per notebook, so each file's sha256 is checked against the
manifest once and the check recorded with the file's identity and times; a file written, truncated,
replaced or copied since is hashed again, found damaged, reported in one line, and the panel built again.
The build records the hashes it computed as it wrote the files. ``verify=True`` (``mrkit simulate
--verify``) re-hashes everything: the only check of damage the file system cannot see (bits rotting on disk).

Random streams: one ``numpy.random.SeedSequence(seed, spawn_key=(k,))`` per stage, so the genome and
the planted truth are the same for both sizes (the small panel is a subset of the full genome that
keeps every causal variant and its neighbours).

References
----------
Luo J et al. (2022) Front Neurosci 16:1074605 (the study the panel is calibrated to).
"""
from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import MRKitError
from ..gwas.io import columnar
from ..paths import (
    atomic_directory,
    cache_dir,
    check_files,
    file_lock,
    plain_name,
    record_verified,
    report_damaged,
    sha256_file,
)
from ..rng import resolve_panel_seed
from . import panel as panel_mod
from . import writers
from .calibration import Calibration, load_calibration, ratio_estimand
from .genome import Genome, block_ranges, make_genome
from .sumstats import SummaryStats, Truth, draw_sumstats, plant_effects

SIZES = ("full", "small")
MANIFEST = "manifest.json"
TRUTH = "truth.json"
CAUSAL_TABLE = "causal_variants.tsv"
REF_PREFIX = "ref"
MANIFEST_VERSION = 2  # 2: the manifest's own sha256; plain file names
#: modules whose code determines the panel's bytes
GENERATOR_MODULES = ("build.py", "calibration.py", "genome.py", "panel.py", "sumstats.py", "writers.py")
#: stage -> spawn key of its random stream
STREAMS = {"genome": 0, "effects": 1, "subset": 2, "reference": 3, "noise": 4}


class PanelError(MRKitError):
    """The synthetic panel cannot be built or is not what its manifest says."""


def generator_hash() -> str:
    """sha256 of the generator's code (this package's modules and the BGZF writer) and mrkit's version.

    Taken once, when this module is imported: the hash must describe the code this process runs, not
    files edited on disk while a build was under way (which would stamp an old panel as current).
    """
    return _GENERATOR_HASH


def _hash_generator_code() -> str:
    h = hashlib.sha256(__version__.encode())
    here = Path(__file__).parent
    for name in GENERATOR_MODULES:
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    h.update(inspect.getsource(columnar.write_bgzip).encode())
    return h.hexdigest()


_GENERATOR_HASH = _hash_generator_code()


def stream(seed: int, stage: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAMS[stage],)))


def default_dir(size: str, seed: int | None) -> Path:
    return cache_dir() / "synthetic" / f"{size}-seed{resolve_panel_seed(seed)}"


def select_variants(cal: Calibration, genome: Genome, truth: Truth, size: str, rng: np.random.Generator) -> np.ndarray:
    """Sorted genome indices of the panel: all (full) or causal variants, neighbours and random nulls (small)."""
    spec = cal.sizes[size]
    if spec.n_variants >= len(genome):
        return np.arange(len(genome))
    starts, stops, _ = block_ranges(genome.block)
    run = np.searchsorted(starts, truth.variants, side="right") - 1
    lo = np.maximum(starts[run], truth.variants - spec.neighbours)
    hi = np.minimum(stops[run], truth.variants + spec.neighbours + 1)
    width = hi - lo
    near = np.repeat(lo, width) + np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
    keep = np.zeros(len(genome), dtype=bool)
    keep[near] = True
    extra = spec.n_variants - int(keep.sum())
    if extra > 0:
        keep[rng.choice(np.flatnonzero(~keep), size=extra, replace=False)] = True
    return np.flatnonzero(keep)


def _trait_tables(cal: Calibration, genome: Genome, ss: SummaryStats, out: Path, ids: np.ndarray) -> dict:
    idx = ss.idx
    chrom, pos, ref, alt = genome.chrom[idx], genome.pos[idx], genome.ref[idx], genome.alt[idx]
    files = {}
    for j, key in enumerate(cal.trait_order):
        t = cal.traits[key]
        if not plain_name(t.file):
            raise PanelError(f"{cal.path}: traits.{key}.file must be a plain file name (letters, digits, '_', '.', "
                             f"'-'), got {t.file!r}")
        path = out / t.file
        common = dict(beta=ss.beta[:, j], se=ss.se[:, j])
        if t.format == "finngen":
            phi = t.case_fraction if t.binary else 0.5
            delta = ss.beta[:, j] * ss.eaf[:, j] * (1 - ss.eaf[:, j])  # case-control ALT frequency gap
            genes = np.char.add("SYNG", np.char.zfill(genome.block[idx].astype(str), 5))
            writers.write_finngen(path, chrom=chrom, pos=pos, ref=ref, alt=alt, ids=ids, genes=genes, p=ss.p[:, j],
                                  mlog10p=ss.mlog10p[:, j], af=ss.eaf[:, j],
                                  af_cases=np.clip(ss.eaf[:, j] + (1 - phi) * delta, 0, 1),
                                  af_controls=np.clip(ss.eaf[:, j] - phi * delta, 0, 1), **common)
        elif t.format == "neale":
            writers.write_neale(path, ids=ids, ref=ref, alt=alt, af=ss.eaf[:, j], n=int(t.n), p=ss.p[:, j],
                                trait_mean=t.mean if t.mean == t.mean else 0.0, **common)
        else:
            header = writers.vcf_header(t.study_id, chromosome_lengths=cal.chromosome_lengths, n_variants=idx.size,
                                        ncase=t.ncase, ncontrol=t.ncontrol,
                                        source=f"mrkit.simulate {__version__} (synthetic panel)")
            writers.write_gwasvcf(path, header=header, chrom=chrom, pos=pos, ids=ids, ref=ref, alt=alt,
                                  mlog10p=ss.mlog10p[:, j], af=ss.eaf[:, j], n=int(t.n), ncase=t.ncase, **common)
        files[key] = {"path": t.file, "format": t.format}
    return files


def _causal_table(path: Path, genome: Genome, truth: Truth, ids: dict) -> None:
    traits = truth.traits
    head = ["variant", "chrom", "pos", "ref", "alt", "alt_freq", "trait", "role"]
    head += [f"direct_{t}" for t in traits] + [f"total_{t}" for t in traits]
    rows = ["\t".join(head)]
    for k, g in enumerate(truth.variants.tolist()):
        values = [ids[g], str(genome.chrom[g]), str(genome.pos[g]), genome.ref[g], genome.alt[g],
                  f"{genome.alt_freq[g]:.6g}", traits[truth.owner[k]], truth.role[k]]
        values += [f"{v:.6g}" for v in truth.direct[k]] + [f"{v:.6g}" for v in truth.total[k]]
        rows.append("\t".join(values))
    path.write_text("\n".join(rows) + "\n")


def truth_document(cal: Calibration, genome: Genome, truth: Truth, ids: dict, size: str, seed: int) -> dict:
    """The planted truth with its units (``truth.json``)."""
    traits = truth.traits
    units = {t: cal.traits[t].units for t in traits}
    scale = {t: f"log odds of {t}" if cal.traits[t].binary else units[t] for t in traits}
    sources = {(e["exposure"], e["outcome"]): e for e in cal.causal_effects}
    ratio = ratio_estimand(truth.b_matrix)
    effects = {}
    for e, exposure in enumerate(traits):
        for o, outcome in enumerate(traits):
            if e == o:
                continue
            beta = float(ratio[o, e])
            if abs(beta) < 1e-15:
                beta = 0.0
            effects[f"{exposure}->{outcome}"] = {
                "exposure": exposure, "outcome": outcome, "beta": beta, "or": float(np.exp(beta)),
                "direct": float(truth.b_matrix[o, e]),
                "units": f"{scale[outcome]} per unit of {scale[exposure]}",
                "source": _effect_source(exposure, outcome, sources, truth.b_matrix[o, e])}
    roles = {}
    for k, g in enumerate(truth.variants.tolist()):
        roles.setdefault(truth.role[k], {}).setdefault(traits[truth.owner[k]], []).append(ids[g])
    doc = {
        "description": ("Planted truth of the synthetic GWAS panel generated by mrkit.simulate (not real data). "
                        "The planted causal effects are the study's published estimates, but the panel is "
                        "deliberately better powered than the real study (more and stronger insomnia "
                        "instruments, see data/calibration.toml) so that the default analysis detects "
                        "insomnia -> LBP with high power and the book can show the truth being recovered."),
        "size": size, "seed": seed, "calibration_sha256": cal.sha256,
        "units": scale,
        "traits": {t: {"label": cal.traits[t].label, "kind": cal.traits[t].kind, "units": units[t],
                       "n": cal.traits[t].n, "ncase": _num(cal.traits[t].ncase),
                       "ncontrol": _num(cal.traits[t].ncontrol), "file": cal.traits[t].file,
                       "format": cal.traits[t].format, "n_causal": cal.traits[t].n_causal,
                       "h2_planted": cal.traits[t].h2_planted, "p_threshold": cal.traits[t].p_threshold,
                       "expected_loci": cal.traits[t].expected_loci} for t in traits},
        "causal_effects": effects,
        "effects_note": ("beta = the total effect a variant acting only on the exposure shows, outcome / exposure "
                         "(ratio estimand R = M[o, e] / M[e, e], M = (I - B)^-1): what univariable MR estimates; "
                         "direct = the planted edge B[o, e], what multivariable MR with every mediator estimates"),
        "b_matrix": {"traits": list(traits), "rows": "outcome", "columns": "exposure",
                     "values": truth.b_matrix.tolist()},
        "mediation": _mediation(cal, truth),
        "shared_instruments": {"traits": list(cal.shared_traits), "fraction": cal.shared_fraction,
                               "scale": cal.shared_scale, "variants": roles.get("shared", {}),
                               "note": "each shared variant acts on the other listed traits with +/- scale times its "
                                       "own standardised effect, in opposite-sign pairs"},
        "genetic_effects": ("per ALT allele; continuous traits in their units, binary traits in log odds; "
                            "total = direct (I - B)^-T, see causal_variants.tsv"),
        "causal_variants": CAUSAL_TABLE,
        "pleiotropy": {"fraction": cal.pleiotropy_fraction, "sd_se": cal.pleiotropy_sd_se,
                       "pairs": cal.pleiotropy_pairs,
                       "outcomes": "sleep-trait variants act on lbp; lbp variants act on every sleep trait",
                       "variants": roles.get("pleiotropic", {})},
        "ld_model": {"n_ld_blocks": int(genome.block.max() + 1), "ld_decay_kb": cal.ld_decay_kb,
                     "description": "binary Markov chain haplotypes within blocks; planned correlation = product "
                                    "of adjacent correlations (mrkit.simulate.genome)"},
    }
    if "outlier" in roles:
        k = int(np.flatnonzero(truth.role == "outlier")[0])
        e, o = traits.index(cal.outlier["exposure"]), traits.index(cal.outlier["outcome"])
        doc["outlier"] = {"variant": ids[int(truth.variants[k])], "exposure": traits[e], "outcome": traits[o],
                          "exposure_z": cal.outlier["exposure_z"], "direct_se": cal.outlier["direct_se"],
                          "sign": cal.outlier["sign"],
                          # realised sign of (ratio - causal effect) relative to the causal effect's sign
                          "deviation": ("along" if (truth.total[k, o] / truth.total[k, e] - truth.b_matrix[o, e])
                                        * (np.sign(truth.b_matrix[o, e]) or 1.0) > 0 else "against"),
                          "direct_effect_on_outcome": float(truth.direct[k, o]),
                          "total_effect_on_exposure": float(truth.total[k, e]),
                          "total_effect_on_outcome": float(truth.total[k, o]),
                          "ratio": float(truth.total[k, o] / truth.total[k, e]),
                          "note": (f"its direct effect on {traits[o]} also makes it a {traits[o]} association "
                                   f"(often an instrument of the reverse direction at 5e-6), as pleiotropic "
                                   f"outliers are in real data")}
    return doc


_SOURCES = {
    ("insomnia", "lbp"): "Luo et al. (2022) Front Neurosci 16:1074605, IVW estimate (the total effect; 7.12 % of it "
                         "through BMI, Lu et al. 2024 Hereditas doi:10.1186/s41065-024-00341-z)",
    ("lbp", "insomnia"): "Luo et al. (2022) Front Neurosci 16:1074605, IVW estimate",
    ("lbp", "daytime_sleepiness"): "Luo et al. (2022) Front Neurosci 16:1074605, IVW estimate",
    ("bmi", "lbp"): "Lu et al. (2024) Hereditas doi:10.1186/s41065-024-00341-z, univariable MR OR 1.18",
    ("insomnia", "bmi"): "design: the effect that makes BMI mediate 7.12 % of insomnia -> LBP (Lu et al. 2024)",
}


def _mediation(cal: Calibration, truth: Truth) -> dict:
    """insomnia -> BMI -> LBP: total, direct and indirect effects and the proportion mediated."""
    traits = list(truth.traits)
    if "bmi" not in traits:
        return {}
    b = truth.b_matrix
    ins, bmi, lbp = traits.index("insomnia"), traits.index("bmi"), traits.index("lbp")
    total = float(ratio_estimand(b)[lbp, ins])
    indirect = float(b[bmi, ins] * b[lbp, bmi])
    return {"exposure": "insomnia", "mediator": "bmi", "outcome": "lbp", "total": total,
            "direct": float(b[lbp, ins]), "indirect": indirect, "exposure_to_mediator": float(b[bmi, ins]),
            "mediator_to_outcome": float(b[lbp, bmi]), "proportion_mediated": indirect / total,
            "source": "Lu et al. (2024) Hereditas doi:10.1186/s41065-024-00341-z: BMI mediates 7.12 %"}


def _effect_source(exposure: str, outcome: str, edges: dict, direct: float) -> str:
    if (exposure, outcome) in edges:
        return _SOURCES.get((exposure, outcome), "data/calibration.toml")
    if direct == 0:
        return "no direct effect planted; any non-zero beta flows through the planted edges"
    return "data/calibration.toml"


def _num(v: float) -> float | None:
    return None if v != v else v


def generate(out: Path, cal: Calibration, size: str, seed: int) -> dict:
    """Write every file of the panel into ``out``; return the manifest (checksums included)."""
    if size not in cal.sizes:
        raise PanelError(f"unknown panel size {size!r}; expected one of {sorted(cal.sizes)}")
    genome = make_genome(cal, cal.sizes["full"].n_variants, stream(seed, "genome"))
    truth = plant_effects(cal, genome, stream(seed, "effects"))
    idx = select_variants(cal, genome, truth, size, stream(seed, "subset"))
    ids = genome.variant_ids(idx)
    ss = draw_sumstats(cal, genome, idx, truth, stream(seed, "noise"))
    traits = _trait_tables(cal, genome, ss, out, ids)
    dosages = panel_mod.genotypes(genome, idx, cal.sizes[size].n_reference, stream(seed, "reference"))
    panel_mod.write_plink(out / REF_PREFIX, genome, idx, ids, dosages)
    id_of = dict(zip(idx.tolist(), ids.tolist()))
    _causal_table(out / CAUSAL_TABLE, genome, truth, id_of)
    (out / TRUTH).write_text(json.dumps(truth_document(cal, genome, truth, id_of, size, seed), indent=1) + "\n")
    names = sorted(p.name for p in out.iterdir() if p.name != MANIFEST)
    return {
        "manifest_version": MANIFEST_VERSION, "generator": "mrkit.simulate", "size": size, "seed": seed,
        "calibration_sha256": cal.sha256,
        "generator_version": {"mrkit": __version__, "code_sha256": generator_hash()},
        "n_variants": int(idx.size), "n_reference": cal.sizes[size].n_reference,
        "traits": traits, "ref": REF_PREFIX, "truth": TRUTH, "causal_variants": CAUSAL_TABLE,
        "files": {name: {"bytes": (out / name).stat().st_size, "sha256": sha256_file(out / name)} for name in names},
    }


def build_panel(out_dir: str | Path | None = None, *, size: str = "full", seed: int | None = None,
                calibration: Calibration | str | Path | None = None) -> Path:
    """Generate the panel into ``out_dir`` (default ``cache_dir()/synthetic/<size>-seed<seed>``), atomically."""
    cal = calibration if isinstance(calibration, Calibration) else load_calibration(calibration)
    seed = resolve_panel_seed(seed)
    final = Path(out_dir) if out_dir is not None else default_dir(size, seed)
    with atomic_directory(final) as tmp:
        manifest = generate(tmp, cal, size, seed)
        manifest["manifest_sha256"] = _manifest_digest(manifest)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        record_verified(tmp, manifest["files"])  # the hashes just computed are the check (the rename keeps it)
    return final


def _manifest_digest(manifest: dict) -> str:
    """sha256 of the manifest without its ``manifest_sha256`` (canonical JSON: sorted keys, no spaces)."""
    rest = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def read_manifest(path: str | Path) -> dict:
    """The panel's manifest; raises :class:`PanelError` when it is missing, unreadable, not of this version,
    altered (its ``manifest_sha256`` differs) or names a file outside the folder."""
    path = Path(path) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise PanelError(f"{path} not found: not a synthetic panel folder") from None
    except (OSError, ValueError) as exc:
        raise PanelError(f"{path} is unreadable ({type(exc).__name__}): damaged") from None
    if not isinstance(manifest, dict) or manifest.get("manifest_version") != MANIFEST_VERSION:
        found = manifest.get("manifest_version") if isinstance(manifest, dict) else None
        raise PanelError(f"{path} is of manifest version {found!r}, not {MANIFEST_VERSION}: another version of mrkit")
    if manifest.get("manifest_sha256") != _manifest_digest(manifest):
        raise PanelError(f"{path}: its sha256 differs from the one it records: damaged")
    names = [*manifest.get("files", {}), manifest.get("ref"), manifest.get("truth"),
             *(e.get("path") if isinstance(e, dict) else e for e in manifest.get("traits", {}).values())]
    bad = [n for n in names if not plain_name(n)] + [t for t in manifest.get("traits", {}) if not plain_name(t)]
    if bad:
        raise PanelError(f"{path} names {bad[0]!r}, not a plain file name or trait key")
    return manifest


def panel_problems(path: str | Path, *, cal: Calibration | None = None, verify: bool = False) -> list[str]:
    """Why the folder is not a current, intact panel (empty list: it is).

    The manifest is checked (present, intact, this version), the calibration and generator hashes
    current, and every file present with its recorded size and sha256: hashed only when it was never
    verified or has been touched since (see the module docstring); ``verify=True`` re-hashes every file.
    """
    stale, damaged = _panel_state(Path(path), cal, verify)
    return stale + damaged


def _panel_state(path: Path, cal: Calibration | None, verify: bool) -> tuple[list[str], list[str]]:
    """(reasons the panel is out of date or absent, reasons it is damaged)."""
    if not (path / MANIFEST).exists():
        return [f"{path / MANIFEST} not found: not a synthetic panel folder"], []
    try:
        manifest = read_manifest(path)
    except PanelError as exc:
        return [], [str(exc)]
    stale = []
    if cal is not None and manifest.get("calibration_sha256") != cal.sha256:
        stale.append("calibration changed")
    if manifest.get("generator_version", {}).get("code_sha256") != generator_hash():
        stale.append("generator code changed")
    if stale:
        return stale, []
    return [], check_files(path, manifest.get("files", {}), rehash=verify)


def folder_lock(folder: Path):
    """The lock that serialises building ``folder`` (a file beside it): :func:`mrkit.paths.file_lock`."""
    return file_lock(folder.parent / f".{folder.name}.lock", guards=folder)


def ensure_panel(size: str = "full", seed: int | None = None, *, verify: bool = False,
                 calibration: Calibration | str | Path | None = None, out_dir: str | Path | None = None) -> Path:
    """The panel folder, built when missing or stale (calibration or generator changed, file damaged).

    Safe when several processes ask at once (a file lock serialises the build).
    """
    cal = calibration if isinstance(calibration, Calibration) else load_calibration(calibration)
    folder = Path(out_dir) if out_dir is not None else default_dir(size, seed)
    if not panel_problems(folder, cal=cal, verify=verify):
        return folder
    with folder_lock(folder):
        stale, damaged = _panel_state(folder, cal, verify)
        if stale or damaged:
            if damaged:  # (out of date or absent is the normal first use, not news)
                more = f" (and {len(damaged) - 2} more)" if len(damaged) > 2 else ""
                report_damaged(folder, "; ".join(damaged[:2]) + more, "building the synthetic panel again")
            build_panel(folder, size=size, seed=seed, calibration=cal)
    return folder


def panel_files(path: str | Path) -> dict:
    """trait -> (file path, reader format), plus ``"ref"`` -> PLINK prefix and ``"truth"`` -> truth.json."""
    path = Path(path)
    manifest = read_manifest(path)
    out: dict = {t: (path / e["path"], e["format"]) for t, e in manifest["traits"].items()}
    out["ref"] = path / manifest["ref"]
    out["truth"] = path / manifest["truth"]
    return out
