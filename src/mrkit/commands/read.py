"""mrkit read: read a GWAS summary-statistics file, report what was kept, dropped and flagged, save it.

The format is recognised from the header (or given with --fmt), and each file is read with its tool's own
meaning of each column (the catalogue below). A table holding several traits is read one trait at a time
(--trait; without it, each trait in turn, each with its report).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: How the reader's messages name the choices of this command (every flag named here exists).
HINTS = {"fmt": "--fmt NAME", "columns": "--column SCHEMA=COLUMN", "effect_allele_col": "--effect-allele-col COLUMN",
         "role": "--role exposure|outcome", "trait": "--trait ID", "study": "--study NAME"}


def register(subparsers) -> None:
    from ..gwas.io.catalogue import FORMAT_NAMES, catalogue_help
    from ..gwas.io.limits import DEFAULT_LIMITS
    from ..gwas.rules import policy_help, twosamplemr_help

    epilog = (f"{catalogue_help()}\n\nreading limits (refused with one line naming file and line, while the file "
              f"streams in): {DEFAULT_LIMITS.describe()}.\n\n{policy_help()}\n\n{twosamplemr_help()}")
    p = subparsers.add_parser("read", help="read and validate a GWAS summary-statistics file",
                              description=__doc__, epilog=epilog,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", type=Path)
    p.add_argument("--fmt", default="auto", choices=("auto", *FORMAT_NAMES), metavar="NAME",
                   help="format of FILE: auto (recognised from the header; default) or one of "
                        f"{', '.join(FORMAT_NAMES)} (the catalogue below; mrkit harmonise calls it "
                        "--exposure-format / --outcome-format)")
    p.add_argument("--role", choices=("exposure", "outcome"), default=None,
                   help="TwoSampleMR files holding both: read the .exposure or the .outcome columns")
    p.add_argument("--trait", metavar="ID", default=None,
                   help="a table holding several traits (exposure, id.exposure, trait, opengwas_id... columns): read "
                        "this one, by its id or its name (default: each trait in turn)")
    p.add_argument("--effect-allele-col", metavar="COLUMN", default=None,
                   help="generic format: the column holding the effect allele (the other allele is the other of its "
                        "pair); needed when the table does not say (an Allele1/Allele2 pair from no known tool)")
    p.add_argument("--p-max", type=float, default=None, help="keep rows with p <= P_MAX")
    p.add_argument("--column", action="append", default=[], metavar="SCHEMA=COLUMN",
                   help="generic format column mapping, e.g. --column beta=BETA (repeatable)")
    p.add_argument("--study", metavar="NAME", help="GWAS-VCF sample column to read")
    p.add_argument("--strict", action="store_true",
                   help="refuse the file at its first invalid row (exit 2, naming line and column) instead of "
                        "dropping and counting the row")
    p.add_argument("-o", "--output", type=Path, help="write the rows as a tab-separated file ('-': standard output)")
    p.set_defaults(func=run)


def column_mapping(items: list[str], flag: str = "--column") -> dict[str, str] | None:
    """``SCHEMA=COLUMN`` items as a mapping (None when there are none)."""
    from ..errors import MRKitError

    columns = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise MRKitError(f"{flag} {item!r}: expected SCHEMA=COLUMN, e.g. beta=BETA")
        columns[key] = value
    return columns or None


def run(args) -> int:
    from ..gwas.io import ReadReport, read_sumstats
    from ..gwas.io.traits import SeveralTraits
    from ..paths import refuse_overwriting_inputs

    refuse_overwriting_inputs([args.output], [args.file])
    options = {"fmt": args.fmt, "columns": column_mapping(args.column), "p_max": args.p_max, "strict": args.strict,
               "study": args.study, "role": args.role, "effect_allele_col": args.effect_allele_col, "hints": HINTS}
    try:
        frames = [read_sumstats(args.file, trait=args.trait, **options)]
    except SeveralTraits as several:
        frames = [read_sumstats(args.file, trait=ident or name, **options) for ident, name, _ in several.traits]
    to_stdout = args.output is not None and str(args.output) == "-"
    for frame in frames:
        print(ReadReport.of(frame), file=sys.stderr if to_stdout else sys.stdout)
    if args.output is None:
        return 0
    import pandas as pd

    if len(frames) > 1:  # one table: each row with its trait
        frames = [f.assign(trait_id=f.attrs.get("trait_id"), trait=f.attrs.get("trait"))[
            ["trait_id", "trait", *f.columns]] for f in frames]
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    # a column no row has (chrom and pos of a table of rsids) is left out, as in the input: written as NA it would
    # read back as a missing value in every row, and mrkit read / harmonise would drop them all
    if len(table):
        table = table.loc[:, table.notna().any(axis=0)]
    if to_stdout:  # -o -: the rows on standard output, the report on standard error
        table.to_csv(sys.stdout, sep="\t", index=False, na_rep="NA")
    else:
        from ..paths import atomic_output

        with atomic_output(args.output) as tmp:
            table.to_csv(tmp, sep="\t", index=False, na_rep="NA")
        print(f"wrote {args.output}")
    return 0
