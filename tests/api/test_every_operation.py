"""What the API promises of every operation, checked on every operation in its OpenAPI document.

A query parameter the operation does not take is refused with 422; a token that is sent but is
not valid is refused with 401, even where no token is needed; a body sent as anything but
`application/json` is refused with 415. Each refusal is RFC 9457 problem details and changes
nothing in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog import create_app
from blog.config import Settings
from tests import rows
from tests.factories import PASSWORD, CommentFactory, PostFactory, TagFactory, UserFactory
from tests.helpers import assert_problem, auth_headers

# The operations, read from a throwaway app: building the document needs no database.
DOCUMENT: dict[str, Any] = create_app(Settings(env="testing")).spec  # type: ignore[assignment]


@dataclass(frozen=True)
class Operation:
    """One operation of the document: its method, its path and what the document says of it."""

    method: str
    path: str
    spec: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


OPERATIONS = [
    Operation(method.upper(), path, spec)
    for path, operations in DOCUMENT["paths"].items()
    for method, spec in operations.items()
]
TABLES = ("users", "profiles", "posts", "tags", "post_tags", "comments", "likes", "follows")
# A body each operation with one would accept.
BODIES = {
    "create_user": {"username": "newcomer", "email": "new@example.com", "password": "long-enough"},
    "create_token": {"username": "owner", "password": PASSWORD},
    "update_me": {"email": "changed@example.com", "current_password": PASSWORD},
    "update_my_profile": {"bio": "Changed"},
    "create_post": {"title": "T", "body": "B"},
    "update_post": {"title": "Changed"},
    "create_comment": {"body": "C"},
}


@dataclass
class World:
    """Rows for every path parameter to name, owned by the user whose token is sent."""

    headers: dict[str, str]
    parameters: dict[str, str]

    def call(
        self, client: FlaskClient, operation: Operation, query: str = "", **kwargs: Any
    ) -> TestResponse:
        url = operation.path.format(**self.parameters) + query
        return client.open(url, method=operation.method, **kwargs)


@pytest.fixture
def world() -> World:
    owner = UserFactory(username="owner")
    other = UserFactory(username="other")
    post = PostFactory(author=owner, tags=[TagFactory(name="python")])
    comment = CommentFactory(post=post, author=owner)
    return World(
        headers=auth_headers(owner),
        parameters={
            "username": other.username,
            "post_id": str(post.id),
            "comment_id": str(comment.id),
            "name": "python",
        },
    )


def counts() -> dict[str, int]:
    return {table: rows.count(table) for table in TABLES}


def ids(value: Any) -> str:
    return f"{value[0]} {value[1]}" if isinstance(value, tuple) else str(value)


def test_every_operation_is_checked() -> None:
    assert len(OPERATIONS) == 27


def test_the_document_is_built_without_a_database() -> None:
    nowhere = Settings(env="testing", database_url="postgresql+psycopg://postgres@127.0.0.1:1/x")

    assert create_app(nowhere).spec == DOCUMENT


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_every_operation_succeeds_on_the_world_with_its_body(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    response = world.call(
        client, operation, headers=world.headers, json=BODIES.get(operation.spec["operationId"])
    )

    assert response.status_code in {200, 201, 204}, response.get_data(as_text=True)


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_an_unknown_query_parameter_is_a_422(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    before = counts()

    response = world.call(
        client,
        operation,
        "?per_pgae=5",
        headers=world.headers,
        json=BODIES.get(operation.spec["operationId"]),
    )

    body = assert_problem(response, 422)
    assert {"parameter": "per_pgae", "detail": "Extra inputs are not permitted"} in body["errors"]
    assert counts() == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Bearer ", "Basic b3duZXI6eA=="])
def test_a_token_that_is_not_valid_is_a_401_wherever_it_is_sent(
    client: FlaskClient, world: World, operation: Operation, authorization: str
) -> None:
    before = counts()

    response = world.call(
        client,
        operation,
        headers={"Authorization": authorization},
        json=BODIES.get(operation.spec["operationId"]),
    )

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert counts() == before


WITH_BODY = [operation for operation in OPERATIONS if "requestBody" in operation.spec]


@pytest.mark.parametrize("operation", WITH_BODY, ids=str)
@pytest.mark.parametrize(
    "content_type", ["application/merge-patch+json", "application/problem+json", "text/json"]
)
def test_a_body_in_another_json_type_is_a_415(
    client: FlaskClient, world: World, operation: Operation, content_type: str
) -> None:
    before = counts()

    response = world.call(
        client,
        operation,
        headers=world.headers,
        data='{"title": "T", "body": "B"}',
        content_type=content_type,
    )

    assert "application/json" in assert_problem(response, 415)["detail"]
    assert counts() == before


def test_every_operation_with_a_body_is_checked() -> None:
    assert {operation.spec["operationId"] for operation in WITH_BODY} == set(BODIES)


def test_json_with_a_charset_is_json(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/posts",
        data='{"title": "T", "body": "B"}',
        content_type="application/json; charset=utf-8",
        headers=world.headers,
    )

    assert response.status_code == 201
