"""``mrkit read``: read a GWAS summary-statistics file, report what was kept, dropped and flagged, save it."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    from ..gwas.rules import policy_help, twosamplemr_help

    p = subparsers.add_parser("read", help="read and validate a GWAS summary-statistics file",
                              description=__doc__, epilog=f"{policy_help()}\n\n{twosamplemr_help()}",
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", type=Path)
    p.add_argument("--fmt", default="auto",
                   help="auto (default), gwasvcf, finngen, neale, ssf, twosamplemr or generic")
    p.add_argument("--role", choices=("exposure", "outcome"), default=None,
                   help="TwoSampleMR files holding both: read the .exposure or the .outcome columns")
    p.add_argument("--p-max", type=float, default=None, help="keep rows with p <= P_MAX")
    p.add_argument("--column", action="append", default=[], metavar="SCHEMA=FILE",
                   help="generic format column mapping, e.g. --column beta=BETA (repeatable)")
    p.add_argument("--study", help="GWAS-VCF sample column to read")
    p.add_argument("--strict", action="store_true",
                   help="refuse the file at its first invalid row (exit 2, naming line and column) instead of "
                        "dropping and counting the row")
    p.add_argument("-o", "--output", type=Path, help="write the rows as a tab-separated file ('-': standard output)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import MRKitError
    from ..gwas.io import ReadReport, read_sumstats

    columns = {}
    for item in args.column:
        key, sep, value = item.partition("=")
        if not sep:
            raise MRKitError(f"--column {item!r}: expected SCHEMA=FILE, e.g. beta=BETA")
        columns[key] = value
    frame = read_sumstats(args.file, args.fmt, columns=columns or None, p_max=args.p_max,
                          strict=args.strict, study=args.study, role=args.role)
    to_stdout = args.output is not None and str(args.output) == "-"
    print(ReadReport.of(frame), file=sys.stderr if to_stdout else sys.stdout)
    if to_stdout:  # -o -: the rows on standard output, the report on standard error
        frame.to_csv(sys.stdout, sep="\t", index=False, na_rep="NA")
    elif args.output:
        from ..paths import atomic_output

        with atomic_output(args.output) as tmp:
            frame.to_csv(tmp, sep="\t", index=False, na_rep="NA")
        print(f"wrote {args.output}")
    return 0
