"""Every relationship in the app is one half of a pair declared with back_populates.

SQLAlchemy does not enforce this. back_populates on one side only raises nothing (the sync then
works one way), and a partner name that belongs to another relationship back to this class
configures without an error: SQLAlchemy checks only that the partner leads back to this class,
in the other direction. The wrong attributes are then linked, which raises only when the wrong
partner names a relationship of its own, and only when that link is used
(tests/test_sqlalchemy_behaviour.py). Only a check like this one catches them at once, so it
walks every mapper, including any model added later, and the second half of this module shows
that it does catch each mistake.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import ForeignKey
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    RelationshipProperty,
    configure_mappers,
    mapped_column,
    registry,
    relationship,
)

from blog.db import Base


def relationship_problems(mappers: registry) -> list[str]:
    """Return one message for each relationship that is not half of a back_populates pair."""
    problems = []
    for mapper in mappers.mappers:
        for rel in mapper.relationships:
            name = f"{mapper.class_.__name__}.{rel.key}"
            if rel.backref is not None:
                problems.append(f"{name} uses backref; declare both sides with back_populates")
                continue
            if not rel.back_populates:
                problems.append(f"{name} has no back_populates")
                continue
            target = rel.mapper
            partner = target.relationships.get(rel.back_populates)
            where = f"{target.class_.__name__}.{rel.back_populates}"
            if partner is None:
                problems.append(f"{name} names {where}, which is not a relationship")
            elif partner.back_populates != rel.key or not issubclass(
                mapper.class_, partner.mapper.class_
            ):
                problems.append(f"{name} names {where}, which does not name {name} back")
    return sorted(problems)


def app_relationships() -> list[RelationshipProperty[Any]]:
    configure_mappers()
    # In a stable order: the registry's mappers are a set, and pytest-xdist's workers must each
    # collect the same tests in the same order.
    rels = [rel for mapper in Base.registry.mappers for rel in mapper.relationships]
    return sorted(rels, key=str)


def test_the_app_has_relationships_to_check() -> None:
    assert len(app_relationships()) >= 4


def test_every_relationship_in_the_app_has_a_partner_that_names_it_back() -> None:
    assert relationship_problems(Base.registry) == []


@pytest.mark.parametrize("rel", app_relationships(), ids=str)
def test_each_relationship_is_declared_with_back_populates(rel: RelationshipProperty[Any]) -> None:
    assert rel.backref is None
    assert rel.back_populates
    partner = rel.mapper.relationships[rel.back_populates]
    assert partner.back_populates == rel.key
    assert partner.mapper.class_ is rel.parent.class_


# The check itself, on throwaway models with one mistake each.


def test_the_check_reports_back_populates_on_one_side_only(
    throwaway_base: type[DeclarativeBase],
) -> None:
    class Parent(throwaway_base):
        __tablename__ = "parent"
        id: Mapped[int] = mapped_column(primary_key=True)
        children: Mapped[list[Child]] = relationship(back_populates="parent")

    class Child(throwaway_base):
        __tablename__ = "child"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))
        parent: Mapped[Parent] = relationship()

    configure_mappers()  # raises nothing: the mistake is silent
    assert relationship_problems(throwaway_base.registry) == [
        "Child.parent has no back_populates",
        "Parent.children names Child.parent, which does not name Parent.children back",
    ]


def test_the_check_reports_a_partner_that_names_another_relationship(
    throwaway_base: type[DeclarativeBase],
) -> None:
    class Author(throwaway_base):
        __tablename__ = "author"
        id: Mapped[int] = mapped_column(primary_key=True)
        books: Mapped[list[Book]] = relationship(
            back_populates="author", foreign_keys="Book.author_id"
        )
        # Wrong: Book.author's partner is Author.books, not this.
        edited: Mapped[list[Book]] = relationship(
            back_populates="author", foreign_keys="Book.editor_id"
        )

    class Book(throwaway_base):
        __tablename__ = "book"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
        editor_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
        author: Mapped[Author] = relationship(back_populates="books", foreign_keys=[author_id])

    configure_mappers()  # raises nothing: the mistake is silent
    assert relationship_problems(throwaway_base.registry) == [
        "Author.edited names Book.author, which does not name Author.edited back"
    ]


def test_the_check_reports_backref(throwaway_base: type[DeclarativeBase]) -> None:
    class Parent(throwaway_base):
        __tablename__ = "parent"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Child(throwaway_base):
        __tablename__ = "child"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))
        parent: Mapped[Parent] = relationship(backref="children")

    configure_mappers()
    # backref generates Parent.children with back_populates filled in, so only the side that
    # says backref gives it away.
    assert relationship_problems(throwaway_base.registry) == [
        "Child.parent uses backref; declare both sides with back_populates"
    ]
