"""Common claims about back_populates and backref, each checked against SQLAlchemy itself.

The claims come from three tutorials; claims/README.md lists them, says which claim comes from
which, and gives each its verdict. Where a claim is decided by a fact the guide teaches, the page
links the core test that shows it (tests/test_sqlalchemy_behaviour.py) and there is none here.
Claims that are opinions have no test: the page says why none can decide them. Each test
builds its own small throwaway mappers (a fresh registry, disposed afterwards) where the app's
models cannot show the point, and compares emitted SQL by recording the statements, never by
timing. Each claim's test says its verdict in its docstring ("Verdict: false"), as the page does.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, ForeignKey, Integer, Table, select, text
from sqlalchemy.exc import (
    IntegrityError,
    InvalidRequestError,
    NoReferencedTableError,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    RelationshipDirection,
    RelationshipProperty,
    configure_mappers,
    joinedload,
    mapped_column,
    registry,
    relationship,
)
from sqlalchemy.orm.exc import StaleDataError

from blog.db import db
from blog.models import Post, Profile, Tag, User
from tests.factories import PostFactory, TagFactory, UserFactory
from tests.helpers import StatementLog
from tests.throwaway import Models, child_rows, pair, parent_and_child

# Claim 9


def test_claim_9_back_ref_is_not_a_keyword_of_relationship() -> None:
    """Claim 9: the keyword that builds the reverse side is spelt back_ref. Verdict: false.
    relationship() has no such parameter: a TypeError when the class body runs. The keyword is
    backref, one word."""
    with pytest.raises(TypeError, match="unexpected keyword argument 'back_ref'"):
        relationship("Post", back_ref="user")

    # The one-word spelling is accepted, and is what the tutorial's own code uses.
    assert relationship("Post", backref="user").backref == "user"


# Claim 10


def test_claim_10_the_old_declarative_import_warns_that_it_moved() -> None:
    """Claim 10: a model base comes from declarative_base() in sqlalchemy.ext.declarative.
    Verdict: misleading. On SQLAlchemy 2.x (here 2.1.9) it still works but warns, with a
    MovedIn20Warning (a DeprecationWarning), that the function moved to sqlalchemy.orm;
    SQLAlchemy 2.x's own way is to subclass sqlalchemy.orm.DeclarativeBase."""
    import sqlalchemy
    from sqlalchemy.exc import MovedIn20Warning
    from sqlalchemy.ext.declarative import declarative_base

    assert sqlalchemy.__version__.startswith("2.")
    assert issubclass(MovedIn20Warning, DeprecationWarning)
    moved = r"now available as sqlalchemy\.orm\.declarative_base\(\)\. \(deprecated since: 2\.0\)"
    with pytest.warns(MovedIn20Warning, match=moved):
        legacy = declarative_base()
    try:

        class Thing(legacy):  # type: ignore[misc, valid-type]
            __tablename__ = "claims_things"
            id = Column(sqlalchemy.Integer, primary_key=True)

        assert Thing.__table__.name == "claims_things"  # the base does work
    finally:
        legacy.registry.dispose()

    # The 2.x way warns of nothing (the suite turns every warning into an error).
    class Modern(DeclarativeBase):
        pass

    Modern.registry.dispose()


# Claim 11


def test_claim_11_the_one_side_or_the_many_side_may_carry_the_relationship(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    """Claim 11: relationship() goes on the "many" side, which for users and their posts is
    User. Verdict: false. User is the one side: the foreign key on posts makes User.posts
    one-to-many. A relationship may sit on either side, or on both as a pair."""

    class User(throwaway_base):
        __tablename__ = "claims_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list[Post]] = relationship()

    class Post(throwaway_base):
        __tablename__ = "claims_posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))

    class Note(throwaway_base):
        # The same link declared on the many side only.
        __tablename__ = "claims_notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))
        user: Mapped[User] = relationship()

    configure_mappers()
    assert User.posts.property.direction is RelationshipDirection.ONETOMANY
    assert Note.user.property.direction is RelationshipDirection.MANYTOONE

    throwaway_base.metadata.create_all(connection)
    user = User(posts=[Post()])
    note = Note(user=user)
    db.session.add_all([user, note])
    db.session.flush()
    assert connection.scalar(text("SELECT user_id FROM claims_posts")) == user.id
    assert connection.scalar(text("SELECT user_id FROM claims_notes")) == user.id


# Claim 12


def test_claim_12_a_model_takes_keyword_arguments_only() -> None:
    """Claim 12: a user is created with its name as a positional argument, User("alice").
    Verdict: false. The constructor the declarative base gives a model takes keyword arguments
    only. It takes any name the class has as an attribute, mapped or not, and sets it on the
    instance; a name the class lacks is a TypeError."""
    with pytest.raises(TypeError, match="takes 1 positional argument but 2 were given"):
        User("alice")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'name' is an invalid keyword argument for User"):
        User(name="alice")

    assert User(username="alice").username == "alice"
    # Not only mapped attributes: the association proxy, and even a class attribute.
    post = Post(title="A title", body="A body")
    assert [like.post for like in User(liked_posts=[post]).likes] == [post]
    assert vars(User(__tablename__="elsewhere"))["__tablename__"] == "elsewhere"
    assert User.__tablename__ == "users"


# Claim 13


def test_claim_13_a_new_objects_collection_is_an_empty_list_at_no_cost(
    sql: StatementLog,
) -> None:
    """Claim 13: a new user's posts attribute is a list of Post objects, empty to begin with.
    Verdict: true. For a new (transient or pending) object it is an empty list-like
    collection, given without a query; for a persistent one loaded from the database, the first
    read is a query."""
    with sql.recording() as statements:
        user = User(username="james")
        assert user.posts == []
        assert isinstance(user.posts, list)
        db.session.add(user)
        assert user.posts == []
    assert statements == []

    # A persistent user loaded from the database: the first read of posts is a query.
    db.session.expunge(user)
    user_id = UserFactory().id
    db.session.expunge_all()
    stored = db.session.get(User, user_id)
    assert stored is not None
    with sql.recording() as statements:
        assert stored.posts == []
    assert len(statements) == 1
    assert statements[0].startswith("SELECT posts.id")


# Claim 14


def test_claim_14_backref_builds_a_full_relationship_with_any_options(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """Claim 14: backref makes only a simple reference; back_populates gives finer control.
    Verdict: false. The attribute backref generates is an ordinary relationship, and backref
    passes it any option relationship() takes (cascade, order_by, lazy ...)."""

    class Parent(throwaway_base):
        __tablename__ = "claims_parents"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Child(throwaway_base):
        __tablename__ = "claims_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        position: Mapped[int] = mapped_column(default=0)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))
        # backref("children", ...) returns this same (name, options) pair.
        parent: Mapped[Parent] = relationship(
            backref=(
                "children",
                {"cascade": "all, delete-orphan", "order_by": position, "lazy": "selectin"},
            )
        )

    configure_mappers()
    generated = Parent.children.property  # type: ignore[attr-defined]
    assert isinstance(generated, RelationshipProperty)
    assert generated.cascade.delete_orphan
    assert generated.order_by == (Child.__table__.c.position,)
    assert generated.lazy == "selectin"
    # And the two are wired as a pair, as back_populates would wire them.
    assert generated.back_populates == "parent"
    assert Child.parent.property.back_populates == "children"


# Claim 15


def test_claim_15_the_names_of_the_column_and_the_relationship_are_independent(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    """Claim 15: a pair still works when the foreign key column is author_id and the
    relationship on the same class is called user. Verdict: true. SQLAlchemy finds the join
    from the ForeignKey, not from names; only back_populates must name the partner attribute."""

    class User(throwaway_base):
        __tablename__ = "claims_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list[Post]] = relationship(back_populates="user")

    class Post(throwaway_base):
        __tablename__ = "claims_posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))
        user: Mapped[User | None] = relationship(back_populates="posts")

    throwaway_base.metadata.create_all(connection)
    user, post = User(), Post()
    user.posts.append(post)
    assert post.user is user
    db.session.add(user)
    db.session.flush()
    assert connection.scalar(text("SELECT author_id FROM claims_posts")) == user.id


def test_claim_15_the_partner_named_as_the_prose_names_it_fails(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """The tutorial's prose says the two back_populates are "author" and "posts", while its
    code names the post's side user. Written as the prose has it, the user's side names an
    attribute Post does not have, which fails at configuration."""

    class User(throwaway_base):
        __tablename__ = "claims_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list[Post]] = relationship(back_populates="author")

    class Post(throwaway_base):
        __tablename__ = "claims_posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))
        user: Mapped[User | None] = relationship(back_populates="posts")

    with pytest.raises(InvalidRequestError, match="has no property 'author'"):
        configure_mappers()


def test_their_posts_may_have_no_author_and_this_apps_may_not(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    class User(throwaway_base):
        __tablename__ = "claims_users"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Post(throwaway_base):
        # As the tutorial maps it: a nullable foreign key.
        __tablename__ = "claims_posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id = Column(Integer, ForeignKey(User.id))

    throwaway_base.metadata.create_all(connection)
    db.session.add(Post())
    db.session.flush()  # a post by nobody
    assert connection.scalar(text("SELECT author_id FROM claims_posts")) is None

    with (
        pytest.raises(IntegrityError, match='null value in column "author_id"'),
        db.session.begin_nested(),
    ):
        db.session.execute(text("INSERT INTO posts (title, body) VALUES ('A', 'B')"))


# Claim 20


def test_claim_20_class_names_and_partner_names_must_be_strings_or_defined(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """Claim 20: the blog-post example works as printed, though its relationship() calls name
    the other class and the partner as bare identifiers and its foreign key is an empty
    string. Verdict: false. Bare names are looked up when the class body runs, before the
    class they name exists: a NameError. An empty ForeignKey names no table, which fails when
    the table is created."""
    with pytest.raises(NameError, match="name 'Story' is not defined"):

        class User(throwaway_base):
            __tablename__ = "claims_users"
            id: Mapped[int] = mapped_column(primary_key=True)
            stories = relationship(Story, back_populates=teller)  # type: ignore[name-defined]  # noqa: F821

    class Post(throwaway_base):
        __tablename__ = "claims_posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id = Column(Integer(), ForeignKey(""))

    configure_mappers()  # no relationship yet, so nothing to check
    with pytest.raises(NoReferencedTableError, match="could not find table ''"):
        throwaway_base.metadata.create_all(db.session.connection())

    # Quoted, both names wait for configuration, and the pair works.
    class Writer(throwaway_base):
        __tablename__ = "claims_writers"
        id: Mapped[int] = mapped_column(primary_key=True)
        articles = relationship("Article", back_populates="writer")

    class Article(throwaway_base):
        __tablename__ = "claims_articles"
        id: Mapped[int] = mapped_column(primary_key=True)
        writer_id = Column(Integer, ForeignKey("claims_writers.id"))
        writer = relationship("Writer", back_populates="articles")

    article = Article()
    Writer(articles=[article])
    assert isinstance(article.writer, Writer)


# Claim 21


def test_claim_21_back_populates_needs_an_attribute_on_each_side(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """Claim 21: back_populates lets you handle a two-way relationship through one attribute.
    Verdict: false. It takes two, one on each class, each naming the other: naming an
    attribute the other class lacks fails at configuration. The one-attribute form is backref."""

    class Parent(throwaway_base):
        __tablename__ = "claims_parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        children: Mapped[list[Child]] = relationship(back_populates="parent")

    class Child(throwaway_base):
        __tablename__ = "claims_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))
        # No Child.parent: the attribute back_populates names is missing.

    with pytest.raises(InvalidRequestError, match="has no property 'parent'"):
        configure_mappers()


# Claim 22


def test_claim_22_back_populates_adds_no_sql_to_a_large_collection(
    connection: Connection, sql: StatementLog
) -> None:
    """Claim 22: on very large data sets a two-way relationship costs so much that
    back_populates is best avoided. Verdict: misleading. back_populates sends no SQL of its
    own: with or without it, linking a child to a parent with 200 unloaded children sends the
    same statements. What is costly is loading a big collection, which appending to it does
    either way; a write-only collection (WriteOnlyMapped) never loads it."""

    class Linked(DeclarativeBase):
        pass

    class Unlinked(DeclarativeBase):
        pass

    try:
        linked = parent_and_child(Linked, **pair())
        unlinked = parent_and_child(
            Unlinked,
            make_children=lambda: relationship(overlaps="parent"),
            make_parent=lambda: relationship(overlaps="children"),
        )
        configure_mappers()
        results = []
        for parent_cls, child_cls in (linked, unlinked):
            parent_cls.metadata.create_all(connection)
            parent = parent_cls(children=[child_cls() for _ in range(200)])
            db.session.add(parent)
            db.session.flush()
            db.session.expire(parent, ["children"])  # a parent whose children are not loaded
            with sql.recording() as setting_the_parent:
                db.session.add(child_cls(parent=parent))
                db.session.flush()
            with sql.recording() as appending:
                parent.children.append(child_cls())
            results.append((list(setting_the_parent), list(appending)))
            db.session.expunge_all()
            parent_cls.metadata.drop_all(connection)
    finally:
        Linked.registry.dispose()
        Unlinked.registry.dispose()

    (linked_set, linked_append), (unlinked_set, unlinked_append) = results
    assert linked_set == unlinked_set
    assert [s.split(" (")[0] for s in linked_set] == ["INSERT INTO throwaway_children"]
    # Appending loads all 200 children first, with back_populates or without.
    assert linked_append == unlinked_append
    assert len(linked_append) == 1
    assert linked_append[0].startswith("SELECT throwaway_children.id")


# Claim 23


def test_claim_23_one_relationship_without_a_partner_is_complete(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    """Claim 23: a schema that needs no two-way navigation needs no back_populates.
    Verdict: true. One relationship on its own is complete: it configures without a warning,
    reads and writes the link; back_populates only joins two relationships into a pair."""
    parent_cls, child_cls = parent_and_child(
        throwaway_base, make_children=None, make_parent=relationship
    )
    configure_mappers()  # no warning: the suite would turn one into an error
    throwaway_base.metadata.create_all(connection)

    parent = parent_cls()
    child = child_cls(parent=parent)
    db.session.add(child)
    db.session.flush()
    assert child_rows(connection) == [parent.id]
    assert not hasattr(parent_cls, "children")


# Claim 25


def test_claim_25_back_populates_pairs_one_to_one_and_one_table_too(
    throwaway_base: type[DeclarativeBase], sql: StatementLog
) -> None:
    """Claim 25: back_populates is meant for a pair of tables linked many-to-many or
    one-to-many. Verdict: misleading. It pairs any two relationships over the same link:
    a one-to-one (uselist=False) and a table joined to itself are kept in step the same way."""

    class Node(throwaway_base):
        __tablename__ = "claims_nodes"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int | None] = mapped_column(ForeignKey("claims_nodes.id"))
        parent: Mapped[Node | None] = relationship(back_populates="children", remote_side=[id])
        children: Mapped[list[Node]] = relationship(back_populates="parent")
        card: Mapped[Card | None] = relationship(back_populates="node", uselist=False)

    class Card(throwaway_base):
        __tablename__ = "claims_cards"
        id: Mapped[int] = mapped_column(primary_key=True)
        node_id: Mapped[int] = mapped_column(ForeignKey(Node.id), unique=True)
        node: Mapped[Node] = relationship(back_populates="card")

    configure_mappers()
    with sql.recording() as statements:
        root, leaf, card = Node(), Node(), Card()
        leaf.parent = root  # one table, both ends
        assert root.children == [leaf]
        root.card = card  # one-to-one
        assert card.node is root
    assert statements == []


# Claim 26


def test_claim_26_back_populates_names_the_partner_attribute_nothing_else() -> None:
    """Claim 26: back_populates is set to the name of the matching relationship on the other
    side. Verdict: true. It names a relationship attribute of the other class: a table name,
    a class name or a column attribute fails at configuration."""

    def build(name: str) -> None:
        class Base(DeclarativeBase):
            pass

        class Parent(Base):
            __tablename__ = "claims_parents"
            id: Mapped[int] = mapped_column(primary_key=True)
            children: Mapped[list[Child]] = relationship(back_populates=name)

        class Child(Base):
            __tablename__ = "claims_children"
            id: Mapped[int] = mapped_column(primary_key=True)
            parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))
            parent: Mapped[Parent] = relationship(back_populates="children")

        try:
            configure_mappers()
        finally:
            Base.registry.dispose()

    for wrong, error in [
        ("claims_children", "has no property 'claims_children'"),
        ("Child", "has no property 'Child'"),
        ("parent_id", "refers to attribute 'Child.parent_id' that is not a relationship"),
    ]:
        with pytest.raises(InvalidRequestError, match=error):
            build(wrong)

    build("parent")  # the relationship's own name: no error


# Claim 27


def test_claim_27_sqlmodel_takes_back_populates_and_hands_it_to_sqlalchemy() -> None:
    """Claim 27: back_populates belongs to SQLAlchemy, and no other ORM can use it.
    Verdict: false. SQLModel, an ORM built on SQLAlchemy, takes back_populates in its own
    Relationship() and hands it to SQLAlchemy's relationship(), which keeps the pair in step;
    so does Flask-SQLAlchemy's db.relationship(). Whether an ORM not built on SQLAlchemy has
    something like it is beyond what this suite can test."""
    import inspect as python_inspect

    from sqlmodel import Relationship

    from claims.tests.sqlmodel_pair import teams_and_heroes

    assert "back_populates" in python_inspect.signature(Relationship).parameters
    mappers = registry()
    try:
        team_cls, hero_cls = teams_and_heroes(mappers)
        configure_mappers()
        handed_on = team_cls.heroes.property
        assert isinstance(handed_on, RelationshipProperty)
        assert handed_on.back_populates == "team"
        team, hero = team_cls(), hero_cls()
        team.heroes.append(hero)
        assert hero.team is team
    finally:
        mappers.dispose()

    declared = db.relationship("Post", back_populates="author")
    assert isinstance(declared, RelationshipProperty)
    assert declared.back_populates == "author"


# Claim 28


def test_claim_28_either_side_links_both_with_no_session_and_no_duplicate(
    sql: StatementLog,
) -> None:
    """Claim 28: append a post to user.posts and post.author is the user; set post.author and
    user.posts holds the post. Verdict: true. It holds for new objects, outside any session and
    with no SQL, and linking the same pair again from the other side adds no second entry."""
    with sql.recording() as statements:
        user = User(username="alice")
        post = Post(title="A title", body="A body")
        user.posts.append(post)
        assert post.author is user
        post.author = user  # the same link, from the other side
        assert user.posts == [post]

        other = Post(title="Another", body="A body")
        other.author = user
        assert len(user.posts) == 2
    assert statements == []


# Claim 29


def test_claim_29_the_foreign_key_makes_its_side_the_many_side() -> None:
    """Claim 29: in a one-to-many, the foreign key goes on the "many" side. Verdict: true.
    Where the foreign key is decides the direction: the relationship on the table that holds
    it is many-to-one, and its partner one-to-many. A one-to-one is a one-to-many with
    uselist=False, so the same holds."""
    configure_mappers()
    assert Post.author.property.direction is RelationshipDirection.MANYTOONE
    assert User.posts.property.direction is RelationshipDirection.ONETOMANY
    assert Profile.user.property.direction is RelationshipDirection.MANYTOONE
    assert User.profile.property.direction is RelationshipDirection.ONETOMANY
    assert User.profile.property.uselist is False
    assert Tag.posts.property.direction is RelationshipDirection.MANYTOMANY


# Claim 30


def their_many_to_many(base: type[DeclarativeBase]) -> tuple[Table, Models]:
    """Map students and courses over a link table as the tutorial writes it: two foreign
    keys, no primary key, no NOT NULL and no ON DELETE."""
    links = Table(
        "claims_student_courses",
        base.metadata,
        Column("student_id", ForeignKey("claims_students.id")),
        Column("course_id", ForeignKey("claims_courses.id")),
    )

    class Student(base):
        __tablename__ = "claims_students"
        id: Mapped[int] = mapped_column(primary_key=True)
        courses: Mapped[list[Course]] = relationship(secondary=links, back_populates="students")

    class Course(base):
        __tablename__ = "claims_courses"
        id: Mapped[int] = mapped_column(primary_key=True)
        students: Mapped[list[Student]] = relationship(secondary=links, back_populates="courses")

    return links, (Student, Course)


def test_claim_30_a_link_table_without_a_primary_key_stores_a_link_twice(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    """Claim 30: for a many-to-many, a link table of two foreign key columns is enough.
    Verdict: misleading. The ORM reads and writes it, but the table accepts the same link
    twice, a link of NULLs, and refuses to let a linked row be deleted in SQL. A link stored
    twice can no longer be removed through the ORM. This app's post_tags has a composite
    primary key and ON DELETE CASCADE on both columns, and refuses or cascades each case."""
    links, (student_cls, course_cls) = their_many_to_many(throwaway_base)
    assert links.primary_key.columns.keys() == []
    assert all(column.nullable for column in links.columns)
    throwaway_base.metadata.create_all(connection)

    student, course = student_cls(), course_cls()
    student.courses.extend([course, course])  # a slip: the same course twice
    db.session.add(student)
    db.session.flush()
    pair_rows = text("SELECT student_id, course_id FROM claims_student_courses")
    assert connection.execute(pair_rows).all() == [(student.id, course.id)] * 2

    db.session.expire_all()
    assert student.courses == [course]  # loaded, the two rows look like one link ...
    student.courses.remove(course)
    with pytest.raises(StaleDataError, match="expected to delete 1 row"):
        db.session.flush()  # ... which the ORM cannot remove
    db.session.rollback()


def test_claim_30_such_a_table_takes_nulls_and_blocks_deletes(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    their_many_to_many(throwaway_base)
    throwaway_base.metadata.create_all(connection)
    connection.execute(text("INSERT INTO claims_student_courses VALUES (NULL, NULL)"))
    assert connection.scalar(text("SELECT count(*) FROM claims_student_courses")) == 1

    connection.execute(text("INSERT INTO claims_courses (id) VALUES (1)"))
    connection.execute(text("INSERT INTO claims_students (id) VALUES (1)"))
    connection.execute(text("INSERT INTO claims_student_courses VALUES (1, 1)"))
    with (
        pytest.raises(IntegrityError, match="violates foreign key constraint"),
        connection.begin_nested(),
    ):
        connection.execute(text("DELETE FROM claims_courses"))


def test_claim_30_post_tags_refuses_a_link_twice_and_cascades() -> None:
    with pytest.raises(IntegrityError, match="null value"), db.session.begin_nested():
        db.session.execute(text("INSERT INTO post_tags VALUES (NULL, NULL)"))

    doomed = TagFactory()
    PostFactory(tags=[doomed])
    db.session.execute(text("DELETE FROM tags WHERE id = :id"), {"id": doomed.id})
    assert db.session.scalar(text("SELECT count(*) FROM post_tags")) == 0

    tag = TagFactory()
    post = PostFactory(tags=[tag])
    post.tags.append(tag)  # the same slip as above
    with pytest.raises(IntegrityError, match="pk_post_tags"):
        db.session.flush()
    db.session.rollback()


# Claim 31


def test_claim_31_a_class_named_as_a_string_is_found_later_in_the_registry(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """Claim 31: naming the other class as a string avoids circular imports between model
    modules. Verdict: true. The string is resolved at mapper configuration, from the classes
    the base's registry holds by then, so the module need not import the class. A typo, or a
    class of another registry, fails at configuration, not at import."""

    class Parent(throwaway_base):
        __tablename__ = "claims_parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        children = relationship("Child", back_populates="parent")  # Child is not defined yet

    class Child(throwaway_base):
        __tablename__ = "claims_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey(Parent.id))
        parent = relationship("Parent", back_populates="children")

    configure_mappers()
    assert Parent.children.property.mapper.class_ is Child


@pytest.mark.parametrize("name", ["Chlid", "Elsewhere"])
def test_claim_31_a_name_the_registry_lacks_fails_at_configuration(
    throwaway_base: type[DeclarativeBase], name: str
) -> None:
    class Other(DeclarativeBase):
        pass

    class Elsewhere(Other):  # mapped, but in another registry
        __tablename__ = "claims_elsewhere"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Parent(throwaway_base):
        __tablename__ = "claims_parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        children = relationship(name)

    try:
        with pytest.raises(InvalidRequestError, match=f"expression '{name}' failed to locate"):
            configure_mappers()
    finally:
        Other.registry.dispose()


# Claim 32


def test_claim_32_types_come_from_annotations_not_from_back_populates(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """Claim 32: back_populates brings type safety, since IDEs understand the relationships
    better. Verdict: misleading. A type checker reads Mapped[...] annotations; back_populates
    is a string that only SQLAlchemy reads, at configuration. A model written with Column and
    an unannotated relationship() carries no type at all."""

    class Untyped(throwaway_base):
        __tablename__ = "claims_untyped"
        id = Column(Integer, primary_key=True)
        links = relationship("Link", back_populates="untyped")

    class Link(throwaway_base):
        __tablename__ = "claims_links"
        id: Mapped[int] = mapped_column(primary_key=True)
        untyped_id: Mapped[int | None] = mapped_column(ForeignKey(Untyped.id))
        untyped: Mapped[Untyped | None] = relationship(back_populates="links")

    configure_mappers()
    assert "links" not in Untyped.__annotations__
    assert Link.__annotations__["untyped"] == "Mapped[Untyped | None]"
    # Both are relationships alike at run time: the annotation is all a type checker gets.
    assert Untyped.links.property.back_populates == "untyped"


# Claim 35


def test_claim_35_a_many_to_many_pair_syncs_and_writes_each_link_once(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    """Claim 35: back_populates works for a many-to-many too. Verdict: true. Both sides name
    the same link table; a link made on either side shows on the other at once, with no SQL,
    and the flush writes one row for it, not one for each side."""
    _, (student_cls, course_cls) = their_many_to_many(throwaway_base)
    throwaway_base.metadata.create_all(connection)
    student, maths, music = student_cls(), course_cls(), course_cls()

    with sql.recording() as statements:
        student.courses.append(maths)  # from one side ...
        music.students.append(student)  # ... and from the other
        assert maths.students == [student]
        assert student.courses == [maths, music]
    assert statements == []

    db.session.add(student)
    db.session.flush()
    links = connection.execute(text("SELECT student_id, course_id FROM claims_student_courses"))
    assert sorted(links) == [(student.id, maths.id), (student.id, music.id)]


# Claim 36

TYPED_MODELS = """
from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

class Base(DeclarativeBase):
    pass

class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    books: Mapped[list["Book"]] = relationship(back_populates="author")
    drafts = relationship("Book", viewonly=True)  # no annotation

class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey(Author.id))
    author: Mapped[Author] = relationship(back_populates="books")

def use(author: Author) -> None:
    reveal_type(author.books)
    reveal_type(author.books[0].author)
    reveal_type(author.drafts)
    author.books.append(author)
"""


def test_claim_36_a_type_checker_reads_what_a_relationship_holds_from_its_annotation(
    tmp_path: Path,
) -> None:
    """Claim 36: with modern SQLAlchemy, type hints give better IDE support. Verdict: true.
    A type checker (here mypy, which the project runs) reads Mapped[list[Book]] as a list of
    Book, and flags appending anything else; an IDE that runs one sees the same. A relationship
    without an annotation is Any to it: nothing is known, nothing is checked."""
    from mypy import api

    models, settings = tmp_path / "models.py", tmp_path / "mypy.ini"
    models.write_text(TYPED_MODELS)
    settings.write_text("[mypy]\n")  # none of the project's settings
    # A cache of its own, kept between runs beside make typecheck's, where the checkout may be
    # written to (not in the test image): what mypy read of SQLAlchemy is read again only when
    # the versions or the options change.
    kept = Path(__file__).resolve().parents[2] / ".mypy_cache"
    writable = os.access(kept if kept.exists() else kept.parent, os.W_OK)
    cache = kept / "claim-36" if writable else tmp_path / "mypy-cache"
    report, _, status = api.run(
        ["--config-file", str(settings), "--cache-dir", str(cache), str(models)]
    )

    assert status == 1
    assert re.findall(r'Revealed type is "(.+)"', report) == [
        "list[models.Book]",
        "models.Author",
        "Any",
    ]
    assert 'Argument 1 to "append" of "list" has incompatible type "Author"' in report


# Claim 37


def test_claim_37_back_populates_declares_each_side_in_its_own_class(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """Claim 37: back_populates states the intent explicitly, making the model's structure
    clear to other developers. Verdict: true. Each side is written in its own class, with its
    annotation, and is there as soon as the class is; the side backref makes is in no class
    body, and appears only when the mappers are configured. Whether that reads more clearly
    is for the reader; where each side is written, a test can see."""
    parent_cls, child_cls = parent_and_child(throwaway_base, **pair())

    class Author(throwaway_base):
        __tablename__ = "claims_authors"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Book(throwaway_base):
        __tablename__ = "claims_books"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey(Author.id))
        author: Mapped[Author] = relationship(backref="books")

    # Before configuration: both halves of the pair are there, the generated side is not.
    assert "children" in vars(parent_cls)
    assert "parent" in vars(child_cls)
    assert "books" not in vars(Author)
    configure_mappers()
    assert "books" in vars(Author)
    assert "books" not in Author.__annotations__


# Claim 38


def test_claim_38_the_orm_writes_the_sql_but_how_much_is_for_you_to_say(
    sql: StatementLog,
) -> None:
    """Claim 38: SQLAlchemy takes care of every interaction with the database for you.
    Verdict: misleading. It writes the SQL for what goes through the session, but how many
    statements that takes follows from how you load: the authors of five posts cost six
    queries read lazily, one with joinedload. And what is changed in SQL behind its back, it
    does not learn (claim 3)."""
    PostFactory.create_batch(5)  # each by an author of its own
    db.session.expunge_all()

    with sql.recording() as lazily:
        for post in db.session.scalars(select(Post)):
            assert post.author.username
    db.session.expunge_all()
    with sql.recording() as joined:
        for post in db.session.scalars(select(Post).options(joinedload(Post.author))):
            assert post.author.username

    assert len(lazily) == 1 + 5
    assert len(joined) == 1
