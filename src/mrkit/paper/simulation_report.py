"""The simulation chapter as readers see it: its tables, its figure and the "which survive" verdict.

The numbers come from :func:`mrkit.paper.simulation_study.summarise_simulation`; each table here is the one
the page shows, and the page's sentences quote their numbers from the same tables (:func:`coverage_cells`),
so a number in the text is always one of the table's.
"""
from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .labels import method_label
from .simulation_study import SCENARIO_LABELS, SIM_METHODS, scenario_settings

__all__ = ["pooled_coverage", "coverage_cells", "measure_table", "coverage_table", "rejection_table", "survivors",
           "plot_measure", "scenario_table"]


def _method_order(methods: Iterable[str]) -> list[str]:
    methods = list(dict.fromkeys(methods))
    return [m for m in SIM_METHODS if m in methods] + [m for m in methods if m not in SIM_METHODS]


def pooled_coverage(summary: pd.DataFrame) -> pd.DataFrame:
    """Coverage of each method in each scenario averaged over the true effects (equal replicates per effect),
    with its Monte Carlo SE: ``scenario, method, coverage, coverage_mcse``."""
    return summary.groupby(["scenario", "method"], sort=False).apply(
        lambda g: pd.Series({"coverage": g["coverage"].mean(),
                             "coverage_mcse": np.sqrt((g["coverage_mcse"] ** 2).sum()) / len(g)}),
        include_groups=False).reset_index()


def coverage_cells(summary: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(scenario, method) -> the coverage table's cell text, ``"94.0 (1.7)"`` (per cent, MCSE in points)."""
    cov = pooled_coverage(summary)
    return {(s, m): f"{100 * v:.1f} ({100 * e:.1f})"
            for s, m, v, e in zip(cov["scenario"], cov["method"], cov["coverage"], cov["coverage_mcse"])}


def _wide(cells: Mapping[tuple[str, str], str], scenarios: list[str], methods: list[str]) -> pd.DataFrame:
    rows = [{"method": method_label(m, short=True),
             **{SCENARIO_LABELS.get(s, s): cells.get((s, m), "–") for s in scenarios}} for m in methods]
    return pd.DataFrame(rows)


def measure_table(summary: pd.DataFrame, measure: str, beta: float, scenarios: Iterable[str]) -> pd.DataFrame:
    """``measure`` (bias, empirical_se, ...) with its MCSE, ``"0.012 (0.003)"``, per method (rows) and scenario
    (columns) at true effect ``beta``."""
    d = summary[summary["beta"] == beta]
    cells = {(s, m): f"{v:.3f} ({e:.3f})"
             for s, m, v, e in zip(d["scenario"], d["method"], d[measure], d[f"{measure}_mcse"])}
    return _wide(cells, list(scenarios), _method_order(d["method"]))


def coverage_table(summary: pd.DataFrame, scenarios: Iterable[str]) -> pd.DataFrame:
    """Coverage (%) with its MCSE per method and scenario, averaged over the true effects (:func:`coverage_cells`)."""
    return _wide(coverage_cells(summary), list(scenarios), _method_order(summary["method"]))


def rejection_table(summary: pd.DataFrame, scenarios: Iterable[str]) -> pd.DataFrame:
    """Percentage of replicates with p < 0.05 (MCSE) per method, measure (type-I error at a true effect of 0,
    power at each non-null effect) and scenario."""
    rows = []
    scenarios = list(scenarios)
    for m in _method_order(summary["method"]):
        for beta in sorted(summary["beta"].unique()):
            d = summary[(summary["method"] == m) & (summary["beta"] == beta)].set_index("scenario")
            rows.append({"method": method_label(m, short=True),
                         "measure": "type-I error" if beta == 0 else f"power (effect {beta:g})",
                         **{SCENARIO_LABELS.get(s, s): (f"{100 * d.loc[s, 'rejection']:.1f} "
                                                        f"({100 * d.loc[s, 'rejection_mcse']:.1f})"
                                                        if s in d.index else "–") for s in scenarios}})
    return pd.DataFrame(rows)


def survivors(summary: pd.DataFrame, *, max_abs_bias: float, min_coverage: float = 0.90
              ) -> pd.DataFrame:
    """Which methods "survive" each scenario: at every true effect, |bias| <= ``max_abs_bias``
    and coverage >= ``min_coverage``. One row per scenario with the survivors and the others."""
    ok = (summary["bias"].abs() <= max_abs_bias) & (summary["coverage"] >= min_coverage)
    verdict = ok.groupby([summary["scenario"], summary["method"]], sort=False).all()
    rows = []
    for scen in summary["scenario"].unique():
        v = verdict.loc[scen]
        rows.append({"scenario": SCENARIO_LABELS.get(scen, scen),
                     "survive": ", ".join(method_label(m, short=True) for m in v.index[v]) or "none",
                     "fail": ", ".join(method_label(m, short=True) for m in v.index[~v]) or "none"})
    return pd.DataFrame(rows)


def plot_measure(summary: pd.DataFrame, measure: str, *, xlabel: str, beta: float | None = None,
                 reference: float | None = None, ncols: int = 3):
    """Small multiples, one panel per scenario: ``measure`` of each method with a 95 % Monte
    Carlo interval (1.96 MCSE). ``beta`` selects one true effect (default: all, as markers)."""
    import matplotlib.pyplot as plt

    data = summary if beta is None else summary[summary["beta"] == beta]
    scen = list(data["scenario"].unique())
    methods = _method_order(data["method"])
    ncols = min(ncols, len(scen))
    nrows = int(np.ceil(len(scen) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.5, 0.3 * len(methods) * nrows + 1.4),
                             sharey=True, squeeze=False)
    betas = sorted(data["beta"].unique())
    markers = ["o", "s", "^", "D"]
    y = np.arange(len(methods))
    for ax, name in zip(axes.flat, scen):
        d = data[data["scenario"] == name].set_index(["method", "beta"])
        for i, b in enumerate(betas):
            vals = np.array([d.loc[(m, b), measure] if (m, b) in d.index else np.nan
                             for m in methods])
            err = np.array([d.loc[(m, b), f"{measure}_mcse"] if (m, b) in d.index else np.nan
                            for m in methods])
            offset = (i - (len(betas) - 1) / 2) * 0.25
            ax.errorbar(vals, y + offset, xerr=1.96 * err, fmt=markers[i % 4], ms=4,
                        capsize=2, label=f"true effect {b:g}")
        if reference is not None:
            ax.axvline(reference, color="grey", lw=0.8, ls="--")
        ax.set_title(textwrap.fill(SCENARIO_LABELS.get(name, name), 30), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(scen):]:
        ax.axis("off")
    axes[0, 0].set_yticks(y, [method_label(m, short=True) for m in methods])
    axes[0, 0].invert_yaxis()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.supxlabel(xlabel, fontsize=8)
    fig.legend(handles, labels, loc="lower right", fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def scenario_table(chosen: Iterable[str], settings: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The scenarios of the chapter: label, key (the page's ``scenario`` parameter), what is simulated
    (:data:`mrkit.simulate.scenarios.SCENARIOS`) and the settings (:func:`scenario_settings`: the page's
    parameters) that apply to it."""
    from ..simulate.scenarios import SCENARIOS as DESCRIPTIONS

    chosen = list(chosen)
    return pd.DataFrame({"scenario": [SCENARIO_LABELS[s] for s in chosen], "key (parameter `scenario`)": chosen,
                         "what is simulated": [DESCRIPTIONS[s] for s in chosen],
                         "settings (page parameters)": [", ".join(f"{k} = {v:g}" for k, v in
                                                                  scenario_settings(s, settings).items())
                                                        or "defaults" for s in chosen]})
