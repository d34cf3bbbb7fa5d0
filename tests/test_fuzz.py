"""Fuzzing: requests generated from the app's own OpenAPI document, for every operation.

Schemathesis reads /openapi.json and generates requests for each operation, valid ones and
invalid ones, signed in as a user who has a post, a comment and a follower. Every answer must be
no 5xx, a status code the document lists for that operation, the content type it lists, and a
body that matches the documented schema (problem details for errors); a valid request must be
accepted and an invalid one refused, save where schemathesis.toml says what the tool cannot know.
Each operation runs in its test's own rolled-back transaction.

FUZZ_EXAMPLES sets how many requests each operation gets in each mode (25 by default, a minute in
all); a longer run: FUZZ_EXAMPLES=500 make pytest PYTEST_ARGS=tests/test_fuzz.py

Schemathesis's own pytest integration does not work with pytest 9.2 yet, so each operation is
an ordinary test here that runs schemathesis's Hypothesis strategy for it.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from apiflask import APIFlask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from blog import create_app
from blog.config import Settings
from tests.conftest import PROJECT_ROOT
from tests.factories import CommentFactory, PostFactory, UserFactory
from tests.helpers import auth_headers

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
# The operations, read from a throwaway app: building the document needs no database.
PATHS = create_app(Settings(env="testing")).spec["paths"]  # type: ignore[index]


def can_be_invalid(operation: dict[str, Any]) -> bool:
    """Say whether a request can break the operation's schema: it has a body or a parameter
    that is more than any string."""
    parameters = operation.get("parameters", [])
    return "requestBody" in operation or any(p["schema"] != {"type": "string"} for p in parameters)


CASES = [
    pytest.param(f"{method.upper()} {path}", mode, id=f"{method.upper()} {path} {mode.value}")
    for path, operations in PATHS.items()
    for method, operation in operations.items()
    for mode in schemathesis.GenerationMode
    if mode is schemathesis.GenerationMode.POSITIVE or can_be_invalid(operation)
]
# What the tool cannot know from the document, shared with `make fuzz`.
CONFIG = schemathesis.Config.from_path(os.path.join(PROJECT_ROOT, "schemathesis.toml"))


@pytest.fixture
def signed_in() -> dict[str, str]:
    """Return the headers of a user with something to act on, and things around them."""
    user = UserFactory(username="fuzzer")
    post = PostFactory(author=user)
    CommentFactory(post=post, author=user)
    user.followers.append(UserFactory())
    PostFactory()
    return auth_headers(user)


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_every_operation_keeps_to_its_documented_contract(
    app: APIFlask,
    client: FlaskClient,
    signed_in: dict[str, str],
    label: str,
    mode: schemathesis.GenerationMode,
) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=CONFIG)
    operation = schema.find_operation_by_label(label)
    assert operation is not None

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(session=client, headers=signed_in)

    check()
