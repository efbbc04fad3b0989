"""Liveness and the loaded model."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import ModelStateDep
from service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz(state: ModelStateDep) -> Health:
    """Always 200 while the process runs; `degraded` with the reason when no model is loaded."""
    if state.manifest is None:
        return Health(status="degraded", model=None, detail=state.problem)
    return Health(status="ok", model=state.manifest.version)
