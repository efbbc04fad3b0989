"""Who may change things: the write endpoints require the operator's bearer token.

Without ``SLANT_ADMIN_TOKEN`` set, every write endpoint answers 403 and the read-only API keeps
working, so a service started with no configuration can never be retrained or have labels
written by whoever reaches its port. Tokens are compared in constant time (``hmac``), so the
time a wrong guess takes says nothing about how much of it was right.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from service.api.deps import SettingsDep
from service.errors import ErrorCode, ServiceError

BEARER = "bearer"


def require_admin(request: Request, settings: SettingsDep) -> None:
    """Raise 403 when write endpoints are disabled, 401 when the token is missing or wrong."""
    if settings.admin_token is None or not settings.admin_token.get_secret_value():
        raise ServiceError(
            ErrorCode.forbidden,
            "Write endpoints are disabled: set SLANT_ADMIN_TOKEN on the server to enable them.",
        )
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    expected = settings.admin_token.get_secret_value().encode("utf-8")
    if scheme.lower() != BEARER or not hmac.compare_digest(
        presented.strip().encode("utf-8"), expected
    ):
        raise ServiceError(
            ErrorCode.unauthorized,
            "This endpoint needs the header 'Authorization: Bearer <SLANT_ADMIN_TOKEN>'.",
        )


AdminDep = Annotated[None, Depends(require_admin)]
