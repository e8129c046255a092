"""Numbers of the limitations page: power per direction, weak-instrument and overlap bias, diagnostics.

The page reads the per-direction summaries the MR pages saved (:func:`mrkit.paper.report.load_directions`);
the bias simulation draws summary statistics with :mod:`mrkit.simulate.scenarios`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..methods.distributions import norm_cdf, norm_isf, norm_sf
from ..methods.power import mr_min_detectable_effect

POWER_COLUMNS = {"direction": "direction", "nsnp": "SNPs", "r2": "R² exposure", "n_outcome": "N outcome",
                 "assumed": "assumed effect (β)", "se": "IVW SE", "power": "power α=0.05",
                 "power_bonferroni": "power α=0.005", "min_or_per_sd": "min OR per SD (80 %)"}
BINARY = ("lbp", "short_sleep", "long_sleep")


def _method(d: dict, name: str) -> dict | None:
    return next((r for r in d["methods"] if r["method"] == name), None)


def achieved_power(effect: float, se: float, alpha: float = 0.05) -> float:
    """Power of a two-sided z test with standard error ``se`` when the true effect is ``effect``."""
    z = norm_isf(alpha / 2)
    x = abs(effect) / se
    return float(norm_sf(z - x) + norm_cdf(-z - x))


def power_table(directions: list[dict], published: pd.DataFrame, study: Any) -> pd.DataFrame:
    """Power of each direction for the published effect (log 1.1 where none was published)."""
    luo = published[published["study"] == "luo2022"].set_index(["exposure", "outcome"])
    rows = []
    for d in directions:
        ivw = _method(d, "ivw")
        if ivw is None or ivw.get("se") is None:
            continue
        key = (d["exposure"], d["outcome"])
        pub_or = luo.loc[key].get("or") if key in luo.index else None
        assumed = math.log(pub_or) if pub_or is not None and not pd.isna(pub_or) else math.log(1.1)
        r2 = (d.get("instruments") or {}).get("r2_exposure")
        n_out = (d.get("instruments") or {}).get("samplesize_outcome")
        src = study.sources.get(d["outcome"])
        case_fraction = (src.ncase / (src.ncase + src.ncontrol)) if src is not None and src.ncase else None
        if n_out is None and src is not None:
            n_out = src.sample_size
        min_or = np.nan
        if d["outcome"] in BINARY and r2 and n_out and case_fraction:
            min_or = mr_min_detectable_effect(float(n_out), float(r2), power=0.8, outcome="binary",
                                              case_fraction=case_fraction)
        rows.append({"exposure": d["exposure"], "outcome": d["outcome"],
                     "direction": f"{study.label(d['exposure'])} → {study.label(d['outcome'])}",
                     "nsnp": ivw.get("nsnp"), "r2": r2, "n_outcome": n_out, "assumed": assumed,
                     "se": ivw["se"], "power": achieved_power(assumed, ivw["se"]),
                     "power_bonferroni": achieved_power(assumed, ivw["se"], alpha=0.005), "min_or_per_sd": min_or})
    return pd.DataFrame(rows)


def mean_f(d: dict) -> float:
    """Mean F statistic of a direction's instruments, (beta/se)^2 of the exposure associations."""
    f = (d.get("instruments") or {}).get("mean_f")
    return float(f) if f is not None else float("nan")


def pleiotropy_table(directions: list[dict], study: Any) -> pd.DataFrame:
    rows = []
    for d in directions:
        q = next((h for h in d["heterogeneity"] if str(h["method"]).startswith("ivw")), {})
        pl, pr = d["pleiotropy"], d["presso"]
        rows.append({"direction": f"{study.label(d['exposure'])} → {study.label(d['outcome'])}",
                     "Q p": q.get("p"), "Egger intercept": pl.get("intercept"), "intercept p": pl.get("p"),
                     "I²_GX": pl.get("i2gx"), "PRESSO global p": pr.get("global_p"),
                     "PRESSO outliers": len(pr.get("outliers", []))})
    return pd.DataFrame(rows)


def steiger_table(directions: list[dict], study: Any) -> pd.DataFrame:
    rows = []
    for d in directions:
        s = d.get("steiger") or {}
        rows.append({"direction": f"{study.label(d['exposure'])} → {study.label(d['outcome'])}",
                     "R² exposure": s.get("r2_exposure"), "R² outcome": s.get("r2_outcome"),
                     "direction as assumed": s.get("correct_causal_direction"), "p": s.get("steiger_pval")})
    return pd.DataFrame(rows)


@dataclass
class OverlapSimulation:
    table: pd.DataFrame
    n_rep: int
    seed: int


def overlap_simulation(*, quick: bool = False, seed: int = 314159265, beta: float = 0.1,
                       observational: float = 0.4, n_snps: int = 20) -> OverlapSimulation:
    """IVW bias for weak (mean F 5) and stronger (mean F 50) instruments at several sample overlaps.

    Summary-level draws from :func:`mrkit.simulate.scenarios.simulate_mr_summary` (scenario
    ``overlap_weak``: errors correlated by overlap x the confounded exposure-outcome correlation).
    """
    from ..methods.ivw import mr_ivw
    from ..simulate.scenarios import simulate_mr_summary

    n_rep = 2000 if quick else 20000
    rows = []
    for label, target_f in (("weak", 5.0), ("stronger", 50.0)):
        for overlap in (0.0, 0.5, 1.0):
            s = simulate_mr_summary(n_rep, n_snps, beta=beta, scenario="overlap_weak", mean_f=target_f,
                                    overlap=overlap, rho_xy=observational, n_exposure=20_000, seed=seed)
            fit = mr_ivw(s.bx, s.bxse, s.by, s.byse)  # the book's main estimator, every replicate at once
            est, se = fit["estimate"], fit["se"]
            rows.append({"instruments": label, "mean F": float(((s.bx / s.bxse) ** 2).mean()), "overlap": overlap,
                         "true effect": beta, "observational": observational, "mean IVW": float(est.mean()),
                         "MC SE": float(est.std(ddof=1) / math.sqrt(n_rep)),
                         "relative bias": float(est.mean() / beta - 1),
                         "coverage": float(np.mean(np.abs(est - beta) <= 1.96 * se))})
    return OverlapSimulation(pd.DataFrame(rows), n_rep, seed)


def overlap_figure(sim: OverlapSimulation) -> plt.Figure:
    t = sim.table
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for (label, g), colour in zip(t.groupby("instruments", sort=False), ("#b2182b", "#2166ac")):
        ax.errorbar(g["overlap"], g["mean IVW"], yerr=1.96 * g["MC SE"], fmt="o-", color=colour, capsize=3,
                    label=f"{label} instruments (mean F {g['mean F'].mean():.0f})")
    ax.axhline(t["true effect"].iloc[0], color="k", ls=":", lw=1, label="true causal effect")
    ax.axhline(t["observational"].iloc[0], color="0.4", ls="--", lw=1, label="observational association")
    ax.set_xlabel("share of the outcome sample that overlaps the exposure sample")
    ax.set_ylabel("mean IVW estimate (outcome SD per exposure SD)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
