"""Loading related objects: lazy, selectinload and joinedload, counted in statements.

Reading `post.author` for a list of posts, each by another author not yet loaded, costs one query
per post when it is loaded lazily (the "N+1" problem); an author already in the session costs
none. selectinload costs one extra query for the whole list; joinedload costs none, joining the
rows into the first.

Where the API loads objects, it joins many-to-one parents in (`joinedload(Comment.author)` for
comments, `joinedload(User.profile)` for a public profile) and loads a post's tags with
selectinload before editing them. Its pages of posts load no Post objects at all: they select
the response's columns in one statement (blog/services/posts.py; tests/api/test_queries.py
shows both, and that the same page built from Post objects, tests/orm_page.py, takes two).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import joinedload, selectinload

from blog.db import db
from blog.models import Post, User
from tests.factories import PostFactory, TagFactory, UserFactory
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
