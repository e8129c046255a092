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

from ..errors import InputError
from ..gwas.multivariable import mv_extract_exposures, mv_harmonise
from ..methods.estimate import mr
from ..methods.mediation import mediation_table
from ..methods.multivariable import mv_mr
from .labels import TRAIT_LABELS, trait_label

__all__ = ["MVAnalysis", "comparison_table", "exposure_list", "forest_figure", "mediation", "mv_analysis",
           "planted_target",
           "recovery_text", "weak_conditional", "weak_conditional_text"]


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


def exposure_list(text: str) -> list[str]:
    """The exposures of a model from the page's comma-separated parameter (``"insomnia,sleep_duration"``).

    Raises :class:`~mrkit.errors.InputError` for fewer than two, a repeated one or a key that is not a trait."""
    keys = [k.strip() for k in str(text).split(",") if k.strip()]
    unknown = [k for k in keys if k not in TRAIT_LABELS]
    if unknown:
        raise InputError(f"unknown trait(s) {unknown} in {text!r}; the traits are {', '.join(TRAIT_LABELS)}",
                         column="sleep_traits")
    if len(keys) < 2 or len(set(keys)) != len(keys):
        raise InputError(f"a multivariable model needs at least two different exposures, got {text!r}",
                         column="sleep_traits")
    return keys


def mv_analysis(study: Any, exposures: list[str], outcome: str = "lbp", *, p_threshold: float = 5e-8,
                convention: str = "twosamplemr", n_boot: int | None = None, seed: int | None = None,
                methods: list[str] | None = None) -> MVAnalysis:
    """Joint instruments of ``exposures`` (each clumped, union clumped), harmonised to ``outcome``, estimated by
    ``methods`` (:func:`mrkit.methods.multivariable.mv_mr`'s ids; default all)."""
    gwas = {e: study.gwas(e) for e in exposures}
    inst = {e: study.instruments(e, p_threshold).table for e in exposures}
    dat = mv_extract_exposures(gwas, study.files["ref"], p_threshold=p_threshold, clump_r2=study.clump_r2,
                               clump_kb=study.clump_kb, harmonise_action=study.harmonise_action, instruments=inst)
    wide = mv_harmonise(dat, study.gwas(outcome), outcome_name=outcome, harmonise_action=study.harmonise_action)
    table = mv_mr(wide, methods=methods, convention=convention, n_boot=n_boot, seed=seed)
    return MVAnalysis(list(exposures), outcome, wide, table)


def _planted(truth: dict | None, exposure: str, outcome: str, key: str) -> float:
    if not truth:
        return float("nan")
    return float(truth["causal_effects"][f"{exposure}->{outcome}"][key])


def planted_target(truth: dict | None, exposures: list[str], outcome: str) -> dict[str, float]:
    """The planted value each exposure's MVMR estimate targets: its effect on ``outcome`` not through the other
    exposures of the model (:func:`mrkit.simulate.calibration.mv_estimand` on truth.json's ``b_matrix``); NaN
    without a truth (real data)."""
    if not truth:
        return {e: float("nan") for e in exposures}
    from ..simulate.calibration import mv_estimand

    traits = truth["b_matrix"]["traits"]
    b = np.asarray(truth["b_matrix"]["values"], dtype=float)
    values = mv_estimand(b, [traits.index(e) for e in exposures], traits.index(outcome))
    return {e: float(v) for e, v in zip(exposures, values)}


def comparison_table(analysis: MVAnalysis, study: Any, *, univariable: dict[str, pd.Series] | None = None,
                     p_threshold: float = 5e-8) -> pd.DataFrame:
    """Per exposure: univariable IVW and every MV estimate, with the planted total effect (the univariable target)
    and the planted effect not through the model's other exposures (the MVMR target, :func:`planted_target`)."""
    truth = study.truth
    target = planted_target(truth, analysis.exposures, analysis.outcome)
    rows = []
    for e in analysis.exposures:
        uni = (univariable or {}).get(e)
        if uni is None:
            uni = mr(study.harmonised(e, analysis.outcome, p_threshold), methods=["ivw"]).iloc[0]
        row = {"exposure": trait_label(e), "planted total": _planted(truth, e, analysis.outcome, "beta"),
               "planted MVMR target": target[e],
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
    conditional F falls and their estimates become imprecise and biased, in a direction that is not necessarily
    towards the null (Sanderson, Spiller & Bowden 2021, Stat Med 40:5434-5452).
    """
    full = analysis or mv_analysis(study, exposures, outcome, p_threshold=p_threshold)
    keep_only = keep_only or exposures[0]
    own = set(study.instruments(keep_only, p_threshold).table["snp"])
    sub = full.data[full.data["SNP"].isin(own)].reset_index(drop=True)
    restricted = mv_mr(sub, methods=["mv_ivw"])
    target = planted_target(study.truth, full.exposures, outcome)
    rows = []
    for label, table in (("all joint instruments", full.table), (f"{trait_label(keep_only)} instruments only",
                                                                  restricted)):
        t = table[table["method"] == "mv_ivw"]
        for r in t.itertuples():
            rows.append({"instruments": label, "nsnp": r.nsnp, "exposure": trait_label(r.exposure),
                         "conditional F": table.attrs["strength"][r.exposure], "MV-IVW": r.estimate, "SE": r.se,
                         "planted MVMR target": target[r.exposure]})
    return pd.DataFrame(rows)


def recovery_text(analysis: MVAnalysis, comparison: pd.DataFrame, method: str = "mv_ivw") -> str:
    """Whether each exposure's 95 % interval (``method``) covers its planted MVMR target, with the estimate, interval
    and univariable IVW of any it misses; empty without a planted truth (real data)."""
    targets = comparison["planted MVMR target"].to_numpy(dtype=float)
    if np.isnan(targets).all():
        return ""
    covered, missed = [], []
    for e, (_, row), target in zip(analysis.exposures, comparison.iterrows(), targets):
        est = analysis.estimate(e, method)
        label = row["exposure"]
        if est["ci_lower"] <= target <= est["ci_upper"]:
            covered.append(label)
        else:
            missed.append(f"{label} ({est['estimate']:.2f}, 95 % CI {est['ci_lower']:.2f} to {est['ci_upper']:.2f}; "
                          f"planted {target:.2f}; univariable IVW {row['univariable IVW']:.2f}, SE "
                          f"{row['univariable SE']:.2f})")
    name = {"mv_ivw": "MV-IVW", "mv_egger": "MV-Egger", "mv_median": "MV weighted median"}.get(method, method)
    text = (f"On the synthetic panel (simulated data, where the truth is planted), the {name} 95 % interval covers the "
            f"planted target for {len(covered)} of {len(targets)} exposures")
    if covered:
        text += f" ({', '.join(covered)})"
    if missed:
        text += "; it misses it for " + "; ".join(missed)
    return text + "."


def weak_conditional_text(weak: pd.DataFrame, *, synthetic: bool = True) -> str:
    """One paragraph on a :func:`weak_conditional` table: how far the conditional F falls for the exposures that
    lose their own instruments, how much their SEs grow, where their estimates move (with the planted targets on
    synthetic data), and what happens to the exposure that keeps its instruments."""
    def low(label):  # mid-sentence: "sleep duration", but "BMI"
        return label if label[:2].isupper() else label[:1].lower() + label[1:]

    labels = list(dict.fromkeys(weak["instruments"]))
    every, alone = labels[0], labels[1]
    w = weak.set_index(["instruments", "exposure"])
    exposures = list(dict.fromkeys(weak["exposure"]))
    kept, others = exposures[0], exposures[1:]

    def join(values, fmt):
        return " and ".join(format(v, fmt) for v in values)

    def col(which, name):
        return [w.loc[(which, o), name] for o in others]

    planted = f" (planted {join(col(every, 'planted MVMR target'), '.2f')})" if synthetic else ""
    return (f"With {low(kept)}'s instruments only, the conditional F of {' and '.join(map(low, others))} falls from "
            f"{join(col(every, 'conditional F'), '.1f')} to {join(col(alone, 'conditional F'), '.1f')}; their SEs grow "
            f"{join(np.divide(col(alone, 'SE'), col(every, 'SE')), '.1f')}-fold and their estimates move from "
            f"{join(col(every, 'MV-IVW'), '.2f')} to {join(col(alone, 'MV-IVW'), '.2f')}{planted}. {kept}, still "
            f"instrumented by its own variants (conditional F {w.loc[(alone, kept), 'conditional F']:.0f}), moves from "
            f"{w.loc[(every, kept), 'MV-IVW']:.2f} to {w.loc[(alone, kept), 'MV-IVW']:.2f}.")


def forest_figure(table: pd.DataFrame, *, title: str = "") -> plt.Figure:
    """Estimates with 95 % CIs per exposure: univariable IVW and each MV method, the planted MVMR target and total."""
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
        ax.plot([rec["planted MVMR target"]] * 2, [i - 0.4, i + 0.4], color="k", lw=1.5, ls="-",
                label="planted MVMR target" if i == 0 else None)
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
