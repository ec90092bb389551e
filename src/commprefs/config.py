"""Every setting of the service, read in this one module.

Values come from the environment (prefix ``COMMPREFS_``) or from CLI options that override them.
Bad values fail at start-up, never at the first request that happens to use them.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_SCHEMES = ("sqlite", "postgresql", "postgres")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMMPREFS_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///commprefs.db"
    public_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    max_batch_inputs: int = Field(default=100, ge=1, le=10_000)
    # Secret for signing preference-page links; empty means "generate one and keep it in the
    # database", which is right for a single deployment and keeps `make serve` zero-config.
    link_signing_key: str = ""
    # Change-event delivery (webhooks/worker.py). `serve --webhooks` runs the worker in the server.
    webhook_worker: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    webhook_backoff_base_seconds: float = Field(default=1.0, ge=0.01, le=3600)
    webhook_backoff_max_seconds: float = Field(default=3600.0, ge=0.01, le=7 * 86400)
    webhook_batch_size: int = Field(default=100, ge=1, le=1000)
    webhook_poll_seconds: float = Field(default=1.0, ge=0.01, le=60)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in SUPPORTED_SCHEMES or "://" not in value:
            raise ValueError(
                "database URL must look like sqlite:///path.db, sqlite:///:memory: "
                "or postgresql://user@host:port/db"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("public URL must start with http:// or https://")
        return value.rstrip("/")
