"""Every limit at its edge: the documented maximum, as a client sends it, is accepted, and one
more character (or item) is a 422 that points at the field, never a 500.

The limits are the ones the OpenAPI document states (`maxLength`, `maxItems`, `maximum`), read
from it here, so the document and the server cannot drift apart unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog import create_app
from blog.config import Settings
from blog.models import User
from tests.factories import PASSWORD, PostFactory, UserFactory
from tests.helpers import assert_problem, auth_headers, pointers

DOCUMENT: dict[str, Any] = create_app(Settings(env="testing")).spec  # type: ignore[assignment]
SCHEMAS = DOCUMENT["components"]["schemas"]


def documented(schema: str, field: str, keyword: str) -> int:
    """Return a limit the document states for a field of a request model."""
    definition = SCHEMAS[schema]["properties"][field]
    for option in [definition, *definition.get("anyOf", [])]:
        if keyword in option:
            return int(option[keyword])
    if "items" in definition and keyword in definition["items"]:
        return int(definition["items"][keyword])
    raise KeyError(f"{schema}.{field} states no {keyword}")


def email(length: int) -> str:
    # A domain of three labels (63 + 63 + 61 characters) and a local part for the rest.
    domain = f"{'b' * 63}.{'b' * 63}.{'c' * 61}"
    return "a" * (length - 1 - len(domain)) + "@" + domain


def url(length: int) -> str:
    start = "https://example.com/"
    return start + "a" * (length - len(start))


Send = Callable[[FlaskClient, User, Any], TestResponse]


@dataclass
class Limit:
    """A field, how to fill it to a given size, and how to send it."""

    name: str
    schema: str
    field: str
    fill: Callable[[int], Any]
    send: Send
    keyword: str = "maxLength"


def sign_up(field: str) -> Send:
    def send(client: FlaskClient, user: User, value: Any) -> TestResponse:
        body = {"username": "edge", "email": "edge@example.com", "password": "long-enough"}
        return client.post("/api/users", json=body | {field: value})

    return send


def profile(field: str) -> Send:
    def send(client: FlaskClient, user: User, value: Any) -> TestResponse:
        return client.patch(
            "/api/users/me/profile", json={field: value}, headers=auth_headers(user)
        )

    return send


def post(field: str) -> Send:
    def send(client: FlaskClient, user: User, value: Any) -> TestResponse:
        body = {"title": "T", "body": "B"} | {field: value}
        return client.post("/api/posts", json=body, headers=auth_headers(user))

    return send


def comment(client: FlaskClient, user: User, value: Any) -> TestResponse:
    target = PostFactory()
    return client.post(
        f"/api/posts/{target.id}/comments", json={"body": value}, headers=auth_headers(user)
    )


def sign_in(field: str) -> Send:
    def send(client: FlaskClient, user: User, value: Any) -> TestResponse:
        body = {"username": user.username, "password": PASSWORD} | {field: value}
        return client.post("/api/tokens", json=body)

    return send


LIMITS = [
    Limit("username", "UserCreate", "username", lambda n: "u" * n, sign_up("username")),
    Limit("email", "UserCreate", "email", email, sign_up("email")),
    Limit("password", "UserCreate", "password", lambda n: "p" * n, sign_up("password")),
    Limit("bio", "ProfileUpdate", "bio", lambda n: "b" * n, profile("bio")),
    Limit("website", "ProfileUpdate", "website", url, profile("website")),
    Limit("avatar_url", "ProfileUpdate", "avatar_url", url, profile("avatar_url")),
    Limit("title", "PostCreate", "title", lambda n: "t" * n, post("title")),
    Limit("post body", "PostCreate", "body", lambda n: "b" * n, post("body")),
    Limit("tag name", "PostCreate", "tags", lambda n: ["t" * n], post("tags")),
    Limit(
        "tags per post",
        "PostCreate",
        "tags",
        lambda n: [f"t{i}" for i in range(n)],
        post("tags"),
        keyword="maxItems",
    ),
    Limit("comment", "CommentCreate", "body", lambda n: "c" * n, comment),
    Limit("sign-in name", "TokenRequest", "username", lambda n: "u" * n, sign_in("username")),
    Limit("sign-in password", "TokenRequest", "password", lambda n: "p" * n, sign_in("password")),
]


@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: limit.name)
def test_the_documented_maximum_is_accepted(client: FlaskClient, limit: Limit) -> None:
    size = documented(limit.schema, limit.field, limit.keyword)

    response = limit.send(client, UserFactory(), limit.fill(size))

    # Signing in with a name or password nobody has is refused as credentials, not as input.
    expected = {401} if limit.schema == "TokenRequest" else {200, 201}
    assert response.status_code in expected, response.get_data(as_text=True)


@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: limit.name)
def test_one_more_is_a_422_on_the_field(client: FlaskClient, limit: Limit) -> None:
    size = documented(limit.schema, limit.field, limit.keyword)

    response = limit.send(client, UserFactory(), limit.fill(size + 1))

    assert pointers(assert_problem(response, 422))[0].startswith(f"/{limit.field}")


@pytest.mark.parametrize(
    ("parameter", "keyword"),
    [("per_page", "maximum"), ("page", "maximum"), ("tag", "maxLength"), ("author", "maxLength")],
)
def test_query_parameters_at_their_edge(client: FlaskClient, parameter: str, keyword: str) -> None:
    schema = next(
        p["schema"]
        for p in DOCUMENT["paths"]["/api/posts"]["get"]["parameters"]
        if p["name"] == parameter
    )
    size = int(schema[keyword])

    def value(n: int) -> str:
        return str(n) if keyword == "maximum" else "a" * n

    accepted = client.get(f"/api/posts?{parameter}={value(size)}")
    refused = client.get(f"/api/posts?{parameter}={value(size + 1)}")

    assert accepted.status_code == 200
    assert assert_problem(refused, 422)["errors"][0]["parameter"] == parameter
