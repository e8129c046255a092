# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from PLINK 1.9 v1.90b6.26 clump_reports, plink_ld.c (GPL-3.0-or-later).
"""LD clumping of instrument candidates: PLINK 1.9 itself, or a numpy engine that reproduces it.

MR needs independent instruments. The study (like TwoSampleMR's ``clump_data``) clumps the
genome-wide significant variants with r^2 < 0.001 in a 10 000 kb window against a reference panel.
Two engines give the same answer:

``plink``
    runs ``plink1.9 --bfile B --clump F --clump-r2 --clump-kb --clump-p1 --clump-p2 --clump-field P
    --clump-snp-field SNP`` in a temporary folder and parses ``.clumped``.
``numpy``
    PLINK 1.9's greedy algorithm (``clump_reports`` in plink_ld.c): candidates with p <= p1 are
    taken in ascending p (ties: panel order, PLINK's "determinism fix" of 2021); each one not yet
    clumped becomes an index variant and clumps every not-yet-clumped candidate on its chromosome
    within ``kb`` whose r^2 with it is **strictly greater** than ``r2``. The window is
    ``|bp - bp_index| <= kb * 1000 - 1`` (PLINK stores the radius as ``kb * 1000 - 1``), and r^2 is
    PLINK's haplotype (EM) r^2 on founders (:func:`mrkit.gwas.ld.haplotype_r`), not the dosage
    correlation. Only candidate genotypes are read from the panel, and each index variant's r^2
    with its whole window is one matrix product.

Chromosome X: PLINK codes male genotypes as haploid there; the numpy engine does not (it warns), so use
the PLINK engine for X. Variants absent from the panel cannot be clumped: PLINK drops them with a warning,
both engines drop them and report them in ``attrs["clump"]["absent_from_panel"]``. ``p2`` only changes which clumped
variants PLINK lists in SP2, never the index variants.

References
----------
Purcell S et al. (2007). PLINK: a tool set for whole-genome association and population-based
linkage analyses. Am J Hum Genet 81:559-575.
Chang CC et al. (2015). Second-generation PLINK. GigaScience 4:7.
Hemani G et al. (2018). The MR-Base platform supports systematic causal inference across the
human phenome. eLife 7:e34408 (``clump_data`` defaults r2 = 0.001, kb = 10000).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, MRKitError
from .columns import checked_p_values, resolve_columns
from .ld import Panel, haplotype_r, open_panel

__all__ = ["clump", "plink_binary", "ENGINES"]

ENGINES = ("auto", "plink", "numpy")
_PLINK_NAMES = ("plink1.9", "plink")


class PlinkError(MRKitError):
    """PLINK exited with an error; the message carries the end of its log."""


def plink_binary() -> str | None:
    """Path of the PLINK 1.9 executable (``plink1.9`` or ``plink`` on PATH), or None."""
    for name in _PLINK_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _candidates(sumstats: pd.DataFrame, p1: float) -> tuple[pd.DataFrame, str, str]:
    cols = resolve_columns(sumstats, "exposure" if "pval.exposure" in sumstats.columns else None)
    snp_col, p_col = cols["snp"], cols["p"]
    if snp_col is None or p_col is None:
        raise InputError(f"need a variant id and a p-value column; got {list(sumstats.columns)}",
                         file=sumstats.attrs.get("source"))
    p = checked_p_values(sumstats, p_col)
    ids = sumstats[snp_col].astype("str")
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise InputError("missing variant id", file=sumstats.attrs.get("source"), row=row, column=snp_col)
    frame = pd.DataFrame({"snp": ids.to_numpy(dtype=object), "p": p, "row": np.arange(len(p))})
    frame = frame[frame["p"] <= p1]
    # PLINK sorts a variant listed twice by its smallest p
    frame = frame.sort_values(["p", "row"], kind="stable").drop_duplicates("snp", keep="first")
    return frame, snp_col, p_col


def _radius(kb: float) -> int:
    """PLINK's clump window radius in bp: ``kb * 1000 - 1`` (its 250 kb default is stored as 249999)."""
    return max(int(round(kb * 1000)) - 1, 0)


def _numpy_clump(cand: pd.DataFrame, panel: Panel, r2: float, kb: float,
                 p2: float) -> tuple[list[str], dict[str, list[str]]]:
    """Greedy clumping of ``cand`` (present in the panel) as PLINK 1.9 does.

    Returns the index ids and, per index, the clumped candidates with p < p2 in panel order (PLINK's SP2).
    """
    rows = panel.locate(cand["snp"])
    order = np.lexsort((rows, cand["p"].to_numpy()))  # ascending p, ties by panel order
    rows = rows[order]
    snps = cand["snp"].to_numpy(dtype=object)[order]
    listed = cand["p"].to_numpy()[order] < p2
    chrom = panel.bim["chrom"].to_numpy(dtype=object)[rows]
    pos = panel.bim["pos"].to_numpy()[rows]
    sex_chroms = sorted({str(c) for c in chrom} & {"X", "Y", "XY", "MT", "24", "25", "26"})
    if sex_chroms:
        warnings.warn(f"numpy clumping treats chromosome(s) {sex_chroms} as diploid; PLINK codes male genotypes "
                      "there as haploid, so results can differ from engine='plink'", stacklevel=3)
    genotypes = panel.genotypes(rows)  # founders x candidates, columns in p order
    radius = _radius(kb)
    # candidates of each chromosome sorted by position, for window look-up by binary search
    by_chrom: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    for c in pd.unique(chrom):
        members = np.flatnonzero(chrom == c)
        members = members[np.argsort(pos[members], kind="stable")]
        by_chrom[c] = (members, pos[members])
    clumped = np.zeros(len(rows), dtype=bool)
    index_ids: list[str] = []
    members_of: dict[str, list[str]] = {}
    for i in range(len(rows)):  # one iteration per index candidate, each vectorised over its window
        if clumped[i]:
            continue
        clumped[i] = True
        index_ids.append(snps[i])
        members, mpos = by_chrom[chrom[i]]
        lo = int(np.searchsorted(mpos, pos[i] - radius, side="left"))
        hi = int(np.searchsorted(mpos, pos[i] + radius, side="right"))
        window = members[lo:hi]
        window = window[~clumped[window]]
        if window.size == 0:
            members_of[snps[i]] = []
            continue
        _, pair_r2 = haplotype_r(genotypes[:, i], genotypes[:, window])
        hit = window[np.abs(pair_r2) > r2]  # NaN (unphaseable) never clumps, as in PLINK
        clumped[hit] = True
        hit = hit[listed[hit]]
        members_of[snps[i]] = list(snps[hit[np.argsort(rows[hit])]])  # panel order, as SP2
    return index_ids, members_of


def _plink_clump(cand: pd.DataFrame, bfile: Path, plink: str, r2: float, kb: float, p1: float,
                 p2: float) -> tuple[list[str], dict[str, list[str]], str]:
    """Run PLINK 1.9 ``--clump`` on the candidates; return index ids (PLINK's order), SP2 and the log."""
    with tempfile.TemporaryDirectory(prefix="mrkit-clump-") as tmp:
        tmp_path = Path(tmp)
        assoc = tmp_path / "candidates.txt"
        with open(assoc, "w") as fh:
            fh.write("SNP P\n")
            for snp, p in zip(cand["snp"], cand["p"]):
                fh.write(f"{snp} {p!r}\n")
        out = tmp_path / "clump"
        cmd = [plink, "--bfile", str(bfile), "--clump", str(assoc), "--clump-r2", repr(float(r2)),
               "--clump-kb", repr(float(kb)), "--clump-p1", repr(float(p1)), "--clump-p2", repr(float(p2)),
               "--clump-field", "P", "--clump-snp-field", "SNP", "--threads", "1", "--out", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        log_path = out.with_suffix(".log")
        log = log_path.read_text() if log_path.exists() else proc.stdout + proc.stderr
        if proc.returncode != 0:
            tail = "\n".join(log.strip().splitlines()[-15:])
            raise PlinkError(f"plink --clump failed (exit {proc.returncode}) on {bfile}:\n{tail}")
        clumped = out.with_suffix(".clumped")
        if not clumped.exists():
            if "No significant --clump results" in log or cand.empty:
                return [], {}, log
            tail = "\n".join(log.strip().splitlines()[-15:])
            raise PlinkError(f"plink --clump wrote no .clumped file:\n{tail}")
        table = pd.read_csv(clumped, sep=r"\s+", dtype=str).dropna(subset=["SNP"])
    sp2: dict[str, list[str]] = {}
    for snp, members in zip(table["SNP"], table["SP2"]):
        sp2[snp] = [] if members == "NONE" else [m.rsplit("(", 1)[0] for m in members.split(",")]
    return list(table["SNP"]), sp2, log


def clump(sumstats: pd.DataFrame, bfile: str | Path | Panel, *, r2: float = 0.001, kb: float = 10000,
          p1: float = 5e-8, p2: float = 1.0, engine: str = "auto") -> pd.DataFrame:
    """Independent index variants of ``sumstats`` by PLINK 1.9 LD clumping against the panel ``bfile``.

    Parameters
    ----------
    sumstats : internal-schema frame (``snp``, ``p``) or TwoSampleMR frame (``SNP``,
        ``pval.exposure`` or ``pval.outcome``); ids must equal the panel's ``.bim`` ids.
    bfile : PLINK 1 panel prefix (or an opened :class:`~mrkit.gwas.ld.Panel`).
    r2 : variants with r^2 **>** r2 to an index variant are clumped (TwoSampleMR default 0.001);
        must be < 1, as PLINK requires.
    kb : window half-width in kb (TwoSampleMR default 10000).
    p1 : only variants with p <= p1 can be index variants (default 5e-8; use 5e-6 for the study's
        reverse direction).
    p2 : clumped candidates are listed in ``attrs["clump"]["members"]`` when p < p2 (PLINK's SP2);
        must be >= p1, as PLINK requires; never changes the index variants.
    engine : ``"plink"``, ``"numpy"`` or ``"auto"`` (PLINK when ``plink1.9``/``plink`` is on PATH).

    Returns
    -------
    DataFrame
        The rows of ``sumstats`` that are index variants, most significant first.
        ``attrs["clump"]`` records the engine that ran, the parameters, the number of candidates, the
        candidates absent from the panel and, per index variant, the candidates it clumped.

    References
    ----------
    Purcell S et al. (2007). Am J Hum Genet 81:559-575. Chang CC et al. (2015). GigaScience 4:7.
    """
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {ENGINES}, got {engine!r}", column="engine")
    if not (np.isfinite(r2) and 0.0 <= r2 < 1.0):  # PLINK rejects --clump-r2 1
        raise InputError(f"r2 must be in [0, 1), got {r2!r}", column="r2")
    for name, value in (("p1", p1), ("p2", p2)):
        if not (np.isfinite(value) and 0.0 <= value <= 1.0):
            raise InputError(f"{name} must be in [0, 1], got {value!r}", column=name)
    if p2 < p1:  # PLINK refuses --clump-p2 below --clump-p1
        raise InputError(f"p2 ({p2!r}) must be >= p1 ({p1!r})", column="p2")
    if not (np.isfinite(kb) and kb > 0):
        raise InputError(f"kb must be > 0, got {kb!r}", column="kb")
    plink = plink_binary() if engine in ("auto", "plink") else None
    if engine == "plink" and plink is None:
        raise MRKitError("engine='plink' needs plink1.9 (or plink) on PATH; use engine='numpy'")
    ran = "plink" if plink is not None else "numpy"

    panel = bfile if isinstance(bfile, Panel) else open_panel(bfile)
    cand, snp_col, _ = _candidates(sumstats, p1)
    present = panel.locate(cand["snp"]) >= 0
    absent = list(cand.loc[~present, "snp"])
    cand = cand[present]
    log = None
    if cand.empty:
        index_ids, members = [], {}
    elif ran == "plink":
        index_ids, members, log = _plink_clump(cand, panel.prefix, plink, r2, kb, p1, p2)
    else:
        index_ids, members = _numpy_clump(cand, panel, r2, kb, p2)
    rows = cand.set_index("snp").loc[index_ids, "row"].to_numpy() if index_ids else np.array([], int)
    out = sumstats.iloc[rows].copy()
    out.attrs = dict(sumstats.attrs)
    out.attrs["clump"] = {
        "engine": ran, "r2": float(r2), "kb": float(kb), "p1": float(p1), "p2": float(p2),
        "panel": str(panel.prefix), "candidates": int(len(cand) + len(absent)),
        "absent_from_panel": absent, "index_variants": len(index_ids), "members": members,
        "plink_log": log,
    }
    return out
