"""The datasets the tests' fake OpenGWAS server (tests/fake_opengwas.py) serves, and the study's six ids on the
synthetic panel.

:class:`PanelDataset` serves one trait of the synthetic panel through mrkit's own readers; it clumps top hits
with mrkit's own clumping (:func:`mrkit.gwas.clump.clump`, the engine the file path uses) against the panel's
reference, and finds proxies with :func:`mrkit.gwas.proxies.find_proxies` (the best proxy by r^2 within 500 kb,
as the file path does; the real server takes the nearest proxy with r^2 above the threshold). So the
instruments and outcome rows it returns are those of the file path. :class:`RowsDataset` serves fixed rows
(real top hits from ``../shared/realdata``, or rows a test writes). Both only answer what was asked: the
server (:class:`fake_opengwas.FakeOpenGWAS`) applies the real server's contract around them.
"""
from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PanelDataset", "RowsDataset", "proxy_alleles", "gwasinfo_record", "cache_with_panels", "panel_datasets"]


def _value(v: Any) -> Any:
    """A JSON-safe scalar: numpy to Python, NaN to null."""
    if v is None:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not math.isfinite(float(v)) else float(v)
    if v is pd.NA:
        return None
    return v


def _flip(a: str | None) -> str | None:
    return {"A": "T", "T": "A", "G": "C", "C": "G"}.get(a) if a else None


def proxy_alleles(ea: str | None, nea: str | None, eaf: float | None, proxy: dict, maf_threshold: float) -> str:
    """How an association's alleles map onto the proxy record: "straight", "switch", "skip" or "no_allele"
    (the real server's ``proxy_alleles``)."""
    a1 = ea.upper() if ea and ea.upper() in "ATGC" else None
    a2 = nea.upper() if nea and nea.upper() in "ATGC" else None
    p1, p2 = proxy["proxy_a1"], proxy["proxy_a2"]
    if a1 is None:
        return "no_allele"
    if not proxy["palindromic"]:
        if (a1 == p1 and a2 == p2) or (a1 == _flip(p1) and a2 == _flip(p2)):
            return "straight"
        if (a1 == p2 and a2 == p1) or (a1 == _flip(p2) and a2 == _flip(p1)):
            return "switch"
        return "skip"
    if not eaf:
        return "skip"
    if eaf < maf_threshold:
        if a1 == p1:
            return "straight"
        if a1 == _flip(p1):
            return "switch"
    if eaf > 1 - maf_threshold:
        if a1 == p1:
            return "switch"
        if a1 == _flip(p1):
            return "straight"
    return "skip"


class PanelDataset:
    """One trait of the synthetic panel, served as an OpenGWAS dataset (see the module docstring)."""

    def __init__(self, dataset_id: str, path: Path, fmt: str, ref: Path, sizes: dict, info: dict,
                 hide: set[str] = frozenset()):
        self.id, self.path, self.fmt, self.ref, self.sizes = dataset_id, Path(path), fmt, Path(ref), sizes
        self._info = dict(info)
        self.hide = set(hide)
        self._frames: dict[Any, pd.DataFrame] = {}
        self._rows_read = 0
        self._lock = threading.RLock()

    @property
    def info(self) -> dict:
        """The gwasinfo record, ``nsnp`` = the variants of the trait's file (read on first use)."""
        if self._info.get("nsnp") is None:
            self.gwas()
            self._info["nsnp"] = self._rows_read
        return self._info

    @info.setter
    def info(self, value: dict) -> None:
        self._info = dict(value)

    def gwas(self, p_max: float | None = None) -> pd.DataFrame:
        from mrkit.gwas.io import read_sumstats

        with self._lock:
            if p_max not in self._frames:
                frame = read_sumstats(self.path, self.fmt, p_max=p_max, **self.sizes)
                if p_max is None:
                    self._rows_read = int(frame.attrs.get("rows_read", len(frame)))
                self._frames[p_max] = frame[~frame["snp"].isin(self.hide)].reset_index(drop=True)
            return self._frames[p_max]

    def row(self, r: Any) -> dict:
        return {"id": self.id, "trait": self.info["trait"], "chr": str(r.chrom), "position": int(r.pos),
                "rsid": str(r.snp), "ea": r.effect_allele, "nea": r.other_allele, "eaf": _value(r.eaf),
                "beta": _value(r.beta), "se": _value(r.se), "p": _value(r.p), "n": _value(r.n)}

    def tophits(self, pval: float, clump: int, r2: float, kb: float, pop: str) -> list[dict]:
        """Variants at p <= pval (mrkit's selection), LD-clumped with mrkit's clumping when ``clump``; the server
        keeps p < pval and sorts the rows by p (:meth:`FakeOpenGWAS.answer`)."""
        from mrkit.gwas.clump import clump as ld_clump
        from mrkit.gwas.instruments import select_instruments

        selected = select_instruments(self.gwas(p_max=pval), pval)
        if clump:
            selected = ld_clump(selected, self.ref, r2=r2, kb=kb, p1=pval, p2=1.0)
        return [self.row(r) for r in selected.itertuples()]

    def associations(self, variants: list[str], proxies: int, r2: float, align_alleles: int, palindromes: int,
                     maf_threshold: float) -> list[dict]:
        from mrkit.gwas.ld import is_palindromic
        from mrkit.gwas.proxies import find_proxies

        full = self.gwas()
        by_snp = full.drop_duplicates("snp").set_index("snp", drop=False)
        found = {}
        missing = [v for v in variants if v not in by_snp.index]
        if proxies and missing:
            table = find_proxies(missing, full["snp"], self.ref, r2=r2, palindromes=bool(palindromes))
            for rec in table[table["status"] == "found"].itertuples():
                found[rec.target_snp] = {
                    "proxy": rec.proxy_snp, "target_a1": rec.target_allele_for_proxy_a1,
                    "target_a2": rec.target_allele_for_proxy_a2, "proxy_a1": rec.proxy_a1, "proxy_a2": rec.proxy_a2,
                    "palindromic": bool(is_palindromic(np.array([rec.proxy_a1]), np.array([rec.proxy_a2]))[0])}
        out = []
        for v in variants:
            if v in by_snp.index:
                r = self.row(by_snp.loc[v])
                if proxies:
                    r.update(target_snp=v, proxy_snp=v, proxy=False, target_a1=None, target_a2=None, proxy_a1=None,
                             proxy_a2=None)
                out.append(r)
            elif v in found:
                px = found[v]
                r = self.row(by_snp.loc[px["proxy"]])
                r.update(target_snp=v, proxy_snp=px["proxy"])
                if align_alleles:
                    how = proxy_alleles(r["ea"], r["nea"], r["eaf"], px, maf_threshold)
                    if how not in ("straight", "switch"):
                        continue
                    pair = (px["target_a1"], px["target_a2"])
                    ea, nea = pair if how == "straight" else pair[::-1]
                    r.update(ea=ea, nea=nea)
                r.update(proxy=True, rsid=v, target_a1=px["target_a1"], target_a2=px["target_a2"],
                         proxy_a1=px["proxy_a1"], proxy_a2=px["proxy_a2"])
                out.append(r)
        return out


class RowsDataset:
    """A dataset answering from fixed rows (``rsid, ea, nea, eaf, beta, se, p, n``, ...)."""

    def __init__(self, dataset_id: str, rows: list[dict], info: dict):
        self.id, self.rows, self.info = dataset_id, rows, dict(info)

    def tophits(self, pval: float, clump: int, r2: float, kb: float, pop: str) -> list[dict]:
        return [dict(r) for r in self.rows if r["p"] < pval]

    def associations(self, variants: list[str], proxies: int, r2: float, align_alleles: int, palindromes: int,
                     maf_threshold: float) -> list[dict]:
        wanted = set(variants)
        return [dict(r) for r in self.rows if r["rsid"] in wanted]


# -- the study's datasets --------------------------------------------------------------------------------------
def gwasinfo_record(source: Any, nsnp: int | None) -> dict:
    """A gwasinfo record for a source of ``data/sources.toml``, in the real API's fields."""
    return {"id": source.opengwas_id, "trait": source.description.split(",")[0], "author": "mrkit synthetic panel",
            "year": 2024, "population": source.ancestry or "European", "sample_size": source.sample_size,
            "ncase": source.ncase, "ncontrol": source.ncontrol, "nsnp": nsnp, "unit": source.units,
            "build": "HG19/GRCh37", "group_name": "public", "note": "served by the tests' fake OpenGWAS server"}


def cache_with_panels(folder: Path) -> Path:
    """``folder`` made a data cache of its own (for ``MRKIT_CACHE``) that shares this checkout's synthetic
    panels (linked in, made once), so that only OpenGWAS answers start afresh."""
    from mrkit.paths import cache_dir

    panels = cache_dir() / "synthetic"
    panels.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "synthetic").symlink_to(panels)
    return folder


def panel_datasets(size: str = "small", seed: int | None = None, hide: dict[str, set[str]] | None = None) -> dict:
    """The study's six OpenGWAS ids, each serving its trait of the synthetic panel (``hide``: per trait, variants
    the dataset lacks)."""
    from mrkit.gwas.sources import load_sources
    from mrkit.paper.labels import TRAITS
    from mrkit.simulate import ensure_panel, panel_files

    files = panel_files(ensure_panel(size=size, seed=seed))
    sources = load_sources()
    out = {}
    for trait in TRAITS:
        src = sources[trait]
        path, fmt = files[trait]
        sizes = {k: getattr(src, k) for k in ("n", "ncase", "ncontrol") if getattr(src, k, None)}
        ds = PanelDataset(src.opengwas_id, path, fmt, files["ref"], sizes, {}, hide=(hide or {}).get(trait, set()))
        ds.info = gwasinfo_record(src, None)
        out[src.opengwas_id] = ds
    return out
