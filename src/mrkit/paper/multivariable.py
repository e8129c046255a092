"""Numbers of the multivariable MR page: the sleep traits together -> LBP, and insomnia + BMI -> LBP.

The page's logic: joint instruments (:func:`mrkit.gwas.multivariable.mv_extract_exposures`) harmonised to
the outcome, multivariable estimates (:func:`mrkit.methods.multivariable.mv_mr`) beside the univariable ones
(:func:`mrkit.mr`), mediation (:mod:`mrkit.methods.mediation`) and the planted truth of the synthetic panel.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..gwas.multivariable import mv_extract_exposures, mv_harmonise
from ..methods.estimate import mr
from ..methods.mediation import mediation_table
from ..methods.multivariable import mv_mr
from .labels import trait_label

__all__ = ["MVAnalysis", "comparison_table", "forest_figure", "mediation", "mv_analysis", "weak_conditional"]


@dataclass
class MVAnalysis:
    """One multivariable analysis: the wide harmonised table, the estimates, the diagnostics."""

    exposures: list[str]
    outcome: str
    data: pd.DataFrame
    table: pd.DataFrame

    @property
    def log(self) -> dict:
        return self.data.attrs.get("log", {})

    @property
    def strength(self) -> dict:
        return self.table.attrs["strength"]

    def estimate(self, exposure: str, method: str = "mv_ivw") -> pd.Series:
        t = self.table
        return t[(t["exposure"] == exposure) & (t["method"] == method)].iloc[0]


def mv_analysis(study: Any, exposures: list[str], outcome: str = "lbp", *, p_threshold: float = 5e-8,
                convention: str = "twosamplemr", n_boot: int | None = None, seed: int | None = None) -> MVAnalysis:
    """Joint instruments of ``exposures`` (each clumped, union clumped), harmonised to ``outcome``, estimated."""
    gwas = {e: study.gwas(e) for e in exposures}
    inst = {e: study.instruments(e, p_threshold).table for e in exposures}
    dat = mv_extract_exposures(gwas, study.files["ref"], p_threshold=p_threshold, clump_r2=study.clump_r2,
                               clump_kb=study.clump_kb, harmonise_action=study.harmonise_action, instruments=inst)
    wide = mv_harmonise(dat, study.gwas(outcome), outcome_name=outcome, harmonise_action=study.harmonise_action)
    table = mv_mr(wide, convention=convention, n_boot=n_boot, seed=seed)
    return MVAnalysis(list(exposures), outcome, wide, table)


def _planted(truth: dict | None, exposure: str, outcome: str, key: str) -> float:
    if not truth:
        return float("nan")
    return float(truth["causal_effects"][f"{exposure}->{outcome}"][key])


def comparison_table(analysis: MVAnalysis, study: Any, *, univariable: dict[str, pd.Series] | None = None,
                     p_threshold: float = 5e-8) -> pd.DataFrame:
    """Per exposure: univariable IVW and every MV estimate, with the planted total and direct effects."""
    truth = study.truth
    rows = []
    for e in analysis.exposures:
        uni = (univariable or {}).get(e)
        if uni is None:
            uni = mr(study.harmonised(e, analysis.outcome, p_threshold), methods=["ivw"]).iloc[0]
        row = {"exposure": trait_label(e), "planted total": _planted(truth, e, analysis.outcome, "beta"),
               "planted direct": _planted(truth, e, analysis.outcome, "direct"),
               "univariable IVW": uni["estimate"], "univariable SE": uni["se"]}
        for method, label in (("mv_ivw", "MV-IVW"), ("mv_egger", "MV-Egger"), ("mv_median", "MV median")):
            est = analysis.estimate(e, method)
            row[label] = est["estimate"]
            row[f"{label} SE"] = est["se"]
        row["conditional F"] = analysis.strength[e]
        rows.append(row)
    return pd.DataFrame(rows)


def mediation(study: Any, *, exposure: str = "insomnia", mediator: str = "bmi", outcome: str = "lbp",
              p_threshold: float = 5e-8, analysis: MVAnalysis | None = None) -> dict:
    """Total (univariable), direct (MV with the mediator), alpha (exposure -> mediator), beta (mediator -> outcome
    in the MV) and the mediation table; with the planted values beside them."""
    analysis = analysis or mv_analysis(study, [exposure, mediator], outcome, p_threshold=p_threshold)
    total = mr(study.harmonised(exposure, outcome, p_threshold), methods=["ivw"]).iloc[0]
    alpha = mr(study.harmonised(exposure, mediator, p_threshold), methods=["ivw"]).iloc[0]
    direct = analysis.estimate(exposure)
    beta = analysis.estimate(mediator)
    table = mediation_table(total=(total["estimate"], total["se"]), direct=(direct["estimate"], direct["se"]),
                            alpha=(alpha["estimate"], alpha["se"]), beta=(beta["estimate"], beta["se"]))
    med = (study.truth or {}).get("mediation", {})
    planted = {"total": med.get("total"), "direct": med.get("direct"), "indirect": med.get("indirect"),
               "proportion": med.get("proportion_mediated")}
    table.insert(2, "planted", [planted.get(q, np.nan) for q in table["quantity"]])
    return {"analysis": analysis, "table": table, "alpha": alpha, "total": total, "planted": med}


def weak_conditional(study: Any, exposures: list[str], outcome: str = "lbp", *, p_threshold: float = 5e-8,
                     keep_only: str | None = None, analysis: MVAnalysis | None = None) -> pd.DataFrame:
    """The same MV-IVW with every joint instrument and with only ``keep_only``'s own instruments.

    With one exposure's instruments alone, the others are predicted only through the shared variants: their
    conditional F falls and their estimates become imprecise (and, in finite samples, biased towards the
    confounded or null values: Sanderson, Spiller & Bowden 2021).
    """
    full = analysis or mv_analysis(study, exposures, outcome, p_threshold=p_threshold)
    keep_only = keep_only or exposures[0]
    own = set(study.instruments(keep_only, p_threshold).table["snp"])
    sub = full.data[full.data["SNP"].isin(own)].reset_index(drop=True)
    restricted = mv_mr(sub, methods=["mv_ivw"])
    rows = []
    for label, table in (("all joint instruments", full.table), (f"{trait_label(keep_only)} instruments only",
                                                                  restricted)):
        t = table[table["method"] == "mv_ivw"]
        for r in t.itertuples():
            rows.append({"instruments": label, "nsnp": r.nsnp, "exposure": trait_label(r.exposure),
                         "conditional F": table.attrs["strength"][r.exposure], "MV-IVW": r.estimate, "SE": r.se,
                         "planted direct": _planted(study.truth, r.exposure, outcome, "direct")})
    return pd.DataFrame(rows)


def forest_figure(table: pd.DataFrame, *, title: str = "") -> plt.Figure:
    """Estimates with 95 % CIs per exposure: univariable IVW and each MV method, planted direct and total."""
    methods = [("univariable IVW", "univariable SE", "o"), ("MV-IVW", "MV-IVW SE", "s"),
               ("MV-Egger", "MV-Egger SE", "^"), ("MV median", "MV median SE", "D")]
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.9 * len(table)))
    for i, row in enumerate(table.itertuples(index=False)):
        rec = dict(zip(table.columns, row))
        for k, (col, se_col, marker) in enumerate(methods):
            y = i + (k - 1.5) * 0.17
            est, se = rec[col], rec[se_col]
            ax.errorbar(est, y, xerr=1.96 * se, fmt=marker, capsize=2, label=col if i == 0 else None,
                        color=f"C{k}")
        ax.plot([rec["planted direct"]] * 2, [i - 0.4, i + 0.4], color="k", lw=1.5, ls="-",
                label="planted direct effect" if i == 0 else None)
        ax.plot([rec["planted total"]] * 2, [i - 0.4, i + 0.4], color="grey", lw=1.5, ls=":",
                label="planted total effect" if i == 0 else None)
    ax.axvline(0, color="0.8", lw=0.8, zorder=0)
    ax.set_yticks(range(len(table)), table["exposure"])
    ax.invert_yaxis()
    ax.set_xlabel("causal effect on LBP (log odds per unit of the exposure)")
    ax.set_ylabel("exposure")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig
