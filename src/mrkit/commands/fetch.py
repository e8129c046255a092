"""``mrkit fetch``: download the study's GWAS files (resumable, checksum-verified) into the cache."""
from __future__ import annotations

from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("fetch", help="download GWAS summary statistics (resumable, verified)",
                              description=__doc__ + " Without SOURCE, lists the sources and where their "
                              "files are. A source can instead use a local copy: MRKIT_SOURCE_<TRAIT>=/path "
                              "or a [local] table (see data/sources.toml).")
    p.add_argument("source", nargs="*", metavar="SOURCE",
                   help="trait keys of data/sources.toml, 'reference' (the LD panel) or 'all' (the traits)")
    p.add_argument("--dest", type=Path, default=None, help="download folder (default: the data cache)")
    p.add_argument("--url", help="download this URL instead of a source")
    p.add_argument("--sha256", help="expected sha256 of --url (or of a single SOURCE)")
    p.add_argument("--sources", type=Path, default=None, help="sources file (default data/sources.toml)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import MRKitError
    from ..gwas.fetch import fetch, fetch_reference
    from ..gwas.sources import REFERENCE, SourceUnavailable, load_sources, resolve

    progress = not args.no_progress
    if args.url:
        if args.source:
            raise MRKitError("give either SOURCE names or --url, not both")
        print(fetch(args.url, args.dest, sha256=args.sha256, progress=progress))
        return 0
    sources = load_sources(args.sources)
    if not args.source:
        for trait, src in sources.items():
            try:
                where, _ = resolve(trait, sources=sources)
            except SourceUnavailable:
                where = "not downloaded"
            print(f"{trait:20s} {src.opengwas_id:24s} {where}")
        return 0
    names = list(sources) if args.source == ["all"] else args.source
    unknown = [n for n in names if n not in sources and n != REFERENCE]
    if unknown:
        raise MRKitError(f"unknown source(s) {unknown}; known: {sorted(sources)}")
    if args.sha256 and len(names) != 1:
        raise MRKitError("--sha256 applies to a single SOURCE")
    for name in names:
        if name == REFERENCE:
            print(fetch_reference(args.sources, progress=progress))
        else:
            print(fetch(sources[name], args.dest, sha256=args.sha256, progress=progress))
    return 0
