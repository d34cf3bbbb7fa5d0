"""Loading related objects: lazy, selectinload and joinedload, counted in statements.

Reading `post.author` for a list of posts, each by another author not yet loaded, costs one query
per post when it is loaded lazily (the "N+1" problem); an author already in the session costs
none. selectinload costs one extra query for the whole list; joinedload costs none, joining the
rows into the first.

Where the API loads objects, it joins what a response shows: a post's author and tags
(`joinedload`, and under a LIMIT SQLAlchemy limits the posts in a subquery before it joins the
tags), a comment's author, a user's profile; it loads a post's tags with selectinload before
editing them. A post's counts are query expressions, filled by `with_expression` only where a
query asks for them (blog/posts.py; tests/api/test_queries.py counts the statements).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, insert, inspect, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import joinedload, selectinload, with_expression

from blog.db import db
from blog.models import Comment, Post, User
from tests.factories import CommentFactory, PostFactory, TagFactory, UserFactory
from tests.helpers import StatementLog

POSTS = 10


@pytest.fixture
def posts() -> None:
    tags = TagFactory.create_batch(3)
    PostFactory.create_batch(POSTS, tags=tags)  # each by an author of its own
    db.session.expunge_all()  # nothing loaded: every access below has to ask the database


def read_authors_and_tags(*options: object) -> int:
    """Load every post, touch each one's author and tags, and return the rows loaded."""
    loaded = db.session.scalars(select(Post).options(*options)).unique().all()
    for post in loaded:
        assert post.author.username
        assert len(post.tags) == 3
    return len(loaded)


@pytest.mark.usefixtures("posts")
def test_lazy_loading_costs_a_query_per_post_and_relationship(sql: StatementLog) -> None:
    with sql.recording() as statements:
        read_authors_and_tags()

    assert len(statements) == 1 + POSTS + POSTS  # the posts, then each author, then each tag list


def test_a_lazy_author_already_in_the_session_costs_no_query(sql: StatementLog) -> None:
    author = UserFactory()
    PostFactory.create_batch(POSTS, author=author)
    db.session.expunge_all()
    author = db.session.get(User, author.id)  # in the identity map now

    with sql.recording() as statements:
        loaded = db.session.scalars(select(Post)).all()
        assert {post.author for post in loaded} == {author}

    # A many-to-one lazy load looks in the identity map first: only the posts are queried.
    assert len(statements) == 1


@pytest.mark.usefixtures("posts")
def test_selectinload_costs_one_query_per_relationship(sql: StatementLog) -> None:
    with sql.recording() as statements:
        read_authors_and_tags(selectinload(Post.author), selectinload(Post.tags))

    assert len(statements) == 3
    assert all(" IN (" in statement for statement in statements[1:])


@pytest.mark.usefixtures("posts")
def test_joinedload_costs_no_extra_query(sql: StatementLog) -> None:
    with sql.recording() as statements:
        read_authors_and_tags(joinedload(Post.author), joinedload(Post.tags))

    assert len(statements) == 1
    assert statements[0].count("JOIN") == 3  # users, post_tags, tags


@pytest.mark.usefixtures("posts")
def test_joining_a_collection_multiplies_rows_so_results_must_be_made_unique() -> None:
    result = db.session.scalars(select(Post).options(joinedload(Post.tags)))

    with pytest.raises(InvalidRequestError, match="unique"):
        result.all()


@pytest.mark.usefixtures("posts")
def test_a_joined_collection_under_a_limit_limits_the_parents_not_the_rows(
    sql: StatementLog,
) -> None:
    with sql.recording() as statements:
        query = select(Post).options(joinedload(Post.tags)).order_by(Post.id).limit(4)
        loaded = db.session.scalars(query).unique().all()

    # Four posts with their three tags each: the LIMIT is applied in a subquery of posts, and
    # the tags are joined to that, so it counts posts and not post-tag rows.
    assert [len(post.tags) for post in loaded] == [3, 3, 3, 3]
    assert len(statements) == 1
    assert re.search(
        r"FROM \(SELECT posts\.id .* LIMIT .*\) AS anon_1 LEFT OUTER JOIN", statements[0]
    )


def test_with_expression_fills_a_query_expression_only_where_asked() -> None:
    post = PostFactory()
    CommentFactory.create_batch(2, post=post)
    db.session.expunge_all()

    plain = db.session.get(Post, post.id)
    assert plain is not None
    assert plain.comment_count is None  # not a column: nothing fills it unless a query asks
    db.session.expunge_all()
    comments = select(func.count()).where(Comment.post_id == Post.id).scalar_subquery()
    counted = db.session.scalars(
        select(Post).options(with_expression(Post.comment_count, comments))
    ).one()

    assert counted.comment_count == 2


def test_with_expression_leaves_a_value_already_loaded_until_populate_existing() -> None:
    post = PostFactory()
    CommentFactory(post=post)
    comments = select(func.count()).where(Comment.post_id == Post.id).scalar_subquery()
    query = select(Post).options(with_expression(Post.comment_count, comments))
    assert db.session.scalars(query).one().comment_count == 1
    db.session.execute(
        insert(Comment).values(post_id=post.id, author_id=post.author_id, body="Added in SQL")
    )

    # The same object comes back, and a value it already holds is kept, as a column's would be.
    assert db.session.scalars(query).one() is post
    assert post.comment_count == 1
    assert db.session.scalars(select(Post)).one().comment_count == 1  # a query without it too
    refreshed = db.session.scalars(query.execution_options(populate_existing=True)).one()
    assert refreshed.comment_count == 2


def test_a_flush_that_changes_the_post_expires_its_expressions() -> None:
    post = PostFactory()
    comments = select(func.count()).where(Comment.post_id == Post.id).scalar_subquery()
    query = select(Post).options(with_expression(Post.comment_count, comments))
    assert db.session.scalars(query).one().comment_count == 0

    # Comment(post=post) appends to post.comments through back_populates, so the flush takes in
    # the post, and a flushed object's expressions are expired: the next query fills them anew.
    CommentFactory(post=post)
    assert "comment_count" in inspect(post).unloaded
    assert db.session.scalars(query).one().comment_count == 1
