"""``mrkit estimate``: MR estimates, heterogeneity, pleiotropy, MR-PRESSO and (with sample sizes) Steiger
directionality for a harmonised CSV."""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


_FORMATS = ("table", "csv", "json")


def register(subparsers) -> None:
    from ..gwas.rules import policy_help

    p = subparsers.add_parser(
        "estimate", help="MR estimates of a harmonised exposure-outcome table (CSV)",
        description=__doc__ + " Columns: SNP, bx, bxse, by, byse or TwoSampleMR's "
                              "beta.exposure, se.exposure, beta.outcome, se.outcome (mr_keep honoured); "
                              "Steiger directionality needs samplesize.exposure and samplesize.outcome "
                              "(and pval.* or beta/se).",
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
    p.add_argument("--methods", default=None, help="comma-separated method ids (default: "
                   "TwoSampleMR's defaults plus ml and raps)")
    p.add_argument("--strict", action="store_true",
                   help="refuse a file with an invalid row (exit 2, naming file, line and column) instead of "
                        "dropping and counting the row")
    p.set_defaults(func=run)


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/NA -> null, numpy scalars -> Python."""
    import numpy as np
    import pandas as pd

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


def _not_estimable(note: str) -> str:
    """'not estimable (needs >= 3 SNPs)' from a NotEstimable message such as '... needs at least 3 SNPs, got 2'."""
    match = re.search(r"needs at least (\d+) (SNPs|instruments)", note or "")
    return f"not estimable (needs >= {match.group(1)} SNPs)" if match else f"not estimable: {note}"


def _steiger(frame: pd.DataFrame, pair) -> dict | None:
    """Steiger directionality of one pair's rows when the table has both sample sizes, else None."""
    from ..errors import MRKitError
    from ..methods.steiger import steiger_directionality

    if not {"samplesize.exposure", "samplesize.outcome"} <= set(frame.columns):
        return None
    snp_column = next((c for c in ("SNP", "snp") if c in frame.columns), None)
    rows = frame[frame[snp_column].astype(str).isin(set(pair.snp))] if snp_column else frame
    for column, value in pair.labels.items():
        rows = rows[rows[column] == value]
    if "mr_keep" in rows.columns:
        rows = rows[rows["mr_keep"].astype(bool)]
    import pandas as pd

    sizes = rows[["samplesize.exposure", "samplesize.outcome"]].apply(pd.to_numeric, errors="coerce")
    if sizes.isna().all().any():  # a harmonised table with empty sample-size columns: nothing to test
        return None
    if sizes.isna().any().any():
        return {"note": f"not computed: sample size missing for {int(sizes.isna().any(axis=1).sum())} SNP(s)"}
    try:
        res = steiger_directionality(rows)
    except MRKitError as exc:
        return {"note": f"not computed: {exc}"}
    return {k: res[k] for k in ("r2_exposure", "r2_outcome", "z", "steiger_pval", "correct_causal_direction",
                                "n_snps", "rule")} | ({"note": res["note"]} if "note" in res else {})


def _pair_report(pair, args, conv_name: str, seed: int, frame: pd.DataFrame) -> dict:
    from ..methods.estimate import mr
    from ..methods.heterogeneity import heterogeneity, pleiotropy

    table = mr(pair, methods=args.methods, convention=conv_name, seed=seed, n_boot=args.n_boot,
               presso_n=args.presso_n)
    het = heterogeneity(pair, conv_name).set_index("method")
    ple = pleiotropy(pair, conv_name).iloc[0]
    return {
        **pair.labels,
        "methods": table.to_dict(orient="records"),
        "heterogeneity": {m: {"q": het.loc[m, "q"], "df": het.loc[m, "df"], "p": het.loc[m, "p"],
                              **({"note": _not_estimable(het.loc[m, "note"])} if het.loc[m, "note"] else {})}
                          for m in ("ivw", "egger")},
        "pleiotropy": {"intercept": ple["intercept"], "se": ple["se"], "p": ple["p"],
                       "distribution": ple["distribution"], "i2gx": ple["i2gx"],
                       **({"note": _not_estimable(ple["note"])} if ple["note"] else {})},
        "presso": _presso_summary(pair, seed, args.presso_n),
        "steiger": _steiger(frame, pair),
        "table": table,
    }


def _run_multivariable(args, conv_name: str, seed: int) -> int:
    import pandas as pd

    from ..gwas.io.multivariable import read_multivariable
    from ..methods.multivariable import MV_NOT_IMPLEMENTED, mv_mr

    table = mv_mr(read_multivariable(args.multivariable), methods=args.methods, convention=conv_name, seed=seed, n_boot=args.n_boot)
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
    import pandas as pd

    from ..errors import InputError
    from ..gwas.io.harmonised import read_harmonised
    from ..methods.conventions import get_convention
    from ..methods.mrdata import split_pairs
    from ..rng import resolve_seed

    conv = get_convention(args.convention)
    seed = resolve_seed(args.seed)
    if args.multivariable is not None:
        if args.file is not None:
            raise InputError("give either a harmonised FILE or --multivariable FILE, not both", column="file")
        return _run_multivariable(args, conv.name, seed)
    if args.file is None:
        raise InputError("no input: give a harmonised CSV FILE (or --multivariable FILE.csv)", column="file")
    frame = read_harmonised(args.file, strict=args.strict)
    reports = []
    for pair in split_pairs(frame):
        rep = _pair_report(pair, args, conv.name, seed, frame)
        rep["input"] = {"file": str(args.file), "nsnp": pair.k, "n_excluded": pair.n_excluded,
                        "rows_read": frame.attrs["rows_read"], "dropped": frame.attrs["dropped"],
                        "flagged": frame.attrs["flagged"]}
        reports.append(rep)
    if args.format == "csv":
        pd.concat([r["table"] for r in reports]).to_csv(sys.stdout, index=False)
        _print_drops(frame, sys.stderr)
        return 0
    if args.format == "json":
        body = [{"convention": conv.name, "seed": seed,
                 **{k: v for k, v in r.items() if k != "table"}} for r in reports]
        out = body[0] if len(body) == 1 else {"convention": conv.name, "seed": seed, "pairs": body}
        print(json.dumps(_clean(out), indent=2))
        return 0
    _print_drops(frame, sys.stdout)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for rep in reports:
            _print_report(rep, conv.name, seed)
    return 0


def _print_drops(frame: pd.DataFrame, stream) -> None:
    a = frame.attrs
    for reason, count in sorted(a["dropped"].items()):
        print(f"{a['source']}: dropped {count} row(s): {reason}", file=stream)
    for reason, count in sorted(a["flagged"].items()):
        print(f"{a['source']}: flagged {count} row(s): {reason}", file=stream)


def _number(value: float, fmt: str) -> str:
    return format(value, fmt) if value is not None and math.isfinite(value) else "not estimable"


def _print_report(rep: dict, convention: str, seed: int) -> None:
    what = " -> ".join(str(rep[c]) for c in ("exposure", "outcome") if c in rep)
    inp = rep["input"]
    print(f"{what or inp['file']}: {inp['nsnp']} SNPs ({inp['n_excluded']} excluded by "
          f"mr_keep), convention {convention}, seed {seed}")
    cols = ["method", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "se_model", "distribution", "note"]
    print(rep["table"][cols].to_string(index=False))
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
        print(f"Steiger directionality: r2 exposure {st['r2_exposure']:.6g}, r2 outcome {st['r2_outcome']:.6g}, "
              f"z {st['z']:.3f}, p {st['steiger_pval']:.3g}: {direction} (r2 rule {st['rule']})"
              + (f"; {st['note']}" if st.get("note") else ""))
    elif st is not None:
        print(f"Steiger directionality: {st['note']}")
    print()
