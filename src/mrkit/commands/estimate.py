"""``mrkit estimate``: MR estimates, heterogeneity, pleiotropy and MR-PRESSO for a harmonised CSV.

The command reads the CSV, estimates and prints without pandas (see :func:`mrkit.methods.estimate.mr_rows`),
so that the whole process takes well under a second on a typical input.
"""
from __future__ import annotations

import csv
import json
import math
import sys
from typing import Any

_FORMATS = ("table", "csv", "json")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "estimate", help="MR estimates of a harmonised exposure-outcome table (CSV)",
        description=__doc__ + " Columns: SNP, bx, bxse, by, byse or TwoSampleMR's "
                              "beta.exposure, se.exposure, beta.outcome, se.outcome (mr_keep honoured).")
    p.add_argument("file", help="harmonised CSV file")
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
    """JSON-safe: NaN -> null, numpy scalars -> Python."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
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
    from ..methods.estimate import mr_rows
    from ..methods.heterogeneity import heterogeneity_rows, pleiotropy_rows

    rows = mr_rows(pair, methods=args.methods, convention=conv_name, seed=seed, n_boot=args.n_boot,
                   presso_n=args.presso_n)
    het = {r["method"]: r for r in heterogeneity_rows(pair, conv_name)}
    ple = pleiotropy_rows(pair, conv_name)[0]
    return {
        **pair.labels,
        "methods": rows,
        "heterogeneity": {m: {"q": het[m]["q"], "df": het[m]["df"], "p": het[m]["p"]} for m in ("ivw", "egger")},
        "pleiotropy": {"intercept": ple["intercept"], "se": ple["se"], "p": ple["p"],
                       "distribution": ple["distribution"], "i2gx": ple["i2gx"]},
        "presso": _presso_summary(pair, seed, args.presso_n),
    }


def _csv_text(value: Any) -> str:
    """A cell as pandas' ``to_csv`` writes it: empty for missing, shortest round-trip repr for floats."""
    value = _clean(value)
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _write_csv(reports: list[dict]) -> None:
    columns = list(dict.fromkeys(c for r in reports for row in r["methods"] for c in row))
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for rep in reports:
        for row in rep["methods"]:
            writer.writerow([_csv_text(row.get(c)) for c in columns])


def _float_cells(values: list) -> list[str]:
    """One float column as pandas prints it (``display.precision`` 6): fixed with 6 decimals, or scientific
    for the whole column when a value is below 1e-6, or above 1e6 and too wide in fixed notation."""
    fixed = ["NaN" if v is None or math.isnan(v) else f"{v:.6f}" for v in values]
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    too_long = max(map(len, fixed), default=0) > 6 + 6
    if any(0 < v < 1e-6 for v in finite) or (too_long and any(v > 1e6 for v in finite)):
        return ["NaN" if v is None or math.isnan(v) else f"{v:.6e}" for v in values]
    return fixed


def format_table(rows: list[dict], columns: list[str]) -> str:
    """Rows as a fixed-width text table with right-aligned columns (pandas' ``to_string(index=False)``)."""
    cells, headers = {}, {}
    for c in columns:
        values = [_clean(r.get(c)) for r in rows]
        headers[c] = " " + c  # pandas gives the header of a numeric column a leading space
        if all(isinstance(v, float) or v is None for v in values) and any(isinstance(v, float) for v in values):
            cells[c] = _float_cells(values)
        elif values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            cells[c] = [str(v) for v in values]
        else:
            cells[c], headers[c] = ["" if v is None else str(v) for v in values], c
    widths = {c: max([len(headers[c]), *map(len, cells[c])]) for c in columns}
    lines = [" ".join(headers[c].rjust(widths[c]) for c in columns)]
    lines += [" ".join(cells[c][i].rjust(widths[c]) for c in columns) for i in range(len(rows))]
    return "\n".join(lines)


def run(args) -> int:
    from ..methods.conventions import get_convention
    from ..methods.mrdata import split_pairs
    from ..rng import resolve_seed

    conv = get_convention(args.convention)
    seed = resolve_seed(args.seed)
    pairs = split_pairs(args.file)  # read with the csv module: no pandas at start-up
    reports = []
    for pair in pairs:
        rep = _pair_report(pair, args, conv.name, seed)
        rep["input"] = {"file": str(args.file), "nsnp": pair.k, "n_excluded": pair.n_excluded}
        reports.append(rep)
    if args.format == "csv":
        _write_csv(reports)
        return 0
    if args.format == "json":
        body = [{"convention": conv.name, "seed": seed, **rep} for rep in reports]
        out = body[0] if len(body) == 1 else {"convention": conv.name, "seed": seed, "pairs": body}
        print(json.dumps(_clean(out), indent=2))
        return 0
    for rep in reports:
        what = " -> ".join(str(rep[c]) for c in ("exposure", "outcome") if c in rep)
        inp = rep["input"]
        print(f"{what or inp['file']}: {inp['nsnp']} SNPs ({inp['n_excluded']} excluded by "
              f"mr_keep), convention {conv.name}, seed {seed}")
        cols = ["method", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "se_model",
                "distribution", "note"]
        print(format_table(rep["methods"], cols))
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
