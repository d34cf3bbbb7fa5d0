"""Cross-origin requests: off by default; with CORS_ORIGINS, for the listed origins only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog.config import Settings
from blog.db import db
from blog.errors import Unauthorized
from cors import CorsSettings, create_app
from tests.helpers import assert_problem

LISTED = "https://app.example.com"
ALSO_LISTED = "http://localhost:5173"
PREFLIGHT = {
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "authorization, content-type, if-match",
}


def with_origins(settings: Settings, *origins: str) -> CorsSettings:
    return CorsSettings(**settings.model_dump(), cors_origins=origins)


@pytest.fixture(scope="module")
def cors_app(settings: Settings) -> Iterator[APIFlask]:
    app = create_app(with_origins(settings, LISTED, ALSO_LISTED))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def cors_client(cors_app: APIFlask) -> FlaskClient:
    return cors_app.test_client()


@pytest.fixture(scope="module")
def default_app(settings: Settings) -> Iterator[APIFlask]:
    app = create_app(with_origins(settings))
    yield app
    with app.app_context():
        db.engine.dispose()


def cors_headers(response: TestResponse) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-")
    }


def preflight(client: FlaskClient, path: str, origin: str) -> TestResponse:
    return client.options(path, headers={"Origin": origin} | PREFLIGHT)


@pytest.mark.parametrize("path", ["/api/users/me", "/api/posts/1", "/api/tokens"])
def test_by_default_a_preflight_gets_no_cors_headers(default_app: APIFlask, path: str) -> None:
    response = preflight(default_app.test_client(), path, LISTED)

    # What Flask answers any OPTIONS: no token needed, no problem, and nothing a browser
    # would take as permission.
    assert response.status_code == 200
    assert response.get_data() == b""
    assert "OPTIONS" in response.headers["Allow"]
    assert cors_headers(response) == {}
    assert "Origin" not in response.vary


def test_by_default_answers_carry_no_cors_headers(default_app: APIFlask) -> None:
    response = default_app.test_client().get("/api/tags", headers={"Origin": LISTED})

    assert response.status_code == 200
    assert cors_headers(response) == {}


@pytest.mark.parametrize("origin", [LISTED, ALSO_LISTED])
@pytest.mark.parametrize("path", ["/api/users/me", "/api/posts/1", "/api/tokens"])
def test_a_listed_origin_gets_its_preflight_answered(
    cors_client: FlaskClient, origin: str, path: str
) -> None:
    response = preflight(cors_client, path, origin)

    assert response.status_code == 204
    assert response.get_data() == b""
    headers = cors_headers(response)
    assert headers["Access-Control-Allow-Origin"] == origin
    methods = {method.strip() for method in headers["Access-Control-Allow-Methods"].split(",")}
    assert methods >= {"GET", "POST", "PUT", "PATCH", "DELETE"}
    allowed = {name.strip() for name in headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed >= {"Authorization", "Content-Type", "If-Match", "If-None-Match"}
    assert int(headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in headers
    assert "Origin" in response.vary


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://app.example.com",  # another scheme
        "https://app.example.com:8443",  # another port
        "https://app.example.com.evil.example",
        "https://APP.example.com",
        "null",
    ],
)
def test_an_unlisted_origin_gets_no_cors_headers(cors_client: FlaskClient, origin: str) -> None:
    refused_preflight = preflight(cors_client, "/api/posts/1", origin)
    answer = cors_client.get("/api/tags", headers={"Origin": origin})

    assert refused_preflight.status_code == 200
    for response in (refused_preflight, answer):
        assert cors_headers(response) == {}
        assert "Origin" in response.vary


def test_answers_to_a_listed_origin_let_the_page_read_them(cors_client: FlaskClient) -> None:
    ok = cors_client.get("/api/tags", headers={"Origin": LISTED})
    error = cors_client.get("/api/users/me", headers={"Origin": LISTED})

    assert ok.status_code == 200
    assert_problem(error, 401)
    for response in (ok, error):
        headers = cors_headers(response)
        assert headers["Access-Control-Allow-Origin"] == LISTED
        exposed = {name.strip() for name in headers["Access-Control-Expose-Headers"].split(",")}
        assert exposed >= {"ETag", "Location", "Retry-After"}
        assert "Origin" in response.vary


def test_a_request_without_origin_gets_no_cors_headers(cors_client: FlaskClient) -> None:
    response = cors_client.get("/api/tags")

    assert cors_headers(response) == {}
    assert "Origin" in response.vary


def test_a_preflight_for_an_unknown_route_is_a_404(cors_client: FlaskClient) -> None:
    response = preflight(cors_client, "/api/nothing-here", LISTED)

    assert_problem(response, 404)
    assert response.headers["Access-Control-Allow-Origin"] == LISTED


def test_a_preflight_is_answered_before_any_other_request_hook(settings: Settings) -> None:
    app = create_app(with_origins(settings, LISTED))

    def refuse_everything() -> None:
        raise Unauthorized("A check that every real request must pass.")

    # As a check on every operation would be: registered after create_app() installed CORS.
    app.before_request(refuse_everything)
    client = app.test_client()

    try:
        answered = preflight(client, "/api/posts/1", LISTED)
        checked = client.get("/api/tags", headers={"Origin": LISTED})
    finally:
        with app.app_context():
            db.engine.dispose()

    assert answered.status_code == 204
    assert_problem(checked, 401)


def test_a_preflight_is_answered_before_the_cores_request_hooks(cors_client: FlaskClient) -> None:
    # The core refuses a query parameter the operation does not take, in a request hook.
    refused = cors_client.get("/api/users/me?page=2", headers={"Origin": LISTED})
    answered = preflight(cors_client, "/api/users/me?page=2", LISTED)

    assert_problem(refused, 422)
    assert answered.status_code == 204


def test_an_answer_a_later_hook_makes_anew_names_the_origin_too(cors_client: FlaskClient) -> None:
    # The core answers If-None-Match: * on a resource without an entity-tag with a new 304,
    # made by an after-request hook: the CORS headers are added after it.
    response = cors_client.get("/api/tags", headers={"Origin": LISTED, "If-None-Match": "*"})

    assert response.status_code == 304
    assert response.headers["Access-Control-Allow-Origin"] == LISTED
    assert "Origin" in response.vary
