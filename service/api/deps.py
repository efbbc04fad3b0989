"""Dependencies shared by the routes, as ``Annotated`` aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from service.api.body import read_score_request
from service.config import Settings
from service.errors import ErrorCode, ServiceError
from service.registry import Manifest, ScoringModel
from service.schemas import ScoreRequest


@dataclass(frozen=True, slots=True)
class ModelState:
    """The model the app serves, or why there is none."""

    model: ScoringModel | None = None
    manifest: Manifest | None = None
    problem: str | None = "the model has not been loaded yet"


@dataclass(frozen=True, slots=True)
class LoadedModel:
    model: ScoringModel
    manifest: Manifest


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_model_state(request: Request) -> ModelState:
    state: ModelState = request.app.state.model_state
    return state


def get_loaded_model(state: Annotated[ModelState, Depends(get_model_state)]) -> LoadedModel:
    if state.model is None or state.manifest is None:
        raise ServiceError(
            ErrorCode.model_not_loaded,
            f"No model is loaded: {state.problem}.",
        )
    return LoadedModel(state.model, state.manifest)


async def get_score_request(
    request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> ScoreRequest:
    return await read_score_request(
        request, max_body_bytes=settings.max_body_bytes, max_text_chars=settings.max_text_chars
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
ModelStateDep = Annotated[ModelState, Depends(get_model_state)]
LoadedModelDep = Annotated[LoadedModel, Depends(get_loaded_model)]
ScoreRequestDep = Annotated[ScoreRequest, Depends(get_score_request)]
