"""/api/users: sign up, your own account, and public profiles."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Table, select

from blog.api.users import NOT_CONFIRMED
from blog.db import Base, db
from blog.models import SignInFailures, User
from blog.schemas import EXAMPLE_PASSWORD, UserUpdate
from tests import rows
from tests.factories import PASSWORD, PostFactory, TagFactory, UserFactory
from tests.helpers import assert_problem, auth_headers, pointers
from tests.inventory import OPERATIONS
from tests.world import World, someone_else


def sign_up(client: FlaskClient, **fields: Any) -> Any:
    body = {
        "username": "alice",
        "email": "alice@example.com",
        "password": "s3cret-enough-for-tests",
    }
    return client.post("/api/users", json=body | fields)


def test_signing_up_creates_a_user(client: FlaskClient) -> None:
    response = sign_up(client)

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == "/api/users/alice"
    assert set(body) == {"id", "username", "email", "created_at"}
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert body["created_at"].endswith("Z")
    user = db.session.get(User, body["id"])
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert "s3cret-enough-for-tests" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("taken", "field"),
    [({"username": "ALICE"}, "/username"), ({"email": "Alice@Example.com"}, "/email")],
)
def test_usernames_and_emails_are_unique_regardless_of_case(
    client: FlaskClient, taken: dict[str, str], field: str
) -> None:
    UserFactory(username="alice", email="alice@example.com")
    users_before = rows.count("users")

    response = sign_up(client, **({"username": "bob", "email": "bob@example.com"} | taken))

    body = assert_problem(response, 409)
    assert pointers(body) == [field]
    assert rows.count("users") == users_before


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"username": "al"}, "/username"),
        ({"username": "x" * 33}, "/username"),
        ({"username": "alice smith"}, "/username"),
        ({"username": "al\u00efce"}, "/username"),
        ({"email": "not-an-email"}, "/email"),
        ({"password": "short"}, "/password"),
        ({"password": "k7#Pq2!vX9@mLz"}, "/password"),  # strong, but 14 characters
        ({"password": "password12345678"}, "/password"),  # long enough, but common
        ({"password": "abcabcabcabcabcabc"}, "/password"),  # a repeat
        # Judged by its first 20 characters, which a strong end does not make up for.
        ({"password": "a" * 20 + "Zq8#mW2!pL5xK9vB"}, "/password"),
        ({"password": "x" * 129}, "/password"),
        # 15 code points as typed, 14 characters once normalised: "é" as "e" and an accent.
        ({"password": "k7#Pq2!vX9@mLze\u0301"[1:]}, "/password"),
        # Strong alone, but made of the account's own words (NIST SP 800-63B-4, 3.1.1.2).
        ({"username": "quixotic-zebra7", "password": "quixotic-zebra7quixotic"}, "/password"),
        ({"email": "marmalade.otter@example.com", "password": "marmalade.otter.2024"}, "/password"),
        ({"password": 12345678}, "/password"),
        ({"is_admin": True}, "/is_admin"),
    ],
)
def test_invalid_sign_ups_are_refused_with_a_pointer(
    client: FlaskClient, fields: dict[str, Any], pointer: str
) -> None:
    response = sign_up(client, **fields)

    body = assert_problem(response, 422)
    assert pointers(body) == [pointer]
    assert rows.count("users") == 0


def test_missing_fields_are_each_reported(client: FlaskClient) -> None:
    body = assert_problem(client.post("/api/users", json={}), 422)
    assert sorted(pointers(body)) == ["/email", "/password", "/username"]


def test_reading_your_account_needs_a_token(client: FlaskClient) -> None:
    response = client.get("/api/users/me")

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_reading_your_account(client: FlaskClient) -> None:
    user = UserFactory()

    response = client.get("/api/users/me", headers=auth_headers(user))

    assert response.status_code == 200
    assert response.get_json() == {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "created_at": user.created_at.isoformat().replace("+00:00", "Z"),
    }


def test_patching_your_account_changes_only_what_is_sent(client: FlaskClient) -> None:
    user = UserFactory(email="old@example.com")
    old_hash = user.password_hash

    response = client.patch(
        "/api/users/me",
        json={"email": "new@example.com", "current_password": PASSWORD},
        headers=auth_headers(user),
    )

    assert response.status_code == 200
    assert response.get_json()["email"] == "new@example.com"
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_the_bio_is_changed_through_the_profile_only(client: FlaskClient) -> None:
    user = UserFactory(profile__bio="Old bio")

    response = client.patch(
        "/api/users/me",
        json={"bio": "New bio", "current_password": PASSWORD},
        headers=auth_headers(user),
    )

    assert_problem(response, 422)
    assert response.get_json()["errors"][0]["pointer"] == "/bio"
    db.session.refresh(user.profile)
    assert user.profile.bio == "Old bio"


def test_null_is_refused_where_it_means_nothing(client: FlaskClient) -> None:
    user = UserFactory()

    response = client.patch(
        "/api/users/me",
        json={"email": None, "current_password": PASSWORD},
        headers=auth_headers(user),
    )

    assert pointers(assert_problem(response, 422)) == ["/email"]


def test_changing_your_password(client: FlaskClient) -> None:
    user = UserFactory()
    headers = auth_headers(user)

    response = client.patch(
        "/api/users/me",
        json={"password": "an-ordinary-new-passphrase", "current_password": PASSWORD},
        headers=headers,
    )

    assert response.status_code == 200
    new = client.post(
        "/api/tokens", json={"username": user.username, "password": "an-ordinary-new-passphrase"}
    )
    old = client.post("/api/tokens", json={"username": user.username, "password": PASSWORD})
    assert new.status_code == 200
    assert_problem(old, 401)


@pytest.mark.parametrize(
    "change",
    [{"email": "new@example.com"}, {"password": "an-ordinary-new-passphrase"}, {}],
    ids=["email", "password", "nothing"],
)
def test_every_change_to_your_account_needs_your_current_password(
    client: FlaskClient, change: dict[str, str]
) -> None:
    user = UserFactory(email="old@example.com")
    before = (user.email, user.password_hash, user.token_version)

    response = client.patch("/api/users/me", json=change, headers=auth_headers(user))

    body = assert_problem(response, 422)
    assert pointers(body) == ["/current_password"]
    db.session.refresh(user)
    assert (user.email, user.password_hash, user.token_version) == before


@pytest.mark.parametrize(
    "change",
    [{"email": "new@example.com"}, {"password": "an-ordinary-new-passphrase"}],
    ids=["email", "password"],
)
def test_a_wrong_current_password_is_refused_and_changes_nothing(
    client: FlaskClient, change: dict[str, str]
) -> None:
    user = UserFactory(email="old@example.com")
    headers = auth_headers(user)
    before = (user.email, user.password_hash, user.token_version)

    response = client.patch(
        "/api/users/me", json=change | {"current_password": "not-the-password"}, headers=headers
    )

    body = assert_problem(response, 403)
    assert body["detail"] == NOT_CONFIRMED
    assert body["errors"] == [{"pointer": "/current_password", "detail": body["detail"]}]
    assert "WWW-Authenticate" not in response.headers
    db.session.refresh(user)
    assert (user.email, user.password_hash, user.token_version) == before
    # The token that sent it is still good: the answer was about the password, not the token.
    assert client.get("/api/users/me", headers=headers).status_code == 200


def test_the_document_says_changes_need_the_current_password(client: FlaskClient) -> None:
    schema = client.get("/openapi.json").get_json()["components"]["schemas"]["UserUpdate"]

    assert "current_password" in schema["required"]
    assert "403" in schema["properties"]["current_password"]["description"]
    password = schema["properties"]["password"]
    assert password["description"] == UserUpdate.model_fields["password"].description


def test_changing_your_email_to_a_taken_one_is_a_conflict(client: FlaskClient) -> None:
    UserFactory(email="taken@example.com")
    user = UserFactory()

    response = client.patch(
        "/api/users/me",
        json={"email": "TAKEN@example.com", "current_password": PASSWORD},
        headers=auth_headers(user),
    )

    assert pointers(assert_problem(response, 409)) == ["/email"]
    db.session.refresh(user)
    assert user.email != "taken@example.com"


WRITES = [op for op in OPERATIONS if op.method in {"POST", "PUT", "PATCH"}]


def test_deleting_your_account_deletes_your_posts_and_their_links_but_not_tags(
    client: FlaskClient, world: World
) -> None:
    # The world's user is someone else; the caller does to their things whatever each write
    # operation of the API does with its example body (likes, follows, comments on their post).
    user = someone_else()
    world.user.following.append(user)
    python = TagFactory(name="python")
    mine = PostFactory(author=user, tags=[python])
    theirs = PostFactory(author=world.user, tags=[python])
    headers = auth_headers(user)
    for operation in WRITES:
        world.call(client, operation, headers=headers, json=operation.example())
    before = rows.everything()
    users_rows = rows.reached_from(user.id, before)
    others = rows.reached_from(world.user.id, before)
    referring = [table.name for table in Base.metadata.sorted_tables if refers_to_users(table)]
    assert [table for table in referring if not users_rows[table]] == []

    response = client.delete(
        "/api/users/me", json={"current_password": EXAMPLE_PASSWORD}, headers=headers
    )

    assert response.status_code == 204
    assert response.get_data() == b""
    after = rows.everything()
    # Every row that led to the user is gone; every other row of the other user's is there.
    assert {table: users_rows[table] & after[table] for table in after} == {t: set() for t in after}
    assert all(others[t] - users_rows[t] <= after[t] for t in after)
    assert not rows.exists("posts", mine.id)
    assert rows.tag_links(tag_id=python.id) == {(theirs.id, python.id)}
    assert rows.exists("tags", python.id)
    # The token of a deleted user no longer works.
    assert_problem(client.get("/api/users/me", headers=headers), 401)


@pytest.mark.parametrize(
    ("body", "status"),
    [(None, 415), ({}, 422), ({"current_password": None}, 422)],
    ids=["no body", "{}", "null"],
)
def test_deleting_your_account_needs_your_current_password(
    client: FlaskClient, body: dict[str, None] | None, status: int
) -> None:
    user = UserFactory()
    PostFactory(author=user)
    before = rows.everything()

    response = client.delete("/api/users/me", json=body, headers=auth_headers(user))

    problem = assert_problem(response, status)
    if status == 422:
        assert pointers(problem) == ["/current_password"]
    assert rows.everything() == before


def test_a_wrong_current_password_does_not_delete_your_account(client: FlaskClient) -> None:
    user = UserFactory()
    PostFactory(author=user)
    headers = auth_headers(user)
    before = rows.everything()

    response = client.delete(
        "/api/users/me", json={"current_password": "not-the-password"}, headers=headers
    )

    body = assert_problem(response, 403)
    assert body["errors"] == [{"pointer": "/current_password", "detail": body["detail"]}]
    assert "WWW-Authenticate" not in response.headers
    # Nothing changed but the count of wrong passwords (test_sign_in_throttle.py).
    after = rows.everything()
    counted = after["sign_in_failures"] - before["sign_in_failures"]
    assert [dict(row)["username_lower"] for row in counted] == [user.username.lower()]
    assert after == before | {"sign_in_failures": after["sign_in_failures"]}
    assert client.get("/api/users/me", headers=headers).status_code == 200


def test_the_document_says_deleting_your_account_needs_the_current_password(
    client: FlaskClient,
) -> None:
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/api/users/me"]["delete"]
    reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][reference.rpartition("/")[2]]

    assert operation["requestBody"]["required"] is True
    assert schema["required"] == ["current_password"]
    assert {"403", "422", "429"} <= set(operation["responses"])


def refers_to_users(table: Table) -> bool:
    return any(key.column.table is User.__table__ for key in table.foreign_keys)


def test_anyone_can_read_a_public_profile(client: FlaskClient) -> None:
    user = UserFactory(username="Alice", profile__bio="Writes about SQL")
    PostFactory.create_batch(2, author=user)
    PostFactory()

    response = client.get("/api/users/alice")

    assert response.status_code == 200
    assert response.get_json() == {
        "username": "Alice",
        "bio": "Writes about SQL",
        "website": None,
        "avatar_url": None,
        "created_at": user.created_at.isoformat().replace("+00:00", "Z"),
        "post_count": 2,
        "follower_count": 0,
        "following_count": 0,
    }


@pytest.mark.parametrize("username", ["nobody", "no%20body", "x" * 300, "%00"])
def test_an_unknown_profile_is_not_found(client: FlaskClient, username: str) -> None:
    assert_problem(client.get(f"/api/users/{username}"), 404)


@pytest.mark.parametrize("email", [None, "quixotic.zebra@example.com"])
def test_a_new_password_made_of_the_account_is_refused_before_any_hash(
    client: FlaskClient, email: str | None
) -> None:
    # The username, or the email address the same request sets: refused before the current
    # password is checked, so that the refusal costs no hash.
    user = UserFactory(username="quixotic-zebra7")
    before = user.password_hash
    change = {"current_password": PASSWORD, "password": "quixotic-zebra7-2024"}
    if email is not None:
        change |= {"email": email, "password": "quixotic.zebra.2024"}

    response = client.patch("/api/users/me", json=change, headers=auth_headers(user))

    assert pointers(assert_problem(response, 422)) == ["/password"]
    counted = select(SignInFailures).filter_by(username_lower=user.username)
    assert db.session.scalars(counted).all() == []  # no attempt counted: no password checked
    db.session.refresh(user)
    assert user.password_hash == before


def test_your_own_account_is_kept_by_no_cache(client: FlaskClient) -> None:
    user = UserFactory()
    headers = auth_headers(user)

    read = client.get("/api/users/me", headers=headers)
    changed = client.patch("/api/users/me", json={"current_password": PASSWORD}, headers=headers)

    assert read.headers["Cache-Control"] == changed.headers["Cache-Control"] == "no-store"
