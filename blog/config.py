"""Settings, read from the environment once and validated before the app starts.

Everything the app, the migrations and the command-line tools need to know about their
surroundings comes through `Settings.from_env()`, so there is exactly one place that reads
`os.environ` and one place that decides what a valid configuration is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from flask import current_app
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

Environment = Literal["development", "testing", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "testing", "production")

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres:postgres@localhost:5432/blog"
# Good enough on a laptop, refused in production: see `Settings.validate`.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 32


# Where create_app() keeps the validated settings of each app.
EXTENSION_KEY = "blog.settings"


class ConfigError(ValueError):
    """The environment does not describe a configuration the app can run with."""


def normalise_database_url(raw: str) -> str:
    """Return `raw` as a SQLAlchemy URL for psycopg 3, accepting postgres:// and postgresql://."""
    try:
        url: URL = make_url(raw.strip())
    except ArgumentError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL: {exc}") from None
    backend, _, driver = url.drivername.partition("+")
    if backend not in {"postgres", "postgresql"}:
        raise ConfigError(f"DATABASE_URL must point at PostgreSQL, not {backend!r}.")
    if driver not in {"", "psycopg"}:
        raise ConfigError(f"DATABASE_URL names the driver {driver!r}; this app uses psycopg (3).")
    if not url.database:
        raise ConfigError("DATABASE_URL must name a database.")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """Return the normalised DATABASE_URL (or the development default, refused in production)."""
    environ = os.environ if environ is None else environ
    return normalise_database_url(environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}.")
    return value


def _bool(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}.")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the app reads from its environment."""

    env: Environment = "development"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = DEVELOPMENT_SECRET_KEY
    # Lifetime of a bearer token.
    token_ttl_seconds: int = 3600
    # Argon2id cost; RFC 9106's second recommended option by default, tiny under test.
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 65536
    argon2_parallelism: int = 4
    # Bounds that keep one slow client or query from holding a worker.
    max_request_bytes: int = 1024 * 1024
    db_connect_timeout_seconds: int = 5
    db_statement_timeout_ms: int = 10_000
    # Test each pooled connection with a round trip before use (SQLAlchemy's pool_pre_ping).
    # Off by default: it costs a round trip on every request, 15-25% of the throughput of the
    # lighter endpoints (README, Performance). Without it, a connection the database dropped
    # fails one request with a 503, SQLAlchemy discards the pool, and the next request
    # reconnects. Turn it on where idle connections are cut behind the app's back.
    db_pool_pre_ping: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build validated settings from environment variables."""
        environ = os.environ if environ is None else environ
        env = environ.get("BLOG_ENV", "development")
        if env not in ENVIRONMENTS:
            raise ConfigError(f"BLOG_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}.")
        testing = env == "testing"
        settings = cls(
            env=env,
            database_url=database_url_from_env(environ),
            secret_key=environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY,
            token_ttl_seconds=_int(environ, "TOKEN_TTL_SECONDS", 3600, 1),
            argon2_time_cost=_int(environ, "ARGON2_TIME_COST", 1 if testing else 3, 1),
            argon2_memory_cost_kib=_int(
                environ, "ARGON2_MEMORY_COST_KIB", 8 if testing else 65536, 8
            ),
            argon2_parallelism=_int(environ, "ARGON2_PARALLELISM", 1 if testing else 4, 1),
            max_request_bytes=_int(environ, "MAX_REQUEST_BYTES", 1024 * 1024, 1024),
            db_connect_timeout_seconds=_int(environ, "DB_CONNECT_TIMEOUT_SECONDS", 5, 1),
            db_statement_timeout_ms=_int(environ, "DB_STATEMENT_TIMEOUT_MS", 10_000, 1),
            db_pool_pre_ping=_bool(environ, "DB_POOL_PRE_PING", default=False),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse settings that would be unsafe or cannot work."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(f"env must be one of {', '.join(ENVIRONMENTS)}, not {self.env!r}.")
        normalise_database_url(self.database_url)
        if self.env == "production":
            if self.database_url == DEFAULT_DATABASE_URL:
                raise ConfigError(
                    "DATABASE_URL must be set in production; the default is a development database."
                )
            if self.secret_key == DEVELOPMENT_SECRET_KEY:
                raise ConfigError("SECRET_KEY must be set in production; the default is public.")
            if len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
                raise ConfigError(
                    f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters in production."
                )
        if self.argon2_memory_cost_kib < 8 * self.argon2_parallelism:
            raise ConfigError("ARGON2_MEMORY_COST_KIB must be at least 8 x ARGON2_PARALLELISM.")

    def flask_config(self) -> dict[str, Any]:
        """Return the Flask and Flask-SQLAlchemy configuration these settings imply."""
        return {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.env == "testing",
            "MAX_CONTENT_LENGTH": self.max_request_bytes,
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(self.database_url),
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": self.db_pool_pre_ping,
                "connect_args": {
                    "connect_timeout": self.db_connect_timeout_seconds,
                    "options": f"-c statement_timeout={self.db_statement_timeout_ms}"
                    " -c timezone=UTC",
                },
            },
        }


def current_settings() -> Settings:
    """Return the settings of the app handling the current request or command."""
    return cast("Settings", current_app.extensions[EXTENSION_KEY])
