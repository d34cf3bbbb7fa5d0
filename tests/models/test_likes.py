"""Likes: an association object, and the association proxy that makes it easy to use.

A like links a user to a post and carries data of its own (created_at), so it is a mapped class,
Like, with a pair on each end:

    User.likes  <->  Like.user
    Post.likes  <->  Like.post

User.liked_posts is an association_proxy: a view through User.likes that reads Like.post and
creates a Like when a post is appended. It is not a relationship, so it cannot disagree with
User.likes. A second, plain `secondary=` relationship over the likes table could, and SQLAlchemy
warns about it: the last tests show the warning and the harm.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Connection, ForeignKey, inspect, text
from sqlalchemy.exc import IntegrityError, SAWarning
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    configure_mappers,
    mapped_column,
    relationship,
)

from blog.db import db
from blog.models import Like, User
from tests import rows
from tests.factories import LikeFactory, PostFactory, UserFactory
from tests.helpers import StatementLog, fresh


def like_rows() -> set[tuple[int, int]]:
    result = db.session.execute(text("SELECT user_id, post_id FROM likes"))
    return {(row.user_id, row.post_id) for row in result}


def test_a_like_appears_on_both_ends_at_once(sql: StatementLog) -> None:
    user, post = UserFactory(), PostFactory()
    assert user.likes == []
    assert post.likes == []

    with sql.recording() as statements:
        like = Like(user=user, post=post)
        assert user.likes == [like]
        assert post.likes == [like]
    assert statements == []

    db.session.add(like)
    db.session.flush()
    assert like_rows() == {(user.id, post.id)}
    assert isinstance(like.created_at, datetime)


def test_appending_a_like_to_user_likes_sets_like_user(sql: StatementLog) -> None:
    user, post = UserFactory(), PostFactory()
    assert user.likes == []
    like = Like(post=post)

    with sql.recording() as statements:
        user.likes.append(like)
        assert like.user is user
    assert statements == []

    db.session.flush()
    assert like_rows() == {(user.id, post.id)}


def test_appending_a_like_to_post_likes_sets_like_post(sql: StatementLog) -> None:
    user, post = UserFactory(), PostFactory()
    assert post.likes == []
    like = Like(user=user)

    with sql.recording() as statements:
        post.likes.append(like)
        assert like.post is post
    assert statements == []

    db.session.flush()
    assert like_rows() == {(user.id, post.id)}


def test_removing_a_like_from_user_likes_deletes_it() -> None:
    like = LikeFactory()
    user, post = like.user, like.post
    assert user.likes == [like]
    assert post.likes == [like]

    user.likes.remove(like)
    db.session.flush()

    # A like without its user is an orphan, and User.likes has delete-orphan.
    assert like_rows() == set()
    assert rows.exists("posts", post.id)


def test_liked_posts_reads_through_the_likes() -> None:
    user = UserFactory()
    first, second = PostFactory(), PostFactory()
    LikeFactory(user=user, post=first)
    LikeFactory(user=user, post=second)

    assert user.liked_posts == [first, second]
    assert "liked_posts" not in inspect(User).relationships  # a proxy, not a relationship


def test_appending_to_liked_posts_creates_a_like_linked_at_both_ends(sql: StatementLog) -> None:
    user, post = UserFactory(), PostFactory()
    assert user.likes == []
    assert post.likes == []

    with sql.recording() as statements:
        user.liked_posts.append(post)
        (like,) = user.likes
        assert like.user is user
        assert like.post is post
        assert post.likes == [like]
    assert statements == []

    db.session.flush()
    assert like_rows() == {(user.id, post.id)}


def test_removing_from_liked_posts_deletes_the_like() -> None:
    like = LikeFactory()
    user, post = like.user, like.post
    assert user.liked_posts == [post]

    user.liked_posts.remove(post)
    db.session.flush()

    assert like_rows() == set()


def test_deleting_a_user_or_a_post_deletes_their_likes(sql: StatementLog) -> None:
    kept = LikeFactory()
    by_user = LikeFactory()
    on_post = LikeFactory()
    user, post = fresh(by_user.user), db.session.get(type(on_post.post), on_post.post_id)

    with sql.recording() as statements:
        db.session.delete(user)
        db.session.delete(post)
        db.session.flush()

    assert sorted(s.split(" WHERE")[0] for s in statements) == [
        "DELETE FROM posts",
        "DELETE FROM users",
    ]
    assert like_rows() == {(kept.user_id, kept.post_id)}


def test_deleting_a_user_with_raw_sql_deletes_their_likes() -> None:
    like = LikeFactory()

    db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": like.user_id})

    assert like_rows() == set()
    assert rows.exists("posts", like.post_id)


def test_deleting_a_post_with_raw_sql_deletes_its_likes() -> None:
    like = LikeFactory()

    db.session.execute(text("DELETE FROM posts WHERE id = :id"), {"id": like.post_id})

    assert like_rows() == set()
    assert rows.exists("users", like.user_id)


# Why User.liked_posts is a proxy and not relationship(secondary="likes")


def define_reader_article_favourite(base: type[DeclarativeBase]) -> tuple[type, type, type]:
    """Map the likes design with the tempting shortcut: a secondary= over the same table."""

    class Reader(base):  # type: ignore[misc,valid-type]
        __tablename__ = "overlap_readers"
        id: Mapped[int] = mapped_column(primary_key=True)
        favourites: Mapped[list[Favourite]] = relationship(back_populates="reader")
        # The shortcut: a second way to write the same rows.
        articles: Mapped[list[Article]] = relationship(secondary="overlap_favourites")

    class Article(base):  # type: ignore[misc,valid-type]
        __tablename__ = "overlap_articles"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Favourite(base):  # type: ignore[misc,valid-type]
        __tablename__ = "overlap_favourites"
        reader_id: Mapped[int] = mapped_column(ForeignKey(Reader.id), primary_key=True)
        article_id: Mapped[int] = mapped_column(ForeignKey(Article.id), primary_key=True)
        reader: Mapped[Reader] = relationship(back_populates="favourites")
        article: Mapped[Article] = relationship()

    return Reader, Article, Favourite


def test_a_secondary_relationship_beside_the_association_object_draws_a_warning(
    throwaway_base: type[DeclarativeBase],
) -> None:
    models = define_reader_article_favourite(throwaway_base)

    with pytest.warns(SAWarning, match="conflicts with relationship") as warnings:
        configure_mappers()
    assert models  # held until here: the registry keeps its classes only weakly

    # Both sides of the overlap are named: Reader.articles writes the columns that
    # Reader.favourites and Favourite.reader also write.
    assert all("Reader.articles" in str(warning.message) for warning in warnings)


def test_linking_through_both_paths_inserts_the_same_row_twice_and_fails(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    reader_cls, article_cls, favourite_cls = define_reader_article_favourite(throwaway_base)
    with pytest.warns(SAWarning):
        configure_mappers()
    throwaway_base.metadata.create_all(connection)  # undone with the test's transaction
    reader, article = reader_cls(), article_cls()

    # Both paths look like "reader likes article"; each inserts its own row at flush, the same
    # primary key twice, and the database refuses the second: nothing is stored.
    reader.favourites.append(favourite_cls(article=article))
    reader.articles.append(article)
    db.session.add(reader)

    with pytest.raises(IntegrityError, match="duplicate key"), db.session.begin_nested():
        db.session.flush()
    assert connection.scalar(text("SELECT count(*) FROM overlap_favourites")) == 0
