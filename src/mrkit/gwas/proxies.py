"""Proxy variants: stand-ins in LD for instruments the outcome GWAS did not report.

An instrument missing from the outcome can be replaced by the variant in strongest LD with it
(r^2 >= 0.8 by default, within a window) that the outcome does report, as OpenGWAS does for
``associations(proxies = 1, rsq = 0.8, align_alleles = 1)``. The proxy's outcome association is
then re-expressed for the target's alleles: the proxy allele *in phase* with a target allele (the
sign of the haplotype D between them in the reference panel) carries that target allele's label.
With negative LD, the target's A1 travels with the proxy's A2. r and its sign are PLINK 1.9's
haplotype (EM) estimates (:func:`mrkit.gwas.ld.haplotype_r`).

Palindromic proxies (A/T, C/G) are skipped by default: the outcome file's strand cannot be told
from their alleles, so the allele mapping could silently reverse. The outcome EAF of a proxy is kept
as the frequency of the mapped allele; it approximates the target's frequency only when r^2 is near 1.

References
----------
Hemani G et al. (2018). The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408 (LD proxies for missing instruments, r^2 >= 0.8).
Machiela MJ, Chanock SJ (2015). LDlink: a web-based application for exploring population-specific
haplotype structure and linking correlated alleles of possible functional variants.
Bioinformatics 31:3555-3557 (correlated alleles from the sign of D).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .ld import Panel, allele_alignment, haplotype_r, is_palindromic, open_panel
from .schema import normalise_alleles

__all__ = ["find_proxies", "proxy_outcome_rows", "PROXY_COLUMNS"]

#: Columns of the :func:`find_proxies` table.
PROXY_COLUMNS = ("target_snp", "proxy_snp", "r2", "r", "distance", "target_a1", "target_a2", "proxy_a1",
                 "proxy_a2", "target_allele_for_proxy_a1", "target_allele_for_proxy_a2", "status")


def find_proxies(missing_snps: Iterable[str], outcome_snps: Iterable[str], bfile: str | Path | Panel, *,
                 r2: float = 0.8, kb: float = 500, palindromes: bool = False) -> pd.DataFrame:
    """For each target in ``missing_snps``, the best proxy among ``outcome_snps`` in the panel ``bfile``.

    The best proxy has the highest r^2 (>= ``r2``) with the target among outcome variants on the same
    chromosome within ``kb`` kilobases (ties: the nearer, then the earlier in the panel).

    Returns
    -------
    DataFrame
        One row per target (:data:`PROXY_COLUMNS`): ``r2`` (>= 0) and signed ``r`` with the target;
        panel alleles of both; ``target_allele_for_proxy_a1``/``_a2``, the target allele in phase with
        each proxy allele; ``status`` ``"found"``, ``"no proxy"`` or ``"target not in panel"``.
        ``attrs["proxies"]`` counts targets, found, no proxy and absent from the panel.

    References
    ----------
    Hemani G et al. (2018). eLife 7:e34408. Machiela MJ, Chanock SJ (2015). Bioinformatics 31:3555-3557.
    """
    if not (np.isfinite(r2) and 0.0 < r2 <= 1.0):
        raise InputError(f"r2 must be in (0, 1], got {r2!r}", column="r2")
    if not (np.isfinite(kb) and kb > 0):
        raise InputError(f"kb must be > 0, got {kb!r}", column="kb")
    panel = open_panel(bfile) if not isinstance(bfile, Panel) else bfile
    targets = list(dict.fromkeys(str(s) for s in missing_snps))
    bim = panel.bim
    chrom = bim["chrom"].to_numpy(dtype=object)
    pos = bim["pos"].to_numpy()
    a1 = bim["a1"].to_numpy(dtype=object)
    a2 = bim["a2"].to_numpy(dtype=object)
    eligible = np.zeros(panel.n_variants, dtype=bool)
    out_rows = panel.locate(list(outcome_snps))
    eligible[out_rows[out_rows >= 0]] = True
    if not palindromes:
        eligible &= ~is_palindromic(a1, a2)
    radius = int(round(kb * 1000))
    target_rows = panel.locate(targets) if targets else np.array([], dtype=np.int64)

    records = []
    for target, t in zip(targets, target_rows):  # one iteration per missing instrument, vectorised window
        rec = dict.fromkeys(PROXY_COLUMNS, None)
        rec.update(target_snp=target, r2=np.nan, r=np.nan, distance=np.nan, status="target not in panel")
        if t < 0:
            records.append(rec)
            continue
        rec.update(target_a1=a1[t], target_a2=a2[t], status="no proxy")
        window = np.flatnonzero(eligible & (chrom == chrom[t]) & (np.abs(pos - pos[t]) <= radius))
        window = window[window != t]
        if window.size:
            g = panel.genotypes(np.concatenate([[t], window]))
            r, _ = haplotype_r(g[:, 0], g[:, 1:])
            r_sq = r ** 2
            ok = np.isfinite(r_sq) & (r_sq >= r2)
            if ok.any():
                cand = np.flatnonzero(ok)
                best = cand[np.lexsort((window[cand], np.abs(pos[window[cand]] - pos[t]), -r_sq[cand]))[0]]
                p = window[best]
                in_phase = r[best] > 0
                rec.update(proxy_snp=bim["snp"].iloc[p], r2=float(r_sq[best]), r=float(r[best]),
                           distance=int(pos[p] - pos[t]), proxy_a1=a1[p], proxy_a2=a2[p],
                           target_allele_for_proxy_a1=a1[t] if in_phase else a2[t],
                           target_allele_for_proxy_a2=a2[t] if in_phase else a1[t], status="found")
        records.append(rec)
    table = pd.DataFrame.from_records(records, columns=list(PROXY_COLUMNS))
    status = table["status"]
    table.attrs["proxies"] = {"targets": int(len(table)), "found": int((status == "found").sum()),
                              "no_proxy": int((status == "no proxy").sum()),
                              "target_not_in_panel": int((status == "target not in panel").sum()),
                              "r2": float(r2), "kb": float(kb), "palindromes": bool(palindromes),
                              "panel": str(panel.prefix)}
    return table


def proxy_outcome_rows(outcome: pd.DataFrame, proxies: pd.DataFrame) -> pd.DataFrame:
    """Outcome rows of the found proxies, re-labelled as their targets with the target's alleles.

    ``outcome`` is a TwoSampleMR outcome frame (``SNP``, ``effect_allele.outcome``, ...). The proxy's
    outcome effect allele is matched to the panel's proxy alleles (also on the reverse strand) and
    replaced by the target allele in phase with it; beta, se and p are unchanged. Rows are indexed
    by target: ``SNP`` = target, plus ``proxy`` (True), ``target_snp``, ``proxy_snp``, ``proxy_r2``.
    ``attrs["dropped"]`` counts proxies whose outcome alleles do not match the panel.
    """
    found = proxies[proxies["status"] == "found"]
    missing_cols = [c for c in ("SNP", "effect_allele.outcome", "other_allele.outcome") if c not in outcome.columns]
    if missing_cols:
        raise InputError(f"outcome table lacks {missing_cols} needed to align proxies",
                         file=outcome.attrs.get("source"))
    by_snp = outcome.drop_duplicates("SNP").set_index("SNP", drop=False)
    found = found[found["proxy_snp"].isin(by_snp.index)]
    rows = by_snp.loc[found["proxy_snp"].to_numpy()].reset_index(drop=True)
    effect, other = (normalise_alleles(rows[f"{c}_allele.outcome"].to_numpy(dtype=object, na_value=None))
                     for c in ("effect", "other"))
    sign, _ = allele_alignment(effect, other, found["proxy_a1"].to_numpy(dtype=object),
                               found["proxy_a2"].to_numpy(dtype=object))
    for_a1 = found["target_allele_for_proxy_a1"].to_numpy(dtype=object)
    for_a2 = found["target_allele_for_proxy_a2"].to_numpy(dtype=object)
    rows["effect_allele.outcome"] = np.where(sign > 0, for_a1, for_a2)
    rows["other_allele.outcome"] = np.where(sign > 0, for_a2, for_a1)
    rows["SNP"] = found["target_snp"].to_numpy(dtype=object)
    rows["proxy"] = True
    rows["target_snp"] = found["target_snp"].to_numpy(dtype=object)
    rows["proxy_snp"] = found["proxy_snp"].to_numpy(dtype=object)
    rows["proxy_r2"] = found["r2"].to_numpy(dtype=float)
    keep = sign != 0
    out = rows.loc[keep].reset_index(drop=True)
    out.attrs["dropped"] = {"proxy alleles do not match the panel": int((~keep).sum())}
    return out
