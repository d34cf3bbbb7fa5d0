"""Finding and creating tags, for the posts' views and the data loaders."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from blog.db import db
from blog.models import Tag


def ensure_tags(names: Sequence[str]) -> list[Tag]:
    """Return the tags with these (normalised) names, creating the missing ones."""
    if not names:
        return []
    wanted = sorted(set(names))  # a fixed order, so concurrent inserts lock rows alike
    rows = [{"name": name} for name in wanted]
    # Safe when concurrent requests create the same tag.
    db.session.execute(insert(Tag).values(rows).on_conflict_do_nothing())
    return list(db.session.scalars(select(Tag).where(Tag.name.in_(wanted)).order_by(Tag.name)))
