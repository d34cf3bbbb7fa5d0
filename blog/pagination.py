"""Pages of results: page numbers for any list; for the lists of posts (`paginate`), cursors too."""

import base64
import hashlib
import hmac
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from math import ceil
from operator import itemgetter
from typing import Annotated, Any, Generic, NamedTuple, TypeVar

from flask import current_app
from pydantic import AwareDatetime, Field, PlainValidator, TypeAdapter, WithJsonSchema
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, DateTime, Row, Select, bindparam, tuple_

from blog.db import MAX_ID, db
from blog.errors import Unprocessable
from blog.models import Post, User

# Past this a page number can only ever be empty; the bound keeps OFFSET within a bigint.
MAX_PAGE = 2**31 - 1
MAX_PAGE_SIZE = 100
# The lists' order, which the (created_at, id) index gives without sorting.
NEWEST_FIRST = (Post.created_at.desc(), Post.id.desc())

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


def offset(page: int, per_page: int) -> int:
    """Return how many items come before `page`."""
    return (page - 1) * per_page


class PostCursor(NamedTuple):
    """Where a page of posts starts: after this (created_at, id), in the list `scope` names."""

    page: Annotated[int, Field(strict=True, ge=1, le=MAX_PAGE)]
    created_at: AwareDatetime
    id: Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
    scope: str

    def encode(self, key: str) -> str:
        """Return the cursor as a signed, URL-safe string."""
        raw = _CURSOR.dump_json(self)
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
        raise PydanticCustomError("cursor", "Not a cursor this API gave out")


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
    scope: str


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
    if not by_cursor:
        return page.offset(bindparam("offset"))
    after = tuple_(
        bindparam("before_created_at", type_=DateTime(timezone=True)), bindparam("before_id")
    )
    return page.where(tuple_(Post.created_at, Post.id) < after)  # a range on the index


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
            errors=[{"parameter": "cursor", "detail": "Given out for other filters"}],
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
        parameters["offset"] = offset(page, per_page)
    # Joined tags repeat a post in a row per tag.
    rows = db.session.execute(statement, parameters).unique(itemgetter(0)).all()
    if not rows:  # past the last page: the total is asked for alone
        total = db.session.scalar(listing.total, listing.parameters) or 0
        return Page(items=[], page=page, per_page=per_page, total=total)
    items = [item(row) for row in rows[:per_page]]
    next_cursor = None
    if len(rows) > per_page:
        after = PostCursor(page + 1, items[-1].created_at, items[-1].id, listing.scope)
        next_cursor = after.encode(current_app.config["SECRET_KEY"])
    return Page(items, page, per_page, total=rows[0].total or 0, next_cursor=next_cursor)
