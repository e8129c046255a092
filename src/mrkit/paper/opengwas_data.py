"""The study's data from the OpenGWAS API (``data="opengwas"``): instruments, outcome associations, provenance.

The same analysis as the file path of :class:`mrkit.paper.study.Study`, with the two data-heavy steps done
by the OpenGWAS server as TwoSampleMR users have them done:

* instruments: ``tophits`` of the exposure's dataset at the page's threshold, LD-clumped on the server
  with the study's r^2 and window (``extract_instruments``); the strength table (F, R^2, weak) is
  computed here from the returned betas, SEs and sample sizes, as on the file path;
* outcome associations: ``associations`` of the instruments in the outcome's dataset with LD proxies
  (r^2 >= the study's ``proxy_r2`` in its population, alleles aligned to the target, no palindromic
  proxies: the file path's choices), in requests of at most 64 variants (the server's limit; the client
  splits every look-up), then the same harmonisation (:func:`mrkit.gwas.harmonise.harmonise`).

What the API cannot give is whole GWAS files: Manhattan and QQ plots, genomic inflation and the
whole-file checks need every variant. The data-description page says so and shows the top hits
instead (:meth:`OpenGWASData.top_hits`, unclumped).

Every page records the answers it used (cache keys, :attr:`OpenGWASData.queries`) in its results; the
Reproducibility page lists them with their dates and checksums (:func:`queries_table`) and the data
banner names the query dates and dataset ids (:func:`provenance`).

References
----------
Hemani G et al. (2018). The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408 (``extract_instruments``, ``extract_outcome_data``).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import MRKitError
from ..gwas.opengwas import Client, EmptyAnswer, ResponseCache, instrument_rows, outcome_table
from .labels import TRAITS

__all__ = ["OpenGWASData", "fingerprint", "queries_table", "provenance", "load_queries", "QUERY_KEY"]

#: The key under which a results JSON lists the OpenGWAS answers its page used.
QUERY_KEY = "opengwas_queries"


class OpenGWASData:
    """The OpenGWAS side of a :class:`~mrkit.paper.study.Study`: one client, the study's datasets and settings."""

    def __init__(self, sources: dict[str, Any], *, clump_r2: float = 0.001, clump_kb: int = 10_000,
                 proxy_r2: float = 0.8, pop: str = "EUR", client: Client | None = None):
        self.ids = {t: s.opengwas_id for t, s in sources.items() if t in TRAITS and getattr(s, "opengwas_id", "")}
        missing = [t for t in TRAITS if t in sources and t not in self.ids]
        if missing:
            raise MRKitError(f"data/sources.toml gives no opengwas_id for {missing}")
        self.clump_r2, self.clump_kb, self.proxy_r2, self.pop = clump_r2, int(clump_kb), proxy_r2, pop
        self.client = client or Client()
        self._info: dict[str, dict] | None = None

    @property
    def queries(self) -> list[str]:
        """Cache keys of the answers used so far, in first-use order."""
        return self.client.used

    def dataset(self, trait: str) -> str:
        if trait not in self.ids:
            raise MRKitError(f"no OpenGWAS dataset for trait {trait!r}; known: {sorted(self.ids)}")
        return self.ids[trait]

    def info(self) -> dict[str, dict]:
        """``gwasinfo`` of the study's datasets (one request for all), by dataset id.

        Raises :class:`~mrkit.gwas.opengwas.EmptyAnswer` naming any dataset the server does not know.
        """
        if self._info is None:
            ids = [self.ids[t] for t in TRAITS if t in self.ids]
            records = {str(r.get("id")): r for r in self.client.gwasinfo(ids)}
            absent = [i for i in ids if i not in records]
            if absent:
                raise EmptyAnswer(f"OpenGWAS has no dataset {', '.join(map(repr, absent))} that this token may read "
                                  "(gwasinfo): check the opengwas_id in data/sources.toml")
            self._info = records
        return self._info

    def top_hits(self, trait: str, p_threshold: float = 5e-8) -> pd.DataFrame:
        """Every variant of the trait's dataset with p < ``p_threshold``, unclumped (internal schema; no rows when
        none reaches the threshold)."""
        self.info()  # the dataset exists, so an empty answer means no hits
        rows = self.client.tophits(self.dataset(trait), pval=p_threshold, clump=0, r2=self.clump_r2,
                                   kb=self.clump_kb, pop=self.pop, empty_ok=True)
        frame = instrument_rows(rows)
        frame.attrs["source"] = f"OpenGWAS {self.dataset(trait)} top hits"
        return frame

    def instruments(self, exposure: str, p_threshold: float) -> tuple[pd.DataFrame, dict[str, int], str]:
        """(instrument table with F, r2, weak; selection log; clumping engine) from the server's clumped top hits."""
        from ..gwas.instruments import instrument_table

        dataset = self.dataset(exposure)
        rows = self.client.tophits(dataset, pval=p_threshold, clump=1, r2=self.clump_r2, kb=self.clump_kb,
                                   pop=self.pop)
        frame = instrument_rows(rows)
        frame.attrs["source"] = f"OpenGWAS {dataset} top hits"
        table = instrument_table(frame).rename(columns={"R2": "r2"})
        nsnp = pd.to_numeric(pd.Series([self.info()[dataset].get("nsnp")]), errors="coerce").iloc[0]
        log = {"variants in the GWAS": int(nsnp)} if pd.notna(nsnp) else {}  # gwasinfo's count, when it has one
        log.update({"below the p-value threshold": len(self.top_hits(exposure, p_threshold)),
                    "independent instruments after clumping": len(table)})
        return table, log, f"OpenGWAS server ({self.pop} reference panel)"

    def outcome(self, outcome: str, snps: Iterable[str], *, proxies: bool = True) -> pd.DataFrame:
        """The outcome associations of ``snps`` (TwoSampleMR outcome columns), LD proxies standing in for
        instruments the outcome lacks (no palindromic proxies, as on the file path), asked in the client's
        requests of at most 64 variants each (the server's limit), however many instruments there are."""
        dataset = self.dataset(outcome)
        rows = self.client.associations(list(snps), dataset, proxies=int(proxies), r2=self.proxy_r2,
                                        align_alleles=1, palindromes=0, population=self.pop)
        table = outcome_table(rows)
        table.attrs["source"] = f"OpenGWAS {dataset} associations"
        return table

    def fingerprint(self) -> str:
        """Changes when the datasets' metadata or a refresh mark change (see :func:`fingerprint`)."""
        self.info()
        cache = self.client.cache
        digests = [cache.get(k).sha256 for k in self.client.used if cache.get(k) is not None]
        return hashlib.sha256(json.dumps({"gwasinfo": digests, "refresh_after": cache.refresh_after()},
                                         sort_keys=True).encode()).hexdigest()

    def datasets_table(self) -> pd.DataFrame:
        """One row per trait: dataset id and what ``gwasinfo`` says of it (trait, author, year, population, N,
        cases / controls, number of variants, unit)."""
        info = self.info()
        rows = []
        for trait in TRAITS:
            if trait not in self.ids:
                continue
            r = info[self.ids[trait]]
            rows.append({"trait key": trait, "OpenGWAS id": self.ids[trait], "trait (gwasinfo)": r.get("trait"),
                         "author": r.get("author"), "year": r.get("year"), "population": r.get("population"),
                         "sample size": r.get("sample_size"), "cases": r.get("ncase"), "controls": r.get("ncontrol"),
                         "variants": r.get("nsnp"), "unit": r.get("unit")})
        return pd.DataFrame(rows)


def fingerprint(sources: dict[str, Any] | None = None) -> str:
    """The data fingerprint of ``data="opengwas"`` for the book's run keys.

    It hashes the ``gwasinfo`` answer for the study's datasets (asked once, then cached) and the refresh
    mark of the cache: a build re-executes the pages when the datasets' metadata change or after
    ``mrkit book --refresh``, and a second build with the same cache asks nothing.
    """
    from ..gwas.sources import load_sources

    return OpenGWASData(sources if sources is not None else load_sources()).fingerprint()


def load_queries(results_dir: str | Path) -> list[str]:
    """Cache keys of the OpenGWAS answers the build's pages recorded in their results JSON, in order."""
    keys: list[str] = []
    folder = Path(results_dir)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict):
            keys += [str(k) for k in doc.get(QUERY_KEY, [])]
    return list(dict.fromkeys(keys))


def save_queries(path: str | Path, queries: Iterable[str]) -> None:
    """Record the answers a page used (for pages that save no other results JSON)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps({QUERY_KEY: list(queries)}, indent=1))


def _parameters(answer) -> str:
    body = answer.request if isinstance(answer.request, dict) else {}
    shown = {k: v for k, v in body.items() if k not in ("id", "variant")}
    if "variant" in body:
        shown = {"variants": len(body["variant"]), **shown}
    return ", ".join(f"{k}={v}" for k, v in shown.items())


def queries_table(results_dir: str | Path, cache: ResponseCache | None = None) -> pd.DataFrame:
    """The build's OpenGWAS queries: endpoint, dataset ids, parameters, retrieval time (UTC), size and sha256
    of each answer, in the order the pages first used them."""
    cache = cache or ResponseCache()
    rows = []
    for key in load_queries(results_dir):
        answer = cache.get(key)
        if answer is None:
            rows.append({"endpoint": "?", "datasets": "", "parameters": "", "retrieved (UTC)": "not in the cache",
                         "bytes": None, "sha256": "", "key": key[:12]})
            continue
        ids = answer.request.get("id", []) if isinstance(answer.request, dict) else []
        rows.append({"endpoint": answer.endpoint, "datasets": ", ".join(map(str, ids)),
                     "parameters": _parameters(answer), "retrieved (UTC)": answer.retrieved.removesuffix(" UTC"),
                     "bytes": answer.bytes, "sha256": answer.sha256, "key": key[:12]})
    return pd.DataFrame(rows, columns=["endpoint", "datasets", "parameters", "retrieved (UTC)", "bytes", "sha256",
                                       "key"])


def provenance(results_dir: str | Path, cache: ResponseCache | None = None) -> dict[str, Any]:
    """Dates and dataset ids of the build's OpenGWAS answers: ``{"dates": [first, last], "datasets": [...],
    "answers": n}`` (dates ``YYYY-MM-DD`` in UTC; empty when the pages recorded none)."""
    cache = cache or ResponseCache()
    answers = [a for a in (cache.get(k) for k in load_queries(results_dir)) if a is not None]
    dates = sorted(a.retrieved[:10] for a in answers)
    ids = [str(i) for a in answers if isinstance(a.request, dict) for i in a.request.get("id", [])]
    return {"dates": [dates[0], dates[-1]] if dates else [], "datasets": sorted(set(ids)), "answers": len(answers)}
