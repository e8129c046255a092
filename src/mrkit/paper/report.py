"""Tables and sentences of the book's pages, computed from results so no number is typed by hand.

Each function turns mrkit results into what a reader sees: a captioned table (:class:`.tables.Table`) or a
Markdown sentence with the numbers in it. The MR page's tables and sentences read one direction's
:class:`~mrkit.paper.direction.DirectionResult`; the results page's table reads all of them.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..methods.estimate import odds_ratios
from . import downloads
from .labels import TRAITS, method_label
from .tables import Table, column_format, styled

if TYPE_CHECKING:
    from .direction import DirectionResult, Presso

#: The methods the paper reported (Luo et al. 2022), in its order.
PAPER_METHODS = ["ivw", "egger", "weighted_median", "penalised_weighted_median", "ml"]


def table(df: pd.DataFrame, caption: str, precision: int = 3, *, csv: str | None = None,
          data: pd.DataFrame | None = None, notes: list[str] | None = None,
          formats: Mapping[str, Any] | None = None, same_decimals: list[list[str]] | None = None) -> Table:
    """A captioned, index-free table: text left, numbers right and to common decimals per column.

    Formatting and alignment follow :mod:`.tables` (``precision`` significant digits at each column's median
    magnitude; p-value columns by the journal convention). In a book build the table's data are written as
    a CSV beside the page (:func:`.downloads.save_csv`; ``data`` if given, else ``df``) under the name
    ``csv`` (default: the caption's first words) and linked from the caption. ``notes`` are printed under
    the table; ``formats`` overrides the formatter of named columns; ``same_decimals`` names groups of
    columns written to one number of decimals (an estimate and its confidence limits).
    """
    link = downloads.save_csv(df if data is None else data, csv or downloads.slug(caption), unique=csv is None)
    return Table(styled(df, precision, formats, same_decimals or ()), caption, link=link, notes=list(notes or []))


def harmonisation_log(log: Mapping[str, int]) -> pd.DataFrame:
    """A harmonisation log (step -> variants, e.g. :attr:`.direction.DirectionResult.harmonisation_log`) as a
    two-column table (step, variants)."""
    return pd.DataFrame([(str(k).replace("_", " "), int(v)) for k, v in log.items()], columns=["step", "variants"])


def estimates_table(result: DirectionResult) -> Table:
    """The causal-estimates table of an MR page, on the outcome's scale.

    The table a reader needs: method, SNPs, the estimate (the odds ratio for a binary outcome, else β) with
    its 95 % CI, and p. What each row's convention chose (SE model, distribution of the p-value, β and SE
    on the log scale) is in a second table in a collapsed details block below it, notes (e.g. a
    non-converged optimiser) under the first. The CSV beside the table holds every column of the estimates.
    """
    results, binary_outcome = result.estimates, result.outcome.binary
    exposure, outcome, units = result.exposure.label, result.outcome.label, result.exposure.units
    r = odds_ratios(results, ci="table")  # the OR interval is the row's own CI, exponentiated
    est, lo, hi = ("or", "or_lci95", "or_uci95") if binary_outcome else ("estimate", "ci_lower", "ci_upper")
    head = "OR" if binary_outcome else "β"
    main = pd.DataFrame({"method": r["method"].map(method_label), "SNPs": r["nsnp"], head: r[est]})
    fmt, _ = column_format(pd.concat([r[est], r[lo], r[hi]]), head, precision=4)
    main["95% CI"] = [f"{fmt(a)} to {fmt(b)}" if np.isfinite(a) and np.isfinite(b) else "–"
                      for a, b in zip(r[lo].astype(float), r[hi].astype(float))]
    main["p"] = r["p"]
    notes = [f"{method_label(m)}: {n}" for m, n in zip(r["method"], r.get("note", pd.Series("", index=r.index)))
             if isinstance(n, str) and n.strip()]
    cols = {"method": "method", "estimate": "β", "se": "SE", "ci_lower": "95% CI low", "ci_upper": "95% CI high",
            "p": "p", "se_model": "SE model", "distribution": "p from"}
    detail = r[[c for c in cols if c in r]].rename(columns=cols)
    detail["method"] = detail["method"].map(method_label)
    scale = "log odds ratio of " + outcome.lower() if binary_outcome else outcome.lower()
    per = f"per unit of the exposure{' (' + units + ')' if units else ''}"
    caption = (f"Causal estimates of {exposure} on {outcome}: "
               + (f"odds ratio (OR = exp β) {per} with its 95 % confidence interval" if binary_outcome
                  else f"β on the scale of {outcome.lower()} {per} with its 95 % confidence interval")
               + ", and the p-value. The SE model and the p-value's distribution of each row are under "
                 "'Conventions' below.")
    out = table(main, caption, 4, csv="causal-estimates", data=results, notes=notes, formats={head: fmt})
    out.details = [table(detail, f"Conventions of each row: β on the scale of the {scale} {per}, its standard "
                         "error, 95 % confidence interval and p-value, the model of the SE and the distribution "
                         "the p-value was taken from (the convention named with each result).",
                         4, csv="causal-estimates-conventions",
                         same_decimals=[["β", "95% CI low", "95% CI high"]])]
    out.summary = "Conventions: β, SE, SE model and p-value distribution of each row"
    return out


def scale_note(result: DirectionResult, *, book_study: bool = True) -> str:
    """A sentence on the scale of the estimates, as the Burgess et al. guidelines ask. ``book_study``: the result
    is one of the book's directions, whose published exp(β) for a continuous outcome the sentence recalls; False
    for a user's own data (``mrkit report``), which no paper reported."""
    exposure, outcome = result.exposure, result.outcome
    s = f"Estimates are {exposure.exposure_scale}. "
    if outcome.binary:
        s += (f"For the binary outcome ({outcome.label.lower()}), β is a log odds ratio and the table "
              "also gives odds ratios, OR = exp(β), with their confidence intervals.")
    else:
        s += f"The outcome ({outcome.label.lower()}) is continuous: β is in its units. "
        s += ("The paper reported exp(β) as an 'OR' for these directions; exp(β) is in the saved results for "
              "comparison." if book_study else "exp(β) is not an odds ratio here and is not reported.")
    if exposure.binary:
        s += (" A binary exposure's estimate is per unit of log odds of genetic liability, not the effect of "
              "having the condition; multiplying by 0.693 gives the effect per doubling of the odds.")
    return s


def presso_p_text(presso: Presso, form: str = "{}") -> str:
    """MR-PRESSO's global p as text: ``"< 1/n"`` (as R prints) when no simulated RSS reached the observed one."""
    return f"< {1 / presso.n_distributions:.2g}" if presso.global_p == 0 else form.format(presso.global_p)


def diagnostics_table(result: DirectionResult) -> pd.DataFrame:
    """One row per diagnostic: statistic, degrees of freedom and p-value (MR-PRESSO's global p as the text
    ``"< 1/n"`` when no simulated RSS reached the observed one)."""
    rows = []
    for _, r in result.heterogeneity.iterrows():
        name = "Cochran's Q (IVW)" if str(r["method"]).startswith("ivw") else "Rücker's Q′ (MR-Egger)"
        rows.append((name, r["q"], r.get("df", np.nan), r["p"]))
    pleio, presso, steiger = result.pleiotropy, result.presso, result.steiger
    rows.append(("MR-Egger intercept", pleio.intercept, np.nan, pleio.p))
    # three decimals as text: the column's shared decimals follow Q (99.5) and showed 0.87 as "0.9", the threshold
    i2gx = pleio.i2gx
    rows.append(("I²_GX", f"{i2gx:.3f}" if i2gx is not None and math.isfinite(i2gx) else np.nan, np.nan, np.nan))
    if presso is not None:
        # no simulated RSS beat the observed one: p is below 1/n, not 0 (R's MR-PRESSO prints "<1/n" too)
        rows.append(("MR-PRESSO global RSS", presso.global_rss, np.nan,
                     presso_p_text(presso) if presso.global_p == 0 else presso.global_p))
    if steiger is not None:
        rows.append(("Steiger: R² exposure", steiger.r2_exposure, np.nan, np.nan))
        rows.append(("Steiger: R² outcome", steiger.r2_outcome, np.nan, steiger.steiger_pval))
    else:  # say why (a user's table without sample sizes): a row, not a silent gap
        notes = getattr(result, "notes", ())
        rows += [(n, np.nan, np.nan, np.nan) for n in notes if n.startswith("Steiger directionality")]
    return pd.DataFrame(rows, columns=["diagnostic", "value", "df", "p"])


def presso_table(result: DirectionResult) -> pd.DataFrame:
    """MR-PRESSO's raw and outlier-corrected IVW rows (odds ratios too for a binary outcome)."""
    rows = []
    presso = result.presso
    for name, row in (("raw (all instruments)", presso and presso.raw),
                      ("outlier-corrected", presso and presso.corrected)):
        if row:
            est, sd = row["estimate"], row["sd"]
            rows.append({"analysis": name, "estimate": est, "SD": sd, "p": row["p"],
                         **({"OR": math.exp(est)} if result.outcome.binary else {})})
    return pd.DataFrame(rows)


def presso_note(result: DirectionResult) -> str:
    """What MR-PRESSO found, in a sentence."""
    presso = result.presso
    if presso is None:
        return next((n for n in result.notes if n.startswith("MR-PRESSO")), "MR-PRESSO was not run.")
    p = presso_p_text(presso, "= {:.3g}")
    n = len(presso.outliers)
    s = f"The MR-PRESSO global test gave p {p} ({presso.n_distributions:,} simulations, seed {presso.seed}). "
    if n:
        s += f"The outlier test flagged {n} variant{'s' if n > 1 else ''}: {', '.join(map(str, presso.outliers))}."
        dp = presso.distortion_p
        if dp is not None and np.isfinite(dp):
            s += f" The distortion test gave p = {dp:.3g}."
    else:
        s += "No variant was flagged as an outlier."
    return s


def direction_summary(result: DirectionResult) -> str:
    """The page's closing paragraph, every number computed."""
    ivw = result.method("ivw")
    X, Y = result.exposure.label, result.outcome.label
    if ivw is None or not np.isfinite(ivw["estimate"]):
        return f"IVW could not be estimated for {X} → {Y}."
    est = (f"OR {math.exp(ivw['estimate']):.3f} (95 % CI {math.exp(ivw['ci_lower']):.3f} to "
           f"{math.exp(ivw['ci_upper']):.3f})" if result.outcome.binary else
           f"β {ivw['estimate']:.4f} (95 % CI {ivw['ci_lower']:.4f} to {ivw['ci_upper']:.4f})")
    s = (f"With {int(ivw['nsnp'])} instruments, the IVW estimate of the effect of {X.lower()} on {Y.lower()} is "
         f"{est}, p = {ivw['p']:.3g}. ")
    agree = [method_label(m) for m in PAPER_METHODS[1:]
             if (r := result.method(m)) is not None and np.isfinite(r["estimate"])
             and np.sign(r["estimate"]) == np.sign(ivw["estimate"])]
    s += f"Of the other methods of the paper, {len(agree)} of {len(PAPER_METHODS) - 1} agree in direction. "
    het = result.heterogeneity
    q = het[het["method"].astype(str).str.startswith("ivw")]
    if len(q):
        s += f"Cochran's Q p = {q['p'].iloc[0]:.3g}; the MR-Egger intercept p = {result.pleiotropy.p:.3g}. "
    if result.planted is not None:
        inside = ivw["ci_lower"] <= result.planted <= ivw["ci_upper"]
        s += (f"On the synthetic panel the planted effect is {result.planted:.4f}; the IVW 95 % interval "
              f"{'covers' if inside else 'does not cover'} it.")
    return s


def published_results(path: str | Path | None = None) -> pd.DataFrame:
    """The published IVW results of ``data/published.toml``: one row per study and direction."""
    import tomllib

    from ..paths import DATA_DIR

    doc = tomllib.loads(Path(path or DATA_DIR / "published.toml").read_text())
    rows = [{"study": key, "bibkey": s.get("bibkey", key), **r}
            for key, s in doc["studies"].items() for r in s.get("results", [])]
    return pd.DataFrame(rows)


def adjust_p(p: np.ndarray, method: str = "bonferroni") -> np.ndarray:
    """Multiple-testing adjusted p-values: ``bonferroni`` or ``fdr_bh`` (Benjamini-Hochberg)."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, float)
    out = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=method)[1]
    return out


def directions_table(directions: list[DirectionResult], method: str = "ivw") -> pd.DataFrame:
    """One row per saved direction: the ``method`` estimate (β: a log odds ratio for a binary outcome, else in the
    outcome's units), its exp scale (an odds ratio only where ``binary_outcome``), adjusted p-values, planted truth.

    Raises :class:`~mrkit.errors.InputError` for a method no saved direction has."""
    rows = []
    for d in directions:
        m = d.method(method)
        if m is None:
            continue
        rows.append({"exposure": d.exposure.key, "outcome": d.outcome.key, "method": method, "nsnp": m["nsnp"],
                     "estimate": m["estimate"], "se": m["se"], "ci_lower": m["ci_lower"],
                     "ci_upper": m["ci_upper"], "p": m["p"], "planted": d.planted,
                     "binary_outcome": bool(d.outcome.binary), "outcome_units": d.outcome.units})
    if directions and not rows:
        raise InputError(f"no saved direction has the method {method!r}; they have "
                         f"{', '.join(directions[0].estimates['method'].astype(str))}", column="method")
    t = pd.DataFrame(rows)
    if len(t):
        # the paper's order: sleep traits -> LBP, then LBP -> sleep traits
        order = [(e == "lbp", TRAITS.index(o if e == "lbp" else e)) for e, o in zip(t["exposure"], t["outcome"])]
        t = t.iloc[sorted(range(len(t)), key=order.__getitem__)].reset_index(drop=True)
        for col in ("estimate", "ci_lower", "ci_upper", "planted"):
            t[f"exp_{col}"] = np.exp(t[col].astype(float))
        t["p_bonferroni"] = adjust_p(t["p"].to_numpy(), "bonferroni")
        t["p_fdr"] = adjust_p(t["p"].to_numpy(), "fdr_bh")
    return t


def published_cell(published: pd.DataFrame, exposure: str, outcome: str, *, binary_outcome: bool) -> str:
    """The published result of a direction on this book's scale: ``"OR 1.954 (1.119 to 3.411)"`` for a binary
    outcome; for a continuous one β = log of the "OR" the paper gave (it reported exp(β)); a direction reported
    without numbers as ``"not significant (no estimate published)"``, one not studied as ``"–"``.

    ``published``: the rows of one study (:func:`published_results`)."""
    rows = published[(published["exposure"] == exposure) & (published["outcome"] == outcome)]
    if rows.empty:
        return "–"
    r = rows.iloc[0]
    if pd.isna(r.get("or")):
        return ("not significant (no estimate published)" if r.get("finding") == "null"
                else f"{r.get('finding')} (no estimate published)")
    if binary_outcome:
        return f"OR {r['or']:.3f} ({r['or_lci95']:.3f} to {r['or_uci95']:.3f})"
    return (f"β {math.log(r['or']):.4f} ({math.log(r['or_lci95']):.4f} to {math.log(r['or_uci95']):.4f}); "
            f"reported as exp(β) {r['or']:.3f}")


def results_display(t: pd.DataFrame, label: Any, published: pd.DataFrame, *, planted: bool) -> pd.DataFrame:
    """The results page's table of :func:`directions_table`: per direction the effect on the outcome's scale (an
    odds ratio for a binary outcome, β in the outcome's units for a continuous one: exp(β) is a ratio of nothing
    there), its 95 % CI, p-values, the published result on the same scale and, on synthetic data, the planted
    effect. ``label``: trait key -> label."""
    binary = t["binary_outcome"].astype(bool)
    scale = [("OR" if b else f"β ({u})" if u else "β") for b, u in zip(binary, t["outcome_units"])]

    def pick(col: str) -> np.ndarray:
        return np.where(binary, t[f"exp_{col}"], t[col])

    out = pd.DataFrame({
        "exposure": t["exposure"].map(label), "outcome": t["outcome"].map(label), "SNPs": t["nsnp"],
        "scale": scale, "effect": pick("estimate"), "95% CI low": pick("ci_lower"), "95% CI high": pick("ci_upper"),
        "p": t["p"], "p Bonferroni": t["p_bonferroni"], "p FDR": t["p_fdr"],
        "published (Luo 2022)": [published_cell(published, e, o, binary_outcome=b)
                                 for e, o, b in zip(t["exposure"], t["outcome"], binary)]})
    if planted:
        out["planted effect"] = pick("planted")
    return out


def latex_number(x: float, digits: int = 2) -> str:
    """A number for inline math (``$p < ...$``): ``5\\times 10^{-8}`` in scientific notation below 0.001, else as
    it is."""
    if x != 0 and abs(x) < 1e-3:
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return ("" if mantissa == "1" else f"{mantissa}\\times ") + f"10^{{{int(exponent)}}}"
    return f"{x:g}"
