"""Settings, each read from the non-empty variable of its name in capitals (`BLOG_ENV` for `env`)
and validated before the app starts: a bad value is a one-line `ConfigError` naming the variable."""

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self, cast

from flask import current_app
from pydantic import BaseModel, BeforeValidator, Field, ValidationError, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres:postgres@localhost:5432/blog"
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 32
EXTENSION_KEY = "blog.settings"  # where create_app() keeps each app's settings

# What the operator is told, one fault each.
NOT_A_URL = "DATABASE_URL is not a database URL: {}"
NOT_POSTGRES = "DATABASE_URL must point at PostgreSQL, not {!r}."
NOT_PSYCOPG = "DATABASE_URL names the driver {!r}; this app uses psycopg (3)."
NO_DATABASE = "DATABASE_URL must name a database."
DATABASE_NOT_SET = "DATABASE_URL must be set in production; the default is public."
KEY_NOT_SET = "SECRET_KEY must be set in production; the default is public."
KEY_TOO_SHORT = "SECRET_KEY needs at least {} characters."
ARGON2_MEMORY_SHORT = "ARGON2_MEMORY_COST_KIB must be at least 8 x ARGON2_PARALLELISM."


class ConfigError(ValueError):
    """The environment does not describe a configuration the app can run with."""


def normalise_database_url(raw: str) -> str:
    """Return `raw` as a SQLAlchemy URL for psycopg 3, accepting postgres:// and postgresql://."""
    try:
        url = make_url(raw.strip())
    except ArgumentError as exc:
        raise ConfigError(NOT_A_URL.format(exc)) from None
    backend, _, driver = url.drivername.partition("+")
    if backend not in {"postgres", "postgresql"}:
        raise ConfigError(NOT_POSTGRES.format(backend))
    if driver not in {"", "psycopg"}:
        raise ConfigError(NOT_PSYCOPG.format(driver))
    if not url.database:
        raise ConfigError(NO_DATABASE)
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def database_url_from_env() -> str:
    """Return the normalised DATABASE_URL alone (what the migrations need), or the default."""
    return normalise_database_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)


def _pooler(value: Any) -> Any:
    return (value.strip().lower() or "none") if isinstance(value, str) else value


def _unless_testing(default: int, *, cheap: int) -> Any:
    return Field(default_factory=lambda data: cheap if data.get("env") == "testing" else default)


AtLeastOne = Annotated[int, Field(ge=1)]
Stripped = BeforeValidator(lambda value: value.strip() if isinstance(value, str) else value)


# A field takes its own name, or its variable's: `DATABASE_URL` for `database_url`.
class Settings(BaseModel, frozen=True, validate_by_name=True, alias_generator=str.upper):
    """Everything the app reads from its environment (docs/deployment.md says what each does)."""

    env: Literal["development", "testing", "production"] = Field("development", alias="BLOG_ENV")
    database_url: Annotated[str, BeforeValidator(normalise_database_url)] = DEFAULT_DATABASE_URL
    secret_key: str = DEVELOPMENT_SECRET_KEY
    token_ttl_seconds: AtLeastOne = 3600
    # Argon2id: RFC 9106's second recommended option, or under testing as cheap as it can be.
    argon2_time_cost: AtLeastOne = _unless_testing(3, cheap=1)
    argon2_memory_cost_kib: Annotated[int, Field(ge=8)] = _unless_testing(65536, cheap=8)
    argon2_parallelism: AtLeastOne = _unless_testing(4, cheap=1)
    max_request_bytes: Annotated[int, Field(ge=1024)] = 1024 * 1024
    db_connect_timeout_seconds: AtLeastOne = 5
    db_statement_timeout_ms: AtLeastOne = 10_000
    # Off by default: a round trip before every request costs the light endpoints 15-25%.
    db_pool_pre_ping: Annotated[bool, Stripped] = False
    db_pooler: Annotated[Literal["none", "transaction"], BeforeValidator(_pooler)] = "none"
    password_hashes_at_once: AtLeastOne = 1
    sign_in_max_failures: AtLeastOne = 5
    sign_in_window_seconds: AtLeastOne = 900

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            if first["type"] == "value_error":  # a validator's ValueError, ConfigError or not
                raise ConfigError(str(first["ctx"]["error"])) from None
            name, value = first["loc"][0], first["input"]  # the variable, by its alias
            raise ConfigError(f"{name}: {first['msg']}, not {value!r}.") from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Self:
        """Build validated settings from environment variables."""
        return cls(**{name: value for name, value in environ.items() if value and name.isupper()})

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Self:
        if self.env == "production":
            if self.database_url == DEFAULT_DATABASE_URL:
                raise ConfigError(DATABASE_NOT_SET)
            if self.secret_key == DEVELOPMENT_SECRET_KEY:
                raise ConfigError(KEY_NOT_SET)
            if len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
                raise ConfigError(KEY_TOO_SHORT.format(MIN_SECRET_KEY_LENGTH))
        if self.argon2_memory_cost_kib < 8 * self.argon2_parallelism:
            raise ConfigError(ARGON2_MEMORY_SHORT)
        return self

    def flask_config(self) -> dict[str, Any]:
        """Return the Flask and Flask-SQLAlchemy configuration these settings imply."""
        connect_args: dict[str, Any] = {"connect_timeout": self.db_connect_timeout_seconds}
        if self.db_pooler == "transaction":
            # PgBouncer refuses a startup `options`, and prepared statements would clash on a
            # shared server connection: blog/db.py sets the timeout in every transaction.
            connect_args["prepare_threshold"] = None
        else:
            timeout = self.db_statement_timeout_ms
            connect_args["options"] = f"-c statement_timeout={timeout} -c timezone=UTC"
        engine = {"pool_pre_ping": self.db_pool_pre_ping, "connect_args": connect_args}
        return {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.env == "testing",
            "MAX_CONTENT_LENGTH": self.max_request_bytes,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine,
        }


def current_settings() -> Settings:
    """Return the settings of the app handling the current request or command."""
    return cast("Settings", current_app.extensions[EXTENSION_KEY])
