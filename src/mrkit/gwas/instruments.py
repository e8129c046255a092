"""Instrument selection: p-value threshold, LD clumping and the strength table (per-SNP F, R2, weak flags).

IV assumption 1 (relevance) needs variants robustly associated with the exposure. The study takes
genome-wide significant variants (p < 5e-8) for sleep traits -> LBP and, because LBP has few
significant loci, a looser p < 5e-6 for the reverse direction; the threshold is therefore always
an explicit argument. STROBE-MR item 10 asks for the strength of the instruments: per-SNP
``F = (beta / se)^2``, variance explained ``R2 = F / (n - 2 + F)`` (TwoSampleMR ``get_r_from_bsen``),
their mean/total, and instruments flagged weak when F < 10. These come from :mod:`mrkit.methods.strength`.

Frames in the internal schema (``snp, beta, se, p, n, ...``) and TwoSampleMR frames (``SNP,
beta.exposure, ...`` or ``.outcome``) are both accepted; :func:`mrkit.gwas.columns.resolve_columns`
tells which.

References
----------
Luo G, Yao Y, Tao J, Wang T, Yan M (2022). Causal association of sleep disturbances and low back
pain: a bidirectional two-sample Mendelian randomization study. Front Neurosci 16:1074605.
Burgess S, Thompson SG (2011). Avoiding bias from weak instruments in Mendelian randomization
studies. Int J Epidemiol 40:755-764.
Staiger D, Stock JH (1997). Instrumental variables regression with weak instruments. Econometrica
65:557-586.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..methods.strength import f_statistic, mean_f, r2_from_bsen, total_r2, weak_instrument_flags
from .clump import clump
from .columns import checked_p_values, numeric_column, resolve_columns

__all__ = ["select_instruments", "instrument_table", "build_instruments",
           "instruments_summary", "GENOME_WIDE", "SUGGESTIVE"]

#: Genome-wide significance (forward direction of the study).
GENOME_WIDE = 5e-8
#: The looser threshold the study uses when LBP is the exposure (reverse direction).
SUGGESTIVE = 5e-6

def select_instruments(sumstats: pd.DataFrame, p_threshold: float = GENOME_WIDE) -> pd.DataFrame:
    """Rows with ``p <= p_threshold`` (the study: 5e-8 forward, :data:`SUGGESTIVE` 5e-6 reverse).

    Returns the selected rows with ``attrs["selection"] = {"variants", "p_threshold", "selected"}``.
    A missing or out-of-range p-value is an error naming its row, never a silent drop.

    References
    ----------
    Luo G et al. (2022). Front Neurosci 16:1074605 (thresholds 5e-8 and 5e-6).
    """
    if not (np.isfinite(p_threshold) and 0.0 < p_threshold <= 1.0):
        raise InputError(f"p_threshold must be in (0, 1], got {p_threshold!r}", column="p_threshold")
    cols = resolve_columns(sumstats)
    if cols["p"] is None:
        raise InputError("no p-value column to select instruments on", file=sumstats.attrs.get("source"))
    p = checked_p_values(sumstats, cols["p"])
    out = sumstats.loc[p <= p_threshold].copy()
    out.attrs = dict(sumstats.attrs)
    out.attrs["selection"] = {"variants": int(len(sumstats)), "p_threshold": float(p_threshold),
                              "selected": int(len(out))}
    return out


def instrument_table(instruments: pd.DataFrame, *, n: float | None = None,
                     weak_threshold: float = 10.0) -> pd.DataFrame:
    """Instruments with per-SNP ``F``, ``R2`` and a ``weak`` flag (F < ``weak_threshold``).

    ``R2 = F / (n - 2 + F)`` with n from the sample-size column (or the ``n`` argument, which wins);
    rows without a sample size get NaN. ``attrs["strength"]`` holds ``n_instruments``, ``mean_F``,
    ``min_F``, ``n_weak``, ``weak_threshold``, ``total_R2`` (sum over rows with R2) and the R2 rule.

    References
    ----------
    Burgess S, Thompson SG (2011). Int J Epidemiol 40:755-764.
    """
    cols = resolve_columns(instruments)
    for field in ("beta", "se"):
        if cols[field] is None:
            raise InputError(f"no {field} column for instrument strength", file=instruments.attrs.get("source"))
    out = instruments.copy()
    beta, se = numeric_column(out, cols["beta"]), numeric_column(out, cols["se"])
    if len(out) == 0:
        raise InputError("no instruments", file=instruments.attrs.get("source"))
    try:
        f = f_statistic(beta, se)
    except InputError as exc:  # re-locate with the caller's column names
        raise InputError(exc.message, file=instruments.attrs.get("source"), row=exc.row,
                         column=cols["beta"] if exc.column == "beta" else cols["se"]) from None
    if n is not None:
        sizes = np.full(len(out), float(n))
    elif cols["n"] is not None:
        sizes = numeric_column(out, cols["n"])
    else:
        sizes = np.full(len(out), np.nan)
    r2 = np.full(len(out), np.nan)
    known = np.isfinite(sizes)
    if known.any():
        r2[known] = r2_from_bsen(beta[known], se[known], sizes[known])
    out["F"] = f
    out["R2"] = r2
    out["weak"] = weak_instrument_flags(f, weak_threshold)
    out.attrs["strength"] = {
        "n_instruments": int(len(out)), "mean_F": mean_f(f), "min_F": float(f.min()),
        "n_weak": int(out["weak"].sum()), "weak_threshold": float(weak_threshold),
        "total_R2": total_r2(r2[known]) if known.any() else float("nan"),
        "R2_rule": "F/(n-2+F)", "n_without_samplesize": int((~known).sum()),
    }
    return out


def build_instruments(sumstats: pd.DataFrame, bfile: str | Path | None, *, p_threshold: float = GENOME_WIDE,
                      r2: float = 0.001, kb: float = 10000, engine: str = "auto",
                      weak_threshold: float = 10.0) -> pd.DataFrame:
    """Select (p <= p_threshold), LD-clump against ``bfile`` and add the strength table, in one call.

    ``bfile=None`` skips clumping (for already independent variants). ``attrs`` keeps the selection,
    clump and strength records for the STROBE-MR flow.
    """
    selected = select_instruments(sumstats, p_threshold)
    chosen = selected
    if bfile is not None:
        chosen = clump(selected, bfile, r2=r2, kb=kb, p1=p_threshold, p2=1.0, engine=engine)
        chosen.attrs["selection"] = selected.attrs["selection"]
    out = instrument_table(chosen, weak_threshold=weak_threshold)
    return out


def instruments_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Selection, clumping and strength records of a :func:`build_instruments` table, flattened."""
    out: dict[str, Any] = {}
    out.update({f"selection_{k}": v for k, v in table.attrs.get("selection", {}).items()})
    clump_info = table.attrs.get("clump", {})
    for key in ("engine", "r2", "kb", "candidates", "index_variants"):
        if key in clump_info:
            out[f"clump_{key}"] = clump_info[key]
    if "absent_from_panel" in clump_info:
        out["clump_absent_from_panel"] = len(clump_info["absent_from_panel"])
    out.update(table.attrs.get("strength", {}))
    return out
