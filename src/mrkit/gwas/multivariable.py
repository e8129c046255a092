# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) mv_extract_exposures and mv_harmonise_data, R/multivariable_mr.R.
"""Multivariable harmonisation: joint instruments of several exposures, all on one effect allele.

:func:`mv_extract_exposures` follows TwoSampleMR's ``mv_extract_exposures`` (and its local-file variant
``mv_extract_exposures_local``), step by step:

1. each exposure's instruments: p <= ``p_threshold``, clumped on their own (``extract_instruments``);
2. their union, each variant with its smallest p over the exposures, clumped together (r2, kb);
3. every exposure's effect looked up for the surviving variants (``extract_outcome_data``, without
   proxies here: a variant missing from any exposure's GWAS leaves);
4. every exposure harmonised to the first exposure's effect allele (``harmonise_data(d1, d2, action)``),
   keeping only the variants harmonised (``mr_keep``) for every exposure.

:func:`mv_harmonise` follows ``mv_harmonise_data``: the outcome is harmonised against the first
exposure's alleles, variants it drops leave, and the result is the wide table ``SNP, bx_<name>,
bxse_<name>, ..., by, byse`` that :func:`mrkit.methods.mvdata.as_mvdata` reads. Both return their
counts in ``attrs["log"]`` (STROBE-MR item 10a).

References
----------
Hemani G, Zheng J, Elsworth B, et al. (2018). The MR-Base platform supports systematic causal inference
across the human phenome. eLife 7:e34408 (TwoSampleMR ``mv_extract_exposures``, ``mv_harmonise_data``).
Sanderson E, Davey Smith G, Windmeijer F, Bowden J (2019). Int J Epidemiol 48:713-727.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from .clump import clump
from .harmonise import harmonise, to_twosamplemr
from .instruments import GENOME_WIDE, select_instruments

__all__ = ["mv_extract_exposures", "mv_harmonise"]


def _clumped(frame: pd.DataFrame, bfile, p_threshold: float, r2: float, kb: float, engine: str) -> pd.DataFrame:
    return frame if bfile is None else clump(frame, bfile, r2=r2, kb=kb, p1=p_threshold, p2=1.0, engine=engine)


def mv_extract_exposures(gwas: dict[str, pd.DataFrame], bfile: str | Path | None, *,
                         p_threshold: float = GENOME_WIDE, clump_r2: float = 0.001, clump_kb: float = 10000,
                         harmonise_action: int = 2, engine: str = "auto",
                         instruments: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Joint instruments of the exposures in ``gwas`` (name -> full summary statistics), TwoSampleMR style.

    Parameters
    ----------
    gwas : at least two exposures, in order (the first sets the effect allele), internal-schema frames
        (:func:`mrkit.gwas.io.read_sumstats`) with ``snp, effect_allele, other_allele, eaf, beta, se, p``.
    bfile : PLINK reference panel for clumping (None: the variants are taken as independent).
    p_threshold, clump_r2, clump_kb : instrument threshold and clumping (TwoSampleMR defaults 5e-8,
        0.001, 10000).
    harmonise_action : TwoSampleMR's ``harmonise_strictness`` (1, 2 or 3).
    instruments : each exposure's already clumped instruments, when the caller has them (step 1).

    Returns
    -------
    DataFrame
        TwoSampleMR's long multivariable exposure format: one row per variant and exposure with ``SNP``,
        ``exposure``, ``id.exposure``, ``effect_allele.exposure``, ``other_allele.exposure``,
        ``eaf.exposure``, ``beta.exposure``, ``se.exposure``, ``pval.exposure``, all on the first
        exposure's effect allele. ``attrs["log"]``: counts per step.

    Raises
    ------
    InputError
        Fewer than two exposures; bad summary statistics (from the instrument selection and harmonisation steps).
    """
    names = list(gwas)
    if len(names) < 2:
        raise InputError(f"multivariable MR needs at least two exposures, got {names}", column="exposures")
    log: dict = {"instruments": {}}
    per = {}
    for name in names:
        if instruments is not None and name in instruments:
            per[name] = instruments[name]
        else:
            per[name] = _clumped(select_instruments(gwas[name], p_threshold), bfile, p_threshold, clump_r2, clump_kb,
                                 engine)
        log["instruments"][name] = len(per[name])
    union = pd.concat([to_twosamplemr(per[n], "exposure", n) for n in names], ignore_index=True)
    union = union.sort_values("pval.exposure", kind="stable").drop_duplicates("SNP").reset_index(drop=True)
    log["union"] = len(union)
    joint = _clumped(union, bfile, p_threshold, clump_r2, clump_kb, engine)
    snps = list(joint["SNP"])
    log["after_joint_clumping"] = len(snps)
    looked_up = {}
    for name in names:
        table = to_twosamplemr(gwas[name], "exposure", name)
        looked_up[name] = table[table["SNP"].isin(snps)].drop_duplicates("SNP").reset_index(drop=True)
    log["missing_in"] = {n: int(len(snps) - len(looked_up[n])) for n in names}
    first = looked_up[names[0]]
    keep = set(first["SNP"])
    aligned = {names[0]: first}
    log["harmonisation_removed"] = {}
    for name in names[1:]:
        other = looked_up[name].rename(columns=lambda c: c.replace(".exposure", ".outcome")
                                       if c.endswith(".exposure") else ("outcome" if c == "exposure" else c))
        h = harmonise(first, other, action=harmonise_action, exposure_name=names[0], outcome_name=name)
        ok = h[h["mr_keep"]]
        log["harmonisation_removed"][name] = int(len(h) - len(ok))
        keep &= set(ok["SNP"])
        aligned[name] = pd.DataFrame({"SNP": ok["SNP"], "effect_allele.exposure": ok["effect_allele.outcome"],
                                      "other_allele.exposure": ok["other_allele.outcome"],
                                      "eaf.exposure": ok["eaf.outcome"], "beta.exposure": ok["beta.outcome"],
                                      "se.exposure": ok["se.outcome"], "pval.exposure": ok["pval.outcome"]})
    order = [s for s in snps if s in keep]
    log["in_every_exposure"] = len(order)
    parts = []
    for name in names:
        a = aligned[name].set_index("SNP").loc[order].reset_index()
        parts.append(a.assign(exposure=name, **{"id.exposure": name})[
            ["SNP", "exposure", "id.exposure", "effect_allele.exposure", "other_allele.exposure", "eaf.exposure",
             "beta.exposure", "se.exposure", "pval.exposure"]])
    out = pd.concat(parts, ignore_index=True)
    out.attrs["log"] = log
    out.attrs["settings"] = {"p_threshold": p_threshold, "clump_r2": clump_r2, "clump_kb": clump_kb,
                             "harmonise_action": harmonise_action}
    return out


def mv_harmonise(exposure_dat: pd.DataFrame, outcome: pd.DataFrame, *, outcome_name: str = "outcome",
                 harmonise_action: int = 2) -> pd.DataFrame:
    """Outcome associations for :func:`mv_extract_exposures` output, as the wide MV input table.

    As TwoSampleMR ``mv_harmonise_data``: only variants present for every exposure; the outcome is
    harmonised to the first exposure's alleles (which every exposure already shares); variants the
    outcome lacks or that harmonisation drops leave. Returns ``SNP, bx_<name>, bxse_<name>, ..., by, byse``
    (plus ``pval_<name>``, ``effect_allele``, ``other_allele``) with ``attrs["log"]`` counts.
    """
    names = list(dict.fromkeys(exposure_dat["exposure"]))
    counts = exposure_dat["SNP"].value_counts()
    complete = set(counts.index[counts == len(names)])
    dat = exposure_dat[exposure_dat["SNP"].isin(complete)]
    first = dat[dat["exposure"] == names[0]]
    h = harmonise(first, outcome, action=harmonise_action, exposure_name=names[0], outcome_name=outcome_name)
    ok = h[h["mr_keep"]].set_index("SNP")
    snps = [s for s in first["SNP"] if s in ok.index]
    wide = pd.DataFrame({"SNP": snps})
    for name in names:
        e = dat[dat["exposure"] == name].set_index("SNP").loc[snps]
        wide[f"bx_{name}"] = e["beta.exposure"].to_numpy(float)
        wide[f"bxse_{name}"] = e["se.exposure"].to_numpy(float)
        wide[f"pval_{name}"] = e["pval.exposure"].to_numpy(float)
    wide["by"] = ok.loc[snps, "beta.outcome"].to_numpy(float)
    wide["byse"] = ok.loc[snps, "se.outcome"].to_numpy(float)
    wide["effect_allele"] = first.set_index("SNP").loc[snps, "effect_allele.exposure"].to_numpy()
    wide["other_allele"] = first.set_index("SNP").loc[snps, "other_allele.exposure"].to_numpy()
    wide["outcome"] = outcome_name
    log = dict(exposure_dat.attrs.get("log", {}))
    log["outcome"] = {"candidates": len(first), **h.attrs["log"]}
    log["kept"] = len(wide)
    wide.attrs["log"] = log
    return wide
