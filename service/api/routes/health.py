"""Probes and metrics: liveness, readiness, and the Prometheus scrape."""

from __future__ import annotations

import os
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from service.api.deps import ModelStateDep, SettingsDep
from service.errors import ErrorCode, ServiceError
from service.metrics import ServiceMetrics
from service.registry import Registry, RegistryError
from service.schemas import ErrorResponse, Health

router = APIRouter(tags=["health"])


class Readiness(BaseModel):
    status: Literal["ready"]
    model: str


@router.get("/healthz", response_model=Health)
def healthz(state: ModelStateDep) -> Health:
    """Always 200 while the process runs; `degraded` with the reason when no model is loaded."""
    if state.manifest is None:
        return Health(status="degraded", model=None, detail=state.problem)
    return Health(status="ok", model=state.manifest.version)


def registry_problem(registry: Registry) -> str | None:
    """Why the registry cannot be read (its model directory, its ACTIVE file), or None."""
    try:
        with os.scandir(registry.models_dir):
            pass
        registry.active_version()
    except (OSError, RegistryError) as error:
        return str(error)
    return None


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={ErrorCode.model_not_loaded.status: {"model": ErrorResponse}},
)
def readyz(state: ModelStateDep, settings: SettingsDep) -> Readiness:
    """200 when requests can be scored: a model is loaded and the registry can be read
    (503 `model_not_loaded` or `registry_unavailable` otherwise)."""
    if state.manifest is None:
        raise ServiceError(ErrorCode.model_not_loaded, f"No model is loaded: {state.problem}.")
    problem = registry_problem(Registry(settings.home))
    if problem is not None:
        raise ServiceError(
            ErrorCode.registry_unavailable, f"The model registry cannot be read: {problem}."
        )
    return Readiness(status="ready", model=state.manifest.version)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus exposition: this process's metrics, or with several workers all of theirs."""
    service_metrics: ServiceMetrics = request.app.state.metrics
    body, content_type = service_metrics.exposition(request.headers.get("accept"))
    return Response(content=body, media_type=content_type)
