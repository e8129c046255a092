"""The tables ``mrkit estimate`` adds on request, and every table in TwoSampleMR's names.

* ``--loo``: :func:`mrkit.leave_one_out` (TwoSampleMR ``mr_leaveoneout``); ``--single-snp``:
  :func:`mrkit.single_snp` (``mr_singlesnp``); ``--odds-ratios``: :func:`mrkit.odds_ratios` (``generate_odds_ratios``);
  ``--steiger-filter``: :func:`mrkit.methods.steiger.steiger_filtering` (``steiger_filtering``), then the
  estimates on the SNPs it keeps.
* ``--names twosamplemr``: each table with the columns and method names of the R function that makes it
  (TwoSampleMR 0.7.9: ``mr``, ``mr_heterogeneity``, ``mr_pleiotropy_test``, ``directionality_test``,
  ``mr_leaveoneout``, ``mr_singlesnp``, ``steiger_filtering``, ``generate_odds_ratios``), so that a table
  written here reads into an R session as the function's own output.

The numbers all come from the public API; this module only selects rows, renames and lays out.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..gwas.io.harmonised import HarmonisedTable

#: TwoSampleMR ``mr_method_list()$name`` of each mrkit method id (TwoSampleMR 0.7.9, R/mr.R); other ids keep
#: mrkit's name (:func:`mrkit.paper.labels.method_label`).
TSMR_METHOD_NAMES = {
    "wald_ratio": "Wald ratio", "ml": "Maximum likelihood", "egger": "MR Egger",
    "egger_boot": "MR Egger (bootstrap)", "simple_median": "Simple median", "weighted_median": "Weighted median",
    "penalised_weighted_median": "Penalised weighted median", "ivw": "Inverse variance weighted",
    "ivw_radial": "IVW radial", "ivw_mre": "Inverse variance weighted (multiplicative random effects)",
    "ivw_fe": "Inverse variance weighted (fixed effects)", "simple_mode": "Simple mode",
    "weighted_mode": "Weighted mode",
    "weighted_mode_nome": "Weighted mode (NOME)", "simple_mode_nome": "Simple mode (NOME)",
    "raps": "Robust adjusted profile score (RAPS)", "sign": "Sign concordance test", "uwr": "Unweighted regression",
    "grip": "MR GRIP",
}
#: mrkit's columns of harmonised data -> TwoSampleMR's.
_DATA_NAMES = {"snp": "SNP", "bx": "beta.exposure", "bxse": "se.exposure", "by": "beta.outcome", "byse": "se.outcome",
               "n_exposure": "samplesize.exposure", "n_outcome": "samplesize.outcome"}
#: Which r2 rule a Steiger result used, in words (``rule`` of :func:`mrkit.methods.steiger.steiger_directionality`).
R2_RULES = {
    "pn": "r2 of each SNP from its p-value and sample size, F = qf(p, 1, n - 1, lower.tail = FALSE), "
          "r2 = F/(n - 2 + F), as TwoSampleMR get_r_from_pn",
    "bsen": "r2 of each SNP from beta, SE and sample size, F = (b/se)^2, r2 = F/(n - 2 + F), as TwoSampleMR "
            "get_r_from_bsen",
    "add_rsq": "r2 of each SNP as TwoSampleMR add_rsq: liability scale for log-odds units, 2 b^2 f (1 - f) for SD "
               "units with EAF, else F/(n - 2 + F) with F = (b/se)^2",
}
#: Explanations printed under the table for notes the R packages' own behaviour causes (note prefix -> line).
NOTE_EXPLAINED = {
    "Nelder-Mead reached maxit": (
        "R's optim (Nelder-Mead) stops after maxit = 25000 evaluations of the likelihood before it converges "
        "here; the row repeats the number TwoSampleMR and MendelianRandomization print. The converged "
        "maximum-likelihood estimate: --ml-optimizer profile"),
}


def method_name(method: str, names: str) -> str:
    """The method's name in a table of ``names`` ("mrkit": its id; "twosamplemr": TwoSampleMR's name)."""
    if names != "twosamplemr":
        return method
    if method in TSMR_METHOD_NAMES:
        return TSMR_METHOD_NAMES[method]
    from ..paper.labels import method_label

    return method_label(method)


def pair_rows(table: HarmonisedTable, pair) -> Any:
    """Boolean mask of the rows of ``table`` that make up ``pair`` (its labels, its SNPs, ``mr_keep``)."""
    import numpy as np

    snp_column = next((c for c in ("SNP", "snp") if c in table.columns), None)
    wanted = set(pair.snp)
    rows = np.ones(table.n_rows, dtype=bool)
    if snp_column:
        rows &= np.array([s is not None and s in wanted for s in table[snp_column].tolist()], dtype=bool)
    for column, value in pair.labels.items():  # the text of the table against the pair's label
        rows &= np.array([v is not None and v == value for v in table[column].tolist()], dtype=bool)
    if "mr_keep" in table.columns:
        rows &= table["mr_keep"].astype(bool)
    return rows


def _tsmr_columns(table: HarmonisedTable, rows) -> dict:
    """The selected rows' columns with TwoSampleMR names (short names bx, bxse, by, byse renamed)."""
    short = {"bx": "beta.exposure", "bxse": "se.exposure", "by": "beta.outcome", "byse": "se.outcome"}
    out = {name: values[rows] for name, values in table.items() if name not in short}
    out.update({short[name]: values[rows] for name, values in table.items() if name in short})
    return out


def steiger_filter(table: HarmonisedTable, pairs: list) -> tuple[list[dict], HarmonisedTable]:
    """Per-SNP Steiger test of every pair (TwoSampleMR ``steiger_filtering``) and the table without the SNPs
    whose ``steiger_dir`` is FALSE. Refused (one line) without sample sizes, or when no SNP of a pair is left."""
    import numpy as np

    from ..errors import InputError
    from ..gwas.io.harmonised import HarmonisedTable
    from ..methods.steiger import steiger_filtering

    if not {"samplesize.exposure", "samplesize.outcome"} <= set(table.columns):
        raise InputError("--steiger-filter needs the columns samplesize.exposure and samplesize.outcome "
                         "(TwoSampleMR's steiger_filtering estimates each SNP's r2 from beta, SE and n)",
                         file=table.attrs.get("source"), line=1)
    drop = np.zeros(table.n_rows, dtype=bool)
    out = []
    for pair in pairs:
        rows = pair_rows(table, pair)
        data = _tsmr_columns(table, rows)
        res = steiger_filtering(data)
        snp_column = next(c for c in ("SNP", "snp") if c in table.columns)
        for j, snp in enumerate(data[snp_column].tolist()):
            out.append({**pair.labels, "snp": snp, **{k: float(data[_DATA_NAMES[k]][j]) for k in
                                                       ("bx", "bxse", "by", "byse", "n_exposure", "n_outcome")},
                        "r2_exposure": float(res["rsq.exposure"][j]), "r2_outcome": float(res["rsq.outcome"][j]),
                        "effective_n_exposure": float(res["effective_n.exposure"][j]),
                        "effective_n_outcome": float(res["effective_n.outcome"][j]),
                        "steiger_dir": bool(res["steiger_dir"][j]), "steiger_pval": float(res["steiger_pval"][j])})
        if not res["steiger_dir"].any():
            what = " for " + ", ".join(f"{k} {v}" for k, v in pair.labels.items()) if pair.labels else ""
            raise InputError(f"Steiger filtering leaves no SNP{what}: every SNP explains more variance in the "
                             f"outcome than in the exposure (steiger_dir FALSE for all {pair.k})",
                             file=table.attrs.get("source"))
        drop[np.flatnonzero(rows)[~res["steiger_dir"]]] = True
    attrs = dict(table.attrs, lines=np.asarray(table.attrs["lines"])[~drop])
    kept = HarmonisedTable({name: values[~drop] for name, values in table.items()}, attrs)
    return out, kept


def sensitivity_rows(pair, convention: str, kind: str) -> list[dict]:
    """Rows of :func:`mrkit.leave_one_out` (``kind="loo"``) or :func:`mrkit.single_snp` for one pair, as dicts."""
    import mrkit

    func = mrkit.leave_one_out if kind == "loo" else mrkit.single_snp
    frame = func(pair, convention=convention)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def add_odds_ratios(rows: list[dict], convention: str) -> list[dict]:
    """``rows`` (estimates) with ``or``, ``or_lci95``, ``or_uci95`` from :func:`mrkit.odds_ratios`.

    Under the twosamplemr convention the interval is ``generate_odds_ratios``' ``exp(b -/+ 1.96 se)`` for every
    method (as R, also where the p-value comes from a t distribution); otherwise, and for a row without an SE
    (a likelihood set, a CLR interval), the exp of the row's own CI; none for the sign test (see
    :func:`mrkit.odds_ratios`).
    """
    import pandas as pd

    import mrkit

    if not rows:
        return rows
    frame = mrkit.odds_ratios(pd.DataFrame(rows), ci="twosamplemr" if convention == "twosamplemr" else "table")
    return [dict(row, **{c: float(frame[c].iloc[i]) for c in ("or", "or_lci95", "or_uci95")})
            for i, row in enumerate(rows)]


# --- TwoSampleMR's names ----------------------------------------------------------------------------------
def r_labels(labels: dict) -> dict:
    """``id.exposure, id.outcome, outcome, exposure`` of a pair (TwoSampleMR's grouping columns): the table's own,
    else the trait's name ("exposure"/"outcome" when the table has none) for both id and name."""
    exposure = labels.get("exposure", labels.get("id.exposure", "exposure"))
    outcome = labels.get("outcome", labels.get("id.outcome", "outcome"))
    return {"id.exposure": labels.get("id.exposure", exposure), "id.outcome": labels.get("id.outcome", outcome),
            "outcome": outcome, "exposure": exposure}


def tsmr_mr(rows: list[dict], labels: dict) -> list[dict]:
    """``mr()`` rows (with ``generate_odds_ratios``' columns when the rows have odds ratios), then mrkit's record
    of how each number was made (convention, se_model, distribution, ..., note)."""
    import numpy as np

    out = []
    for row in rows:
        r = {**r_labels(labels), "method": method_name(row["method"], "twosamplemr"), "nsnp": row["nsnp"],
             "b": row["estimate"], "se": row["se"], "pval": row["p"]}
        if "or" in row:
            r.update(lo_ci=float(np.log(row["or_lci95"])), up_ci=float(np.log(row["or_uci95"])),
                     **{c: row[c] for c in ("or", "or_lci95", "or_uci95")})
        r.update({c: row.get(c) for c in ("convention", "se_model", "distribution", "ci_distribution", "weights",
                                          "n_boot", "seed", "note")})
        out.append(r)
    return out


def tsmr_sensitivity(rows: list[dict], labels: dict, samplesize: float | None) -> list[dict]:
    """``mr_leaveoneout``/``mr_singlesnp`` columns: exposure, outcome, id.exposure, id.outcome, samplesize, SNP,
    b, se, p (samplesize: the outcome's, of the first SNP, as R)."""
    lab = r_labels(labels)
    return [{"exposure": lab["exposure"], "outcome": lab["outcome"], "id.exposure": lab["id.exposure"],
             "id.outcome": lab["id.outcome"], "samplesize": samplesize, "SNP": row["snp"], "b": row["estimate"],
             "se": row["se"], "p": row["p"]} for row in rows]


def tsmr_heterogeneity(het: dict, labels: dict) -> list[dict]:
    """``mr_heterogeneity`` rows, MR Egger then IVW as R orders them."""
    return [{**r_labels(labels), "method": method_name(m, "twosamplemr"), "Q": het[m]["q"], "Q_df": het[m]["df"],
             "Q_pval": het[m]["p"]} for m in ("egger", "ivw")]


def tsmr_pleiotropy(pl: dict, labels: dict) -> list[dict]:
    """``mr_pleiotropy_test`` row."""
    return [{**r_labels(labels), "egger_intercept": pl["intercept"], "se": pl["se"], "pval": pl["p"]}]


def tsmr_directionality(st: dict | None, labels: dict) -> list[dict]:
    """``directionality_test`` row (none when the test was not run)."""
    if not st or "z" not in st:
        return []
    lab = r_labels(labels)
    return [{"id.exposure": lab["id.exposure"], "id.outcome": lab["id.outcome"], "exposure": lab["exposure"],
             "outcome": lab["outcome"], "snp_r2.exposure": st["r2_exposure"], "snp_r2.outcome": st["r2_outcome"],
             "correct_causal_direction": st["correct_causal_direction"], "steiger_pval": st["steiger_pval"]}]


def tsmr_steiger_filtering(rows: list[dict]) -> list[dict]:
    """``steiger_filtering`` rows: the pair's data columns, then rsq.*, effective_n.*, steiger_dir, steiger_pval."""
    out = []
    for row in rows:
        labels = {k: row[k] for k in ("id.exposure", "id.outcome", "exposure", "outcome") if k in row}
        out.append({**r_labels(labels), **{_DATA_NAMES[k]: row[k] for k in _DATA_NAMES},
                    "rsq.exposure": row["r2_exposure"], "rsq.outcome": row["r2_outcome"],
                    "effective_n.exposure": row["effective_n_exposure"],
                    "effective_n.outcome": row["effective_n_outcome"], "steiger_dir": row["steiger_dir"],
                    "steiger_pval": row["steiger_pval"]})
    return out


def tsmr_presso(pr: dict, labels: dict) -> list[dict]:
    """MR-PRESSO's global test as ``mr_presso()`` reports it (``Pvalue`` the text ``"<1/n"`` when no simulated
    RSS exceeded the observed one), with the outliers and the outlier-corrected IVW."""
    if "note" in pr:
        return []
    corr = pr.get("corrected") or {}
    return [{**r_labels(labels), "RSSobs": pr["global_rss"], "Pvalue": pr["global_p"],
             "outliers": ",".join(pr["outliers"]), "corrected_b": corr.get("estimate"), "corrected_se": corr.get("se"),
             "corrected_pval": corr.get("p"), "NbDistribution": pr["n_distributions"], "seed": pr["seed"]}]


def r_cells(rows: list[dict]) -> list[dict]:
    """Rows for a CSV as R's ``write.csv`` writes them: logicals as TRUE/FALSE, whole numbers without ".0"."""
    def cell(v: Any) -> Any:
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
            return int(v)
        return v

    return [{k: cell(v) for k, v in row.items()} for row in rows]


def explain(rows: list[dict], pleiotropy: dict | None = None) -> list[str]:
    """Lines that explain the notes of estimate ``rows`` (:data:`NOTE_EXPLAINED`) and warn when MR-Egger's
    I2_GX is below 0.9 (:func:`mrkit.methods.heterogeneity.nome_note`)."""
    from ..methods.heterogeneity import nome_note

    lines = []
    for row in rows:
        for start, why in NOTE_EXPLAINED.items():
            if (row.get("note") or "").startswith(start):
                lines.append(f"Note on {row['method']}: {why}")
    if pleiotropy is not None and nome_note(pleiotropy.get("i2gx")):
        lines.append(f"Warning: MR-Egger: {nome_note(pleiotropy['i2gx'])}")
    return lines


# --- which tables, and how they are written ---------------------------------------------------------------
#: report key of each extra table -> the flag that asks for it
_EXTRA_TABLES = {"leave_one_out": "loo", "single_snp": "single_snp", "steiger_filtering": "steiger_filter"}


def chosen_table(args) -> str:
    """The report key of the table a CSV holds: the estimates (``methods``), or the one extra table asked for.
    Two extra tables with ``--format csv`` are refused (a CSV holds one table)."""
    from ..errors import MRKitError

    asked = [key for key, flag in _EXTRA_TABLES.items() if getattr(args, flag)]
    if args.format == "csv" and len(asked) > 1:
        flags = ", ".join("--" + _EXTRA_TABLES[k].replace("_", "-") for k in asked)
        raise MRKitError(f"a CSV holds one table and {flags} ask for {len(asked)}: give one of them per run, or "
                         "use --format json (every table)")
    return asked[0] if asked else "methods"


def add_tables(reports: list[dict], pairs: list, args, convention: str, filtered: list[dict] | None) -> None:
    """Add the tables asked for to each pair's report (in place): ``leave_one_out``, ``single_snp`` (rows of
    :func:`sensitivity_rows`), ``steiger_filtering`` (the pair's rows of :func:`steiger_filter`) and the odds
    ratios on the estimates."""
    for rep, pair in zip(reports, pairs):
        if args.loo:
            rep["leave_one_out"] = sensitivity_rows(pair, convention, "loo")
        if args.single_snp:
            rep["single_snp"] = sensitivity_rows(pair, convention, "single")
        if args.odds_ratios:
            rep["methods"] = add_odds_ratios(rep["methods"], convention)
        if filtered is not None:
            rep["steiger_filtering"] = [r for r in filtered if all(r.get(k) == v for k, v in pair.labels.items())]


def tsmr_tables(rep: dict, pair, table: HarmonisedTable) -> dict[str, list[dict]]:
    """One pair's report as TwoSampleMR's tables, keyed by the R function that makes each."""
    labels = {k: rep[k] for k in ("id.exposure", "id.outcome", "exposure", "outcome") if k in rep}
    samplesize = None  # mr_leaveoneout/mr_singlesnp: samplesize.outcome of the pair's first SNP
    if "samplesize.outcome" in table.columns:
        sizes = table["samplesize.outcome"][pair_rows(table, pair)]
        samplesize = float(sizes[0]) if len(sizes) and not math.isnan(sizes[0]) else None
    out = {"mr": tsmr_mr(rep["methods"], labels),
           "mr_heterogeneity": tsmr_heterogeneity(rep["heterogeneity"], labels),
           "mr_pleiotropy_test": tsmr_pleiotropy(rep["pleiotropy"], labels),
           "directionality_test": tsmr_directionality(rep["steiger"], labels),
           "mr_presso": tsmr_presso(rep["presso"], labels)}
    if "leave_one_out" in rep:
        out["mr_leaveoneout"] = tsmr_sensitivity(rep["leave_one_out"], labels, samplesize)
    if "single_snp" in rep:
        out["mr_singlesnp"] = tsmr_sensitivity(rep["single_snp"], labels, samplesize)
    if "steiger_filtering" in rep:
        out["steiger_filtering"] = tsmr_steiger_filtering(rep["steiger_filtering"])
    return out


#: report key -> TwoSampleMR table of the same rows
TSMR_OF = {"methods": "mr", "leave_one_out": "mr_leaveoneout", "single_snp": "mr_singlesnp",
           "steiger_filtering": "steiger_filtering"}


def tsmr_report(reports: list[dict], pairs: list, table: HarmonisedTable) -> dict[str, list[dict]]:
    """Every pair's report in TwoSampleMR's tables, keyed by the R function that makes each, the pairs' rows one
    after another (as R binds them)."""
    tables: dict[str, list[dict]] = {}
    for rep, pair in zip(reports, pairs):
        for name, rows in tsmr_tables(rep, pair, table).items():
            tables.setdefault(name, []).extend(rows)
    return tables


def print_tsmr(tables: dict[str, list[dict]], reports: list[dict], title: str) -> None:
    """TwoSampleMR's tables as text, the explanation of the estimates' notes under ``mr``."""
    from ._tables import format_table

    print(title)
    for name, rows in tables.items():
        if rows:
            columns = [c for c in rows[0] if c not in ("convention", "ci_distribution", "weights", "n_boot", "seed")]
            print(f"\n{name}:")
            print(format_table([{c: _cell(r.get(c)) for c in columns} for r in rows], columns))
        if name == "mr":
            for line in (line for rep in reports for line in explain(rep["methods"], rep["pleiotropy"])):
                print(line)


def _cell(value: Any) -> Any:
    """A value as :func:`mrkit.commands.estimate.format_table` lays it out (None as NaN, booleans as R's)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return math.nan if value is None else value


def print_extras(rep: dict) -> None:
    """The extra tables of one pair's report as text (mrkit's names)."""
    from ._tables import format_table

    if "steiger_filtering" in rep:
        rows = rep["steiger_filtering"]
        dropped = [r["snp"] for r in rows if not r["steiger_dir"]]
        print(f"Steiger filtering (TwoSampleMR steiger_filtering; {R2_RULES['add_rsq']}): {len(rows) - len(dropped)} "
              f"of {len(rows)} SNPs explain more variance in the exposure (steiger_dir TRUE) and were kept for every "
              f"estimate above; dropped: {', '.join(map(str, dropped)) or 'none'}")
        print(format_table([{c: _cell(r[c]) for c in _STEIGER_COLUMNS} for r in rows], list(_STEIGER_COLUMNS)))
    for key, title in (("leave_one_out", "Leave-one-out: IVW without the SNP, then on all (TwoSampleMR "
                                         "mr_leaveoneout)"),
                       ("single_snp", "Single SNP: the Wald ratio of each SNP, then IVW and MR-Egger on all "
                                      "(TwoSampleMR mr_singlesnp)")):
        if key in rep:
            print(title)
            print(format_table([{c: _cell(r.get(c)) for c in _SENSITIVITY_COLUMNS} for r in rep[key]],
                               list(_SENSITIVITY_COLUMNS)))


_STEIGER_COLUMNS = ("snp", "r2_exposure", "r2_outcome", "effective_n_exposure", "effective_n_outcome", "steiger_dir",
                    "steiger_pval")
_SENSITIVITY_COLUMNS = ("snp", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "se_model", "note")
