"""The OpenAPI document and the docs page that renders it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from blog.errors import PROBLEM_MEDIA_TYPE


def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert isinstance(document, dict)
    return document


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
    assert "security" not in document["paths"]["/api/tags"]["get"]


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
