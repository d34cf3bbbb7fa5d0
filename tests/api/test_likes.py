"""Likes: PUT and DELETE /api/posts/{id}/like, and the counts posts carry."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from blog import posts as posts_service
from blog.db import db
from blog.schemas import PostOut, PostPage
from tests import column_page, rows
from tests.factories import CommentFactory, LikeFactory, PostFactory, UserFactory
from tests.helpers import StatementLog, assert_problem, auth_headers


def test_liking_is_idempotent_and_counted(client: FlaskClient) -> None:
    post, user = PostFactory(), UserFactory()
    headers = auth_headers(user)

    first = client.put(f"/api/posts/{post.id}/like", headers=headers)
    again = client.put(f"/api/posts/{post.id}/like", headers=headers)

    assert (first.status_code, again.status_code) == (204, 204)
    assert rows.count("likes") == 1
    seen = client.get(f"/api/posts/{post.id}", headers=headers).get_json()
    assert (seen["like_count"], seen["liked_by_me"]) == (1, True)


def test_unliking_is_idempotent(client: FlaskClient) -> None:
    like = LikeFactory()
    headers = auth_headers(like.user)

    first = client.delete(f"/api/posts/{like.post_id}/like", headers=headers)
    again = client.delete(f"/api/posts/{like.post_id}/like", headers=headers)

    assert (first.status_code, again.status_code) == (204, 204)
    assert rows.count("likes") == 0


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_liking_a_missing_post_is_not_found(client: FlaskClient, method: str) -> None:
    headers = auth_headers(UserFactory())

    assert_problem(client.open("/api/posts/999999/like", method=method, headers=headers), 404)


def test_posts_carry_their_counts_and_liked_by_me_only_with_a_token(client: FlaskClient) -> None:
    post = PostFactory()
    me, other = UserFactory(), UserFactory()
    LikeFactory(post=post, user=me)
    LikeFactory(post=post, user=other)
    root = CommentFactory(post=post)
    CommentFactory(parent=root)
    unliked = PostFactory()

    anonymous = {p["id"]: p for p in client.get("/api/posts").get_json()["items"]}
    signed_in = {
        p["id"]: p for p in client.get("/api/posts", headers=auth_headers(me)).get_json()["items"]
    }

    assert (anonymous[post.id]["like_count"], anonymous[post.id]["comment_count"]) == (2, 2)
    assert "liked_by_me" not in anonymous[post.id]
    assert signed_in[post.id]["liked_by_me"] is True
    assert signed_in[unliked.id]["liked_by_me"] is False
    assert (signed_in[unliked.id]["like_count"], signed_in[unliked.id]["comment_count"]) == (0, 0)


def test_a_bad_token_on_a_public_endpoint_is_still_refused(client: FlaskClient) -> None:
    response = client.get("/api/posts", headers={"Authorization": "Bearer nonsense"})

    assert_problem(response, 401)


def test_a_new_post_is_liked_by_nobody_not_even_its_author(client: FlaskClient) -> None:
    user = UserFactory()

    response = client.post(
        "/api/posts", json={"title": "T", "body": "B"}, headers=auth_headers(user)
    )

    assert response.status_code == 201
    assert (response.get_json()["like_count"], response.get_json()["liked_by_me"]) == (0, False)


def test_the_feed_says_whether_you_like_each_post(client: FlaskClient) -> None:
    reader, writer = UserFactory(), UserFactory()
    reader.following.append(writer)
    liked, other = PostFactory(author=writer), PostFactory(author=writer)
    LikeFactory(post=liked, user=reader)

    page = client.get("/api/feed", headers=auth_headers(reader)).get_json()

    assert {p["id"]: p["liked_by_me"] for p in page["items"]} == {liked.id: True, other.id: False}


def test_each_viewer_sees_whether_they_like_a_post(client: FlaskClient) -> None:
    first, second = PostFactory(), PostFactory()
    me, other = UserFactory(), UserFactory()
    LikeFactory(post=first, user=me)
    LikeFactory(post=second, user=other)

    for viewer, liked in ((me, first), (other, second)):
        headers = auth_headers(viewer)
        listed = client.get("/api/posts", headers=headers).get_json()["items"]
        single = client.get(f"/api/posts/{liked.id}", headers=headers).get_json()

        assert {p["id"]: p["liked_by_me"] for p in listed} == {
            first.id: liked is first,
            second.id: liked is second,
        }
        assert single["liked_by_me"] is True


def test_counts_and_liked_by_me_cost_no_extra_statement_per_post(
    client: FlaskClient, sql: StatementLog
) -> None:
    reader = UserFactory()
    for post in PostFactory.create_batch(50):
        LikeFactory(post=post, user=reader)
        CommentFactory(parent=CommentFactory(post=post))
    headers = auth_headers(reader)

    with sql.recording() as five:
        assert client.get("/api/posts?per_page=5", headers=headers).status_code == 200
    with sql.recording() as fifty:
        assert client.get("/api/posts?per_page=50", headers=headers).status_code == 200

    # Loading the user the token names, and the page with the like count and liked_by_me as
    # subqueries of its one statement (tests/api/test_queries.py has the rest of it).
    assert len(five) == len(fifty) == 2
    assert re.search(r"FROM likes WHERE likes\.post_id = posts\.id\) AS anon_\d+", fifty[1])
    assert "EXISTS (SELECT * FROM likes" in fifty[1]


@pytest.mark.parametrize("signed_in", [False, True], ids=["no token", "token"])
def test_the_column_page_counts_likes_and_reads_liked_by_me_as_the_app_does(
    signed_in: bool,
) -> None:
    reader, writer = UserFactory(), UserFactory()
    reader.following.append(writer)
    posts = PostFactory.create_batch(4, author=writer)
    for n, post in enumerate(posts):
        LikeFactory.create_batch(n, post=post)
    LikeFactory(post=posts[2], user=reader)
    viewer = reader if signed_in else None
    db.session.flush()
    db.session.expunge_all()

    def pages(way: Any) -> list[str]:
        """Read the post list, the reader's feed and the post the reader likes, as JSON."""
        pages = {"page": 1, "per_page": 5, "cursor": None}
        read = [
            lambda: PostPage.model_validate(
                way.list_posts(**pages, tag=None, author=None, viewer=viewer)
            ),
            lambda: PostPage.model_validate(way.feed(user=reader, **pages)),
            lambda: PostOut.model_validate(way.get_post(posts[2].id, viewer=viewer)),
        ]
        shown = []
        for page in read:
            shown.append(page().model_dump_json())
            db.session.expunge_all()  # each read its own, as each request is
        return shown

    app = pages(posts_service)

    assert pages(column_page) == app
    listed = {p["id"]: p for p in json.loads(app[0])["items"]}
    assert {post_id: p["like_count"] for post_id, p in listed.items()} == {
        post.id: n + (post is posts[2]) for n, post in enumerate(posts)
    }
    assert [post_id for post_id, p in listed.items() if p.get("liked_by_me")] == [
        posts[2].id
    ] * signed_in
