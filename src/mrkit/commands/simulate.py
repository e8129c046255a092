"""``mrkit simulate``: generate the synthetic GWAS panel (the book's default data) and print where it is."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("simulate", help="generate the synthetic GWAS panel calibrated to the study",
                              description=__doc__)
    p.add_argument("--size", choices=("full", "small"), default="full",
                   help="full: 500,000 variants, 500 reference individuals; small: 20,000 and 200 (default full)")
    p.add_argument("--panel-seed", type=int, default=None, metavar="N",
                   help="which synthetic panel: the seed its data are drawn from (default "
                        "mrkit.rng.DEFAULT_PANEL_SEED, the book's panel); another value gives other data")
    p.add_argument("--seed", dest="old_seed", default=None, help=argparse.SUPPRESS)  # renamed: say so
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default <cache>/synthetic/<size>-seed<panel seed>)")
    p.add_argument("--force", action="store_true", help="rebuild even if an intact, current panel is there")
    p.add_argument("--verify", action="store_true", help="re-hash every file against the manifest")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..rng import resolve_panel_seed
    from ..simulate import build_panel, ensure_panel

    if args.old_seed is not None:
        print("mrkit simulate: --seed is now --panel-seed (the seed the synthetic data are drawn from; the seed "
              "of an analysis's random draws is `mrkit estimate --seed`)", file=sys.stderr)
        return 2
    start = time.perf_counter()
    if args.force:
        folder = build_panel(args.out, size=args.size, seed=args.panel_seed)
        action = "built"
    else:
        folder = ensure_panel(args.size, args.panel_seed, verify=args.verify, out_dir=args.out)
        action = "ready"
    print(f"{folder}")
    print(f"mrkit simulate: {args.size} panel, panel seed {resolve_panel_seed(args.panel_seed)}, {action} in "
          f"{time.perf_counter() - start:.1f} s")
    return 0
