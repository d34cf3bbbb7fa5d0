"""/api/users/me/profile, and the profile fields of a public profile."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import UserFactory
from tests.helpers import assert_problem, auth_headers, pointers


def test_a_new_account_has_an_empty_profile(client: FlaskClient) -> None:
    client.post(
        "/api/users",
        json={
            "username": "alice",
            "email": "alice@example.com",
            "password": "s3cret-enough-for-tests",
        },
    )
    token = client.post(
        "/api/tokens", json={"username": "alice", "password": "s3cret-enough-for-tests"}
    ).get_json()["access_token"]

    response = client.get("/api/users/me/profile", headers={"Authorization": f"Bearer {token}"})

    assert response.get_json() == {"bio": None, "website": None, "avatar_url": None}


def test_editing_your_profile(client: FlaskClient) -> None:
    user = UserFactory(username="alice", profile__bio="Old")
    headers = auth_headers(user)

    response = client.patch(
        "/api/users/me/profile",
        json={
            "website": "https://alice.example.com/blog",
            "avatar_url": "https://cdn.example/a.png",
        },
        headers=headers,
    )

    assert response.status_code == 200
    assert response.get_json() == {
        "bio": "Old",
        "website": "https://alice.example.com/blog",
        "avatar_url": "https://cdn.example/a.png",
    }
    public = client.get("/api/users/alice").get_json()
    assert public["website"] == "https://alice.example.com/blog"
    assert public["avatar_url"] == "https://cdn.example/a.png"
    assert public["bio"] == "Old"


def test_null_clears_a_profile_field(client: FlaskClient) -> None:
    user = UserFactory(profile__website="https://example.com/", profile__bio="Hi")

    response = client.patch(
        "/api/users/me/profile", json={"website": None}, headers=auth_headers(user)
    )

    assert response.get_json() == {"bio": "Hi", "website": None, "avatar_url": None}


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"website": "not a url"}, "/website"),
        ({"website": "javascript:alert(1)"}, "/website"),
        ({"avatar_url": "ftp://example.com/a.png"}, "/avatar_url"),
        # RFC 3986: no user name or password, a port of at most 65535, ASCII alone (no
        # bidirectional control to make the URL read otherwise), "%" only to begin "%XX".
        ({"website": "https://user:secret@example.com/"}, "/website"),
        ({"website": "https://bank.example.com@evil.example/"}, "/website"),
        ({"website": "https://example.com:99999/"}, "/website"),
        ({"website": "http://:80/"}, "/website"),  # a port, and no host before it
        ({"website": "https://example.com/\u202egnp.exe"}, "/website"),
        ({"website": "https://exa\u202emple.com/"}, "/website"),
        ({"website": "https://example.com/100%"}, "/website"),
        # Characters RFC 3986 has no place for: a browser reads "\\" as "/", so the host here
        # would be evil.example; quotes and angle brackets are for attacking HTML.
        ({"website": "http://evil.example\\.example.com/"}, "/website"),
        ({"website": 'https://example.com/"onmouseover='}, "/website"),
        ({"website": "https://example.com/<script>"}, "/website"),
        ({"website": "https://example.com/{}|^`"}, "/website"),
        ({"avatar_url": "https://example.com/" + "a" * 2048}, "/avatar_url"),
        ({"bio": "x" * 501}, "/bio"),
        ({"email": "a@example.com"}, "/email"),
    ],
)
def test_invalid_profile_fields_are_refused(
    client: FlaskClient, fields: dict[str, Any], pointer: str
) -> None:
    user = UserFactory(profile__website="https://example.com/")

    response = client.patch("/api/users/me/profile", json=fields, headers=auth_headers(user))

    assert pointers(assert_problem(response, 422)) == [pointer]
    assert client.get("/api/users/me/profile", headers=auth_headers(user)).get_json() == {
        "bio": None,
        "website": "https://example.com/",
        "avatar_url": None,
    }


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://Example.COM/Path",  # scheme and host in any case (RFC 3986, sections 3.1, 3.2.2)
        "https://[2001:db8::1]:8443/x?y=z#top",
        "https://xn--mnchen-3ya.de/",  # an internationalised name, in its ASCII form
        "http://example.com/caf%C3%A9",
    ],
)
def test_urls_by_rfc_3986_are_stored_as_sent(client: FlaskClient, url: str) -> None:
    user = UserFactory()

    response = client.patch(
        "/api/users/me/profile", json={"website": url}, headers=auth_headers(user)
    )

    assert response.status_code == 200
    assert response.get_json()["website"] == url


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_your_profile_needs_a_token(client: FlaskClient, method: str) -> None:
    assert_problem(client.open("/api/users/me/profile", method=method, json={}), 401)
