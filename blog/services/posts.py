"""Listing, reading, writing and deleting posts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil

from pydantic import MISSING
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from blog.db import db, utcnow
from blog.errors import Forbidden, NotFound
from blog.models import Post, Tag, User
from blog.schemas import PostCreate, PostUpdate, is_username, parse_tag_name
from blog.services.tags import ensure_tags

# What every post response shows besides the post itself. The author is many-to-one, so it
# rides along in the same SELECT; tags are a collection, so they come in one extra
# `SELECT ... WHERE post_id IN (...)` for the whole page, however many posts it holds.
POST_RESPONSE_LOADING = (joinedload(Post.author), selectinload(Post.tags))


@dataclass(frozen=True)
class PageOfPosts:
    """One page of posts and what the client needs to ask for the others."""

    posts: list[Post]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Return the number of pages, at least one even when there are no posts."""
        return max(1, ceil(self.total / self.per_page))


def _filters(*, tag: str | None, author: str | None) -> list[ColumnElement[bool]] | None:
    """Return the WHERE conditions for these filters, or None if no post can pass them."""
    conditions: list[ColumnElement[bool]] = []
    if tag is not None:
        name = parse_tag_name(tag)
        if name is None:
            return None
        conditions.append(Post.tags.any(Tag.name == name))
    if author is not None:
        if not is_username(author):
            return None
        author_id = select(User.id).where(func.lower(User.username) == author.lower())
        conditions.append(Post.author_id == author_id.scalar_subquery())
    return conditions


def list_posts(*, page: int, per_page: int, tag: str | None, author: str | None) -> PageOfPosts:
    """Return one page of posts, newest first, filtered by tag and author name."""
    conditions = _filters(tag=tag, author=author)
    if conditions is None:
        return PageOfPosts(posts=[], page=page, per_page=per_page, total=0)
    total = db.session.scalar(select(func.count()).select_from(Post).where(*conditions)) or 0
    posts: list[Post] = []
    if total > (page - 1) * per_page:
        posts = list(
            db.session.scalars(
                select(Post)
                .where(*conditions)
                .options(*POST_RESPONSE_LOADING)
                .order_by(Post.created_at.desc(), Post.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
        )
    return PageOfPosts(posts=posts, page=page, per_page=per_page, total=total)


def get_post(post_id: int) -> Post:
    """Return the post with this id, its author and tags loaded, or raise NotFound."""
    post = db.session.get(Post, post_id, options=POST_RESPONSE_LOADING)
    if post is None:
        raise NotFound(f"There is no post {post_id}.")
    return post


def _own_post(post_id: int, user: User, *, options: Sequence[ORMOption] = ()) -> Post:
    post = db.session.get(Post, post_id, options=options)
    if post is None:
        raise NotFound(f"There is no post {post_id}.")
    if post.author_id != user.id:
        raise Forbidden("Only the author of a post may change or delete it.")
    return post


def create_post(*, author: User, data: PostCreate) -> Post:
    """Add a post by `author`, creating any of its tags that do not exist yet."""
    # Setting post.author is enough to link both sides: back_populates appends the post to
    # author.posts if that collection is loaded, and does not load it just for this.
    post = Post(title=data.title, body=data.body, author=author, tags=ensure_tags(data.tags))
    db.session.add(post)
    db.session.flush()
    return post


def update_post(*, post_id: int, user: User, data: PostUpdate) -> Post:
    """Apply the fields present in `data` to one of `user`'s posts."""
    post = _own_post(post_id, user, options=POST_RESPONSE_LOADING)
    if data.title is not MISSING:
        post.title = data.title
    if data.body is not MISSING:
        post.body = data.body
    if data.tags is not MISSING:
        # Assigning the whole list: the ORM works out which post_tags rows to insert and delete.
        post.tags = ensure_tags(data.tags)
    post.updated_at = utcnow()
    db.session.flush()
    return post


def delete_post(*, post_id: int, user: User) -> None:
    """Delete one of `user`'s posts; its tags stay, only the links go."""
    # Its tags are not loaded, so with passive_deletes=True on Post.tags this is one DELETE and
    # ON DELETE CASCADE removes the post_tags rows.
    post = _own_post(post_id, user)
    db.session.delete(post)
    db.session.flush()
