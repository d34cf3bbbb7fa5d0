"""The OpenAPI document and the docs page that renders it."""

from __future__ import annotations

import json
import re
import sys
from typing import Annotated, Any

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from pydantic import ConfigDict, StringConstraints, TypeAdapter, ValidationError
from werkzeug.routing import Rule

from blog import create_app, openapi
from blog.api import BLUEPRINTS
from blog.config import Settings
from blog.errors import PROBLEM_MEDIA_TYPE
from blog.headers import has_no_entity_tag
from tests.inventory import api_rules, openapi_path, routed_operations


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


def documented(document: Any) -> set[tuple[str, str]]:
    """Return each (method, path) the document has an operation for."""
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }


def test_every_endpoint_is_documented(app: APIFlask, client: FlaskClient) -> None:
    # Every route of the API, with each method it answers, and nothing else.
    assert documented(spec(client)) == routed_operations(app)
    assert ("PATCH", "/api/posts/{post_id}") in documented(spec(client))


def test_a_route_left_out_of_the_document_is_caught(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/api/hidden/<int:thing_id>")
    @app.doc(hide=True)
    def hidden(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    documented = {
        (method.upper(), path)
        for path, operations in app.spec["paths"].items()
        for method in operations  # type: ignore[index]
    }

    assert routed_operations(app) - documented == {("GET", "/api/hidden/{thing_id}")}


def test_a_route_is_read_as_the_document_spells_it() -> None:
    assert openapi_path("/api/posts/<int:post_id>/comments") == "/api/posts/{post_id}/comments"
    assert openapi_path("/api/users/<username>") == "/api/users/{username}"
    assert openapi_path("/healthz") == "/healthz"


def test_where_the_bearer_scheme_is_required_or_optional(client: FlaskClient) -> None:
    document = spec(client)

    assert document["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    assert document["paths"]["/api/posts"]["post"]["security"] == [{"BearerAuth": []}]
    assert document["paths"]["/api/posts"]["get"]["security"] == [{"BearerAuth": []}, {}]
    assert document["paths"]["/api/tags"]["get"]["security"] == []


def test_every_operation_has_its_view_name_as_operation_id(
    app: APIFlask, client: FlaskClient
) -> None:
    ids = [operation["operationId"] for operation in operations(spec(client))]
    views = {app.view_functions[rule.endpoint].__name__ for rule in api_rules(app)}

    assert len(ids) == len(set(ids))
    assert set(ids) == views
    assert "update_post" in ids


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

    assert bodies
    assert all(body["required"] is True for body in bodies)


def test_the_headers_are_documented_where_they_are_sent(client: FlaskClient) -> None:
    # The headers of each success are checked against the answers themselves by
    # test_every_operation.py; these come with an error wherever it is answered.
    for operation in operations(spec(client)):
        assert headers_of(operation, "503") == ["Retry-After"]
        if "401" in operation["responses"]:
            assert headers_of(operation, "401") == ["WWW-Authenticate"]


def test_the_conditions_are_parameters_of_the_operations_that_evaluate_them(
    client: FlaskClient,
) -> None:
    app = client.application
    views = {view.__name__: view for view in app.view_functions.values()}
    evaluating = {name for name, view in views.items() if not has_no_entity_tag(view)}

    for field in ("If-Match", "If-None-Match"):
        documented = {
            operation["operationId"]
            for operation in operations(spec(client))
            if any(p["name"] == field for p in operation.get("parameters", []))
        }
        assert documented == evaluating, field
    assert evaluating


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


def test_no_optional_field_of_a_request_body_has_a_default(client: FlaskClient) -> None:
    # openapi-typescript, by default, types a property with a `default` as always there, and
    # so makes a client send it; the server fills in what is left out by itself.
    document = spec(client)
    schemas = document["components"]["schemas"]
    bodies = [
        schemas[op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
        for op in operations(document)
        if "requestBody" in op
    ]
    optional = {
        (body["title"], name): field
        for body in bodies
        for name, field in body["properties"].items()
        if name not in body.get("required", [])
    }

    assert ("CommentCreate", "parent_id") in optional
    assert ("PostCreate", "tags") in optional
    assert [where for where, field in optional.items() if "default" in field] == []


def test_what_the_app_answers_around_the_views_is_documented_for_the_operations_it_names(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    around = openapi.around_the_views

    def refuse_posts(view: Any, method: str, rule: Rule) -> dict[int, str]:
        refused = {418: "Only posts are refused"} if "post" in view.__name__ else {}
        return around(view, method, rule) | refused

    monkeypatch.setattr(openapi, "around_the_views", refuse_posts)
    app = create_app(settings)
    refused = {
        operation["operationId"]
        for operation in operations(app.spec)  # type: ignore[arg-type]
        if "418" in operation["responses"]
    }

    assert refused
    assert refused == {
        operation["operationId"]
        for operation in operations(app.spec)  # type: ignore[arg-type]
        if "post" in operation["operationId"]
    }


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


def test_each_blueprint_is_a_tag_described_by_its_module(client: FlaskClient) -> None:
    """Every operation is under its blueprint's tag, and the document lists each tag once,
    described by the docstring of the module that holds the blueprint (blog/api/__init__.py)."""
    document = spec(client)
    described = {tag["name"]: tag.get("description") for tag in document["tags"]}
    expected = {bp.name.title(): sys.modules[bp.import_name].__doc__ for bp in BLUEPRINTS}
    assert described == expected
    assert all(described.values())
    assert {tag for op in operations(document) for tag in op["tags"]} == set(expected)
