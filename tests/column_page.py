"""The pages of posts read as columns: what to do when a page gets hot.

The app reads its pages of posts through relationships (blog/posts.py): Post objects,
their authors and tags joined in, the counts and `liked_by_me` as query expressions, and the
response validated from the objects. This module reads the same pages without building an ORM
object: one statement selects the columns the response needs, the author's name along the join
that Post.author defines, the tag names from `array_agg`, the counts and `liked_by_me` as
correlated subqueries, and each row becomes a `PostOut` directly. The listings, cursors and
paging are the app's own (`paginate`), so the JSON is the same.

`list_posts`, `feed` and `get_post` take what the app's functions of the same names take.
tests/api/test_queries.py checks that they return what the app returns and counts the
statements of both, and tests/api/test_likes.py that they count likes alike; bench/column_app.py
serves the app with them in place, so that the benchmark measures both against the SQL baseline
in the same run; the guide's section 7 puts them side by side.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import MISSING, Field
from sqlalchemy import Row, Select, bindparam, exists, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from blog.db import db
from blog.errors import NotFound
from blog.models import Like, Post, Tag, User, post_tags
from blog.posts import (
    COMMENT_COUNT,
    LIKE_COUNT,
    Page,
    PostCursor,
    feed_listing,
    paginate,
    post_listing,
)
from blog.schemas import PostOut, UserSummary


@cache
def columns(*, signed_in: bool, one: bool = False) -> Select[Any]:
    """Select posts as the API shows them, in one statement: columns, not objects.

    Built once (per signed in or not, page or one post), not on every request; the reader's id
    is the bound parameter `viewer_id`, so each reader still gets their own `liked_by_me`, and
    with `one` the post's id is `post_id`.
    """
    tag_names = (
        select(func.array_agg(aggregate_order_by(Tag.name, Tag.name)))
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .where(post_tags.c.post_id == Post.id)
        .scalar_subquery()
    )
    liked_by_me = (
        exists().where(Like.post_id == Post.id, Like.user_id == bindparam("viewer_id"))
        if signed_in
        else literal(None)
    )
    query = select(
        Post.id,
        Post.title,
        Post.body,
        User.username.label("author"),
        tag_names.label("tags"),
        LIKE_COUNT.label("like_count"),
        COMMENT_COUNT.label("comment_count"),
        liked_by_me.label("liked_by_me"),
        Post.created_at,
        Post.updated_at,
        Post.version,
    ).join(Post.author)
    return query.where(Post.id == bindparam("post_id")) if one else query


class ColumnPost(PostOut):
    """A post read as columns, with its version (which its JSON leaves out)."""

    tags: list[str]  # names already, in order, where PostOut reads them from Tag objects
    version: int = Field(exclude=True)


def column_post(row: Row[Any]) -> ColumnPost:
    """Return the response for one row of `columns`."""
    return ColumnPost(
        id=row.id,
        title=row.title,
        body=row.body,
        author=UserSummary(username=row.author),
        tags=row.tags or [],
        like_count=row.like_count,
        comment_count=row.comment_count,
        liked_by_me=MISSING if row.liked_by_me is None else row.liked_by_me,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def list_posts(
    *,
    page: int,
    per_page: int,
    cursor: PostCursor | None,
    tag: str | None,
    author: str | None,
    viewer: User | None,
) -> Page[ColumnPost]:
    """Return one page of posts, as the app's `list_posts` does, read as columns."""
    listing, query = post_listing(tag=tag, author=author), columns(signed_in=viewer is not None)
    return paginate(
        listing, query, page=page, per_page=per_page, cursor=cursor, viewer=viewer, item=column_post
    )


def feed(user: User, *, page: int, per_page: int, cursor: PostCursor | None) -> Page[ColumnPost]:
    """Return one page of `user`'s feed, as the app's `feed` does, read as columns."""
    listing, query = feed_listing(user.id), columns(signed_in=True)
    return paginate(
        listing, query, page=page, per_page=per_page, cursor=cursor, viewer=user, item=column_post
    )


def get_post(post_id: int, *, viewer: User | None) -> ColumnPost:
    """Return one post, as the app's `get_post` does, read as columns."""
    query = columns(signed_in=viewer is not None, one=True)
    parameters = {"post_id": post_id} | ({} if viewer is None else {"viewer_id": viewer.id})
    row = db.session.execute(query, parameters).one_or_none()
    if row is None:
        raise NotFound(f"There is no post {post_id}.")
    return column_post(row)
