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
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

Environment = Literal["development", "testing", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "testing", "production")
# What stands between the app and PostgreSQL (DB_POOLER): nothing, or a pooler in transaction mode.
Pooler = Literal["none", "transaction"]
POOLERS: tuple[Pooler, ...] = ("none", "transaction")

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


def check_origin(origin: str) -> str:
    """Return `origin` if it is written as browsers send it in `Origin`, or raise ConfigError.

    That is a scheme (http or https), a host in lower case and a port unless it is the
    scheme's default: `https://app.example.com`, `http://localhost:5173`. Nothing else: no
    path (not even `/`), query, user name or wildcard, since browsers compare origins exactly.
    """
    if origin == "*":
        raise ConfigError("CORS_ORIGINS does not take `*`: list the origins that may call the API.")
    parts = urlsplit(origin)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in {"http", "https"} or not parts.hostname or port == -1:
        raise ConfigError(f"CORS_ORIGINS: {origin!r} is not an http:// or https:// origin.")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default_port = 443 if parts.scheme == "https" else 80
    expected = f"{parts.scheme}://{host}" + ("" if port in {None, default_port} else f":{port}")
    if origin != expected:
        raise ConfigError(
            f"CORS_ORIGINS: write {origin!r} as browsers send it, {expected!r}"
            " (no path, query or user; the host in lower case; no default port)."
        )
    return origin


def _origins(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in environ.get(name, "").split(",") if item.strip())


def _bool(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}.")


def _pooler(environ: Mapping[str, str]) -> Pooler:
    raw = environ.get("DB_POOLER", "").strip().lower() or "none"
    if raw not in POOLERS:
        raise ConfigError(f"DB_POOLER must be one of {', '.join(POOLERS)}, not {raw!r}.")
    return raw


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
    # Bounds on a request body and on the waits for the database: a larger body gets 413, and
    # a connection attempt or a statement that takes longer ends its request with 503.
    max_request_bytes: int = 1024 * 1024
    db_connect_timeout_seconds: int = 5
    db_statement_timeout_ms: int = 10_000
    # Test each pooled connection with a round trip before use (SQLAlchemy's pool_pre_ping).
    # Off by default: it costs a round trip on every request, 15-25% of the throughput of the
    # lighter endpoints (the benchmark's page, bench/README.md).

    # Without it, a connection the database dropped fails one request with a 503, SQLAlchemy
    # discards the pool, and the next request reconnects. Turn it on where idle connections
    # are cut behind the app's back.
    db_pool_pre_ping: bool = False
    # "transaction" behind a transaction-mode pooler such as PgBouncer (docs/deployment.md).
    db_pooler: Pooler = "none"
    # Sign-in throttling (blog/throttle.py): this many wrong passwords for one username within
    # a window of this many seconds, and further attempts are refused until the window ends.
    sign_in_max_failures: int = 5
    sign_in_window_seconds: int = 900
    # The origins whose web pages may call the API from a browser (blog/cors.py); none by default.
    cors_origins: tuple[str, ...] = ()

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
            db_pooler=_pooler(environ),
            sign_in_max_failures=_int(environ, "SIGN_IN_MAX_FAILURES", 5, 1),
            sign_in_window_seconds=_int(environ, "SIGN_IN_WINDOW_SECONDS", 900, 1),
            cors_origins=_origins(environ, "CORS_ORIGINS"),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse settings that would be unsafe or cannot work."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(f"env must be one of {', '.join(ENVIRONMENTS)}, not {self.env!r}.")
        normalise_database_url(self.database_url)
        if self.db_pooler not in POOLERS:
            raise ConfigError(
                f"db_pooler must be one of {', '.join(POOLERS)}, not {self.db_pooler!r}."
            )
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
        if self.sign_in_max_failures < 1 or self.sign_in_window_seconds < 1:
            raise ConfigError("SIGN_IN_MAX_FAILURES and SIGN_IN_WINDOW_SECONDS must be at least 1.")
        for origin in self.cors_origins:
            check_origin(origin)
        if self.argon2_memory_cost_kib < 8 * self.argon2_parallelism:
            raise ConfigError("ARGON2_MEMORY_COST_KIB must be at least 8 x ARGON2_PARALLELISM.")

    def flask_config(self) -> dict[str, Any]:
        """Return the Flask and Flask-SQLAlchemy configuration these settings imply."""
        connect_args: dict[str, Any] = {"connect_timeout": self.db_connect_timeout_seconds}
        if self.db_pooler == "transaction":
            # A transaction-mode pooler gives each transaction whichever server connection is
            # free. PgBouncer refuses a startup `options`, and the names psycopg gives the
            # statements it prepares clash with other clients' on a shared server connection,
            # so neither is used; the timeout and the time zone are set in every transaction
            # instead (blog/db.py).
            connect_args["prepare_threshold"] = None
        else:
            connect_args["options"] = (
                f"-c statement_timeout={self.db_statement_timeout_ms} -c timezone=UTC"
            )
        return {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.env == "testing",
            "MAX_CONTENT_LENGTH": self.max_request_bytes,
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(self.database_url),
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": self.db_pool_pre_ping,
                "connect_args": connect_args,
            },
        }


def current_settings() -> Settings:
    """Return the settings of the app handling the current request or command."""
    return cast("Settings", current_app.extensions[EXTENSION_KEY])
