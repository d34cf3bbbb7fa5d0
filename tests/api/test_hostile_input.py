"""Hostile input: every text field, odd encodings and numbers, and bodies that are not JSON.

Whatever a client sends, the answer is either the text stored and returned exactly, or a 4xx
problem: never a 500, and never the text interpreted as anything but text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog.models import User
from tests import rows
from tests.factories import CommentFactory, PostFactory, UserFactory
from tests.helpers import assert_problem, auth_headers, pointers

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
class TextField:
    """A text field: how to write a value into it and how to read it back."""

    name: str
    write: Callable[[FlaskClient, User, str], Any]
    read: Callable[[FlaskClient, User, Any], str]


def write_post(field: str) -> Callable[[FlaskClient, User, str], Any]:
    def write(client: FlaskClient, user: User, value: str) -> Any:
        body = {"title": "Title", "body": "Body"} | {field: value}
        return client.post("/api/posts", json=body, headers=auth_headers(user))

    return write


def write_comment(client: FlaskClient, user: User, value: str) -> Any:
    post = PostFactory()
    return client.post(
        f"/api/posts/{post.id}/comments", json={"body": value}, headers=auth_headers(user)
    )


def write_profile(field: str, path: str) -> Callable[[FlaskClient, User, str], Any]:
    def write(client: FlaskClient, user: User, value: str) -> Any:
        return client.patch(path, json={field: value}, headers=auth_headers(user))

    return write


FIELDS = [
    TextField(
        "post title",
        write_post("title"),
        lambda c, u, r: c.get(r.headers["Location"]).get_json()["title"],
    ),
    TextField(
        "post body",
        write_post("body"),
        lambda c, u, r: c.get(r.headers["Location"]).get_json()["body"],
    ),
    TextField(
        "comment",
        write_comment,
        lambda c, u, r: c.get(r.headers["Location"]).get_json()["body"],
    ),
    TextField(
        "bio",
        write_profile("bio", "/api/users/me/profile"),
        lambda c, u, r: c.get(f"/api/users/{u.username}").get_json()["bio"],
    ),
]


@pytest.mark.parametrize("field", FIELDS, ids=lambda field: field.name)
@pytest.mark.parametrize("value", STORED_AS_SENT.values(), ids=list(STORED_AS_SENT))
def test_text_is_stored_and_returned_exactly(
    client: FlaskClient, field: TextField, value: str
) -> None:
    user = UserFactory()

    response = field.write(client, user, value)

    assert response.status_code in {200, 201}, response.get_data(as_text=True)
    assert field.read(client, user, response) == value


@pytest.mark.parametrize("field", FIELDS, ids=lambda field: field.name)
@pytest.mark.parametrize("value", REFUSED.values(), ids=list(REFUSED))
def test_text_that_postgresql_cannot_store_is_refused(
    client: FlaskClient, field: TextField, value: str
) -> None:
    assert_problem(field.write(client, UserFactory(), value), 422)


@pytest.mark.parametrize(
    "value", [*STORED_AS_SENT.values(), *REFUSED.values()], ids=[*STORED_AS_SENT, *REFUSED]
)
@pytest.mark.parametrize("field", ["username", "email", "tags"])
def test_names_with_a_format_refuse_anything_else(
    client: FlaskClient, field: str, value: str
) -> None:
    if field == "tags":
        response = client.post(
            "/api/posts",
            json={"title": "T", "body": "B", "tags": [value]},
            headers=auth_headers(UserFactory()),
        )
    else:
        body = {"username": "someone", "email": "someone@example.com", "password": "password1"}
        response = client.post("/api/users", json=body | {field: value})

    assert_problem(response, 422)
    assert rows.count("tags") == 0


def test_a_lone_surrogate_is_refused(client: FlaskClient) -> None:
    response = client.post(
        "/api/posts",
        data='{"title": "a\\ud800b", "body": "B"}',
        content_type="application/json",
        headers=auth_headers(UserFactory()),
    )

    assert pointers(assert_problem(response, 422)) == ["/title"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
def test_a_body_that_is_not_sent_as_json_is_a_415(
    client: FlaskClient, content_type: str | None
) -> None:
    response = client.post(
        "/api/posts",
        data='{"title": "T", "body": "B"}',
        content_type=content_type,
        headers=auth_headers(UserFactory()),
    )

    assert "application/json" in assert_problem(response, 415)["detail"]
    assert rows.count("posts") == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("parent_id", 2**63),
        ("parent_id", -1),
        ("parent_id", 1.5),
        ("parent_id", "1e400"),
        ("parent_id", True),
        ("body", 10**400),
    ],
)
def test_numbers_out_of_range_are_refused(client: FlaskClient, field: str, value: Any) -> None:
    post = PostFactory()
    body = {"body": "Hello"} | {field: value}

    response = client.post(
        f"/api/posts/{post.id}/comments", json=body, headers=auth_headers(UserFactory())
    )

    assert pointers(assert_problem(response, 422)) == [f"/{field}"]


def test_a_huge_number_literal_is_refused(client: FlaskClient) -> None:
    post = PostFactory()

    def send(digits: int) -> TestResponse:
        return client.post(
            f"/api/posts/{post.id}/comments",
            data='{"body": "Hello", "parent_id": ' + "9" * digits + "}",
            content_type="application/json",
            headers=auth_headers(UserFactory()),
        )

    # Python refuses to read an integer of more than 4,300 digits from a string, so the body is
    # not JSON it can parse; one digit fewer is parsed, and refused as out of range.
    assert json.loads("9" * 4300) > 0
    with pytest.raises(ValueError, match="4300 digits"):
        json.loads("9" * 4301)
    assert "not valid JSON" in assert_problem(send(4301), 400)["detail"]
    assert pointers(assert_problem(send(4300), 422)) == ["/parent_id"]


@pytest.mark.parametrize(
    "query",
    [
        "page=99999999999999999999",
        "per_page=1e3",
        "page=-0",
        "page=%00",
        "page=%F0%9F%98%80",
    ],
)
def test_page_numbers_that_are_not_whole_numbers_in_range_are_refused(
    client: FlaskClient, query: str
) -> None:
    assert_problem(client.get(f"/api/posts?{query}"), 422)


@pytest.mark.parametrize(
    "path",
    [
        "/api/posts/1.5",
        "/api/posts/-1",
        "/api/posts/0x10",
        "/api/posts/%F0%9F%98%80",
        "/api/comments/1%00",
        "/api/posts/" + "9" * 400,
    ],
)
def test_ids_that_are_not_ids_are_not_found(client: FlaskClient, path: str) -> None:
    CommentFactory()

    assert_problem(client.get(path), 404)


def test_a_query_string_that_is_not_utf8_is_harmless(client: FlaskClient) -> None:
    PostFactory()

    response = client.get("/api/posts?tag=%FF%FE")

    assert response.status_code == 200
    assert response.get_json()["items"] == []
