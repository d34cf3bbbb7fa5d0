"""Fuzzing: requests generated from the app's own OpenAPI document, for every operation.

Schemathesis reads /openapi.json and generates requests for each operation, valid ones and
invalid ones, signed in as a user who has a row for each path parameter's maker in
tests/factories.py (a post, a comment, ...), beside a post of someone else's. Every answer must be
no 5xx, a status code the document lists for that operation, the content type it lists, and a
body that matches the documented schema (problem details for errors); a valid request must be
accepted and an invalid one refused, save where the layer's schemathesis.toml says what the tool
cannot know. Each operation runs in its test's own rolled-back transaction.

FUZZ_EXAMPLES is Hypothesis's max_examples for each operation in each mode (25 by default); a
longer run: FUZZ_EXAMPLES=500 make pytest PYTEST_ARGS=clients/tests/test_fuzz.py

Schemathesis's own pytest integration is broken under pytest 9.2: the tests it makes for a
schema all have the same id, whatever their operation, and a schema made by a fixture fails
outright (fuzz/test_pytest_plugin.py shows it, under make fuzz). So each operation is an
ordinary test here that runs schemathesis's Hypothesis strategy for it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from apiflask import APIFlask
from flask import Flask, Response, request
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import AcceptedNegativeData, Failure, ServerError
from schemathesis.openapi.checks import (
    JsonSchemaError,
    RejectedPositiveData,
    UndefinedContentType,
    UndefinedStatusCode,
)
from sqlalchemy import create_engine, text

from blog import create_app
from blog.config import Settings
from tests import rows
from tests.factories import MAKERS, PostFactory, UserFactory
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
CONFIG = schemathesis.Config.from_path(Path(__file__).parent.parent / "schemathesis.toml")


@pytest.fixture
def signed_in() -> dict[str, str]:
    """Return the headers of a user with something to act on, and things around them."""
    user = UserFactory(username="fuzzer")
    for maker in MAKERS.values():
        maker(user)
    PostFactory()
    return auth_headers(user)


def fuzz(
    app: Flask,
    client: FlaskClient,
    label: str,
    mode: schemathesis.GenerationMode,
    *,
    headers: dict[str, str],
    examples: int = FUZZ_EXAMPLES,
) -> None:
    """Send `app` the requests schemathesis generates for one operation, checking each answer."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=CONFIG)
    operation = schema.find_operation_by_label(label)
    assert operation is not None

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(session=client, headers=headers)

    check()


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_every_operation_keeps_to_its_documented_contract(
    app: APIFlask,
    client: FlaskClient,
    signed_in: dict[str, str],
    label: str,
    mode: schemathesis.GenerationMode,
) -> None:
    fuzz(app, client, label, mode, headers=signed_in)


# An API that breaks its own document, one way per operation.
RECORD = {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}
ANSWER = {"description": "A record", "content": {"application/json": {"schema": RECORD}}}
REFUSAL = {"description": "Refused", "content": {"application/json": {"schema": {}}}}
NUMBER = {"name": "n", "in": "query", "required": True, "schema": {"type": "integer"}}
BROKEN = {
    "openapi": "3.0.3",
    "info": {"title": "Broken", "version": "1"},
    "paths": {
        f"/{name}": {
            "get": {
                "operationId": name.replace("-", "_"),
                "parameters": [NUMBER] if name.endswith("-numbers") else [],
                "responses": {"200": ANSWER, "422": REFUSAL},
            }
        }
        for name in (
            "crashes",
            "answers-201",
            "answers-text",
            "answers-a-string-id",
            "refuses-numbers",
            "takes-anything-for-numbers",
        )
    },
}


def broken_api() -> Flask:
    app = Flask("broken")
    answers: dict[str, tuple[str, int, str]] = {
        "/openapi.json": (json.dumps(BROKEN), 200, "application/json"),
        "/crashes": ('{"id": 1}', 500, "application/json"),
        "/answers-201": ('{"id": 1}', 201, "application/json"),
        "/answers-text": ("1", 200, "text/plain"),
        "/answers-a-string-id": ('{"id": "one"}', 200, "application/json"),
        "/refuses-numbers": ("{}", 422, "application/json"),
        "/takes-anything-for-numbers": ('{"id": 1}', 200, "application/json"),
    }

    @app.get("/<path:name>")
    def answer(name: str) -> Response:
        body, status, mimetype = answers[request.path]
        return Response(body, status, mimetype=mimetype)

    return app


@pytest.mark.parametrize(
    ("label", "mode", "failure"),
    [
        ("GET /crashes", schemathesis.GenerationMode.POSITIVE, ServerError),
        ("GET /answers-201", schemathesis.GenerationMode.POSITIVE, UndefinedStatusCode),
        ("GET /answers-text", schemathesis.GenerationMode.POSITIVE, UndefinedContentType),
        ("GET /answers-a-string-id", schemathesis.GenerationMode.POSITIVE, JsonSchemaError),
        ("GET /refuses-numbers", schemathesis.GenerationMode.POSITIVE, RejectedPositiveData),
        (
            "GET /takes-anything-for-numbers",
            schemathesis.GenerationMode.NEGATIVE,
            AcceptedNegativeData,
        ),
    ],
)
def test_the_fuzz_test_fails_on_an_answer_that_breaks_the_document(
    label: str, mode: schemathesis.GenerationMode, failure: type[Failure]
) -> None:
    api = broken_api()

    with pytest.raises(BaseExceptionGroup) as raised:
        fuzz(api, api.test_client(), label, mode, headers={}, examples=5)

    found = raised.value.subgroup(lambda error: isinstance(error, failure))
    assert found is not None, raised.value


def test_what_a_fuzzed_request_writes_stays_in_the_tests_transaction(
    app: APIFlask, client: FlaskClient, database_url: str
) -> None:
    fuzz(
        app, client, "POST /api/users", schemathesis.GenerationMode.POSITIVE, headers={}, examples=5
    )

    assert rows.count("users") > 0
    outside = create_engine(database_url)
    try:
        with outside.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM users")) == 0
    finally:
        outside.dispose()


def test_the_document_is_built_without_a_database() -> None:
    nowhere = "postgresql+psycopg://nobody@127.0.0.1:9/no_such_test"

    spec = create_app(Settings(env="testing", database_url=nowhere)).spec

    assert spec["paths"] == PATHS  # type: ignore[index]
