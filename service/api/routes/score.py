"""Scoring articles."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, BackgroundTasks, FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from service.api.body import ACCEPTED_MEDIA_TYPES, JSON
from service.api.deps import LoadedModelDep, ScoreRequestDep, SettingsDep, app_label_store
from service.config import Settings
from service.errors import ErrorCode
from service.metrics import ServiceMetrics
from service.pool import ScoringPool
from service.schemas import ErrorResponse, ScoreRequest, ScoreResponse
from service.scoring import score_serialized

logger = logging.getLogger(__name__)
router = APIRouter(tags=["score"])

_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": "A JSON request, or the article itself as text/plain or text/html (UTF-8).",
    "content": {
        media_type: {
            "schema": ScoreRequest.model_json_schema() if media_type == JSON else {"type": "string"}
        }
        for media_type in ACCEPTED_MEDIA_TYPES
    },
}
_ERROR_CODES = (
    ErrorCode.nothing_to_score,
    ErrorCode.invalid_encoding,
    ErrorCode.payload_too_large,
    ErrorCode.unsupported_media_type,
    ErrorCode.invalid_request,
    ErrorCode.model_not_loaded,
    ErrorCode.scoring_unavailable,
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ErrorResponse,
        "description": " or ".join(code.value for code in _ERROR_CODES if code.status == status),
    }
    for status in sorted({code.status for code in _ERROR_CODES})
}


@router.post(
    "/score",
    response_model=ScoreResponse,
    responses=_ERRORS,
    openapi_extra={"requestBody": _REQUEST_BODY},
)
async def score(
    loaded: LoadedModelDep,
    request: ScoreRequestDep,
    settings: SettingsDep,
    http_request: Request,
    background: BackgroundTasks,
) -> Response:
    """Score an article: scores, cues, attributions, sources and their explanation."""
    html = request.format == "html"
    pool: ScoringPool | None = http_request.app.state.scoring_pool
    if pool is None:
        scored = await run_in_threadpool(
            score_serialized, loaded.model, loaded.manifest, request.text, html=html,
            explain_sentences=request.explain_sentences,
        )
    else:
        scored = await pool.score(
            loaded.manifest.version, request.text, html=html,
            explain_sentences=request.explain_sentences,
        )
        metrics: ServiceMetrics = http_request.app.state.metrics
        metrics.scored_elsewhere(scored.process, scored.version, scored.seconds)
    if settings.keep_scored:
        # After the response is sent: keeping the text never delays or fails the scoring.
        background.add_task(
            keep_scored_text,
            http_request.app,
            settings,
            scored.text,
            scored.framing,
            scored.version,
        )
    # Serialized where it was scored: ``score_payload`` has validated the response against
    # ``ScoreResponse`` already, and FastAPI would validate it again before dumping it, which
    # took a tenth of the request's time. ``response_model`` still documents the answer.
    return Response(content=scored.body, media_type=JSON)


def keep_scored_text(
    app: FastAPI, settings: Settings, text: str, framing: float, model_version: str
) -> None:
    """Record a scored text for active learning (SLANT_KEEP_SCORED); a failure is only logged."""
    try:
        app_label_store(app, settings).record_scored(text, framing, model_version)
    except Exception:
        logger.exception("could not keep the scored text for active learning")
