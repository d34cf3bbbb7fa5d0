"""Hostile input: every text field, odd encodings and numbers, and bodies that are not JSON.

Whatever a client sends, the answer is either the text stored and returned exactly, or a 4xx
problem: never a 500, and never the text interpreted as anything but text.

The fields are every field of every request body in the OpenAPI document, sorted by what their
documented pattern makes of the hostile values: free text accepts them all and must keep them
exactly (where the operation's answer has the field, it is read back), a format (a username, an
email address, a URL, a tag name) refuses them all. A body is its operation's example
(blog/schemas.py) with one field replaced, sent on the world of tests/world.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog.body import UNREADABLE
from tests import rows
from tests.helpers import assert_problem, pointers
from tests.inventory import OPERATIONS, Operation
from tests.world import World

STORED_AS_SENT = {
    "sql": "Robert'); DROP TABLE posts; --",
    "quotes and backslashes": "\\'\"%_\\x00 $1 :name",
    "emoji": "😀 👍🏽 🇫🇷 👨‍👩‍👧",
    "right-to-left": "\u202egnp.exe \u200f\u0634\u0643\u0631\u0627",
    "combining": "e\u0301 Z\u0351\u0327a\u0308",
    "html": "<script>alert(1)</script>",
    "surrounding white space": "  padded \t\n",
}
REFUSED = {
    "NUL": "before\u0000after",
}


@dataclass(frozen=True)
class Field:
    """A field of an operation's body; `listed` when the body holds a list of such strings."""

    operation: Operation
    name: str
    schema: dict[str, Any]
    listed: bool = False

    def __str__(self) -> str:
        return f"{self.operation} {self.name}"

    def accepts(self, value: str) -> bool:
        """Say whether the documented pattern accepts `value` (no pattern accepts anything)."""
        return re.search(self.schema.get("pattern", ""), value) is not None

    @property
    def free_text(self) -> bool:
        return all(self.accepts(value) for value in STORED_AS_SENT.values())

    @property
    def a_format(self) -> bool:
        return not any(self.accepts(value) for value in STORED_AS_SENT.values())

    @property
    def in_the_answer(self) -> bool:
        return self.name in self.operation.answer_schema().get("properties", {})

    def write(self, client: FlaskClient, world: World, value: Any) -> TestResponse:
        """Send the operation's example with this field set to `value` (in a list if listed)."""
        body = self.operation.example() | {self.name: [value] if self.listed else value}
        return world.call(client, self.operation, headers=world.headers, json=body)


def fields_of(operation: Operation) -> list[Field]:
    """Return the string fields of the operation's body, and the fields that list strings."""
    found = []
    for name, definition in operation.request_schema()["properties"].items():
        for option in definition.get("anyOf", [definition]):
            if option.get("type") == "string":
                found.append(Field(operation, name, option))
            elif option.get("type") == "array" and option["items"].get("type") == "string":
                found.append(Field(operation, name, option["items"], listed=True))
    return found


def integer_fields_of(operation: Operation) -> list[str]:
    return [
        name
        for name, definition in operation.request_schema()["properties"].items()
        if any(option.get("type") == "integer" for option in definition.get("anyOf", [definition]))
    ]


WITH_BODY = [operation for operation in OPERATIONS if operation.takes_a_body]
FIELDS = [field for operation in WITH_BODY for field in fields_of(operation)]
FREE_TEXT = [field for field in FIELDS if field.free_text]
KEPT = [field for field in FREE_TEXT if field.in_the_answer]
FORMATS = [field for field in FIELDS if field.a_format]
NUMBERS = [(operation, name) for operation in WITH_BODY for name in integer_fields_of(operation)]


def read_back(client: FlaskClient, world: World, field: Field, response: TestResponse) -> Any:
    """Read what the write stored: at its Location, or at its own path if that can be read."""
    path = response.headers.get("Location") or field.operation.path.format(**world.parameters)
    readable = any(op.method == "GET" and op.path == field.operation.path for op in OPERATIONS)
    if "Location" in response.headers or readable:
        response = client.get(path, headers=world.headers)
        assert response.status_code == 200
    return response.get_json()[field.name]


def test_every_text_field_is_free_text_or_a_format() -> None:
    assert KEPT
    assert FORMATS
    assert [field for field in FIELDS if not field.free_text and not field.a_format] == []


@pytest.mark.parametrize("field", KEPT, ids=str)
@pytest.mark.parametrize("value", STORED_AS_SENT.values(), ids=list(STORED_AS_SENT))
def test_text_is_stored_and_returned_exactly(
    client: FlaskClient, world: World, field: Field, value: str
) -> None:
    response = field.write(client, world, value)

    assert response.status_code in {200, 201}, response.get_data(as_text=True)
    assert read_back(client, world, field, response) == value


@pytest.mark.parametrize("field", FIELDS, ids=str)
@pytest.mark.parametrize("value", REFUSED.values(), ids=list(REFUSED))
def test_text_that_postgresql_cannot_store_is_refused(
    client: FlaskClient, world: World, field: Field, value: str
) -> None:
    before = rows.everything()

    response = field.write(client, world, value)

    assert pointers(assert_problem(response, 422))[0].startswith(f"/{field.name}")
    assert rows.everything() == before
    # The document says so too: a client that keeps to it never sends what is refused.
    assert not field.accepts(value)


@pytest.mark.parametrize(
    "value", [*STORED_AS_SENT.values(), *REFUSED.values()], ids=[*STORED_AS_SENT, *REFUSED]
)
@pytest.mark.parametrize("field", FORMATS, ids=str)
def test_names_with_a_format_refuse_anything_else(
    client: FlaskClient, world: World, field: Field, value: str
) -> None:
    before = rows.everything()

    response = field.write(client, world, value)

    assert pointers(assert_problem(response, 422))[0].startswith(f"/{field.name}")
    assert rows.everything() == before


@pytest.mark.parametrize("field", FIELDS, ids=str)
def test_a_lone_surrogate_is_refused(client: FlaskClient, world: World, field: Field) -> None:
    body = json.dumps(field.operation.example() | {field.name: ["a"] if field.listed else "a"})

    response = world.call(
        client,
        field.operation,
        headers=world.headers,
        data=body.replace('"a"', '"a\\ud800b"'),
        content_type="application/json",
    )

    assert pointers(assert_problem(response, 422))[0].startswith(f"/{field.name}")


@pytest.mark.parametrize("operation", WITH_BODY, ids=str)
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
def test_a_body_that_is_not_sent_as_json_is_a_415(
    client: FlaskClient, world: World, operation: Operation, content_type: str | None
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


@pytest.mark.parametrize(
    ("operation", "field"), NUMBERS, ids=[f"{op} {name}" for op, name in NUMBERS]
)
# JSON Schema: an integer is a JSON number with no fraction; `true`, `"10"` and `1.0` are not.
@pytest.mark.parametrize("value", [2**63, -1, 1.5, "1e400", True, "10", 1.0])
def test_numbers_out_of_range_are_refused(
    client: FlaskClient, world: World, operation: Operation, field: str, value: Any
) -> None:
    response = world.call(
        client, operation, headers=world.headers, json=operation.example() | {field: value}
    )

    assert pointers(assert_problem(response, 422)) == [f"/{field}"]


@pytest.mark.parametrize("field", FIELDS, ids=str)
def test_a_number_where_text_belongs_is_refused(
    client: FlaskClient, world: World, field: Field
) -> None:
    response = world.call(
        client,
        field.operation,
        headers=world.headers,
        json=field.operation.example() | {field.name: 10**400},
    )

    assert pointers(assert_problem(response, 422)) == [f"/{field.name}"]


@pytest.mark.parametrize("operation", WITH_BODY, ids=str)
def test_a_huge_number_literal_is_refused(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    field = next(iter(operation.request_schema()["properties"]))
    rest = {name: value for name, value in operation.example().items() if name != field}

    def send(digits: int) -> TestResponse:
        data = json.dumps(rest | {field: 0}).replace('": 0', '": ' + "9" * digits)
        return world.call(
            client, operation, headers=world.headers, data=data, content_type="application/json"
        )

    # Python refuses to read an integer of more than 4,300 digits from a string, so the body is
    # not JSON it can parse; one digit fewer is parsed, and refused as out of range.
    assert json.loads("9" * 4300) > 0
    with pytest.raises(ValueError, match="4300 digits"):
        json.loads("9" * 4301)
    assert UNREADABLE in assert_problem(send(4301), 400)["detail"]
    assert pointers(assert_problem(send(4300), 422)) == [f"/{field}"]


NUMBERED = [
    (operation, parameter["name"])
    for operation in OPERATIONS
    for parameter in operation.spec.get("parameters", [])
    if parameter["in"] == "query" and parameter["schema"].get("type") == "integer"
]


@pytest.mark.parametrize(
    ("operation", "parameter"), NUMBERED, ids=[f"{op} {name}" for op, name in NUMBERED]
)
@pytest.mark.parametrize(
    "value",
    ["99999999999999999999", "1e3", "-0", "%00", "%F0%9F%98%80", "5_0", "%2B5", "%205", "1.0"],
)
def test_page_numbers_that_are_not_whole_numbers_in_range_are_refused(
    client: FlaskClient, world: World, operation: Operation, parameter: str, value: str
) -> None:
    response = world.call(client, operation, f"?{parameter}={value}", headers=world.headers)

    assert assert_problem(response, 422)["errors"][0]["parameter"] == parameter


ID_PATHS = sorted(
    {
        (operation.path, name)
        for operation in OPERATIONS
        if operation.method == "GET"
        for parameter in operation.spec.get("parameters", [])
        if parameter["in"] == "path" and parameter["schema"].get("type") == "integer"
        for name in [parameter["name"]]
    }
)


@pytest.mark.parametrize(("path", "name"), ID_PATHS, ids=[path for path, _ in ID_PATHS])
@pytest.mark.parametrize("value", ["1.5", "-1", "0x10", "%F0%9F%98%80", "1%00", "9" * 400])
def test_ids_that_are_not_ids_are_not_found(
    client: FlaskClient, world: World, path: str, name: str, value: str
) -> None:
    url = path.format(**(world.parameters | {name: value}))

    assert_problem(client.get(url), 404)


@pytest.mark.usefixtures("world")
def test_a_query_string_that_is_not_utf8_is_harmless(client: FlaskClient) -> None:
    response = client.get("/api/posts?tag=%FF%FE")

    assert response.status_code == 200
    assert response.get_json()["items"] == []
