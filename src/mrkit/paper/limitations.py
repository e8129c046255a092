"""Numbers of the limitations page: power per direction, weak-instrument and overlap bias, diagnostics.

The page reads the per-direction results the MR pages saved (:func:`mrkit.paper.direction.load_directions`);
the bias simulation draws summary statistics with :mod:`mrkit.simulate.scenarios`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..errors import InputError
from ..methods.distributions import norm_cdf, norm_isf, norm_sf
from ..methods.power import mr_min_detectable_effect
from ..rng import DEFAULT_SEED
from .report import presso_p_text

if TYPE_CHECKING:
    from .direction import DirectionResult

def power_columns(power: float = 0.8) -> dict[str, str]:
    """Column names of :func:`power_table` as the page shows them (``power``: of the minimum detectable effect)."""
    return {"direction": "direction", "nsnp": "SNPs", "r2": "R² exposure", "n_outcome": "N outcome",
            "assumed": "assumed effect (β)", "se": "IVW SE", "power": "power α=0.05",
            "power_bonferroni": "power α=0.005", "min_or_per_sd": f"min OR per SD ({100 * power:.0f} %)"}



def data_words(data: str) -> str:
    """Which data a build's numbers come from, for a sentence about power or coverage."""
    return {"synthetic": "the synthetic panel (simulated data calibrated to the study, not the study's own)",
            "real": "the real GWAS files of data/sources.toml",
            "opengwas": "the OpenGWAS API's data (top hits and the instruments' associations)"}.get(data, str(data))


def achieved_power(effect: float, se: float, alpha: float = 0.05) -> float:
    """Power of a two-sided z test with standard error ``se`` when the true effect is ``effect``."""
    z = norm_isf(alpha / 2)
    x = abs(effect) / se
    return float(norm_sf(z - x) + norm_cdf(-z - x))


def power_table(directions: list[DirectionResult], published: pd.DataFrame, study: Any, *,
                assumed_or: float | None = None, power: float = 0.8) -> pd.DataFrame:
    """Power of each direction's IVW test for an assumed effect: ``assumed_or`` (an odds ratio, or exp(β) for a
    continuous outcome) for every direction, or by default the published one (log 1.1 where none was published);
    and, for binary outcomes, the minimum odds ratio per SD of the exposure detectable with ``power``."""
    if assumed_or is not None and not assumed_or > 0:
        raise InputError(f"assumed_or must be above 0, got {assumed_or!r}", column="assumed_or")
    if not 0 < power < 1:
        raise InputError(f"power must be between 0 and 1, got {power!r}", column="power_level")
    luo = published[published["study"] == "luo2022"].set_index(["exposure", "outcome"])
    rows = []
    for d in directions:
        ivw = d.method("ivw")
        if ivw is None or pd.isna(ivw["se"]):
            continue
        exposure, outcome = d.exposure.key, d.outcome.key
        key = (exposure, outcome)
        pub_or = luo.loc[key].get("or") if key in luo.index else None
        if assumed_or is not None:
            assumed = math.log(assumed_or)
        else:
            assumed = math.log(pub_or) if pub_or is not None and not pd.isna(pub_or) else math.log(1.1)
        r2 = _number(d.instruments.r2_exposure)
        n_out = _number(d.instruments.samplesize_outcome)
        src = study.sources.get(outcome)
        case_fraction = (src.ncase / (src.ncase + src.ncontrol)) if src is not None and src.ncase else None
        if n_out is None and src is not None:
            n_out = src.sample_size
        min_or = np.nan
        if d.outcome.binary and r2 and n_out and case_fraction:
            min_or = mr_min_detectable_effect(float(n_out), float(r2), power=power, outcome="binary",
                                              case_fraction=case_fraction)
        rows.append({"exposure": exposure, "outcome": outcome, "direction": direction_label(d),
                     "nsnp": ivw["nsnp"], "r2": r2, "n_outcome": n_out, "assumed": assumed,
                     "se": ivw["se"], "power": achieved_power(assumed, ivw["se"]),
                     "power_bonferroni": achieved_power(assumed, ivw["se"], alpha=0.005), "min_or_per_sd": min_or})
    return pd.DataFrame(rows)


def _number(x: float) -> float | None:
    return None if x is None or pd.isna(x) else x


def direction_label(d: DirectionResult) -> str:
    """``"Exposure → Outcome"`` as the pages write a direction."""
    return f"{d.exposure.label} → {d.outcome.label}"


def mean_f(d: DirectionResult) -> float:
    """Mean F statistic of a direction's instruments, (beta/se)^2 of the exposure associations."""
    return float(d.instruments.mean_f)


def strength_table(directions: list[DirectionResult]) -> pd.DataFrame:
    """Mean F of each direction's instruments and the rough relative dilution towards the null it implies
    without sample overlap (1/F)."""
    return pd.DataFrame([{"direction": direction_label(d), "mean F": mean_f(d),
                          "approx. relative bias towards null (1/F)": 1 / mean_f(d)} for d in directions])


def pleiotropy_table(directions: list[DirectionResult]) -> pd.DataFrame:
    """Per direction: Cochran's Q p (IVW), the MR-Egger intercept, its p, I²_GX, MR-PRESSO's global p (the text
    ``"< 1/n"`` when no simulated RSS reached the observed one, :func:`mrkit.paper.report.presso_p_text`) and
    number of outliers."""
    rows = []
    for d in directions:
        het = d.heterogeneity
        q = het[het["method"].astype(str).str.startswith("ivw")]
        pr = d.presso
        rows.append({"direction": direction_label(d),
                     "Q p": q["p"].iloc[0] if len(q) else np.nan, "Egger intercept": d.pleiotropy.intercept,
                     "intercept p": d.pleiotropy.p, "I²_GX": d.pleiotropy.i2gx,
                     # no simulated RSS beat the observed one: p below 1/n, not 0 (as the MR pages print it)
                     "PRESSO global p": presso_p_text(pr) if pr and pr.global_p == 0 else pr.global_p if pr else np.nan,
                     "PRESSO outliers": len(pr.outliers) if pr else 0})
    return pd.DataFrame(rows)


def steiger_table(directions: list[DirectionResult]) -> pd.DataFrame:
    """Per direction: variance explained in the exposure and the outcome (R²), whether the direction is as
    assumed, and Steiger's p-value."""
    rows = []
    for d in directions:
        s = d.steiger
        rows.append({"direction": direction_label(d), "R² exposure": s.r2_exposure if s else None,
                     "R² outcome": s.r2_outcome if s else None,
                     "direction as assumed": s.correct_causal_direction if s else None,
                     "p": s.steiger_pval if s else None})
    return pd.DataFrame(rows)


@dataclass
class OverlapSimulation:
    table: pd.DataFrame
    n_rep: int
    seed: int


def overlap_simulation(*, quick: bool = False, seed: int = DEFAULT_SEED, beta: float = 0.1,
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
