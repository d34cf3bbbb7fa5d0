"""Listing, reading, writing, deleting and liking posts."""

from __future__ import annotations

import json
from collections.abc import Sequence, Set
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import current_app
from pydantic import MISSING
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    bindparam,
    delete,
    exists,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption

from blog.db import db, utcnow
from blog.errors import Forbidden, NotFound, PreconditionFailed, Unprocessable
from blog.models import Comment, Like, Post, Tag, User, counters, follows, post_tags
from blog.pagination import Page, PostCursor, offset
from blog.schemas import AuthorOut, PostCreate, PostOut, PostUpdate, is_username, parse_tag_name
from blog.services.tags import ensure_tags


@cache
def _responses_select(*, signed_in: bool) -> Select[Any]:
    """Select posts as the API shows them, in one statement: columns, not objects.

    No Post object is loaded, and no relationship is loaded through. Built from Post objects,
    with their author (joinedload) and tags (selectinload), the same page takes two statements
    and an object for every post, author and tag (tests/orm_page.py; docs/relationships.md,
    section 7, compares the two). A list only reads, so it asks for the columns its response
    needs. The author comes along the join that the Post.author relationship defines; tag
    names, counts and liked_by_me are correlated subqueries.

    It is built once (per signed in or not), not on every request, and the viewer's id is a
    bound parameter, so each viewer still gets their own `liked_by_me`.
    """
    tag_names = (
        select(func.array_agg(aggregate_order_by(Tag.name, Tag.name)))
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .where(post_tags.c.post_id == Post.id)
        .scalar_subquery()
    )
    like_count = select(func.count()).where(Like.post_id == Post.id).scalar_subquery()
    comment_count = select(func.count()).where(Comment.post_id == Post.id).scalar_subquery()
    liked_by_me = (
        exists().where(Like.post_id == Post.id, Like.user_id == bindparam("viewer_id"))
        if signed_in
        else literal(None)
    )
    return select(
        Post.id,
        Post.title,
        Post.body,
        User.username.label("author"),
        tag_names.label("tags"),
        like_count.label("like_count"),
        comment_count.label("comment_count"),
        liked_by_me.label("liked_by_me"),
        Post.created_at,
        Post.updated_at,
        Post.version,
    ).join(Post.author)


def _responses(conditions: Sequence[ColumnElement[bool]], viewer: User | None) -> Select[Any]:
    query = _responses_select(signed_in=viewer is not None).where(*conditions)
    return query if viewer is None else query.params(viewer_id=viewer.id)


def _out(row: Row[Any]) -> PostOut:
    return PostOut(
        id=row.id,
        title=row.title,
        body=row.body,
        author=AuthorOut(username=row.author),
        tags=row.tags or [],
        like_count=row.like_count,
        comment_count=row.comment_count,
        liked_by_me=MISSING if row.liked_by_me is None else row.liked_by_me,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True)
class _Listing:
    """Which posts a list shows, and how to know how many there are without counting them."""

    conditions: Sequence[ColumnElement[bool]]
    total: Select[Any]
    # What a cursor names as its list: the filters, or whose feed.
    scope: str


def list_scope(*, tag: str | None, author: str | None) -> str:
    """Return what a cursor of the post list with these (normalised) filters names as its list."""
    return json.dumps(["posts", tag, author and author.lower()])


def feed_scope(user_id: int) -> str:
    """Return what a cursor of this user's feed names as its list."""
    return json.dumps(["feed", user_id])


def _check_scope(cursor: PostCursor, scope: str) -> None:
    """Refuse a cursor given out for another list than the one asked for."""
    if cursor.scope != scope:
        raise Unprocessable(
            "This cursor belongs to another list: send the filters it was given out with.",
            errors=[{"parameter": "cursor", "detail": "Given out for other filters"}],
        )


def _listing(*, tag: str | None, author: str | None) -> _Listing | None:
    """Return the listing for these filters, or None if no post can pass them."""
    tag_name = None if tag is None else parse_tag_name(tag)
    if (tag is not None and tag_name is None) or (author is not None and not is_username(author)):
        return None
    conditions: list[ColumnElement[bool]] = []
    if tag_name is not None:
        conditions.append(Post.tags.any(Tag.name == tag_name))
    if author is not None:
        author_id = select(User.id).where(func.lower(User.username) == author.lower())
        conditions.append(Post.author_id == author_id.scalar_subquery())
    # The counts the triggers keep answer the common cases in one row; only a list filtered by
    # both a tag and an author is counted.
    if tag_name is not None and author is not None:
        total = select(func.count()).select_from(Post).where(*conditions)
    elif tag_name is not None:
        total = select(Tag.post_count).where(Tag.name == tag_name)
    elif author is not None:
        total = select(User.post_count).where(func.lower(User.username) == author.lower())
    else:
        total = select(counters.c.value).where(counters.c.name == "posts")
    return _Listing(conditions, total, list_scope(tag=tag_name, author=author))


NEWEST_FIRST = (Post.created_at.desc(), Post.id.desc())


def _page(
    listing: _Listing,
    *,
    page: int,
    per_page: int,
    cursor: PostCursor | None,
    viewer: User | None,
) -> Page[PostOut]:
    # The total rides along as one more column, so a page is one statement.
    query = (
        _responses(listing.conditions, viewer)
        .add_columns(listing.total.scalar_subquery().label("total"))
        .order_by(*NEWEST_FIRST)
        .limit(per_page + 1)  # one row more than the page says whether there is a next page
    )
    if cursor is not None:
        _check_scope(cursor, listing.scope)
        page = cursor.page
        # A range on the (created_at, id) index: as cheap on page 2,000 as on page 2.
        query = query.where(tuple_(Post.created_at, Post.id) < tuple_(cursor.created_at, cursor.id))
    else:
        query = query.offset(offset(page, per_page))
    rows = db.session.execute(query).all()
    if not rows:  # past the last page: the total still has to be asked for
        total = db.session.scalar(listing.total) or 0
        return Page(items=[], page=page, per_page=per_page, total=total)
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1]
        next_cursor = PostCursor(page + 1, last.created_at, last.id, listing.scope).encode(
            current_app.config["SECRET_KEY"]
        )
    return Page(
        items=[_out(row) for row in rows],
        page=page,
        per_page=per_page,
        total=rows[0].total or 0,
        next_cursor=next_cursor,
    )


def list_posts(
    *,
    page: int,
    per_page: int,
    cursor: PostCursor | None,
    tag: str | None,
    author: str | None,
    viewer: User | None,
) -> Page[PostOut]:
    """Return one page of posts, newest first, filtered by tag and author name.

    The page is read as columns, in one statement (see `_responses_select`), not as Post objects.
    """
    listing = _listing(tag=tag, author=author)
    if listing is None:
        if cursor is not None:
            _check_scope(cursor, list_scope(tag=tag, author=author))
        return Page(items=[], page=page, per_page=per_page, total=0)
    return _page(listing, page=page, per_page=per_page, cursor=cursor, viewer=viewer)


def feed(*, user: User, page: int, per_page: int, cursor: PostCursor | None) -> Page[PostOut]:
    """Return one page of the posts of the users `user` follows, newest first."""
    followed = select(follows.c.followed_id).where(follows.c.follower_id == user.id)
    listing = _Listing(
        conditions=[Post.author_id.in_(followed)],
        total=select(func.coalesce(func.sum(User.post_count), 0))
        .select_from(follows)
        .join(User, User.id == follows.c.followed_id)
        .where(follows.c.follower_id == user.id),
        scope=feed_scope(user.id),
    )
    return _page(listing, page=page, per_page=per_page, cursor=cursor, viewer=user)


def get_post(post_id: int, *, viewer: User | None) -> tuple[PostOut, int]:
    """Return the post with this id as the API shows it, and its version; or raise NotFound."""
    row = db.session.execute(_responses([Post.id == post_id], viewer)).one_or_none()
    if row is None:
        raise NotFound(f"There is no post {post_id}.")
    return _out(row), row.version


def require_post(post_id: int) -> Post:
    """Return the post with this id, or raise NotFound."""
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound(f"There is no post {post_id}.")
    return post


def _own_post(post_id: int, user: User, *, options: Sequence[ORMOption] = ()) -> Post:
    # Locked until the transaction ends (FOR NO KEY UPDATE), so edits and deletes of one post
    # take turns: each sees the version the one before it wrote. The weaker lock than FOR
    # UPDATE lets comments and likes, which only need the row to stay, go on meanwhile.
    post = db.session.get(Post, post_id, options=options, with_for_update={"key_share": True})
    if post is None:
        raise NotFound(f"There is no post {post_id}.")
    if post.author_id != user.id:
        raise Forbidden("Only the author of a post may change or delete it.")
    return post


def _check_version(post: Post, expected_versions: Set[int] | None) -> None:
    if expected_versions is not None and post.version not in expected_versions:
        raise PreconditionFailed(
            f"The post is at version {post.version}, not the one If-Match names; read it again."
        )


def create_post(*, author: User, data: PostCreate) -> Post:
    """Add a post by `author`, creating any of its tags that do not exist yet."""
    # Setting post.author is enough to link both sides: back_populates appends the post to
    # author.posts if that collection is loaded, and does not load it just for this.
    post = Post(title=data.title, body=data.body, author=author)
    db.session.add(post)
    db.session.flush()
    post.tags = ensure_tags(data.tags)
    db.session.flush()
    return post


def update_post(
    *, post_id: int, user: User, data: PostUpdate, expected_versions: Set[int] | None = None
) -> Post:
    """Apply the fields present in `data` to one of `user`'s posts.

    With `expected_versions` (from If-Match), refuse unless the post is at one of them. The
    row is locked as it is read, so concurrent edits queue up and each checks the version its
    predecessor left; the UPDATE checks it once more (version_id_col) as a last line.
    """
    # The tags are loaded, so that assigning post.tags below can work out what changed.
    post = _own_post(post_id, user, options=[selectinload(Post.tags)])
    _check_version(post, expected_versions)
    # The tags first: ensure_tags() runs a statement, which would autoflush any change already
    # made to the post, and two UPDATEs would move the version on by two.
    tags = None if data.tags is MISSING else ensure_tags(data.tags)
    if data.title is not MISSING:
        post.title = data.title
    if data.body is not MISSING:
        post.body = data.body
    if tags is not None:
        # Assigning the whole list: the ORM works out which post_tags rows to insert and delete.
        post.tags = tags
    post.updated_at = utcnow()
    db.session.flush()
    return post


def delete_post(*, post_id: int, user: User, expected_versions: Set[int] | None = None) -> None:
    """Delete one of `user`'s posts; its tags stay, only the links go.

    With `expected_versions` (from If-Match), refuse unless the post is at one of them.
    """
    # Nothing of it is loaded but the row, so with passive_deletes=True on its collections
    # this is one DELETE, and ON DELETE CASCADE removes its tag links, comments and likes.
    post = _own_post(post_id, user)
    _check_version(post, expected_versions)
    db.session.delete(post)
    db.session.flush()


def like_post(*, user: User, post_id: int) -> None:
    """Record that `user` likes the post; liking it again changes nothing."""
    require_post(post_id)
    # INSERT ... ON CONFLICT DO NOTHING, rather than appending to user.likes: it needs no load
    # of the user's likes and stays idempotent when two requests race.
    db.session.execute(
        insert(Like).values(user_id=user.id, post_id=post_id).on_conflict_do_nothing()
    )


def unlike_post(*, user: User, post_id: int) -> None:
    """Remove `user`'s like of the post, if there is one."""
    require_post(post_id)
    db.session.execute(delete(Like).where(Like.user_id == user.id, Like.post_id == post_id))
