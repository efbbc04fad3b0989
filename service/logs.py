"""Logs of the service: one JSON object a line, each tied to the request it was written for.

Every line has ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and ``process`` (the
worker's pid: with several workers their lines interleave). A line written while a request is
served, by any module, in the event loop or in a worker thread, also has that request's
``request_id``: the request middleware puts it in a context variable, which asyncio tasks and
the threads FastAPI runs endpoints in both inherit. Fields given with ``extra=`` become keys of
the object (the access line's ``method``, ``route``, ``status``, ``duration_ms``, ``client``).

``slant serve`` hands ``logging_config`` to uvicorn, which applies it in every worker process.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["json", "text"]

_REQUEST_ID: ContextVar[str | None] = ContextVar("slant_request_id", default=None)
# A client's id is echoed in headers and logs, so only short plain tokens are taken as they are.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# Attributes every LogRecord has; any other attribute came from ``extra=``. uvicorn adds
# ``color_message`` (a copy of the message with terminal colours), which is not a field.
_RECORD_ATTRIBUTES = frozenset(
    {*vars(logging.LogRecord("", 0, "", 0, "", None, None)), "message", "asctime", "taskName"}
)
_NOT_FIELDS = _RECORD_ATTRIBUTES | {"color_message", "request_id"}


def current_request_id() -> str | None:
    """The id of the request being served in this context, None outside a request."""
    return _REQUEST_ID.get()


def request_id_from(header: str | None) -> str:
    """The client's ``X-Request-ID`` when it is a sane token, otherwise a new uuid4 (hex)."""
    if header is not None and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def bind_request_id(request_id: str | None) -> Token[str | None]:
    """Make ``request_id`` the current one; returns the token ``unbind_request_id`` takes."""
    return _REQUEST_ID.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _REQUEST_ID.reset(token)


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a record was given with ``extra=``."""
    return {
        name: value for name, value in vars(record).items()
        if name not in _NOT_FIELDS and not name.startswith("_")
    }


def _request_id_of(record: logging.LogRecord) -> str | None:
    given: str | None = getattr(record, "request_id", None)
    return given or current_request_id()


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        request_id = _request_id_of(record)
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update(extra_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: a field no JSON type fits is written as its text, never a lost line.
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A record as one readable line: ``time level logger message request_id=... key=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = extra_fields(record)
        request_id = _request_id_of(record)
        if request_id is not None:
            fields = {"request_id": request_id, **fields}
        line = super().formatMessage(record)
        return " ".join([line, *(f"{name}={value}" for name, value in fields.items())])


def logging_config(log_format: LogFormat = "json", level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the whole process: everything, uvicorn's own lines
    included, goes to stderr in one format. uvicorn's access lines are left to the request
    middleware, whose line has the request id and the route."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "service.logs.JsonFormatter"},
            "text": {"()": "service.logs.TextFormatter"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": log_format,
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
