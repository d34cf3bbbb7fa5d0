"""What SQLAlchemy does with relationship pairs, on throwaway mappers: the facts the guide teaches.

docs/relationships.md links here for what this app's models cannot show by themselves: how
the annotation decides between one object and a collection, misspelt keywords and partners,
one-sided and wrong pairs, when foreign_keys= and overlaps= are needed, backref against
back_populates, what a cascade holds and which objects it takes into the session, the SQL each
cascade sends, the statements each loading strategy sends, and SQLite's foreign keys. Each test
maps its own small classes (a fresh registry, disposed afterwards) where it needs them, and
compares the statements it records, never timings.
"""

from __future__ import annotations

import re
import sqlite3
import warnings
from contextlib import closing
from typing import Any

import pytest
from sqlalchemy import Column, Connection, ForeignKey, Table, event, select, text
from sqlalchemy.exc import (
    AmbiguousForeignKeysError,
    ArgumentError,
    IntegrityError,
    InvalidRequestError,
    SADeprecationWarning,
    SAWarning,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    DynamicMapped,
    Mapped,
    RelationshipDirection,
    WriteOnlyMapped,
    configure_mappers,
    mapped_column,
    relationship,
)

from blog.db import db
from blog.models import Post, Tag
from tests.factories import UserFactory
from tests.helpers import StatementLog
from tests.throwaway import Models, child_rows, pair, parent_and_child

# The annotation: one object or a collection, and which collection


def test_the_annotation_decides_one_object_or_a_collection_and_its_type(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """A Mapped[...] annotation that is not a collection makes the attribute one object
    (uselist=False), on either side. A collection annotation gives the collection's type; whether
    there is a collection at all then follows the direction, so on the many-to-one side a list
    annotation is ignored and the attribute is one object."""

    # viewonly, so that several relationships can share one foreign key without a warning.
    class Shelf(throwaway_base):
        __tablename__ = "throwaway_shelves"
        id: Mapped[int] = mapped_column(primary_key=True)
        as_list: Mapped[list[Book]] = relationship(viewonly=True)
        as_set: Mapped[set[Book]] = relationship(viewonly=True)
        as_one: Mapped[Book | None] = relationship(viewonly=True)
        unannotated = relationship("Book", viewonly=True)

    class Book(throwaway_base):
        __tablename__ = "throwaway_books"
        id: Mapped[int] = mapped_column(primary_key=True)
        shelf_id: Mapped[int] = mapped_column(ForeignKey(Shelf.id))
        shelf: Mapped[Shelf] = relationship(viewonly=True)
        shelf_as_list: Mapped[list[Shelf]] = relationship(viewonly=True)

    configure_mappers()
    # The foreign key is on books: the relationships from Book are many-to-one.
    assert Shelf.as_list.property.direction is RelationshipDirection.ONETOMANY
    assert Book.shelf.property.direction is RelationshipDirection.MANYTOONE
    shelf, book = Shelf(), Book()
    assert (Shelf.as_list.property.uselist, type(shelf.as_list).__mro__[1]) == (True, list)
    assert (Shelf.as_set.property.uselist, type(shelf.as_set).__mro__[1]) == (True, set)
    assert (Shelf.as_one.property.uselist, shelf.as_one) == (False, None)
    # No annotation: the direction decides, and a collection is a list.
    assert (Shelf.unannotated.property.uselist, type(shelf.unannotated).__mro__[1]) == (True, list)
    assert (Book.shelf.property.uselist, book.shelf) == (False, None)
    assert (Book.shelf_as_list.property.uselist, book.shelf_as_list) == (False, None)


# A misspelt keyword


@pytest.mark.parametrize("keyword", ["backpopulate", "back_populate", "backpopulates"])
def test_a_misspelt_keyword_is_a_type_error_when_the_class_body_runs(
    throwaway_base: type[DeclarativeBase], keyword: str
) -> None:
    """A misspelt keyword (backpopulate=, back_populate=) is an unknown keyword argument: a
    TypeError as soon as the class body runs."""
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{keyword}'"):

        class Parent(throwaway_base):
            __tablename__ = "throwaway_parents"
            id: Mapped[int] = mapped_column(primary_key=True)
            children: Mapped[list[Any]] = relationship("Child", **{keyword: "parent"})


# backref and back_populates: the same SQL


def backref_and_back_populates_scenario(
    models: Models, connection: Connection, sql: StatementLog
) -> list[str]:
    """Create, load, move, orphan and delete children through the relationships; return the
    SQL sent. Each step shows one option of Parent.children: the save-update cascade, the
    loading strategy, the sync, delete-orphan, and the delete cascade."""
    parent_cls, child_cls = models
    parent_cls.metadata.create_all(connection)
    with sql.recording() as statements:
        first, second = parent_cls(), parent_cls()
        first.children.extend([child_cls(), child_cls(), child_cls()])
        db.session.add_all([first, second])
        db.session.flush()
        db.session.expunge_all()
        first, second = db.session.scalars(select(parent_cls).order_by(parent_cls.id)).all()
        moved, orphan, _ = first.children
        assert second.children == []
        moved.parent = second
        db.session.flush()
        first.children.remove(orphan)
        db.session.flush()
        db.session.expire_all()
        db.session.delete(first)
        db.session.flush()
    db.session.expunge_all()
    parent_cls.metadata.drop_all(connection)
    return list(statements)


def test_backref_and_back_populates_send_the_same_sql(
    connection: Connection, sql: StatementLog
) -> None:
    """backref and back_populates declare the same pair, and the same SQL goes to the
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

    assert len(first) >= 10
    assert first == second


# What back_populates syncs: objects, not tables


def test_back_populates_syncs_python_objects_not_tables(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    """back_populates keeps two Python attributes in step, in memory; the tables learn of a
    change only at flush, and a change made in SQL reaches no loaded object."""
    parent_cls, child_cls = parent_and_child(throwaway_base, **pair())
    throwaway_base.metadata.create_all(connection)
    parent, child = parent_cls(), child_cls()
    db.session.add_all([parent, child])

    with sql.recording() as statements, db.session.no_autoflush:
        child.parent = parent
        assert parent.children == [child]  # the other side, at once
        assert child_rows(connection) == []  # and nothing in either table yet
    assert statements == ["SELECT parent_id FROM throwaway_children"]  # only that check

    db.session.flush()
    assert child_rows(connection) == [parent.id]

    # The other direction: a change made in SQL is not seen by the loaded objects.
    other = parent_cls()
    db.session.add(other)
    db.session.flush()
    connection.execute(text("UPDATE throwaway_children SET parent_id = :id"), {"id": other.id})
    assert child_rows(connection) == [other.id]
    assert child.parent is parent
    assert parent.children == [child]


# Without back_populates: the same writes, a stale side


def test_back_populates_sends_the_same_sql_it_saves_a_reload(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    """The writes are the same with or without back_populates. What it saves is a read: without
    it, the other side is stale until loaded again."""

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


# A wrong partner


def author_and_book(base: type[DeclarativeBase], *, book_author_names_back: bool) -> Models:
    """Map books with an author and an editor, where Author.edited names the wrong partner."""

    class Author(base):
        __tablename__ = "throwaway_authors"
        id: Mapped[int] = mapped_column(primary_key=True)
        books: Mapped[list[Book]] = relationship(
            back_populates="author", foreign_keys="Book.author_id"
        )
        # The mistake: Book.author is the partner of Author.books, not of this.
        edited: Mapped[list[Book]] = relationship(
            back_populates="author", foreign_keys="Book.editor_id"
        )

    class Book(base):
        __tablename__ = "throwaway_books"
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


def test_a_wrong_partner_writes_wrong_data_without_a_word(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    """back_populates updates attributes of objects in memory, and does what it is told: given
    the wrong partner, it writes wrong data without a word."""
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
    row = connection.execute(text("SELECT author_id, editor_id FROM throwaway_books")).one()
    assert tuple(row) == (editor.id, editor.id)


def test_sqlalchemy_notices_only_when_the_wrong_partner_names_another_back(
    throwaway_base: type[DeclarativeBase],
) -> None:
    # If Book.author names its own partner (Author.books), the same append trips SQLAlchemy's
    # conflict check, but only when that line runs, not when the mappers are configured.
    author_cls, book_cls = author_and_book(throwaway_base, book_author_names_back=True)
    writer, editor = author_cls(), author_cls()
    book = book_cls(author=writer)

    with pytest.raises(ValueError, match="Bidirectional attribute conflict detected"):
        editor.edited.append(book)


# A misspelt partner, and what SQLAlchemy checks


@pytest.mark.parametrize("trigger", ["configure_mappers", "first_object", "first_query"])
def test_a_misspelt_partner_fails_late_and_a_wrong_one_never(
    throwaway_base: type[DeclarativeBase], trigger: str
) -> None:
    """A back_populates name that matches nothing fails, but only when the mappers are configured
    (first query, first object, or configure_mappers()), not where the class is defined; a name
    that matches the wrong relationship may never fail."""

    # A wrong partner that leads back: configured, then used, without an error or a warning
    # (test_a_wrong_partner_writes_wrong_data_without_a_word shows what it writes).
    class Wrong(DeclarativeBase):
        pass

    try:
        author_cls, book_cls = author_and_book(Wrong, book_author_names_back=False)
        writer, editor = author_cls(), author_cls()
        editor.edited.append(book_cls(author=writer))
    finally:
        Wrong.registry.dispose()

    class Parent(throwaway_base):
        __tablename__ = "throwaway_parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        children: Mapped[list[Child]] = relationship(back_populates="parnet")

    class Child(throwaway_base):
        __tablename__ = "throwaway_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))
        parent: Mapped[Parent] = relationship(back_populates="children")

    # The classes were defined without complaint, and a query can be built; the error waits
    # for configuration, which whichever of these comes first sets off.
    query = select(Parent)
    first_use = {
        "configure_mappers": configure_mappers,
        "first_object": Child,
        "first_query": lambda: db.session.scalars(query),
    }[trigger]
    with pytest.raises(InvalidRequestError, match="has no property 'parnet'"):
        first_use()


def test_a_partner_must_be_a_relationship_back_to_this_class_in_the_other_direction() -> None:
    # What SQLAlchemy does check at configuration, besides the name: the partner relationship
    # must lead back to this class, and the two must not point the same way.
    class Base(DeclarativeBase):
        pass

    class Parent(Base):
        __tablename__ = "throwaway_parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        favourite_id: Mapped[int | None] = mapped_column(ForeignKey("throwaway_children.id"))
        children: Mapped[list[Child]] = relationship(
            back_populates="fans", foreign_keys="Child.parent_id"
        )

    class Child(Base):
        __tablename__ = "throwaway_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))
        # One-to-many as well (the key is on Parent): the same direction as Parent.children.
        fans: Mapped[list[Parent]] = relationship(
            back_populates="children", foreign_keys=[Parent.favourite_id]
        )

    try:
        with pytest.raises(ArgumentError, match="are both of the same direction"):
            configure_mappers()
    finally:
        Base.registry.dispose()

    class Other(DeclarativeBase):
        pass

    class Tag(Other):
        __tablename__ = "throwaway_tags"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Note(Other):
        __tablename__ = "throwaway_notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        tag_id: Mapped[int] = mapped_column(ForeignKey(Tag.id))
        writer_id: Mapped[int] = mapped_column(ForeignKey("throwaway_writers.id"))
        tag: Mapped[Tag] = relationship()
        writer: Mapped[Writer] = relationship(back_populates="notes")

    class Writer(Other):
        __tablename__ = "throwaway_writers"
        id: Mapped[int] = mapped_column(primary_key=True)
        # Note.tag exists and is a relationship, but to Tag, not to Writer.
        notes: Mapped[list[Note]] = relationship(back_populates="tag")

    try:
        with pytest.raises(ArgumentError, match="which does not reference mapper"):
            configure_mappers()
    finally:
        Other.registry.dispose()


# back_populates on one side only


def test_back_populates_on_one_side_only_works_one_way(
    throwaway_base: type[DeclarativeBase], sql: StatementLog
) -> None:
    """SQLAlchemy requires the named attribute to exist and to lead back to this class, not that
    it names you back. One side only raises nothing, and the pair is kept in step one way only."""
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
    models = parent_and_child(throwaway_base, make_children=relationship, make_parent=relationship)

    # Both write throwaway_children.parent_id, and nothing says they are one pair.
    with pytest.warns(SAWarning, match="conflicts with relationship") as warnings:
        configure_mappers()
    assert any("Child.parent" in str(warning.message) for warning in warnings)
    assert models  # held until here: the registry keeps its classes only weakly


# When back_populates is not enough: foreign_keys= and overlaps=


def test_two_foreign_keys_to_one_table_need_foreign_keys() -> None:
    """With two foreign keys to one table SQLAlchemy cannot tell which one a relationship
    follows: an error at configuration, until foreign_keys= names the column."""

    def map_books(base: type[DeclarativeBase], **options: Any) -> Models:
        class Author(base):  # type: ignore[misc,valid-type]
            __tablename__ = "throwaway_authors"
            id: Mapped[int] = mapped_column(primary_key=True)

        class Book(base):  # type: ignore[misc,valid-type]
            __tablename__ = "throwaway_books"
            id: Mapped[int] = mapped_column(primary_key=True)
            author_id: Mapped[int] = mapped_column(ForeignKey(Author.id))
            editor_id: Mapped[int] = mapped_column(ForeignKey(Author.id))
            author: Mapped[Author] = relationship(**options)

        return Author, Book

    class Without(DeclarativeBase):
        pass

    class With(DeclarativeBase):
        pass

    try:
        ambiguous = map_books(Without)
        with pytest.raises(AmbiguousForeignKeysError, match="Specify the 'foreign_keys'"):
            configure_mappers()
        Without.registry.dispose()
        told = map_books(With, foreign_keys="Book.author_id")
        configure_mappers()
        assert ambiguous
        assert told[1].__mapper__.configured
    finally:
        Without.registry.dispose()
        With.registry.dispose()


def test_a_self_referential_many_to_many_needs_primaryjoin_and_secondaryjoin(
    throwaway_base: type[DeclarativeBase],
) -> None:
    # Both columns of the link table point at the same table: which is "mine" is ambiguous.
    links = Table(
        "throwaway_follows",
        throwaway_base.metadata,
        Column("follower_id", ForeignKey("throwaway_users.id"), primary_key=True),
        Column("followed_id", ForeignKey("throwaway_users.id"), primary_key=True),
    )

    class Person(throwaway_base):
        __tablename__ = "throwaway_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        following: Mapped[list[Person]] = relationship(secondary=links)

    with pytest.raises(AmbiguousForeignKeysError, match="multiple foreign key paths"):
        configure_mappers()


@pytest.mark.parametrize("side", ["children", "parent"])
def test_overlaps_acknowledges_two_relationships_that_write_one_column(
    throwaway_base: type[DeclarativeBase], side: str
) -> None:
    """Two relationships over one foreign key, not a pair: overlaps= on either of them, naming
    the other, and the warning of the test above is not given."""
    models = parent_and_child(
        throwaway_base,
        make_children=(lambda: relationship(overlaps="parent"))
        if side == "children"
        else relationship,
        make_parent=(lambda: relationship(overlaps="children"))
        if side == "parent"
        else relationship,
    )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        configure_mappers()
    assert caught == []
    assert all(model.__mapper__.configured for model in models)


# backref: an attribute that appears at configuration


def test_backref_creates_an_attribute_no_one_can_see_until_configuration(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """The attribute backref creates is not on the class until the mappers are configured, and
    has no annotation a type checker could read. (The SQLAlchemy documentation calls backref
    legacy: supported, not deprecated.)"""

    class Parent(throwaway_base):
        __tablename__ = "throwaway_parents"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Child(throwaway_base):
        __tablename__ = "throwaway_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))
        parent: Mapped[Parent] = relationship(backref="children")

    assert not hasattr(Parent, "children")
    configure_mappers()
    assert hasattr(Parent, "children")
    assert "children" not in Parent.__annotations__


def test_sqlalchemy_calls_backref_and_dynamic_legacy_and_warns_of_neither(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """SQLAlchemy's own documentation, its docstrings, calls backref and the "dynamic" loader
    legacy; neither is deprecated, so using them draws no warning."""
    assert relationship.__doc__ is not None
    assert DynamicMapped.__doc__ is not None
    assert re.search(r"relationship\.backref` - legacy form", relationship.__doc__)
    assert re.search(r"\.\. legacy::\s+The \"dynamic\" lazy loader", DynamicMapped.__doc__)

    class Parent(throwaway_base):
        __tablename__ = "throwaway_parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        children: DynamicMapped[Child] = relationship()

    class Child(throwaway_base):
        __tablename__ = "throwaway_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))

    class Note(throwaway_base):
        __tablename__ = "throwaway_notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))
        parent: Mapped[Parent] = relationship(backref="notes")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        configure_mappers()
        parent = Parent()
        parent.children.append(Child())
        note = Note(parent=parent)
        assert parent.notes == [note]  # type: ignore[attr-defined]
    assert caught == []


# What a cascade holds


def test_the_default_cascade_is_save_update_and_merge_and_all_adds_three() -> None:
    """cascade= lists the session operations a relationship passes on to the objects it holds.
    The default is "save-update, merge"; "all" adds refresh-expire, expunge and delete, and
    delete-orphan is never part of it."""
    default = relationship("Child").cascade
    everything = relationship("Child", cascade="all").cascade
    owned = relationship("Child", cascade="all, delete-orphan").cascade

    assert default == {"save-update", "merge"}
    assert everything == {"save-update", "merge", "refresh-expire", "expunge", "delete"}
    assert owned == everything | {"delete-orphan"}


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
    db.session.expunge_all()
    parent = db.session.get(parent_cls, parent.id)  # as in a new request: only its row loaded

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
        "SELECT throwaway_children.id, throwaway_children.parent_id FROM throwaway_children",
        "UPDATE throwaway_children SET parent_id=%(parent_id)s::INTEGER",
    ]


def test_delete_orphan_cascade_loads_and_deletes_each_child(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    models = parent_and_child(throwaway_base, **pair(cascade="all, delete-orphan"))
    parameter_sets: list[int] = []

    def count(*args: Any) -> None:
        parameters, executemany = args[3], args[5]
        if args[2].startswith("DELETE FROM throwaway_children"):
            parameter_sets.append(len(parameters) if executemany else 1)

    event.listen(connection, "before_cursor_execute", count)
    try:
        statements = delete_a_parentwith_two_children(models, connection, sql)
    finally:
        event.remove(connection, "before_cursor_execute", count)

    assert statements == [
        "SELECT throwaway_children.id, throwaway_children.parent_id FROM throwaway_children",
        "DELETE FROM throwaway_children",
        "DELETE FROM throwaway_parents",
    ]
    # One DELETE for both children, sent once with a parameter set for each (an executemany).
    assert parameter_sets == [2]
    assert child_rows(connection) == []


def test_passive_deletes_leaves_the_children_to_on_delete_cascade(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    models = parent_and_child(
        throwaway_base, **pair(cascade="all, delete-orphan", passive_deletes=True)
    )

    statements = delete_a_parentwith_two_children(models, connection, sql)

    assert statements == ["DELETE FROM throwaway_parents"]
    assert child_rows(connection) == []


# Many-to-many: the cascade="all" trap


def test_cascade_all_on_a_many_to_many_deletes_tags_other_posts_share(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    links = Table(
        "throwaway_post_tags",
        throwaway_base.metadata,
        Column("post_id", ForeignKey("throwaway_posts.id", ondelete="CASCADE"), primary_key=True),
        Column("tag_id", ForeignKey("throwaway_tags.id", ondelete="CASCADE"), primary_key=True),
    )

    class Post(throwaway_base):
        __tablename__ = "throwaway_posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        # The trap: "all" includes "delete", so deleting a post deletes its tags.
        tags: Mapped[list[Tag]] = relationship(
            secondary=links, back_populates="posts", cascade="all"
        )

    class Tag(throwaway_base):
        __tablename__ = "throwaway_tags"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list[Post]] = relationship(secondary=links, back_populates="tags")

    throwaway_base.metadata.create_all(connection)
    shared = Tag()
    first, second = Post(tags=[shared]), Post(tags=[shared])
    db.session.add_all([first, second])
    db.session.flush()

    db.session.delete(first)
    db.session.flush()

    assert list(connection.scalars(text("SELECT count(*) FROM throwaway_tags"))) == [0]
    assert second.tags == [shared]  # stale: the tag the second post still shows is gone


# Loading strategies: the statements each sends

PARENTS, CHILDREN = 3, 2


def read_every_parents_children(
    base: type[DeclarativeBase], lazy: str
) -> tuple[list[str], list[Any]]:
    """Map Parent.children with one loading strategy, store PARENTS parents with CHILDREN
    children each, then query the parents and read each one's children as that strategy allows.
    Return the statements sent and what each read gave."""

    class Parent(base):  # type: ignore[misc,valid-type]
        __tablename__ = "throwaway_parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        if lazy == "write_only":
            children: WriteOnlyMapped[Child] = relationship()
        elif lazy == "dynamic":
            children: DynamicMapped[Child] = relationship()
        else:
            children: Mapped[list[Child]] = relationship(lazy=lazy)

    class Child(base):  # type: ignore[misc,valid-type]
        __tablename__ = "throwaway_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))

    configure_mappers()
    connection = db.session.connection()
    base.metadata.create_all(connection)
    parents = [Parent() for _ in range(PARENTS)]
    db.session.add_all(parents)
    db.session.flush()
    db.session.add_all([Child(parent_id=p.id) for p in parents for _ in range(CHILDREN)])
    db.session.flush()
    db.session.expunge_all()

    sql = StatementLog(connection)
    read: list[Any] = []
    with sql.recording() as statements:
        for parent in db.session.scalars(select(Parent)).unique():
            if lazy == "write_only":
                read.append(len(db.session.scalars(parent.children.select()).all()))
            elif lazy == "dynamic":
                read.append(parent.children.count())
            else:
                try:
                    read.append(len(parent.children))
                except InvalidRequestError as error:
                    read.append(type(error))
    return statements, read


@pytest.mark.parametrize(
    ("lazy", "statements", "read"),
    [
        ("select", 1 + PARENTS, [CHILDREN] * PARENTS),
        ("joined", 1, [CHILDREN] * PARENTS),
        ("selectin", 2, [CHILDREN] * PARENTS),
        ("subquery", 2, [CHILDREN] * PARENTS),
        ("raise", 1, [InvalidRequestError] * PARENTS),
        ("write_only", 1 + PARENTS, [CHILDREN] * PARENTS),
        ("dynamic", 1 + PARENTS, [CHILDREN] * PARENTS),
    ],
)
def test_each_loading_strategy_sends_its_statements(
    throwaway_base: type[DeclarativeBase], lazy: str, statements: int, read: list[Any]
) -> None:
    """What reading the children of every parent costs under each strategy: lazy ("select")
    one query per parent; joined none beyond the parents' own; selectin and subquery one for
    all; raise refuses; write_only and dynamic one for each query the code runs."""
    sent, got = read_every_parents_children(throwaway_base, lazy)

    assert (len(sent), got) == (statements, read)
    if lazy == "selectin":
        assert " IN (" in sent[1]  # the parents' keys
    if lazy == "subquery":
        assert "FROM (SELECT throwaway_parents.id" in sent[1]  # the parents' query, again


def test_noload_is_deprecated_warns_and_reads_an_empty_collection(
    throwaway_base: type[DeclarativeBase],
) -> None:
    with pytest.warns(
        SADeprecationWarning, match=r"``noload`` loader strategy is deprecated.*since: 2\.1"
    ):
        sent, got = read_every_parents_children(throwaway_base, "noload")

    # One statement, and every parent seems to have no children: they are never loaded.
    assert (len(sent), got) == (1, [0] * PARENTS)


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


# Cascades run along the relationship they are declared on


def test_setting_the_author_does_not_save_the_post(sql: StatementLog) -> None:
    """A cascade belongs to the relationship it is declared on, and since SQLAlchemy 2.0 no
    cascade runs through a back_populates event: Post(author=user), with the user in the
    session, leaves the post out of it. At the next flush SQLAlchemy warns and saves nothing."""
    user = UserFactory()
    assert user.posts == []  # loaded, so that reading it below sends nothing
    post = Post(title="A title", body="A body", author=user)
    assert user.posts == [post]  # linked both ways ...
    assert post not in db.session  # ... but not added

    with (
        sql.recording() as statements,
        pytest.warns(
            SAWarning,
            match=r"Object of type <Post> not in session, add operation along 'User\.posts' "
            r"will not proceed",
        ),
    ):
        db.session.flush()
    assert not any(statement.startswith("INSERT") for statement in statements)
    assert post.id is None


def test_appending_to_the_collection_does_cascade() -> None:
    user = UserFactory()
    post = Post(title="A title", body="A body")
    user.posts.append(post)  # the save-update cascade of User.posts runs here
    assert post in db.session
    db.session.flush()
    assert post.id is not None


def test_adding_the_parent_again_cascades_only_along_a_loaded_collection() -> None:
    """What takes a new post into the session is a save-update cascade that reaches it:
    session.add(user) cascades along user.posts when the collection is loaded and holds the
    post, and reaches nothing when the append is only queued."""
    user = UserFactory()
    assert user.posts == []  # loaded
    post = Post(title="A title", body="A body", author=user)
    assert post not in db.session

    db.session.add(user)  # already in the session; the cascade runs again
    assert post in db.session

    other = UserFactory()
    db.session.expire(other, ["posts"])  # not loaded, as in a new request
    queued = Post(title="A title", body="A body", author=other)
    db.session.add(other)
    assert queued not in db.session


def test_cascade_backrefs_was_removed_in_2_0() -> None:
    """SQLAlchemy 1.x also cascaded an object into the session through the partner's event
    (cascade_backrefs=True). 2.0 removed it: only False is accepted, and
    test_setting_the_author_does_not_save_the_post shows what is left."""
    with pytest.raises(ArgumentError, match=r"'cascade_backrefs' .* may only be set to False"):
        relationship("Post", cascade_backrefs=True)
