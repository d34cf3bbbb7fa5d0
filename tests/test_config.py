"""Settings: what the environment may say, and what the app refuses to start with."""

from __future__ import annotations

import pytest

from blog import create_app, preflight
from blog.config import (
    DATABASE_NOT_SET,
    DEFAULT_DATABASE_URL,
    DEVELOPMENT_SECRET_KEY,
    KEY_NOT_SET,
    KEY_TOO_SHORT,
    MIN_SECRET_KEY_LENGTH,
    NO_DATABASE,
    NOT_A_URL,
    NOT_POSTGRES,
    NOT_PSYCOPG,
    ConfigError,
    Settings,
    normalise_database_url,
)
from tests.helpers import whole

STRONG_KEY = "k" * 40


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db:5432/blog", "postgresql+psycopg://u:p@db:5432/blog"),
        ("postgresql://u:p@db/blog", "postgresql+psycopg://u:p@db/blog"),
        ("postgresql+psycopg://u@db/blog", "postgresql+psycopg://u@db/blog"),
        ("  postgresql://db/blog  ", "postgresql+psycopg://db/blog"),
    ],
)
def test_postgres_urls_are_normalised_for_psycopg(raw: str, expected: str) -> None:
    assert normalise_database_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("sqlite:///blog.db", NOT_POSTGRES.format("sqlite")),
        ("mysql://db/blog", NOT_POSTGRES.format("mysql")),
        ("postgresql+psycopg2://db/blog", NOT_PSYCOPG.format("psycopg2")),
        ("postgresql://db", NO_DATABASE),
        ("not a url", NOT_A_URL),  # SQLAlchemy's reason after it
    ],
)
def test_other_urls_are_refused(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=whole(message)):
        normalise_database_url(raw)


def test_development_runs_with_defaults() -> None:
    settings = Settings.from_env({})

    assert settings.env == "development"
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.secret_key == DEVELOPMENT_SECRET_KEY


PRODUCTION = {"BLOG_ENV": "production", "DATABASE_URL": "postgresql://app@db.internal/blog"}


def test_production_refuses_the_default_secret_key() -> None:
    with pytest.raises(ConfigError, match=whole(KEY_NOT_SET)):
        Settings.from_env(PRODUCTION)


def test_production_refuses_a_short_secret_key() -> None:
    with pytest.raises(ConfigError, match=whole(KEY_TOO_SHORT.format(MIN_SECRET_KEY_LENGTH))):
        Settings.from_env(PRODUCTION | {"SECRET_KEY": "short"})


def test_production_refuses_to_guess_the_database() -> None:
    with pytest.raises(ConfigError, match=whole(DATABASE_NOT_SET)):
        Settings.from_env({"BLOG_ENV": "production", "SECRET_KEY": STRONG_KEY})


def test_the_preflight_says_what_is_wrong_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BLOG_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", PRODUCTION["DATABASE_URL"])

    status = preflight.main()

    assert status == preflight.CONFIG_ERROR == 2
    assert capsys.readouterr().err == preflight.BAD_SETTINGS.format(KEY_NOT_SET) + "\n"


def test_the_preflight_is_silent_when_the_settings_are_valid(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BLOG_ENV", "development")

    assert preflight.main() == 0
    assert capsys.readouterr() == ("", "")


def test_create_app_refuses_unsafe_settings_passed_in_directly() -> None:
    with pytest.raises(ConfigError, match=whole(KEY_NOT_SET)):
        create_app(Settings(env="production", database_url=PRODUCTION["DATABASE_URL"]))


def test_production_starts_with_a_real_secret_key() -> None:
    settings = Settings.from_env(PRODUCTION | {"SECRET_KEY": STRONG_KEY})

    assert settings.secret_key == STRONG_KEY
    assert create_app(settings).config["TESTING"] is False


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"BLOG_ENV": "staging"}, "BLOG_ENV"),
        ({"TOKEN_TTL_SECONDS": "soon"}, "TOKEN_TTL_SECONDS"),
        ({"TOKEN_TTL_SECONDS": "0"}, "TOKEN_TTL_SECONDS"),
        ({"ARGON2_PARALLELISM": "8", "ARGON2_MEMORY_COST_KIB": "16"}, "ARGON2_PARALLELISM"),
        ({"SIGN_IN_MAX_FAILURES": "0"}, "SIGN_IN_MAX_FAILURES"),
        ({"SIGN_IN_WINDOW_SECONDS": "soon"}, "SIGN_IN_WINDOW_SECONDS"),
        ({"DB_POOL_PRE_PING": "maybe"}, "DB_POOL_PRE_PING"),
    ],
)
def test_invalid_values_are_refused_with_the_variable_named(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as refused:
        Settings.from_env(environ)
    assert "\n" not in str(refused.value)  # one line, for the preflight to print


def test_testing_uses_a_cheap_password_hash() -> None:
    settings = Settings.from_env({"BLOG_ENV": "testing"})

    assert (settings.argon2_time_cost, settings.argon2_memory_cost_kib) == (1, 8)


def test_sign_in_throttling_defaults_and_settings() -> None:
    default = Settings.from_env({})
    chosen = Settings.from_env({"SIGN_IN_MAX_FAILURES": "10", "SIGN_IN_WINDOW_SECONDS": "60"})

    assert (default.sign_in_max_failures, default.sign_in_window_seconds) == (5, 900)
    assert (chosen.sign_in_max_failures, chosen.sign_in_window_seconds) == (10, 60)
