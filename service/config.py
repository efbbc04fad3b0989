"""Service settings, read once from the environment (prefix ``SLANT_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
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
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
