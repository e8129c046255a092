"""``mrkit plot``: the MR page's figures (scatter, forest, funnel, leave-one-out) of a harmonised table, as
PNG, SVG or PDF: the book's own plot functions (:func:`mrkit.paper.plots.mr_figure`), on your data.

The table is any file ``mrkit estimate`` reads (one exposure-outcome pair). The estimates drawn are
``mrkit.mr`` (IVW, MR-Egger, weighted and penalised weighted median, maximum likelihood), the single-SNP
and leave-one-out tables and, for the scatter, MR-PRESSO's outliers, under the convention and seed given.
"""
from __future__ import annotations

import sys
from pathlib import Path

_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def register(subparsers) -> None:
    p = subparsers.add_parser("plot", help="scatter, forest, funnel or leave-one-out plot of a harmonised table",
                              description=__doc__)
    p.add_argument("kind", choices=("scatter", "forest", "funnel", "loo"),
                   help="scatter: SNP-outcome against SNP-exposure effects with the methods' lines (TwoSampleMR "
                        "mr_scatter_plot); forest: each SNP's Wald ratio, then the summary estimates "
                        "(mr_forest_plot); funnel: Wald ratios against their precision 1/SE (mr_funnel_plot); loo: "
                        "IVW without each SNP (mr_leaveoneout_plot)")
    p.add_argument("file", type=Path, help="harmonised table (as mrkit estimate reads it)")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="figure to write: .png, .svg or .pdf (the suffix says which)")
    p.add_argument("--exposure", default=None,
                   help="the exposure's name on the axes (default: the table's exposure column, else 'exposure')")
    p.add_argument("--outcome", default=None,
                   help="the outcome's name on the axes (default: the table's outcome column, else 'outcome')")
    p.add_argument("--exposure-units", default="", dest="exposure_units",
                   help="units of the exposure GWAS effects, e.g. 'SD' or 'log odds' (scatter x axis)")
    p.add_argument("--outcome-units", default="", dest="outcome_units",
                   help="units of the outcome GWAS effects, e.g. 'log odds' (scatter y axis; the causal estimate's "
                        "unit unless --effect-unit says otherwise)")
    p.add_argument("--effect-unit", default=None, dest="effect_unit",
                   help="what one unit of a causal estimate is (forest, funnel, loo axes; default from --outcome "
                        "and --outcome-units, e.g. 'log odds of CHD')")
    p.add_argument("--data", type=Path, default=None, metavar="FILE.csv",
                   help="also write the data drawn (one row per point or line of the figure) as CSV")
    p.add_argument("--convention", default="twosamplemr", choices=("twosamplemr", "mendelianrandomization"),
                   help="which R package's SEs and intervals to draw")
    p.add_argument("--seed", type=int, default=None, help="seed of the bootstrap and MR-PRESSO draws")
    p.add_argument("--presso-n", type=int, default=1000, dest="presso_n",
                   help="MR-PRESSO null distributions for the scatter's outliers (default 1000; 0: mark none)")
    p.add_argument("--dpi", type=int, default=200, help="resolution of a PNG (default 200)")
    p.set_defaults(func=run)


def _names(frame, args) -> tuple[str, str, str]:
    """Exposure and outcome names and the effect unit, from the flags or the table."""
    def from_table(column: str, default: str) -> str:
        if column in frame and frame[column].notna().any():
            return str(frame[column].dropna().iloc[0])
        return default

    exposure = args.exposure or from_table("exposure", "exposure")
    outcome = args.outcome or from_table("outcome", "outcome")
    unit = args.effect_unit
    if unit is None:
        units = args.outcome_units.strip()
        unit = (f"log odds of {outcome}" if units.lower() in ("log odds", "log or", "logor") else
                f"{outcome} ({units})" if units else f"{outcome}, in the units of its GWAS")
    return exposure, outcome, unit


def run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    import mrkit

    from ..errors import MRKitError
    from ..gwas.io.harmonised import read_harmonised_table
    from ..methods.mrdata import split_pairs
    from ..paper.plots import SCATTER_METHODS, figure_data, mr_figure
    from ..paths import atomic_output, refuse_overwriting_inputs
    from ._tables import print_drops

    fmt = _FORMATS.get(args.output.suffix.lower())
    if fmt is None:
        raise MRKitError(f"{args.output}: give a file name ending in .png, .svg or .pdf (the format of the figure)")
    if args.data is not None and args.data.suffix.lower() != ".csv":
        raise MRKitError(f"{args.data}: --data writes CSV: give a file name ending in .csv")
    refuse_overwriting_inputs([args.output, args.data], [args.file])
    table = read_harmonised_table(args.file)
    print_drops(table, sys.stdout)  # rows the checks dropped or flagged, counted by reason
    pairs = split_pairs(table)
    if len(pairs) != 1:
        raise MRKitError(f"{args.file} holds {len(pairs)} exposure-outcome pairs: a figure shows one; write each "
                         "pair to its own file")
    frame = table.to_frame()
    exposure, outcome, unit = _names(frame, args)
    results = mrkit.mr(frame, methods=list(SCATTER_METHODS), convention=args.convention, seed=args.seed)
    kwargs = {}
    if args.kind == "scatter":
        kwargs["harmonised"] = frame
        kwargs["egger_intercept"] = float(mrkit.pleiotropy(frame, convention=args.convention)["intercept"].iloc[0])
        if args.presso_n > 0:
            from ..errors import NotEstimable
            from ..methods.presso import mr_presso

            pair = pairs[0].canonical()
            try:
                kwargs["outliers"] = mr_presso(*pair.arrays(), snp=list(pair.snp), n_distributions=args.presso_n,
                                               seed=args.seed).outliers
            except NotEstimable:  # too few SNPs for MR-PRESSO: no outliers to mark
                kwargs["outliers"] = ()
    elif args.kind in ("forest", "funnel"):
        kwargs["single"] = mrkit.single_snp(frame, convention=args.convention)
    else:
        kwargs["loo"] = mrkit.leave_one_out(frame, convention=args.convention)
    fig = mr_figure(args.kind, results=results, exposure=exposure, outcome=outcome,
                    exposure_units=args.exposure_units, outcome_units=args.outcome_units, effect_unit=unit, **kwargs)
    try:
        with atomic_output(args.output) as tmp:
            fig.savefig(tmp, format=fmt, dpi=args.dpi, bbox_inches="tight",
                        metadata={"Creator": f"mrkit {mrkit.__version__}"} if fmt != "png" else None)
        if args.data is not None:
            data = figure_data(fig)
            with atomic_output(args.data) as tmp:
                data.to_csv(tmp, index=False)
    finally:
        plt.close(fig)
    print(f"{args.output}: {args.kind} plot of {exposure} -> {outcome}, {pairs[0].k} SNPs"
          + (f"; data drawn: {args.data}" if args.data is not None else ""))
    return 0
