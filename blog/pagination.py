"""Pages of results: page numbers for any list, and cursors for the lists of posts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from math import ceil
from typing import Generic, TypeVar

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
