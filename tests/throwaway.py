"""Throwaway mappers: a parent table and a child table, mapped on a base of the test's own.

For tests that show what SQLAlchemy does with a relationship pair where this app's models
cannot, on classes that a fresh registry holds and disposes of afterwards (the `throwaway_base`
fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, ForeignKey, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

Models = tuple[type[Any], type[Any]]


def parent_and_child(
    base: type[DeclarativeBase],
    *,
    make_children: Callable[[], Any] | None,
    make_parent: Callable[[], Any],
) -> Models:
    """Map a parent table and a child table with a NOT NULL foreign key to it.

    The two callables build the relationships Parent.children and Child.parent (None leaves
    Parent.children out).
    """

    class Parent(base):
        __tablename__ = "throwaway_parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        if make_children is not None:
            children: Mapped[list[Child]] = make_children()

    class Child(base):
        __tablename__ = "throwaway_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id, ondelete="CASCADE"))
        parent: Mapped[Parent] = make_parent()

    return Parent, Child


def pair(**options: Any) -> dict[str, Callable[[], Any]]:
    """The two sides of Parent.children <-> Child.parent, declared with back_populates."""
    return {
        "make_children": lambda: relationship(back_populates="parent", **options),
        "make_parent": lambda: relationship(back_populates="children"),
    }


def child_rows(connection: Connection) -> list[int]:
    """Read the children's parent ids on the raw connection: no autoflush, no ORM state."""
    return list(connection.scalars(text("SELECT parent_id FROM throwaway_children")))
