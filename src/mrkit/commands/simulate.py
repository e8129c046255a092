"""``mrkit simulate``: generate the synthetic GWAS panel (the book's default data) and print where it is."""
from __future__ import annotations

import time
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("simulate", help="generate the synthetic GWAS panel calibrated to the study",
                              description=__doc__)
    p.add_argument("--size", choices=("full", "small"), default="full",
                   help="full: 500,000 variants, 500 reference individuals; small: 20,000 and 200 (default full)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default mrkit.rng.DEFAULT_SEED)")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default <cache>/synthetic/<size>-seed<seed>)")
    p.add_argument("--force", action="store_true", help="rebuild even if an intact, current panel is there")
    p.add_argument("--verify", action="store_true", help="re-hash every file against the manifest")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..rng import resolve_seed
    from ..simulate import build_panel, ensure_panel

    start = time.perf_counter()
    if args.force:
        folder = build_panel(args.out, size=args.size, seed=args.seed)
        action = "built"
    else:
        folder = ensure_panel(args.size, args.seed, verify=args.verify, out_dir=args.out)
        action = "ready"
    print(f"{folder}")
    print(f"mrkit simulate: {args.size} panel, seed {resolve_seed(args.seed)}, {action} in "
          f"{time.perf_counter() - start:.1f} s")
    return 0
