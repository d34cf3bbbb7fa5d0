"""The problem types: each kind of error has a `type` a client can switch on, a page at that URI,
and RFC 9110's name for its status as `title`; a 401 challenges as RFC 6750 says.

The kinds are read from blog/errors.py (`PROBLEM_TYPES`). Each has a probe here, a real request
that gets it (`@probe("not-found")`); a kind added without one, or a probe left after its kind
is gone, fails by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import jwt
import pytest
from apiflask import HTTPError
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select
from werkzeug import exceptions as http
from werkzeug.test import TestResponse

from blog import create_app
from blog.api.comments import MAX_COMMENTS_PER_POST
from blog.auth import HASHING_SLOTS, TOKEN_ALGORITHM, issue_token
from blog.config import Settings, current_settings
from blog.db import db, utcnow
from blog.errors import (
    INVALID_TOKEN,
    PROBLEM_TYPES,
    TOKEN_REQUIRED,
    WRONG_CREDENTIALS,
    Unauthorized,
)
from blog.models import Comment, User
from tests.factories import PASSWORD, PostFactory, UserFactory
from tests.helpers import assert_problem, auth_headers
from tests.inventory import SCHEMAS

API_PAGE = Path(__file__).parents[2] / "docs" / "api.md"
# The names RFC 9110 (section 15) gives the 4xx and 5xx statuses, and RFC 6585 gives 428-431.
STANDARD_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    417: "Expectation Failed",
    421: "Misdirected Request",
    422: "Unprocessable Content",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}

Probe = Callable[[FlaskClient, Settings], TestResponse]
PROBES: dict[str, Probe] = {}


def probe(name: str) -> Callable[[Probe], Probe]:
    """Register the request that gets the problem type `name`."""

    def register(send: Probe) -> Probe:
        PROBES[name] = send
        return send

    return register


def answer_of_a_failing_route(settings: Settings, error: Exception) -> TestResponse:
    """Return the answer of a new app to a route, `GET /failing`, that raises `error`."""
    app = create_app(settings)

    @app.get("/failing")
    def failing() -> None:
        raise error

    response = app.test_client().get("/failing")
    with app.app_context():
        db.engine.dispose()
    return response


@probe("malformed-request")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    return client.post(
        "/api/posts",
        data='{"title": ',
        content_type="application/json",
        headers=auth_headers(UserFactory()),
    )


@probe("token-required")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    return client.get("/api/users/me")


@probe("invalid-token")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    return client.get("/api/tags", headers={"Authorization": "Bearer not-a-token"})


@probe("wrong-credentials")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    user = UserFactory()
    return client.post("/api/tokens", json={"username": user.username, "password": "wrong-one"})


@probe("not-yours")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    post = PostFactory()
    return client.delete(f"/api/posts/{post.id}", headers=auth_headers(UserFactory()))


@probe("wrong-password")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    body = {"current_password": "wrong-one", "email": "new@example.com"}
    return client.patch("/api/users/me", json=body, headers=auth_headers(UserFactory()))


@probe("not-found")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    return client.get("/api/posts/2147483647")


@probe("method-not-allowed")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    return client.put("/api/posts")


@probe("conflict")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    taken = UserFactory()
    body = {"username": taken.username.upper(), "email": "new@example.com", "password": PASSWORD}
    return client.post("/api/users", json=body)


@probe("comments-full")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    post, user = PostFactory(), UserFactory()
    many = [{"body": "b", "post_id": post.id, "author_id": user.id}] * MAX_COMMENTS_PER_POST
    db.session.execute(insert(Comment), many)
    db.session.commit()
    return client.post(
        f"/api/posts/{post.id}/comments", json={"body": "One more"}, headers=auth_headers(user)
    )


@probe("precondition-failed")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    post = PostFactory()
    headers = auth_headers(post.author) | {"If-Match": f'"{post.version + 1}"'}
    return client.patch(f"/api/posts/{post.id}", json={"title": "New"}, headers=headers)


@probe("content-too-large")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    huge = '{"title": "t", "body": "' + "x" * settings.max_request_bytes + '"}'
    headers = auth_headers(UserFactory())
    return client.post("/api/posts", data=huge, content_type="application/json", headers=headers)


@probe("uri-too-long")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    return client.get("/api/tags?tag=" + "a" * 5000)


@probe("unsupported-media-type")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    headers = auth_headers(UserFactory())
    body = '{"title": "t", "body": "b"}'
    return client.post("/api/posts", data=body, content_type="text/plain", headers=headers)


@probe("invalid-input")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    return client.get("/api/posts?per_page=0")


@probe("too-many-attempts")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    user = UserFactory()
    wrong = {"username": user.username, "password": "wrong-one"}
    for _ in range(settings.sign_in_max_failures):
        client.post("/api/tokens", json=wrong)
    return client.post("/api/tokens", json=wrong)


@probe("passwords-busy")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    # Another worker's connection, holding every hashing slot.
    with db.session.get_bind().engine.connect() as other:
        for slot in range(settings.password_hashes_at_once):
            other.execute(select(func.pg_advisory_lock(HASHING_SLOTS, slot)))
        try:
            return client.post("/api/tokens", json={"username": "alice", "password": "x"})
        finally:
            other.execute(select(func.pg_advisory_unlock_all()))


@probe("headers-too-large")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    return client.get("/api/tags", headers={"X-A": "a" * 5000, "X-B": "b" * 5000})


@probe("internal-error")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    # No request to the API as it is gets a 500: this is the answer to a bug in a view.
    return answer_of_a_failing_route(settings, RuntimeError("a bug"))


@probe("database-unavailable")
def _(client: FlaskClient, settings: Settings) -> TestResponse:
    nowhere = settings.model_copy(
        update={"database_url": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"}
    )
    return create_app(nowhere).test_client().get("/healthz")


def test_every_problem_type_has_a_probe_and_every_probe_a_type() -> None:
    assert PROBLEM_TYPES
    assert sorted(set(PROBLEM_TYPES) - set(PROBES)) == [], "problem types without a @probe"
    assert sorted(set(PROBES) - set(PROBLEM_TYPES)) == [], "probes of no problem type"


@pytest.mark.parametrize("name", PROBLEM_TYPES)
def test_each_problem_type_is_answered_to_a_real_request_and_its_uri_is_its_page(
    client: FlaskClient, settings: Settings, name: str
) -> None:
    kind = PROBLEM_TYPES[name]

    response = PROBES[name](client, settings)

    body = assert_problem(response, kind.status, kind)
    # A relative reference: resolved against the request's URL, it is a page of the same app.
    page_url = urljoin(response.request.url, body["type"])
    assert urlsplit(page_url).netloc == urlsplit(response.request.url).netloc
    page = client.get(urlsplit(page_url).path)
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert f"<h1>{kind.title}</h1>" in page.get_data(as_text=True)


@pytest.mark.parametrize("name", PROBLEM_TYPES)
def test_each_problem_type_is_documented_on_the_api_page_and_in_the_document(name: str) -> None:
    uri = PROBLEM_TYPES[name].uri

    assert f"`{uri}`" in API_PAGE.read_text()
    assert f"`{uri}`" in SCHEMAS["Problem"]["properties"]["type"]["description"]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_malformed_if_none_match_on_a_write_is_a_malformed_request(
    client: FlaskClient, method: str
) -> None:
    post = PostFactory()
    headers = auth_headers(post.author) | {"If-None-Match": "not-a-tag"}

    response = client.open(
        f"/api/posts/{post.id}", method=method, json={"title": "New"}, headers=headers
    )

    assert_problem(response, 400, PROBLEM_TYPES["malformed-request"])


def test_the_titles_are_the_standards_names_of_the_statuses() -> None:
    assert {name: kind.title for name, kind in PROBLEM_TYPES.items()} == {
        name: STANDARD_TITLES[kind.status] for name, kind in PROBLEM_TYPES.items()
    }


def test_each_problem_type_has_a_name_of_its_own_that_stays_in_its_uri() -> None:
    uris = [kind.uri for kind in PROBLEM_TYPES.values()]

    assert len(set(uris)) == len(uris)
    assert all(re.fullmatch(r"/[a-z/]+/[a-z]+(-[a-z]+)*", uri) for uri in uris)


def test_a_status_without_a_problem_type_is_about_blank_with_its_standard_title(
    settings: Settings,
) -> None:
    response = answer_of_a_failing_route(settings, http.RequestedRangeNotSatisfiable())

    assert response.status_code == 416
    assert response.get_json()["type"] == "about:blank"
    assert response.get_json()["title"] == STANDARD_TITLES[416]


def test_apiflasks_own_http_error_is_a_problem_with_its_headers(settings: Settings) -> None:
    # What apiflask.abort() raises, and APIFlask's validation of an input location of its own.
    error = HTTPError(409, "The view gave up.", headers={"Retry-After": "3"})
    response = answer_of_a_failing_route(settings, error)

    assert assert_problem(response, 409)["detail"] == "The view gave up."
    assert response.headers["Retry-After"] == "3"


def test_a_problem_types_page_runs_no_request_hook_and_needs_no_database(
    settings: Settings,
) -> None:
    nowhere = settings.model_copy(
        update={"database_url": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"}
    )
    uri = next(iter(PROBLEM_TYPES.values())).uri

    response = (
        create_app(nowhere)
        .test_client()
        .get(uri + "?unknown=1", headers={"Authorization": "Bearer not-a-token"})
    )

    assert response.status_code == 200


def test_only_a_problem_types_name_is_a_page(client: FlaskClient) -> None:
    uri = next(iter(PROBLEM_TYPES.values())).uri

    assert_problem(client.get(uri + "-or-not"), 404)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        refused = client.open(uri, method=method)
        assert_problem(refused, 405)
        assert set(refused.headers["Allow"].split(", ")) == {"GET", "HEAD"}
    assert client.head(uri).status_code == 200
    assert client.head(uri).get_data() == b""


# RFC 6750, section 3: a 401 challenges with `Bearer`; where the request carried a bearer token
# that is not valid, with error="invalid_token" and a description. Without one, no error code.
CHALLENGE = re.compile(r'Bearer error="invalid_token", error_description="([^"\\]*)"')


def test_a_missing_token_is_challenged_without_an_error_code(client: FlaskClient) -> None:
    response = client.get("/api/users/me")

    assert_problem(response, 401, TOKEN_REQUIRED)
    assert response.headers.getlist("WWW-Authenticate") == ["Bearer"]


@pytest.mark.parametrize("authorization", ["Basic YWxpY2U6cGFzc3dvcmQ=", "Bearer ", "Bearer"])
@pytest.mark.parametrize("path", ["/api/users/me", "/api/tags"])
def test_a_header_with_no_bearer_token_is_challenged_without_an_error_code(
    client: FlaskClient, authorization: str, path: str
) -> None:
    response = client.get(path, headers={"Authorization": authorization})

    assert_problem(response, 401, TOKEN_REQUIRED)
    assert response.headers.getlist("WWW-Authenticate") == ["Bearer"]


def expired(user: User) -> str:
    past = utcnow() - timedelta(hours=2)
    claims = {"sub": str(user.id), "ver": 0, "iat": past, "exp": past + timedelta(hours=1)}
    return jwt.encode(claims, current_settings().secret_key, algorithm=TOKEN_ALGORITHM)


def revoked(user: User) -> str:
    token, _ = issue_token(user)
    user.token_version += 1  # what changing the password does
    db.session.flush()
    return token


def of_a_deleted_user(user: User) -> str:
    token, _ = issue_token(user)
    db.session.delete(user)
    db.session.flush()
    return token


def malformed(user: User) -> str:
    return "not-a-token"


@pytest.mark.parametrize("make_token", [expired, revoked, of_a_deleted_user, malformed])
@pytest.mark.parametrize("path", ["/api/users/me", "/api/posts", "/api/tags"])
def test_a_bearer_token_that_is_not_valid_is_challenged_with_invalid_token(
    client: FlaskClient, make_token: Callable[[User], str], path: str
) -> None:
    # A path that needs a token, one that takes it if sent, and one that needs none.
    token = make_token(UserFactory())

    response = client.get(path, headers={"Authorization": f"Bearer {token}"})

    body = assert_problem(response, 401, INVALID_TOKEN)
    [challenge] = response.headers.getlist("WWW-Authenticate")
    described = CHALLENGE.fullmatch(challenge)
    assert described is not None, challenge
    assert described.group(1) == body["detail"]


def test_wrong_credentials_are_not_a_token_problem(client: FlaskClient) -> None:
    user = UserFactory()

    response = client.post("/api/tokens", json={"username": user.username, "password": "nope"})

    assert_problem(response, 401, WRONG_CREDENTIALS)
    assert response.headers.getlist("WWW-Authenticate") == ["Bearer"]


def test_an_error_description_keeps_to_the_characters_rfc_6750_allows() -> None:
    refused = Unauthorized('A "quoted" \\ détail\n, tab\t.')

    [challenge] = [value for name, value in refused.get_headers() if name == "WWW-Authenticate"]

    assert challenge == 'Bearer error="invalid_token", error_description="A quoted  dtail, tab."'
