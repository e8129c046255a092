"""``mrkit scan``: MR of many exposure-outcome pairs from a TOML manifest, on this machine or a Dask cluster."""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "scan", help="MR scan of many exposure-outcome pairs (manifest), serial or on Dask",
        description=__doc__ + " Each GWAS file is read once; each pair's result and harmonisation log are "
        "written atomically into DIR, so a failing pair is recorded with its reason, an interrupted scan "
        "resumes where it stopped, and DIR/results.parquet holds every pair x method row at the end. "
        "See mrkit.scan.manifest for the manifest's keys.",
        epilog="Exit codes: 0 every pair has a result (a failed pair is a result, its reason in the table); 2 a bad "
        "manifest or input, or an OpenGWAS failure that stops the scan; 3 some pairs not finished (run the same "
        "command again to resume); 4 every pair failed (the most frequent reason is printed); 130 interrupted "
        "(Ctrl-C: the cluster is closed, the pairs written stay, and the same command resumes after them). A second "
        "scan into the same DIR waits for the first (and says so), then resumes after the pairs it wrote.")
    p.add_argument("manifest", help="TOML manifest: [settings], [[exposure]], [[outcome]], optional [[pair]]")
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder (created; resumed if it "
                   "holds a scan of the same settings)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                       help="run on an existing Dask cluster (e.g. started by dask-jobqueue on Slurm/PBS)")
    where.add_argument("--serial", action="store_true", help="run in this process, without Dask")
    p.add_argument("--connect-timeout", type=float, default=30.0, dest="connect_timeout", metavar="S",
                   help="seconds to wait for the scheduler (default 30)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes of the LocalCluster (default: the CPUs available)")
    p.add_argument("--retry-failed", action="store_true", dest="retry_failed",
                   help="compute again the pairs recorded as failed")
    p.add_argument("--no-progress", action="store_false", dest="progress", help="no progress bar")
    p.add_argument("--opengwas-timeout", type=float, default=None, dest="opengwas_timeout", metavar="SECONDS",
                   help="longest wait for each OpenGWAS answer, retries included (default $OPENGWAS_TIMEOUT, else 60)")
    p.set_defaults(func=run)


#: exit codes besides 0 and 2 (see the epilog)
INCOMPLETE, ALL_FAILED, INTERRUPTED = 3, 4, 130


def run(args) -> int:
    import sys

    from ..errors import InputError
    from ..scan.engine import run_scan
    from ..scan.manifest import load_manifest
    from ..scan.store import folder_lock

    manifest = load_manifest(args.manifest)
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}", column="--workers")
    api = None
    if args.opengwas_timeout is not None:
        from ..gwas.opengwas import Client

        api = Client(timeout=args.opengwas_timeout)
    try:
        with folder_lock(args.out):  # a second scan into DIR waits, then resumes after what the first wrote
            if args.serial:
                report = run_scan(manifest, args.out, progress=args.progress, retry_failed=args.retry_failed,
                                  api=api)
            else:
                from ..scan.cluster import dask_client

                with dask_client(args.scheduler, args.workers, timeout=args.connect_timeout) as client:
                    report = run_scan(manifest, args.out, client=client, progress=args.progress,
                                      retry_failed=args.retry_failed, api=api)
    except KeyboardInterrupt:  # the cluster is closed by now (workers ignore Ctrl-C: mrkit.scan.cluster)
        print(f"mrkit scan: interrupted; the pairs written in {args.out} stay, and the same command resumes "
              "after them", file=sys.stderr)
        return INTERRUPTED
    print(report)
    if not report.complete:
        return INCOMPLETE
    if report.all_failed:
        reason, count = next(iter(report.reasons.items()))
        print(f"mrkit scan: error: all {report.n_pairs} pairs failed; the most frequent reason ({count} of them): "
              f"{reason}", file=sys.stderr)
        return ALL_FAILED
    return 0
