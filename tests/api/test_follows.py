"""Following: PUT and DELETE /api/users/{username}/follow, followers, following, and the feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from blog.api.users import FOLLOWING_YOURSELF
from blog.db import db, utcnow
from tests.factories import PostFactory, UserFactory
from tests.helpers import assert_problem, auth_headers


def follow_rows() -> set[tuple[int, int]]:
    result = db.session.execute(text("SELECT follower_id, followed_id FROM follows"))
    return {(row.follower_id, row.followed_id) for row in result}


def usernames(client: FlaskClient, path: str) -> list[str]:
    return [item["username"] for item in client.get(path).get_json()["items"]]


def test_following_is_idempotent(client: FlaskClient) -> None:
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    headers = auth_headers(alice)

    first = client.put("/api/users/bob/follow", headers=headers)
    again = client.put("/api/users/BOB/follow", headers=headers)

    assert (first.status_code, again.status_code) == (204, 204)
    assert follow_rows() == {(alice.id, bob.id)}


def test_unfollowing_is_idempotent(client: FlaskClient) -> None:
    alice = UserFactory(username="alice")
    UserFactory(username="bob")
    headers = auth_headers(alice)
    client.put("/api/users/bob/follow", headers=headers)

    first = client.delete("/api/users/bob/follow", headers=headers)
    again = client.delete("/api/users/bob/follow", headers=headers)

    assert (first.status_code, again.status_code) == (204, 204)
    assert follow_rows() == set()


def test_you_cannot_follow_yourself(client: FlaskClient) -> None:
    alice = UserFactory(username="alice")

    response = client.put("/api/users/alice/follow", headers=auth_headers(alice))

    assert assert_problem(response, 422)["detail"] == FOLLOWING_YOURSELF
    assert follow_rows() == set()


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_following_a_missing_user_is_not_found(client: FlaskClient, method: str) -> None:
    headers = auth_headers(UserFactory())

    assert_problem(client.open("/api/users/nobody/follow", method=method, headers=headers), 404)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_following_needs_a_token(client: FlaskClient, method: str) -> None:
    UserFactory(username="bob")

    assert_problem(client.open("/api/users/bob/follow", method=method), 401)


def test_followers_and_following_are_listed_by_name(client: FlaskClient) -> None:
    bob = UserFactory(username="bob")
    fans = [UserFactory(username=name) for name in ("Zed", "carol", "alice")]
    bob.followers.extend(fans)
    bob.following.append(fans[1])
    db.session.flush()

    assert usernames(client, "/api/users/bob/followers") == ["alice", "carol", "Zed"]
    assert usernames(client, "/api/users/bob/following") == ["carol"]
    assert usernames(client, "/api/users/carol/followers") == ["bob"]
    page = client.get("/api/users/bob/followers?per_page=2&page=2").get_json()
    assert [item["username"] for item in page["items"]] == ["Zed"]
    assert (page["total"], page["pages"]) == (3, 2)
    profile = client.get("/api/users/bob").get_json()
    assert (profile["follower_count"], profile["following_count"]) == (3, 1)


def test_followers_of_a_missing_user_is_not_found(client: FlaskClient) -> None:
    assert_problem(client.get("/api/users/nobody/followers"), 404)
    assert_problem(client.get("/api/users/nobody/following"), 404)


def test_the_feed_shows_posts_by_followed_users_newest_first(client: FlaskClient) -> None:
    alice, bob, carol, dave = (UserFactory() for _ in range(4))
    alice.following.extend([bob, carol])
    now = utcnow()
    old = PostFactory(author=bob, created_at=now - timedelta(days=2))
    new = PostFactory(author=carol, created_at=now)
    PostFactory(author=dave)  # not followed
    PostFactory(author=alice)  # her own
    db.session.flush()

    page = client.get("/api/feed", headers=auth_headers(alice)).get_json()

    assert [item["id"] for item in page["items"]] == [new.id, old.id]
    assert page["total"] == 2


def test_the_feed_needs_a_token(client: FlaskClient) -> None:
    assert_problem(client.get("/api/feed"), 401)
