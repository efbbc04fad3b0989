"""Scoring articles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.api.body import ACCEPTED_MEDIA_TYPES, JSON
from service.api.deps import LoadedModelDep, ScoreRequestDep
from service.errors import ErrorCode
from service.schemas import ErrorResponse, ScoreRequest, ScoreResponse
from service.scoring import score_payload

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
def score(loaded: LoadedModelDep, request: ScoreRequestDep) -> ScoreResponse:
    """Score an article: scores, cues, attributions, sources and their explanation."""
    return score_payload(
        loaded.model,
        loaded.manifest,
        request.text,
        html=request.format == "html",
        explain_sentences=request.explain_sentences,
    )
