"""Pages of results by number, and of posts by cursor too, each page of posts read in one statement;
and a post's tags. Committing is the view's job: a request is a unit of work."""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import cache, lru_cache
from math import ceil
from operator import itemgetter
from typing import Annotated, Any, Generic, NamedTuple, TypeVar

from flask import current_app
from pydantic import AwareDatetime, Field, PlainValidator, TypeAdapter, WithJsonSchema
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, DateTime, Row, Select, bindparam, exists, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import joinedload, with_expression

from blog.db import MAX_ID, db
from blog.errors import NotFound, Unprocessable
from blog.fields import is_username, parse_tag_name
from blog.models import Comment, Like, Post, Tag, User, counters, follows

# Past this a page number can only ever be empty; the bound keeps OFFSET within a bigint.
MAX_PAGE = 2**31 - 1
MAX_PAGE_SIZE = 100
NOT_A_CURSOR = "Not a cursor this API gave out"
OTHER_FILTERS = "Given out for other filters"  # a cursor of another list
# The lists' order, which the (created_at, id) index gives without sorting.
NEWEST_FIRST = (Post.created_at.desc(), Post.id.desc())
# The posts after a cursor's: a range on that index.
AFTER_CURSOR = tuple_(Post.created_at, Post.id) < tuple_(
    bindparam("before_created_at", type_=DateTime(timezone=True)), bindparam("before_id")
)

ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    """One page of items and what a client needs to ask for the others."""

    items: list[ItemT]
    page: int
    per_page: int
    total: int
    next_cursor: str | None = None

    @property
    def pages(self) -> int:
        """Return the number of pages, at least one."""
        return max(1, ceil(self.total / self.per_page))


def numbered(query: Select[*tuple[Any, ...]], page: int, per_page: int) -> Page[Any]:
    """Return page `page` of the rows `query` selects, and how many it selects in all."""
    count = select(func.count()).select_from(query.order_by(None).subquery())
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    return Page(list(rows), page, per_page, db.session.scalar(count) or 0)


class PostCursor(NamedTuple):
    """Where a page of posts starts: after this (created_at, id), in the list `scope` names."""

    page: Annotated[int, Field(strict=True, ge=1, le=MAX_PAGE)]
    created_at: AwareDatetime
    id: Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
    scope: str

    def encode(self, key: str) -> str:
        """Return the cursor as a signed, URL-safe string."""
        fields = [self.page, self.created_at.isoformat(), self.id, self.scope]
        raw = json.dumps(fields, separators=(",", ":")).encode()
        return signed(base64.urlsafe_b64encode(raw).decode().rstrip("="), key)

    @classmethod
    def decode(cls, text: str, key: str) -> "PostCursor":
        """Read a cursor made by `encode` with the same key; refuse anything else."""
        payload = text.partition(".")[0]
        if hmac.compare_digest(text.encode(), signed(payload, key).encode()):
            # Checked all the same: whoever holds the key (the published development one) can
            # sign anything. A ValueError: base64, JSON, or the fields' types.
            with suppress(ValueError):
                return _CURSOR.validate_json(base64.urlsafe_b64decode(payload + "=="))
        raise PydanticCustomError("cursor", NOT_A_CURSOR)


_CURSOR = TypeAdapter(PostCursor)


def signed(payload: str, key: str) -> str:
    """Return `payload` signed with 128 bits of HMAC-SHA256: enough, and short for a URL."""
    digest = hmac.digest(key.encode(), payload.encode(), hashlib.sha256)[:16]
    return f"{payload}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


Cursor = Annotated[
    PostCursor | None,
    PlainValidator(lambda text: PostCursor.decode(text, current_app.config["SECRET_KEY"])),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
            "description": "`next_cursor` of the previous page of the same list (same filters);"
            " when given, `page` is ignored.",
        }
    ),
]


@dataclass(frozen=True)
class Listing:
    """A list's posts, their count (None if none can pass), its bound `parameters`, its `scope`."""

    conditions: tuple[ColumnElement[bool], ...]
    total: Select[Any] | None
    parameters: dict[str, Any]
    scope: str  # what its cursors name as their list: they page no other


# One statement object per kind of page: SQLAlchemy finds it compiled, without a new cache key.
@lru_cache(maxsize=128)
def _page_statement(
    query: Select[Any],
    conditions: tuple[ColumnElement[bool], ...],
    total: Select[Any],
    by_cursor: bool,
) -> Select[Any]:
    page = (
        query.where(*conditions)
        .add_columns(total.scalar_subquery().label("total"))
        .order_by(*NEWEST_FIRST)
        .limit(bindparam("limit"))
    )
    return page.where(AFTER_CURSOR) if by_cursor else page.offset(bindparam("offset"))


def paginate(
    listing: Listing,
    query: Select[Any],
    *,
    page: int,
    per_page: int,
    cursor: PostCursor | None,
    viewer: User | None,
    item: Callable[[Row[Any]], Any] = itemgetter(0),
) -> Page[Any]:
    """Return a page, newest first, of `listing`'s posts as `query` reads them for `viewer`
    (the parameter `viewer_id`); `item` makes each row an item with `id` and `created_at`."""
    if cursor is not None and cursor.scope != listing.scope:
        raise Unprocessable(
            "This cursor belongs to another list: send the filters it was given out with.",
            errors=[{"parameter": "cursor", "detail": OTHER_FILTERS}],
        )
    if listing.total is None:
        return Page(items=[], page=page, per_page=per_page, total=0)
    statement = _page_statement(query, listing.conditions, listing.total, cursor is not None)
    # One row more than the page says whether there is a next one.
    parameters = listing.parameters | {"limit": per_page + 1, "viewer_id": viewer and viewer.id}
    if cursor is not None:
        page = cursor.page
        parameters |= {"before_created_at": cursor.created_at, "before_id": cursor.id}
    else:
        parameters["offset"] = (page - 1) * per_page
    # Joined tags repeat a post in a row per tag.
    rows = db.session.execute(statement, parameters).unique(itemgetter(0)).all()
    # Past the last page the total is asked for alone.
    total = (rows[0].total if rows else db.session.scalar(listing.total, listing.parameters)) or 0
    items = [item(row) for row in rows[:per_page]]
    next_cursor = None
    if len(rows) > per_page:
        after = PostCursor(page + 1, items[-1].created_at, items[-1].id, listing.scope)
        next_cursor = after.encode(current_app.config["SECRET_KEY"])
    return Page(items, page, per_page, total, next_cursor)


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
    parameters = {"tag": tag_name, "author": author and author.lower()}
    # Normalised filters; a tag no post can have is kept as given, apart from the unfiltered list.
    scope = json.dumps(["posts", tag_name or tag, parameters["author"]])
    if (tag is not None and tag_name is None) or (author is not None and not is_username(author)):
        return Listing((), None, {}, scope)
    filters = (tag_name is not None, author is not None)
    conditions = tuple(c for c, on in zip((TAGGED, BY_AUTHOR), filters, strict=True) if on)
    return Listing(conditions, TOTALS[filters], parameters, scope)


def feed_listing(user_id: int) -> Listing:
    """Return the listing of the posts of the users this user follows."""
    return Listing((FOLLOWED,), FEED_TOTAL, {"user_id": user_id}, json.dumps(["feed", user_id]))


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


def feed(user: User, *, page: int, per_page: int, cursor: PostCursor | None) -> Page[Post]:
    """Return one page of the posts of the users `user` follows, newest first."""
    listing, query = feed_listing(user.id), shown(signed_in=True)
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
    rows = [{"name": name} for name in wanted]  # created once, whoever else creates them too
    db.session.execute(insert(Tag).values(rows).on_conflict_do_nothing())
    return list(db.session.scalars(select(Tag).where(Tag.name.in_(wanted)).order_by(Tag.name)))
