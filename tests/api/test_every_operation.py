"""What the API promises of every operation, checked on every operation in its OpenAPI document.

The operations are read from the document, which must list exactly what the app routes, so a
resource added or removed is checked, or no longer checked, without an edit here. Each test calls
an operation on a small world made for it by the factories: a signed-in user and, for every path
parameter (`{post_id}`), a row of theirs made by the parameter's maker in tests/factories.py
(`@makes("post_id")`). A body is the first example of the operation's request model, which
blog/schemas.py declares and the document shows; the examples speak as a user of the demo
layer's data, and the world's user has that name and password.

On that world every operation succeeds, signed in, with a status and the headers the document
gives it, and without a token it is refused with 401 exactly where the document requires one.
Someone else's token acts only for its own user: where the document lists a 403 the answer is
403, and nothing that belongs to the world's user changes. A query parameter the operation does
not take is refused with 422; a token that is sent but is not valid is refused with 401, even
where no token is needed, save by the operations that never read one (signing in and up, and
the health check); a body sent as anything but `application/json` is refused with 415.
Each refusal is RFC 9457 problem details and changes no row of any table of the models.
"""

from __future__ import annotations

import json
import re

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy import inspect
from werkzeug.test import TestResponse

from blog import create_app, headers
from blog.config import Settings
from blog.db import db
from blog.errors import INVALID_TOKEN, TOKEN_REQUIRED, ProblemType
from blog.framework import GIVEN_TWICE, NOT_TAKEN
from blog.models import User
from tests import rows
from tests.factories import MAKERS
from tests.helpers import assert_problem, auth_headers
from tests.inventory import (
    DOCUMENT,
    OPERATIONS,
    PATH_PARAMETERS,
    Operation,
    routed_operations,
)
from tests.world import World, assert_every_parameter_has_a_maker, someone_else

WITH_BODY = [operation for operation in OPERATIONS if operation.takes_a_body]
# Headers that come with any answer, whatever the operation.
# Headers of every answer, which the document leaves out: the body's, and the security headers.
ANY_ANSWER = {"Content-Type", "Content-Length", "Content-Security-Policy", *headers.ALWAYS}


def reads_authorization(app: APIFlask, operation: Operation) -> bool:
    """Say whether the operation's view reads the Authorization header at all (the views marked
    with blog.auth.ignores_authorization do not)."""
    (view,) = (v for v in app.view_functions.values() if v.__name__ == operation.operation_id)
    return not getattr(view, "ignores_authorization", False)


def succeeded(operation: Operation, response: TestResponse) -> None:
    """Check a successful answer: a documented status, with the headers documented for it."""
    assert response.status_code in {200, 201, 204}, response.get_data(as_text=True)
    assert operation.documents(response.status_code)
    documented = set(operation.spec["responses"][str(response.status_code)].get("headers", {}))
    assert set(response.headers.keys()) - ANY_ANSWER == documented


def test_every_operation_is_checked(app: APIFlask) -> None:
    checked = {(operation.method, operation.path) for operation in OPERATIONS}

    assert checked
    assert checked == routed_operations(app)


def test_the_document_is_built_without_a_database() -> None:
    nowhere = Settings(env="testing", database_url="postgresql+psycopg://postgres@127.0.0.1:1/x")

    assert create_app(nowhere).spec == DOCUMENT


def test_every_path_parameter_has_a_maker_and_every_maker_a_parameter() -> None:
    assert PATH_PARAMETERS
    assert_every_parameter_has_a_maker()
    unused = sorted(set(MAKERS) - set(PATH_PARAMETERS))
    assert not unused, f"tests/factories.py has a maker (@makes) for {unused}, which no path has"


def test_every_operation_with_a_body_is_checked() -> None:
    # Each request model declares an example, and the document carries it.
    assert WITH_BODY
    for operation in WITH_BODY:
        assert isinstance(operation.example(), dict), operation


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_every_operation_succeeds_on_the_world_with_its_body(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    response = world.call(client, operation, headers=world.headers, json=operation.example())

    succeeded(operation, response)


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_without_a_token_only_what_needs_one_is_a_401(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    before = rows.everything()

    response = world.call(client, operation, json=operation.example())

    if operation.needs_a_token:
        assert_problem(response, 401, TOKEN_REQUIRED)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert rows.everything() == before
    else:
        succeeded(operation, response)


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_someone_elses_token_acts_only_for_its_user(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    caller = someone_else()
    # Rows that lead to both users, where the models link a user to a user (a follow, while
    # there is one), so that the check below meets rows the caller may change for their own part.
    for relationship in inspect(User).relationships:
        if relationship.mapper.class_ is User and relationship.uselist:
            getattr(world.user, relationship.key).append(caller)
    db.session.flush()
    before = rows.everything()

    response = world.call(client, operation, headers=auth_headers(caller), json=operation.example())

    # Where the path names a thing of the world's user, and the document says that it may refuse
    # someone else, it does.
    if operation.path_parameters and operation.documents(403):
        assert_problem(response, 403)
    else:
        succeeded(operation, response)
    # What leads to the world's user and not to the caller: their rows, their posts' links,
    # everyone's comments on their posts, their links to other users.
    after = rows.everything()
    theirs_before = rows.reached_from(world.user.id, before)
    callers_before = rows.reached_from(caller.id, before)
    theirs_after = rows.reached_from(world.user.id, after)
    callers_after = rows.reached_from(caller.id, after)
    assert {t: theirs_after[t] - callers_after[t] for t in after} == {
        t: theirs_before[t] - callers_before[t] for t in before
    }


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_an_unknown_query_parameter_is_a_422(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    before = rows.everything()

    response = world.call(
        client, operation, "?per_pgae=5", headers=world.headers, json=operation.example()
    )

    body = assert_problem(response, 422)
    assert {"parameter": "per_pgae", "detail": NOT_TAKEN} in body["errors"]
    assert rows.everything() == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_a_query_parameter_given_twice_is_a_422(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    taken = [p["name"] for p in operation.spec.get("parameters", []) if p["in"] == "query"]
    name = taken[0] if taken else "page"
    before = rows.everything()

    response = world.call(
        client, operation, f"?{name}=1&{name}=2", headers=world.headers, json=operation.example()
    )

    body = assert_problem(response, 422)
    assert body["errors"] == [{"parameter": name, "detail": GIVEN_TWICE}]
    assert rows.everything() == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
@pytest.mark.parametrize(
    ("authorization", "answer"),
    [
        # RFC 6750, section 3: an error code only where a bearer token came and is not valid.
        (
            "Bearer not-a-token",
            (INVALID_TOKEN, r'Bearer error="invalid_token", error_description="[^"]+"'),
        ),
        ("Bearer ", (TOKEN_REQUIRED, "Bearer")),
        ("Basic b3duZXI6eA==", (TOKEN_REQUIRED, "Bearer")),
    ],
)
def test_a_token_that_is_not_valid_is_a_401_wherever_it_is_read(
    client: FlaskClient,
    world: World,
    operation: Operation,
    authorization: str,
    answer: tuple[ProblemType, str],
) -> None:
    kind, challenge = answer
    before = rows.everything()

    response = world.call(
        client, operation, headers={"Authorization": authorization}, json=operation.example()
    )

    if reads_authorization(client.application, operation):  # type: ignore[arg-type]
        assert_problem(response, 401, kind)
        assert re.fullmatch(challenge, response.headers["WWW-Authenticate"])
        assert rows.everything() == before
    else:
        # Signing in, signing up and the health check: public, and deaf to the header.
        assert operation.spec["security"] == []
        succeeded(operation, response)


@pytest.mark.parametrize("operation", WITH_BODY, ids=str)
@pytest.mark.parametrize(
    "content_type", ["application/merge-patch+json", "application/problem+json", "text/json"]
)
def test_a_body_in_another_json_type_is_a_415(
    client: FlaskClient, world: World, operation: Operation, content_type: str
) -> None:
    before = rows.everything()

    response = world.call(
        client,
        operation,
        headers=world.headers,
        data=json.dumps(operation.example()),
        content_type=content_type,
    )

    assert "application/json" in assert_problem(response, 415)["detail"]
    assert rows.everything() == before


@pytest.mark.parametrize("operation", WITH_BODY, ids=str)
def test_json_with_a_charset_is_json(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    response = world.call(
        client,
        operation,
        headers=world.headers,
        data=json.dumps(operation.example()),
        content_type="application/json; charset=utf-8",
    )

    succeeded(operation, response)
