"""Reading a scoring request body: content type, size limits, encoding, validation.

Accepted bodies: ``application/json`` (a ``ScoreRequest``), ``text/plain`` and ``text/html`` (the
article itself). The body is read in chunks and abandoned as soon as it passes the byte limit, so
a huge or chunked upload is never buffered whole. A body that does not decode under its declared
charset (UTF-8 by default) is a 400 ``invalid_encoding`` naming the byte offset: the bytes are
fine as HTTP but are not text, which is not a schema problem (422). A JSON body may start with
a byte order mark; JSON nested deeper than pydantic's parser reads (200 levels) is a 422.
"""

from __future__ import annotations

import codecs
from typing import Any, Literal

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from service.errors import ErrorCode, ServiceError
from service.schemas import ScoreRequest

JSON = "application/json"
RAW_FORMATS: dict[str, Literal["text", "html"]] = {"text/plain": "text", "text/html": "html"}
ACCEPTED_MEDIA_TYPES = (JSON, *RAW_FORMATS)


def parse_content_type(header: str | None) -> tuple[str, str]:
    """The media type and charset of a Content-Type header; 415 for anything not accepted."""
    media_type, _, parameters = (header or "").partition(";")
    media_type = media_type.strip().lower()
    if media_type not in ACCEPTED_MEDIA_TYPES:
        raise ServiceError(
            ErrorCode.unsupported_media_type,
            f"Content-Type {media_type or '(none)'!r} is not accepted; "
            f"send one of {', '.join(ACCEPTED_MEDIA_TYPES)}.",
            detail={"accepted": list(ACCEPTED_MEDIA_TYPES)},
        )
    charset = "utf-8"
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"').lower()
    try:
        codecs.lookup(charset)
    except LookupError:
        raise ServiceError(
            ErrorCode.unsupported_media_type, f"Unknown charset {charset!r}."
        ) from None
    return media_type, charset


def _too_large(limit: int) -> ServiceError:
    return ServiceError(
        ErrorCode.payload_too_large,
        f"The request body is larger than {limit} bytes.",
        detail={"max_body_bytes": limit},
    )


async def read_capped_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) by Content-Length first and then by the bytes actually read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def without_bom(json_text: str) -> str:
    """A JSON document without its leading byte order mark: RFC 8259 lets a parser ignore one,
    and Windows editors write one, which the JSON parser would refuse as "expected value"."""
    return json_text.removeprefix("\ufeff")


def decode_body(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset)
    except UnicodeDecodeError as error:
        raise ServiceError(
            ErrorCode.invalid_encoding,
            f"The body is not valid {charset}: byte 0x{body[error.start]:02x} "
            f"at offset {error.start} ({error.reason}).",
            detail={"charset": charset, "offset": error.start},
        ) from None


ECHOED_INPUT_CHARS = 200


def validation_errors(error: ValidationError) -> list[dict[str, Any]]:
    """pydantic's errors in FastAPI's shape (location starts with "body"), inputs shortened."""
    errors = []
    for item in error.errors(include_url=False, include_context=False):
        entry: dict[str, Any] = {**item, "loc": ("body", *item["loc"])}
        # An invalid JSON document is echoed whole as the input; a megabyte echo helps nobody.
        if isinstance(entry.get("input"), str) and len(entry["input"]) > ECHOED_INPUT_CHARS:
            entry["input"] = entry["input"][:ECHOED_INPUT_CHARS] + "…"
        errors.append(entry)
    return errors


async def read_score_request(
    request: Request, *, max_body_bytes: int, max_text_chars: int
) -> ScoreRequest:
    """Parse any accepted body into a ``ScoreRequest`` within the configured limits."""
    media_type, charset = parse_content_type(request.headers.get("content-type"))
    body = decode_body(await read_capped_body(request, max_body_bytes), charset)
    if media_type == JSON:
        try:
            score_request = ScoreRequest.model_validate_json(without_bom(body))
        except ValidationError as error:
            raise RequestValidationError(validation_errors(error)) from None
    else:
        score_request = ScoreRequest(text=body, format=RAW_FORMATS[media_type])
    check_text_length(score_request.text, max_text_chars)
    return score_request


def check_text_length(text: str, max_text_chars: int) -> None:
    """413 for a text longer than the service scores (the API's body and the page's form)."""
    if len(text) > max_text_chars:
        raise ServiceError(
            ErrorCode.payload_too_large,
            f"The text has {len(text)} characters; the limit is {max_text_chars}.",
            detail={"max_text_chars": max_text_chars, "text_chars": len(text)},
        )
