"""/api/posts/{id}/comments and /api/comments/{id}: threads, replies and who may delete."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, update

from blog.api.comments import MAX_COMMENTS_PER_POST, MAX_THREAD_DEPTH, OTHER_POST
from blog.db import db, utcnow
from blog.errors import COMMENTS_FULL
from blog.models import Comment, User
from tests import rows
from tests.factories import CommentFactory, PostFactory, UserFactory
from tests.helpers import assert_problem, auth_headers, pointers


def comment(client: FlaskClient, user: User, post_id: int, **fields: Any) -> Any:
    return client.post(
        f"/api/posts/{post_id}/comments",
        json={"body": "Nice post."} | fields,
        headers=auth_headers(user),
    )


def ids(tree: list[dict[str, Any]]) -> list[Any]:
    """Return a thread as nested ids: [id, [reply ids ...]] for each comment."""
    return [[item["id"], ids(item["replies"])] for item in tree]


def test_commenting_on_a_post(client: FlaskClient) -> None:
    post, user = PostFactory(), UserFactory(username="carol")

    response = comment(client, user, post.id, body="Nice post.")

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/comments/{body['id']}"
    assert body["author"] == {"username": "carol"}
    assert (body["body"], body["parent_id"], body["replies"]) == ("Nice post.", None, [])
    assert client.get(response.headers["Location"]).get_json() == body


def test_replying_to_a_comment(client: FlaskClient) -> None:
    parent = CommentFactory()

    response = comment(client, UserFactory(), parent.post_id, parent_id=parent.id)

    assert response.status_code == 201
    assert response.get_json()["parent_id"] == parent.id
    tree = client.get(f"/api/comments/{parent.id}").get_json()
    assert ids([tree]) == [[parent.id, [[response.get_json()["id"], []]]]]


@pytest.mark.parametrize("spelling", [str, float, lambda _: True], ids=["string", "float", "true"])
def test_a_parent_id_must_be_a_json_integer(client: FlaskClient, spelling: Any) -> None:
    parent = CommentFactory()
    post_id = parent.post_id
    # Given id 1, which a lax reading of `true` would take it for.
    db.session.execute(update(Comment).where(Comment.id == parent.id).values(id=1))
    db.session.expire_all()

    response = comment(client, UserFactory(), post_id, parent_id=spelling(1))

    assert pointers(assert_problem(response, 422)) == ["/parent_id"]
    assert rows.count("comments") == 1


def test_a_thread_goes_so_deep_and_no_deeper(client: FlaskClient) -> None:
    chain = [CommentFactory()]
    while len(chain) < MAX_THREAD_DEPTH:
        chain.append(CommentFactory(parent=chain[-1], post=chain[0].post))
    post_id, user = chain[0].post_id, UserFactory()

    too_deep = comment(client, user, post_id, parent_id=chain[-1].id)
    deepest = comment(client, user, post_id, parent_id=chain[-2].id)

    assert pointers(assert_problem(too_deep, 422)) == ["/parent_id"]
    assert deepest.status_code == 201
    thread = client.get(f"/api/comments/{chain[0].id}")
    assert thread.status_code == 200  # the whole thread, as deep as it goes, is read


def test_a_reply_must_be_on_the_same_post_as_its_parent(client: FlaskClient) -> None:
    parent = CommentFactory()
    other_post = PostFactory()

    response = comment(client, UserFactory(), other_post.id, parent_id=parent.id)

    body = assert_problem(response, 422)
    assert body["detail"] == OTHER_POST
    assert pointers(body) == ["/parent_id"]
    assert rows.count("comments") == 1


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"parent_id": 999_999}, "/parent_id"),
        ({"parent_id": 0}, "/parent_id"),
        ({"parent_id": 2**40}, "/parent_id"),
        ({"parent_id": "1"}, "/parent_id"),
        ({"body": ""}, "/body"),
        ({"body": "   "}, "/body"),
        ({"body": "x" * 10_001}, "/body"),
        ({"body": "a\u0000b"}, "/body"),
    ],
)
def test_invalid_comments_are_refused(
    client: FlaskClient, fields: dict[str, Any], pointer: str
) -> None:
    post = PostFactory()

    response = comment(client, UserFactory(), post.id, **fields)

    assert pointers(assert_problem(response, 422)) == [pointer]
    assert rows.count("comments") == 0


def test_commenting_on_a_missing_post_is_not_found(client: FlaskClient) -> None:
    assert_problem(comment(client, UserFactory(), 999_999), 404)
    assert_problem(client.get("/api/posts/999999/comments"), 404)


def test_commenting_needs_a_token(client: FlaskClient) -> None:
    post = PostFactory()

    response = client.post(f"/api/posts/{post.id}/comments", json={"body": "Hi"})

    assert_problem(response, 401)


def test_comments_are_listed_as_threads_oldest_first(client: FlaskClient) -> None:
    post = PostFactory()
    now = utcnow()
    second = CommentFactory(post=post, created_at=now + timedelta(minutes=2))
    first = CommentFactory(post=post, created_at=now)
    reply_b = CommentFactory(parent=first, created_at=now + timedelta(minutes=5))
    reply_a = CommentFactory(parent=first, created_at=now + timedelta(minutes=3))
    deep = CommentFactory(parent=reply_a, created_at=now + timedelta(minutes=4))
    CommentFactory()  # on another post

    page = client.get(f"/api/posts/{post.id}/comments").get_json()

    assert ids(page["items"]) == [
        [first.id, [[reply_a.id, [[deep.id, []]]], [reply_b.id, []]]],
        [second.id, []],
    ]
    assert (page["total"], page["page"], page["pages"]) == (2, 1, 1)


def test_comment_pages_count_top_level_comments_only(client: FlaskClient) -> None:
    post = PostFactory()
    now = utcnow()
    roots = [CommentFactory(post=post, created_at=now + timedelta(minutes=i)) for i in range(3)]
    CommentFactory(parent=roots[0])

    page = client.get(f"/api/posts/{post.id}/comments?per_page=2&page=2").get_json()

    assert ids(page["items"]) == [[roots[2].id, []]]
    assert (page["total"], page["pages"]) == (3, 2)


def test_deleting_your_comment_deletes_its_replies(client: FlaskClient) -> None:
    root = CommentFactory()
    reply = CommentFactory(parent=root)
    deeper = CommentFactory(parent=reply)

    response = client.delete(f"/api/comments/{root.id}", headers=auth_headers(root.author))

    assert response.status_code == 204
    for gone in (root, reply, deeper):
        assert not rows.exists("comments", gone.id)


def test_the_post_author_may_delete_any_comment_on_it(client: FlaskClient) -> None:
    target = CommentFactory()

    response = client.delete(f"/api/comments/{target.id}", headers=auth_headers(target.post.author))

    assert response.status_code == 204
    assert not rows.exists("comments", target.id)


@pytest.mark.parametrize("conditions", [{}, {"If-Match": '"x"'}], ids=str)
def test_nobody_else_may_delete_a_comment(client: FlaskClient, conditions: dict[str, str]) -> None:
    target: Comment = CommentFactory()
    headers = auth_headers(UserFactory()) | conditions

    response = client.delete(f"/api/comments/{target.id}", headers=headers)

    # The 403 comes before the false If-Match (RFC 9110, section 13.2.1).
    assert_problem(response, 403)
    assert rows.exists("comments", target.id)


def test_a_missing_comment_is_not_found(client: FlaskClient) -> None:
    assert_problem(client.get("/api/comments/999999"), 404)
    assert_problem(client.delete("/api/comments/999999", headers=auth_headers(UserFactory())), 404)


def test_a_post_holds_so_many_comments_and_no_more(client: FlaskClient) -> None:
    # Every comment's answer carries its replies, so the bound keeps one read of a post's
    # comments bounded too.
    post, user = PostFactory(), UserFactory()
    db.session.execute(
        insert(Comment),
        [
            {"body": "b", "post_id": post.id, "author_id": user.id}
            for _ in range(MAX_COMMENTS_PER_POST - 1)
        ],
    )
    db.session.commit()

    last = comment(client, user, post.id)
    refused = comment(client, user, post.id, parent_id=last.get_json()["id"])

    assert last.status_code == 201
    assert assert_problem(refused, 409)["type"] == COMMENTS_FULL.uri
    assert rows.count("comments") == MAX_COMMENTS_PER_POST
    assert comment(client, user, PostFactory().id).status_code == 201  # other posts are not full
