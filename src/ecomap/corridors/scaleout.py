"""Scale-out on Dask: independent tasks on a ``dask.distributed`` cluster, or in this process.

:func:`executor` gives one object with ``submit``/``result`` whatever runs the tasks: this process
(no ``workers``, ``scheduler`` or ``client``: the serial run), a ``LocalCluster`` of ``workers``
processes with one thread each (the embedded case), or any running cluster by its scheduler's
address (SLURM, Kubernetes and cloud deployments all give one) or by a ``Client``. Dask is
imported only here and only when asked for. The tasks are plain module-level functions, so the
workers need ecomap importable and, for tasks that read files, the same paths.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from .._errors import InputError
from ._solver import _available_memory

__all__ = ["WORKER_BASE_BYTES", "DaskExecutor", "SerialExecutor", "check_dask_options", "check_worker_memory",
           "executor"]

#: Bytes a worker process takes before any task (Python, numpy, scipy, rasterio, dask).
WORKER_BASE_BYTES = 300 << 20


class SerialExecutor:
    """Runs each task at once in this process, in submission order."""

    workers = 1
    worker_limit: int | None = None

    def submit(self, fn, *args):
        """Run ``fn(*args)`` now; its result is the handle."""
        return fn(*args)

    def put(self, value, *, broadcast: bool = False):
        """The value itself (nothing to send)."""
        return value

    def put_many(self, values: list) -> list:
        """The values themselves."""
        return list(values)

    def result(self, handle):
        """The handle is the result."""
        return handle

    def everywhere(self, fn, *args):
        """Run ``fn(*args)`` in this process (where the tasks ran); its result."""
        return fn(*args)


class DaskExecutor:
    """Submits tasks to a ``distributed.Client``; the handles are futures."""

    def __init__(self, client):
        self.client = client
        info = client.scheduler_info()["workers"]
        self.workers = max(len(info), 1)
        limits = [w.get("memory_limit") or 0 for w in info.values()]
        self.worker_limit = min(limits) if limits and min(limits) > 0 else None

    def submit(self, fn, *args):
        """A future of ``fn(*args)`` (futures among ``args``, also inside lists, are awaited)."""
        return self.client.submit(fn, *args, pure=False)

    def put(self, value, *, broadcast: bool = False):
        """Send ``value`` to the cluster once; a future that tasks take as an argument."""
        return self.client.scatter(value, broadcast=broadcast, hash=False)

    def put_many(self, values: list) -> list:
        """Send several values in one call; a future for each."""
        return self.client.scatter(list(values), hash=False) if values else []

    def result(self, handle):
        """Wait for the future and fetch its value (a task's exception is raised here)."""
        return handle.result()

    def everywhere(self, fn, *args):
        """Run ``fn(*args)`` on every worker, outside the tasks; the results by worker address."""
        return self.client.run(fn, *args)


def check_dask_options(workers: int | None, scheduler: str | None, client) -> None:
    """Refuse more than one of ``workers``, ``scheduler`` and ``client``, or fewer than 1 worker.

    Parameters
    ----------
    workers, scheduler, client
        As :func:`executor`.

    Returns
    -------
    None
        Nothing; raises :class:`~ecomap.InputError` on bad options.
    """
    if sum(v is not None for v in (workers, scheduler, client)) > 1:
        raise InputError("give one of workers (--workers), scheduler (--scheduler) or client, not several")
    if workers is not None and int(workers) < 1:
        raise InputError(f"--workers must be >= 1, got {workers}")


@contextlib.contextmanager
def executor(*, workers: int | None = None, scheduler: str | None = None, client=None,
             memory_limit: int | None = None) -> Iterator[SerialExecutor | DaskExecutor]:
    """The executor for a run: this process, a ``LocalCluster``, a scheduler's address or a client.

    Parameters
    ----------
    workers : int, optional
        Start a ``LocalCluster`` of this many worker processes (one thread each), closed at the end.
    scheduler : str, optional
        Address of a running Dask scheduler, such as ``tcp://host:8786``.
    client : distributed.Client, optional
        A client already connected (left open).
    memory_limit : int, optional
        Bytes a ``LocalCluster`` worker may use: Dask pauses a worker whose process passes its
        ``distributed.worker.memory.pause`` fraction (80 %) of its limit, so the limit is set to
        this divided by that fraction (a worker at its estimate runs on; paused, it would wait for ever).

    Returns
    -------
    contextlib.AbstractContextManager
        Yields a :class:`SerialExecutor` when none of the three is given, else a :class:`DaskExecutor`.

    Raises
    ------
    InputError
        More than one of the three, fewer than 1 worker, or a scheduler that does not answer.
    """
    check_dask_options(workers, scheduler, client)
    if client is not None:
        yield DaskExecutor(client)
        return
    if workers is None and scheduler is None:
        yield SerialExecutor()
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency of ecomap
        raise InputError("--workers and --scheduler need dask.distributed: pip install 'dask[distributed]'") from exc
    with contextlib.ExitStack() as stack:
        if workers is not None:
            if memory_limit:
                import dask

                pause = dask.config.get("distributed.worker.memory.pause", 0.8) or 1.0
                memory_limit = int(memory_limit / pause)
            cluster = stack.enter_context(LocalCluster(
                n_workers=int(workers), threads_per_worker=1, processes=True, memory_limit=memory_limit or "auto",
                dashboard_address=":0", silence_logs=logging.ERROR))
            c = stack.enter_context(Client(cluster))
        else:
            try:
                c = stack.enter_context(Client(scheduler, timeout=10))
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(f"--scheduler {scheduler}: no Dask scheduler answers there ({exc})") from exc
        yield DaskExecutor(c)


def check_worker_memory(parts: dict[str, int], *, workers: int, what: str, options: str,
                        limit: int | None = None, max_memory: int | None = None) -> int:
    """Refuse a run whose per-worker estimate does not fit; return the bytes to give each worker.

    Parameters
    ----------
    parts : dict of str to int
        Bytes one worker needs, by part.
    workers : int
        Workers that run at once on this machine (1 for the serial run and a remote cluster).
    what : str
        The run's name for the message.
    options : str
        The options that lower the estimate, named in the message.
    limit : int, optional
        A running cluster's worker memory limit (bytes): the estimate must fit in it.
    max_memory : int, optional
        Bytes this machine may give all its workers (default 80 % of the available memory).

    Returns
    -------
    int
        The estimate per worker (bytes), with a quarter added as headroom.

    Raises
    ------
    InputError
        The estimate exceeds ``limit``, or ``workers`` times it exceeds ``max_memory``.
    """
    need = int(sum(parts.values()) * 1.25)
    if limit is not None:
        have, total = limit, need
        where = "a worker of the cluster has"
    else:
        have = max_memory if max_memory is not None else int(_available_memory() * 0.8)
        total = need * workers
        where = "this machine has"
    if total > have:
        top = sorted(parts.items(), key=lambda kv: -kv[1])[:3]
        shown = "; ".join(f"{k} {v / 2**20:,.0f} MiB" for k, v in top)
        raise InputError(f"{what} needs about {need / 2**20:,.0f} MiB a worker ({total / 2**20:,.0f} MiB in all) but "
                         f"{where} {have / 2**20:,.0f} MiB ({shown}); use {options}")
    return need
