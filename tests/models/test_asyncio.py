"""The same models in async code: what a lazy load does there, the ways around it, and syncing.

These tests use the app's models from an `AsyncSession` on PostgreSQL through psycopg's async
mode (`create_async_engine` with the same `postgresql+psycopg://` URL). Each runs on a
connection of its own, inside a transaction rolled back at the end, so nothing it writes is
seen by any other test; anyio's pytest plugin runs them on asyncio.

An AsyncSession drives the ordinary, synchronous ORM inside a greenlet: `await session.execute()`
and `await session.flush()` may do IO, plain attribute access may not. A lazy load is IO started
by reading an attribute, so it cannot happen, and what it raises is below. The ways around it:
load in the query itself (selectinload, joinedload); ask for the attribute with `await`
(AsyncAttrs.awaitable_attrs, or run_sync and refresh where the models lack that mixin); and
raiseload, which makes the mistake an error that names the attribute. back_populates itself
sends nothing, so on loaded objects it syncs both sides exactly as in sync code; only an append
to a collection that is not loaded fails, for want of the load sync code would make.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from importlib import metadata
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import InvalidRequestError, MissingGreenlet, StatementError
from sqlalchemy.ext.asyncio import AsyncAttrs, AsyncSession, create_async_engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    joinedload,
    raiseload,
    relationship,
    selectinload,
)
from sqlalchemy.pool import NullPool

from blog.db import db
from blog.models import Post, Tag, User
from tests.helpers import StatementLog

pytestmark = pytest.mark.anyio

_numbers = count()


@pytest.fixture
def anyio_backend() -> str:
    # SQLAlchemy's asyncio extension runs on asyncio only.
    return "asyncio"


@pytest.fixture
async def connection_and_session(
    database_url: str,
) -> AsyncIterator[tuple[StatementLog, AsyncSession]]:
    engine = create_async_engine(database_url, poolclass=NullPool)
    async with engine.connect() as connection:
        transaction = await connection.begin()
        # Commits inside the test would only release savepoints; the rollback erases it all.
        session = AsyncSession(connection, join_transaction_mode="create_savepoint")
        try:
            yield StatementLog(connection.sync_connection), session
        finally:
            await session.close()
            await transaction.rollback()
    await engine.dispose()


@pytest.fixture
def session(connection_and_session: tuple[StatementLog, AsyncSession]) -> AsyncSession:
    """An AsyncSession on the test database, inside a transaction that is rolled back after."""
    return connection_and_session[1]


@pytest.fixture
def sql(connection_and_session: tuple[StatementLog, AsyncSession]) -> StatementLog:
    """Record the statements the async session sends (the sync suite's `sql` fixture, here)."""
    return connection_and_session[0]


def new_user() -> User:
    name = f"async_user{next(_numbers)}"
    return User(username=name, email=f"{name}@example.com", password_hash="not a real hash")


def new_post(author: User, tags: list[Tag] | None = None) -> Post:
    return Post(title="A title", body="A body", author=author, tags=tags or [])


def new_tag() -> Tag:
    return Tag(name=f"async-tag{next(_numbers)}")


async def a_post_by_a_user(session: AsyncSession) -> tuple[int, int]:
    """Store a user with one post, which has two tags; forget every object; return their ids."""
    user = new_user()
    post = new_post(user, [new_tag(), new_tag()])
    session.add(post)
    await session.flush()
    ids = user.id, post.id
    session.expunge_all()  # nothing in memory: every relationship has to be loaded
    return ids


# The setup


async def test_the_async_session_uses_psycopg_in_its_async_mode(session: AsyncSession) -> None:
    dialect = session.bind.dialect
    assert (dialect.name, dialect.driver, dialect.is_async) == ("postgresql", "psycopg", True)
    assert await session.scalar(text("SELECT 1")) == 1


def test_sqlalchemy_installs_greenlet_only_with_its_asyncio_extra() -> None:
    # So the project's test dependencies name greenlet themselves (pyproject.toml).
    greenlet = [
        requirement
        for requirement in metadata.requires("sqlalchemy") or []
        if requirement.startswith("greenlet")
    ]
    assert greenlet
    assert all(requirement.endswith('extra == "asyncio"') for requirement in greenlet)
    assert metadata.version("greenlet")


# What a lazy load does


async def test_a_lazy_load_raises_missing_greenlet_wrapped_in_a_statement_error(
    session: AsyncSession,
) -> None:
    _, post_id = await a_post_by_a_user(session)
    post = await session.get_one(Post, post_id)

    with pytest.raises(StatementError) as raised:
        _ = post.author  # a SELECT of the author would have to run here, without an await
    error = raised.value
    # What reaches the caller is a StatementError that carries the query it could not send ...
    assert error.statement is not None
    assert error.statement.startswith("SELECT users.id")
    # ... and whose cause is MissingGreenlet: `except MissingGreenlet` alone would not catch it.
    assert not isinstance(error, MissingGreenlet)
    assert isinstance(error.orig, MissingGreenlet)
    assert error.__cause__ is error.orig
    assert "greenlet_spawn has not been called" in str(error.orig)

    # A collection is the same, and the session is still usable after either.
    user = await session.get_one(User, post.author_id)
    with pytest.raises(StatementError) as raised:
        _ = user.posts
    assert isinstance(raised.value.orig, MissingGreenlet)
    assert await session.scalar(select(Post.title).where(Post.id == post_id)) == "A title"


async def test_a_lazy_many_to_one_already_in_the_session_raises_nothing(
    session: AsyncSession, sql: StatementLog
) -> None:
    user_id, post_id = await a_post_by_a_user(session)
    author = await session.get_one(User, user_id)  # the author is in the identity map now
    post = await session.get_one(Post, post_id)

    # A many-to-one by primary key is looked up in the session first: no IO, so no error. The
    # same line fails as soon as the author is not loaded already (the test above).
    with sql.recording() as statements:
        assert post.author is author
    assert statements == []


# Way out 1: load in the query, with the await


async def test_selectinload_loads_in_the_awaited_query(
    session: AsyncSession, sql: StatementLog
) -> None:
    await a_post_by_a_user(session)

    with sql.recording() as statements:
        query = select(Post).options(selectinload(Post.author), selectinload(Post.tags))
        post = (await session.scalars(query)).one()
    assert len(statements) == 3  # the post, its author, its tags

    with sql.recording() as statements:
        assert post.author.username.startswith("async_user")
        assert len(post.tags) == 2
    assert statements == []

    # A load fills only what was named: the author's own posts are another lazy load.
    with pytest.raises(StatementError) as raised:
        _ = post.author.posts
    assert isinstance(raised.value.orig, MissingGreenlet)


async def test_joinedload_loads_in_the_same_statement_and_still_needs_unique(
    session: AsyncSession, sql: StatementLog
) -> None:
    await a_post_by_a_user(session)
    query = select(Post).options(joinedload(Post.author), joinedload(Post.tags))

    # A joined collection repeats the post once per tag, so, as in sync code, the result must be
    # made unique before it can be read.
    with pytest.raises(InvalidRequestError, match=r"unique\(\) method must be invoked"):
        (await session.scalars(query)).all()

    with sql.recording() as statements:
        post = (await session.scalars(query)).unique().one()
        assert len(post.tags) == 2
        assert post.author.username.startswith("async_user")
    assert len(statements) == 1


# Way out 2: await the attribute


Models = tuple[type[Any], type[Any]]


@pytest.fixture
def async_attrs_base() -> Iterator[type[DeclarativeBase]]:
    """A declarative base of its own with the AsyncAttrs mixin, disposed after the test."""

    class AsyncBase(AsyncAttrs, DeclarativeBase):
        pass

    yield AsyncBase
    AsyncBase.registry.dispose()


def users_and_posts_again(base: type[DeclarativeBase], **author_options: Any) -> Models:
    """Map the `users` and `posts` tables again on `base`: Author and Article.

    The app's Base has no AsyncAttrs mixin, and adding one is a change to the app. These two
    classes stand in for what User and Post would be with it: the same tables, and the
    User.posts <-> Post.author pair declared as blog/models.py declares it, plus `overlaps`,
    since the app's own pair writes the same column. `author_options` go to Article.author.
    """

    class Author(base):
        __table__ = User.__table__
        posts: Mapped[list[Article]] = relationship(
            back_populates="author",
            cascade="all, delete-orphan",
            passive_deletes=True,
            overlaps="author,posts",
        )

    class Article(base):
        __table__ = Post.__table__
        author: Mapped[Author] = relationship(
            back_populates="posts", overlaps="author,posts", **author_options
        )

    return Author, Article


async def test_awaitable_attrs_loads_a_relationship_with_an_await(
    session: AsyncSession, sql: StatementLog, async_attrs_base: type[DeclarativeBase]
) -> None:
    _, article_cls = users_and_posts_again(async_attrs_base)
    user_id, post_id = await a_post_by_a_user(session)
    article = await session.get_one(article_cls, post_id)

    with sql.recording() as statements:
        author = await article.awaitable_attrs.author  # the lazy load, run inside a greenlet
        posts = await author.awaitable_attrs.posts
    assert len(statements) == 2
    assert author.id == user_id
    assert posts == [article]

    # Once loaded, the plain attributes are there, as in sync code.
    with sql.recording() as statements:
        assert article.author is author
        assert author.posts == [article]
    assert statements == []


async def test_without_the_mixin_run_sync_or_refresh_loads_a_relationship(
    session: AsyncSession, sql: StatementLog
) -> None:
    assert not hasattr(Post, "awaitable_attrs")  # the app's models do not carry AsyncAttrs
    user_id, post_id = await a_post_by_a_user(session)
    post = await session.get_one(Post, post_id)

    # run_sync runs a plain function inside the greenlet, where a lazy load may do its IO.
    author = await session.run_sync(lambda _: post.author)
    assert author.id == user_id

    # refresh() with attribute names loads those relationships.
    await session.refresh(author, ["posts"])
    with sql.recording() as statements:
        assert author.posts == [post]
    assert statements == []


# Way out 3: make the mistake loud


async def test_raiseload_makes_a_lazy_load_an_error_that_names_the_attribute(
    session: AsyncSession, sql: StatementLog
) -> None:
    await a_post_by_a_user(session)
    query = select(Post).options(selectinload(Post.tags), raiseload("*"))
    post = (await session.scalars(query)).one()

    with sql.recording() as statements:
        assert len(post.tags) == 2  # loaded by the query
        with pytest.raises(InvalidRequestError, match=r"'Post\.author' is not available"):
            _ = post.author
    # The error sync code gets too, raised before any IO is tried.
    assert statements == []


async def test_lazy_raise_on_the_relationship_does_the_same_for_every_query(
    session: AsyncSession, sql: StatementLog, async_attrs_base: type[DeclarativeBase]
) -> None:
    _, article_cls = users_and_posts_again(async_attrs_base, lazy="raise")
    _, post_id = await a_post_by_a_user(session)
    article = await session.get_one(article_cls, post_id)

    with sql.recording() as statements:
        with pytest.raises(InvalidRequestError, match=r"'Article\.author' is not available"):
            _ = article.author
        with pytest.raises(InvalidRequestError, match="due to lazy='raise'"):
            await article.awaitable_attrs.author  # refused even where IO is allowed
    assert statements == []

    query = select(article_cls).options(selectinload(article_cls.author))
    article = (await session.scalars(query)).one()
    assert article.author.id == article.author_id  # an eager load is the way in


# back_populates: the same in async code


async def test_back_populates_syncs_both_sides_in_memory_with_no_io(
    session: AsyncSession, sql: StatementLog
) -> None:
    await a_post_by_a_user(session)
    await a_post_by_a_user(session)
    query = (
        select(Post)
        .order_by(Post.id)
        .options(
            selectinload(Post.author).selectinload(User.posts),
            selectinload(Post.tags).selectinload(Tag.posts),
        )
    )
    post, bobs_post = (await session.scalars(query)).all()
    alice, bob, tag = post.author, bobs_post.author, post.tags[0]

    with sql.recording() as statements:
        post.author = bob  # one-to-many, set from the many-to-one side
        assert alice.posts == []
        assert bob.posts == [bobs_post, post]
        post.tags.remove(tag)  # many-to-many
        assert tag.posts == []
    assert statements == []  # no await was needed, and none was missed

    await session.flush()
    where = {"id": post.id}
    stored = await session.scalar(text("SELECT author_id FROM posts WHERE id = :id"), where)
    assert stored == bob.id
    links = await session.scalars(text("SELECT tag_id FROM post_tags WHERE post_id = :id"), where)
    assert tag.id not in links.all()


async def test_appending_to_an_unloaded_collection_needs_a_load_that_cannot_run(
    session: AsyncSession, sql: StatementLog
) -> None:
    user_id, _ = await a_post_by_a_user(session)
    user = await session.get_one(User, user_id)  # user.posts is not loaded

    # Sync code would load the list with one SELECT, then append; async code cannot.
    with pytest.raises(StatementError) as raised:
        user.posts.append(Post(title="Another", body="A body"))
    assert isinstance(raised.value.orig, MissingGreenlet)

    # Setting the other side loads nothing, as in sync code, so it works.
    with sql.recording() as statements:
        post = Post(title="Another", body="A body", author=user)
    assert statements == []
    session.add(post)
    await session.flush()
    await session.refresh(user, ["posts"])
    assert len(user.posts) == 2
    assert post in user.posts


async def test_the_same_changes_send_the_same_statements_as_in_sync_code(
    session: AsyncSession, sql: StatementLog
) -> None:
    """One function links new objects through back_populates; sync and async send alike."""

    def link_and_check() -> tuple[User, Post, Tag]:
        user, post, tag = new_user(), Post(title="Linked", body="A body"), new_tag()
        user.posts.append(post)
        tag.posts.append(post)
        assert post.author is user
        assert post.tags == [tag]
        return user, post, tag

    # Async first: the triggers that count posts lock one row until its transaction ends, so
    # the sync side writes only after this savepoint has been rolled back.
    nested = await session.begin_nested()
    with sql.recording() as async_statements:
        session.add_all(link_and_check())
        await session.flush()
    await nested.rollback()

    sync_sql = StatementLog(db.session.connection())
    with sync_sql.recording() as sync_statements:
        db.session.add_all(link_and_check())
        db.session.flush()

    assert async_statements == sync_statements
    assert any(statement.startswith("INSERT INTO post_tags") for statement in sync_statements)
