"""The one Settings object, read from CALCAST_* environment variables and validated at start."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEVELOPMENT_SECRET_KEY = "calcast-development-key-do-not-use-in-production"  # noqa: S105 - the documented dev default
SUPPORTED_DRIVERS = ("sqlite", "postgresql+psycopg")


class ConfigError(Exception):
    """A setting has a value calcast cannot run with; the message is one sentence for a person."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALCAST_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///calcast-data/calcast.db"
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = DEVELOPMENT_SECRET_KEY

    # OAuth access tokens (the contract fixes 300 seconds).
    token_ttl_seconds: int = Field(default=300, ge=30, le=86400)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    # Feeds
    feed_window_days: int = Field(default=30, ge=0)
    feed_grace_days: int = Field(default=30, ge=0)
    feed_max_age_seconds: int = Field(default=900, ge=0)
    lapse_days_default: int = Field(default=14, ge=1)
    # Days without a poll before a subscription counts as lapsed, per client family (feeds.telemetry).
    lapse_days_by_client: dict[str, int] = Field(
        default_factory=lambda: {"google": 3, "outlook": 3, "apple": 7, "thunderbird": 7, "evolution": 7}
    )
    # A fetch writes telemetry at most this often per subscription; fetches in between are counted and added later.
    feed_telemetry_interval_seconds: int = Field(default=60, ge=0)
    feed_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)

    # Subscription pages
    country_header: str | None = None
    geoip_database: str | None = None
    keep_full_ip: bool = False
    subscribe_rate_per_minute: int = Field(default=20, ge=1)

    # Braze sync and outbox
    braze_batch_size: int = Field(default=75, ge=1, le=75)
    braze_timeout_seconds: float = Field(default=10.0, gt=0)
    # "total": at most braze_batch_size objects per request across attributes and events (Braze's current
    # limit); "per_array": that many attributes and that many events (legacy rate-limit contracts).
    braze_batch_scope: Literal["total", "per_array"] = "total"
    # users.track requests one worker has in flight at once; a claim never holds two rows of one subscription,
    # so concurrent requests cannot reorder a subscription's changes.
    braze_concurrency: int = Field(default=4, ge=1, le=32)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    # How long a worker owns the rows it claimed; a worker killed mid-batch frees them after this.
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_backoff_base_seconds: float = Field(default=2.0, gt=0)
    outbox_backoff_max_seconds: float = Field(default=900.0, gt=0)
    webhook_retry_minutes: float = Field(default=30.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    run_worker_in_server: bool = True

    # Operations: an access log of JSON lines on standard output (docs/operations.md says why it is off by
    # default); the folder where each server process writes its request totals for /metrics (`calcast serve`
    # sets one for its processes).
    access_log: bool = False
    metrics_dir: str | None = None

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, for example https://calendar.example.com")
        return value.rstrip("/")

    @field_validator("geoip_database")
    @classmethod
    def _geoip_database_is_readable(cls, value: str | None) -> str | None:
        if value and not os.access(value, os.R_OK):
            raise ValueError(f"points to {value}, which cannot be read; give the path of a GeoIP2/GeoLite2 .mmdb file")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a database URL; use sqlite:///path/to/calcast.db or postgresql+psycopg://user@host:5432/dbname"
            ) from None
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"uses the driver {url.drivername!r}; calcast supports sqlite:///… and postgresql+psycopg://…"
            )
        if url.drivername == "sqlite" and not url.database:
            raise ValueError("names no SQLite file; use sqlite:///path/to/calcast.db")
        return value

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET_KEY:
            raise ValueError("CALCAST_SECRET_KEY must be set to a long random value in production")
        if len(self.secret_key) < 16:
            raise ValueError("CALCAST_SECRET_KEY must be at least 16 characters long")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _explain(error: ValidationError) -> str:
    first = error.errors()[0]
    location = [str(part) for part in first["loc"]]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not location:
        return message.rstrip(".") + "."
    variable = "CALCAST_" + location[0].upper()
    if first["type"] == "value_error":
        return f"{variable} {message}".rstrip(".") + "."
    return f"{variable} is invalid: {message[:1].lower()}{message[1:]}".rstrip(".") + "."


def load_settings() -> Settings:
    """Read and validate the settings; a bad value raises ConfigError with one sentence."""
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigError(_explain(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests clear this cache after changing the environment)."""
    return load_settings()
