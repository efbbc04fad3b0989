"""Service settings, read once from the environment (prefix ``SLANT_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service and the command line can be configured with."""

    model_config = SettingsConfigDict(env_prefix="SLANT_", extra="ignore")

    home: Path = Field(default=Path("var"), description="Registry directory (SLANT_HOME).")
    max_body_bytes: int = Field(default=2_000_000, gt=0, description="Largest request body.")
    max_text_chars: int = Field(default=200_000, gt=0, description="Longest text to score.")
    admin_token: SecretStr | None = Field(
        default=None,
        description="Bearer token of the write endpoints (SLANT_ADMIN_TOKEN); unset: disabled.",
    )
    keep_scored: bool = Field(
        default=False,
        description="Keep every scored text and its framing probability in the label store "
        "(SLANT_KEEP_SCORED), so GET /v1/labels/suggest can propose texts to label.",
    )
    max_import_bytes: int = Field(
        default=50_000_000, gt=0, description="Largest file POST /v1/labels/import accepts."
    )
    max_batch_items: int = Field(
        default=1_000,
        gt=0,
        description="Most examples one POST /v1/labels may carry (SLANT_MAX_BATCH_ITEMS); "
        "larger sets go through POST /v1/labels/import.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(
        default=1, ge=1, description="Worker processes of `slant serve` (SLANT_WORKERS)."
    )
    request_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a request may run before it is answered 503 `timeout` "
        "(SLANT_REQUEST_TIMEOUT).",
    )
    shutdown_timeout: int = Field(
        default=30,
        ge=0,
        description="Seconds a stopping server lets requests in flight finish "
        "(SLANT_SHUTDOWN_TIMEOUT).",
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="One JSON object a line, or plain text (SLANT_LOG_FORMAT)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="Least severe level logged (SLANT_LOG_LEVEL)."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value
