"""The Dask backend of ``slant batch --scheduler``: the same ``score_chunk`` on a cluster.

Dask is an optional extra (``pip install slant[dask]``); only this module imports it, and only
when a scheduler is asked for. Workers load the model from the registry path, so on a real
cluster ``SLANT_HOME`` must be on storage every worker sees (the path as the driver names it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from service.batch.runner import ChunkResult, ChunkTask, score_chunk

LOCAL = "local"
TASKS_PER_WORKER = 2  # chunks in flight per worker: enough to keep it busy, bounded memory


class DaskUnavailable(RuntimeError):
    """The dask extra is not installed."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise DaskUnavailable(
            "--scheduler needs Dask: pip install 'slant[dask]'"
        ) from None
    return distributed


@dataclass
class DaskBackend:
    """Chunks submitted to a Dask cluster with a bounded window; results as they finish.

    ``scheduler`` is ``"local"`` for a ``LocalCluster`` of ``workers`` single-threaded worker
    processes on loopback (closed when the run ends), or a scheduler address such as
    ``tcp://10.0.0.5:8786``, whose workers are counted when the client connects.
    """

    scheduler: str
    workers: int = 1
    _client: Any = field(default=None, init=False, repr=False)
    _cluster: Any = field(default=None, init=False, repr=False)

    def __enter__(self) -> DaskBackend:
        distributed = _distributed()
        if self.scheduler == LOCAL:
            self._cluster = distributed.LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None,
            )
            self._client = distributed.Client(self._cluster)
        else:
            self._client = distributed.Client(self.scheduler)
            self.workers = max(1, sum(
                worker["nthreads"]
                for worker in self._client.scheduler_info()["workers"].values()
            ))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def map_unordered(self, tasks: Iterator[ChunkTask]) -> Iterator[ChunkResult]:
        if self._client is None:
            raise RuntimeError("use DaskBackend as a context manager")
        distributed = _distributed()
        window = self.workers * TASKS_PER_WORKER
        # pure=False: two chunks are never the same task, even with equal contents
        pending = distributed.as_completed([
            self._client.submit(score_chunk, task, pure=False)
            for task in islice(tasks, window)
        ])
        for future in pending:
            result: ChunkResult = future.result()
            future.release()
            for task in islice(tasks, 1):
                pending.add(self._client.submit(score_chunk, task, pure=False))
            yield result


@contextmanager
def joblib_on_dask(scheduler: str, workers: int = 1) -> Iterator[None]:
    """Run every ``joblib.Parallel`` inside (the training's fold fits) on a Dask cluster."""
    from joblib import parallel_config

    with DaskBackend(scheduler, workers), parallel_config(backend="dask"):
        yield
