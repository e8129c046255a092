"""Every univariable MR method on one direction, grouped by the assumption it trades, and the methods chapter's
entries: the robust-methods section of an MR page, its verdict for the limitations page, and the chapter text.

Each method id of the registry has one record (:func:`mrkit.methods.registry.method_infos`): its name, its
assumption family (:data:`mrkit.methods.method_info.ASSUMPTION_FAMILIES`), the R function it reproduces and what the
methods chapter says. This module lays those records out:

* :func:`robust_methods` - the ids the robust section runs (every univariable id but the Wald ratio);
* :func:`robust_table`, :func:`robust_forest` - the section's table (each row linked to the method's entry in the
  methods chapter, :func:`method_href`) and forest plot, grouped by family;
* :func:`family_verdict`, :func:`verdict_table`, :func:`verdict_sentence` - which families agree with IVW (the
  limitations page);
* :func:`methods_chapter_entries` - the methods chapter's entry for every id (MyST Markdown, included by
  ``book/methods.md``; the book pipeline writes it when it stages the book).
"""
from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..methods.estimate import NOT_AN_EFFECT
from ..methods.method_info import ASSUMPTION_FAMILIES
from ..methods.registry import method_ids, method_infos, method_quirks, mv_method_ids
from .labels import method_label
from .tables import Table, column_format

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

    from .direction import DirectionResult

__all__ = ["FAMILY_LABELS", "NOT_AN_EFFECT", "METHODS_PAGE", "robust_methods", "method_anchor", "method_href",
           "robust_rows", "robust_table", "robust_forest", "family_verdict", "verdict_table", "verdict_sentence",
           "methods_chapter_entries"]

#: How the book names each assumption family (the groups of the robust table).
FAMILY_LABELS = {"none (all valid)": "All valid (or balanced pleiotropy)", "majority valid": "Majority valid",
                 "plurality valid": "Plurality valid", "InSIDE": "InSIDE", "outlier removal": "Outlier removal"}
#: The methods chapter, relative to an executed page (``book/generated/<page>.html`` -> ``book/methods.html``).
METHODS_PAGE = "../methods.html"


def robust_methods() -> tuple[str, ...]:
    """The ids an MR page's robust section runs (:func:`mrkit.paper.direction.every_robust_method`): every
    univariable method but the Wald ratio."""
    from .direction import every_robust_method

    return every_robust_method()


def method_anchor(method: str) -> str:
    """The id of a method's entry in the methods chapter (Sphinx writes ``_`` in a label as ``-``)."""
    return "method-" + method.replace("_", "-")


def method_href(method: str, page: str = METHODS_PAGE) -> str:
    """The link from an executed page to a method's entry in the methods chapter."""
    return f"{page}#{method_anchor(method)}"


def robust_rows(result: DirectionResult) -> pd.DataFrame:
    """The robust table's rows: one per method that gave a number, in family order (:data:`ASSUMPTION_FAMILIES`)
    and the registry's order within a family, with ``family``, ``label``, ``method``, ``nsnp``, ``estimate``,
    ``ci_lower``, ``ci_upper``, ``p``, ``n_boot``, ``note`` (β on the outcome's scale; see :func:`robust_table` for
    ORs).
    Methods that could not run are left out (their reasons: ``robust_table``'s notes)."""
    infos = method_infos()
    r = result.robust
    ran = np.isfinite(r["estimate"].astype(float)) | np.isfinite(r["ci_lower"].astype(float))
    rows = r[ran].copy()
    rows["family"] = rows["method"].map(lambda m: infos[m].family)
    rows["label"] = rows["method"].map(lambda m: infos[m].label)
    order = {m: i for i, m in enumerate(method_ids())}
    rows["_f"] = rows["family"].map(ASSUMPTION_FAMILIES.index)
    rows["_m"] = rows["method"].map(order)
    rows = rows.sort_values(["_f", "_m"], kind="stable")
    return rows[["family", "label", "method", "nsnp", "estimate", "ci_lower", "ci_upper", "p", "n_boot", "note"]] \
        .reset_index(drop=True)


def _link(method: str) -> str:
    return f'<a href="{html.escape(method_href(method))}">{html.escape(method_label(method))}</a>'


def robust_table(result: DirectionResult) -> Table:
    """The MR page's robust-methods table: every univariable method that ran, grouped by assumption family, each
    name linked to its entry in the methods chapter; the estimate (the odds ratio for a binary outcome) with its
    95 % interval and p-value. Notes under the table: methods that did not run and why, and the sign test's
    concordance (not an effect). The CSV beside the table holds every column of every row (the ``mr()`` table)."""
    from .report import table

    rows = robust_rows(result)
    binary = result.outcome.binary
    effect = ~rows["method"].isin(NOT_AN_EFFECT)
    est = rows["estimate"].astype(float).where(effect)
    lo, hi = rows["ci_lower"].astype(float).where(effect), rows["ci_upper"].astype(float).where(effect)
    if binary:
        est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
    head = "OR" if binary else "β"
    fmt, _ = column_format(pd.concat([est, lo, hi]).replace([np.inf, -np.inf], np.nan), head, precision=3)

    def bound(v: float) -> str:
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        return fmt(v) if math.isfinite(v) else "–"

    shown = pd.DataFrame({"assumption": rows["family"].map(FAMILY_LABELS), "method": rows["method"],
                          "SNPs": rows["nsnp"], head: est,
                          "95% CI": [f"{bound(a)} to {bound(b)}" if not (math.isnan(a) and math.isnan(b)) else "–"
                                     for a, b in zip(lo, hi)],
                          "p": [_p_cell(p, n) for p, n in zip(rows["p"], rows["n_boot"])]})
    shown["assumption"] = shown["assumption"].where(shown["assumption"] != shown["assumption"].shift(), "")
    r = result.robust
    failed = r[~(np.isfinite(r["estimate"].astype(float)) | np.isfinite(r["ci_lower"].astype(float)))]
    notes = [f"{method_label(m)}: {n}" for m, n in zip(failed["method"], failed["note"])]
    for _, row in rows[rows["method"].isin(NOT_AN_EFFECT)].iterrows():
        notes.append(f"{method_label(row['method'])}: the share of variants whose outcome and exposure effects "
                     f"agree in sign, rescaled to {row['estimate']:.3f} (1 = all agree, 0 = chance); its p-value "
                     "tests concordance, its estimate is not a causal effect.")
    scale = (f"odds ratio (OR = exp β) of {result.outcome.label.lower()}" if binary
             else f"β on the scale of {result.outcome.label.lower()}")
    caption = (f"Every univariable method on {result.exposure.label} → {result.outcome.label}, grouped by the "
               f"assumption each relies on: {scale} per unit of the exposure with its 95 % confidence interval "
               f"(convention {result.convention}), and the p-value. Each method's name links to its entry in the "
               "methods chapter.")
    return table(shown, caption, 3, csv="robust-methods", data=result.robust, notes=notes,
                 formats={head: fmt, "method": _link})


def _p_cell(p, n_boot):
    """A p-value of 0 from n bootstrap draws (pIVW's Fieller interval, the bootstrap MR-Egger) as ``"< 1/n"``: no
    draw fell on the other side, so p < 1/n (as MR-PRESSO's global p, :func:`mrkit.paper.report.presso_p_text`)."""
    if p == 0 and n_boot is not None and np.isfinite(n_boot) and n_boot > 0:
        return f"< {1 / n_boot:.2g}"
    return p


def robust_forest(result: DirectionResult) -> plt.Figure:
    """The robust table as a forest plot: one row per method (its name), grouped by assumption family under a
    bold family label, the estimate (β on the outcome's scale) with its 95 % interval; an interval without a
    point (the CLR test inversion) is drawn without one, an infinite or very wide end as an arrow at the axis."""
    import matplotlib.pyplot as plt

    from .plots import attach_data

    rows = robust_rows(result)
    rows = rows[~rows["method"].isin(NOT_AN_EFFECT)].reset_index(drop=True)
    lines: list[tuple[str, str, pd.Series | None]] = []
    for family in ASSUMPTION_FAMILIES:
        group = rows[rows["family"] == family]
        if len(group):
            lines.append(("family", FAMILY_LABELS[family], None))
            lines += [("method", method_label(r["method"], short=True), r) for _, r in group.iterrows()]
    est = rows["estimate"].astype(float)
    finite = est[np.isfinite(est)]
    centre = float(np.median(finite)) if len(finite) else 0.0
    spread = float(np.median(rows["ci_upper"].astype(float) - rows["ci_lower"].astype(float)))
    spread = spread if math.isfinite(spread) and spread > 0 else 1.0
    span = [centre - 4 * spread, centre + 4 * spread]
    values = pd.concat([rows["ci_lower"], rows["ci_upper"], est]).astype(float)
    values = values[np.isfinite(values) & (values >= span[0]) & (values <= span[1])]
    left = min(float(values.min()), 0.0) if len(values) else span[0]
    right = max(float(values.max()), 0.0) if len(values) else span[1]
    pad = 0.05 * (right - left or 1.0)
    left, right = left - pad, right + pad
    n = len(lines)
    fig, ax = plt.subplots(figsize=(7.5, 0.22 * n + 1.2))
    colours = dict(zip(ASSUMPTION_FAMILIES, plt.get_cmap("tab10").colors))
    for i, (kind, _, r) in enumerate(lines):
        y = n - 1 - i
        if kind == "family":
            continue
        colour = colours[r["family"]]
        a, b = float(r["ci_lower"]), float(r["ci_upper"])
        if math.isfinite(a) or math.isfinite(b) or (math.isinf(a) and math.isinf(b)):
            lo_c, hi_c = max(a, left), min(b, right)
            ax.plot([lo_c, hi_c], [y, y], color=colour, lw=1.6)
            for end, edge, direction in ((a, left, "<"), (b, right, ">")):
                if not end >= left or not end <= right:  # beyond the axis (or infinite): an arrow at the edge
                    ax.plot(edge, y, direction, color=colour, ms=5)
        if math.isfinite(float(r["estimate"])):
            ax.plot(min(max(float(r["estimate"]), left), right), y, "o", color=colour, ms=4.5)
    ax.axvline(0.0, color="0.5", lw=0.8, ls="--")
    ax.set_yticks([n - 1 - i for i in range(n)])
    ax.set_yticklabels([label for _, label, _ in lines], fontsize=7.5)
    for tick, (kind, _, _) in zip(ax.get_yticklabels(), lines):
        if kind == "family":
            tick.set_fontweight("bold")
    ax.set_xlim(left, right)
    ax.set_ylim(-0.7, n - 0.3)
    unit = result.outcome.effect_unit
    ax.set_xlabel(f"causal estimate ({unit} per unit {result.exposure.label.lower()}), 95 % interval")
    fig.tight_layout()
    return attach_data(fig, rows)


def family_verdict(result: DirectionResult, alpha: float = 0.05) -> pd.DataFrame:
    """Per assumption family: how many of its methods ran, how many find an effect (95 % interval excluding 0),
    in the same direction as IVW, and the family's median estimate; a verdict in words: ``supports`` (every method
    of the family excludes 0 in IVW's direction), ``no evidence`` (none excludes 0), ``mixed``, ``opposite`` (one
    excludes 0 in the other direction)."""
    rows = robust_rows(result)
    rows = rows[~rows["method"].isin(NOT_AN_EFFECT)]
    ivw = result.robust.set_index("method")["estimate"].get("ivw", np.nan)
    sign = np.sign(ivw) if math.isfinite(ivw) else 0.0
    out = []
    for family in ASSUMPTION_FAMILIES:
        g = rows[rows["family"] == family]
        if not len(g):
            continue
        lo, hi = g["ci_lower"].astype(float), g["ci_upper"].astype(float)
        excludes = (lo > 0) | (hi < 0)
        same = excludes & (np.sign(np.where(lo > 0, 1.0, -1.0)) == sign)
        opposite = excludes & ~same
        if opposite.any():
            verdict = "opposite"
        elif same.all():
            verdict = "supports"
        elif not excludes.any():
            verdict = "no evidence"
        else:
            verdict = "mixed"
        out.append({"family": FAMILY_LABELS[family], "methods": len(g), "exclude 0": int(excludes.sum()),
                    "same direction as IVW": int(same.sum()),
                    "median estimate": float(np.nanmedian(g["estimate"].astype(float))) if
                    np.isfinite(g["estimate"].astype(float)).any() else np.nan, "verdict": verdict})
    return pd.DataFrame(out)


def verdict_table(directions: list[DirectionResult]) -> pd.DataFrame:
    """The limitations page's table: one row per direction, one column per assumption family, each cell the
    family's verdict with how many of its methods exclude 0 (``supports (7/7)``); and IVW's estimate and p."""
    out = []
    for d in directions:
        v = family_verdict(d).set_index("family")
        ivw = d.robust.set_index("method")
        row = {"direction": f"{d.exposure.label} → {d.outcome.label}",
               "IVW β": float(ivw.loc["ivw", "estimate"]) if "ivw" in ivw.index else np.nan,
               "IVW p": float(ivw.loc["ivw", "p"]) if "ivw" in ivw.index else np.nan}
        for family in ASSUMPTION_FAMILIES:
            label = FAMILY_LABELS[family]
            row[label] = (f"{v.loc[label, 'verdict']} ({v.loc[label, 'exclude 0']}/{v.loc[label, 'methods']})"
                          if label in v.index else "–")
        out.append(row)
    return pd.DataFrame(out)


def verdict_sentence(verdicts: pd.DataFrame) -> str:
    """Markdown sentences on :func:`verdict_table`: the directions where every family supports IVW, and for the
    others which families do not (and how)."""
    families = [FAMILY_LABELS[f] for f in ASSUMPTION_FAMILIES if FAMILY_LABELS[f] in verdicts]
    agree, other = [], []
    for _, row in verdicts.iterrows():
        cells = {f: str(row[f]) for f in families if str(row[f]) != "–"}
        dissent = {f: c for f, c in cells.items() if not c.startswith("supports")}
        if not dissent:
            agree.append(row["direction"])
        else:
            other.append(f"{row['direction']} ({'; '.join(f'{f.lower()}: {c}' for f, c in dissent.items())})")
    parts = []
    if agree:
        parts.append(f"Every assumption family supports IVW's direction in {len(agree)} of {len(verdicts)} "
                     f"directions: {', '.join(agree)}.")
    if other:
        parts.append(f"In {len(other)} the families disagree or find nothing: {'; '.join(other)}. Where only IVW and "
                     "its relatives exclude no effect, the estimate rests on every instrument being valid.")
    return " ".join(parts) or "No direction was analysed."


_SEPARATORS = (r",\quad ", r"\quad ", r",\ ", r";\ ")


def display_formula(formula: str) -> str:
    r"""A formula as display maths that fits a page column: its top-level parts (separated by ``,\ ``, ``;\ `` or
    ``\quad`` outside braces) one per line of a ``gathered`` block; a formula of one part as it is."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(formula):
        ch = formula[i]
        depth += (ch == "{") - (ch == "}")
        sep = next((t for t in _SEPARATORS if depth == 0 and formula.startswith(t, i)), None)
        if sep is not None:
            keep = sep.startswith(",") or sep.startswith(";")
            parts.append(formula[start:i + (1 if keep else 0)].strip())
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(formula[start:].strip())
    parts = [p for p in parts if p]
    if len(parts) == 1:
        return parts[0]
    return "\\begin{gathered}\n" + " \\\\\n".join(parts) + "\n\\end{gathered}"


def _entry(info, quirks: tuple[str, ...]) -> str:
    lines = [f"({method_anchor(info.id)})=", f"#### {info.label} (`{info.id}`)", "", info.idea, "",
             f"$$\n{display_formula(info.formula)}\n$$", "", f"**Assumption traded.** {info.trades}", "",
             f"**When to use.** {info.when}", "", f"**R.** {info.r_function}", ""]
    if info.extra_keys:
        lines += ["**In its row besides the estimate:** " + ", ".join(f"`{k}`" for k in info.extra_keys) + ".", ""]
    if quirks:
        lines += ["**R's quirks reproduced:**", ""] + [f"* {q}" for q in quirks] + [""]
    return "\n".join(lines)


def methods_chapter_entries() -> str:
    """Every method id's entry for the methods chapter, as MyST Markdown: the univariable methods grouped by
    assumption family, then the multivariable methods and diagnostics. Each entry is a target (``(method-<id>)=``,
    :func:`method_anchor`) and a heading, the idea in two sentences, the formula, the assumption it trades, when to
    use it, the R function, the extra quantities of its row and the R quirks it reproduces: all from the method's
    record in its module (``METHODS``, ``QUIRKS``), the one place they are written."""
    infos, quirks = method_infos(), method_quirks()
    univariable, multivariable = method_ids(), mv_method_ids()
    parts = []
    for family in ASSUMPTION_FAMILIES:
        ids = [m for m in univariable if infos[m].family == family]
        parts.append(f"### {FAMILY_LABELS[family]}\n")
        parts += [_entry(infos[m], quirks.get(m, ())) for m in ids]
    parts.append("### Multivariable methods and their diagnostics\n\nRun with `mrkit estimate --multivariable` "
                 "or `mrkit.methods.multivariable.mv_mr`.\n")
    parts += [_entry(infos[m], quirks.get(m, ())) for m in [*multivariable, *(m for m in infos
                                                                               if m not in univariable
                                                                               and m not in multivariable)]]
    return "\n".join(parts)
