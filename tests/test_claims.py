"""Common claims about back_populates and backref, each checked against SQLAlchemy itself.

Each test builds its own small throwaway mappers (a fresh registry, disposed afterwards) where the
app's models cannot show the point, and compares emitted SQL by recording the statements, never
by timing. Each claim's test says its verdict in its docstring ("Verdict: false"), and
docs/relationships.md must give the same one (tests/test_docs.py checks that it does).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest
from sqlalchemy import Column, Connection, ForeignKey, Table, text
from sqlalchemy.exc import IntegrityError, InvalidRequestError, SAWarning
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    configure_mappers,
    mapped_column,
    relationship,
)

from blog.db import db
from tests.helpers import StatementLog

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
        __tablename__ = "claims_parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        if make_children is not None:
            children: Mapped[list[Child]] = make_children()

    class Child(base):
        __tablename__ = "claims_children"
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
    return list(connection.scalars(text("SELECT parent_id FROM claims_children")))


# Claim 1


@pytest.mark.parametrize("keyword", ["backpopulate", "back_populate", "backpopulates"])
def test_claim_1_a_misspelt_keyword_is_a_type_error_when_the_class_body_runs(
    throwaway_base: type[DeclarativeBase], keyword: str
) -> None:
    """Claim 1: SQLAlchemy takes backpopulate as another spelling of back_populates.
    Verdict: false. Any other spelling is an unknown keyword argument: a TypeError as
    soon as the class body runs."""
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{keyword}'"):

        class Parent(throwaway_base):
            __tablename__ = "claims_parents"
            id: Mapped[int] = mapped_column(primary_key=True)
            children: Mapped[list[Any]] = relationship("Child", **{keyword: "parent"})


# Claim 2


def backref_and_back_populates_scenario(
    models: Models, connection: Connection, sql: StatementLog
) -> list[str]:
    """Create, move and delete children through the relationships; return the SQL sent."""
    parent_cls, child_cls = models
    parent_cls.metadata.create_all(connection)
    with sql.recording() as statements:
        first, second = parent_cls(), parent_cls()
        first.children.extend([child_cls(), child_cls()])
        db.session.add_all([first, second])
        db.session.flush()
        first.children[0].parent = second
        db.session.flush()
        db.session.expire_all()
        db.session.delete(first)
        db.session.flush()
    db.session.expunge_all()
    parent_cls.metadata.drop_all(connection)
    return list(statements)


def test_claim_2_backref_and_back_populates_send_the_same_sql(
    connection: Connection, sql: StatementLog
) -> None:
    """Claim 2: backref costs more than back_populates, above all on large data sets.
    Verdict: false. Both declare the same pair, and the same SQL goes to the
    database."""

    class WithBackPopulates(DeclarativeBase):
        pass

    class WithBackref(DeclarativeBase):
        pass

    try:
        explicit = parent_and_child(WithBackPopulates, **pair(cascade="all, delete-orphan"))
        generated = parent_and_child(
            WithBackref,
            make_children=None,
            # backref() returns exactly this (name, options) pair.
            make_parent=lambda: relationship(
                backref=("children", {"cascade": "all, delete-orphan"})
            ),
        )
        configure_mappers()

        first = backref_and_back_populates_scenario(explicit, connection, sql)
        second = backref_and_back_populates_scenario(generated, connection, sql)
    finally:
        WithBackPopulates.registry.dispose()
        WithBackref.registry.dispose()

    assert len(first) >= 6
    assert first == second


# Claim 3


def test_claim_3_back_populates_syncs_python_objects_not_tables(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    """Claim 3: back_populates carries a change made to one table over to the other table.
    Verdict: misleading. It keeps two Python attributes in step, in memory; the
    tables learn of a change only at flush, and a change made in SQL reaches no loaded object."""
    parent_cls, child_cls = parent_and_child(throwaway_base, **pair())
    throwaway_base.metadata.create_all(connection)
    parent, child = parent_cls(), child_cls()
    db.session.add_all([parent, child])

    with sql.recording() as statements, db.session.no_autoflush:
        child.parent = parent
        assert parent.children == [child]  # the other side, at once
        assert child_rows(connection) == []  # and nothing in either table yet
    assert statements == ["SELECT parent_id FROM claims_children"]  # only that check

    db.session.flush()
    assert child_rows(connection) == [parent.id]

    # The other direction: a change made in SQL is not seen by the loaded objects.
    other = parent_cls()
    db.session.add(other)
    db.session.flush()
    connection.execute(text("UPDATE claims_children SET parent_id = :id"), {"id": other.id})
    assert child_rows(connection) == [other.id]
    assert child.parent is parent
    assert parent.children == [child]


# Claim 4


def test_claim_4_back_populates_sends_the_same_sql_it_saves_a_reload(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    """Claim 4: back_populates means fewer SQL queries for a two-way relationship, which you
    would otherwise keep in step by hand. Verdict: misleading. The writes are the same with or
    without it. What it saves is a read: without it, the other side is stale until loaded
    again."""

    class Linked(DeclarativeBase):
        pass

    class Unlinked(DeclarativeBase):
        pass

    try:
        linked = parent_and_child(Linked, **pair())
        unlinked = parent_and_child(
            Unlinked,
            # Two relationships over one foreign key, not told of each other: overlaps=
            # acknowledges that (SQLAlchemy warns otherwise).
            make_children=lambda: relationship(overlaps="parent"),
            make_parent=lambda: relationship(overlaps="children"),
        )
        configure_mappers()
        results = {}
        for name, (parent_cls, child_cls) in {"linked": linked, "unlinked": unlinked}.items():
            parent_cls.metadata.create_all(connection)
            parent = parent_cls()
            db.session.add(parent)
            db.session.flush()
            assert parent.children == []
            with sql.recording() as writes:
                child = child_cls(parent=parent)
                db.session.add(child)
                db.session.flush()
            with sql.recording() as reads:
                seen = list(parent.children)
            results[name] = (list(writes), list(reads), seen == [child])
            with sql.recording() as reloads:
                db.session.expire(parent, ["children"])
                assert parent.children == [child]
            results[name] += (len(reloads),)
            db.session.expunge_all()
            parent_cls.metadata.drop_all(connection)
    finally:
        Linked.registry.dispose()
        Unlinked.registry.dispose()

    linked_writes, linked_reads, linked_correct, _ = results["linked"]
    unlinked_writes, unlinked_reads, unlinked_correct, unlinked_reload = results["unlinked"]
    assert linked_writes == unlinked_writes  # the same INSERT either way
    assert linked_reads == unlinked_reads == []
    assert linked_correct  # in step, for free
    assert not unlinked_correct  # stale: the new child is missing ...
    assert unlinked_reload == 1  # ... until a query loads it again


# Claim 5


def author_and_book(base: type[DeclarativeBase], *, book_author_names_back: bool) -> Models:
    """Map books with an author and an editor, where Author.edited names the wrong partner."""

    class Author(base):
        __tablename__ = "claims_authors"
        id: Mapped[int] = mapped_column(primary_key=True)
        books: Mapped[list[Book]] = relationship(
            back_populates="author", foreign_keys="Book.author_id"
        )
        # The mistake: Book.author is the partner of Author.books, not of this.
        edited: Mapped[list[Book]] = relationship(
            back_populates="author", foreign_keys="Book.editor_id"
        )

    class Book(base):
        __tablename__ = "claims_books"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int | None] = mapped_column(ForeignKey(Author.id))
        editor_id: Mapped[int | None] = mapped_column(ForeignKey(Author.id))
        author: Mapped[Author | None] = (
            relationship(back_populates="books", foreign_keys=[author_id])
            if book_author_names_back
            else relationship(foreign_keys=[author_id])
        )

    configure_mappers()  # no error, no warning, either way
    return Author, Book


def test_claim_5_a_wrong_partner_writes_wrong_data_without_a_word(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    """Claim 5: back_populates keeps the data consistent, updating related records for you.
    Verdict: misleading. It updates attributes of objects in memory, not records, and
    it does what it is told: given the wrong partner, it writes wrong data without a word."""
    author_cls, book_cls = author_and_book(throwaway_base, book_author_names_back=False)
    throwaway_base.metadata.create_all(connection)
    writer, editor = author_cls(), author_cls()
    book = book_cls(author=writer)
    db.session.add_all([writer, editor, book])
    db.session.flush()

    editor.edited.append(book)  # meant: "the editor edited this book"
    db.session.flush()

    # ... and the book's author is now the editor, in memory and in the table.
    assert book.author is editor
    row = connection.execute(text("SELECT author_id, editor_id FROM claims_books")).one()
    assert tuple(row) == (editor.id, editor.id)


def test_claim_5_sqlalchemy_notices_only_when_the_wrong_partner_names_another_back(
    throwaway_base: type[DeclarativeBase],
) -> None:
    # If Book.author names its own partner (Author.books), the same append trips SQLAlchemy's
    # conflict check, but only when that line runs, not when the mappers are configured.
    author_cls, book_cls = author_and_book(throwaway_base, book_author_names_back=True)
    writer, editor = author_cls(), author_cls()
    book = book_cls(author=writer)

    with pytest.raises(ValueError, match="Bidirectional attribute conflict detected"):
        editor.edited.append(book)


# Claim 6


def test_claim_6_a_misspelt_partner_fails_late_and_a_wrong_one_never(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """Claim 6: a back_populates name that does not match the other model's attribute is an
    error. Verdict: misleading. A name that matches nothing fails, but only
    when the mappers are configured (first query, first object, or configure_mappers()), not
    where the class is defined; a name that matches the wrong relationship may never fail."""

    class Parent(throwaway_base):
        __tablename__ = "claims_parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        children: Mapped[list[Child]] = relationship(back_populates="parnet")

    class Child(throwaway_base):
        __tablename__ = "claims_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))
        parent: Mapped[Parent] = relationship(back_populates="children")

    # The classes were defined without complaint; the error waits for configuration.
    with pytest.raises(InvalidRequestError, match="has no property 'parnet'"):
        configure_mappers()


# Claim 7


def test_claim_7_back_populates_on_one_side_only_works_one_way(
    throwaway_base: type[DeclarativeBase], sql: StatementLog
) -> None:
    """Claim 7: back_populates has to be declared on both models, and set on one it manages
    both. Verdict: misleading. SQLAlchemy requires the named attribute to exist, not that it names
    you back. One side only raises nothing, and the pair is kept in step one way only."""
    parent_cls, child_cls = parent_and_child(
        throwaway_base,
        make_children=lambda: relationship(back_populates="parent"),
        make_parent=relationship,  # no back_populates on this side
    )
    configure_mappers()  # no error

    with sql.recording() as statements:
        parent, child = parent_cls(), child_cls()
        parent.children.append(child)
        assert child.parent is parent  # this direction works ...

        other_parent, other_child = parent_cls(), child_cls()
        other_child.parent = other_parent
        assert other_parent.children == []  # ... this one does not
    assert statements == []


# No back_populates at all


def test_two_relationships_over_one_foreign_key_without_back_populates_draw_a_warning(
    throwaway_base: type[DeclarativeBase],
) -> None:
    parent_and_child(throwaway_base, make_children=relationship, make_parent=relationship)

    # Both write claims_children.parent_id, and nothing says they are one pair.
    with pytest.warns(SAWarning, match="conflicts with relationship") as warnings:
        configure_mappers()
    assert any("Child.parent" in str(warning.message) for warning in warnings)


# Claim 8


def test_claim_8_backref_creates_an_attribute_no_one_can_see_until_configuration(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """Claim 8: backref is the older way, which generates the other side for you;
    back_populates is today's recommended one. Verdict: true. The SQLAlchemy documentation
    calls backref legacy (supported, not deprecated). Its practical cost is shown here: the
    attribute it creates is not on the class until the mappers are configured, and has no
    annotation a type checker could read."""

    class Parent(throwaway_base):
        __tablename__ = "claims_parents"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Child(throwaway_base):
        __tablename__ = "claims_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))
        parent: Mapped[Parent] = relationship(backref="children")

    assert not hasattr(Parent, "children")
    configure_mappers()
    assert hasattr(Parent, "children")
    assert "children" not in Parent.__annotations__


# Cascades: the SQL each configuration sends when a parent is deleted


def delete_a_parentwith_two_children(
    models: Models, connection: Connection, sql: StatementLog
) -> list[str]:
    parent_cls, child_cls = models
    configure_mappers()
    parent_cls.metadata.create_all(connection)
    parent = parent_cls(children=[child_cls(), child_cls()])
    db.session.add(parent)
    db.session.flush()
    db.session.expire_all()  # as in a new request: nothing loaded

    with sql.recording() as statements:
        db.session.delete(parent)
        db.session.flush()
    return [statement.split(" WHERE")[0] for statement in statements]


def test_default_cascade_nulls_the_foreign_key_and_fails_despite_on_delete_cascade(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    models = parent_and_child(throwaway_base, **pair())

    with pytest.raises(IntegrityError, match="not-null"), db.session.begin_nested():
        delete_a_parentwith_two_children(models, connection, sql)

    # The ORM loaded the children to "detach" them, before the database could cascade.
    assert [s.split(" WHERE")[0] for s in sql.statements] == [
        "SELECT claims_parents.id FROM claims_parents",
        "SELECT claims_children.id, claims_children.parent_id FROM claims_children",
        "UPDATE claims_children SET parent_id=%(parent_id)s::INTEGER",
    ]


def test_delete_orphan_cascade_loads_and_deletes_each_child(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    models = parent_and_child(throwaway_base, **pair(cascade="all, delete-orphan"))

    statements = delete_a_parentwith_two_children(models, connection, sql)

    assert statements == [
        "SELECT claims_parents.id FROM claims_parents",
        "SELECT claims_children.id, claims_children.parent_id FROM claims_children",
        "DELETE FROM claims_children",
        "DELETE FROM claims_parents",
    ]
    assert child_rows(connection) == []


def test_passive_deletes_leaves_the_children_to_on_delete_cascade(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    models = parent_and_child(
        throwaway_base, **pair(cascade="all, delete-orphan", passive_deletes=True)
    )

    statements = delete_a_parentwith_two_children(models, connection, sql)

    assert statements == [
        "SELECT claims_parents.id FROM claims_parents",
        "DELETE FROM claims_parents",
    ]
    assert child_rows(connection) == []


# Many-to-many: the cascade="all" trap


def test_cascade_all_on_a_many_to_many_deletes_tags_other_posts_share(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    links = Table(
        "claims_post_tags",
        throwaway_base.metadata,
        Column("post_id", ForeignKey("claims_posts.id", ondelete="CASCADE"), primary_key=True),
        Column("tag_id", ForeignKey("claims_tags.id", ondelete="CASCADE"), primary_key=True),
    )

    class Post(throwaway_base):
        __tablename__ = "claims_posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        # The trap: "all" includes "delete", so deleting a post deletes its tags.
        tags: Mapped[list[Tag]] = relationship(
            secondary=links, back_populates="posts", cascade="all"
        )

    class Tag(throwaway_base):
        __tablename__ = "claims_tags"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list[Post]] = relationship(secondary=links, back_populates="tags")

    throwaway_base.metadata.create_all(connection)
    shared = Tag()
    first, second = Post(tags=[shared]), Post(tags=[shared])
    db.session.add_all([first, second])
    db.session.flush()

    db.session.delete(first)
    db.session.flush()

    assert list(connection.scalars(text("SELECT count(*) FROM claims_tags"))) == [0]
    assert second.tags == [shared]  # stale: the tag the second post still shows is gone


# SQLite, for contrast: why the tests run on PostgreSQL


def test_sqlite_ignores_foreign_keys_unless_asked_to_enforce_them() -> None:
    schema = """
        CREATE TABLE parents (id INTEGER PRIMARY KEY);
        CREATE TABLE children (
            id INTEGER PRIMARY KEY,
            parent_id INTEGER NOT NULL REFERENCES parents (id) ON DELETE CASCADE
        );
        INSERT INTO parents VALUES (1);
        INSERT INTO children VALUES (1, 1);
    """
    with closing(sqlite3.connect(":memory:")) as lite:
        lite.executescript(schema)
        lite.execute("DELETE FROM parents")
        lite.execute("INSERT INTO children VALUES (2, 99)")  # a parent that never existed
        # No cascade, no check: both children remain, pointing at nothing.
        assert lite.execute("SELECT count(*) FROM children").fetchone() == (2,)

    with closing(sqlite3.connect(":memory:")) as lite:
        lite.execute("PRAGMA foreign_keys = ON")
        lite.executescript(schema)
        lite.execute("DELETE FROM parents")
        assert lite.execute("SELECT count(*) FROM children").fetchone() == (0,)
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            lite.execute("INSERT INTO children VALUES (2, 99)")
