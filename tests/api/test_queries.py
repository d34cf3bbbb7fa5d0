"""How many SQL statements a request costs: the same for 5 posts as for 50 (no N+1)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event

from blog.db import db
from blog.models import Comment, Post, Tag, User
from blog.services.posts import list_posts
from tests.factories import CommentFactory, PostFactory, TagFactory, UserFactory
from tests.helpers import StatementLog, auth_headers
from tests.inventory import SCHEMAS
from tests.orm_page import post_page_from_objects


def statements_for(
    client: FlaskClient, sql: StatementLog, path: str, headers: dict[str, str] | None = None
) -> list[str]:
    with sql.recording() as statements:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    return statements


def posts_with_authors_and_tags(count: int) -> list[Post]:
    tags = TagFactory.create_batch(3)
    return [PostFactory(author=UserFactory(), tags=tags) for _ in range(count)]


def with_comments(posts: list[Post]) -> None:
    for post in posts:
        CommentFactory(parent=CommentFactory(post=post))


def counted() -> list[str]:
    """Return the fields of a post that count its rows of another table (`comment_count`)."""
    return [name for name in SCHEMAS["PostOut"]["properties"] if name.endswith("_count")]


# A count of the rows of another table that refer to the post, as a correlated subquery.
COUNT_SUBQUERY = r"\(SELECT count\(\*\) AS count_\d+ FROM (\w+) WHERE \1\.post_id = posts\.id\) AS "


@contextmanager
def objects_loaded(model: type[Any]) -> Iterator[list[Any]]:
    """Collect every instance of `model` the ORM builds from a row while the block runs."""
    loaded: list[Any] = []

    def on_load(target: Any, context: Any) -> None:
        loaded.append(target)

    event.listen(model, "load", on_load)
    try:
        yield loaded
    finally:
        event.remove(model, "load", on_load)


def test_a_page_of_posts_loads_columns_not_post_objects(client: FlaskClient) -> None:
    posts = posts_with_authors_and_tags(5)
    CommentFactory(post=posts[0])

    with objects_loaded(Post) as posts_loaded, objects_loaded(Comment) as comments_loaded:
        assert len(client.get("/api/posts").get_json()["items"]) == 5
        assert client.get(f"/api/posts/{posts[0].id}").status_code == 200
        assert len(client.get(f"/api/posts/{posts[0].id}/comments").get_json()["items"]) == 1

    assert posts_loaded == []
    # The threaded comments do load objects, to walk their replies relationship.
    assert len(comments_loaded) == 1


def tables_read(statement: str) -> set[str]:
    """Return the tables a SELECT names after FROM or JOIN."""
    return set(re.findall(r"\b(?:FROM|JOIN) (\w+)", statement))


def test_the_same_page_built_from_post_objects_costs_two_statements(sql: StatementLog) -> None:
    tags = TagFactory.create_batch(4)
    posts = [PostFactory(author=UserFactory(), tags=tags[: n % 5]) for n in range(25)]
    for n, post in enumerate(posts):
        CommentFactory.create_batch(n % 4, post=post)
    db.session.expunge_all()

    with sql.recording() as columns, objects_loaded(Post) as none_loaded:
        page = list_posts(page=1, per_page=20, cursor=None, tag=None, author=None, viewer=None)
    db.session.expunge_all()
    with (
        sql.recording() as objects,
        objects_loaded(Post) as posts_loaded,
        objects_loaded(User) as users_loaded,
        objects_loaded(Tag) as tags_loaded,
    ):
        items = post_page_from_objects(per_page=20)

    assert len(items) == 20
    assert items == page.items  # the same posts, in the same order, with the same JSON
    # The app's page: one statement, the total included, and no objects.
    assert len(columns) == 1
    assert none_loaded == []
    # From objects: the posts with their authors joined in and the counts as subqueries, then
    # the tags of all twenty posts, read from post_tags by post id, in one more. The app's one
    # statement reads the same tables, and the total from the counters.
    assert len(objects) == 2
    assert tables_read(columns[0]) == tables_read(objects[0]) | tables_read(objects[1]) | {
        "counters"
    }
    assert {"posts", "users"} <= tables_read(objects[0])
    assert "LEFT OUTER JOIN users" in objects[0]
    assert len(re.findall(COUNT_SUBQUERY + r"anon_\d", objects[0])) == len(counted())
    assert tables_read(objects[1]) == {"post_tags", "tags"}
    assert "WHERE post_tags.post_id IN (" in objects[1]
    # One object per post and per author, and one per tag, however many posts share it.
    assert (len(posts_loaded), len(users_loaded), len(tags_loaded)) == (20, 20, 4)


def test_listing_5_or_50_posts_costs_one_statement(client: FlaskClient, sql: StatementLog) -> None:
    posts_with_authors_and_tags(50)

    five = statements_for(client, sql, "/api/posts?per_page=5")
    fifty = statements_for(client, sql, "/api/posts?per_page=50")

    # The page's columns, with the author joined in, the tag names, counts and the total (kept
    # by the triggers, not counted) as subqueries.
    assert len(five) == len(fifty) == 1
    assert "JOIN users" in fifty[0]
    assert "(SELECT array_agg(tags.name ORDER BY tags.name)" in fifty[0]
    assert counted()
    for field in counted():
        assert re.search(COUNT_SUBQUERY + field, fifty[0]), field
    assert "(SELECT counters.value FROM counters" in fifty[0]
    assert "count(*) AS count_1 FROM posts" not in fifty[0]


def test_a_page_past_the_end_asks_for_the_total_separately(
    client: FlaskClient, sql: StatementLog
) -> None:
    posts_with_authors_and_tags(3)

    statements = statements_for(client, sql, "/api/posts?per_page=5&page=9")

    assert len(statements) == 2
    assert statements[1].startswith("SELECT counters.value FROM counters")


def test_reading_one_post_costs_one_statement(client: FlaskClient, sql: StatementLog) -> None:
    post = PostFactory(tags=TagFactory.create_batch(3))

    assert len(statements_for(client, sql, f"/api/posts/{post.id}")) == 1


def test_listing_tags_is_one_statement(client: FlaskClient, sql: StatementLog) -> None:
    PostFactory(tags=TagFactory.create_batch(5))

    assert len(statements_for(client, sql, "/api/tags")) == 1


def test_writing_a_post_does_not_load_the_authors_other_posts(
    client: FlaskClient, sql: StatementLog
) -> None:
    user = UserFactory()
    PostFactory.create_batch(3, author=user)
    headers = auth_headers(user)

    with sql.recording() as statements:
        response = client.post(
            "/api/posts", json={"title": "T", "body": "B", "tags": ["x"]}, headers=headers
        )

    assert response.status_code == 201
    assert not any("WHERE %(param_1)s::INTEGER = posts.author_id" in s for s in statements)


def test_a_token_adds_one_statement_whatever_the_page_size(
    client: FlaskClient, sql: StatementLog
) -> None:
    reader = UserFactory()
    with_comments(posts_with_authors_and_tags(50))
    headers = auth_headers(reader)

    five = statements_for(client, sql, "/api/posts?per_page=5", headers)
    fifty = statements_for(client, sql, "/api/posts?per_page=50", headers)

    # Loading the user the token names, then the page.
    assert len(five) == len(fifty) == 2
    assert fifty[0].startswith("SELECT users.id,")
    assert fifty[0].endswith("FROM users WHERE users.id = %(pk_1)s::INTEGER")


def test_the_feed_costs_the_same_for_5_or_50_posts(client: FlaskClient, sql: StatementLog) -> None:
    reader = UserFactory()
    posts = posts_with_authors_and_tags(50)
    reader.following.extend(post.author for post in posts)
    with_comments(posts)
    headers = auth_headers(reader)

    five = statements_for(client, sql, "/api/feed?per_page=5", headers)
    fifty = statements_for(client, sql, "/api/feed?per_page=50", headers)

    assert len(five) == len(fifty) == 2


def test_a_threaded_comment_page_costs_the_same_whatever_its_size_or_depth(
    client: FlaskClient, sql: StatementLog
) -> None:
    post = PostFactory()
    for _ in range(50):
        reply = CommentFactory(parent=CommentFactory(post=post))
        CommentFactory(parent=CommentFactory(parent=reply))  # four levels deep

    five = statements_for(client, sql, f"/api/posts/{post.id}/comments?per_page=5")
    fifty = statements_for(client, sql, f"/api/posts/{post.id}/comments?per_page=50")

    # The page of top-level comments with their authors and total, and one recursive query
    # for every reply below them.
    assert len(five) == len(fifty) == 2
    assert "comments.parent_id IS NULL) AS total" in fifty[0]
    assert "FROM comments JOIN users AS users_1 ON users_1.id = comments.author_id" in fifty[0]
    assert "WITH RECURSIVE" in fifty[1]
