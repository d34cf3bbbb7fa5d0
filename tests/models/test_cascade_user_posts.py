"""Deleting users and posts: what the ORM deletes, what the database deletes, and what stays.

User.posts is `cascade="all, delete-orphan", passive_deletes=True` over a foreign key with
ON DELETE CASCADE. Post.tags and Tag.posts are `passive_deletes=True` over post_tags, whose
foreign keys both cascade. Each outcome is checked twice where it matters: once through the
session, once with a raw SQL DELETE, to show the ORM and the database agree.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError

from blog.db import db
from blog.models import Post, Tag, User
from tests import rows
from tests.factories import PostFactory, TagFactory, UserFactory
from tests.helpers import StatementLog, fresh


def author_with_tagged_posts() -> tuple[User, list[Post], list[Tag]]:
    """Return a user with two posts that share two tags, and flush the lot."""
    user = UserFactory()
    tags = [TagFactory(), TagFactory()]
    posts = [PostFactory(author=user, tags=tags), PostFactory(author=user, tags=tags[:1])]
    return user, posts, tags


def assert_user_and_posts_gone(user_id: int, posts: list[Post], tags: list[Tag]) -> None:
    assert not rows.exists("users", user_id)
    for post in posts:
        assert not rows.exists("posts", post.id)
        assert rows.tag_links(post_id=post.id) == set()
    for tag in tags:
        assert rows.exists("tags", tag.id)


def test_deleting_a_user_through_the_session_is_one_delete(sql: StatementLog) -> None:
    user, posts, tags = author_with_tagged_posts()
    user_id = user.id
    user = fresh(user)  # as in a new request: nothing of the user is loaded but the row

    with sql.recording() as statements:
        db.session.delete(user)
        db.session.flush()

    # passive_deletes: the ORM does not load the posts; ON DELETE CASCADE removes them, and
    # their post_tags rows, in the same statement.
    assert statements == ["DELETE FROM users WHERE users.id = %(id)s::INTEGER"]
    assert_user_and_posts_gone(user_id, posts, tags)


def test_deleting_a_user_whose_posts_are_loaded_lets_the_orm_delete_them(
    sql: StatementLog,
) -> None:
    user, posts, tags = author_with_tagged_posts()
    user_id = user.id
    assert len(user.posts) == 2  # loaded: the ORM knows these objects and deletes them itself

    with sql.recording() as statements:
        db.session.delete(user)
        db.session.flush()

    # The posts' tags are loaded too (the factory set them), so the ORM also deletes their
    # links; so is the profile, which the ORM deletes as well.
    assert [s.split(" WHERE")[0] for s in statements] == [
        "DELETE FROM post_tags",
        "DELETE FROM posts",
        "DELETE FROM profiles",
        "DELETE FROM users",
    ]
    assert_user_and_posts_gone(user_id, posts, tags)


def test_deleting_a_user_with_raw_sql_has_the_same_outcome() -> None:
    user, posts, tags = author_with_tagged_posts()
    user_id = user.id

    db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": user_id})

    assert_user_and_posts_gone(user_id, posts, tags)


def test_removing_a_post_from_user_posts_deletes_it() -> None:
    user, (post, other), _ = author_with_tagged_posts()

    user.posts.remove(post)
    db.session.flush()

    assert not rows.exists("posts", post.id)
    assert rows.tag_links(post_id=post.id) == set()
    assert rows.exists("posts", other.id)


def test_deleting_a_post_keeps_its_author_and_tags(sql: StatementLog) -> None:
    user, (post, other), tags = author_with_tagged_posts()
    db.session.expire(post, ["tags"])

    with sql.recording() as statements:
        db.session.delete(post)
        db.session.flush()

    # The version check (version_id_col) rides along: a post changed meanwhile is not deleted.
    assert statements == [
        "DELETE FROM posts WHERE posts.id = %(id)s::INTEGER"
        " AND posts.version = %(version)s::INTEGER"
    ]
    assert not rows.exists("posts", post.id)
    assert rows.tag_links(post_id=post.id) == set()
    assert rows.exists("users", user.id)
    assert rows.exists("posts", other.id)
    for tag in tags:
        assert rows.exists("tags", tag.id)
    assert post not in user.posts


def test_deleting_a_post_with_raw_sql_keeps_its_author_and_tags() -> None:
    user, (post, _), tags = author_with_tagged_posts()

    db.session.execute(text("DELETE FROM posts WHERE id = :id"), {"id": post.id})

    assert not rows.exists("posts", post.id)
    assert rows.tag_links(post_id=post.id) == set()
    assert rows.exists("users", user.id)
    for tag in tags:
        assert rows.exists("tags", tag.id)


def test_a_post_changed_meanwhile_is_not_deleted() -> None:
    _, (post, _), _ = author_with_tagged_posts()
    bump = text("UPDATE posts SET version = version + 1 WHERE id = :id")
    db.session.execute(bump, {"id": post.id})  # as another request's edit would

    with (
        pytest.raises(StaleDataError, match="expected to delete 1 row"),
        db.session.begin_nested(),  # flushes as it ends
    ):
        db.session.delete(post)
    assert rows.exists("posts", post.id)
