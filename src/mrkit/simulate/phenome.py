"""A synthetic phenome: many outcome traits, a few caused by the study's traits, for MR scans.

``build_phenome`` draws ``n_traits`` standardised quantitative traits ("trait001", ...) over the variants of
the synthetic panel (:mod:`mrkit.simulate.build`; same genome, same LD, same variant ids), writes their
GWAS summary statistics (Neale lab and FinnGen formats, alternately, bgzipped), a scan manifest
(``scan.toml``: the panel's six traits as exposures against every phenome trait, for ``mrkit scan``) and
the planted truth in machine-readable form (``phenome_truth.tsv``).

Causal model. A planted trait T has a causal effect ``b`` from one of the panel's traits x (its
*direct* exposure); the others have none. Its GWAS is drawn at the summary level like the panel's
(Zhu & Stephens 2017): z_T = E[beta_T] / se_T + e, e ~ N(0, R) within LD blocks, where
E[beta_T(u)] = b E[beta_x(u)] is b times the exposure's expected marginal per-allele effect at every
variant u (``mean_z_x(u) se_x(u)`` of the panel), which holds exactly because marginal effects are
linear in the joint ones. Because the panel's traits affect each other (B, ``truth.json``), an exposure
e also affects T through x: the *total* effect is ``b [(I - B)^-1][x, e]`` (Tot = (I - B)^-1, the total
effects between the panel's traits). ``phenome_truth.tsv`` lists, for every (exposure, trait) pair,
the direct and total effect and ``null`` (total effect exactly zero): the truth that a scan's false
discovery rate is measured against.

Effect sizes are chosen for a target IVW z statistic (uniform between ``z_low`` and ``z_high``):
b = z sd_T / sqrt(n_T V_x), with V_x the exposure variance explained by its causal variants that pass
its instrument threshold in the panel, so some planted effects are easy to find and some are missed.

References
----------
Zhu X, Stephens M (2017) Ann Appl Stat 11:1561-1592 (summary statistics given LD).
Benjamini Y, Hochberg Y (1995) J R Stat Soc B 57:289-300 (the false discovery rate).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..paths import atomic_directory, cache_dir, check_files, record_verified, report_damaged, sha256_file
from ..rng import resolve_panel_seed
from . import writers
from .build import ensure_panel, generator_hash, panel_files, select_variants, stream
from .calibration import load_calibration
from .genome import ar1_noise, make_genome
from .sumstats import LN10, P_MIN, draw_sumstats, plant_effects

__all__ = ["build_phenome", "ensure_phenome", "phenome_truth", "PHENOME_VERSION"]

#: spawn key of the phenome's random stream (the panel's stages use 0-4)
PHENOME_STREAM = 100
PHENOME_VERSION = 1
TRUTH_FILE = "phenome_truth.tsv"
INFO_FILE = "phenome.json"
MANIFEST_FILE = "scan.toml"


def _code_hash() -> str:
    h = hashlib.sha256(generator_hash().encode())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def default_phenome_dir(size: str, seed: int | None, n_traits: int) -> Path:
    return cache_dir() / "synthetic" / f"phenome-{size}-seed{resolve_panel_seed(seed)}-{n_traits}traits"


def _toml_value(v) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(float(v)) if isinstance(v, float) else str(v)


def generate_phenome(out: Path, *, n_traits: int, n_planted: int, size: str, seed: int,
                     z_low: float = 3.0, z_high: float = 7.0) -> dict:
    """Write the phenome's files into ``out``; return its description (``phenome.json``)."""
    if not 1 <= n_planted <= n_traits:
        raise ValueError(f"n_planted must be between 1 and n_traits ({n_traits}), got {n_planted}")
    cal = load_calibration(None)
    panel = ensure_panel(size=size, seed=seed)
    files = panel_files(panel)
    panel_truth = json.loads((panel / "truth.json").read_text())
    # the panel's genome, causal model and expected z (deterministic from the calibration and the seed)
    genome = make_genome(cal, cal.sizes["full"].n_variants, stream(seed, "genome"))
    truth = plant_effects(cal, genome, stream(seed, "effects"))
    idx = select_variants(cal, genome, truth, size, stream(seed, "subset"))
    ss = draw_sumstats(cal, genome, idx, truth, stream(seed, "noise"))
    exposures = list(truth.traits)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(PHENOME_STREAM,)))

    names = [f"trait{i + 1:03d}" for i in range(n_traits)]
    n_gwas = np.round(rng.uniform(50_000, 400_000, n_traits), -2).astype(np.int64)
    planted = np.sort(rng.choice(n_traits, size=n_planted, replace=False))
    direct_exposure = {int(t): exposures[k % len(exposures)] for k, t in enumerate(rng.permutation(planted))}
    # variance of each exposure explained by its causal variants that pass its instrument threshold
    where = np.searchsorted(idx, truth.variants)
    freq = genome.alt_freq[idx]
    het = 2 * freq * (1 - freq)
    explained = {}
    for j, x in enumerate(exposures):
        rows = where[truth.owner == j]
        z_thr = stats.norm.isf(cal.traits[x].p_threshold / 2)
        passing = rows[np.abs(ss.z[rows, j]) >= z_thr]
        explained[x] = float(np.sum(ss.beta[passing, j] ** 2 * het[passing]))
    target_z = rng.uniform(z_low, z_high, n_traits) * np.where(rng.random(n_traits) < 0.5, -1.0, 1.0)
    effect = np.zeros(n_traits)
    for t, x in direct_exposure.items():
        effect[t] = target_z[t] / np.sqrt(n_gwas[t] * explained[x])  # sd_T = 1

    # summary statistics of every phenome trait over the panel's variants
    expected_beta = np.zeros((idx.size, n_traits))
    for t, x in direct_exposure.items():
        j = exposures.index(x)
        expected_beta[:, t] = effect[t] * ss.mean_z[:, j] * ss.se[:, j]
    se = 1.0 / np.sqrt(het[:, None] * n_gwas[None, :])
    z = expected_beta / se + ar1_noise(genome.adjacent_ld(idx), genome.block[idx], n_traits, rng)
    eaf = np.clip(freq[:, None] + rng.standard_normal(z.shape) * np.sqrt(freq * (1 - freq))[:, None]
                  / np.sqrt(2 * n_gwas[None, :]), 1e-4, 1 - 1e-4)
    logp = np.log(2.0) + stats.norm.logsf(np.abs(z))
    p, mlog10p, beta = np.maximum(np.exp(logp), P_MIN), -logp / LN10, z * se
    ids = genome.variant_ids(idx)
    chrom, pos, ref, alt = genome.chrom[idx], genome.pos[idx], genome.ref[idx], genome.alt[idx]
    genes = np.char.add("SYNG", np.char.zfill(genome.block[idx].astype(str), 5))
    traits = {}
    (out / "gwas").mkdir()
    for t, name in enumerate(names):
        if t % 2 == 0:
            path = out / "gwas" / f"{name}.neale.tsv.gz"
            writers.write_neale(path, ids=ids, ref=ref, alt=alt, af=eaf[:, t], n=int(n_gwas[t]), beta=beta[:, t],
                                se=se[:, t], p=p[:, t], trait_mean=0.0)
            fmt = "neale"
        else:
            path = out / "gwas" / f"{name}.finngen.tsv.gz"
            writers.write_finngen(path, chrom=chrom, pos=pos, ref=ref, alt=alt, ids=ids, genes=genes, p=p[:, t],
                                  mlog10p=mlog10p[:, t], beta=beta[:, t], se=se[:, t], af=eaf[:, t],
                                  af_cases=eaf[:, t], af_controls=eaf[:, t])
            fmt = "finngen"
        traits[name] = {"file": str(path.relative_to(out)), "format": fmt, "n": int(n_gwas[t]),
                        "units": "SD", "planted_exposure": direct_exposure.get(t), "direct_effect": float(effect[t])}

    # the truth: direct and total effect of every exposure on every phenome trait
    b = np.asarray(panel_truth["b_matrix"]["values"], dtype=float)  # B[outcome, exposure]
    total_between = np.linalg.inv(np.eye(len(exposures)) - b)  # Tot[x, e]: total effect of e on x
    rows = []
    for e_index, e in enumerate(exposures):
        for t, name in enumerate(names):
            x = direct_exposure.get(t)
            total = effect[t] * total_between[exposures.index(x), e_index] if x is not None else 0.0
            rows.append({"exposure": e, "outcome": name, "planted_exposure": x or "",
                         "direct_effect": float(effect[t]) if x == e else 0.0, "total_effect": float(total),
                         "null": bool(total == 0.0),
                         "units": f"SD of {name} per unit of {panel_truth['units'][e]}"})
    pd.DataFrame(rows).to_csv(out / TRUTH_FILE, sep="\t", index=False)

    # a scan manifest: the panel's traits as exposures against every phenome trait
    lines = ["# mrkit scan manifest of the synthetic phenome (generated by mrkit.simulate.phenome)",
             # no seed: the scan's random draws are not the data's (mrkit scan's default, mrkit.rng.DEFAULT_SEED)
             "[settings]", 'methods = ["ivw", "egger", "weighted_median"]',
             f"reference = {_toml_value(str(files['ref']))}", ""]
    for x in exposures:
        path, fmt = files[x]
        spec = panel_truth["traits"][x]
        lines += ["[[exposure]]", f"id = {_toml_value(x)}", f"file = {_toml_value(str(path))}",
                  f"format = {_toml_value(fmt)}", f"p_threshold = {_toml_value(float(spec['p_threshold']))}"]
        if spec.get("ncase") and spec.get("ncontrol"):
            lines += [f"ncase = {_toml_value(float(spec['ncase']))}",
                      f"ncontrol = {_toml_value(float(spec['ncontrol']))}"]
        else:
            lines.append(f"n = {_toml_value(float(spec['n']))}")
        lines.append("")
    for name, spec in traits.items():
        lines += ["[[outcome]]", f"id = {_toml_value(name)}", f"file = {_toml_value(spec['file'])}",
                  f"format = {_toml_value(spec['format'])}", f"n = {_toml_value(float(spec['n']))}", ""]
    (out / MANIFEST_FILE).write_text("\n".join(lines))
    return {"description": ("Synthetic phenome made by mrkit.simulate.phenome (not real data): standardised "
                            "quantitative traits over the synthetic panel's variants, a few caused by one of "
                            "the panel's traits; see phenome_truth.tsv for every planted direct and total effect."),
            "version": PHENOME_VERSION, "code_sha256": _code_hash(), "size": size, "seed": seed,
            "n_traits": n_traits, "n_planted": n_planted, "target_z": [z_low, z_high], "panel": str(panel),
            "exposures": exposures, "traits": traits, "truth": TRUTH_FILE, "manifest": MANIFEST_FILE,
            "explained_variance_of_instrumented_variants": explained}


def build_phenome(out_dir: str | Path | None = None, *, n_traits: int = 200, n_planted: int = 12,
                  size: str = "small", seed: int | None = None) -> Path:
    """Generate the phenome into ``out_dir`` (default: the data cache), atomically (temp folder + rename).

    Returns the folder: ``gwas/`` (one file per trait), ``scan.toml``, ``phenome_truth.tsv``,
    ``phenome.json``. The panel of ``size`` and ``seed`` is built first when missing.
    """
    seed = resolve_panel_seed(seed)
    final = Path(out_dir) if out_dir is not None else default_phenome_dir(size, seed, n_traits)
    with atomic_directory(final) as tmp:
        info = generate_phenome(tmp, n_traits=n_traits, n_planted=n_planted, size=size, seed=seed)
        info["n_planted_requested"] = n_planted
        names = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        info["files"] = {n: {"bytes": (tmp / n).stat().st_size, "sha256": sha256_file(tmp / n)} for n in names}
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=1) + "\n")
        record_verified(tmp, info["files"])
    return final


def ensure_phenome(n_traits: int = 200, n_planted: int = 12, *, size: str = "small", seed: int | None = None,
                   out_dir: str | Path | None = None) -> Path:
    """The phenome folder, built when missing or made by other code or other settings."""
    seed = resolve_panel_seed(seed)
    folder = Path(out_dir) if out_dir is not None else default_phenome_dir(size, seed, n_traits)

    def current(report: bool = False) -> bool:
        """Built by this code with these settings, every file as phenome.json lists it (checked cheaply:
        :func:`mrkit.paths.check_files`); ``report``: say in one line what is damaged."""
        try:
            info = json.loads((folder / INFO_FILE).read_text())
        except (OSError, json.JSONDecodeError):
            return False
        if not (info.get("code_sha256") == _code_hash() and info.get("n_planted_requested") == n_planted
                and info.get("seed") == seed and info.get("size") == size and isinstance(info.get("files"), dict)):
            return False
        damaged = check_files(folder, info["files"])
        if damaged and report:
            report_damaged(folder, "; ".join(damaged[:2]) + (f" (and {len(damaged) - 2} more)" if len(damaged) > 2
                                                            else ""), "building the phenome again")
        return not damaged

    if current():
        return folder
    from .build import folder_lock

    with folder_lock(folder):
        if not current(report=True):
            build_phenome(folder, n_traits=n_traits, n_planted=n_planted, size=size, seed=seed)
    return folder


def phenome_truth(folder: str | Path) -> pd.DataFrame:
    """The planted truth: one row per (exposure, outcome) with ``direct_effect``, ``total_effect``, ``null``."""
    return pd.read_csv(Path(folder) / TRUTH_FILE, sep="\t", keep_default_na=False,
                       dtype={"planted_exposure": str})
