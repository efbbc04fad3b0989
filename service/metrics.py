"""Prometheus metrics of the service.

Label values are bounded, so a client cannot grow the number of series: a route is its template
(``/v1/models/{version}/activate``, never the path asked for; ``unmatched`` when no route
matched), a method outside the HTTP verbs is ``OTHER``, and a model version comes from the
registry.

Each app builds its own ``ServiceMetrics`` in its own ``CollectorRegistry``, so two apps in one
process (tests) never share counters. One process answers every request, with or without
scoring processes (``service.pool``), so its registry holds the totals of the whole server: the
scoring processes send their scoring time and version back with each result.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from service.registry import ScoringModel
from service.scoring import ExplainedScoring

UNMATCHED_ROUTE = "unmatched"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; up to the default request timeout and past it, so a timed-out request lands in a
# bucket of its own rather than only in +Inf.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SCORING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def method_label(method: str) -> str:
    return method if method in HTTP_METHODS else "OTHER"


class ServiceMetrics:
    """Every metric the service exports, and their exposition."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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
        self.in_flight = Gauge(
            "slant_requests_in_flight",
            "Requests being served, including timed-out ones whose work has not ended yet.",
            registry=self.registry,
        )
        self.model_info = Gauge(
            "slant_model_info",
            "1 for each model version served now: the HTTP process's, and with scoring "
            "processes, the one each of them scored its last text with.",
            ["version"],
            registry=self.registry,
        )
        self._served_by: dict[int, str] = {}  # process id -> version
        self._exported: set[str] = set()  # the versions slant_model_info has a series for

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.request_seconds.labels(route, method).observe(seconds)

    def observe_timeout(self, route: str, method: str) -> None:
        self.timeouts.labels(route, method).inc()

    def model_served(self, version: str | None) -> None:
        """Record which version this process serves now (None: none)."""
        self._serving(os.getpid(), version)

    def scored_elsewhere(self, process: int, version: str, seconds: float) -> None:
        """A text scored in scoring process ``process``, with ``version``, in ``seconds``."""
        self.scoring_seconds.observe(seconds)
        self._serving(process, version)

    def forget_scoring_processes(self) -> None:
        """The scoring processes were replaced: the versions they held no longer count."""
        own = self._served_by.get(os.getpid())
        self._served_by = {os.getpid(): own} if own is not None else {}
        self._update_model_info()

    def _serving(self, process: int, version: str | None) -> None:
        if self._served_by.get(process) == version:
            return
        if version is None:
            self._served_by.pop(process, None)
        else:
            self._served_by[process] = version
        self._update_model_info()

    def _update_model_info(self) -> None:
        served = set(self._served_by.values())
        for version in self._exported - served:
            self.model_info.remove(version)
        for version in served - self._exported:
            self.model_info.labels(version).set(1)
        self._exported = served

    def timed(self, model: ScoringModel) -> ScoringModel:
        """``model`` with its scoring calls observed by ``slant_scoring_duration_seconds``."""
        if isinstance(model, ExplainedScoring):
            return TimedExplainedModel(model, self.scoring_seconds)
        return TimedModel(model, self.scoring_seconds)

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """The metrics in the format the scraper accepts, and its content type."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


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
