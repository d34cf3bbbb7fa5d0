"""Conditional requests to the resources without entity-tags: every operation but the post views
that evaluate If-Match and If-None-Match themselves (tests/api/test_posts.py checks those).

Such a resource, once its route matched, is taken to exist and has no entity-tag: an If-Match
other than `*` is false, so the method is not performed (412); `If-None-Match: *` is false too
(304 to a read, 412 to anything else). But a 401, 403 or 404 the request meets without its
conditions comes first (RFC 9110, section 13.2.1). The operations are read from the OpenAPI
document, and which of them evaluate conditions themselves from the app.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from blog import create_app
from blog.config import Settings
from blog.db import MAX_ID
from blog.errors import PROBLEM_TYPES
from blog.headers import has_no_entity_tag
from blog.models import SignInFailures
from tests import rows
from tests.helpers import assert_problem
from tests.inventory import OPERATIONS, SCHEMAS, Operation
from tests.world import World

PRECONDITION_FAILED = PROBLEM_TYPES["precondition-failed"]


_VIEWS = {
    view.__name__: view for view in create_app(Settings(env="testing")).view_functions.values()
}
# The operations whose views leave their conditions to the request hook.
UNTAGGED = [op for op in OPERATIONS if has_no_entity_tag(_VIEWS[op.operation_id])]
COUNTS = SignInFailures.__tablename__


def test_the_post_views_alone_evaluate_conditions_themselves() -> None:
    evaluating = [op for op in OPERATIONS if op not in UNTAGGED]

    assert UNTAGGED
    assert evaluating
    assert {op.path.split("/")[2] for op in evaluating} == {"posts"}


def the_work(contents: dict[str, set[rows.Row]]) -> dict[str, set[rows.Row]]:
    """Return the rows but the sign-in throttle's: a password checked under a false condition
    still counts (test_a_false_condition_does_not_undo_the_count)."""
    return {table: found for table, found in contents.items() if table != COUNTS}


@pytest.mark.parametrize("operation", UNTAGGED, ids=str)
@pytest.mark.parametrize("field", ['"x"', 'W/"x"', '"x", *', "x"])
def test_an_if_match_other_than_star_changes_nothing(
    client: FlaskClient, world: World, operation: Operation, field: str
) -> None:
    before = rows.everything()

    response = world.call(
        client, operation, headers=world.headers | {"If-Match": field}, json=operation.example()
    )

    assert_problem(response, 412, PRECONDITION_FAILED)
    assert operation.documents(412)
    assert the_work(rows.everything()) == the_work(before)


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_if_match_star_and_if_none_match_with_tags_let_the_method_run(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    headers = world.headers | {"If-Match": "*", "If-None-Match": '"x", W/"y"'}

    conditional = world.call(client, operation, headers=headers, json=operation.example())

    assert conditional.status_code < 300, conditional.get_data(as_text=True)


@pytest.mark.parametrize("operation", UNTAGGED, ids=str)
def test_if_none_match_star_is_false_on_a_resource_that_exists(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    before = rows.everything()

    response = world.call(
        client, operation, headers=world.headers | {"If-None-Match": "*"}, json=operation.example()
    )

    if operation.method == "GET":
        assert response.status_code == 304
        assert response.get_data() == b""
    else:
        assert_problem(response, 412, PRECONDITION_FAILED)
    assert operation.documents(response.status_code)
    assert the_work(rows.everything()) == the_work(before)


def _failing(operation: Operation) -> list[str]:
    # The ways a request to `operation` can fail before its conditions are judged.
    failures = ["no token"] if operation.needs_a_token else []
    return [*failures, "no such row"] if operation.path_parameters else failures


def _nothing_there(operation: Operation) -> dict[str, str]:
    # A value for each path parameter that its route accepts but that names no row.
    types = {p["name"]: p["schema"].get("type") for p in operation.spec.get("parameters", [])}
    return {name: str(MAX_ID) if types[name] == "integer" else "nobody" for name in types}


@pytest.mark.parametrize(
    ("operation", "failure"),
    [(op, failure) for op in UNTAGGED for failure in _failing(op)],
    ids=str,
)
@pytest.mark.parametrize("conditions", [{"If-Match": '"x"'}, {"If-None-Match": "*"}], ids=str)
def test_a_failure_without_the_conditions_comes_before_them(
    client: FlaskClient,
    world: World,
    operation: Operation,
    failure: str,
    conditions: dict[str, str],
) -> None:
    headers, parameters = world.headers, world.parameters
    if failure == "no token":
        headers = {}
    else:
        parameters = parameters | _nothing_there(operation)
    url = operation.path.format(**parameters)
    body = operation.example()

    plain = client.open(url, method=operation.method, headers=headers, json=body)
    conditional = client.open(url, method=operation.method, headers=headers | conditions, json=body)

    assert plain.status_code in {401, 404}
    assert (conditional.status_code, conditional.json) == (plain.status_code, plain.json)


def _mentions(schema: Any, name: str, seen: frozenset[str] = frozenset()) -> bool:
    # Whether a property called `name` appears anywhere in the schema, references followed.
    if isinstance(schema, list):
        return any(_mentions(value, name, seen) for value in schema)
    if not isinstance(schema, dict):
        return False
    if name in schema.get("properties", {}):
        return True
    if "$ref" in schema:
        ref = schema["$ref"].rpartition("/")[2]
        return ref not in seen and _mentions(SCHEMAS[ref], name, seen | {ref})
    return any(_mentions(value, name, seen) for value in schema.values())


# The reads whose body differs by reader: a cache must key them by the Authorization header.
PER_READER = [
    op for op in OPERATIONS if op.method == "GET" and _mentions(op.answer_schema(), "liked_by_me")
]


@pytest.mark.parametrize("operation", PER_READER, ids=str)
def test_a_read_that_differs_by_reader_says_so_in_vary_and_so_does_its_304(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    read = world.call(client, operation, headers=world.headers)
    star = world.call(client, operation, headers=world.headers | {"If-None-Match": "*"})

    assert PER_READER
    assert "Authorization" in read.headers["Vary"]
    # RFC 9110, section 15.4.5: a 304 carries the Vary the 200 would have.
    assert star.status_code == 304
    assert star.headers.get("Vary") == read.headers["Vary"]


@pytest.mark.parametrize("path", sorted({op.path for op in UNTAGGED}))
def test_options_answers_as_it_would_without_conditions(
    client: FlaskClient, world: World, path: str
) -> None:
    url = path.format(**world.parameters)

    plain = client.options(url)
    conditional = client.options(url, headers={"If-Match": '"x"', "If-None-Match": "*"})

    assert (conditional.status_code, conditional.headers["Allow"]) == (200, plain.headers["Allow"])
