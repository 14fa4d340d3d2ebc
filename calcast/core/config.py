"""The one Settings object, read from CALCAST_* environment variables and validated at start."""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_DRIVERS = ("sqlite", "postgresql+psycopg")
# Without CALCAST_SECRET_KEY, an SQLite install keeps a key of its own beside its database: calcast.db.secret-key.
SECRET_KEY_SUFFIX = ".secret-key"  # noqa: S105 - part of a file name, not a secret
MIN_SECRET_KEY_LENGTH = 16


class ConfigError(Exception):
    """A setting has a value calcast cannot run with; the message is one sentence for a person."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALCAST_", extra="ignore")

    # "production" insists on an explicit CALCAST_SECRET_KEY instead of a key file calcast makes itself.
    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///calcast-data/calcast.db"
    base_url: str = "http://127.0.0.1:8000"
    # Empty means "not set": see _a_secret_key_is_there.
    secret_key: str = ""

    # OAuth access tokens (the contract fixes 300 seconds).
    token_ttl_seconds: int = Field(default=300, ge=30, le=86400)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Request line and headers together (`calcast serve` closes the connection with a 431 beyond this).
    max_header_bytes: int = Field(default=65_536, ge=8192)

    # Rate limits, per client network and minute; shared by every process through Redis when it is set.
    redis_url: str | None = None
    manage_rate_per_minute: int = Field(default=60, ge=1)
    # Failed POST /oauth2/token requests allowed per client id, and per client network.
    token_failures_per_minute: int = Field(default=20, ge=1)

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
    # Delivered (and superseded) outbox rows and webhook delivery logs are deleted after this many days.
    outbox_retention_days: int = Field(default=30, ge=1)
    webhook_retry_minutes: float = Field(default=30.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Webhooks and Braze go to https and public addresses only (core.outbound); true allows plain http and
    # private, loopback and link-local addresses, for tests and on-premises receivers.
    allow_private_destinations: bool = False
    run_worker_in_server: bool = True

    # Event import and source URLs (docs/import.md): recurring events are expanded from the feed window's start
    # to this many days ahead; one import holds at most import_max_events events; a source answer is at most
    # source_max_bytes long and must arrive within source_timeout_seconds.
    import_horizon_days: int = Field(default=365, ge=1, le=3660)
    import_max_events: int = Field(default=10_000, ge=1)
    source_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    source_timeout_seconds: float = Field(default=30.0, gt=0)
    # Clicks (engagement) are deleted this many days after they happened.
    click_retention_days: int = Field(default=400, ge=1)
    # Clicks are counted in memory and written in one transaction this often (and when the server stops).
    click_write_interval_seconds: float = Field(default=1.0, gt=0, le=60)

    # Operations: an access log of JSON lines on standard output (docs/operations.md says why it is off by
    # default); the folder where each server process writes its request totals for /metrics (`calcast serve`
    # sets one for its processes).
    access_log: bool = False
    metrics_dir: str | None = None
    # Web console (calcast.console): a session ends after this long without a request, and at the latest this
    # long after its sign-in.
    console_idle_minutes: int = Field(default=480, ge=1)
    console_session_hours: int = Field(default=24, ge=1)
    # Failed sign-ins allowed per e-mail address, and per client network, in 15 minutes.
    console_sign_in_failures: int = Field(default=10, ge=1)
    # How long the link that `calcast user create` prints (to set a password) stays valid.
    console_link_hours: int = Field(default=72, ge=1)
    # How long after typing the password again a console session may create or show secrets.
    console_reauth_minutes: int = Field(default=10, ge=1)
    # An audience CSV uploaded in the console (100,000 e-mail addresses are about 3 MB; a .csv.gz is smaller).
    console_upload_max_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)

    # Push subscription methods (calcast.push): a method is offered only when its settings are there. The base
    # URLs are the providers' own; tests point them at local stand-ins.
    google_client_id: str | None = None
    google_client_secret: str | None = None
    google_auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - an address, not a secret
    google_revoke_url: str = "https://oauth2.googleapis.com/revoke"
    google_api_url: str = "https://www.googleapis.com/calendar/v3"
    microsoft_client_id: str | None = None
    microsoft_client_secret: str | None = None
    microsoft_tenant: str = "common"
    microsoft_login_url: str = "https://login.microsoftonline.com"
    microsoft_graph_url: str = "https://graph.microsoft.com/v1.0"
    # CalDAV (iCloud, Fastmail, Nextcloud) needs no app registration: on unless switched off.
    caldav_enabled: bool = True
    push_timeout_seconds: float = Field(default=20.0, gt=0)
    # Push syncs one worker runs at once, each for another subscriber (one provider account never sees two).
    push_concurrency: int = Field(default=8, ge=1, le=64)
    # How often every push calendar is compared with what it should hold (drift, calendars deleted by the user).
    push_reconcile_minutes: int = Field(default=360, ge=1)
    # Where a brand's own page may have obtained an authorization code for `POST /v2/subscribe` (`redirectTo`):
    # comma-separated origins (any address on them) or full redirect URIs (exactly that one). calcast's own
    # callback addresses are always allowed.
    push_redirect_origins: str = ""

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, for example https://calendar.example.com")
        return value.rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _redis_url_is_redis(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "redis+unix://")):
            raise ValueError("must be a Redis URL, for example redis://127.0.0.1:6379/0")
        return value or None

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
    def _a_secret_key_is_there(self) -> Settings:
        """An explicit key, or (SQLite only) the install's own key file; never a key anybody else knows."""
        if self.secret_key:
            if len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
                raise ValueError(f"CALCAST_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters long")
            return self
        if self.environment == "production":
            raise ValueError("CALCAST_SECRET_KEY must be set to a long random value in production")
        if not self.is_sqlite:
            raise ValueError(
                "CALCAST_SECRET_KEY must be set when the database is PostgreSQL, to the same long random value "
                "on every machine that runs calcast against it"
            )
        self.secret_key = _install_secret_key(str(make_url(self.database_url).database))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def google_push_enabled(self) -> bool:
        """Whether subscribers are offered "Google Calendar" by push (the OAuth client is configured)."""
        return bool(self.google_client_id and self.google_client_secret)

    @property
    def microsoft_push_enabled(self) -> bool:
        """Whether subscribers are offered Outlook / Microsoft 365 by push (the Entra app is configured)."""
        return bool(self.microsoft_client_id and self.microsoft_client_secret)

    @property
    def push_methods(self) -> tuple[str, ...]:
        """The push methods offered on the confirmation page, in their order: those whose settings are there."""
        offered = (
            ("google", self.google_push_enabled),
            ("microsoft", self.microsoft_push_enabled),
            ("caldav", self.caldav_enabled),
        )
        return tuple(name for name, on in offered if on)

    @property
    def push_redirect_allowed(self) -> tuple[str, ...]:
        """The entries of CALCAST_PUSH_REDIRECT_ORIGINS, trimmed, without a trailing slash."""
        entries = (entry.strip().rstrip("/") for entry in self.push_redirect_origins.split(","))
        return tuple(entry for entry in entries if entry)


def secret_key_path(database: str) -> Path:
    """Where an SQLite install keeps the secret key calcast made for it: beside the database file."""
    file = Path(database)
    return file.with_name(file.name + SECRET_KEY_SUFFIX)


def _read_secret_key(path: Path) -> str:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ValueError(
            f"The secret key file {path} cannot be read ({error.strerror}); "
            "fix its permissions or set CALCAST_SECRET_KEY"
        ) from None
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ValueError(
            f"The secret key file {path} is empty or damaged; restore it from a backup or set CALCAST_SECRET_KEY"
        )
    return key


def _install_secret_key(database: str) -> str:
    """The key of this SQLite install: read from its key file, or made (mode 0600) on the first start."""
    if database == ":memory:":
        return secrets.token_urlsafe(48)  # the database lives as long as the process; so may its key
    path = secret_key_path(database)
    if path.exists():
        return _read_secret_key(path)
    if Path(database).exists():
        # Data made with another key: a new key would change every feed URL and lock the stored Braze keys away.
        raise ValueError(
            f"The database {database} exists but its secret key file {path} does not; restore the file from a "
            "backup, or set CALCAST_SECRET_KEY to the key this database was used with"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then linked into place: a second process starting at the same
        # moment either wins the link or reads the complete file of the one that did.
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as draft_file:
                draft_file.write(secrets.token_urlsafe(48) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    except OSError as error:
        raise ValueError(
            f"calcast cannot write its secret key file {path} ({error.strerror}); make the database folder "
            "writable or set CALCAST_SECRET_KEY"
        ) from None
    return _read_secret_key(path)


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


def served_base_url(host: str, port: int) -> str:
    """The address a server listening on host:port answers at on this machine."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - naming the wildcard addresses, not binding to them
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def base_url_defaults_to(host: str, port: int) -> None:
    """Unless CALCAST_BASE_URL is set, links (landing page, feeds, manage links) point at the served host:port.

    Set in the environment, so that every server process uvicorn starts reads the same value.
    """
    os.environ.setdefault("CALCAST_BASE_URL", served_base_url(host, port))
    get_settings.cache_clear()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests clear this cache after changing the environment)."""
    return load_settings()
