"""Where Dask work runs: an existing scheduler (``tcp://HOST:PORT``) or a LocalCluster on this machine.

The same code runs on a laptop and on a cluster: :func:`dask_client` connects to a scheduler address when
given one (a cluster started by ``dask scheduler`` / ``dask worker``, or by dask-jobqueue on Slurm or PBS,
whose ``cluster.scheduler_address`` is that address), and otherwise starts a LocalCluster of worker
*processes* (one thread each: the estimators hold the GIL) listening on 127.0.0.1 only, without a
dashboard, and closes it on exit, workers included.

Ctrl-C belongs to this process: a terminal sends SIGINT to the whole process group, LocalCluster workers
included, and each would die printing a KeyboardInterrupt traceback. The workers ignore SIGINT instead
(:func:`dask_setup`, run in each worker process as a Dask preload, restarted workers included); this process
gets the KeyboardInterrupt, and closing the client and the cluster stops the workers.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["dask_client", "local_workers"]


def dask_setup(worker) -> None:
    """Dask preload hook, run in each LocalCluster worker process as it starts: ignore SIGINT (Ctrl-C is the
    client's to handle; the cluster's close stops the workers quietly)."""
    import signal
    from contextlib import suppress

    with suppress(ValueError):  # (not the main thread: a worker running in this process, processes=False)
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def local_workers() -> int:
    """Workers of a default LocalCluster: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def dask_client(scheduler: str | None = None, n_workers: int | None = None, *,
                memory_limit: str | float | None = "auto", timeout: float = 60.0) -> Iterator[object]:
    """A ``distributed.Client``: to ``scheduler`` when given, else to a new LocalCluster of ``n_workers``
    single-threaded worker processes (default :func:`local_workers`) on 127.0.0.1.

    ``memory_limit`` is per worker (``"auto"``: the machine's memory divided among the workers). Raises
    :class:`mrkit.errors.MRKitError` when the scheduler cannot be reached within ``timeout`` seconds.
    """
    import logging

    from distributed import Client, LocalCluster

    from ..errors import MRKitError

    if scheduler:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise MRKitError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = n_workers or local_workers()
    # no dashboard; the scheduler's small HTTP server (health checks) on a free loopback port
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, memory_limit=memory_limit, silence_logs=logging.ERROR,
                           preload=[__name__],
                           scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
    try:
        client = Client(cluster, timeout=timeout)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()
