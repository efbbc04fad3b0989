"""All routers, assembled."""

from fastapi import APIRouter

from service.api.routes import health, models, score

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(score.router, prefix="/v1")
api_router.include_router(models.router, prefix="/v1")
