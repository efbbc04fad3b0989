"""Scoring in worker processes behind one HTTP process (``slant serve --workers N``, N > 1).

Why a pool rather than N HTTP workers: HTTP workers that share a listening socket share
connections, not requests. A keep-alive connection stays with the worker that accepted it and
the kernel picks that worker, so a few busy clients could all land on one core while the other
idled (measured with 8 clients on 2 workers: splits from 4 + 4 to 8 + 0). Here one process
parses and answers every request, and each scoring call goes to whichever scoring process is
free next: the load is spread by request.

Versions. The HTTP process decides which version a request is scored with (its ``ModelSwitch``,
which follows ``models/ACTIVE``) and sends that version with the text. A scoring process that
does not hold the version yet starts loading it on a thread of its own and meanwhile scores with
the version it holds, so no request waits for a load; the answer names the version that scored
it. Only a process that holds no model at all (none was active when it started) loads before
it answers.

Faults. A scoring process that dies (killed, out of memory) breaks the executor: the requests
it was serving, and the others in flight, are answered 503 ``scoring_unavailable`` and a new
executor takes the next ones. Scoring processes ignore SIGINT and SIGTERM: a Ctrl-C in a
terminal or a service manager's SIGTERM to the whole group must not end them before the HTTP
process has let the requests in flight finish; the HTTP process ends them when it stops, and
if it is killed, they see their end of a pipe only it holds open close, and exit.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import logging.config
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection, wait
from multiprocessing.synchronize import Barrier
from pathlib import Path

from service.errors import ErrorCode, ServiceError
from service.logs import LogFormat, logging_config
from service.registry import Registry, RegistryError
from service.scoring import LoadedModel, Scored, freeze_loaded_objects, score_serialized

logger = logging.getLogger(__name__)

# How long start-up waits for every scoring process to import and load the active model.
START_TIMEOUT_SECONDS = 300.0


class ModelUnavailable(Exception):
    """A scoring process holds no model and cannot load the one asked for."""


# The scoring process's side. Module state, one per process: set by ``start_worker``.


class WorkerModels:
    """The model a scoring process holds, and the one it is loading, if any."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._current: LoadedModel | None = None
        self._lock = threading.Lock()
        self._loading: str | None = None
        self._refused: set[str] = set()

    def load(self, version: str) -> LoadedModel:
        """Load ``version`` now and hold it (start-up, or a process that holds nothing)."""
        model, manifest = self._registry.load(version)
        loaded = LoadedModel(model, manifest)
        self._install(loaded)
        logger.info("scoring process %d holds model %s", os.getpid(), version)
        return loaded

    def for_request(self, version: str) -> LoadedModel:
        """``version`` if held; otherwise the held one while ``version`` loads in the background."""
        current = self._current
        if current is not None and current.manifest.version == version:
            return current
        if current is None:
            try:
                return self.load(version)
            except RegistryError as error:
                raise ModelUnavailable(f"model {version} cannot be loaded: {error}") from None
        with self._lock:
            if self._loading is None and version not in self._refused:
                self._loading = version
                threading.Thread(
                    target=self._load_in_background, args=(version,),
                    name=f"load-model-{version}", daemon=True,
                ).start()
        return current

    def load_or_log(self, version: str) -> bool:
        """``load``, with a refusal logged rather than raised; whether it loaded."""
        try:
            self.load(version)
        except RegistryError as error:
            logger.error("scoring process %d cannot load model %s: %s", os.getpid(), version,
                         error)
            return False
        return True

    def _load_in_background(self, version: str) -> None:
        try:
            # The HTTP process loaded it, so a refusal is rare (e.g. deleted since): once only.
            if not self.load_or_log(version):
                self._refused.add(version)
        finally:
            with self._lock:
                self._loading = None

    def _install(self, loaded: LoadedModel) -> None:
        gc.unfreeze()  # so that the version replaced can be collected
        self._current = loaded
        freeze_loaded_objects()


_models: WorkerModels | None = None
_started: Barrier | None = None


def start_worker(
    home: Path,
    version: str | None,
    log_format: LogFormat,
    log_level: str,
    started: Barrier,
    lifeline: Connection,
) -> None:
    """Initializer of each scoring process: logging as the server's, then the model."""
    global _models, _started
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(
        target=_exit_with_the_server, args=(lifeline,), name="lifeline", daemon=True
    ).start()
    logging.config.dictConfig(logging_config(log_format, log_level))
    _models, _started = WorkerModels(Registry(home)), started
    if version is not None:
        _models.load_or_log(version)  # if refused, the first request tries again and reports it


def _exit_with_the_server(lifeline: Connection) -> None:
    # The HTTP process holds the only write end and never writes: end-of-file means it is gone,
    # however it ended (SIGKILL included). Without this a scoring process, which ignores SIGTERM
    # and waits on a queue it holds both ends of, would outlive it forever.
    wait([lifeline])
    os._exit(1)


def wait_for_the_others(timeout: float) -> int:
    """Start-up task: returns once every scoring process has started (and loaded)."""
    assert _started is not None
    _started.wait(timeout)
    return os.getpid()


def score_in_worker(
    version: str, text: str, html: bool, explain_sentences: bool
) -> Scored:
    """Score ``text`` with ``version`` (or the version held while it loads)."""
    assert _models is not None, "score_in_worker runs in a process started by ScoringPool"
    held = _models.for_request(version)
    return score_serialized(
        held.model, held.manifest, text, html=html, explain_sentences=explain_sentences
    )


# The HTTP process's side.


class ScoringPool:
    """``processes`` scoring processes fed from one queue, replaced whole if one dies."""

    def __init__(
        self, home: Path, processes: int, *, log_format: LogFormat = "json",
        log_level: str = "INFO", on_replaced: Callable[[], None] | None = None,
    ) -> None:
        """``on_replaced`` is called when the processes were replaced after one died."""
        self.home = home
        self._on_replaced = on_replaced
        self.processes = processes
        self._log = (log_format, log_level)
        # forkserver: the HTTP process runs threads, which a plain fork must not copy. The fork
        # server imports the scoring code once, so each new process starts from it already
        # imported (it still loads the model itself).
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["service.pool"])
        self._lifeline, self._lifeline_writer = self._context.Pipe(duplex=False)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._started: Barrier | None = None
        self.pids: tuple[int, ...] = ()  # of the processes started last

    def start(self, version: str | None) -> None:
        """Start every scoring process and wait until each holds ``version`` (None: no model)."""
        self._executor = self._new_executor(version)
        self._wait_for_processes(self._executor)

    async def score(
        self, version: str, text: str, *, html: bool, explain_sentences: bool
    ) -> Scored:
        """Score in the next free process; 503 ``scoring_unavailable`` if one died meanwhile."""
        executor = self._executor
        if executor is None:
            raise ServiceError(ErrorCode.scoring_unavailable, "The scoring processes are stopped.")
        try:
            # Cancelling the wait (the request's deadline passed) cancels the call too, unless a
            # process has taken it already.
            return await asyncio.wrap_future(
                executor.submit(score_in_worker, version, text, html, explain_sentences)
            )
        except ModelUnavailable as error:
            message = f"No model is loaded: {error}."
            raise ServiceError(ErrorCode.model_not_loaded, message) from None
        except BrokenProcessPool:
            self._replace(executor, version)
            raise ServiceError(
                ErrorCode.scoring_unavailable,
                "A scoring process stopped while this request was being scored; new ones have "
                "been started, so the request can be sent again.",
            ) from None

    def close(self) -> None:
        """Let queued and running scoring end, then stop the processes."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        self._lifeline_writer.close()
        self._lifeline.close()

    def _replace(self, broken: ProcessPoolExecutor, version: str) -> None:
        with self._lock:
            if self._executor is not broken:
                return  # another request has replaced it already
            logger.error("a scoring process stopped unexpectedly; starting new ones")
            broken.shutdown(wait=False, cancel_futures=True)
            # Each new process loads the version the HTTP process serves now; requests wait in
            # the queue meanwhile (started off the event loop, which must go on answering).
            executor = self._executor = self._new_executor(version)
            threading.Thread(
                target=self._restart, args=(executor,), name="start-scoring", daemon=True
            ).start()
            if self._on_replaced is not None:
                self._on_replaced()

    def _restart(self, executor: ProcessPoolExecutor) -> None:
        try:
            self._wait_for_processes(executor)
        except Exception:  # the next request that finds the executor broken tries again
            logger.exception("the new scoring processes did not start")

    def _wait_for_processes(self, executor: ProcessPoolExecutor) -> None:
        waits = [executor.submit(wait_for_the_others, START_TIMEOUT_SECONDS)
                 for _ in range(self.processes)]
        # Each wait holds its process until all have started, so they land on distinct ones.
        self.pids = tuple(sorted({wait.result(timeout=START_TIMEOUT_SECONDS) for wait in waits}))
        logger.info("%d scoring processes started: %s", len(self.pids), list(self.pids))

    def _new_executor(self, version: str | None) -> ProcessPoolExecutor:
        # Kept while the executor lives: processes started later open the barrier by name,
        # which the parent's object removes when it is collected.
        self._started = self._context.Barrier(self.processes)
        return ProcessPoolExecutor(
            self.processes,
            mp_context=self._context,
            initializer=start_worker,
            initargs=(self.home, version, *self._log, self._started, self._lifeline),
        )
