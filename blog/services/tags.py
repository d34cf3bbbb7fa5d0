"""Finding and creating tags."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from blog.db import db
from blog.fields import parse_tag_name
from blog.models import Tag
from blog.schemas import TagList, TagOut


def ensure_tags(names: Sequence[str]) -> list[Tag]:
    """Return the tags with these (normalised) names, creating the missing ones.

    `INSERT ... ON CONFLICT DO NOTHING` makes this safe when concurrent requests create the same
    new tag: one insert wins, the others wait for it and then find its row.
    """
    if not names:
        return []
    wanted = sorted(set(names))  # a fixed order, so concurrent inserts lock rows alike
    db.session.execute(
        insert(Tag).values([{"name": name} for name in wanted]).on_conflict_do_nothing()
    )
    return list(db.session.scalars(select(Tag).where(Tag.name.in_(wanted)).order_by(Tag.name)))


def list_tags() -> TagList:
    """Return every tag with the number of posts filed under it, ordered by name."""
    rows = db.session.execute(select(Tag.name, Tag.post_count).order_by(Tag.name)).all()
    # One call validates the whole list in pydantic's compiled core, reading each row's
    # attributes there, rather than building the items one by one in Python.
    return TagList.model_validate({"items": rows})


def get_tag(name: str) -> TagOut | None:
    """Return the tag called `name` (normalised first) with its post count, or None."""
    normalised = parse_tag_name(name)
    if normalised is None:
        return None
    row = db.session.execute(
        select(Tag.name, Tag.post_count).where(Tag.name == normalised)
    ).one_or_none()
    return None if row is None else TagOut.model_validate(row)
