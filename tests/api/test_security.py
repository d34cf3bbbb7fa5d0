"""Who may do what: forged and broken tokens, other people's things, and password storage."""

from __future__ import annotations

import string
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from jwt.utils import base64url_decode
from sqlalchemy import func, select

from blog.auth import HASHING_SLOTS, TOKEN_ALGORITHM
from blog.config import current_settings
from blog.db import db, utcnow
from blog.models import User
from tests import rows
from tests.factories import PASSWORD, UserFactory
from tests.helpers import assert_problem, auth_headers


def claims(user: User) -> dict[str, Any]:
    now = utcnow()
    return {
        "sub": str(user.id),
        "ver": user.token_version,
        "iat": now,
        "exp": now + timedelta(hours=1),
    }


def test_a_token_with_alg_none_is_refused(client: FlaskClient) -> None:
    user = UserFactory()
    unsigned = jwt.encode(claims(user), key=None, algorithm="none")

    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {unsigned}"})

    assert_problem(response, 401)


@pytest.mark.parametrize("cut", [1, 10, 40])
def test_a_truncated_token_is_refused(client: FlaskClient, cut: int) -> None:
    token = auth_headers(UserFactory())["Authorization"]

    response = client.get("/api/users/me", headers={"Authorization": token[:-cut]})

    assert_problem(response, 401)


def test_a_token_with_a_subject_that_is_not_an_id_is_refused(client: FlaskClient) -> None:
    forged = jwt.encode(
        claims(UserFactory()) | {"sub": "admin"},
        current_settings().secret_key,
        algorithm=TOKEN_ALGORITHM,
    )

    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {forged}"})

    assert_problem(response, 401)


def signed(payload: dict[str, Any]) -> str:
    return jwt.encode(payload, current_settings().secret_key, algorithm=TOKEN_ALGORITHM)


@pytest.mark.parametrize("claim", ["iat", "exp", "ver"])
@pytest.mark.parametrize(
    "spelling",
    [str, lambda n: f" {n} ", float, bool],
    ids=["string", "spaced string", "float", "boolean"],
)
def test_a_token_whose_times_or_version_are_not_whole_numbers_is_refused(
    client: FlaskClient, claim: str, spelling: Any
) -> None:
    # Signed with the key, as the published development one lets anyone do: PyJWT reads "123"
    # as a time, and the app must not then fail on it.
    issued = {
        name: int(value.timestamp()) if isinstance(value, datetime) else value
        for name, value in claims(UserFactory()).items()
    }
    forged = issued | {claim: spelling(issued[claim])}

    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {signed(forged)}"})

    assert_problem(response, 401)


def test_a_token_that_outlives_the_token_lifetime_is_refused(client: FlaskClient) -> None:
    user = UserFactory()
    lifetime = timedelta(seconds=current_settings().token_ttl_seconds)
    issued = claims(user) | {"exp": claims(user)["iat"] + lifetime}

    as_issued = client.get("/api/users/me", headers={"Authorization": f"Bearer {signed(issued)}"})
    longer = issued | {"exp": issued["exp"] + timedelta(seconds=1)}
    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {signed(longer)}"})

    assert as_issued.status_code == 200
    assert_problem(response, 401)


BASE64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def padded(signature: str) -> str:
    return signature + "="


def with_a_stray_bit(signature: str) -> str:
    # 32 bytes take 43 letters of 6 bits: the last letter's lowest 2 bits are left over.
    return signature[:-1] + BASE64URL[BASE64URL.index(signature[-1]) ^ 1]


@pytest.mark.parametrize("respell", [padded, with_a_stray_bit])
def test_a_signature_spelt_otherwise_is_refused(client: FlaskClient, respell: Any) -> None:
    token = signed(claims(UserFactory()))
    head, _, signature = token.rpartition(".")
    other = f"{head}.{respell(signature)}"
    # The same signature bytes: a decoder that skips padding and stray bits accepts it.
    assert base64url_decode(respell(signature).rstrip("=")) == base64url_decode(signature)

    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {other}"})

    assert_problem(response, 401)


@contextmanager
def every_hashing_slot_taken() -> Iterator[None]:
    """Hold every password-hashing slot from a connection of another worker's."""
    with db.session.get_bind().engine.connect() as other:
        for slot in range(current_settings().password_hashes_at_once):
            other.execute(select(func.pg_advisory_lock(HASHING_SLOTS, slot)))
        try:
            yield
        finally:
            other.execute(select(func.pg_advisory_unlock_all()))


def test_a_password_to_check_while_every_hashing_slot_is_taken_is_refused_with_429(
    client: FlaskClient,
) -> None:
    user = UserFactory(username="alice")
    users_before = rows.count("users")
    new = {"username": "bob", "email": "bob@example.com", "password": "s3cret-enough-for-tests"}

    with every_hashing_slot_taken():
        answers = [
            client.post("/api/users", json=new),
            client.post("/api/tokens", json={"username": "alice", "password": PASSWORD}),
            client.delete(
                "/api/users/me", json={"current_password": PASSWORD}, headers=auth_headers(user)
            ),
        ]

    for response in answers:
        assert_problem(response, 429)
        assert response.headers["Retry-After"] == "1"
    assert rows.count("users") == users_before
    # Not counted as wrong passwords: a client that waits as asked is never locked out.
    assert rows.count("sign_in_failures") == 0


# Every operation called with someone else's token, on things of another user's:
# test_every_operation.py (test_someone_elses_token_acts_only_for_its_user).


# Passwords


def test_passwords_are_stored_as_argon2id_with_the_configured_cost(client: FlaskClient) -> None:
    client.post(
        "/api/users",
        json={
            "username": "alice",
            "email": "alice@example.com",
            "password": "s3cret-enough-for-tests",
        },
    )

    stored = db.session.scalars(db.select(User.password_hash)).one()

    settings = current_settings()
    assert stored.startswith(
        f"$argon2id$v=19$m={settings.argon2_memory_cost_kib},"
        f"t={settings.argon2_time_cost},p={settings.argon2_parallelism}$"
    )


def test_a_hash_made_with_other_parameters_is_upgraded_at_sign_in(client: FlaskClient) -> None:
    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    user = UserFactory(username="alice", password_hash=old)

    response = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    db.session.refresh(user)
    assert user.password_hash != old
    assert not PasswordHasher(
        time_cost=current_settings().argon2_time_cost,
        memory_cost=current_settings().argon2_memory_cost_kib,
        parallelism=current_settings().argon2_parallelism,
    ).check_needs_rehash(user.password_hash)


def test_an_unknown_user_costs_a_password_check_like_a_wrong_password(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    UserFactory(username="alice")
    checked: list[str] = []
    real_verify = PasswordHasher.verify

    def spy(self: PasswordHasher, hash: str, password: str) -> bool:
        checked.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)

    client.post("/api/tokens", json={"username": "alice", "password": "wrong-password"})
    client.post("/api/tokens", json={"username": "nobody", "password": "wrong-password"})

    # One Argon2 verification each: the user's hash, then the dummy hash for nobody.
    assert len(checked) == 2
    assert all(hash.startswith("$argon2id$") for hash in checked)
    assert checked[0] != checked[1]
