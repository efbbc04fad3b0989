"""The FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service import __version__
from service.api.deps import ModelState
from service.api.main import api_router
from service.config import Settings
from service.errors import install_error_handlers
from service.registry import NoActiveModel, Registry, RegistryError
from service.scoring import freeze_loaded_objects

logger = logging.getLogger(__name__)


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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.model_state = load_model_state(Registry(settings.home))
        yield

    app = FastAPI(
        title="slant",
        version=__version__,
        description="Framing and source bias in news, with exact explanations.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.model_state = ModelState()
    install_error_handlers(app)
    app.include_router(api_router)
    return app
