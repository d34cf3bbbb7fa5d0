"""Security headers (OWASP's secure headers): every answer of the app has them, once each, the
operations', the errors', the document's, /docs' and its files' and the problem types' pages,
so they hold without the proxy of `docker compose up` too."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog.errors import PROBLEM_TYPES
from blog.headers import ALWAYS, PAGE_POLICY, secured
from scripts.compose_check import csp_directives, inline_code
from tests.inventory import OPERATIONS, Operation
from tests.world import World


def assert_secured(response: TestResponse) -> dict[str, list[str]]:
    for name, value in ALWAYS.items():
        assert response.headers.getlist(name) == [value], name
    (policy,) = response.headers.getlist("Content-Security-Policy")
    directives = csp_directives(policy)
    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    return directives


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_every_operation_answers_with_the_security_headers(
    client: FlaskClient, world: World, operation: Operation
) -> None:
    answered = world.call(client, operation, headers=world.headers, json=operation.example())
    refused = world.call(client, operation, headers={"Authorization": "Bearer x"})

    for response in (answered, refused):
        assert "script-src" not in assert_secured(response)


def test_the_pages_and_files_outside_the_operations_have_them_too(client: FlaskClient) -> None:
    docs = client.get("/docs")
    asset = next(line for line in docs.get_data(as_text=True).split('"') if line.endswith(".js"))
    problem_page = next(iter(PROBLEM_TYPES.values())).uri

    for path in ("/docs", "/openapi.json", asset, problem_page, "/no/such/route"):
        assert_secured(client.get(path, buffered=True))


def test_no_html_page_has_inline_code_and_its_policy_allows_none(client: FlaskClient) -> None:
    pages = ["/docs", *(kind.uri for kind in PROBLEM_TYPES.values())]

    for path in pages:
        response = client.get(path)
        directives = assert_secured(response)

        assert response.mimetype == "text/html", path
        assert inline_code(response.get_data(as_text=True)) == [], path
        assert directives["script-src"] == directives["style-src"] == ["'self'"], path


def test_a_page_is_passed_on_unread_its_policy_fixed() -> None:
    body = iter([b"<!doctype html><title>t</title>"])

    def page(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/html")])
        return body

    started: list[list[tuple[str, str]]] = []
    answer = secured(page)({}, lambda status, sent: started.append(sent))

    assert answer is body
    assert dict(started[0])["Content-Security-Policy"] == PAGE_POLICY


def test_the_core_answers_no_cross_origin_request(client: FlaskClient) -> None:
    origin = {"Origin": "https://app.example.com"}
    asked = origin | {"Access-Control-Request-Method": "PATCH"}
    preflight = client.options("/api/posts/1", headers=asked)
    answer = client.get("/api/tags", headers=origin)

    # What Flask answers any OPTIONS: no token needed, nothing a browser takes as permission.
    assert (preflight.status_code, preflight.get_data()) == (200, b"")
    assert "PATCH" in preflight.headers["Allow"]
    for response in (preflight, answer):
        assert not [name for name, _ in response.headers if name.lower().startswith("access-")]
