"""The FastAPI application, and the switch that swaps its model atomically."""

from __future__ import annotations

import gc
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from fastapi import FastAPI

from service import __version__
from service.api.deps import ModelState
from service.api.main import api_router
from service.config import Settings
from service.errors import install_error_handlers
from service.jobs import JobStore
from service.metrics import ServiceMetrics
from service.observability import RequestObservation
from service.pool import ScoringPool
from service.registry import Manifest, NoActiveModel, Registry, RegistryError, ScoringModel
from service.scoring import freeze_loaded_objects

logger = logging.getLogger(__name__)

# How often (at most) a request looks at models/ACTIVE for an activation by another process.
ACTIVE_CHECK_SECONDS = 1.0


def load_model_state(registry: Registry) -> ModelState:
    """The active model, or why it cannot be served; the app starts either way."""
    try:
        model, manifest = registry.load_active()
    except NoActiveModel as error:
        logger.warning("%s", error)
        return ModelState(problem=str(error))
    except RegistryError as error:
        logger.error("refusing to load the active model: %s", error)
        return ModelState(problem=str(error))
    logger.info("serving model %s", manifest.version)
    freeze_loaded_objects()
    return ModelState(model=model, manifest=manifest, problem=None)


class ModelSwitch:
    """Owns ``app.state.model_state``: a version is loaded whole, then one reference is replaced.

    Every request takes the state object once (``get_model_state``) and scores with that object's
    model and manifest, so a request in flight during a swap finishes with the model it started
    with, and no request ever sees half of two models. Two ways in:

    - ``activate`` (``POST /v1/models/{version}/activate``): load and verify the version (sha256,
      libraries), write ``models/ACTIVE``, then swap;
    - ``refresh`` (on requests, at most once per ``ACTIVE_CHECK_SECONDS``): read ``models/ACTIVE``
      and, if another process (the training subprocess, ``slant models activate``, another
      worker) named a different version, load it and swap. A version that cannot be loaded is
      logged once and the current model keeps serving.

    Loads run under a lock; a request that finds the lock taken does not wait, it is served by the
    current model. The model served is wrapped to time its scoring, and its version is exported
    as ``slant_model_info``.
    """

    def __init__(
        self,
        app: FastAPI,
        registry: Registry,
        metrics: ServiceMetrics,
        *,
        interval: float = ACTIVE_CHECK_SECONDS,
    ) -> None:
        self._app = app
        self._registry = registry
        self._metrics = metrics
        self._interval = interval
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._seen: str | None = None  # the content of ACTIVE last acted upon

    @property
    def state(self) -> ModelState:
        state: ModelState = self._app.state.model_state
        return state

    def load_active(self) -> None:
        with self._lock:
            self._seen = self._read_active()
            self._serve(load_model_state(self._registry))
            self._checked_at = time.monotonic()

    def activate(self, version: str) -> Manifest:
        """Load ``version`` fully, make it the registry's active one, then serve it."""
        with self._lock:
            model, manifest = self._registry.load(version)
            self._registry.activate(version)
            self._install(model, manifest)
            self._seen = version
        logger.info("activated model %s", version)
        return manifest

    def refresh(self) -> None:
        """Start loading a version another process activated; never makes a request wait.

        The load runs on a thread of its own while requests keep being served by the current
        model (a model takes a second or more to load and verify: a request that waited for it
        would be the slowest answer of the day). The lock, taken here, is released by that
        thread when the new model is in place or has been refused.
        """
        now = time.monotonic()
        if now - self._checked_at < self._interval or not self._lock.acquire(blocking=False):
            return
        loading = False
        try:
            self._checked_at = now
            active = self._read_active()
            if active is None or active == self._seen:
                return
            self._seen = active
            serving = self.state.manifest
            if serving is not None and serving.version == active:
                return
            threading.Thread(
                target=self._load_activated, args=(active,), name=f"load-model-{active}",
                daemon=True,
            ).start()
            loading = True
        finally:
            if not loading:
                self._lock.release()

    def _load_activated(self, active: str) -> None:
        try:
            serving = self.state.manifest
            try:
                model, manifest = self._registry.load(active)
            except RegistryError as error:
                logger.error(
                    "model %s was activated but cannot be loaded: %s; still serving %s",
                    active, error, serving.version if serving else "nothing",
                )
                if serving is None:
                    self._serve(ModelState(problem=str(error)))
                return
            self._install(model, manifest)
            logger.info("switched to model %s, activated by another process", active)
        finally:
            self._lock.release()

    def _install(self, model: ScoringModel, manifest: Manifest) -> None:
        # The previous model was frozen out of the collector's view after it was loaded; thaw
        # everything so it can be collected once the last request using it is done.
        gc.unfreeze()
        self._serve(ModelState(model=model, manifest=manifest, problem=None))
        freeze_loaded_objects()

    def _serve(self, state: ModelState) -> None:
        if state.model is not None:
            state = replace(state, model=self._metrics.timed(state.model))
        # The one assignment that makes the new state visible to requests that start now.
        self._app.state.model_state = state
        self._metrics.model_served(state.manifest.version if state.manifest else None)

    def _read_active(self) -> str | None:
        try:
            return self._registry.active_version()
        except (RegistryError, OSError) as error:  # OSError: e.g. ACTIVE became unreadable
            logger.error("%s", error)
            return None


def report_interrupted_jobs(settings: Settings) -> None:
    """Jobs a crash left running are failed now, and said so in the log; what a killed
    training process left half-written in the registry is removed."""
    try:
        interrupted = JobStore.open(settings.home).recover_interrupted()
        removed = Registry(settings.home).remove_abandoned()
    except (sqlite3.Error, OSError) as error:
        logger.error("cannot read the training jobs in %s: %s", settings.home, error)
        return
    for job in interrupted:
        logger.error("training job %s failed: %s", job.id, job.error)
    for name in removed:
        logger.warning("removed %s, left unfinished in the registry", name)


def start_scoring_pool(
    settings: Settings, state: ModelState, metrics: ServiceMetrics
) -> ScoringPool | None:
    """The scoring processes of a server with several workers, each holding the active model."""
    if settings.workers == 1:
        return None
    pool = ScoringPool(
        settings.home.resolve(), settings.workers, log_format=settings.log_format,
        log_level=settings.log_level, on_replaced=metrics.forget_scoring_processes,
    )
    pool.start(state.manifest.version if state.manifest else None)
    return pool


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; with no settings, from the environment.

    With ``settings.workers`` above 1, texts sent to ``POST /v1/score`` are scored in that many
    scoring processes (``service.pool``), started with the app and stopped after the last
    request in flight; otherwise on a thread of this process.
    """
    settings = settings or Settings()
    metrics = ServiceMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        report_interrupted_jobs(settings)
        app.state.model_switch.load_active()
        pool = start_scoring_pool(settings, app.state.model_state, metrics)
        app.state.scoring_pool = pool
        try:
            yield
        finally:
            if pool is not None:
                app.state.scoring_pool = None
                pool.close()

    app = FastAPI(
        title="slant",
        version=__version__,
        description="Framing and source bias in news, with exact explanations.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.model_state = ModelState()
    app.state.scoring_pool = None
    app.state.model_switch = ModelSwitch(app, Registry(settings.home), metrics)
    app.add_middleware(RequestObservation, metrics=metrics, timeout=settings.request_timeout)
    install_error_handlers(app)
    app.include_router(api_router)
    return app
