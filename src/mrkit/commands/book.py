"""``mrkit book``: execute the run plan's notebooks (what changed, in parallel) and build the site."""
from __future__ import annotations

from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("book", help="execute the notebooks of the run plan and build the Jupyter Book",
                              description=__doc__,
                              epilog="One build at a time: a second mrkit book on the same checkout and build folder "
                              "says that another build is running, waits for it, then re-uses what it executed. "
                              "Exit codes: 0 built; 2 a notebook failed or bad input (the published site is kept); "
                              "130 interrupted.")
    p.add_argument("--profile", default="full", help="run-plan profile: full (default) or small (the test build)")
    p.add_argument("--plan", type=Path, default=None, help="run plan (default book/runplan.toml)")
    p.add_argument("--build-dir", type=Path, default=None,
                   help="build into this folder instead of _build/ (executed notebooks go to its generated/)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="notebooks run at once (default: all cores)")
    p.add_argument("--no-render", action="store_true", help="execute notebooks only, do not build the site")
    p.add_argument("--no-strict", action="store_true", help="do not turn Sphinx warnings into errors")
    p.add_argument("--data", choices=("synthetic", "real", "opengwas"), default=None,
                   help="the data of every page that reads GWAS data, instead of the plan's: synthetic, real "
                        "(data/sources.toml files) or opengwas (the OpenGWAS API; token in $OPENGWAS_JWT)")
    p.add_argument("--refresh", action="store_true",
                   help="with --data opengwas: ask the API again instead of using cached answers")
    p.add_argument("--opengwas-timeout", type=float, default=None, dest="opengwas_timeout", metavar="SECONDS",
                   help="with --data opengwas: longest wait for each answer, retries included (default "
                        "$OPENGWAS_TIMEOUT, else 60)")
    p.add_argument("--pdf", action="store_true",
                   help="also print the book to <build>/pdf/ as one PDF (needs Debian chromium)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..book.pipeline import DEFAULT_PLAN, Layout, build_book
    from ..errors import MRKitError

    if args.pdf and args.no_render:
        raise MRKitError("--pdf prints the rendered book: it cannot go with --no-render")
    plan = (args.plan or DEFAULT_PLAN).resolve()
    root = plan.parents[1]  # the plan lives in <project>/book/
    if args.opengwas_timeout is not None:  # the notebooks' kernels inherit the environment
        import os

        from ..gwas.opengwas import TIMEOUT_ENV, timeout_seconds

        os.environ[TIMEOUT_ENV] = repr(timeout_seconds(args.opengwas_timeout))
    if args.refresh:  # every cached OpenGWAS answer is stale from now on: the pages using them re-execute
        from ..gwas.opengwas import mark_refresh

        mark_refresh()
    report = build_book(plan, profile=args.profile, layout=Layout.default(root, build=args.build_dir), jobs=args.jobs,
                        render_site=not args.no_render, strict=not args.no_strict, data=args.data, pdf=args.pdf)
    print(report.summary())
    return 0
