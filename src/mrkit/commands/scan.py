"""``mrkit scan``: MR of many exposure-outcome pairs from a TOML manifest, on this machine or a Dask cluster."""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "scan", help="MR scan of many exposure-outcome pairs (manifest), serial or on Dask",
        description=__doc__ + " Each GWAS file is read once; each pair's result and harmonisation log are "
        "written atomically into DIR, so a failing pair is recorded with its reason, an interrupted scan "
        "resumes where it stopped, and DIR/results.parquet holds every pair x method row at the end. "
        "See mrkit.scan.manifest for the manifest's keys.")
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


def run(args) -> int:
    from ..errors import InputError
    from ..scan.engine import run_scan
    from ..scan.manifest import load_manifest

    manifest = load_manifest(args.manifest)
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}", column="--workers")
    api = None
    if args.opengwas_timeout is not None:
        from ..gwas.opengwas import Client

        api = Client(timeout=args.opengwas_timeout)
    if args.serial:
        report = run_scan(manifest, args.out, progress=args.progress, retry_failed=args.retry_failed, api=api)
    else:
        from ..scan.cluster import dask_client

        with dask_client(args.scheduler, args.workers, timeout=args.connect_timeout) as client:
            report = run_scan(manifest, args.out, client=client, progress=args.progress,
                              retry_failed=args.retry_failed, api=api)
    print(report)
    return 0 if report.complete else 3
