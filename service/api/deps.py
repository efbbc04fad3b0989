"""Dependencies shared by the routes, as ``Annotated`` aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, FastAPI, Request

from service.api.body import read_score_request
from service.config import Settings
from service.errors import ErrorCode, ServiceError
from service.labels import LabelStore
from service.registry import Manifest, ScoringModel
from service.schemas import ScoreRequest
from service.scoring import LoadedModel


@dataclass(frozen=True, slots=True)
class ModelState:
    """The model the app serves, or why there is none."""

    model: ScoringModel | None = None
    manifest: Manifest | None = None
    problem: str | None = "the model has not been loaded yet"


# The dependencies that only read the app's state are coroutines: FastAPI runs a plain function
# dependency on a worker thread, and three such hops per scoring request cost more than the
# dependencies themselves (none of them blocks: ``refresh`` reads a small file at most once a
# second and loads a new model on a thread of its own).


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


class ModelRefresher(Protocol):
    """Swaps ``app.state.model_state`` when another process activated a version."""

    def refresh(self) -> None: ...


async def get_model_state(request: Request) -> ModelState:
    """The one state object this request uses throughout: a swap during the request replaces
    ``app.state.model_state`` but not the object the request already holds."""
    refresher: ModelRefresher | None = getattr(request.app.state, "model_switch", None)
    if refresher is not None:
        refresher.refresh()
    state: ModelState = request.app.state.model_state
    return state


def loaded_model(state: ModelState) -> LoadedModel:
    """The state's model and manifest, or the 503 ``model_not_loaded`` error."""
    if state.model is None or state.manifest is None:
        raise ServiceError(
            ErrorCode.model_not_loaded,
            f"No model is loaded: {state.problem}.",
        )
    return LoadedModel(state.model, state.manifest)


async def get_loaded_model(state: Annotated[ModelState, Depends(get_model_state)]) -> LoadedModel:
    return loaded_model(state)


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


def get_label_store(request: Request, settings: SettingsDep) -> LabelStore:
    """The label store under ``SLANT_HOME``, opened on first use and kept on the app."""
    return app_label_store(request.app, settings)


def app_label_store(app: FastAPI, settings: Settings) -> LabelStore:
    store: LabelStore | None = getattr(app.state, "label_store", None)
    if store is None:
        # Opening twice from two threads is harmless: the store keeps no connection open.
        store = LabelStore.open(settings.home)
        app.state.label_store = store
    return store


LabelStoreDep = Annotated[LabelStore, Depends(get_label_store)]
