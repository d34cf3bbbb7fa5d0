"""How many SQL statements a request costs: the same for 5 posts as for 50 (no N+1)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from blog import posts as posts_service
from blog.db import db
from blog.models import Post, Tag, User
from blog.posts import Page, list_posts
from blog.schemas import PostOut, PostPage
from tests import column_page
from tests.factories import CommentFactory, PostFactory, TagFactory, UserFactory
from tests.helpers import StatementLog, auth_headers
from tests.inventory import SCHEMAS


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


def test_a_page_of_posts_loads_posts_authors_and_tags_as_objects(client: FlaskClient) -> None:
    posts = posts_with_authors_and_tags(5)
    CommentFactory(post=posts[0])

    with (
        objects_loaded(Post) as posts_loaded,
        objects_loaded(User) as users_loaded,
        objects_loaded(Tag) as tags_loaded,
    ):
        assert len(client.get("/api/posts").get_json()["items"]) == 5

    # One object per post and per author, and one per tag, however many posts share it.
    assert (len(posts_loaded), len(users_loaded), len(tags_loaded)) == (5, 5, 3)


def tables_read(statement: str) -> set[str]:
    """Return the tables a SELECT names after FROM or JOIN (or a parenthesis that follows it)."""
    return set(re.findall(r"\b(?:FROM|JOIN) \(?([a-z_]\w*)", statement))


def with_counts(count: int) -> list[Post]:
    tags = TagFactory.create_batch(4)
    posts = [PostFactory(author=UserFactory(), tags=tags[: n % 5]) for n in range(count)]
    for n, post in enumerate(posts):
        CommentFactory.create_batch(n % 4, post=post)
    return posts


def json_of(page: Page[Any]) -> str:
    return PostPage.model_validate(page).model_dump_json()


def test_the_same_page_read_as_columns_builds_no_objects(sql: StatementLog) -> None:
    with_counts(25)
    db.session.expunge_all()

    with sql.recording() as objects, objects_loaded(Post) as posts_loaded:
        page = list_posts(page=1, per_page=20, cursor=None, tag=None, author=None, viewer=None)
    db.session.expunge_all()
    with sql.recording() as columns, objects_loaded(Post) as none_loaded:
        same = column_page.list_posts(
            page=1, per_page=20, cursor=None, tag=None, author=None, viewer=None
        )

    assert len(page.items) == 20
    assert json_of(same) == json_of(page)  # the same posts, in the same order, the same JSON
    # The app's page: the posts (and the one past the page) with the counts and the total, in
    # a subquery that does the LIMIT, then their authors and tags joined to it.
    assert len(objects) == 1
    assert re.search(r" LIMIT .*\) AS anon_\d+ JOIN users AS users_1", objects[0])
    assert "LEFT OUTER JOIN (post_tags AS post_tags_1 JOIN tags AS tags_1" in objects[0]
    assert len(posts_loaded) == 21
    # As columns: one statement too, with the tag names aggregated in it, and no object.
    assert len(columns) == 1
    assert none_loaded == []
    # Both read the same tables, the total from the counters, and count the same rows: each
    # count field a correlated subquery, unnamed in the app's statement, named in the other.
    assert tables_read(objects[0]) == tables_read(columns[0])
    assert counted()
    assert len(re.findall(COUNT_SUBQUERY + r"anon_\d+", objects[0])) == len(counted())
    for field in counted():
        assert re.search(COUNT_SUBQUERY + field, columns[0]), field


@pytest.mark.parametrize("signed_in", [False, True], ids=["no token", "token"])
def test_the_column_version_answers_every_page_as_the_app_does(signed_in: bool) -> None:
    reader = UserFactory()
    posts = with_counts(12)
    reader.following.extend(post.author for post in posts[::2])
    tag = posts[3].tags[0].name
    viewer = reader if signed_in else None
    pages = {"page": 2, "per_page": 5, "cursor": None}
    db.session.flush()
    db.session.expunge_all()

    def both(read: Callable[[Any], Any]) -> tuple[Any, Any]:
        app, columns = read(posts_service), read(column_page)
        db.session.expunge_all()
        return app, columns

    for app, columns in (
        both(lambda way: way.list_posts(**pages, tag=None, author=None, viewer=viewer)),
        both(lambda way: way.list_posts(**pages, tag=tag, author=None, viewer=viewer)),
        both(lambda way: way.feed(user=reader, **pages)),
    ):
        assert app.items
        assert json_of(columns) == json_of(app)
    app, columns = both(lambda way: way.get_post(posts[3].id, viewer=viewer))
    assert PostOut.model_validate(columns).model_dump_json() == (
        PostOut.model_validate(app).model_dump_json()
    )
    assert columns.version == app.version


def test_listing_5_or_50_posts_costs_one_statement(client: FlaskClient, sql: StatementLog) -> None:
    posts_with_authors_and_tags(50)

    five = statements_for(client, sql, "/api/posts?per_page=5")
    fifty = statements_for(client, sql, "/api/posts?per_page=50")

    # The page's posts with the counts and the total (kept by the triggers, not counted) as
    # subqueries, their authors and tags joined in.
    assert len(five) == len(fifty) == 1
    assert "JOIN users" in fifty[0]
    assert "JOIN (post_tags AS post_tags_1 JOIN tags" in fifty[0]
    assert counted()
    assert len(re.findall(COUNT_SUBQUERY + r"anon_\d+", fifty[0])) == len(counted())
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

    statements = statements_for(client, sql, f"/api/posts/{post.id}")

    # Its author and its tags joined in: a row per tag.
    assert len(statements) == 1
    assert "FROM posts JOIN users" in statements[0]
    assert "LEFT OUTER JOIN (post_tags AS post_tags_1 JOIN tags" in statements[0]


def test_listing_tags_is_two_statements_the_count_and_the_page(
    client: FlaskClient, sql: StatementLog
) -> None:
    PostFactory(tags=TagFactory.create_batch(5))

    assert len(statements_for(client, sql, "/api/tags")) == 2


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

    # The reader, and the page: as for the post list with a token.
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
