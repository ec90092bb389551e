"""Every setting of the service, read in this one module.

Values come from the environment (prefix ``COMMPREFS_``) or from CLI options that override them.
Bad values fail at start-up, never at the first request that happens to use them.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from commprefs.domain.consent import IP_MODES, IpNetwork, trusted_networks
from commprefs.domain.urls import UnsafeUrl, normalise

SUPPORTED_SCHEMES = ("sqlite", "postgresql", "postgres")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


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
    # SecretStr: a printed or logged Settings shows "**********", never the key.
    link_signing_key: SecretStr = SecretStr("")
    # Earlier configured keys (comma-separated) that still verify links already sent.
    link_previous_signing_keys: SecretStr = SecretStr("")
    # After `commprefs links rotate-key`, links signed with the old key keep working this long.
    # 90 days covers the 30 days CAN-SPAM asks unsubscribe links to work, with room to spare.
    link_key_grace_days: int = Field(default=90, ge=0, le=3650)

    # What a client may send, and how slowly (enforced by api/http_limits.py and the middleware).
    max_header_bytes: int = Field(default=16_384, ge=1024, le=1_048_576)
    request_head_timeout: float = Field(default=10.0, gt=0, le=3600)
    request_body_timeout: float = Field(default=30.0, gt=0, le=3600)
    keep_alive_timeout: int = Field(default=5, ge=1, le=3600)
    # Requests per window per token; 0 (the default) is off, so local suites are never throttled.
    rate_limit: int = Field(default=0, ge=0, le=100_000)
    rate_limit_window_ms: int = Field(default=10_000, ge=100, le=3_600_000)
    # Shares rate-limit counters between processes; empty means in-process counters.
    redis_url: str = ""
    # How long a write's Idempotency-Key is remembered.
    idempotency_ttl_seconds: int = Field(default=86_400, ge=1, le=30 * 86_400)

    # Change-event delivery (webhooks/worker.py). `serve --webhooks` runs the worker in the server.
    webhook_worker: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    webhook_backoff_base_seconds: float = Field(default=1.0, ge=0.01, le=3600)
    webhook_backoff_max_seconds: float = Field(default=3600.0, ge=0.01, le=7 * 86400)
    webhook_batch_size: int = Field(default=100, ge=1, le=1000)
    webhook_poll_seconds: float = Field(default=1.0, ge=0.01, le=60)

    # OAuth (issue 14): an access token's lifetime (HubSpot's is 30 minutes) and an authorization
    # code's, from its issue to its exchange.
    oauth_access_token_seconds: int = Field(default=1800, ge=1, le=86_400)
    oauth_code_seconds: int = Field(default=600, ge=1, le=86_400)
    # Metrics and logs (issue 17). `GET /metrics` in Prometheus' format when on, behind this
    # bearer token when one is set; `json` logs one JSON object per line.
    metrics: bool = False
    metrics_token: SecretStr = SecretStr("")
    log_format: Literal["text", "json"] = "text"
    # The body limit of an import uploaded to the admin API (other bodies: max_body_bytes).
    max_import_bytes: int = Field(default=64 * 1_048_576, ge=1024, le=1024 * 1_048_576)
    # Emulator mode (issue 15): `serve --emulator` adds the control API under /_commprefs/ (seed,
    # reset, state, the request journal, faults, the clock), for test suites; off, those paths
    # do not exist.
    emulator: bool = False
    # Known tokens (`serve --token`, repeatable; comma-separated here), in any mode: each a token
    # with every scope and exactly this secret in the first portal, created if missing.
    token: SecretStr = SecretStr("")
    # A seed document (YAML or JSON file) the emulator starts from (`serve --seed`).
    seed: str = ""
    # How many requests the emulator's journal keeps (a ring: the oldest go first).
    journal_size: int = Field(default=10_000, ge=1, le=1_000_000)

    @property
    def known_tokens(self) -> list[str]:
        return [t.strip() for t in self.token.get_secret_value().split(",") if t.strip()]

    # -- Consent context and double opt-in (issue 16) -------------------------------------------
    # How much of a client's address the ledger keeps: full, truncated (/24, /48) or off.
    consent_ip: str = "full"
    # Comma-separated addresses or CIDRs of the proxies whose X-Forwarded-For is believed.
    trusted_proxies: str = ""
    # Where confirmation mails go out: smtp://host:port or smtps://user:password@host:465.
    # Empty: no mail worker runs, and double opt-in requests are refused.
    smtp_url: SecretStr = SecretStr("")
    mail_from: str = ""
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    confirmation_ttl_hours: int = Field(default=168, ge=1, le=24 * 366)
    mail_backoff_base_seconds: float = Field(default=5.0, ge=0.01, le=3600)
    mail_backoff_max_seconds: float = Field(default=3600.0, ge=0.01, le=7 * 86400)
    mail_poll_seconds: float = Field(default=1.0, ge=0.01, le=60)
    # A directory of the operator's own mail templates, searched before the built-in ones.
    mail_templates: str = ""
    # The web console (issue 17, console/ and operators/): a session ends after this long unused,
    # and in any case this long after login.
    console_idle_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    console_session_hours: int = Field(default=12, ge=1, le=30 * 24)
    # After this many failed logins for one address within the lock-out time, that address is
    # locked out for the lock-out time (a correct password is refused too until it passes).
    console_login_max_failures: int = Field(default=5, ge=1, le=1000)
    console_login_lockout_seconds: int = Field(default=900, ge=1, le=86_400)

    def environment(self) -> dict[str, str]:
        """These settings as ``COMMPREFS_*`` variables: how server worker processes get them."""
        exported = {}
        for name, value in self.model_dump().items():
            # Secrets must reach the workers as themselves, not as their masked repr.
            text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            exported[f"COMMPREFS_{name.upper()}"] = text
        return exported

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
        # It goes into headers (List-Unsubscribe, the pages' cookie path): made ASCII and safe.
        try:
            parts = normalise(value, ("http", "https"), ip_literals=True, max_length=1000)
        except UnsafeUrl as reason:
            raise ValueError(f"public URL {reason}") from None
        if parts.query or parts.fragment:  # links are built by appending paths to it
            raise ValueError("public URL must not have a query or a fragment")
        return parts.geturl().rstrip("/")

    @field_validator("link_signing_key")
    @classmethod
    def _strong_key(cls, value: SecretStr) -> SecretStr:
        _check_key_length([value.get_secret_value()])
        return value

    @field_validator("link_previous_signing_keys")
    @classmethod
    def _strong_previous_keys(cls, value: SecretStr) -> SecretStr:
        _check_key_length(value.get_secret_value().split(","))
        return value

    @property
    def previous_link_keys(self) -> list[str]:
        raw = self.link_previous_signing_keys.get_secret_value()
        return [key.strip() for key in raw.split(",") if key.strip()]

    @field_validator("consent_ip")
    @classmethod
    def _ip_mode(cls, value: str) -> str:
        if value not in IP_MODES:
            raise ValueError(f"consent IP is one of {', '.join(IP_MODES)}")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        try:
            trusted_networks(value)
        except ValueError:
            raise ValueError("trusted proxies are comma-separated addresses or CIDRs") from None
        return value

    @cached_property
    def proxy_networks(self) -> tuple[IpNetwork, ...]:
        return trusted_networks(self.trusted_proxies)

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if text and not (text.startswith(("smtp://", "smtps://")) and urlsplit(text).hostname):
            # Never repeated: it may hold a password.
            raise ValueError("SMTP URL must look like smtp://host:port or smtps://user:pw@host:465")
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str) -> str:
        if value and ("@" not in value or any(c in value for c in "\r\n")):
            raise ValueError("mail from must be an address such as news@example.com")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(REDIS_SCHEMES):
            raise ValueError("Redis URL must look like redis://host:port/0 (or rediss://, unix://)")
        return value


def _check_key_length(keys: list[str]) -> None:
    # The message never repeats the value: these are secrets.
    if any(key.strip() and len(key.strip()) < 32 for key in keys):
        raise ValueError("link signing keys must be at least 32 characters")
