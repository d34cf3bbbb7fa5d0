"""Pages of results: page numbers for any list, and cursors for the lists of posts."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from math import ceil
from typing import Generic, TypeVar

from blog.db import MAX_ID

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
    range scan however deep it is, where OFFSET would step over every earlier post. It also
    carries the page number it leads to, so a page read by cursor still says which it is.
    """

    page: int
    created_at: datetime
    id: int

    def encode(self) -> str:
        """Return the cursor as a URL-safe string."""
        raw = json.dumps([self.page, self.created_at.isoformat(), self.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> PostCursor:
        """Read a cursor made by `encode`; raise ValueError for anything else."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            page, created_at, post_id = json.loads(raw)
            cursor = cls(page, datetime.fromisoformat(created_at), post_id)
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            raise ValueError("not a cursor this API gave out") from exc
        valid = (
            isinstance(page, int)
            and isinstance(post_id, int)
            and 1 <= page <= MAX_PAGE
            and 1 <= post_id <= MAX_ID
            and cursor.created_at.tzinfo is not None
        )
        if not valid:
            raise ValueError("not a cursor this API gave out")
        return cursor
