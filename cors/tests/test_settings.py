"""CORS_ORIGINS: off by default, a list of origins written as browsers send them, checked before
the app serves."""

from __future__ import annotations

import pytest

from blog import preflight
from blog.config import ConfigError
from cors import ANY_ORIGIN, NOT_AN_ORIGIN, NOT_AS_SENT, CorsSettings, create_app
from tests.helpers import whole


def test_cors_origins_are_off_by_default_and_read_as_a_list() -> None:
    listed = CorsSettings.from_env(
        {"CORS_ORIGINS": " https://app.example.com, http://localhost:5173 ,http://[::1]:8080,"}
    )

    assert CorsSettings.from_env({}).cors_origins == ()
    assert listed.cors_origins == (
        "https://app.example.com",
        "http://localhost:5173",
        "http://[::1]:8080",
    )


def test_cors_origins_must_be_listed() -> None:
    with pytest.raises(ConfigError, match=whole(ANY_ORIGIN)):
        CorsSettings.from_env({"CORS_ORIGINS": "*"})


@pytest.mark.parametrize(
    ("origin", "as_sent"),
    [
        ("https://app.example.com/", "https://app.example.com"),
        ("https://app.example.com/app", "https://app.example.com"),
        ("https://app.example.com?x=1", "https://app.example.com"),
        ("https://user@app.example.com", "https://app.example.com"),
        ("https://App.Example.com", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://app.example.com:80", "http://app.example.com"),
    ],
)
def test_cors_origins_must_be_written_as_browsers_send_them(origin: str, as_sent: str) -> None:
    with pytest.raises(ConfigError, match=whole(NOT_AS_SENT.format(origin, as_sent))):
        CorsSettings.from_env({"CORS_ORIGINS": origin})


@pytest.mark.parametrize(
    "origin",
    ["app.example.com", "ftp://app.example.com", "null", "https://app.example.com:99999"],
)
def test_cors_origins_must_be_http_or_https_origins(origin: str) -> None:
    with pytest.raises(ConfigError, match=whole(NOT_AN_ORIGIN.format(origin))):
        CorsSettings.from_env({"CORS_ORIGINS": origin})


def test_the_layers_check_says_what_is_wrong_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "*")

    assert preflight.main() == 0  # the core's check knows nothing of the setting
    assert preflight.main(CorsSettings) == preflight.CONFIG_ERROR
    assert capsys.readouterr().err == preflight.BAD_SETTINGS.format(ANY_ORIGIN) + "\n"


def test_the_layers_app_reads_the_origins_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://app.example.com")
    monkeypatch.setenv("BLOG_ENV", "testing")

    app = create_app()
    response = app.test_client().options(
        "/api/tags",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
    )

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
