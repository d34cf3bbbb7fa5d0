"""Listing, reading, writing, deleting and liking posts."""

from __future__ import annotations

import json
from collections.abc import Sequence, Set
from functools import cache

from pydantic import MISSING
from sqlalchemy import Select, bindparam, delete, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import joinedload, selectinload, with_expression
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import ORMOption

from blog.db import db, utcnow
from blog.errors import Forbidden, NotFound, PreconditionFailed
from blog.fields import is_username, parse_tag_name
from blog.models import Comment, Like, Post, Tag, User, counters, follows
from blog.pagination import Listing, Page, PostCursor, paginate
from blog.schemas import PostCreate, PostUpdate
from blog.services.tags import ensure_tags

# What a post's response counts, as correlated subqueries: one number per post, read from the
# likes and comments indexes, where loading Post.likes or Post.comments would load every row.
LIKE_COUNT = select(func.count()).where(Like.post_id == Post.id).scalar_subquery()
COMMENT_COUNT = select(func.count()).where(Comment.post_id == Post.id).scalar_subquery()


@cache
def shown(*, signed_in: bool, one: bool = False) -> Select[Post]:
    """Select posts with all their response shows: author, tags, counts and `liked_by_me`.

    The counts and, for a reader with a token, `liked_by_me` fill the query expressions
    declared on Post; the reader's id is the bound parameter `viewer_id`, and with `one` the
    post's id is `post_id`. Built once rather than on every request, which would add building
    its loader options and expressions to every page.
    """
    expressions = [
        with_expression(Post.like_count, LIKE_COUNT),
        with_expression(Post.comment_count, COMMENT_COUNT),
    ]
    if signed_in:
        liked = exists().where(Like.post_id == Post.id, Like.user_id == bindparam("viewer_id"))
        expressions.append(with_expression(Post.liked_by_me, liked))
    query = select(Post).options(
        # One author per post: joined in, a few more columns in each row.
        joinedload(Post.author, innerjoin=True),
        # A post has at most 10 tags: joined in too, a row per tag and no second statement.
        # With a LIMIT, SQLAlchemy limits the posts in a subquery and joins the tags to that.
        joinedload(Post.tags),
        *expressions,
    )
    return query.where(Post.id == bindparam("post_id")) if one else query


def list_scope(*, tag: str | None, author: str | None) -> str:
    """Return what a cursor of the post list with these (normalised) filters names as its list."""
    return json.dumps(["posts", tag, author and author.lower()])


def feed_scope(user_id: int) -> str:
    """Return what a cursor of this user's feed names as its list."""
    return json.dumps(["feed", user_id])


# The lists of posts, with their values (the tag, the author's name, whose feed) as bound
# parameters: each kind of list is built once, and a page of it is one statement object.
NAMED_TAG = Tag.name == bindparam("tag")
NAMED_AUTHOR = func.lower(User.username) == bindparam("author")
TAGGED = Post.tags.any(NAMED_TAG)
BY_AUTHOR = Post.author_id == select(User.id).where(NAMED_AUTHOR).scalar_subquery()
# The counts the triggers keep answer the common cases in one row; only a list filtered by both
# a tag and an author is counted.
TOTALS = {
    (False, False): select(counters.c.value).where(counters.c.name == "posts"),
    (True, False): select(Tag.post_count).where(NAMED_TAG),
    (False, True): select(User.post_count).where(NAMED_AUTHOR),
    (True, True): select(func.count()).select_from(Post).where(TAGGED, BY_AUTHOR),
}
FOLLOWED = Post.author_id.in_(
    select(follows.c.followed_id).where(follows.c.follower_id == bindparam("user_id"))
)
FEED_TOTAL = (
    select(func.coalesce(func.sum(User.post_count), 0))
    .select_from(follows)
    .join(User, User.id == follows.c.followed_id)
    .where(follows.c.follower_id == bindparam("user_id"))
)


def post_listing(*, tag: str | None, author: str | None) -> Listing:
    """Return the listing of the post list with these filters, tag and author name."""
    tag_name = None if tag is None else parse_tag_name(tag)
    if (tag is not None and tag_name is None) or (author is not None and not is_username(author)):
        return Listing((), None, {}, list_scope(tag=tag, author=author))
    filters = (tag_name is not None, author is not None)
    conditions = tuple(c for c, on in zip((TAGGED, BY_AUTHOR), filters, strict=True) if on)
    parameters = {"tag": tag_name, "author": author and author.lower()}
    return Listing(conditions, TOTALS[filters], parameters, list_scope(tag=tag_name, author=author))


def feed_listing(user: User) -> Listing:
    """Return the listing of the posts of the users `user` follows."""
    return Listing((FOLLOWED,), FEED_TOTAL, {"user_id": user.id}, feed_scope(user.id))


def list_posts(
    *,
    page: int,
    per_page: int,
    cursor: PostCursor | None,
    tag: str | None,
    author: str | None,
    viewer: User | None,
) -> Page[Post]:
    """Return one page of posts, newest first, filtered by tag and author name."""
    listing, query = post_listing(tag=tag, author=author), shown(signed_in=viewer is not None)
    return paginate(listing, query, page=page, per_page=per_page, cursor=cursor, viewer=viewer)


def feed(*, user: User, page: int, per_page: int, cursor: PostCursor | None) -> Page[Post]:
    """Return one page of the posts of the users `user` follows, newest first."""
    listing, query = feed_listing(user), shown(signed_in=True)
    return paginate(listing, query, page=page, per_page=per_page, cursor=cursor, viewer=user)


def get_post(post_id: int, *, viewer: User | None) -> Post:
    """Return the post with this id, loaded as the API shows it; or raise NotFound."""
    # The same statement object every time, given the ids as parameters: SQLAlchemy then finds
    # its compiled form without working out its cache key again. An edit reads back the post it
    # changed: the counts are filled in anew all the same.
    query = shown(signed_in=viewer is not None, one=True)
    parameters = {"post_id": post_id} | ({} if viewer is None else {"viewer_id": viewer.id})
    post = db.session.scalars(query, parameters).unique().one_or_none()
    if post is None:
        raise NotFound(f"There is no post {post_id}.")
    return post


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
    # Known without asking: nobody has liked or commented on a post yet, its author included.
    for name, value in (("like_count", 0), ("comment_count", 0), ("liked_by_me", False)):
        set_committed_value(post, name, value)
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
