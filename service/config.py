"""Service settings, read once from the environment (prefix ``SLANT_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service and the command line can be configured with."""

    model_config = SettingsConfigDict(env_prefix="SLANT_", extra="ignore")

    home: Path = Field(default=Path("var"), description="Registry directory (SLANT_HOME).")
    max_body_bytes: int = Field(default=2_000_000, gt=0, description="Largest request body.")
    max_text_chars: int = Field(default=200_000, gt=0, description="Longest text to score.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
