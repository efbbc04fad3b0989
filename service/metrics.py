"""Prometheus metrics of the service, in one process or added up over several workers.

Label values are bounded, so a client cannot grow the number of series: a route is its template
(``/v1/models/{version}/activate``, never the path asked for; ``unmatched`` when no route
matched), a method outside the HTTP verbs is ``OTHER``, and a model version comes from the
registry.

Each app builds its own ``ServiceMetrics`` in its own ``CollectorRegistry``, so two apps in one
process (tests) never share counters. With several workers (``PROMETHEUS_MULTIPROC_DIR`` set,
which ``slant serve --workers N`` does), prometheus_client keeps every value in a file per
process in that directory, and a scrape of any worker reads all the files: the totals of the
whole server.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder

from service.registry import ScoringModel
from service.scoring import ExplainedScoring

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "unmatched"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; up to the default request timeout and past it, so a timed-out request lands in a
# bucket of its own rather than only in +Inf.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SCORING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def multiprocess_directory() -> Path | None:
    """Where workers keep their metric files, None in single-process mode."""
    directory = os.environ.get(MULTIPROCESS_ENV)
    return Path(directory) if directory else None


def prepare_multiprocess_directory(directory: Path) -> None:
    """Empty (or create) the directory the workers will write their metric files into.

    The server's parent process calls it once, before any worker starts: files left by an earlier
    run would otherwise be added to this run's totals.
    """
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)


def method_label(method: str) -> str:
    return method if method in HTTP_METHODS else "OTHER"


class ServiceMetrics:
    """Every metric the service exports, and their exposition."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess_directory = multiprocess_directory()
        self.requests = Counter(
            "slant_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "slant_request_duration_seconds",
            "Time from a request's arrival to its answer, by route template and method.",
            ["route", "method"],
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.timeouts = Counter(
            "slant_request_timeouts",
            "Requests answered 503 `timeout` after SLANT_REQUEST_TIMEOUT seconds.",
            ["route", "method"],
            registry=self.registry,
        )
        self.scoring_seconds = Histogram(
            "slant_scoring_duration_seconds",
            "Time spent in the model scoring one text.",
            buckets=SCORING_BUCKETS,
            registry=self.registry,
        )
        # "live" modes: a worker that has exited no longer counts (see process_exiting).
        self.in_flight = Gauge(
            "slant_requests_in_flight",
            "Requests being served, including timed-out ones whose work has not ended yet.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.model_info = Gauge(
            "slant_model_info",
            "The model version served: 1 (with several workers, 0 for one they served before).",
            ["version"],
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self._served_version: str | None = None

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.request_seconds.labels(route, method).observe(seconds)

    def observe_timeout(self, route: str, method: str) -> None:
        self.timeouts.labels(route, method).inc()

    def model_served(self, version: str | None) -> None:
        """Record which version is served now (None: none is)."""
        if version == self._served_version:
            return
        if self._served_version is not None:
            if self.multiprocess_directory is None:
                self.model_info.remove(self._served_version)
            else:  # a value in a worker's file cannot be removed, only set
                self.model_info.labels(self._served_version).set(0)
        if version is not None:
            self.model_info.labels(version).set(1)
        self._served_version = version

    def timed(self, model: ScoringModel) -> ScoringModel:
        """``model`` with its scoring calls observed by ``slant_scoring_duration_seconds``."""
        if isinstance(model, ExplainedScoring):
            return TimedExplainedModel(model, self.scoring_seconds)
        return TimedModel(model, self.scoring_seconds)

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """The metrics in the format the scraper accepts, and its content type."""
        encoder, content_type = choose_encoder(accept or "")
        if self.multiprocess_directory is None:
            return encoder(self.registry), content_type
        # Read at every scrape: the files hold the values of every worker, this one included.
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected, path=str(self.multiprocess_directory))
        return encoder(collected), content_type

    def process_exiting(self) -> None:
        """A worker stopping: its in-flight and model gauges no longer count in the totals."""
        if self.multiprocess_directory is not None:
            multiprocess.mark_process_dead(os.getpid(), str(self.multiprocess_directory))


class TimedModel:
    """A served model whose ``score`` calls are timed; everything else is the model's."""

    def __init__(self, model: ScoringModel, seconds: Histogram) -> None:
        self.model = model
        self._seconds = seconds

    @property
    def trained_on(self) -> tuple[str, ...]:
        return self.model.trained_on

    @property
    def metrics(self) -> dict[str, float]:
        return self.model.metrics

    @property
    def lexicon_version(self) -> str:
        return self.model.lexicon_version

    def score(
        self, text: str, *, html: bool = False, explain_sentences: bool = True
    ) -> dict[str, Any]:
        with self._seconds.time():
            return self.model.score(text, html=html, explain_sentences=explain_sentences)


class TimedExplainedModel(TimedModel):
    """The same for a model that also hands over explanation objects (``SlantModel``).

    A separate class, not a delegating ``__getattr__``: ``score_payload`` picks the faster
    ``score_explained`` when the model has it, so the wrapper must have it exactly when the model
    does, and time it too.
    """

    def __init__(self, model: ScoringModel, seconds: Histogram) -> None:
        super().__init__(model, seconds)
        assert isinstance(model, ExplainedScoring)
        self._explained = model

    def score_explained(
        self, text: str, *, html: bool = False, explain_sentences: bool = True
    ) -> dict[str, Any]:
        with self._seconds.time():
            return self._explained.score_explained(
                text, html=html, explain_sentences=explain_sentences
            )
