"""The model registry, read-only."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import LoadedModelDep
from service.errors import ErrorCode
from service.registry import Manifest
from service.schemas import ErrorResponse

router = APIRouter(prefix="/models", tags=["models"])


@router.get(
    "/active",
    response_model=Manifest,
    responses={ErrorCode.model_not_loaded.status: {"model": ErrorResponse}},
)
def active_model(loaded: LoadedModelDep) -> Manifest:
    """The manifest of the model this process serves."""
    return loaded.manifest
