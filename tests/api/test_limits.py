"""Every limit at its edge: the documented maximum, as a client sends it, is accepted, and one
more character (or item) is a 422 that points at the field, never a 500.

The limits are the ones the OpenAPI document states (`maxLength`, `maxItems`, and `maximum` for
query parameters), read from it here for every field of every request body and every query
parameter, so the document and the server cannot drift apart unnoticed, and a field added to any
model is checked without an edit here. A body is its operation's example (blog/schemas.py) with
one field filled to the size under test; it is sent on the world of tests/world.py.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.helpers import assert_problem, pointers
from tests.inventory import OPERATIONS, Operation
from tests.world import World


def email(length: int) -> str:
    # A domain of three labels (63 + 63 + 61 characters) and a local part for the rest.
    domain = f"{'b' * 63}.{'b' * 63}.{'c' * 61}"
    return "a" * (length - 1 - len(domain)) + "@" + domain


def url(length: int) -> str:
    start = "https://example.com/"
    return start + "a" * (length - len(start))


def letters(length: int) -> str:
    # Letters in no pattern, the same each run: a repeat would be refused as a password.
    letters = random.Random(length).choices(string.ascii_lowercase, k=length)  # noqa: S311
    return "".join(letters)


# Ways to write a string of a given length; a field gets the first one its pattern accepts.
FILLERS = [letters, email, url]


def filler(schema: dict[str, Any], size: int) -> Callable[[int], str]:
    """Return the first filler whose string of `size` characters the field's pattern accepts."""
    for fill in FILLERS:
        if re.search(schema.get("pattern", ""), fill(size)):
            return fill
    raise AssertionError(f"no filler makes {size} characters that match {schema['pattern']}")


@dataclass(frozen=True)
class Limit:
    """A field of a body, or a query parameter, and its documented maximum."""

    operation: Operation
    field: str
    keyword: str
    maximum: int
    fill: Callable[[int], Any]
    in_query: bool = False

    def __str__(self) -> str:
        return f"{self.operation} {self.field} {self.keyword}"


def string_options(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the schemas a field accepts, `anyOf` spelt out, `null` left out."""
    options = definition.get("anyOf", [definition])
    return [option for option in options if option.get("type") != "null"]


def body_limits(operation: Operation) -> list[Limit]:
    """Return the limits the document states for the fields of the operation's body."""
    found = []
    for field, definition in operation.request_schema()["properties"].items():
        for option in string_options(definition):
            if "maxLength" in option:
                size = option["maxLength"]
                fill = filler(option, size)
                found.append(Limit(operation, field, "maxLength", size, fill))
            items = option.get("items", {})
            if "maxLength" in items:
                size = items["maxLength"]
                fill = filler(items, size)
                found.append(Limit(operation, field, "items maxLength", size, fill_list(fill)))
            if "maxItems" in option:
                size = option["maxItems"]
                found.append(Limit(operation, field, "maxItems", size, distinct(items)))
    return found


def fill_list(fill: Callable[[int], str]) -> Callable[[int], list[str]]:
    return lambda size: [fill(size)]


def distinct(items: dict[str, Any]) -> Callable[[int], list[str]]:
    """Return a way to make `n` different short items the items' pattern accepts."""
    assert re.search(items.get("pattern", ""), "a0")
    return lambda size: [f"a{n}" for n in range(size)]


def query_limits(operation: Operation) -> list[Limit]:
    """Return the limits the document states for the operation's query parameters."""
    found = []
    for parameter in operation.spec.get("parameters", []):
        schema = parameter["schema"]
        if parameter["in"] != "query":
            continue
        if "maximum" in schema:
            found.append(
                Limit(operation, parameter["name"], "maximum", schema["maximum"], str, True)
            )
        if "maxLength" in schema:
            size = schema["maxLength"]
            limit = Limit(
                operation, parameter["name"], "maxLength", size, filler(schema, size), True
            )
            found.append(limit)
    return found


LIMITS = [
    limit
    for operation in OPERATIONS
    for limit in [
        *(body_limits(operation) if operation.takes_a_body else []),
        *query_limits(operation),
    ]
]


def send(client: FlaskClient, world: World, limit: Limit, size: int) -> Any:
    value = limit.fill(size)
    if limit.in_query:
        return world.call(client, limit.operation, f"?{limit.field}={value}", headers=world.headers)
    body = limit.operation.example() | {limit.field: value}
    return world.call(client, limit.operation, headers=world.headers, json=body)


def test_the_document_states_limits_to_check() -> None:
    keywords = {limit.keyword for limit in LIMITS}

    assert {"maxLength", "items maxLength", "maxItems", "maximum"} <= keywords


@pytest.mark.parametrize("limit", LIMITS, ids=str)
def test_the_documented_maximum_is_accepted(
    client: FlaskClient, world: World, limit: Limit
) -> None:
    response = send(client, world, limit, limit.maximum)

    # Accepted as input: the operation succeeds, or refuses the value as credentials (a name or
    # password nobody has) rather than as input.
    assert response.status_code in {200, 201, 204, 401, 403}, response.get_data(as_text=True)
    assert limit.operation.documents(response.status_code)


@pytest.mark.parametrize("limit", LIMITS, ids=str)
def test_one_more_is_a_422_on_the_field(client: FlaskClient, world: World, limit: Limit) -> None:
    response = send(client, world, limit, limit.maximum + 1)

    body = assert_problem(response, 422)
    if limit.in_query:
        assert body["errors"][0]["parameter"] == limit.field
    else:
        assert pointers(body)[0].startswith(f"/{limit.field}")


def test_a_filler_is_chosen_by_the_pattern_it_must_match() -> None:
    assert filler({"pattern": "^[a-z]+$"}, 5) is letters
    assert filler({"pattern": "@"}, 254) is email
    assert filler({"pattern": "^https?://"}, 2048) is url
    assert len(email(254)) == 254
    assert len(url(2048)) == 2048
    with pytest.raises(AssertionError, match="no filler"):
        filler({"pattern": "^[0-9]+$"}, 3)
