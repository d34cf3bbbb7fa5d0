"""The pages of posts: the post list, the feed and a single post, each read in one statement;
and the tags a post is filed under. Committing is the view's job: a request is a unit of work."""

import json
from collections.abc import Sequence
from functools import cache

from sqlalchemy import Select, bindparam, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import joinedload, with_expression

from blog.db import db
from blog.errors import NotFound
from blog.fields import is_username, parse_tag_name
from blog.models import Comment, Like, Post, Tag, User, counters, follows
from blog.pagination import Listing, Page, PostCursor, paginate

# A post's counts, as correlated subqueries on the indexes, not loaded collections.
LIKE_COUNT = select(func.count()).where(Like.post_id == Post.id).scalar_subquery()
COMMENT_COUNT = select(func.count()).where(Comment.post_id == Post.id).scalar_subquery()


@cache
def shown(*, signed_in: bool, one: bool = False, locked: bool = False) -> Select[Post]:
    """Select posts with their author, tags, counts and `liked_by_me` (for `viewer_id`); with
    `one`, the post `post_id`; `locked` locks its row (FOR NO KEY UPDATE)."""
    query = select(Post).options(
        joinedload(Post.author, innerjoin=True),
        joinedload(Post.tags),  # at most 10 a post; a LIMIT applies to the posts, in a subquery
        with_expression(Post.like_count, LIKE_COUNT),
        with_expression(Post.comment_count, COMMENT_COUNT),
    )
    if signed_in:
        liked = exists().where(Like.post_id == Post.id, Like.user_id == bindparam("viewer_id"))
        query = query.options(with_expression(Post.liked_by_me, liked))
    query = query.where(Post.id == bindparam("post_id")) if one else query
    return query.with_for_update(key_share=True, of=Post) if locked else query


def list_scope(*, tag: str | None, author: str | None) -> str:
    """Return what a cursor of the post list with these (normalised) filters names as its list."""
    return json.dumps(["posts", tag, author and author.lower()])


def feed_scope(user_id: int) -> str:
    """Return what a cursor of this user's feed names as its list."""
    return json.dumps(["feed", user_id])


# The lists of posts, built once, with their values as bound parameters.
NAMED_TAG = Tag.name == bindparam("tag")
NAMED_AUTHOR = func.lower(User.username) == bindparam("author")
TAGGED = Post.tags.any(NAMED_TAG)
BY_AUTHOR = Post.author_id == select(User.id).where(NAMED_AUTHOR).scalar_subquery()
# The counts the triggers keep answer all but a list filtered by both tag and author.
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


def get_post(post_id: int, *, viewer: User | None, locked: bool = False) -> Post:
    """Return the post with this id, loaded as the API shows it; or raise NotFound."""
    query = shown(signed_in=viewer is not None, one=True, locked=locked)
    parameters = {"post_id": post_id} | ({} if viewer is None else {"viewer_id": viewer.id})
    post = db.session.scalars(query, parameters).unique().one_or_none()
    if post is None:
        raise NotFound(f"There is no post {post_id}.")
    return post


def require_post(post_id: int) -> Post:
    """Return the post with this id, or answer 404 (for the views that need only the row)."""
    return db.get_or_404(Post, post_id, description=f"There is no post {post_id}.")


def ensure_tags(names: Sequence[str]) -> list[Tag]:
    """Return the tags with these (normalised) names, creating the missing ones."""
    if not names:
        return []
    wanted = sorted(set(names))  # a fixed order, so concurrent inserts lock rows alike
    rows = [{"name": name} for name in wanted]
    # Safe when concurrent requests create the same tag.
    db.session.execute(insert(Tag).values(rows).on_conflict_do_nothing())
    return list(db.session.scalars(select(Tag).where(Tag.name.in_(wanted)).order_by(Tag.name)))
