"""OpenGWAS answers as tables in TwoSampleMR's columns (``extract_instruments``, ``extract_outcome_data``
with proxies) and in mrkit's internal schema; see :mod:`mrkit.gwas.opengwas`."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..schema import DropLog, drop_repeats, normalise_alleles

__all__ = ["EXPOSURE_COLUMNS", "OUTCOME_COLUMNS", "PROXY_COLUMNS", "exposure_table", "outcome_table",
           "instrument_rows", "without_repeats"]


#: TwoSampleMR ``format_data(min_pval = 1e-200)``: smaller p-values are set to this.
MIN_PVAL = 1e-200
#: Columns of :func:`exposure_table` (TwoSampleMR ``extract_instruments``), in order.
EXPOSURE_COLUMNS = ("SNP", "effect_allele.exposure", "other_allele.exposure", "eaf.exposure", "beta.exposure",
                    "se.exposure", "pval.exposure", "samplesize.exposure", "id.exposure", "exposure",
                    "chr.exposure", "pos.exposure", "data_source.exposure")
#: Columns of :func:`outcome_table` (TwoSampleMR ``extract_outcome_data``), before the proxy columns.
OUTCOME_COLUMNS = ("SNP", "chr", "pos", "beta.outcome", "se.outcome", "samplesize.outcome", "pval.outcome",
                   "eaf.outcome", "effect_allele.outcome", "other_allele.outcome", "outcome", "id.outcome",
                   "mr_keep.outcome", "data_source.outcome")
#: Proxy columns of :func:`outcome_table` when proxies were asked for (TwoSampleMR ``format_d``).
PROXY_COLUMNS = ("proxy.outcome", "target_snp.outcome", "proxy_snp.outcome", "target_a1.outcome",
                 "target_a2.outcome", "proxy_a1.outcome", "proxy_a2.outcome")



def _numbers(values: Iterable[Any]) -> np.ndarray:
    return pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)


def _alleles(values: Iterable[Any]) -> list[str | None]:
    return normalise_alleles(list(values)).tolist()


def _column(rows: list[dict], name: str) -> list[Any]:
    return [r.get(name) for r in rows]


def instrument_rows(rows: list[dict]) -> pd.DataFrame:
    """``tophits`` rows in mrkit's internal schema (``snp, chrom, pos, effect_allele, other_allele, eaf, beta,
    se, p, n``), in the server's order; p below 1e-200 is set to 1e-200 as TwoSampleMR ``format_data`` does."""
    out = _association_frame(rows)
    out["p"] = np.where(out["p"] < MIN_PVAL, MIN_PVAL, out["p"])
    return out


def _association_frame(rows: list[dict]) -> pd.DataFrame:
    """The fields every OpenGWAS association row has, parsed, in the internal schema's names and order."""
    return pd.DataFrame({
        "snp": [str(v) for v in _column(rows, "rsid")],
        "chrom": [None if v is None else str(v) for v in _column(rows, "chr")],
        "pos": pd.array(_numbers(_column(rows, "position")), dtype="Int64") if rows else pd.array([], dtype="Int64"),
        "effect_allele": _alleles(_column(rows, "ea")), "other_allele": _alleles(_column(rows, "nea")),
        "eaf": _numbers(_column(rows, "eaf")), "beta": _numbers(_column(rows, "beta")),
        "se": _numbers(_column(rows, "se")), "p": _numbers(_column(rows, "p")), "n": _numbers(_column(rows, "n")),
    })


def exposure_table(rows: list[dict]) -> pd.DataFrame:
    """``tophits`` rows as TwoSampleMR ``extract_instruments`` writes them (:data:`EXPOSURE_COLUMNS`).

    ``exposure`` is ``"<trait> || id:<id>"``. A variant listed twice for one dataset follows the repeat rule of
    every reader (:func:`mrkit.gwas.schema.drop_repeats`; TwoSampleMR ``format_data`` keeps the first): an exact
    repeat counts once, copies that differ are all left out; ``attrs["dropped"]`` counts them by reason.
    """
    x = instrument_rows(rows)
    ids = [str(v) for v in _column(rows, "id")]
    trait = [str(v or "") for v in _column(rows, "trait")]
    out = pd.DataFrame({
        "SNP": x["snp"], "effect_allele.exposure": x["effect_allele"], "other_allele.exposure": x["other_allele"],
        "eaf.exposure": x["eaf"], "beta.exposure": x["beta"], "se.exposure": x["se"], "pval.exposure": x["p"],
        "samplesize.exposure": x["n"], "id.exposure": ids,
        "exposure": [f"{t} || id:{i}" for t, i in zip(trait, ids)],
        "chr.exposure": x["chrom"], "pos.exposure": x["pos"], "data_source.exposure": "igd",
    }, columns=list(EXPOSURE_COLUMNS))
    return without_repeats(out, out["id.exposure"], "SNP")


def without_repeats(frame: pd.DataFrame, ids: Iterable[str], snp_column: str) -> pd.DataFrame:
    """``frame`` (rows of OpenGWAS answers, ``ids`` their dataset ids) under the repeat rule of every reader
    (:func:`mrkit.gwas.schema.drop_repeats`): a variant listed twice for one dataset counts once when the copies
    are equal, and every copy leaves when they differ; ``attrs["dropped"]`` counts them by reason."""
    log = DropLog(None, unit="row")
    key = np.empty(len(frame), dtype=object)
    key[:] = list(zip(ids, frame[snp_column]))
    keep = drop_repeats([key], [frame[c].to_numpy(dtype=object) for c in frame.columns], log,
                        np.arange(len(frame)), snp_column, frame[snp_column].to_numpy(dtype=object))
    out = frame.loc[keep].reset_index(drop=True)
    out.attrs["dropped"] = dict(log.counts)
    return out


def outcome_table(rows: list[dict]) -> pd.DataFrame:
    """``associations`` rows as TwoSampleMR ``extract_outcome_data`` / ``format_d`` makes them.

    :data:`OUTCOME_COLUMNS`, plus :data:`PROXY_COLUMNS` when the rows carry proxy fields (a proxy row's
    ``SNP`` is the target and its alleles are the target's, in phase with the proxy's). As in ``format_d``:
    of two targets with the same proxy only the first is kept; rows without beta and p are dropped; a
    missing or zero SE is inferred from beta and p (``get_se``); SE <= 0, EAF outside (0, 1) and beta = -9
    become missing; ``mr_keep.outcome`` says whether beta, SE and the effect allele are all there.
    """
    from scipy.stats import norm

    ids = [str(v) for v in _column(rows, "id")]
    trait = [str(v or "") for v in _column(rows, "trait")]
    out = _association_frame(rows).rename(columns={
        "snp": "SNP", "chrom": "chr", "beta": "beta.outcome", "se": "se.outcome", "n": "samplesize.outcome",
        "p": "pval.outcome", "eaf": "eaf.outcome", "effect_allele": "effect_allele.outcome",
        "other_allele": "other_allele.outcome"})
    out["outcome"] = [f"{t} || id:{i}" for t, i in zip(trait, ids)]
    out["id.outcome"] = ids
    if any("proxy" in r for r in rows):
        out["proxy.outcome"] = [bool(v) if v is not None else False for v in _column(rows, "proxy")]
        out["target_snp.outcome"] = [None if v is None else str(v) for v in _column(rows, "target_snp")]
        out["proxy_snp.outcome"] = [None if v is None else str(v) for v in _column(rows, "proxy_snp")]
        for col in ("target_a1", "target_a2", "proxy_a1", "proxy_a2"):
            out[f"{col}.outcome"] = _alleles(_column(rows, col))
        key = out["proxy_snp.outcome"].fillna(out["SNP"])
        out = out[~pd.concat([out["outcome"], key], axis=1).duplicated()].reset_index(drop=True)
    out = out[~(out["beta.outcome"].isna() & out["pval.outcome"].isna())].reset_index(drop=True)
    se = out["se.outcome"].to_numpy(dtype=float).copy()
    infer = (np.isnan(se) | (se == 0)) & out["beta.outcome"].notna().to_numpy() & out["pval.outcome"].notna().to_numpy()
    if infer.any():
        b, p = out["beta.outcome"].to_numpy(dtype=float)[infer], out["pval.outcome"].to_numpy(dtype=float)[infer]
        se[infer] = np.abs(b) / np.abs(norm.ppf(p / 2))
    se[se <= 0] = np.nan
    out["se.outcome"] = se
    eaf = out["eaf.outcome"].to_numpy(dtype=float).copy()
    eaf[(eaf <= 0) | (eaf >= 1)] = np.nan
    out["eaf.outcome"] = eaf
    out.loc[out["beta.outcome"] == -9, "beta.outcome"] = np.nan
    out["mr_keep.outcome"] = (out["beta.outcome"].notna() & out["se.outcome"].notna()
                              & out["effect_allele.outcome"].notna())
    out["data_source.outcome"] = "igd"
    proxy_cols = [c for c in PROXY_COLUMNS if c in out.columns]
    return out[list(OUTCOME_COLUMNS) + proxy_cols]
