"""mrkit harmonise: align an exposure and an outcome GWAS to the same effect alleles (TwoSampleMR rules).

Reads both files as mrkit read does (any format of its catalogue: mrkit read --help), all through one
validation layer, optionally selects and LD-clumps the exposure instruments and finds LD proxies for
instruments missing from the outcome, then writes the TwoSampleMR-style harmonised table (with mr_keep,
palindromic, ambiguous, remove) and prints what each reader kept, dropped and flagged and the STROBE-MR
flow counts. Each file has its own reading options (--exposure-format, --outcome-format, ...: mrkit read's
--fmt, --column, --effect-allele-col, --trait, --study); a table holding several traits is refused until one
is chosen.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError


def hints(role: str) -> dict[str, str]:
    """How the reader's messages name the reading options of ``role``'s file (every flag named here exists)."""
    return {"fmt": f"--{role}-format NAME", "columns": f"--{role}-column SCHEMA=COLUMN",
            "effect_allele_col": f"--{role}-effect-allele-col COLUMN", "role": "(the file's position)",
            "trait": f"--{role}-trait ID", "study": f"--{role}-study NAME"}


def register(subparsers) -> None:
    p = subparsers.add_parser("harmonise", help="harmonise exposure and outcome alleles (TwoSampleMR rules)",
                              description=__doc__, epilog=epilog(),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("exposure", type=Path, help="exposure summary statistics (or TwoSampleMR exposure CSV)")
    p.add_argument("outcome", type=Path, help="outcome summary statistics (or TwoSampleMR outcome CSV)")
    p.add_argument("-o", "--output", type=Path, required=True, help="harmonised table to write (CSV)")
    add_options(p)
    p.set_defaults(func=run)


def epilog() -> str:
    """The formats, reading limits and row policies, for the help of every command that reads GWAS files."""
    from ..gwas.io.catalogue import FORMAT_NAMES
    from ..gwas.io.limits import DEFAULT_LIMITS
    from ..gwas.rules import policy_help

    return (f"formats: auto or {', '.join(FORMAT_NAMES)} (each with its allele convention: mrkit read --help).\n"
            f"reading limits: {DEFAULT_LIMITS.describe()}.\n\n{policy_help()}")


def add_options(parser, *, title: str | None = None, trait_names: bool = True) -> None:
    """The options of harmonisation (reading each file, instruments, clumping, proxies, alleles), for ``harmonise``
    and for the commands that harmonise on the way (``mrkit report``: in a group ``title``, without the trait
    names ``--exposure-name``/``--outcome-name`` when ``trait_names`` is False)."""
    from ..gwas.io.catalogue import FORMAT_NAMES

    p = parser.add_argument_group(title) if title else parser
    p.add_argument("--action", type=int, choices=(1, 2, 3), default=2,
                   help="1: assume forward strand; 2 (default): infer palindromes from EAF; 3: drop palindromes")
    p.add_argument("--tolerance", type=float, default=0.08, help="palindrome EAF tolerance around 0.5 (0.08)")
    for role in ("exposure", "outcome"):
        group = parser.add_argument_group(f"reading the {role} file (as mrkit read's --fmt, --column, "
                                          "--effect-allele-col, --trait, --study)")
        group.add_argument(f"--{role}-format", choices=("auto", *FORMAT_NAMES), default="auto", metavar="NAME",
                           help="auto (recognised from the header; default) or a format of mrkit read --help")
        group.add_argument(f"--{role}-column", action="append", default=[], metavar="SCHEMA=COLUMN",
                           help="generic format column mapping (repeatable)")
        group.add_argument(f"--{role}-effect-allele-col", metavar="COLUMN", default=None,
                           help="generic format: the column holding the effect allele")
        names = [f"--{role}-trait", "--trait"] if role == "exposure" else [f"--{role}-trait"]
        group.add_argument(*names, metavar="ID", default=None, dest=f"{role}_trait",
                           help="a table holding several traits: the one to read, by its id or its name"
                                + (" (--trait: the exposure's)" if role == "exposure" else ""))
        group.add_argument(f"--{role}-study", metavar="NAME", default=None, help="GWAS-VCF sample column to read")
    if trait_names:
        p.add_argument("--exposure-name", default=None, help="exposure label (default: from the file)")
        p.add_argument("--outcome-name", default=None, help="outcome label (default: from the file)")
    p.add_argument("--p-threshold", type=float, default=5e-8,
                   help="instruments: exposure variants with p <= this (default 5e-8, as TwoSampleMR "
                        "extract_instruments; the study's reverse direction uses 5e-6; 1 keeps every variant)")
    p.add_argument("--bfile", type=Path, default=None, help="PLINK 1 reference panel for --clump / --proxies")
    p.add_argument("--clump", action="store_true", help="LD-clump the exposure instruments against --bfile")
    p.add_argument("--clump-r2", type=float, default=0.001, help="clumping r2 (0.001, as TwoSampleMR clump_data)")
    p.add_argument("--clump-kb", type=float, default=10000, help="clumping window in kb (10000)")
    p.add_argument("--engine", choices=("auto", "plink", "numpy"), default="auto", help="clumping engine")
    p.add_argument("--proxies", action="store_true", help="replace instruments missing in the outcome by LD proxies")
    p.add_argument("--proxy-r2", type=float, default=0.8, help="minimum r2 of an LD proxy (0.8)")
    p.add_argument("--proxy-kb", type=float, default=500, help="proxy search window in kb (500)")
    p.add_argument("--strict", action="store_true",
                   help="refuse a file with an invalid row (exit 2, naming file, line and column) instead of "
                        "dropping and counting the row")


def _read(args, role: str, p_max: float | None):
    from ..gwas.io import ReadReport, read_sumstats
    from .read import column_mapping

    option = lambda name: getattr(args, f"{role}_{name}")  # noqa: E731
    frame = read_sumstats(getattr(args, role), option("format"), p_max=p_max, strict=args.strict, role=role,
                          columns=column_mapping(option("column"), f"--{role}-column"),
                          effect_allele_col=option("effect_allele_col"), trait=option("trait"),
                          study=option("study"), hints=hints(role))
    print(f"{role}: {ReadReport.of(frame)}")
    return frame


def harmonised_files(args):
    """Read ``args.exposure`` and ``args.outcome``, select (and clump) the instruments, find proxies and harmonise,
    as the options of :func:`add_options` say, printing what each step kept; the harmonised table (with
    ``attrs["log"]``). Raises :class:`~mrkit.errors.InputError` naming file, line and column, or when the outcome
    holds the exposure's own associations (:func:`~mrkit.gwas.harmonise.refuse_self_pair`)."""
    from ..gwas.harmonise import harmonise, refuse_self_pair
    from ..gwas.instruments import select_instruments

    if (args.clump or args.proxies) and args.bfile is None:
        raise InputError("--clump and --proxies need a reference panel: pass --bfile")
    if not 0 < args.p_threshold <= 1:
        raise InputError(f"--p-threshold must be in (0, 1], not {args.p_threshold:g}")
    p_max = args.p_threshold if args.p_threshold < 1 else None
    exposure = _read(args, "exposure", p_max)
    outcome = _read(args, "outcome", None)
    if args.p_threshold < 1:
        exposure = select_instruments(exposure, args.p_threshold)
        print(f"instruments: {len(exposure)} variants with p <= {args.p_threshold:g} (--p-threshold; 1 keeps all)")
    if not len(exposure):
        raise InputError(f"no exposure variant with p <= {args.p_threshold:g}: nothing to harmonise (a weaker "
                         "--p-threshold, e.g. 5e-6, or 1 for every variant of an instrument list)",
                         file=str(args.exposure))
    if args.clump:
        from ..gwas.clump import clump

        exposure = clump(exposure, args.bfile, r2=args.clump_r2, kb=args.clump_kb, p1=args.p_threshold,
                         engine=args.engine)
        info = exposure.attrs["clump"]
        print(f"clumping ({info['engine']}): {info['index_variants']} independent of {info['candidates']} "
              f"candidates; {len(info['absent_from_panel'])} absent from the panel")
    proxies = None
    if args.proxies:
        from ..gwas.harmonise import to_twosamplemr
        from ..gwas.proxies import find_proxies

        x = to_twosamplemr(exposure, "exposure")
        y = to_twosamplemr(outcome, "outcome")
        missing = x.loc[~x["SNP"].isin(y["SNP"]), "SNP"]
        proxies = find_proxies(missing, y["SNP"], args.bfile, r2=args.proxy_r2, kb=args.proxy_kb)
        counts = proxies.attrs["proxies"]
        print(f"proxies: {counts['found']} of {counts['targets']} missing instruments replaced "
              f"(r2 >= {args.proxy_r2:g} within {args.proxy_kb:g} kb)")
    out = harmonise(exposure, outcome, action=args.action, tolerance=args.tolerance,
                    exposure_name=args.exposure_name, outcome_name=args.outcome_name, proxies=proxies,
                    strict=args.strict)
    refuse_self_pair(out, str(args.exposure), str(args.outcome))
    return out


def run(args) -> int:
    from ..gwas.harmonise import harmonisation_flow
    from ..paths import atomic_output, refuse_overwriting_inputs

    refuse_overwriting_inputs([args.output], [args.exposure, args.outcome])
    out = harmonised_files(args)
    with atomic_output(args.output) as tmp:
        out.to_csv(tmp, index=False)
    flow = harmonisation_flow(out.attrs["log"])
    width = max(len(s) for s in flow["stage"])
    for stage, n, kind in zip(flow["stage"], flow["n"], flow["kind"]):
        print(f"{stage:<{width}}  {n:>7}  {kind}")
    print(f"wrote {len(out)} rows ({out.attrs['log']['kept']} with mr_keep) to {args.output}")
    return 0
