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
    # PostgreSQL connections per server process (as many again may open under bursts), so that
    # workers x 2 x pool size stays under the server's max_connections.
    database_pool_size: int = Field(default=10, ge=1, le=500)
    # Secret for signing preference-page links; empty means "generate one and keep it in the
    # database", which is right for a single deployment and keeps `make serve` zero-config.
    link_signing_key: str = ""

    def environment(self) -> dict[str, str]:
        """These settings as ``COMMPREFS_*`` variables: how server worker processes get them."""
        return {
            f"COMMPREFS_{name.upper()}": str(value) for name, value in self.model_dump().items()
        }

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
