"""/api/tokens and bearer tokens: signing in, and every way a token can be refused."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import jwt
import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient

from blog.auth import (
    EXPIRED,
    NOT_BEARER,
    NOT_VALID,
    REVOKED,
    TOKEN_ALGORITHM,
    USER_GONE,
)
from blog.config import current_settings
from blog.db import MAX_ID, db, utcnow
from blog.errors import INVALID_TOKEN
from blog.models import User
from tests.factories import PASSWORD, UserFactory
from tests.helpers import assert_problem, auth_headers, pointers


def test_signing_in_returns_a_bearer_token_that_works(client: FlaskClient) -> None:
    user = UserFactory(username="alice")

    response = client.post("/api/tokens", json={"username": "Alice", "password": PASSWORD})

    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == current_settings().token_ttl_seconds
    me = client.get("/api/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.get_json()["id"] == user.id


def test_a_look_alike_of_a_username_does_not_sign_in(client: FlaskClient) -> None:
    UserFactory(username="kate")
    kelvin = "\u212aate"  # KELVIN SIGN, which Python's str.lower() turns into "k"
    assert kelvin.lower() == "kate"

    response = client.post("/api/tokens", json={"username": kelvin, "password": PASSWORD})

    assert pointers(assert_problem(response, 422)) == ["/username"]


@pytest.mark.parametrize(
    ("set_as", "typed"),
    [("NFC", "NFD"), ("NFD", "NFC"), ("NFKC", "NFKD")],
)
def test_a_password_signs_in_however_its_letters_are_encoded(
    client: FlaskClient, set_as: str, typed: str
) -> None:
    password = "\u00e9t\u00e9-\ufb01n-de-semaine-\u00e0-paris"  # "été", the "fi" ligature
    spell = lambda form: unicodedata.normalize(form, password)  # noqa: E731
    assert spell(set_as) != spell(typed)
    client.post(
        "/api/users",
        json={"username": "elodie", "email": "elodie@example.com", "password": spell(set_as)},
    )

    response = client.post("/api/tokens", json={"username": "elodie", "password": spell(typed)})

    assert response.status_code == 200


def test_a_hash_of_a_password_as_typed_before_normalisation_still_signs_in(
    client: FlaskClient,
) -> None:
    typed = unicodedata.normalize("NFD", "\u00e9t\u00e9-en-pente-douce")
    UserFactory(username="elodie", password_hash=PasswordHasher().hash(typed))

    response = client.post("/api/tokens", json={"username": "elodie", "password": typed})

    assert response.status_code == 200


def test_no_cache_keeps_a_token(client: FlaskClient) -> None:
    UserFactory(username="alice")

    response = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


# Not an Argon2 hash, as an account a deployment disabled may have (the demo layer's do).
NOT_ARGON2 = "!disabled"


@pytest.mark.parametrize("password", [NOT_ARGON2, PASSWORD, ""])
def test_an_account_whose_hash_is_not_argon2_cannot_be_signed_into(
    client: FlaskClient, password: str
) -> None:
    UserFactory(username="alice", password_hash=NOT_ARGON2)

    response = client.post("/api/tokens", json={"username": "alice", "password": password})

    assert_problem(response, 401)


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client: FlaskClient) -> None:
    UserFactory(username="alice")

    wrong = client.post("/api/tokens", json={"username": "alice", "password": "wrong-password"})
    unknown = client.post("/api/tokens", json={"username": "nobody", "password": PASSWORD})

    assert assert_problem(wrong, 401) == assert_problem(unknown, 401)
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


def token(**overrides: object) -> str:
    now = utcnow()
    claims = {"sub": "1", "ver": 0, "iat": now, "exp": now + timedelta(hours=1)} | overrides
    return jwt.encode(claims, current_settings().secret_key, algorithm=TOKEN_ALGORITHM)


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        ("Bearer not-a-token", NOT_VALID),
        ("Bearer ", NOT_BEARER),
        ("Basic YWxpY2U6cGFzc3dvcmQ=", NOT_BEARER),
    ],
)
def test_malformed_authorization_is_refused(
    client: FlaskClient, authorization: str, detail: str
) -> None:
    response = client.get("/api/users/me", headers={"Authorization": authorization})

    assert assert_problem(response, 401)["detail"] == detail
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_refused(client: FlaskClient) -> None:
    user = UserFactory()
    expired = token(sub=str(user.id), exp=utcnow() - timedelta(seconds=1))

    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {expired}"})

    assert assert_problem(response, 401)["detail"] == EXPIRED


def stale_authorization(user: User) -> list[str]:
    """Return Authorization headers a client may have left set: an expired token of the user,
    one from before a password change, garbage, and another scheme."""
    expired = token(sub=str(user.id), exp=utcnow() - timedelta(seconds=1))
    earlier = token(sub=str(user.id), ver=user.token_version - 1)
    return [f"Bearer {expired}", f"Bearer {earlier}", "Bearer not-a-token", "Bearer ", "Basic eDp4"]


def test_a_stale_token_does_not_stop_you_signing_in_again(client: FlaskClient) -> None:
    user = UserFactory(username="alice", token_version=1)

    for authorization in stale_authorization(user):
        response = client.post(
            "/api/tokens",
            json={"username": "alice", "password": PASSWORD},
            headers={"Authorization": authorization},
        )
        assert response.status_code == 200, authorization
        # The token it gets is a fresh one, which works.
        fresh = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
        assert client.get("/api/users/me", headers=fresh).status_code == 200


def test_a_stale_token_is_not_read_by_sign_up_or_the_health_check(client: FlaskClient) -> None:
    user = UserFactory(token_version=1)

    for number, authorization in enumerate(stale_authorization(user)):
        headers = {"Authorization": authorization}
        signed_up = client.post(
            "/api/users",
            json={
                "username": f"new{number}",
                "email": f"new{number}@example.com",
                "password": PASSWORD,
            },
            headers=headers,
        )
        assert signed_up.status_code == 201, authorization
        assert client.get("/healthz", headers=headers).status_code == 200, authorization


def test_a_stale_token_is_still_refused_where_a_token_is_read(client: FlaskClient) -> None:
    user = UserFactory(token_version=1)

    for authorization in stale_authorization(user):
        for path in ("/api/users/me", "/api/posts", "/api/tags"):
            response = client.get(path, headers={"Authorization": authorization})
            assert_problem(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_tampered_token_is_refused(client: FlaskClient) -> None:
    user, other = UserFactory(), UserFactory()
    header, _, signature = token(sub=str(user.id)).split(".")
    _, claims, _ = token(sub=str(other.id)).split(".")

    response = client.get(
        "/api/users/me", headers={"Authorization": f"Bearer {header}.{claims}.{signature}"}
    )

    assert assert_problem(response, 401)["detail"] == NOT_VALID


def test_a_token_signed_with_another_key_is_refused(client: FlaskClient) -> None:
    user = UserFactory()
    now = utcnow()
    forged = jwt.encode(
        {"sub": str(user.id), "ver": 0, "iat": now, "exp": now + timedelta(hours=1)},
        "another-key-that-is-also-long-enough-for-hs256",
        algorithm="HS256",
    )

    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {forged}"})

    assert_problem(response, 401)


def test_the_token_of_a_deleted_user_is_refused(client: FlaskClient) -> None:
    user = UserFactory()
    stale = token(sub=str(user.id))
    db.session.delete(user)
    db.session.flush()

    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {stale}"})

    assert assert_problem(response, 401)["detail"] == USER_GONE


def test_the_token_names_the_users_token_version(client: FlaskClient) -> None:
    user = UserFactory(username="alice")

    response = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD})

    claims = jwt.decode(
        response.get_json()["access_token"],
        current_settings().secret_key,
        algorithms=[TOKEN_ALGORITHM],
    )
    assert claims["ver"] == user.token_version == 0


@pytest.mark.parametrize(
    "sub",
    ["99999999999999", str(MAX_ID + 1), "0", "-1", "0{id}", "+{id}", " {id}", "{id}.0", "{id}\n"],
    ids=repr,
)
@pytest.mark.parametrize("path", ["/api/users/me", "/api/posts"])
def test_a_token_whose_subject_is_no_canonical_id_is_refused(
    client: FlaskClient, sub: str, path: str
) -> None:
    user = UserFactory()
    signed = token(sub=sub.format(id=user.id), ver=user.token_version)

    response = client.get(path, headers={"Authorization": f"Bearer {signed}"})

    assert_problem(response, 401, INVALID_TOKEN)
    assert client.get(path, headers=auth_headers(user)).status_code == 200


def test_a_token_without_a_token_version_is_refused(client: FlaskClient) -> None:
    user = UserFactory()
    now = utcnow()
    claims = {"sub": str(user.id), "iat": now, "exp": now + timedelta(hours=1)}
    unversioned = jwt.encode(claims, current_settings().secret_key, algorithm=TOKEN_ALGORITHM)

    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {unversioned}"})

    assert assert_problem(response, 401)["detail"] == NOT_VALID


@pytest.mark.parametrize("version", ["0", 0.0, False, 1, -1], ids=repr)
def test_a_token_of_another_token_version_is_refused(client: FlaskClient, version: object) -> None:
    user = UserFactory()
    other = token(sub=str(user.id), ver=version)

    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {other}"})

    assert_problem(response, 401)


def version_named(headers: dict[str, str]) -> object:
    bearer = headers["Authorization"].removeprefix("Bearer ")
    return jwt.decode(bearer, current_settings().secret_key, algorithms=[TOKEN_ALGORITHM])["ver"]


def test_changing_the_password_ends_every_token_issued_before(client: FlaskClient) -> None:
    user = UserFactory(username="alice")
    # Both issued just before the change below, maybe in the same second as the tokens issued
    # after it (`iat` is in whole seconds): only the version each names tells them apart.
    one, other = auth_headers(user), auth_headers(user)
    assert client.get("/api/users/me", headers=other).status_code == 200

    response = client.patch(
        "/api/users/me",
        json={"password": "an-ordinary-new-passphrase", "current_password": PASSWORD},
        headers=one,
    )

    assert response.status_code == 200
    for stale in (one, other):
        refused = client.get("/api/users/me", headers=stale)
        assert assert_problem(refused, 401)["detail"] == REVOKED
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    db.session.refresh(user)
    assert user.token_version == 1
    signed_in = client.post(
        "/api/tokens", json={"username": "alice", "password": "an-ordinary-new-passphrase"}
    )
    fresh_token = {"Authorization": f"Bearer {signed_in.get_json()['access_token']}"}
    assert client.get("/api/users/me", headers=fresh_token).status_code == 200
    assert client.get("/api/users/me", headers=auth_headers(user)).status_code == 200
    versions = [version_named(headers) for headers in (one, other, fresh_token)]
    assert versions == [0, 0, 1]


def test_changing_only_the_email_keeps_the_tokens(client: FlaskClient) -> None:
    user = UserFactory()
    headers = auth_headers(user)

    response = client.patch(
        "/api/users/me",
        json={"email": "new@example.com", "current_password": PASSWORD},
        headers=headers,
    )

    assert response.status_code == 200
    assert client.get("/api/users/me", headers=headers).status_code == 200
    db.session.refresh(user)
    assert user.token_version == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/users/me"),
        ("PATCH", "/api/users/me"),
        ("DELETE", "/api/users/me"),
        ("POST", "/api/posts"),
        ("PATCH", "/api/posts/1"),
        ("DELETE", "/api/posts/1"),
    ],
)
def test_every_write_endpoint_needs_a_token(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method, json={})

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_an_hs256_jwt_naming_the_user_with_whole_second_times(
    client: FlaskClient,
) -> None:
    user = UserFactory(username="alice")

    body = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD}).get_json()

    token = body["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, current_settings().secret_key, algorithms=["HS256"])
    assert claims["sub"] == str(user.id)
    assert isinstance(claims["iat"], int)
    assert claims["exp"] - claims["iat"] == body["expires_in"]
