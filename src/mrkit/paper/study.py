"""The study's analysis path, from a trait's GWAS file to harmonised instruments, in one place.

The notebooks call this so that every page takes the same steps with the same settings: read the
summary statistics (the synthetic panel's files or the real ones), select instruments at a p-value
threshold, clump them against the reference panel, look up the outcome (with LD proxies for missing
instruments) and harmonise. Results are kept per process, and the costly per-trait tables (a trait's
GWAS, its clumped instruments) also on disk across pages and builds (:mod:`.study_cache`), since
several pages need the same trait.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import MRKitError
from .labels import BINARY_TRAITS, SHORT_UNITS, TRAITS, trait_label


@dataclass
class Study:
    """One configuration of the data side of the analysis: which data, which synthetic panel, which clumping.

    ``panel_seed`` picks the synthetic panel (None: :data:`mrkit.rng.DEFAULT_PANEL_SEED`). The seed of an
    analysis's random draws (bootstraps, MR-PRESSO) is not here: it is an argument of the analysis
    (:func:`mrkit.paper.direction.analyse`), so that changing it re-uses the panel and the cached tables.
    """

    data: str = "synthetic"
    panel_size: str = "full"
    panel_seed: int | None = None
    clump_r2: float = 0.001
    clump_kb: int = 10_000
    proxy_r2: float = 0.8
    harmonise_action: int = 2
    cache: bool = True  # keep per-trait tables on disk (mrkit.paper.study_cache); False recomputes them
    _gwas: dict[tuple[str, float | None], pd.DataFrame] = field(default_factory=dict, repr=False)
    _instruments: dict[tuple[str, float], Any] = field(default_factory=dict, repr=False)

    # -- where the data are --------------------------------------------------------------------------------
    @cached_property
    def folder(self) -> Path | None:
        """The synthetic panel's folder (generated on first use); None for real data."""
        if self.data != "synthetic":
            return None
        from ..simulate import ensure_panel

        return ensure_panel(size=self.panel_size, seed=self.panel_seed)

    @cached_property
    def files(self) -> dict[str, Any]:
        """trait -> (path, format), plus 'ref' -> PLINK prefix of the LD reference panel."""
        if self.data == "synthetic":
            from ..simulate import panel_files

            return panel_files(self.folder)
        if self.data == "opengwas":
            raise MRKitError("data='opengwas' has no GWAS files: the OpenGWAS API gives top hits and the "
                             "associations of chosen variants, not genome-wide summary statistics")
        if self.data == "real":
            from ..gwas.sources import load_sources, reference_panel, resolve

            out: dict[str, Any] = {t: resolve(t) for t in load_sources() if t in TRAITS}
            out["ref"] = reference_panel()
            return out
        raise MRKitError(f"data must be 'synthetic' or 'real', not {self.data!r}")

    @cached_property
    def api(self) -> Any:
        """The OpenGWAS API side of ``data="opengwas"`` (:class:`mrkit.paper.opengwas_data.OpenGWASData`)."""
        from .opengwas_data import OpenGWASData

        return OpenGWASData(self.sources, clump_r2=self.clump_r2, clump_kb=self.clump_kb, proxy_r2=self.proxy_r2)

    @cached_property
    def sources(self) -> dict[str, Any]:
        """What data/sources.toml says of each trait (label, units, sample size, citation)."""
        from ..gwas.sources import load_sources

        return load_sources()

    def label(self, trait: str) -> str:
        """The trait's name as readers see it."""
        return trait_label(trait)

    def units(self, trait: str) -> str:
        """The trait's units in a few words (binary traits: log odds)."""
        return SHORT_UNITS.get(trait, getattr(self.sources.get(trait), "units", ""))

    def trait(self, key: str):
        """The trait as the pages name it (:class:`mrkit.paper.direction.Trait`: label, units, binary)."""
        from .direction import Trait

        return Trait(key, self.label(key), self.units(key), key in BINARY_TRAITS)

    def planted(self, exposure: str, outcome: str) -> float | None:
        """The causal effect planted in the synthetic panel for exposure -> outcome (None on real data)."""
        effects = (self.truth or {}).get("causal_effects", {})
        effect = effects.get(f"{exposure}->{outcome}")
        return None if effect is None else float(effect["beta"])

    def checks(self, trait: str) -> dict[str, Any]:
        """Whole-file checks of a trait's GWAS (:func:`mrkit.gwas.qc.summary_checks`: variants, λ_GC, allele
        frequencies, SEs against sample size)."""
        from ..gwas.qc import summary_checks

        return summary_checks(self.gwas(trait), binary=trait in BINARY_TRAITS)

    def opengwas_queries(self) -> list[str]:
        """Cache keys of the OpenGWAS answers this study used so far (none on other data)."""
        return list(self.api.queries) if self.data == "opengwas" else []

    @cached_property
    def truth(self) -> dict | None:
        """The planted truth of the synthetic panel (None on real data)."""
        if self.folder is None:
            return None
        return json.loads((self.folder / "truth.json").read_text())

    @cached_property
    def tables(self):
        """The on-disk store of per-trait tables (:class:`mrkit.paper.study_cache.StudyCache`)."""
        from ..gwas.clump import plink_binary
        from .datasets import prepare
        from .study_cache import StudyCache

        settings = {"data": self.data, "panel_size": self.panel_size, "panel_seed": self.panel_seed,
                    "clump_r2": self.clump_r2,
                    "clump_kb": self.clump_kb, "plink": plink_binary() is not None,
                    # the files the tables are read from (a Study pointed at other files gets other tables)
                    "files": {k: [str(x) for x in v] if isinstance(v, tuple) else str(v)
                              for k, v in sorted(self.files.items())} if self.data != "opengwas" else None}
        fingerprint = (prepare(data=self.data, panel_size=self.panel_size, panel_seed=self.panel_seed)
                       if self.cache else "")
        return StudyCache(fingerprint, settings, enabled=self.cache)

    # -- the analysis path ------------------------------------------------------------------------------------
    def gwas(self, trait: str, p_max: float | None = None) -> pd.DataFrame:
        """A trait's summary statistics in the internal schema (rows with p <= p_max when given)."""
        key = (trait, p_max)
        if key not in self._gwas:
            if (trait, None) in self._gwas and p_max is not None:
                full = self._gwas[(trait, None)]
                self._gwas[key] = full[full["p"] <= p_max].reset_index(drop=True)
            else:
                self._gwas[key], _ = self.tables.table(f"gwas-{trait}-p{p_max}", lambda: (self._read(trait, p_max), {}))
        return self._gwas[key]

    def _read(self, trait: str, p_max: float | None) -> pd.DataFrame:
        from ..gwas.io import read_sumstats

        path, fmt = self.files[trait]
        src = self.sources.get(trait)  # sample sizes a file lacks (FinnGen tables have none)
        sizes = {k: getattr(src, k) for k in ("n", "ncase", "ncontrol") if getattr(src, k, None)}
        return read_sumstats(path, fmt, p_max=p_max, **sizes)

    def instruments(self, exposure: str, p_threshold: float = 5e-8) -> InstrumentSet:
        """Significant, LD-clumped instruments of ``exposure`` with their strength and selection log."""
        key = (exposure, p_threshold)
        if key not in self._instruments and self.data == "opengwas":  # top hits clumped by the OpenGWAS server
            table, log, engine = self.api.instruments(exposure, p_threshold)
            self._instruments[key] = InstrumentSet(table, log, engine, dict(table.attrs.get("strength", {})))
        if key not in self._instruments:
            table, extra = self.tables.table(f"instruments-{exposure}-p{p_threshold}",
                                             lambda: self._clumped(exposure, p_threshold))
            self._instruments[key] = InstrumentSet(table, extra["log"], extra["engine"], extra["strength"])
        return self._instruments[key]

    def _clumped(self, exposure: str, p_threshold: float) -> tuple[pd.DataFrame, dict]:
        from ..gwas.instruments import build_instruments

        gwas = self.gwas(exposure, p_max=p_threshold)
        table = build_instruments(gwas, self.files["ref"], p_threshold=p_threshold, r2=self.clump_r2,
                                  kb=self.clump_kb)
        clump = table.attrs.get("clump", {})
        log = {"variants in the GWAS": int(gwas.attrs.get("rows_read", len(gwas))),
               **{f"dropped as invalid: {r}": n for r, n in sorted(gwas.attrs.get("dropped", {}).items())},
               "below the p-value threshold": int(table.attrs["selection"]["selected"]),
               "absent from the LD reference panel": len(clump.get("absent_from_panel", [])),
               "independent instruments after clumping": int(len(table))}
        table = table.rename(columns={"R2": "r2"})
        return table, {"log": log, "engine": str(clump.get("engine", "none")),
                       "strength": dict(table.attrs.get("strength", {}))}

    def harmonised(self, exposure: str, outcome: str, p_threshold: float = 5e-8) -> pd.DataFrame:
        """Exposure instruments and their outcome associations, harmonised (TwoSampleMR columns).

        Instruments missing from the outcome GWAS are replaced by an LD proxy (r2 >= ``proxy_r2``) where
        the reference panel has one; the log in ``attrs["log"]`` counts every step.
        """
        from ..gwas.harmonise import harmonise, rows_with_ids
        from ..gwas.proxies import find_proxies

        inst = self.instruments(exposure, p_threshold).table
        if self.data == "opengwas":  # outcome associations from the API, proxies already standing in
            return harmonise(inst, self.api.outcome(outcome, inst["snp"]), action=self.harmonise_action,
                             exposure_name=self.label(exposure), outcome_name=self.label(outcome))
        out = self.gwas(outcome)
        wanted = set(inst["snp"])
        found = set(out["snp"].iloc[rows_with_ids(out, "snp", [s for s in wanted if isinstance(s, str)])])
        missing = sorted(wanted - found)
        proxies = (find_proxies(missing, out["snp"], self.files["ref"], r2=self.proxy_r2)
                   if missing else None)
        return harmonise(inst, out, action=self.harmonise_action, exposure_name=self.label(exposure),
                         outcome_name=self.label(outcome), proxies=proxies)


@dataclass
class InstrumentSet:
    """Instruments of one exposure: the table (with F, r2, weak), the selection log and the clump engine."""

    table: pd.DataFrame
    log: dict[str, int]
    engine: str
    strength: dict[str, Any]
