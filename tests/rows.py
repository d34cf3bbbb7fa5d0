"""What the database holds, read with plain SQL so that no ORM state can colour the answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from blog.db import Base, db
from blog.models import User

Row = frozenset[tuple[str, Any]]


def exists(table: str, row_id: int) -> bool:
    """Say whether `table` has a row with this id (flushes pending changes first)."""
    query = text(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE id = :id)")  # noqa: S608 - fixed names
    return bool(db.session.scalar(query, {"id": row_id}))


def count(table: str) -> int:
    """Return the number of rows in `table`."""
    return int(db.session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608


def author_id(post_id: int) -> int | None:
    """Return posts.author_id of one post, as stored."""
    query = text("SELECT author_id FROM posts WHERE id = :id")
    return db.session.scalar(query, {"id": post_id})


def tag_links(*, post_id: int | None = None, tag_id: int | None = None) -> set[tuple[int, int]]:
    """Return the (post_id, tag_id) rows of post_tags for a post, a tag, or both."""
    query = text(
        "SELECT post_id, tag_id FROM post_tags"
        " WHERE (CAST(:post_id AS integer) IS NULL OR post_id = :post_id)"
        " AND (CAST(:tag_id AS integer) IS NULL OR tag_id = :tag_id)"
    )
    result = db.session.execute(query, {"post_id": post_id, "tag_id": tag_id})
    return {(row.post_id, row.tag_id) for row in result}


def tag_names(post_id: int) -> set[str]:
    """Return the names of the tags linked to a post."""
    query = text(
        "SELECT tags.name FROM post_tags JOIN tags ON tags.id = post_tags.tag_id"
        " WHERE post_tags.post_id = :id"
    )
    return set(db.session.scalars(query, {"id": post_id}))


def everything() -> dict[str, set[Row]]:
    """Return every row of every table the models declare, each as a set of (column, value)."""
    return {
        table.name: {frozenset(row._mapping.items()) for row in db.session.execute(select(table))}
        for table in Base.metadata.sorted_tables
    }


def reached_from(user_id: int, contents: dict[str, set[Row]]) -> dict[str, set[Row]]:
    """Return the rows of `contents` that lead to one user's row through foreign keys: the
    user's own, what refers to it, what refers to those, and so on."""
    reached: dict[str, set[Row]] = {name: set() for name in contents}
    users = User.__table__.name
    reached[users] = {row for row in contents[users] if ("id", user_id) in row}
    grown = True
    while grown:
        grown = False
        for table in Base.metadata.sorted_tables:
            for key in table.foreign_key_constraints:
                pairs = [(e.parent.name, e.column.name) for e in key.elements]
                targets = {
                    tuple(dict(row)[column] for _, column in pairs)
                    for row in reached[key.referred_table.name]
                }
                found = {
                    row
                    for row in contents[table.name] - reached[table.name]
                    if tuple(dict(row)[column] for column, _ in pairs) in targets
                }
                if found:
                    reached[table.name] |= found
                    grown = True
    return reached
