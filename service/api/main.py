"""All routers, assembled."""

from fastapi import APIRouter

from service.api.routes import health, labels, models, page, score, training

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(page.router)
api_router.include_router(score.router, prefix="/v1")
api_router.include_router(models.router, prefix="/v1")
api_router.include_router(labels.router, prefix="/v1")
api_router.include_router(training.router, prefix="/v1")
