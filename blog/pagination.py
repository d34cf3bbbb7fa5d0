"""Pages of results: page numbers for any list, and cursors for the lists of posts.

The lists of posts (the post list, a tag's or an author's posts, the feed) are all read by
`paginate`: newest first, by page number or by cursor, the total in the same statement.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from math import ceil
from operator import itemgetter
from typing import Any, Generic, TypeVar

from flask import current_app
from sqlalchemy import ColumnElement, DateTime, Row, Select, bindparam, tuple_

from blog.db import db
from blog.errors import Unprocessable
from blog.models import Post, User

# Past this a page number can only ever be empty; the bound keeps OFFSET within a bigint.
MAX_PAGE = 2**31 - 1

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
        """Return the number of pages, at least one even when there are no items."""
        return max(1, ceil(self.total / self.per_page))


def offset(page: int, per_page: int) -> int:
    """Return how many items come before `page`."""
    return (page - 1) * per_page


@dataclass(frozen=True)
class PostCursor:
    """Where a page of posts starts: after the post with this (created_at, id), newest first.

    Sent to clients as an opaque string (`next_cursor`). Reading the page it names is one index
    range scan however deep it is, where OFFSET would step over every earlier post. It carries
    the page number it leads to, so a page read by cursor still says which it is, and the list
    it was given out for (`scope`: its filters, or whose feed), so that it cannot page another
    list. It is signed with the app's secret key: an edited cursor is refused.
    """

    page: int
    created_at: datetime
    id: int
    scope: str

    def encode(self, key: str) -> str:
        """Return the cursor as a signed, URL-safe string."""
        raw = json.dumps(
            [self.page, self.created_at.isoformat(), self.id, self.scope], separators=(",", ":")
        )
        return signed(_b64(raw.encode()), key)

    @classmethod
    def decode(cls, text: str, key: str) -> PostCursor:
        """Read a cursor made by `encode` with the same key; raise ValueError for anything else."""
        payload, _, signature = text.partition(".")
        if not hmac.compare_digest(signature.encode(), _signature(payload, key).encode()):
            raise ValueError("not a cursor this API gave out")
        try:
            page, created_at, post_id, scope = json.loads(
                base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            )
            cursor = cls(page, datetime.fromisoformat(created_at), post_id, scope)
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            raise ValueError("not a cursor this API gave out") from exc
        return cursor


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def signed(payload: str, key: str) -> str:
    """Return `payload` with its signature: what a client may send back but not forge."""
    return f"{payload}.{_signature(payload, key)}"


def _signature(payload: str, key: str) -> str:
    # 128 bits of HMAC-SHA256: enough that a cursor cannot be forged, short enough for a URL.
    return _b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest()[:16])


NEWEST_FIRST = (Post.created_at.desc(), Post.id.desc())


@dataclass(frozen=True)
class Listing:
    """Which posts a list shows, and how to know how many there are without counting them.

    The conditions and the total take their values (the tag, the author, the reader) as bound
    parameters, so that each kind of list is the same statement objects on every request.
    """

    conditions: tuple[ColumnElement[bool], ...]
    total: Select[Any] | None  # None when no post can pass the filters
    parameters: dict[str, Any]
    # What a cursor names as its list: the filters, or whose feed.
    scope: str


@lru_cache(maxsize=128)
def _page_statement(
    query: Select[Any],
    conditions: tuple[ColumnElement[bool], ...],
    total: Select[Any],
    *,
    by_cursor: bool,
) -> Select[Any]:
    # One statement object for each kind of page, its values parameters: SQLAlchemy finds its
    # compiled form by the object, instead of working out the cache key of a new statement on
    # every request.
    page = (
        query.where(*conditions)
        .add_columns(total.scalar_subquery().label("total"))  # the total rides along
        .order_by(*NEWEST_FIRST)
        .limit(bindparam("limit"))
    )
    if by_cursor:
        # A range on the (created_at, id) index: as cheap on page 2,000 as on page 2.
        after = tuple_(
            bindparam("before_created_at", type_=DateTime(timezone=True)), bindparam("before_id")
        )
        return page.where(tuple_(Post.created_at, Post.id) < after)
    return page.offset(bindparam("offset"))


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
    """Return one page, newest first, of the posts `listing` shows, as `query` reads them.

    `query` is built once (its reader's id the parameter `viewer_id`). Each row becomes an item
    by `item` (its first column by default), which has the `id` and `created_at` of its post
    for the next page's cursor.
    """
    if cursor is not None and cursor.scope != listing.scope:
        raise Unprocessable(
            "This cursor belongs to another list: send the filters it was given out with.",
            errors=[{"parameter": "cursor", "detail": "Given out for other filters"}],
        )
    if listing.total is None:
        return Page(items=[], page=page, per_page=per_page, total=0)
    statement = _page_statement(query, listing.conditions, listing.total, by_cursor=bool(cursor))
    # One row more than the page says whether there is a next page.
    parameters = listing.parameters | {"limit": per_page + 1, "viewer_id": viewer and viewer.id}
    if cursor is not None:
        page = cursor.page
        parameters |= {"before_created_at": cursor.created_at, "before_id": cursor.id}
    else:
        parameters["offset"] = offset(page, per_page)
    # Joined tags repeat a post in a row per tag: one row per post, the first column (the post,
    # or its id) telling them apart.
    rows = db.session.execute(statement, parameters).unique(itemgetter(0)).all()
    if not rows:  # past the last page: the total still has to be asked for
        total = db.session.scalar(listing.total, listing.parameters) or 0
        return Page(items=[], page=page, per_page=per_page, total=total)
    items = [item(row) for row in rows[:per_page]]
    next_cursor = None
    if len(rows) > per_page:
        last = items[-1]
        next_cursor = PostCursor(page + 1, last.created_at, last.id, listing.scope).encode(
            current_app.config["SECRET_KEY"]
        )
    return Page(items, page, per_page, total=rows[0].total or 0, next_cursor=next_cursor)
