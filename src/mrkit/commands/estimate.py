"""``mrkit estimate``: MR estimates, heterogeneity, pleiotropy, MR-PRESSO and (with sample sizes) Steiger
directionality for a harmonised CSV; on request leave-one-out, single-SNP, odds ratios and Steiger filtering,
in mrkit's or TwoSampleMR's names."""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import sys
from typing import TYPE_CHECKING, Any

from ..json_values import json_value
from ._tables import format_table, print_drops, python_scalar, write_csv

if TYPE_CHECKING:
    from ..gwas.io.harmonised import HarmonisedTable


_FORMATS = ("table", "csv", "json")


def register(subparsers) -> None:
    from ..gwas.rules import policy_help

    p = subparsers.add_parser(
        "estimate", help="MR estimates of a harmonised exposure-outcome table (CSV)",
        description=__doc__ + " Columns: SNP, bx, bxse, by, byse or TwoSampleMR's "
                              "beta.exposure, se.exposure, beta.outcome, se.outcome (mr_keep honoured); "
                              "Steiger directionality needs samplesize.exposure and samplesize.outcome "
                              "and pval.exposure, pval.outcome (r2 from p and n, as TwoSampleMR directionality_test).",
        epilog=policy_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", help="harmonised CSV file")
    p.add_argument("--multivariable", metavar="FILE.csv", default=None,
                   help="multivariable MR of a CSV with SNP, bx1..bxK, bxse1..bxseK, by, byse (or bx_<name>, "
                        "bxse_<name>), or TwoSampleMR's long multivariable format")
    p.add_argument("--convention", default="twosamplemr",
                   choices=("twosamplemr", "mendelianrandomization"),
                   help="which R package's SEs, weights and p-values to reproduce")
    p.add_argument("--seed", type=int, default=None, help="seed of every random draw")
    p.add_argument("--presso-n", type=int, default=1000, dest="presso_n",
                   help="MR-PRESSO null distributions (default 1000, as R)")
    p.add_argument("--n-boot", type=int, default=None, dest="n_boot",
                   help="bootstrap draws (default 1000 twosamplemr, 10000 mendelianrandomization)")
    p.add_argument("--format", default="table", choices=_FORMATS, help="output format")
    p.add_argument("--methods", default=None, help="comma-separated method ids, or all (default: "
                   "TwoSampleMR's defaults plus ml and raps; multivariable: mv_ivw, mv_ivw_fe, mv_egger, mv_median)")
    p.add_argument("--lasso-lambda", type=float, default=None, dest="lasso_lambda", metavar="X",
                   help="a fixed MR-Lasso / MV-Lasso penalty on glmnet's scale (default: tuned, as R's mr_lasso)")
    p.add_argument("--ld", default=None, metavar="FILE.csv",
                   help="LD (correlation) matrix of the variants for ivw_correl, egger_correl, clr and pcgmm: a "
                        "square CSV whose header (and optionally first column) names the SNPs, signs for the effect "
                        "alleles of the input (default: independent variants)")
    p.add_argument("--phenocor", default=None, metavar="FILE.csv",
                   help="with --multivariable: the K x K phenotypic correlation of the exposures (a square CSV "
                        "named by exposure) for the conditional F and Q_A (MVMR gencov) and mv_cml")
    p.add_argument("--hetpen-grid", type=float, nargs=2, default=None, dest="hetpen_grid", metavar=("MIN", "MAX"),
                   help="the grid hetpen searches (default -1 1, as R's mr_hetpen CIMin, CIMax; an estimate on its "
                        "edge says so: widen it)")
    p.add_argument("--sample-size", type=float, default=None, dest="sample_size", metavar="N",
                   help="with --multivariable: the GWAS sample size mv_cml uses (R mr_mvcML's n: the smallest of "
                        "the exposure and outcome GWAS)")
    p.add_argument("--ml-optimizer", default="nelder_mead", choices=("nelder_mead", "profile"), dest="ml_optimizer",
                   help="maximum likelihood: R's Nelder-Mead, stopped where R's optim stops (default, R's numbers), "
                        "or the converged maximum (profile likelihood)")
    extra = p.add_argument_group(
        "more tables (TwoSampleMR's functions); with --format csv, the one table asked for")
    extra.add_argument("--loo", action="store_true",
                       help="leave-one-out: IVW without each SNP in turn, then with all (TwoSampleMR mr_leaveoneout)")
    extra.add_argument("--single-snp", action="store_true", dest="single_snp",
                       help="the Wald ratio of each SNP, then IVW and MR-Egger on all (TwoSampleMR mr_singlesnp)")
    extra.add_argument("--odds-ratios", action="store_true", dest="odds_ratios",
                       help="add or, or_lci95, or_uci95 to the estimates: exp of the estimate and of its 95%% CI, "
                            "b -/+ 1.96 se under the twosamplemr convention (TwoSampleMR generate_odds_ratios), "
                            "the row's own CI otherwise and for a row without an SE (conmix, hetpen, clr); none for "
                            "the sign test (its estimate is a concordance, not a log odds ratio)")
    extra.add_argument("--steiger-filter", action="store_true", dest="steiger_filter",
                       help="Steiger test of each SNP (TwoSampleMR steiger_filtering: r2 = F/(n - 2 + F), F = "
                            "(b/se)^2; needs samplesize.exposure and samplesize.outcome), then every estimate on the "
                            "SNPs with steiger_dir TRUE only (R: subset(dat, steiger_dir))")
    extra.add_argument("--names", default="mrkit", choices=("mrkit", "twosamplemr"),
                       help="column names and method labels: mrkit's (ids such as ivw), or TwoSampleMR's (b, se, pval, "
                            "nsnp, method = \"Inverse variance weighted\", id.exposure, ...), so that a CSV or JSON "
                            "table reads into R as the TwoSampleMR function's own output")
    p.add_argument("--strict", action="store_true",
                   help="refuse a file with an invalid row (exit 2, naming file, line and column) instead of "
                        "dropping and counting the row")
    p.set_defaults(func=run)


def _presso_summary(pair, seed: int, n: int) -> dict:
    from ..errors import MRKitError
    from ..methods.presso import mr_presso

    try:
        res = mr_presso(*pair.canonical().arrays(), snp=list(pair.canonical().snp),
                        n_distributions=n, seed=seed)
    except MRKitError as exc:
        return {"note": str(exc)}
    corrected = res.corrected
    below = res.global_p == 0  # no simulated RSS above the observed one: R writes "<1/n", never 0
    return {"global_rss": res.global_rss, "global_p": res.global_p_text if below else res.global_p,
            "global_p_text": res.global_p_text, "global_p_bound": 1 / res.n_distributions if below else None,
            "outliers": [str(s) for s in res.outliers],
            "corrected": None if corrected is None else {
                "estimate": corrected["estimate"], "se": corrected["sd"], "p": corrected["p"]},
            "n_distributions": res.n_distributions, "seed": res.seed}


def _not_estimable(note: str) -> str:
    """'not estimable (needs >= 3 SNPs)' from a NotEstimable message such as '... needs at least 3 SNPs, got 2'."""
    match = re.search(r"needs at least (\d+) (SNPs|instruments)", note or "")
    return f"not estimable (needs >= {match.group(1)} SNPs)" if match else f"not estimable: {note}"


def _steiger(table: HarmonisedTable, pair) -> dict | None:
    """Steiger directionality of one pair's rows when the table has both sample sizes, else None."""
    from ..errors import MRKitError
    from ..methods.steiger import steiger_directionality

    sizes = ("samplesize.exposure", "samplesize.outcome")
    if not set(sizes) <= set(table.columns):
        return None
    import numpy as np

    from ._outputs import pair_rows

    rows = pair_rows(table, pair)
    missing = np.isnan(np.column_stack([table[c][rows] for c in sizes]))
    if missing.all(axis=0).any():  # a harmonised table with empty sample-size columns: nothing to test
        return None
    if missing.any():
        return {"note": f"not computed: sample size missing for {int(missing.any(axis=1).sum())} SNP(s)"}
    try:
        res = steiger_directionality({name: values[rows] for name, values in table.items()})
    except MRKitError as exc:
        return {"note": f"not computed: {exc}"}
    return {k: res[k] for k in ("r2_exposure", "r2_outcome", "z", "steiger_pval", "correct_causal_direction",
                                "n_snps", "rule")} | ({"note": res["note"]} if "note" in res else {})


def _method_rows(rows: list[dict], labels: list[str]) -> list[dict]:
    """The rows of :func:`mrkit.methods.estimate.mr_rows` typed and ordered as :func:`mrkit.mr`'s table has
    them (labels, then ``TABLE_COLUMNS``; numbers as float, ``nsnp`` int, ``n_boot`` and ``seed`` int or None),
    then each method's extra quantities (its registry ``row_keys``: MR-Lasso's lambda, Rucker's model, ...)."""
    from ..methods.estimate import TABLE_COLUMNS

    out = []
    for row in rows:
        typed = {c: row.get(c) for c in [*labels, *TABLE_COLUMNS]}
        extras = {c: python_scalar(v) for c, v in row.items() if c not in typed}
        for c in ("estimate", "se", "ci_lower", "ci_upper", "p"):
            typed[c] = math.nan if typed[c] is None else float(typed[c])
        typed["nsnp"] = int(typed["nsnp"])
        for c in ("n_boot", "seed"):
            value = typed[c]
            typed[c] = None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)
        out.append(typed | extras)
    return out


def _as_column(values: list) -> list:
    """A column of numbers as a table column types it: float for all when one is a float (NaN), else int."""
    if any(isinstance(v, float) for v in values):
        return [float(v) for v in values]
    return values


def _options(args, pair=None) -> dict:
    """Method options from the flags: ``lasso_lambda``; ``hetpen_grid_min``/``max``; ``ld`` (the LD matrix in the
    pair's own row order, the order clr and pcgmm take it in); ``n`` (mv_cml)."""
    options: dict[str, Any] = {}
    if args.lasso_lambda is not None:
        options["lasso_lambda"] = args.lasso_lambda
    if args.ld is not None and pair is not None:
        from ..gwas.io.matrix import read_correlation_matrix

        options["ld"] = read_correlation_matrix(args.ld, [str(s) for s in pair.snp], what="LD matrix")
    if args.sample_size is not None:
        options["n"] = args.sample_size
    if args.hetpen_grid is not None:
        low, high = args.hetpen_grid
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            from ..errors import MRKitError

            raise MRKitError(f"--hetpen-grid MIN MAX: MIN must be below MAX and both finite, got {low:g} {high:g}")
        options["hetpen_grid_min"], options["hetpen_grid_max"] = low, high
    return options


@contextlib.contextmanager
def _matrix_files(args):
    """A method's refusal of a matrix the user gave as a file (not positive definite: no correlation matrix) names
    that file (--ld, --phenocor) instead of the method's argument ('column 'rho'')."""
    from ..errors import InputError

    files = {"ld": args.ld, "phenocor": args.phenocor, "rho": args.phenocor, "pcor": args.phenocor}
    try:
        yield
    except InputError as exc:
        path = files.get(exc.column or "")
        if path is None or exc.file is not None:
            raise
        flag = "--ld" if exc.column == "ld" else "--phenocor"
        raise InputError(f"{flag}: not a correlation matrix (the method says: {exc.message})",
                         file=str(path)) from None


def _pair_report(pair, args, conv_name: str, seed: int, table: HarmonisedTable) -> dict:
    from ..methods.estimate import mr_rows
    from ..methods.heterogeneity import heterogeneity_rows, nome_note, pleiotropy_rows

    with _matrix_files(args):
        rows = mr_rows(pair, methods=args.methods, convention=conv_name, seed=seed, n_boot=args.n_boot,
                       presso_n=args.presso_n, ml_optimizer=args.ml_optimizer, options=_options(args, pair))
    methods = _method_rows(rows, list(pair.labels))
    het_rows = heterogeneity_rows(pair, conv_name)
    het_columns = {c: _as_column([math.nan if r[c] is None else python_scalar(r[c]) for r in het_rows])
                   for c in ("q", "df", "p")}
    het = {r["method"]: {c: het_columns[c][i] for c in ("q", "df", "p")} | {"note": r["note"]}
           for i, r in enumerate(het_rows)}
    ple = pleiotropy_rows(pair, conv_name)[0]
    nome = nome_note(ple["i2gx"])
    for row in methods:
        if row["method"] == "egger" and nome and math.isfinite(row["estimate"]):
            row["note"] = "; ".join(n for n in (row["note"], nome) if n)
    return {
        **pair.labels,
        "methods": methods,
        "heterogeneity": {m: {"q": het[m]["q"], "df": het[m]["df"], "p": het[m]["p"],
                              **({"note": _not_estimable(het[m]["note"])} if het[m]["note"] else {})}
                          for m in ("ivw", "egger")},
        "pleiotropy": {"intercept": ple["intercept"], "se": ple["se"], "p": ple["p"],
                       "distribution": ple["distribution"], "i2gx": ple["i2gx"],
                       **({"note": _not_estimable(ple["note"])} if ple["note"] else {})},
        "presso": _presso_summary(pair, seed, args.presso_n),
        "steiger": _steiger(table, pair),
    }


def _run_multivariable(args, conv_name: str, seed: int) -> int:
    import pandas as pd

    from ..gwas.io.multivariable import read_multivariable
    from ..methods.multivariable import MV_METHODS, mv_mr

    if args.methods is not None:
        _check_methods(args.methods, MV_METHODS, where=" with --multivariable")
    data = read_multivariable(args.multivariable)
    phenocor = None
    if args.phenocor is not None:
        from ..gwas.io.matrix import read_correlation_matrix
        from ..methods.mvdata import as_mvdata

        phenocor = read_correlation_matrix(args.phenocor, list(as_mvdata(data).exposures),
                                           what="phenotypic correlation")
    with _matrix_files(args):
        table = mv_mr(data, methods=args.methods, convention=conv_name, seed=seed, n_boot=args.n_boot,
                      phenocor=phenocor, options=_options(args))
    a = table.attrs
    alignment = data.attrs.get("alignment")  # a long TwoSampleMR table aligned on the first exposure's allele
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
        return 0
    pl = a["pleiotropy"]
    report = {
        "convention": conv_name, "seed": seed,
        "input": {"file": str(args.multivariable), "nsnp": a["nsnp"], "exposures": a["exposures"],
                  **({"alignment": alignment} if alignment else {})},
        "methods": _mv_records(table),
        "strength": {"conditional_f": a["strength"], "rule": f"MVMR strength_mvmr, gencov = {a['gencov']}"},
        "heterogeneity": {"q": a["heterogeneity"]["q"], "df": a["heterogeneity"]["df"], "p": a["heterogeneity"]["p"]},
        "pleiotropy": {"q_a": pl["q_a"], "df": pl["df"], "p": pl["p"],
                       "rule": f"MVMR pleiotropy_mvmr, gencov = {a['gencov']}",
                       "egger_intercept": {"estimate": pl["egger_intercept"], "se": pl["egger_intercept_se"],
                                           "p": pl["egger_intercept_p"], "distribution": pl["egger_distribution"]}},
    }
    if args.format == "json":
        print(json.dumps(json_value(report), indent=2))
        return 0
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"{args.multivariable}: {a['nsnp']} SNPs, exposures {', '.join(a['exposures'])}; convention "
              f"{conv_name}, seed {seed}")
        if alignment:
            print(f"aligned on {a['exposures'][0]}'s effect allele: {alignment['kept']} of {alignment['variants']} "
                  "variants kept; " + "; ".join(f"{k}: {v}" for k, v in alignment.items() if isinstance(v, dict) and v))
        shown = ["exposure", "method", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "se_model",
                 "distribution"]
        if table["note"].fillna("").astype(str).str.len().any():  # why a row is NaN, what R does differently
            shown.append("note")
        print(table[shown].to_string(index=False))
        _print_extras(_mv_records(table), label=lambda r: f"{r['method']} ({r['exposure']})")
        print(f"Conditional F (gencov = {a['gencov']}): "
              + ", ".join(f"{k} {v:.2f}" for k, v in a["strength"].items()))
        h = a["heterogeneity"]
        print(f"Heterogeneity (MV-IVW): Q {h['q']:.4f} on {h['df']} df (p {h['p']:.3g})")
        print(f"Pleiotropy: Q_A {pl['q_a']:.4f} on {pl['df']} df (p {pl['p']:.3g}); MV-Egger intercept "
              f"{pl['egger_intercept']:.6g} (SE {pl['egger_intercept_se']:.4g}, p {pl['egger_intercept_p']:.3g})")
    return 0


def _mv_records(table) -> list[dict]:
    """The multivariable table's rows, each with only its own method's extra quantities (not the NaN of another
    method's columns)."""
    from ..methods.estimate import TABLE_COLUMNS
    from ..methods.registry import get_mv_method

    base = ["exposure", "outcome", *TABLE_COLUMNS]
    return [{c: record[c] for c in [*base, *get_mv_method(record["method"]).row_keys] if c in record}
            for record in table.to_dict(orient="records")]


def _extras_text(row: dict, standard: set) -> str:
    parts = []
    for key, value in row.items():
        if key in standard or value is None or (isinstance(value, str) and not value):
            continue
        parts.append(f"{key} {format(value, '.6g') if isinstance(value, float) else value}")
    return ", ".join(parts)


def _print_extras(rows: list[dict], label=lambda r: r["method"]) -> None:
    """One line per row that has extra quantities (its method's ``row_keys``): ``method: key value, ...``."""
    from ..methods.estimate import TABLE_COLUMNS

    standard = {"exposure", "outcome", "or", "or_lci95", "or_uci95", *TABLE_COLUMNS}
    lines = [f"  {label(r)}: {text}" for r in rows if (text := _extras_text(r, standard))]
    if lines:
        print("Further quantities of each method:")
        print("\n".join(lines))


def _check_methods(text: str, known, why: dict | None = None, where: str = "") -> None:
    """Refuse an unknown method id before any work, naming it, the flag and the ids there are (and, from ``why``,
    why a method of the R packages is not there); ``all`` asks for every one."""
    from ..errors import MRKitError

    if text.strip() == "all":
        return
    unknown = [m.strip() for m in text.split(",") if m.strip() and m.strip() not in known]
    if unknown:
        what = "method " + repr(unknown[0]) if len(unknown) == 1 else "methods " + ", ".join(map(repr, unknown))
        reasons = "".join(f"; {why[m]}" for m in unknown if why and m in why)
        raise MRKitError(f"unknown {what} for --methods{where}; known: {', '.join(known)}{reasons}")


def run(args) -> int:
    from ..errors import InputError
    from ..gwas.io.harmonised import read_harmonised_table
    from ..methods.conventions import get_convention
    from ..methods.mrdata import split_pairs
    from ..rng import resolve_seed
    from ._outputs import chosen_table

    conv = get_convention(args.convention)
    seed = resolve_seed(args.seed)
    if args.multivariable is not None:
        if args.file is not None:
            raise InputError("give either a harmonised FILE or --multivariable FILE, not both", column="file")
        asked = [f for f, on in (("--loo", args.loo), ("--single-snp", args.single_snp), ("--odds-ratios",
                 args.odds_ratios), ("--steiger-filter", args.steiger_filter), ("--names twosamplemr",
                 args.names == "twosamplemr"), ("--ld", args.ld is not None)) if on]
        if asked:
            from ..errors import MRKitError

            raise MRKitError(f"{', '.join(asked)}: for a univariable table (FILE), not --multivariable")
        return _run_multivariable(args, conv.name, seed)
    if args.file is None:
        raise InputError("no input: give a harmonised CSV FILE (or --multivariable FILE.csv)", column="file")
    for flag, value in (("--phenocor", args.phenocor), ("--sample-size", args.sample_size)):
        if value is not None:
            from ..errors import MRKitError

            raise MRKitError(f"{flag}: for --multivariable (mv_cml, the conditional F and Q_A), not a univariable "
                             "table (cml, clr and pcgmm take the sample sizes from its samplesize.* columns)")
    if args.methods is not None:
        from ..methods.estimate import METHODS

        _check_methods(args.methods, METHODS)
    csv_table = chosen_table(args)  # refuses --format csv with two tables asked for, before any work
    table = read_harmonised_table(args.file, strict=args.strict)  # csv module and numpy: no pandas to start
    pairs = split_pairs(table)
    filtered = None
    if args.steiger_filter:
        from ._outputs import steiger_filter

        filtered, table = steiger_filter(table, pairs)  # every SNP's test; the table without steiger_dir FALSE
        pairs = split_pairs(table)
    reports = []
    for pair in pairs:
        rep = _pair_report(pair, args, conv.name, seed, table)
        rep["input"] = {"file": str(args.file), "nsnp": pair.k, "n_excluded": pair.n_excluded,
                        "rows_read": table.attrs["rows_read"], "dropped": table.attrs["dropped"],
                        "flagged": table.attrs["flagged"]}
        reports.append(rep)
    if args.loo or args.single_snp or args.odds_ratios or filtered is not None:
        from ._outputs import add_tables

        add_tables(reports, pairs, args, conv.name, filtered)
    if args.names == "twosamplemr":
        from ._outputs import TSMR_OF, print_tsmr, r_cells, tsmr_report

        tables = tsmr_report(reports, pairs, table)
        if args.format == "csv":
            write_csv(r_cells(tables[TSMR_OF[csv_table]]), sys.stdout)
            print_drops(table, sys.stderr)
        elif args.format == "json":
            inputs = [rep["input"] for rep in reports]
            print(json.dumps(json_value({"convention": conv.name, "seed": seed, "names": "twosamplemr",
                                     "input": inputs[0] if len(inputs) == 1 else inputs, **tables}), indent=2))
        else:
            print_drops(table, sys.stdout)
            print_tsmr(tables, reports, f"{args.file}: convention {conv.name}, seed {seed}; TwoSampleMR's tables")
        return 0
    if args.format == "csv":
        write_csv([row for r in reports for row in r[csv_table]], sys.stdout)
        print_drops(table, sys.stderr)
        return 0
    if args.format == "json":
        body = [{"convention": conv.name, "seed": seed, **rep} for rep in reports]
        out = body[0] if len(body) == 1 else {"convention": conv.name, "seed": seed, "pairs": body}
        print(json.dumps(json_value(out), indent=2))
        return 0
    print_drops(table, sys.stdout)
    for rep in reports:
        _print_report(rep, conv.name, seed)
    return 0


def _number(value: float, fmt: str) -> str:
    return format(value, fmt) if value is not None and math.isfinite(value) else "not estimable"


def _print_report(rep: dict, convention: str, seed: int) -> None:
    what = " -> ".join(str(rep[c]) for c in ("exposure", "outcome") if c in rep)
    inp = rep["input"]
    print(f"{what or inp['file']}: {inp['nsnp']} SNPs ({inp['n_excluded']} excluded by "
          f"mr_keep), convention {convention}, seed {seed}")
    cols = ["method", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "se_model", "distribution", "note"]
    if rep["methods"] and "or" in rep["methods"][0]:
        cols[6:6] = ["or", "or_lci95", "or_uci95"]
    print(format_table(rep["methods"], cols))
    _print_extras(rep["methods"])
    from ._outputs import explain

    for line in explain(rep["methods"]):
        print(line)
    h = rep["heterogeneity"]
    parts = []
    for key, name in (("ivw", "Cochran Q"), ("egger", "Rucker Q'")):
        if "note" in h[key]:
            parts.append(f"{name} {h[key]['note']}")
        else:
            parts.append(f"{name} {h[key]['q']:.4f} on {int(h[key]['df'])} df (p {h[key]['p']:.3g})")
    print("Heterogeneity: " + "; ".join(parts))
    pl = rep["pleiotropy"]
    if "note" in pl:
        print(f"Egger intercept {pl['note']}")
    else:
        print(f"Egger intercept {pl['intercept']:.6g} (SE {pl['se']:.4g}, p {pl['p']:.3g}, "
              f"{pl['distribution']}); I2_GX {_number(pl['i2gx'], '.4f')}")
        for line in explain([], pl):
            print(line)
    pr = rep["presso"]
    if "note" in pr:
        print(f"MR-PRESSO: {_not_estimable(pr['note'])}")
    else:
        corr = pr["corrected"]
        print(f"MR-PRESSO: global RSS {pr['global_rss']:.4f}, p {pr['global_p_text']}; "
              f"outliers: {', '.join(pr['outliers']) or 'none'}"
              + (f"; corrected {corr['estimate']:.6g} (SE {corr['se']:.4g})" if corr else ""))
    st = rep["steiger"]
    if st is not None and "z" in st:
        direction = "exposure -> outcome" if st["correct_causal_direction"] else "outcome -> exposure"
        from ._outputs import R2_RULES

        print(f"Steiger directionality: r2 exposure {st['r2_exposure']:.6g}, r2 outcome {st['r2_outcome']:.6g}, "
              f"z {st['z']:.3f}, p {st['steiger_pval']:.3g}: {direction} (TwoSampleMR directionality_test)"
              + (f"; {st['note']}" if st.get("note") else ""))
        print(f"  r2 rule {st['rule']}: {R2_RULES.get(st['rule'], st['rule'])}, summed over the SNPs")
    elif st is not None:
        print(f"Steiger directionality: {st['note']}")
    from ._outputs import print_extras

    print_extras(rep)
    print()
