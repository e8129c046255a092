"""``mrkit estimate``: MR estimates, heterogeneity, pleiotropy and MR-PRESSO for a harmonised CSV."""
from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np
import pandas as pd

_FORMATS = ("table", "csv", "json")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "estimate", help="MR estimates of a harmonised exposure-outcome table (CSV)",
        description=__doc__ + " Columns: SNP, bx, bxse, by, byse or TwoSampleMR's "
                              "beta.exposure, se.exposure, beta.outcome, se.outcome (mr_keep honoured).")
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
    p.add_argument("--methods", default=None, help="comma-separated method ids (default: "
                   "TwoSampleMR's defaults plus ml and raps)")
    p.set_defaults(func=run)


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/NA -> null, numpy scalars -> Python."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _presso_summary(pair, seed: int, n: int) -> dict:
    from ..errors import MRKitError
    from ..methods.presso import mr_presso

    try:
        res = mr_presso(*pair.canonical().arrays(), snp=list(pair.canonical().snp),
                        n_distributions=n, seed=seed)
    except MRKitError as exc:
        return {"note": str(exc)}
    corrected = res.corrected
    return {"global_rss": res.global_rss, "global_p": res.global_p,
            "global_p_text": res.global_p_text, "outliers": [str(s) for s in res.outliers],
            "corrected": None if corrected is None else {
                "estimate": corrected["estimate"], "se": corrected["sd"], "p": corrected["p"]},
            "n_distributions": res.n_distributions, "seed": res.seed}


def _pair_report(pair, args, conv_name: str, seed: int) -> dict:
    from ..methods.estimate import mr
    from ..methods.heterogeneity import heterogeneity, pleiotropy

    table = mr(pair, methods=args.methods, convention=conv_name, seed=seed, n_boot=args.n_boot,
               presso_n=args.presso_n)
    het = heterogeneity(pair, conv_name).set_index("method")
    ple = pleiotropy(pair, conv_name).iloc[0]
    return {
        **pair.labels,
        "methods": table.to_dict(orient="records"),
        "heterogeneity": {m: {"q": het.loc[m, "q"], "df": het.loc[m, "df"], "p": het.loc[m, "p"]}
                          for m in ("ivw", "egger")},
        "pleiotropy": {"intercept": ple["intercept"], "se": ple["se"], "p": ple["p"],
                       "distribution": ple["distribution"], "i2gx": ple["i2gx"]},
        "presso": _presso_summary(pair, seed, args.presso_n),
        "table": table,
    }


def _run_multivariable(args, conv_name: str, seed: int) -> int:
    from ..methods.multivariable import MV_NOT_IMPLEMENTED, mv_mr

    table = mv_mr(args.multivariable, methods=args.methods, convention=conv_name, seed=seed, n_boot=args.n_boot)
    a = table.attrs
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
        return 0
    pl = a["pleiotropy"]
    report = {
        "convention": conv_name, "seed": seed,
        "input": {"file": str(args.multivariable), "nsnp": a["nsnp"], "exposures": a["exposures"]},
        "methods": table.to_dict(orient="records"),
        "methods_not_available": MV_NOT_IMPLEMENTED,
        "strength": {"conditional_f": a["strength"], "rule": "MVMR strength_mvmr, gencov = 0"},
        "heterogeneity": {"q": a["heterogeneity"]["q"], "df": a["heterogeneity"]["df"], "p": a["heterogeneity"]["p"]},
        "pleiotropy": {"q_a": pl["q_a"], "df": pl["df"], "p": pl["p"],
                       "egger_intercept": {"estimate": pl["egger_intercept"], "se": pl["egger_intercept_se"],
                                           "p": pl["egger_intercept_p"], "distribution": pl["egger_distribution"]}},
    }
    if args.format == "json":
        print(json.dumps(_clean(report), indent=2))
        return 0
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"{args.multivariable}: {a['nsnp']} SNPs, exposures {', '.join(a['exposures'])}; convention "
              f"{conv_name}, seed {seed}")
        print(table[["exposure", "method", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "se_model",
                     "distribution"]].to_string(index=False))
        print("Conditional F: " + ", ".join(f"{k} {v:.2f}" for k, v in a["strength"].items()))
        h = a["heterogeneity"]
        print(f"Heterogeneity (MV-IVW): Q {h['q']:.4f} on {h['df']} df (p {h['p']:.3g})")
        print(f"Pleiotropy: Q_A {pl['q_a']:.4f} on {pl['df']} df (p {pl['p']:.3g}); MV-Egger intercept "
              f"{pl['egger_intercept']:.6g} (SE {pl['egger_intercept_se']:.4g}, p {pl['egger_intercept_p']:.3g})")
    return 0


def run(args) -> int:
    from ..errors import InputError
    from ..methods.conventions import get_convention
    from ..methods.mrdata import read_harmonised, split_pairs
    from ..rng import resolve_seed

    conv = get_convention(args.convention)
    seed = resolve_seed(args.seed)
    if args.multivariable is not None:
        if args.file is not None:
            raise InputError("give either a harmonised FILE or --multivariable FILE, not both", column="file")
        return _run_multivariable(args, conv.name, seed)
    if args.file is None:
        raise InputError("no input: give a harmonised CSV FILE (or --multivariable FILE.csv)", column="file")
    pairs = split_pairs(read_harmonised(args.file))
    reports = []
    for pair in pairs:
        rep = _pair_report(pair, args, conv.name, seed)
        rep["input"] = {"file": str(args.file), "nsnp": pair.k, "n_excluded": pair.n_excluded}
        reports.append(rep)
    if args.format == "csv":
        pd.concat([r["table"] for r in reports]).to_csv(sys.stdout, index=False)
        return 0
    if args.format == "json":
        body = [{"convention": conv.name, "seed": seed,
                 **{k: v for k, v in r.items() if k != "table"}} for r in reports]
        out = body[0] if len(body) == 1 else {"convention": conv.name, "seed": seed, "pairs": body}
        print(json.dumps(_clean(out), indent=2))
        return 0
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for rep in reports:
            what = " -> ".join(str(rep[c]) for c in ("exposure", "outcome") if c in rep)
            inp = rep["input"]
            print(f"{what or inp['file']}: {inp['nsnp']} SNPs ({inp['n_excluded']} excluded by "
                  f"mr_keep), convention {conv.name}, seed {seed}")
            cols = ["method", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "se_model",
                    "distribution", "note"]
            print(rep["table"][cols].to_string(index=False))
            h = rep["heterogeneity"]
            print(f"Heterogeneity: Cochran Q {h['ivw']['q']:.4f} on {h['ivw']['df']} df "
                  f"(p {h['ivw']['p']:.3g}); Rucker Q' {h['egger']['q']:.4f} on "
                  f"{h['egger']['df']} df (p {h['egger']['p']:.3g})")
            pl = rep["pleiotropy"]
            print(f"Egger intercept {pl['intercept']:.6g} (SE {pl['se']:.4g}, p {pl['p']:.3g}, "
                  f"{pl['distribution']}); I2_GX {pl['i2gx']:.4f}")
            pr = rep["presso"]
            if "note" in pr:
                print(f"MR-PRESSO: {pr['note']}")
            else:
                corr = pr["corrected"]
                print(f"MR-PRESSO: global RSS {pr['global_rss']:.4f}, p {pr['global_p_text']}; "
                      f"outliers: {', '.join(pr['outliers']) or 'none'}"
                      + (f"; corrected {corr['estimate']:.6g} (SE {corr['se']:.4g})"
                         if corr else ""))
            print()
    return 0
