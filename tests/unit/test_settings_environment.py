"""Settings travel to server worker processes as environment variables, secrets included."""

from __future__ import annotations

from pydantic import SecretStr

from commprefs.config import Settings


def test_settings_survive_the_trip_through_the_environment() -> None:
    original = Settings(
        database_url="postgresql://root@127.0.0.1:5432/x",
        link_signing_key=SecretStr("k" * 40),
        link_previous_signing_keys=SecretStr("a" * 32 + "," + "b" * 32),
        rate_limit=190,
        redis_url="redis://127.0.0.1:6379/0",
    )
    exported = original.environment()
    assert exported["COMMPREFS_LINK_SIGNING_KEY"] == "k" * 40
    rebuilt = Settings(**{k.removeprefix("COMMPREFS_").lower(): v for k, v in exported.items()})
    assert rebuilt == original
