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
           "survival", "survival_figure", "plot_measure", "scenario_table"]


def _method_order(methods: Iterable[str]) -> list[str]:
    """The chapter's main methods first (:data:`SIM_METHODS`), then the others in the registry's order."""
    from .simulation_study import all_methods

    methods = list(dict.fromkeys(methods))
    rest = [m for m in all_methods() if m in methods and m not in SIM_METHODS]
    return [m for m in SIM_METHODS if m in methods] + rest + [m for m in methods if m not in SIM_METHODS + tuple(rest)]


def _cell(value: float, mcse: float, fmt: str = "{:.3f} ({:.3f})", scale: float = 1.0) -> str:
    """``"value (MCSE)"``, or ``–`` where the method gives no such measure (the sign test's bias, CLR's)."""
    return fmt.format(scale * value, scale * mcse) if np.isfinite(value) else "–"


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
    return {(s, m): _cell(v, e, "{:.1f} ({:.1f})", 100.0)
            for s, m, v, e in zip(cov["scenario"], cov["method"], cov["coverage"], cov["coverage_mcse"])}


def _wide(cells: Mapping[tuple[str, str], str], scenarios: list[str], methods: list[str]) -> pd.DataFrame:
    rows = [{"method": method_label(m, short=True),
             **{SCENARIO_LABELS.get(s, s): cells.get((s, m), "–") for s in scenarios}} for m in methods]
    return pd.DataFrame(rows)


def measure_table(summary: pd.DataFrame, measure: str, beta: float, scenarios: Iterable[str]) -> pd.DataFrame:
    """``measure`` (bias, empirical_se, ...) with its MCSE, ``"0.012 (0.003)"``, per method (rows) and scenario
    (columns) at true effect ``beta``."""
    d = summary[summary["beta"] == beta]
    cells = {(s, m): _cell(v, e)
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
                         **{SCENARIO_LABELS.get(s, s): (_cell(d.loc[s, "rejection"], d.loc[s, "rejection_mcse"],
                                                              "{:.1f} ({:.1f})", 100.0)
                                                        if s in d.index else "–") for s in scenarios}})
    return pd.DataFrame(rows)


def survivors(summary: pd.DataFrame, *, max_abs_bias: float, min_coverage: float = 0.90
              ) -> pd.DataFrame:
    """Which methods "survive" each scenario: at every true effect, |bias| <= ``max_abs_bias``
    and coverage >= ``min_coverage`` (a method without point estimates is judged on coverage alone, one without
    intervals is not judged). One row per scenario with the survivors and the others."""
    verdict = survival(summary, max_abs_bias=max_abs_bias, min_coverage=min_coverage)
    rows = []
    for scen in summary["scenario"].unique():
        v = verdict[verdict["scenario"] == scen]
        ok = v[v["survives"] == True]["method"]  # noqa: E712 (None: not judged)
        bad = v[v["survives"] == False]["method"]  # noqa: E712
        rows.append({"scenario": SCENARIO_LABELS.get(scen, scen),
                     "survive": ", ".join(method_label(m, short=True) for m in ok) or "none",
                     "fail": ", ".join(method_label(m, short=True) for m in bad) or "none"})
    return pd.DataFrame(rows)


def survival(summary: pd.DataFrame, *, max_abs_bias: float, min_coverage: float = 0.90) -> pd.DataFrame:
    """Per scenario and method: ``survives`` (True, False, or None when there is nothing to judge: no estimate
    and no interval), and ``why`` it fails (``bias``, ``coverage`` or both), at the worst of the true effects."""
    rows = []
    for (scen, method), g in summary.groupby(["scenario", "method"], sort=False):
        bias_ok = (g["bias"].abs() <= max_abs_bias) | g["bias"].isna()
        cov_ok = (g["coverage"] >= min_coverage) | g["coverage"].isna()
        judged = not (g["bias"].isna().all() and g["coverage"].isna().all())
        why = [w for w, ok in (("bias", bias_ok.all()), ("coverage", cov_ok.all())) if not ok]
        rows.append({"scenario": scen, "method": method, "survives": (not why) if judged else None,
                     "why": " and ".join(why)})
    return pd.DataFrame(rows)


def survival_figure(summary: pd.DataFrame, *, max_abs_bias: float, min_coverage: float = 0.90,
                    methods: Iterable[str] | None = None):
    """The "which survive" slide: one row per method (grouped by assumption family, bold), one column per
    scenario; a filled green square where the method survives (:func:`survival`), red where it fails on bias,
    orange on coverage, dark red on both, grey where it is not judged."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from ..methods.method_info import ASSUMPTION_FAMILIES
    from ..methods.registry import method_infos
    from .robust import FAMILY_LABELS

    verdict = survival(summary, max_abs_bias=max_abs_bias, min_coverage=min_coverage)
    present = _method_order(summary["method"])
    methods = [m for m in (methods or present) if m in present]
    infos = method_infos()
    lines: list[tuple[str, str]] = []
    for family in ASSUMPTION_FAMILIES:
        group = [m for m in methods if infos[m].family == family]
        if group:
            lines += [("family", FAMILY_LABELS[family])] + [("method", m) for m in group]
    scen = list(dict.fromkeys(summary["scenario"]))
    colour = {"": "#1a9850", "bias": "#d73027", "coverage": "#fdae61", "bias and coverage": "#7f0000"}
    fig, ax = plt.subplots(figsize=(7.5, 0.19 * len(lines) + 1.9))
    v = verdict.set_index(["scenario", "method"])
    for i, (kind, name) in enumerate(lines):
        y = len(lines) - 1 - i
        if kind == "family":
            continue
        for j, sc in enumerate(scen):
            r = v.loc[(sc, name)]
            c = "0.8" if r["survives"] is None else colour[r["why"]]
            ax.add_patch(plt.Rectangle((j + 0.06, y - 0.42), 0.88, 0.84, color=c))
    ax.set_xlim(0, len(scen))
    ax.set_ylim(-0.5, len(lines) - 0.5)
    ax.set_xticks(np.arange(len(scen)) + 0.5, [textwrap.fill(SCENARIO_LABELS.get(s, s), 14) for s in scen],
                  fontsize=7)
    ax.xaxis.tick_top()
    ax.set_yticks([len(lines) - 1 - i for i in range(len(lines))],
                  [name if kind == "family" else method_label(name, short=True) for kind, name in lines], fontsize=7)
    for tick, (kind, _) in zip(ax.get_yticklabels(), lines):
        if kind == "family":
            tick.set_fontweight("bold")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("scenario (columns); method grouped by assumption family (rows)", fontsize=8)
    fig.legend(handles=[Patch(color=colour[""], label="survives"), Patch(color=colour["bias"], label="fails: bias"),
                        Patch(color=colour["coverage"], label="fails: coverage"),
                        Patch(color=colour["bias and coverage"], label="fails: both"),
                        Patch(color="0.8", label="not judged (no estimate, no interval)")],
               loc="lower center", ncol=3, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


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
