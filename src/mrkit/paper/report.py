"""Tables and sentences of the book's pages, computed from results so no number is typed by hand.

Each function turns mrkit results into what a reader sees: a captioned table (:class:`.tables.Table`) or a
Markdown sentence with the numbers in it. The MR pages save a JSON summary per direction
(:func:`save_direction`) that the results and limitations pages read back (:func:`load_directions`).
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..methods.estimate import odds_ratios
from . import downloads
from .labels import TRAITS, method_label
from .tables import Table, column_format, styled

ALL_METHODS = ["ivw", "ivw_fe", "ivw_mre", "egger", "simple_median", "weighted_median",
               "penalised_weighted_median", "simple_mode", "weighted_mode", "ml", "raps"]
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


def _get(obj: Any, key: str, default: Any = np.nan) -> Any:
    """A field of a dict, a one-row DataFrame, a Series or an object."""
    if obj is None:
        return default
    if isinstance(obj, pd.DataFrame):
        return obj[key].iloc[0] if key in obj and len(obj) else default
    if isinstance(obj, (Mapping, pd.Series)):
        return obj.get(key, default)
    return getattr(obj, key, default)


def harmonisation_log(h: pd.DataFrame) -> pd.DataFrame:
    """The harmonisation log of ``h.attrs['log']`` as a two-column table (step, variants)."""
    log = h.attrs.get("log", {})
    items = log.items() if isinstance(log, Mapping) else log
    return pd.DataFrame([(str(k).replace("_", " "), int(v)) for k, v in items], columns=["step", "variants"])


def effect_unit(trait: str, study: Any) -> str:
    """What one unit of an MR estimate on ``trait`` means to a reader."""
    units = study.units(trait) if hasattr(study, "units") else ""
    if trait in ("lbp", "short_sleep", "long_sleep"):
        return f"log odds of {study.label(trait).lower()}"
    return f"{study.label(trait).lower()} ({units})" if units else study.label(trait).lower()


def exposure_scale(trait: str, study: Any) -> str:
    """How one unit of ``trait`` as an exposure reads."""
    if trait in ("lbp", "short_sleep", "long_sleep"):
        return f"per unit increase in the log odds of {study.label(trait).lower()} (genetic liability)"
    units = study.units(trait) if hasattr(study, "units") else ""
    return f"per unit of {study.label(trait).lower()}" + (f" ({units})" if units else "")


def estimates_table(results: pd.DataFrame, *, binary_outcome: bool, exposure: str, outcome: str,
                    units: str = "") -> Table:
    """The causal-estimates table of an MR page, on the outcome's scale.

    The table a reader needs: method, SNPs, the estimate (the odds ratio for a binary outcome, else β) with
    its 95 % CI, and p. What each row's convention chose (SE model, distribution of the p-value, β and SE
    on the log scale) is in a second table in a collapsed details block below it, notes (e.g. a
    non-converged optimiser) under the first. The CSV beside the table holds every column of ``results``.
    """
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


def scale_note(exposure: str, outcome: str, study: Any) -> str:
    """A sentence on the scale of the estimates, as the Burgess et al. guidelines ask."""
    binary_out = outcome in ("lbp", "short_sleep", "long_sleep")
    s = f"Estimates are {exposure_scale(exposure, study)}. "
    if binary_out:
        s += (f"For the binary outcome ({study.label(outcome).lower()}), β is a log odds ratio and the table "
              "also gives odds ratios, OR = exp(β), with their confidence intervals.")
    else:
        s += (f"The outcome ({study.label(outcome).lower()}) is continuous: β is in its units. The paper "
              "reported exp(β) as an 'OR' for these directions; exp(β) is in the saved results for comparison.")
    if exposure in ("lbp", "short_sleep", "long_sleep"):
        s += (" A binary exposure's estimate is per unit of log odds of genetic liability, not the effect of "
              "having the condition; multiplying by 0.693 gives the effect per doubling of the odds.")
    return s


def diagnostics_table(het: pd.DataFrame, pleio: Any, presso: Any, steiger: Mapping | None) -> pd.DataFrame:
    """One row per diagnostic: statistic, degrees of freedom and p-value (MR-PRESSO's global p as the text
    ``"< 1/n"`` when no simulated RSS reached the observed one)."""
    rows = []
    for _, r in het.iterrows():
        name = "Cochran's Q (IVW)" if str(r["method"]).startswith("ivw") else "Rücker's Q′ (MR-Egger)"
        rows.append((name, r["q"], r.get("df", np.nan), r["p"]))
    rows.append(("MR-Egger intercept", _get(pleio, "intercept"), np.nan, _get(pleio, "p")))
    rows.append(("I²_GX", _get(pleio, "i2gx"), np.nan, np.nan))
    # no simulated RSS beat the observed one: p is below 1/n, not 0 (R's MR-PRESSO prints "<1/n" too)
    presso_p = f"< {1 / presso.n_distributions:.2g}" if presso.global_p == 0 else presso.global_p
    rows.append(("MR-PRESSO global RSS", presso.global_rss, np.nan, presso_p))
    if steiger:
        rows.append(("Steiger: R² exposure", _get(steiger, "r2_exposure"), np.nan, np.nan))
        rows.append(("Steiger: R² outcome", _get(steiger, "r2_outcome"), np.nan, _get(steiger, "steiger_pval")))
    return pd.DataFrame(rows, columns=["diagnostic", "value", "df", "p"])


def presso_table(presso: Any, *, binary_outcome: bool) -> pd.DataFrame:
    """MR-PRESSO's raw and outlier-corrected IVW rows."""
    rows = []
    for name, row in (("raw (all instruments)", presso.raw), ("outlier-corrected", presso.corrected)):
        if row:
            est, sd = row["estimate"], row["sd"]
            rows.append({"analysis": name, "estimate": est, "SD": sd, "p": row["p"],
                         **({"OR": math.exp(est)} if binary_outcome else {})})
    return pd.DataFrame(rows)


def presso_note(presso: Any) -> str:
    """What MR-PRESSO found, in a sentence."""
    p = f"< {1 / presso.n_distributions:.2g}" if presso.global_p == 0 else f"= {presso.global_p:.3g}"
    n = len(presso.outliers)
    s = f"The MR-PRESSO global test gave p {p} ({presso.n_distributions:,} simulations, seed {presso.seed}). "
    if n:
        s += f"The outlier test flagged {n} variant{'s' if n > 1 else ''}: {', '.join(map(str, presso.outliers))}."
        dp = getattr(presso, "distortion_p", None)
        if dp is not None and np.isfinite(dp):
            s += f" The distortion test gave p = {dp:.3g}."
    else:
        s += "No variant was flagged as an outlier."
    return s


def _row(results: pd.DataFrame, method: str) -> pd.Series | None:
    r = results[results["method"] == method]
    return r.iloc[0] if len(r) else None


def direction_summary(results: pd.DataFrame, het: pd.DataFrame, pleio: Any, presso: Any, steiger: Mapping | None,
                      *, exposure: str, outcome: str, study: Any, binary_outcome: bool) -> str:
    """The page's closing paragraph, every number computed."""
    ivw = _row(results, "ivw")
    X, Y = study.label(exposure), study.label(outcome)
    if ivw is None or not np.isfinite(ivw["estimate"]):
        return f"IVW could not be estimated for {X} → {Y}."
    est = (f"OR {math.exp(ivw['estimate']):.3f} (95 % CI {math.exp(ivw['ci_lower']):.3f} to "
           f"{math.exp(ivw['ci_upper']):.3f})" if binary_outcome else
           f"β {ivw['estimate']:.4f} (95 % CI {ivw['ci_lower']:.4f} to {ivw['ci_upper']:.4f})")
    s = (f"With {int(ivw['nsnp'])} instruments, the IVW estimate of the effect of {X.lower()} on {Y.lower()} is "
         f"{est}, p = {ivw['p']:.3g}. ")
    agree = [method_label(m) for m in PAPER_METHODS[1:]
             if (r := _row(results, m)) is not None and np.isfinite(r["estimate"])
             and np.sign(r["estimate"]) == np.sign(ivw["estimate"])]
    s += f"Of the other methods of the paper, {len(agree)} of {len(PAPER_METHODS) - 1} agree in direction. "
    q = het[het["method"].astype(str).str.startswith("ivw")]
    if len(q):
        s += f"Cochran's Q p = {q['p'].iloc[0]:.3g}; the MR-Egger intercept p = {_get(pleio, 'p'):.3g}. "
    truth = getattr(study, "truth", None)
    planted = planted_effect(truth, exposure, outcome) if truth else None
    if planted is not None:
        inside = ivw["ci_lower"] <= planted <= ivw["ci_upper"]
        s += (f"On the synthetic panel the planted effect is {planted:.4f}; the IVW 95 % interval "
              f"{'covers' if inside else 'does not cover'} it.")
    return s


def planted_effect(truth: Mapping | None, exposure: str, outcome: str) -> float | None:
    """The causal effect planted in the synthetic panel for exposure -> outcome (None if unknown)."""
    if not truth:
        return None
    effects = truth.get("causal_effects") or truth.get("effects") or {}
    if isinstance(effects, Mapping):
        v = effects.get(f"{exposure}->{outcome}")
        if v is None and exposure in effects and isinstance(effects[exposure], Mapping):
            v = effects[exposure].get(outcome)
        if isinstance(v, Mapping):
            v = v.get("beta", v.get("effect"))
        return None if v is None else float(v)
    for e in effects:
        if e.get("exposure") == exposure and e.get("outcome") == outcome:
            return float(e.get("beta", e.get("effect")))
    return None


def save_direction(path: Path, *, results: pd.DataFrame, het: pd.DataFrame, pleio: Any, presso: Any,
                   steiger: Mapping | None, harmonised: pd.DataFrame, exposure: str, outcome: str, study: Any,
                   p_threshold: float, convention: str) -> None:
    """Write one direction's results for the results and limitations pages."""
    from ..json_values import json_value as clean

    kept = harmonised[harmonised["mr_keep"]] if "mr_keep" in harmonised else harmonised
    doc = {
        "exposure": exposure, "outcome": outcome, "p_threshold": p_threshold, "convention": convention,
        "data": study.data, "panel_size": study.panel_size, "seed": study.seed,
        "methods": [{k: clean(v) for k, v in row.items()} for row in results.to_dict("records")],
        "heterogeneity": [{k: clean(v) for k, v in row.items()} for row in het.to_dict("records")],
        "pleiotropy": {k: clean(_get(pleio, k)) for k in ("intercept", "se", "p", "i2gx")},
        "presso": {"global_rss": clean(presso.global_rss), "global_p": clean(presso.global_p),
                   "outliers": list(map(str, presso.outliers)), "raw": presso.raw, "corrected": presso.corrected,
                   "n_distributions": presso.n_distributions, "seed": presso.seed},
        "steiger": {k: clean(v) for k, v in (steiger or {}).items() if np.ndim(v) == 0 and not isinstance(v, dict)},
        "instruments": {"nsnp": int(len(kept)),
                        "mean_f": clean(((kept["beta.exposure"] / kept["se.exposure"]) ** 2).mean()),
                        "r2_exposure": clean(_get(steiger, "r2_exposure")),
                        "samplesize_outcome": clean(kept["samplesize.outcome"].median())
                        if "samplesize.outcome" in kept else None},
        "harmonisation_log": {str(k): int(v) for k, v in dict(harmonised.attrs.get("log", {})).items()},
        "planted": planted_effect(getattr(study, "truth", None), exposure, outcome),
        "opengwas_queries": list(study.api.queries) if getattr(study, "data", None) == "opengwas" else [],
    }
    path.write_text(json.dumps(doc, indent=1, default=str))


def load_directions(results_dir: str | Path) -> list[dict]:
    """Every saved direction of ``results_dir`` (written by the MR pages)."""
    return [json.loads(p.read_text()) for p in sorted(Path(results_dir).glob("mr-*.json"))]


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


def directions_table(directions: list[dict], method: str = "ivw") -> pd.DataFrame:
    """One row per saved direction: the ``method`` estimate, exp scale, adjusted p-values, planted truth."""
    rows = []
    for d in directions:
        m = next((r for r in d["methods"] if r["method"] == method), None)
        if m is None:
            continue
        rows.append({"exposure": d["exposure"], "outcome": d["outcome"], "nsnp": m.get("nsnp"),
                     "estimate": m["estimate"], "se": m["se"], "ci_lower": m["ci_lower"],
                     "ci_upper": m["ci_upper"], "p": m["p"], "planted": d.get("planted")})
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
