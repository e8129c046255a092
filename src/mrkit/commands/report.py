"""mrkit report: the book's MR page on your own data, as one HTML page with its figures and CSV files (and a PDF).

Give a harmonised table (one FILE: mrkit harmonise's output, TwoSampleMR's harmonise_data output or SNP, bx, bxse,
by, byse) or an exposure and an outcome file (two FILEs, in any format mrkit read knows: they are harmonised as
mrkit harmonise does, with its options below). The page is the book's MR page, executed by the same notebook:
the estimates of every method, heterogeneity, pleiotropy, MR-PRESSO, Steiger directionality, the harmonisation
log, the scatter, forest, funnel and leave-one-out plots, each table and figure with its data as CSV. It is
labelled with your trait names and files (their SHA-256) and works offline. The folder -o DIR gets index.html,
downloads/, the analysis as JSON, the executed notebook and, where Debian chromium is installed, report.pdf.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    from .harmonise import add_options, epilog

    p = subparsers.add_parser("report", help="the book's MR page on your own data: HTML page, CSV files and PDF",
                              description=__doc__, epilog=epilog(),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", type=Path, nargs="+", metavar="FILE",
                   help="a harmonised table, or an exposure file and an outcome file")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR",
                   help="the report's folder (new or empty; an earlier report only with --force)")
    p.add_argument("--force", action="store_true",
                   help="replace an earlier report in DIR (once the new one is complete; never a folder holding "
                        "anything else)")
    group = p.add_argument_group("the traits and the analysis")
    group.add_argument("--exposure-name", default=None, metavar="NAME",
                       help="the exposure's name on the page (default: the table's exposure column, else 'Exposure')")
    group.add_argument("--outcome-name", default=None, metavar="NAME",
                       help="the outcome's name on the page (default: the table's outcome column, else 'Outcome')")
    group.add_argument("--exposure-units", default=None, metavar="TEXT",
                       help="what one unit of the exposure's effects is, e.g. 'SD' or 'mmol/L' (default: 'log odds' "
                            "with --binary-exposure, else 'GWAS units')")
    group.add_argument("--outcome-units", default=None, metavar="TEXT",
                       help="the same for the outcome (default: 'log odds' with --binary-outcome, else 'GWAS units')")
    group.add_argument("--binary-exposure", action="store_true",
                       help="the exposure is case-control: its effects are log odds ratios")
    group.add_argument("--binary-outcome", action="store_true",
                       help="the outcome is case-control: estimates are log odds ratios, the page gives odds ratios")
    group.add_argument("--convention", default="twosamplemr", choices=("twosamplemr", "mendelianrandomization"),
                       help="which R package's SEs, weights and p-values to reproduce (default twosamplemr)")
    group.add_argument("--seed", type=int, default=None, help="seed of the random draws (bootstraps, MR-PRESSO)")
    group.add_argument("--methods", default=None, metavar="IDS",
                       help="comma-separated method ids of the estimates table (default: every method of the "
                            "book's MR page)")
    group.add_argument("--presso-n", type=int, default=None, dest="presso_n", metavar="N",
                       help="MR-PRESSO's simulated distributions (default 3000, as the book)")
    group.add_argument("--pdf", action=argparse.BooleanOptionalAction, default=None,
                       help="print report.pdf with Debian chromium (default: when chromium is installed)")
    add_options(p, title="harmonising an exposure file and an outcome file (two FILEs; as mrkit harmonise)",
                trait_names=False)
    p.set_defaults(func=run)


def methods_of(text: str | None) -> list[str]:
    """``--methods`` as a list of ids; an unknown id names itself and the known ones."""
    from ..errors import InputError
    from ..methods.estimate import METHODS

    if text is None:
        return []
    ids = list(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    unknown = [m for m in ids if m not in METHODS]
    if unknown or not ids:
        raise InputError(f"--methods: unknown method(s) {', '.join(unknown) or '(none given)'}; the known ids are "
                         f"{', '.join(METHODS)}")
    return ids


def _settings_of_harmonise(args) -> dict:
    """How the two files were harmonised, in a sentence for the page's banner, and the p-value threshold."""
    steps = [f"instruments: exposure variants with p ≤ {args.p_threshold:g}" if args.p_threshold < 1
             else "every exposure variant an instrument (--p-threshold 1)"]
    if args.clump:
        steps.append(f"LD-clumped (r² {args.clump_r2:g}, {args.clump_kb:g} kb) against {args.bfile.name}")
    if args.proxies:
        steps.append(f"LD proxies (r² ≥ {args.proxy_r2:g} within {args.proxy_kb:g} kb) for instruments missing "
                     "from the outcome")
    steps.append(f"harmonised with TwoSampleMR's rules (action {args.action}, palindrome tolerance "
                 f"{args.tolerance:g})")
    return {"made": "Harmonised by `mrkit harmonise`: " + "; ".join(steps) + ".",
            "p_threshold": args.p_threshold, "action": args.action, "tolerance": args.tolerance,
            "clump": bool(args.clump), "proxies": bool(args.proxies)}


def own_data(args):
    """Read (and harmonise) the user's files into :class:`mrkit.paper.own_data.OwnData`; one clear
    :class:`~mrkit.errors.InputError` (file, line, column) for a bad file, before any notebook starts."""
    from ..errors import InputError
    from ..gwas.fetch import sha256_of as sha256
    from ..methods.mrdata import split_pairs
    from ..paper.direction import Trait
    from ..paper.own_data import OwnData, Source, from_harmonised, labels_of, trait_key

    if len(args.files) > 2:
        raise InputError(f"{len(args.files)} files given: give one harmonised table, or an exposure file and an "
                         "outcome file")
    if len(args.files) == 1:
        from ..gwas.io.harmonised import read_harmonised

        frame = read_harmonised(args.files[0], strict=args.strict)
        pairs = split_pairs(frame)  # every check of mrkit estimate, before the page runs
        if len(pairs) > 1:
            shown = "; ".join(", ".join(f"{k} {v}" for k, v in p.labels.items()) for p in pairs[:5])
            more = "; ..." if len(pairs) > 5 else ""
            raise InputError(f"the table holds {len(pairs)} exposure-outcome pairs ({shown}{more}): a report is of "
                             "one pair; give a table of one", file=str(args.files[0]))
        dropped = sum(frame.attrs.get("dropped", {}).values())
        print(f"{args.files[0]}: {frame.attrs.get('rows_read', len(frame))} rows read, {dropped} dropped"
              + "".join(f"; {reason}: {n}" for reason, n in frame.attrs.get("dropped", {}).items()))
        table = from_harmonised(frame)
        sources = [Source("harmonised table", str(args.files[0]), sha256(args.files[0]))]
        settings = {"made": "Analysed as given: a harmonised table (rows read and checked as `mrkit estimate` "
                            "does).", "p_threshold": None}
    else:
        from .harmonise import harmonised_files

        args.exposure, args.outcome = args.files
        out = harmonised_files(args)
        split_pairs(out)  # no instrument left after harmonisation: one line, before the page runs
        table = from_harmonised(out, log=out.attrs["log"])
        sources = [Source(role, str(path), sha256(path)) for role, path in zip(("exposure", "outcome"), args.files)]
        settings = _settings_of_harmonise(args)
    names = labels_of(table)
    x_label = (args.exposure_name or names.get("exposure") or "Exposure").strip()
    y_label = (args.outcome_name or names.get("outcome") or "Outcome").strip()
    x_units = args.exposure_units or ("log odds" if args.binary_exposure else "GWAS units")
    y_units = args.outcome_units or ("log odds" if args.binary_outcome else "GWAS units")
    x_key, y_key = trait_key(x_label, "exposure"), trait_key(y_label, "outcome")
    if y_key == x_key:
        y_key = f"{y_key}_outcome"
    return OwnData(Trait(x_key, x_label, x_units, args.binary_exposure),
                   Trait(y_key, y_label, y_units, args.binary_outcome), table, sources, settings)


def run(args) -> int:
    from ..book.browser import find_chromium
    from ..book.user_report import build_report, check_target
    from ..errors import InputError

    methods = methods_of(args.methods)
    if args.presso_n is not None and args.presso_n < 10:
        raise InputError(f"--presso-n must be at least 10, not {args.presso_n}")
    check_target(args.output, args.force)  # before reading: refuse at once
    pdf = args.pdf
    if pdf is None:
        pdf = find_chromium() is not None
        if not pdf:
            print("report: Debian chromium is not installed: no PDF (apt-get install chromium; --no-pdf says so)")
    elif pdf and find_chromium() is None:
        raise InputError("--pdf needs Debian chromium, which is not installed (apt-get install chromium)")
    own = own_data(args)
    done = build_report(own, args.output, convention=args.convention, seed=args.seed, methods=methods,
                        presso_n=args.presso_n, pdf=pdf, force=args.force)
    s = done.seconds
    print(f"wrote {done.folder}/index.html: {own.exposure.label} -> {own.outcome.label}, "
          f"{int(own.table['mr_keep'].sum())} instruments; {len(done.csv)} CSV files in {done.folder}/downloads/"
          + (f"; {done.pdf}" if done.pdf else ""))
    print(f"  {s['total']:.1f} s: notebook {s['notebook']:.1f} s, page {s['site']:.1f} s"
          + (f", PDF {s['pdf']:.1f} s" if "pdf" in s else ""))
    return 0
