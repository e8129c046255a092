"""The book's figures: each returns a matplotlib Figure with labelled axes and units.

Plots take the tidy tables mrkit produces (harmonised data with TwoSampleMR column names, ``mr()``
result tables, single-SNP and leave-one-out tables, summary statistics in the internal schema), so a
notebook only narrates and captions.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..gwas.qc import genomic_inflation
from ..methods.mrdata import as_mrdata
from .labels import method_label, variant_label

if TYPE_CHECKING:
    from .direction import DirectionResult

_COLOURS = dict(zip(["ivw", "egger", "weighted_median", "penalised_weighted_median", "ml", "weighted_mode",
                     "simple_median", "simple_mode", "raps", "ivw_fe", "ivw_mre", "wald_ratio"],
                    plt.get_cmap("tab10").colors + plt.get_cmap("Dark2").colors[:2]))
_W = 7.5  # inches: readable at page width


def scatter(data: pd.DataFrame, results: pd.DataFrame, *, exposure: str, outcome: str,
            egger_intercept: float | None = None, methods: Iterable[str] | None = None,
            outliers: Iterable[str] = ()) -> plt.Figure:
    """SNP-outcome against SNP-exposure associations with one line per method (Egger with its intercept)."""
    outliers = [str(o) for o in outliers]
    d = as_mrdata(data).canonical()  # checked, mr_keep rows only, oriented so that bx > 0
    fig, ax = plt.subplots(figsize=(_W, 5.2))
    is_out = np.isin(d.snp, outliers)
    for mask, style, label in ((~is_out, dict(color="0.25"), "variant"),
                               (is_out, dict(color="#b2182b"), "MR-PRESSO outlier")):
        if mask.any():
            ax.errorbar(d.bx[mask], d.by[mask], xerr=1.96 * d.bxse[mask], yerr=1.96 * d.byse[mask],
                        fmt="o", ms=4, elinewidth=0.7, capsize=0, alpha=0.8, label=label, **style)
    xs = np.array([0.0, float(d.bx.max()) * 1.05])
    shown = list(methods) if methods is not None else [m for m in results["method"] if m in _COLOURS]
    for _, row in results[results["method"].isin(shown)].iterrows():
        if not np.isfinite(row["estimate"]):
            continue
        icpt = (float(np.ravel(egger_intercept)[0])
                if row["method"] == "egger" and egger_intercept is not None else 0.0)
        ax.plot(xs, icpt + row["estimate"] * xs, color=_COLOURS.get(row["method"], "k"), lw=1.6,
                label=method_label(row["method"]))
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set_xlabel(f"SNP effect on {exposure} (per effect allele, oriented positive)")
    ax.set_ylabel(f"SNP effect on {outcome}")
    ax.legend(fontsize=8, frameon=False, loc="best")
    fig.tight_layout()
    if isinstance(data, pd.DataFrame):  # the harmonised data as given: every variant, with its mr_keep flag
        snp = next((c for c in ("SNP", "snp") if c in data), None)
        attach_data(fig, data.assign(presso_outlier=data[snp].astype(str).isin(outliers)) if snp else data)
    return fig


#: Row labels of mrkit's single-SNP and leave-one-out tables that are summaries, not variants
#: (TwoSampleMR's ``mr_singlesnp``/``mr_leaveoneout`` convention: ``All - <method>`` and ``All``).
SUMMARY_LABEL = re.compile(r"^All( - .*)?$")
DATA_ATTR = "mrkit_data"


def attach_data(fig: plt.Figure, data: pd.DataFrame) -> plt.Figure:
    """Keep the data a figure was drawn from on the figure (read by :func:`figure_data`)."""
    setattr(fig, DATA_ATTR, data.reset_index(drop=True))
    return fig


def figure_data(fig: plt.Figure) -> pd.DataFrame | None:
    """The data ``fig`` was drawn from, in display order, or None if its function attaches none."""
    return getattr(fig, DATA_ATTR, None)


def forest_rows(table: pd.DataFrame, *, label_col: str = "snp", summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows of a forest plot in display order, top to bottom (as TwoSampleMR's ``mr_forest_plot`` and
    ``mr_leaveoneout_plot`` draw them): the variants ordered by estimate, largest first, then the summary
    rows once, below them.

    ``table`` has one row per variant with ``label_col``, ``estimate``, ``ci_lower``, ``ci_upper`` (mrkit's
    ``single_snp`` or ``leave_one_out`` output). Its own summary rows (label ``All`` or ``All - <method>``)
    are the summary unless ``summary`` is given: then ``summary``'s rows (``mr()`` results: ``method``,
    ``estimate``, ``ci_lower``, ``ci_upper``) are, in their order, and the table's ``All`` rows are dropped.
    Rows without a finite estimate are left out.

    Returns columns ``label`` (as drawn: :func:`~mrkit.paper.labels.variant_label` or the method's
    name), ``kind`` (``"variant"`` or ``"summary"``), ``id`` (the variant id or method id), ``estimate``,
    ``ci_lower``, ``ci_upper`` and, where the input has them, ``se``, ``p``.
    """
    is_summary = table[label_col].astype(str).str.match(SUMMARY_LABEL)
    extra = [c for c in ("se", "p") if c in table]
    variants = table[~is_summary & np.isfinite(table["estimate"].astype(float))]
    variants = variants.sort_values("estimate", ascending=False, kind="mergesort")
    rows = [{"label": variant_label(r[label_col], r.get("rsid")), "kind": "variant", "id": str(r[label_col]),
             **{c: r[c] for c in ("estimate", "ci_lower", "ci_upper", *extra)}} for _, r in variants.iterrows()]
    if summary is None:
        own = table[is_summary]
        summary_rows = [{"label": str(r[label_col]), "id": str(r[label_col]), **r.to_dict()}
                        for _, r in own.iterrows()]
    else:
        summary_rows = [{"label": method_label(r["method"]), "id": r["method"], **r.to_dict()}
                        for _, r in summary.iterrows()]
    rows += [{"label": r["label"], "kind": "summary", "id": r["id"],
              **{c: r.get(c, np.nan) for c in ("estimate", "ci_lower", "ci_upper", *extra)}}
             for r in summary_rows if np.isfinite(float(r["estimate"]))]
    return pd.DataFrame(rows, columns=["label", "kind", "id", "estimate", "ci_lower", "ci_upper", *extra])


def forest(table: pd.DataFrame, *, label_col: str = "snp", xlabel: str, summary: pd.DataFrame | None = None,
           null: float = 0.0, log_scale: bool = False) -> plt.Figure:
    """Point estimates with 95 % intervals: the variants ordered by estimate, then the summary rows below a rule.

    Rows as :func:`forest_rows` orders them (its frame is attached to the figure, see :func:`figure_data`);
    summary rows are drawn as squares in the method's colour with bold labels, the variants in grey.
    """
    rows = forest_rows(table, label_col=label_col, summary=summary)
    n_var = int((rows["kind"] == "variant").sum())
    n_sum = len(rows) - n_var
    # y from the top: variants 0..n_var-1, a blank row, then the summaries
    ys = [i if k == "variant" else i + 1 for i, k in enumerate(rows["kind"])]
    n = (ys[-1] + 1) if ys else 1
    fig, ax = plt.subplots(figsize=(_W, max(2.5, 0.2 * n + 1.2)))
    for y, (_, r) in zip(ys, rows.iterrows()):
        y = n - 1 - y
        if r["kind"] == "variant":
            ax.plot([r["ci_lower"], r["ci_upper"]], [y, y], color="0.35", lw=0.9)
            ax.plot(r["estimate"], y, "o", color="0.15", ms=3.2)
        else:
            colour = _COLOURS.get(r["id"], "#b2182b")
            ax.plot([r["ci_lower"], r["ci_upper"]], [y, y], color=colour, lw=2.0)
            ax.plot(r["estimate"], y, "D", color=colour, ms=6)
    if n_var and n_sum:
        ax.axhline(n - 1 - n_var, color="0.6", lw=0.8, gid="summary-rule")  # between variants and summaries
    ax.axvline(null, color="0.5", lw=0.8, ls="--")
    ax.set_yticks([n - 1 - y for y in ys])
    ax.set_yticklabels(rows["label"], fontsize=7 if n > 30 else 8)
    for tick, kind in zip(ax.get_yticklabels(), rows["kind"]):
        if kind == "summary":
            tick.set_fontweight("bold")
    if log_scale:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylim(-0.7, n - 0.3)
    fig.tight_layout()
    return attach_data(fig, rows)


def funnel(single: pd.DataFrame, results: pd.DataFrame, *, xlabel: str) -> plt.Figure:
    """Per-SNP Wald ratios against their precision 1/SE, with the IVW and Egger estimates as lines."""
    s = single.dropna(subset=["estimate", "se"])
    if "snp" in s:
        s = s[~s["snp"].astype(str).str.match(SUMMARY_LABEL)]
    fig, ax = plt.subplots(figsize=(_W, 4.6))
    ax.scatter(s["estimate"], 1.0 / s["se"], s=14, color="0.25")
    for m in ("ivw", "egger", "weighted_median"):
        r = results[results["method"] == m]
        if len(r) and np.isfinite(r["estimate"].iloc[0]):
            ax.axvline(r["estimate"].iloc[0], color=_COLOURS[m], lw=1.4, label=method_label(m))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("precision of the Wald ratio, 1/SE")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return attach_data(fig, s.assign(precision=1.0 / s["se"]))


#: The MR page's four figures, and the estimates they draw: the scatter's method lines, the forest plot's summary
#: rows (the funnel's lines are its first three), the leave-one-out plot's summary row.
MR_FIGURES = ("scatter", "forest", "funnel", "loo")
SCATTER_METHODS = ("ivw", "egger", "weighted_median", "penalised_weighted_median", "ml")
FOREST_SUMMARY = ("ivw", "egger", "weighted_median")


def mr_figure(kind: str, *, results: pd.DataFrame, exposure: str, outcome: str, exposure_units: str = "",
              outcome_units: str = "", effect_unit: str, harmonised: pd.DataFrame | None = None,
              single: pd.DataFrame | None = None, loo: pd.DataFrame | None = None,
              egger_intercept: float | None = None, outliers: Iterable[str] = ()) -> plt.Figure:
    """One of the figures of the MR page (:data:`MR_FIGURES`), as the book draws it for a direction.

    ``kind``: ``scatter`` (``harmonised`` data with the lines of :data:`SCATTER_METHODS` from ``results``, the
    MR-Egger line through ``egger_intercept``, MR-PRESSO ``outliers`` in red), ``forest`` (the ``single`` table of
    :func:`mrkit.single_snp` with the :data:`FOREST_SUMMARY` rows of ``results``), ``funnel`` (``single``) or
    ``loo`` (the ``loo`` table of :func:`mrkit.leave_one_out` with the IVW row). ``exposure``/``outcome`` are the
    traits' names, ``*_units`` their GWAS units (axis labels of the scatter), ``effect_unit`` what one unit of a
    causal estimate is (the outcome's scale, e.g. "log odds of CHD": axis labels of the others).
    """
    def named(trait: str, units: str) -> str:
        return f"{trait} ({units})" if units else trait

    if kind == "scatter":
        return scatter(harmonised, results, exposure=named(exposure, exposure_units),
                       outcome=named(outcome, outcome_units), egger_intercept=egger_intercept,
                       methods=list(SCATTER_METHODS), outliers=outliers)
    if kind == "forest":
        return forest(single, label_col="snp", xlabel=f"causal estimate ({effect_unit} per unit {exposure})",
                      summary=results[results["method"].isin(FOREST_SUMMARY)])
    if kind == "funnel":
        return funnel(single, results, xlabel=f"Wald ratio ({effect_unit} per unit {exposure})")
    if kind == "loo":
        return forest(loo, label_col="snp", xlabel=f"IVW estimate without the variant ({effect_unit})",
                      summary=results[results["method"] == "ivw"])
    raise ValueError(f"unknown MR figure {kind!r}; choose from {', '.join(MR_FIGURES)}")


def manhattan(sumstats: pd.DataFrame, *, title: str, threshold: float = 5e-8,
              max_points: int = 200_000) -> plt.Figure:
    """-log10 p along the genome; dense null variants are thinned (kept: every p < 1e-3)."""
    d = sumstats[["chrom", "pos", "p"]]
    p = d["p"].to_numpy(float)
    keep = p < 1e-3
    rest = np.flatnonzero(~keep)
    if keep.sum() + len(rest) > max_points and len(rest):
        rng = np.random.default_rng(0)  # thinning only affects drawing, not any number
        rest = rng.choice(rest, size=max(0, max_points - int(keep.sum())), replace=False)
    d = pd.concat([d[keep], d.iloc[rest]])
    chrom = pd.to_numeric(d["chrom"], errors="coerce").fillna(23).astype(int)
    order = np.sort(chrom.unique())
    lengths = d.groupby(chrom)["pos"].max().reindex(order).fillna(0).to_numpy(float)
    offsets = dict(zip(order, np.concatenate([[0.0], np.cumsum(lengths)[:-1]])))
    x = d["pos"].to_numpy(float) + chrom.map(offsets).to_numpy(float)
    y = -np.log10(np.clip(d["p"].to_numpy(float), 1e-300, 1))
    fig, ax = plt.subplots(figsize=(_W, 3.2))
    ax.scatter(x, y, s=2, c=np.where(chrom.to_numpy() % 2 == 0, "#2166ac", "#67a9cf"), rasterized=True)
    ax.axhline(-np.log10(threshold), color="#b2182b", lw=0.8, ls="--")
    mids = [offsets[c] + lengths[i] / 2 for i, c in enumerate(order)]
    ax.set_xticks(mids)
    ax.set_xticklabels([str(c) for c in order], fontsize=6)
    ax.set_xlabel("chromosome")
    ax.set_ylabel(r"$-\log_{10}(p)$")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def top_hits(hits: dict[str, pd.DataFrame], thresholds: dict[str, float]) -> plt.Figure:
    """One strip per trait: -log10 p of the variants below its threshold along the genome (top hits only).

    ``hits``: label -> frame with ``chrom, pos, p``; chromosomes are laid end to end by the largest position
    seen in any trait, so the strips share their x axis.
    """
    frames = dict(hits)
    chrom_of = {k: pd.to_numeric(v["chrom"], errors="coerce").fillna(23).astype(int) for k, v in frames.items()}
    every = pd.concat([pd.DataFrame({"chrom": chrom_of[k], "pos": v["pos"].astype(float)}) for k, v in frames.items()]
                      or [pd.DataFrame({"chrom": [1], "pos": [0.0]})])
    order = np.sort(every["chrom"].unique())
    lengths = every.groupby("chrom")["pos"].max().reindex(order).fillna(0).to_numpy(float) * 1.02
    offsets = dict(zip(order, np.concatenate([[0.0], np.cumsum(lengths)[:-1]])))
    fig, axes = plt.subplots(len(frames), 1, figsize=(_W, 1.25 * len(frames) + 0.8), sharex=True, squeeze=False)
    for ax, (label, d) in zip(axes[:, 0], frames.items()):
        threshold = thresholds[label]
        if len(d):
            x = d["pos"].to_numpy(float) + chrom_of[label].map(offsets).to_numpy(float)
            y = -np.log10(np.clip(d["p"].to_numpy(float), 1e-300, 1))
            ax.scatter(x, y, s=5, c=np.where(chrom_of[label].to_numpy() % 2 == 0, "#2166ac", "#67a9cf"))
        else:
            ax.text(0.5, 0.5, f"no variant with p < {threshold:.0e}", transform=ax.transAxes, ha="center",
                    va="center", fontsize=8, color="0.4")
        ax.axhline(-np.log10(threshold), color="#b2182b", lw=0.8, ls="--")
        ax.set_ylabel(r"$-\log_{10}(p)$", fontsize=8)
        ax.set_title(f"{label}: {len(d):,} variants with p < {threshold:.0e}", fontsize=9, loc="left")
    mids = [offsets[c] + lengths[i] / 2 for i, c in enumerate(order)]
    axes[-1, 0].set_xticks(mids)
    axes[-1, 0].set_xticklabels([str(c) for c in order], fontsize=6)
    axes[-1, 0].set_xlabel("chromosome")
    fig.tight_layout()
    return fig


def qq(p: np.ndarray, *, title: str) -> plt.Figure:
    """Observed against expected -log10 p under the null, with lambda_GC in the legend."""
    p = np.sort(np.asarray(p, float)[np.isfinite(p)])
    n = len(p)
    expected = -np.log10((np.arange(1, n + 1) - 0.5) / n)
    observed = -np.log10(np.clip(p, 1e-300, 1))
    idx = np.unique(np.concatenate([np.arange(min(n, 2000)), np.linspace(0, n - 1, 3000).astype(int)]))
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    ax.scatter(expected[idx], observed[idx], s=4, color="#2166ac",
               label=rf"$\lambda_{{GC}}$ = {genomic_inflation(p):.3f}")
    lim = expected.max()
    ax.plot([0, lim], [0, lim], color="0.4", lw=0.8)
    ax.set_xlabel(r"expected $-\log_{10}(p)$")
    ax.set_ylabel(r"observed $-\log_{10}(p)$")
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def flow(steps: list[tuple[str, int]], *, title: str = "") -> plt.Figure:
    """A STROBE-MR item 10a flow diagram: one box per step with its count, arrows between."""
    n = len(steps)
    fig, ax = plt.subplots(figsize=(_W, 0.75 * n + 0.4))
    for i, (label, count) in enumerate(steps):
        y = n - 1 - i
        ax.text(0.5, y, f"{label}: {count:,}", ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.4", fc="#e8f1fa", ec="#2166ac"))
        if i < n - 1:
            ax.annotate("", xy=(0.5, y - 0.68), xytext=(0.5, y - 0.32),
                        arrowprops=dict(arrowstyle="->", color="0.3"))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, n - 0.4)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def direction_figures(result: DirectionResult) -> dict[str, plt.Figure]:
    """The MR page's four figures of one direction (:class:`mrkit.paper.direction.DirectionResult`): ``scatter``
    (instruments with the method lines, MR-PRESSO outliers marked), ``forest`` (single-SNP Wald ratios),
    ``funnel`` and ``loo`` (leave-one-out IVW)."""
    return {kind: mr_figure(kind, results=result.estimates, exposure=result.exposure.label,
                            outcome=result.outcome.label, exposure_units=result.exposure.units,
                            outcome_units=result.outcome.units, effect_unit=result.outcome.effect_unit,
                            harmonised=result.harmonised, single=result.single_snp, loo=result.leave_one_out,
                            egger_intercept=result.pleiotropy.intercept,
                            outliers=result.presso.outliers if result.presso else ())
            for kind in MR_FIGURES}


#: Candidate ticks of a log axis of ratios, written as plain numbers (0.5, 1, 2), from coarse to fine.
_RATIO_TICKS = ((0.1, 0.2, 0.5, 1, 2, 5, 10), (0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4),
                (0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.5), (0.95, 0.98, 1, 1.02, 1.05, 1.1), (0.99, 1, 1.01, 1.02))


def plain_log_ticks(ax: plt.Axes, axis: str = "x") -> list[float]:
    """Ticks of a log-scaled ratio axis as plain numbers (0.5, 1, 2), not matplotlib's 10⁰ and 2×10⁰: the coarsest
    set of :data:`_RATIO_TICKS` that puts at least three ticks inside the axis's limits. Returns the ticks."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    ticks: list[float] = []
    for candidates in _RATIO_TICKS:
        ticks = [t for t in candidates if lo <= t <= hi]
        if len(ticks) >= 3:
            break
    if len(ticks) < 2:  # a very narrow axis: its limits and their middle
        ticks = [lo, float(np.sqrt(lo * hi)), hi]
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    target.set_minor_formatter(NullFormatter())
    return ticks


def results_forest(t: pd.DataFrame, label: dict[str, str] | Callable[[str], str], published: pd.DataFrame, *,
                   planted: bool, method: str = "ivw") -> plt.Figure:
    """Every direction's estimate (``t``: :func:`mrkit.paper.report.directions_table`) with its 95 % CI, on the
    outcome's scale: directions with a binary outcome as odds ratios on a log axis (plain ticks), those with a
    continuous outcome as β on a linear axis, each in its own panel; the published estimate on the same scale
    (``published``: one study's rows of :func:`mrkit.paper.report.published_results`) and the planted effect."""
    name = label if callable(label) else label.get
    binary = t["binary_outcome"].astype(bool).to_numpy()
    groups = [(g, t[binary == b]) for g, b in (("binary", True), ("continuous", False)) if (binary == b).any()]
    fig, axes = plt.subplots(len(groups), 1, figsize=(7.5, 0.45 * len(t) + 1.4 * len(groups)), squeeze=False,
                             gridspec_kw={"height_ratios": [max(len(d), 1) for _, d in groups]})
    pub = published.set_index(["exposure", "outcome"])
    for ax, (kind, d) in zip(axes[:, 0], groups):
        ratio = kind == "binary"
        conv = np.exp if ratio else (lambda x: np.asarray(x, float))
        y = np.arange(len(d))[::-1]
        est, lo, hi = conv(d["estimate"]), conv(d["ci_lower"]), conv(d["ci_upper"])
        ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="s", color="#2166ac", ms=5, capsize=2,
                    label=f"this build ({method_label(method, short=True)})")
        for i, (e, o) in enumerate(zip(d["exposure"], d["outcome"])):
            if (e, o) in pub.index and pd.notna(pub.loc[(e, o)].get("or")):
                value = pub.loc[(e, o)]["or"] if ratio else np.log(pub.loc[(e, o)]["or"])
                ax.plot(value, y[i] - 0.25, "D", color="#b35806", ms=5, label="published (Luo 2022)"
                        if "published (Luo 2022)" not in ax.get_legend_handles_labels()[1] else None)
            if planted and pd.notna(d["planted"].iloc[i]):
                ax.plot(conv(d["planted"].iloc[i]), y[i] + 0.25, "|", color="k", ms=10,
                        label="planted" if "planted" not in ax.get_legend_handles_labels()[1] else None)
        ax.axvline(1 if ratio else 0, color="0.5", ls="--", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{name(e)} → {name(o)}" for e, o in zip(d["exposure"], d["outcome"])], fontsize=8)
        if ratio:
            ax.set_xscale("log")
            plain_log_ticks(ax)
            ax.set_xlabel("odds ratio of the binary outcome per unit of the exposure (log scale)")
        else:
            ax.set_xlabel("β: change in the outcome (its units) per unit of the exposure")
        ax.legend(frameon=False, fontsize=7, loc="best")
    fig.tight_layout()
    return fig
