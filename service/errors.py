"""Every error the service returns: stable codes, their HTTP statuses, and the JSON handlers.

An error body is always ``{"error": {"code": ..., "message": ..., "detail": ...,
"request_id": ...}}``. ``code`` is stable and meant for programs; ``message`` is for people;
``detail`` is optional structured data (for 422, pydantic's list of validation errors);
``request_id`` is the id of the request (its ``X-Request-ID`` header), to find it in the logs.
"""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.logs import current_request_id
from training.errors import NothingToScore

logger = logging.getLogger(__name__)


class ErrorCode(StrEnum):
    invalid_request = "invalid_request"
    invalid_labels = "invalid_labels"
    unauthorized = "unauthorized"
    forbidden = "forbidden"
    conflict = "conflict"
    invalid_encoding = "invalid_encoding"
    nothing_to_score = "nothing_to_score"
    not_found = "not_found"
    method_not_allowed = "method_not_allowed"
    payload_too_large = "payload_too_large"
    unsupported_media_type = "unsupported_media_type"
    model_not_loaded = "model_not_loaded"
    internal = "internal"
    timeout = "timeout"
    scoring_unavailable = "scoring_unavailable"
    registry_unavailable = "registry_unavailable"
    batch_too_large = "batch_too_large"
    malformed_body = "malformed_body"

    @property
    def status(self) -> int:
        return _STATUS[self]


_STATUS: dict[ErrorCode, int] = {
    ErrorCode.invalid_request: 422,
    ErrorCode.invalid_labels: 422,
    ErrorCode.unauthorized: 401,
    ErrorCode.forbidden: 403,
    ErrorCode.conflict: 409,
    ErrorCode.invalid_encoding: 400,
    ErrorCode.nothing_to_score: 400,
    ErrorCode.not_found: 404,
    ErrorCode.method_not_allowed: 405,
    ErrorCode.payload_too_large: 413,
    ErrorCode.unsupported_media_type: 415,
    ErrorCode.model_not_loaded: 503,
    ErrorCode.internal: 500,
    ErrorCode.timeout: 503,
    ErrorCode.scoring_unavailable: 503,
    ErrorCode.registry_unavailable: 503,
    ErrorCode.batch_too_large: 413,
    ErrorCode.malformed_body: 400,
}

# Statuses raised by the framework itself (unknown route, wrong method) mapped to our codes.
_CODE_FOR_STATUS: dict[int, ErrorCode] = {
    # FastAPI's own body parsing: bytes that are not text, JSON nested past the parser's depth.
    400: ErrorCode.malformed_body,
    404: ErrorCode.not_found,
    405: ErrorCode.method_not_allowed,
    413: ErrorCode.payload_too_large,
    415: ErrorCode.unsupported_media_type,
    422: ErrorCode.invalid_request,
}


class ServiceError(Exception):
    """An error with a stable code, raised anywhere in the service and rendered as JSON."""

    def __init__(self, code: ErrorCode, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


def error_body(code: ErrorCode, message: str, detail: Any = None) -> dict[str, Any]:
    """The JSON body of an error response (also the schema documented in OpenAPI)."""
    return {
        "error": {
            "code": code.value,
            "message": message,
            "detail": jsonable_encoder(detail),
            "request_id": current_request_id(),
        }
    }


class ErrorJSONResponse(JSONResponse):
    """A JSON response that renders whatever a request made an error echo.

    JSON may spell a lone surrogate ("\\ud800"): Python's parser accepts it, an error message
    or pydantic's detail may quote it back, and UTF-8 cannot encode it. Such a body is written
    with every non-ASCII character escaped instead of failing (a 500 for a bad request)."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


def error_response(code: ErrorCode, message: str, detail: Any = None) -> JSONResponse:
    return ErrorJSONResponse(status_code=code.status, content=error_body(code, message, detail))


async def _service_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return error_response(exc.code, exc.message, exc.detail)


async def _nothing_to_score(_: Request, exc: Exception) -> JSONResponse:
    return error_response(ErrorCode.nothing_to_score, f"Nothing to score: {exc}.")


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        ErrorCode.invalid_request, "The request body is not valid.", detail=exc.errors()
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODE_FOR_STATUS.get(exc.status_code, ErrorCode.internal)
    response = ErrorJSONResponse(
        status_code=exc.status_code, content=error_body(code, str(exc.detail))
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def internal_error_response(method: str, path: str, exc: BaseException) -> JSONResponse:
    """The answer to a defect: the client gets no internals, the log gets the traceback."""
    logger.error("unhandled error on %s %s", method, path, exc_info=exc)
    return error_response(ErrorCode.internal, "Internal error; the request changed nothing.")


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Only a defect reaches here (the request middleware answers most of them itself).
    return internal_error_response(request.method, request.url.path, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(NothingToScore, _nothing_to_score)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
