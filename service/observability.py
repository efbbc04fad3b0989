"""The middleware every HTTP request passes: its id, its deadline, its metrics and access line.

A pure ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: it sees the route the
router matched (``scope["route"]``, set on the same scope dict), it answers before the endpoint
has ended when the deadline passes, and it never buffers a response.

Timeouts. Endpoints that score run in a worker thread, and a Python thread cannot be stopped.
When ``SLANT_REQUEST_TIMEOUT`` passes before the answer, the client gets a 503 ``timeout`` at
once and whatever the endpoint sends later is dropped; the work itself runs to its end in its
thread (``slant_requests_in_flight`` still counts it until then). A write that was already
running may therefore still complete: label ids are content hashes, so a retry is safe.
"""

from __future__ import annotations

import logging
import time

import anyio
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import ErrorCode, error_response, internal_error_response
from service.logs import bind_request_id, request_id_from, unbind_request_id
from service.metrics import UNMATCHED_ROUTE, ServiceMetrics, method_label

access_logger = logging.getLogger("service.access")
REQUEST_ID_HEADER = "X-Request-ID"


def route_template(scope: Scope) -> str:
    """The path template of the route that handled the request, e.g. ``/v1/models/{version}``.

    Older FastAPI versions copy an included router's routes into the app with their prefix, so
    ``scope["route"].path`` is the whole template. Newer ones keep included routers as they are:
    the matched route's path lacks the prefix ("/score"), and the whole template is in the route
    context FastAPI records in ``scope["fastapi"]``, which is read first. Plain Starlette routes
    of the app itself (``/docs``, ``/openapi.json``) leave neither, so they are matched again.
    """
    fastapi_scope = scope.get("fastapi")
    context = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    for candidate in (context, scope.get("route")):
        path = getattr(candidate, "path_format", None) or getattr(candidate, "path", None)
        if isinstance(path, str):
            return path
    app = scope.get("app")
    for route in getattr(app, "routes", ()):
        path = getattr(route, "path", None)
        if isinstance(path, str) and route.matches(scope)[0] is not Match.NONE:
            return path
    return UNMATCHED_ROUTE


def header_value(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class Exchange:
    """One request's answer as it is sent: its status, whether it is complete, and the id header.

    After a timeout the exchange is closed: what the abandoned endpoint sends is dropped.
    """

    def __init__(self, send: Send, request_id: str) -> None:
        self._send = send
        self.request_id = request_id
        self.status: int | None = None
        self.answered = anyio.Event()  # the answer is complete (or will never come)
        self.answered_at: float | None = None
        self.closed = False

    @property
    def started(self) -> bool:
        return self.status is not None

    async def send(self, message: Message) -> None:
        if self.closed:
            return
        if message["type"] == "http.response.start":
            self.status = message["status"]
            headers = MutableHeaders(scope=message)
            headers.append(REQUEST_ID_HEADER, self.request_id)
            # Every answer is what its Content-Type says (JSON, or the page's HTML): a browser
            # must never sniff an error that echoes input into something it would run.
            if "x-content-type-options" not in headers:
                headers.append("X-Content-Type-Options", "nosniff")
        await self._send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.finish()

    def finish(self) -> None:
        if not self.answered.is_set():
            self.answered_at = time.perf_counter()
            self.answered.set()


class RequestObservation:
    """Gives every HTTP request an id, a deadline, metrics and one access log line."""

    def __init__(self, app: ASGIApp, *, metrics: ServiceMetrics, timeout: float) -> None:
        self.app = app
        self.metrics = metrics
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(header_value(scope, REQUEST_ID_HEADER.lower().encode()))
        token = bind_request_id(request_id)
        self.metrics.in_flight.inc()
        try:
            await self._serve(scope, receive, Exchange(send, request_id))
        finally:
            self.metrics.in_flight.dec()
            unbind_request_id(token)

    async def _serve(self, scope: Scope, receive: Receive, exchange: Exchange) -> None:
        started = time.perf_counter()

        async def run_endpoint() -> None:
            try:
                await self.app(scope, receive, exchange.send)
            except Exception as error:
                # Answered here, not by Starlette's outermost handler, so the answer carries the
                # request id and is counted; logged once, with the id.
                if not exchange.started:
                    response = internal_error_response(scope["method"], scope["path"], error)
                    await _send_response(response, scope, receive, exchange)
                else:
                    internal_error_response(scope["method"], scope["path"], error)
            finally:
                exchange.finish()

        async with anyio.create_task_group() as group:
            group.start_soon(run_endpoint)
            with anyio.move_on_after(self.timeout):
                await exchange.answered.wait()
            timed_out = not exchange.answered.is_set()
            if timed_out:
                await self._answer_timeout(scope, receive, exchange)
            self._record(scope, exchange, started, timed_out=timed_out)
            if timed_out:
                group.cancel_scope.cancel()
            # Otherwise the endpoint's background tasks, if any, run on after the answer.

    async def _answer_timeout(self, scope: Scope, receive: Receive, exchange: Exchange) -> None:
        if not exchange.started:
            response = error_response(
                ErrorCode.timeout,
                f"The request took longer than {self.timeout:g} seconds and was abandoned.",
                detail={"timeout_seconds": self.timeout},
            )
            await _send_response(response, scope, receive, exchange)
        exchange.finish()
        exchange.closed = True

    def _record(self, scope: Scope, exchange: Exchange, started: float, *, timed_out: bool) -> None:
        route, method = route_template(scope), method_label(scope["method"])
        # No answer at all: the server answers 500 for an endpoint that returned without one.
        status = exchange.status or 500
        seconds = (exchange.answered_at or time.perf_counter()) - started
        self.metrics.observe_request(route, method, status, seconds)
        if timed_out:
            self.metrics.observe_timeout(route, method)
        client = scope.get("client")
        access_logger.info(
            "%s %s %d",
            scope["method"],
            scope["path"],
            status,
            extra={
                "request_id": exchange.request_id,
                "method": scope["method"],
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "client": client[0] if client else None,
                **({"timed_out": True} if timed_out else {}),
            },
        )


async def _send_response(
    response: Response, scope: Scope, receive: Receive, exchange: Exchange
) -> None:
    await response(scope, receive, exchange.send)
