"""A page of results, as the service functions return them and the API describes them."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Generic, TypeVar

ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    """One page of items and what a client needs to ask for the others."""

    items: list[ItemT]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Return the number of pages, at least one even when there are no items."""
        return max(1, ceil(self.total / self.per_page))


def offset(page: int, per_page: int) -> int:
    """Return how many items come before `page`."""
    return (page - 1) * per_page
