"""The OpenAPI document and the docs page that renders it."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import pytest
from flask.testing import FlaskClient
from pydantic import ConfigDict, StringConstraints, TypeAdapter, ValidationError

from blog.errors import PROBLEM_MEDIA_TYPE


def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert isinstance(document, dict)
    return document


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for ops in document["paths"].values() for op in ops.values()]


def headers_of(operation: dict[str, Any], status: str) -> list[str]:
    return sorted(operation["responses"][status].get("headers", {}))


def test_every_endpoint_is_documented(client: FlaskClient) -> None:
    paths = spec(client)["paths"]

    assert {path: sorted(ops) for path, ops in paths.items()} == {
        "/api/users": ["post"],
        "/api/users/me": ["delete", "get", "patch"],
        "/api/users/me/profile": ["get", "patch"],
        "/api/users/{username}": ["get"],
        "/api/users/{username}/follow": ["delete", "put"],
        "/api/users/{username}/followers": ["get"],
        "/api/users/{username}/following": ["get"],
        "/api/tokens": ["post"],
        "/api/posts": ["get", "post"],
        "/api/posts/{post_id}": ["delete", "get", "patch"],
        "/api/posts/{post_id}/like": ["delete", "put"],
        "/api/posts/{post_id}/comments": ["get", "post"],
        "/api/comments/{comment_id}": ["delete", "get"],
        "/api/feed": ["get"],
        "/api/tags": ["get"],
        "/api/tags/{name}": ["get"],
        "/healthz": ["get"],
    }


def test_where_the_bearer_scheme_is_required_or_optional(client: FlaskClient) -> None:
    document = spec(client)

    assert document["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    assert document["paths"]["/api/posts"]["post"]["security"] == [{"BearerAuth": []}]
    assert document["paths"]["/api/posts"]["get"]["security"] == [{"BearerAuth": []}, {}]
    assert document["paths"]["/api/tags"]["get"]["security"] == []


def test_every_operation_has_its_view_name_as_operation_id(client: FlaskClient) -> None:
    ids = [operation["operationId"] for operation in operations(spec(client))]

    assert len(ids) == len(set(ids)) == 27
    assert "update_post" in ids
    assert "list_followers" in ids


def test_each_schema_is_one_component_named_by_its_title(client: FlaskClient) -> None:
    schemas = spec(client)["components"]["schemas"]

    assert all("." not in name for name in schemas)
    assert {name: schema["title"] for name, schema in schemas.items()} == {
        name: name for name in schemas
    }
    assert "UserSummary" in schemas
    assert "Problem" in schemas


def test_every_reference_reaches_a_component(client: FlaskClient) -> None:
    document = spec(client)
    references = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(document)))

    assert references == set(document["components"]["schemas"])


def test_the_document_names_no_server_whatever_the_request_says(client: FlaskClient) -> None:
    first = client.get("/openapi.json", headers={"Host": "attacker.example"}).get_json()
    later = client.get("/openapi.json").get_json()

    assert "servers" not in first
    assert "servers" not in later
    assert "attacker.example" not in json.dumps(later)


def test_every_body_is_required(client: FlaskClient) -> None:
    bodies = [op["requestBody"] for op in operations(spec(client)) if "requestBody" in op]

    assert len(bodies) == 7
    assert all(body["required"] is True for body in bodies)


def test_the_headers_are_documented_where_they_are_sent(client: FlaskClient) -> None:
    paths = spec(client)["paths"]

    def headers(path: str, method: str, status: str) -> list[str]:
        return sorted(paths[path][method]["responses"][status].get("headers", {}))

    assert headers("/api/users", "post", "201") == ["Location"]
    assert headers("/api/posts", "post", "201") == ["ETag", "Location"]
    assert headers("/api/posts/{post_id}", "get", "200") == ["ETag"]
    assert headers("/api/posts/{post_id}", "patch", "200") == ["ETag"]
    assert headers("/api/posts/{post_id}/comments", "post", "201") == ["Location"]
    for operation in operations(spec(client)):
        assert headers_of(operation, "503") == ["Retry-After"]
        if "401" in operation["responses"]:
            assert headers_of(operation, "401") == ["WWW-Authenticate"]


def test_if_match_is_a_parameter_of_the_operations_that_honour_it(client: FlaskClient) -> None:
    takes_it = sorted(
        operation["operationId"]
        for operation in operations(spec(client))
        if any(p["name"] == "If-Match" for p in operation.get("parameters", []))
    )

    assert takes_it == ["delete_post", "update_post"]


def test_errors_are_documented_as_problem_details(client: FlaskClient) -> None:
    for operations in spec(client)["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == [PROBLEM_MEDIA_TYPE]


def test_the_docs_page_is_served(client: FlaskClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "/openapi.json" in response.get_data(as_text=True)


def test_no_query_parameter_is_documented_with_a_null_default(client: FlaskClient) -> None:
    parameters = [
        parameter
        for operation in operations(spec(client))
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    ]

    assert "cursor" in {parameter["name"] for parameter in parameters}
    assert [p["name"] for p in parameters if p["schema"].get("default", 0) is None] == []


def patterns_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for value in node.values() for p in patterns_in(value)]
    if isinstance(node, list):
        return [p for value in node for p in patterns_in(value)]
    return []


def test_the_patterns_spell_characters_out(client: FlaskClient) -> None:
    patterns = patterns_in(spec(client))

    assert len(patterns) >= 5
    # No class escape, whose meaning differs between regular-expression dialects.
    assert [p for p in patterns if re.search(r"\\[sSdDwWbB]", p)] == []


def test_a_class_escape_means_different_things_to_different_regex_engines() -> None:
    # \s and U+001C, a control character that str.isspace() takes for white space: Python's re
    # matches it, the Rust regex engine that pydantic uses by default does not.
    pattern = Annotated[str, StringConstraints(pattern=r"^\s$")]
    rust = TypeAdapter(pattern)
    python = TypeAdapter(pattern, config=ConfigDict(regex_engine="python-re"))

    assert "\x1c".isspace()
    assert python.validate_python("\x1c") == "\x1c"
    assert rust.validate_python(" ") == " "
    with pytest.raises(ValidationError):
        rust.validate_python("\x1c")
