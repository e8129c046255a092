"""``mrkit opengwas``: instruments and outcome associations from the OpenGWAS API, as TwoSampleMR tables.

``instruments ID`` asks for the dataset's top hits, LD-clumped on the server (TwoSampleMR
``extract_instruments``) and writes the exposure columns; ``associations ID --snps ...`` asks for the
associations of the variants, with LD proxies for those the dataset lacks (``extract_outcome_data``),
and writes the outcome columns plus the proxy columns (alleles aligned to the target SNP). Both files go
straight into ``mrkit harmonise``. ``status`` checks the server and the token.

The token is read from $OPENGWAS_JWT (https://api.opengwas.io/profile/; white space, quotes or <...>
pasted around it are removed), the API root from $OPENGWAS_API_URL (default https://api.opengwas.io/api/).
Look-ups go out within the server's limits (at most 64 dataset x variant pairs per associations request,
0 < p <= 0.01 for instruments). One request, its retries included, waits at most --timeout seconds
($OPENGWAS_TIMEOUT, default 60). Answers are cached under the data cache: a second run asks nothing and
writes the same file; --refresh asks again.
"""
from __future__ import annotations

from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("opengwas", help="instruments and outcome associations from the OpenGWAS API",
                              description=__doc__)
    sub = p.add_subparsers(dest="opengwas_command", required=True, metavar="{instruments,associations,status}")

    i = sub.add_parser("instruments", help="clumped top hits of a dataset (TwoSampleMR exposure columns)")
    i.add_argument("id", help="OpenGWAS dataset id, e.g. ukb-a-13")
    i.add_argument("--p", type=float, default=5e-8, help="p-value threshold, 0 < p <= 0.01 (5e-8)")
    i.add_argument("--r2", type=float, default=0.001, help="clumping r2 (0.001)")
    i.add_argument("--kb", type=int, default=10000, help="clumping window in kb (10000)")
    i.add_argument("--pop", default="EUR", help="LD reference population of the server: EUR, SAS, EAS, AFR, AMR (EUR)")
    i.add_argument("--no-clump", action="store_true", help="every variant below --p, not clumped")
    i.add_argument("-o", "--output", type=Path, required=True, help="CSV to write")
    _transport_options(i)
    i.set_defaults(func=run_instruments)

    a = sub.add_parser("associations", help="associations of variants in a dataset, with LD proxies "
                                            "(TwoSampleMR outcome columns)")
    a.add_argument("id", help="OpenGWAS dataset id, e.g. finn-b-M13_LOWBACKPAIN")
    a.add_argument("--snps", required=True,
                   help="a CSV with a SNP column (e.g. the output of `mrkit opengwas instruments`) or rs1,rs2,...")
    a.add_argument("--no-proxies", action="store_true", help="do not replace missing variants by LD proxies")
    a.add_argument("--proxy-r2", type=float, default=0.8, help="minimum r2 of a proxy with its target (0.8)")
    a.add_argument("--palindromes", type=int, choices=(0, 1), default=1,
                   help="allow palindromic proxies, aligned through their allele frequency (1, as TwoSampleMR)")
    a.add_argument("--maf-threshold", type=float, default=0.3,
                   help="palindromic proxies need a minor allele frequency below this (0.3)")
    a.add_argument("--pop", default="EUR", help="LD reference population of the proxies: EUR, SAS, EAS, AFR, AMR "
                                                "(EUR)")
    a.add_argument("-o", "--output", type=Path, required=True, help="CSV to write")
    _transport_options(a)
    a.set_defaults(func=run_associations)

    s = sub.add_parser("status", help="the server's state and, with a token, how long it stays valid")
    _transport_options(s, cache=False)
    s.set_defaults(func=run_status)


def _transport_options(p, cache: bool = True) -> None:
    if cache:
        p.add_argument("--refresh", action="store_true", help="ask the server again instead of using the cache")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="longest wait for each answer, retries included (default $OPENGWAS_TIMEOUT, else 60)")


def _client(args):
    from ..gwas.opengwas import Client

    return Client(refresh=getattr(args, "refresh", False), timeout=args.timeout)


def _write(table, output: Path) -> None:
    """Write the CSV atomically: a half-written file never takes the name, an old one stays on failure."""
    from ..paths import atomic_output

    with atomic_output(output) as tmp:
        table.to_csv(tmp, index=False)


def _origin(client) -> str:
    n = client.network_requests
    return "from the cache" if n == 0 else f"{n} request{'s' if n > 1 else ''} to {client!r}"


def run_instruments(args) -> int:
    from ..gwas.opengwas import exposure_table

    client = _client(args)
    rows = client.tophits(args.id, pval=args.p, clump=0 if args.no_clump else 1, r2=args.r2, kb=args.kb, pop=args.pop)
    table = exposure_table(rows)
    _write(table, args.output)
    how = ("not clumped" if args.no_clump
           else f"clumped on the server at r2 < {args.r2:g} within {args.kb} kb ({args.pop})")
    print(f"{len(table)} instruments of {args.id} with p < {args.p:g}, {how} ({_origin(client)}); "
          f"wrote {args.output}")
    return 0


def _snps(spec: str) -> list[str]:
    import pandas as pd

    from ..errors import InputError

    path = Path(spec)
    if path.exists():
        from ..gwas.io.text import sniff

        layout = sniff(path)  # the readers' delimiter rule (a one-column list of rsids has none to guess)
        column = next((c for c in ("SNP", "snp", "rsid", "variant") if c in layout.header), None)
        if column is None:
            raise InputError(f"no SNP column (also tried snp, rsid, variant); got {list(layout.header)}",
                             file=str(path), column="SNP", line=layout.header_line)
        frame = pd.read_csv(path, sep=layout.delimiter, dtype=str, usecols=[column], skiprows=len(layout.meta_lines),
                            compression=layout.compression, keep_default_na=False)
        empty = frame[column].fillna("").str.strip() == ""
        if empty.any():
            row = int(empty.to_numpy().nonzero()[0][0])
            raise InputError("empty variant id", file=str(path), line=layout.first_data_line + row, column=column)
        snps = [s.strip() for s in frame[column]]
    else:
        if "/" in spec or spec.lower().endswith((".csv", ".tsv", ".txt")):
            raise InputError("file not found", file=spec)
        snps = [s.strip() for s in spec.split(",") if s.strip()]
    if not snps:
        raise InputError(f"no variants in --snps {spec!r}")
    return list(dict.fromkeys(snps))


def run_associations(args) -> int:
    from ..gwas.opengwas import outcome_table
    from ..paths import refuse_overwriting_inputs

    refuse_overwriting_inputs([args.output], [args.snps])  # --snps insomnia.csv -o insomnia.csv
    snps = _snps(args.snps)
    client = _client(args)
    rows = client.associations(snps, args.id, proxies=0 if args.no_proxies else 1, r2=args.proxy_r2,
                               palindromes=args.palindromes, maf_threshold=args.maf_threshold, population=args.pop)
    table = outcome_table(rows)
    _write(table, args.output)
    n_proxy = int(table["proxy.outcome"].sum()) if "proxy.outcome" in table else 0
    print(f"{len(table)} of {len(snps)} variants found in {args.id}"
          + (f", {n_proxy} through an LD proxy (r2 >= {args.proxy_r2:g})" if not args.no_proxies else "")
          + f" ({_origin(client)}); wrote {args.output}")
    return 0


def run_status(args) -> int:
    import os

    from ..gwas.opengwas import TOKEN_ENV

    client = _client(args)
    status = client.status()
    print(f"OpenGWAS at {client!r}:")
    for key, value in (status.items() if isinstance(status, dict) else []):
        print(f"  {key}: {value}")
    if os.environ.get(TOKEN_ENV, "").strip():
        user = client.user().get("user", {})
        cleaned = f" ({', '.join(client.token_note)} around it removed)" if client.token_note else ""
        print(f"  token: accepted{cleaned}, valid until {user.get('jwt_valid_until', '?')}")
    else:
        print(f"  token: none (set {TOKEN_ENV})")
    return 0
