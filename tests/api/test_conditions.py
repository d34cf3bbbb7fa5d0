"""Conditional requests to the resources without entity-tags: every operation but the post views
that evaluate If-Match and If-None-Match themselves (tests/api/test_posts.py checks those).

Such a resource, once its route matched, is taken to exist and has no entity-tag: an If-Match
other than `*` is false, so the method is not performed (412); `If-None-Match: *` is false too
(304 to a read, 412 to anything else). The operations are read from the OpenAPI document, and
which of them evaluate conditions themselves from the app.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from blog import create_app
from blog.conditional import has_no_entity_tag
from blog.config import Settings
from blog.errors import PROBLEM_TYPES
from tests import rows
from tests.helpers import assert_problem
from tests.inventory import OPERATIONS, Operation
from tests.world import World

PRECONDITION_FAILED = PROBLEM_TYPES["precondition-failed"]


_VIEWS = {
    view.__name__: view for view in create_app(Settings(env="testing")).view_functions.values()
}
# The operations whose views leave their conditions to the request hook.
UNTAGGED = [op for op in OPERATIONS if has_no_entity_tag(_VIEWS[op.operation_id])]


def test_the_post_views_alone_evaluate_conditions_themselves() -> None:
    evaluating = [op for op in OPERATIONS if op not in UNTAGGED]

    assert UNTAGGED
    assert evaluating
    assert {op.path.split("/")[2] for op in evaluating} == {"posts"}


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
    assert rows.everything() == before


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
    assert rows.everything() == before
