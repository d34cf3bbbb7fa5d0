"""Sign-in throttling: too many wrong passwords for one username, and it is refused for a while.

The limits are made small here (3 failures in 60 seconds). Nothing sleeps: each test runs in one
transaction, in which PostgreSQL's now() stands still, and a window is made to have ended by
moving its stored start back. tests/system/test_throttle_processes.py shows the count is shared by
the workers of a real server, survives its restart, and holds under simultaneous requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from apiflask import APIFlask
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from blog.config import EXTENSION_KEY, Settings
from blog.db import db
from blog.errors import PROBLEM_TYPES
from tests.factories import PASSWORD, UserFactory
from tests.helpers import assert_problem, auth_headers

MAX_FAILURES = 3
WINDOW = 60
WRONG = "wrong-password"


@pytest.fixture(autouse=True)
def small_limits(app: APIFlask, settings: Settings) -> Iterator[Settings]:
    small = settings.model_copy(
        update={"sign_in_max_failures": MAX_FAILURES, "sign_in_window_seconds": WINDOW}
    )
    app.extensions[EXTENSION_KEY] = small
    yield small
    app.extensions[EXTENSION_KEY] = settings


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every Argon2 verification."""
    checked: list[str] = []
    real_verify = PasswordHasher.verify

    def spy(self: PasswordHasher, hash: str, password: str) -> bool:
        checked.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return checked


def sign_in(
    client: FlaskClient, username: str, password: str = WRONG, **headers: str
) -> TestResponse:
    body = {"username": username, "password": password}
    return client.post("/api/tokens", json=body, headers=headers)


def stored(username_lower: str) -> Any:
    return db.session.execute(
        text(
            "SELECT failures, window_started_at = now() AS started_now,"
            " window_started_at AS started_at"
            " FROM sign_in_failures WHERE username_lower = :name"
        ),
        {"name": username_lower},
    ).one_or_none()


def move_window_back(username_lower: str, seconds: float) -> None:
    db.session.execute(
        text(
            "UPDATE sign_in_failures"
            " SET window_started_at = window_started_at - make_interval(secs => :seconds)"
            " WHERE username_lower = :name"
        ),
        {"name": username_lower, "seconds": seconds},
    )


def test_now_stands_still_for_the_whole_test(client: FlaskClient) -> None:
    def clocks() -> Any:
        return db.session.execute(text("SELECT now() AS now, clock_timestamp() AS clock")).one()

    before = clocks()
    assert_problem(sign_in(client, "nobody"), 401)
    after = clocks()

    assert after.now == before.now == stored("nobody").started_at
    assert after.clock > before.clock


def test_after_too_many_wrong_passwords_the_username_is_refused_with_429(
    client: FlaskClient, verified: list[str]
) -> None:
    UserFactory(username="alice")

    wrong = [sign_in(client, "alice") for _ in range(MAX_FAILURES)]
    assert len(verified) == MAX_FAILURES  # one Argon2 verification for each wrong password
    verified.clear()
    refused = sign_in(client, "alice", PASSWORD)  # even the right password

    assert [response.status_code for response in wrong] == [401] * MAX_FAILURES
    body = assert_problem(refused, 429)
    assert body["type"] == PROBLEM_TYPES["too-many-attempts"].uri
    assert refused.headers["Retry-After"] == str(WINDOW)
    assert "access_token" not in refused.get_data(as_text=True)
    # Refused before any password check: no Argon2 hash was computed for it.
    assert verified == []
    assert stored("alice").failures == MAX_FAILURES


def test_an_unknown_username_is_throttled_in_the_same_way(client: FlaskClient) -> None:
    UserFactory(username="alice")
    for name in ("alice", "nobody"):
        for _ in range(MAX_FAILURES):
            assert_problem(sign_in(client, name), 401)

    known, unknown = sign_in(client, "alice"), sign_in(client, "nobody")

    assert assert_problem(known, 429) == assert_problem(unknown, 429)
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]


def test_the_username_is_counted_whatever_its_case_and_alone(client: FlaskClient) -> None:
    UserFactory(username="alice")
    UserFactory(username="bob")

    for name in ("alice", "ALICE", "Alice"):
        assert_problem(sign_in(client, name), 401)

    assert_problem(sign_in(client, "aLiCe", PASSWORD), 429)
    assert sign_in(client, "bob", PASSWORD).status_code == 200


def test_a_successful_sign_in_clears_the_failures(client: FlaskClient) -> None:
    UserFactory(username="alice")
    for _ in range(MAX_FAILURES - 1):
        assert_problem(sign_in(client, "alice"), 401)

    assert sign_in(client, "Alice", PASSWORD).status_code == 200

    assert stored("alice") is None
    for _ in range(MAX_FAILURES):
        assert_problem(sign_in(client, "alice"), 401)


def test_the_window_is_fixed_refused_attempts_do_not_extend_it(client: FlaskClient) -> None:
    UserFactory(username="alice")
    for _ in range(MAX_FAILURES):
        sign_in(client, "alice")
    move_window_back("alice", WINDOW - 10)

    for _ in range(5):
        refused = sign_in(client, "alice", PASSWORD)
        assert_problem(refused, 429)
        assert refused.headers["Retry-After"] == "10"

    # The refused attempts changed nothing: the same count, the same start.
    assert stored("alice").failures == MAX_FAILURES
    move_window_back("alice", 10)  # the window has now ended
    assert sign_in(client, "alice", PASSWORD).status_code == 200


def test_after_the_window_a_wrong_password_starts_a_new_one(client: FlaskClient) -> None:
    UserFactory(username="alice")
    for _ in range(MAX_FAILURES):
        sign_in(client, "alice")
    move_window_back("alice", WINDOW)

    assert_problem(sign_in(client, "alice"), 401)

    failures, started_now, _ = stored("alice")
    assert (failures, started_now) == (1, True)


def test_an_attempt_prunes_the_rows_whose_window_has_ended(client: FlaskClient) -> None:
    for name in ("ended", "ongoing"):
        sign_in(client, name)
    move_window_back("ended", WINDOW)

    sign_in(client, "someone-else")

    assert stored("ended") is None
    assert stored("ongoing").failures == 1


def test_retry_after_is_at_least_one_second(client: FlaskClient) -> None:
    UserFactory(username="alice")
    for _ in range(MAX_FAILURES):
        sign_in(client, "alice")
    move_window_back("alice", WINDOW - 0.2)

    refused = sign_in(client, "alice")

    assert_problem(refused, 429)
    assert refused.headers["Retry-After"] == "1"


def test_wrong_current_passwords_count_too(client: FlaskClient, verified: list[str]) -> None:
    user = UserFactory(username="alice")
    headers = auth_headers(user)
    change = {"email": "new@example.com", "current_password": WRONG}
    for _ in range(MAX_FAILURES):
        assert_problem(client.patch("/api/users/me", json=change, headers=headers), 403)
    assert len(verified) == MAX_FAILURES
    verified.clear()

    right = change | {"current_password": PASSWORD}
    refused = client.patch("/api/users/me", json=right, headers=headers)

    assert_problem(refused, 429)
    assert refused.headers["Retry-After"] == str(WINDOW)
    assert verified == []
    assert_problem(sign_in(client, "alice", PASSWORD), 429)
    # The token still works, and the email was not changed.
    me = client.get("/api/users/me", headers=headers)
    assert (me.status_code, me.get_json()["email"]) == (200, user.email)


def test_wrong_current_passwords_to_delete_the_account_count_too(
    client: FlaskClient, verified: list[str]
) -> None:
    user = UserFactory(username="alice")
    headers = auth_headers(user)
    for _ in range(MAX_FAILURES):
        wrong = client.delete("/api/users/me", json={"current_password": WRONG}, headers=headers)
        assert_problem(wrong, 403)
    assert len(verified) == MAX_FAILURES
    verified.clear()

    refused = client.delete("/api/users/me", json={"current_password": PASSWORD}, headers=headers)

    assert_problem(refused, 429)
    assert refused.headers["Retry-After"] == str(WINDOW)
    assert verified == []
    assert_problem(sign_in(client, "alice", PASSWORD), 429)
    assert client.get("/api/users/me", headers=headers).status_code == 200


def test_a_right_current_password_deletes_the_account_after_failures(client: FlaskClient) -> None:
    user = UserFactory(username="alice")
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, "alice")

    response = client.delete(
        "/api/users/me", json={"current_password": PASSWORD}, headers=auth_headers(user)
    )

    assert response.status_code == 204


def test_right_current_passwords_count_too_so_a_token_cannot_hash_without_end(
    client: FlaskClient, verified: list[str]
) -> None:
    # A confirmation that changes nothing still costs a hash: were a right one to clear the
    # count, as a sign-in does, one token could keep the hashing slots busy for everyone.
    user = UserFactory(username="alice")
    headers = auth_headers(user)
    confirm = {"current_password": PASSWORD}
    for _ in range(MAX_FAILURES):
        assert client.patch("/api/users/me", json=confirm, headers=headers).status_code == 200
    assert len(verified) == MAX_FAILURES
    verified.clear()

    refused = client.patch("/api/users/me", json=confirm, headers=headers)

    assert_problem(refused, 429)
    assert verified == []
    assert stored("alice").failures == MAX_FAILURES


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/tokens", "post"), ("/api/users/me", "patch"), ("/api/users/me", "delete")],
    ids=str,
)
def test_the_document_lists_429_with_retry_after(
    client: FlaskClient, path: str, method: str
) -> None:
    spec = client.get("/openapi.json").get_json()

    response = spec["paths"][path][method]["responses"]["429"]

    assert "Retry-After" in response["headers"]
    assert "application/problem+json" in response["content"]


@pytest.mark.parametrize("condition", [{"If-Match": '"other"'}, {"If-None-Match": "*"}])
@pytest.mark.parametrize("where", ["sign-in", "current_password"])
def test_a_false_condition_does_not_undo_the_count(
    client: FlaskClient, verified: list[str], condition: dict[str, str], where: str
) -> None:
    # Refused at the commit, a false condition would undo the count with the rest of the
    # request's work, and every wrong password sent with one would be checked for free.
    user = UserFactory(username="alice")

    def wrong() -> TestResponse:
        if where == "sign-in":
            return sign_in(client, "alice", **condition)
        headers = auth_headers(user) | condition
        return client.patch("/api/users/me", json={"current_password": WRONG}, headers=headers)

    answers = [wrong() for _ in range(MAX_FAILURES + 1)]

    assert len(verified) == MAX_FAILURES
    assert stored("alice").failures == MAX_FAILURES
    assert_problem(answers[-1], 429)
    # A wrong password comes before the condition (RFC 9110, 13.2.1).
    assert {answer.status_code for answer in answers[:-1]} == {401 if where == "sign-in" else 403}
