"""What each relationship's options do, shown on every relationship of the app.

The other modules here tell one pair's story each. This one asks the same questions of every
relationship the mappers have, so that a relationship added later is asked them too, and so that
changing any option of any relationship in blog/models.py makes one of them fail
(claims/mutations.py, where the claims layer is present, makes each such change and checks).

The answers follow one rule of the app's design, which the schema decides, not the options:

- a one-to-many relationship (the foreign key is on the other table) owns what it holds. Saving,
  merging, expiring, expunging and deleting the owner reaches what it holds ("all"), and what
  it lets go of is deleted, unless it can stand alone: a reply whose `parent_id` may be NULL
  stays, as a top-level comment;
- a many-to-one or many-to-many relationship owns nothing: saving and merging reach what it
  holds (the default cascade, "save-update, merge"), expiring, expunging and deleting do not.

Every relationship loads lazily, holds what its annotation says, in no promised order. Each
test loads the objects afresh, as a new request would. The last tests show, on throwaway
models, options that would change nothing here if they were set otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, Connection, ForeignKey, Table, inspect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    RelationshipDirection,
    RelationshipProperty,
    configure_mappers,
    mapped_column,
    relationship,
)

from blog.db import Base, db
from tests.factories import CommentFactory, LikeFactory, PostFactory, TagFactory, UserFactory
from tests.helpers import StatementLog, fresh
from tests.throwaway import parent_and_child

Relationship = RelationshipProperty[Any]


def every_relationship() -> list[Relationship]:
    configure_mappers()
    # In a stable order: the registry's mappers are a set, and pytest-xdist's workers must each
    # collect the same tests in the same order.
    rels = [rel for mapper in Base.registry.mappers for rel in mapper.relationships]
    return sorted(rels, key=str)


def owns(rel: Relationship) -> bool:
    """Say whether `rel` owns what it holds: it is one-to-many, the key being on the other table."""
    return rel.direction is RelationshipDirection.ONETOMANY


def declares_a_list(rel: Relationship) -> bool:
    """Say whether the annotation of `rel` is Mapped[list[...]]."""
    annotation = rel.parent.class_.__annotations__[rel.key]
    return str(annotation).startswith("Mapped[list[")


def each(relationships: list[Relationship]) -> Any:
    return pytest.mark.parametrize("rel", relationships, ids=str)


ALL = each(every_relationship())
ONE_TO_MANY = each([rel for rel in every_relationship() if owns(rel)])
MANY_TO_MANY = each([rel for rel in every_relationship() if rel.secondary is not None])
COLLECTIONS = each([rel for rel in every_relationship() if declares_a_list(rel)])


@pytest.fixture
def world() -> list[Base]:
    """Return objects between which every relationship holds something.

    alice and bob, each with a profile; alice follows bob. A post of alice's, tagged, with a
    comment of bob's, alice's reply to it, and bob's like.
    """
    alice, bob = UserFactory(), UserFactory()
    alice.following.append(bob)
    tag = TagFactory()
    post = PostFactory(author=alice, tags=[tag])
    comment = CommentFactory(post=post, author=bob)
    reply = CommentFactory(parent=comment, author=alice)
    like = LikeFactory(user=bob, post=post)
    db.session.flush()
    return [alice, alice.profile, bob, post, tag, comment, reply, like]


def held(value: Any) -> list[Any]:
    """What a relationship's value holds: the list itself, or the one object, or nothing."""
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def loaded(world: list[Base], rel: Relationship) -> tuple[Any, list[Any]]:
    """Return, loaded afresh, an object of the world that `rel` holds something for, and what
    it holds, read (so loaded) through `rel`."""
    holding = [o for o in world if isinstance(o, rel.parent.class_) and held(getattr(o, rel.key))]
    assert holding, f"the `world` fixture has no {rel.parent.class_.__name__} whose {rel} holds"
    parent = fresh(holding[0])
    return parent, held(getattr(parent, rel.key))


def link(parent: Any, rel: Relationship, other: Any) -> None:
    """Put `other` in `rel` of `parent`: append it to a list, or set it."""
    value = getattr(parent, rel.key)
    if isinstance(value, list):
        value.append(other)
    else:
        setattr(parent, rel.key, other)


# Loading


@ALL
def test_every_relationship_loads_lazily_with_one_select(
    world: list[Base], rel: Relationship, sql: StatementLog
) -> None:
    """Loading an object loads none of its relationships; the first read of one sends one
    SELECT, and the next read none. The API chooses eager loading in each query that needs it
    (test_loading.py)."""
    parent, _ = loaded(world, rel)
    key = inspect(parent).identity
    db.session.expunge_all()

    with sql.recording() as loading:
        parent = db.session.get(rel.parent.class_, key)
    with sql.recording() as reading:
        first = held(getattr(parent, rel.key))
        again = held(getattr(parent, rel.key))

    assert len(loading) == 1
    assert " JOIN " not in loading[0]
    assert len(reading) == 1
    assert first == again != []


@ALL
def test_every_relationship_holds_what_its_annotation_says(
    world: list[Base], rel: Relationship
) -> None:
    """Mapped[list[X]] is a list of X; Mapped[X] is one X, not a list."""
    parent, [first, *_] = loaded(world, rel)
    value = getattr(parent, rel.key)

    assert isinstance(value, list) == declares_a_list(rel)
    assert isinstance(first, rel.mapper.class_)


def test_beside_a_scalar_annotation_uselist_true_is_overruled(
    throwaway_base: type[DeclarativeBase],
) -> None:
    """Whether a relationship holds one object or a list, SQLAlchemy reads from its annotation:
    beside Mapped[X] it sets uselist=False, even over a uselist=True, so the uselist=False
    written beside Mapped[Profile] only says it again. Beside Mapped[list[X]], an explicit
    uselist=False is obeyed: one object, under an annotation that promises a list."""

    class Owner(throwaway_base):
        __tablename__ = "options_owners"
        id: Mapped[int] = mapped_column(primary_key=True)
        card: Mapped[Card] = relationship(uselist=True)
        cards: Mapped[list[Card]] = relationship(uselist=False, viewonly=True)

    class Card(throwaway_base):
        __tablename__ = "options_cards"
        id: Mapped[int] = mapped_column(primary_key=True)
        owner_id: Mapped[int] = mapped_column(ForeignKey(Owner.id))

    configure_mappers()
    assert Owner.card.property.uselist is False
    assert Owner.cards.property.uselist is False
    assert Owner().card is None
    assert Owner().cards is None


@COLLECTIONS
def test_a_collection_is_loaded_in_no_promised_order(
    world: list[Base], rel: Relationship, sql: StatementLog
) -> None:
    """Nothing here says order_by: the SELECT that loads a collection has no ORDER BY. Where
    order matters, the API's queries say ORDER BY themselves."""
    parent, _ = loaded(world, rel)
    db.session.expire(parent, [rel.key])

    with sql.recording() as statements:
        getattr(parent, rel.key)

    assert len(statements) == 1
    assert "ORDER BY" not in statements[0]


# The cascades: what session operations on an object do to what its relationships hold


@ALL
def test_a_new_object_linked_to_a_saved_one_joins_the_session_at_once(
    world: list[Base], rel: Relationship
) -> None:
    """The save-update cascade, on every relationship: link a new object to one in the session
    and it is in the session too, to be inserted at the next flush. (Since SQLAlchemy 2.0 it
    is the relationship the link was made through that cascades, not its partner.)"""
    parent, _ = loaded(world, rel)
    new = rel.mapper.class_()

    link(parent, rel, new)

    assert new in db.session


@ALL
def test_merging_an_object_merges_what_its_relationships_hold(
    world: list[Base], rel: Relationship
) -> None:
    """The merge cascade, on every relationship: merging a detached object whose relationship
    is loaded merges what the relationship holds too."""
    parent, children = loaded(world, rel)
    db.session.expunge_all()  # both detached, as objects kept from another session are

    db.session.merge(parent)

    for child in children:
        assert inspect(child).key in db.session.identity_map


@ALL
def test_expiring_an_object_expires_what_it_owns_and_nothing_else(
    world: list[Base], rel: Relationship
) -> None:
    """The refresh-expire cascade, one-to-many only: expire (or refresh) an owner and what it
    holds is read again too; expire a post and its author is left as loaded."""
    parent, children = loaded(world, rel)

    db.session.expire(parent)

    for child in children:
        assert inspect(child).expired == owns(rel)


@ALL
def test_expunging_an_object_takes_what_it_owns_out_of_the_session_and_nothing_else(
    world: list[Base], rel: Relationship
) -> None:
    """The expunge cascade, one-to-many only: expunge an owner and what it holds leaves the
    session with it; expunge a post and its author stays."""
    parent, children = loaded(world, rel)

    db.session.expunge(parent)

    for child in children:
        assert (child in db.session) != owns(rel)


@ALL
def test_deleting_an_object_deletes_what_it_owns_and_nothing_else(
    world: list[Base], rel: Relationship
) -> None:
    """The delete cascade, one-to-many only: delete an owner whose relationship is loaded and
    what it holds is marked deleted with it, at once; delete a post and its author and tags
    are not. (What is not loaded, ON DELETE CASCADE deletes: test_schema.py.)"""
    parent, children = loaded(world, rel)

    db.session.delete(parent)

    for child in children:
        assert (child in db.session.deleted) == owns(rel)


@ONE_TO_MANY
def test_what_an_owner_lets_go_of_is_deleted_unless_it_can_stand_alone(
    world: list[Base], rel: Relationship
) -> None:
    """The delete-orphan cascade: a profile, post, comment or like taken from its owner is
    deleted at the next flush, since its foreign key may not be NULL. A reply taken from its
    parent's replies may stand alone: it stays, as a top-level comment."""
    parent, [child, *_] = loaded(world, rel)
    may_stand_alone = all(column.nullable for _, column in rel.local_remote_pairs)

    value = getattr(parent, rel.key)
    if isinstance(value, list):
        value.remove(child)
    else:
        setattr(parent, rel.key, None)
    db.session.flush()

    assert inspect(child).was_deleted != may_stand_alone


@MANY_TO_MANY
def test_deleting_an_object_deletes_the_links_of_a_loaded_many_to_many_itself(
    world: list[Base], rel: Relationship, sql: StatementLog
) -> None:
    """passive_deletes=True leaves to ON DELETE CASCADE only what is not loaded: the links of a
    loaded many-to-many collection, the ORM deletes itself, before the object."""
    parent, _ = loaded(world, rel)
    tables = [rel.secondary.name, rel.parent.local_table.name]  # type: ignore[union-attr]

    with sql.recording() as statements:
        db.session.delete(parent)
        db.session.flush()

    assert [s.split(" WHERE")[0].removeprefix("DELETE FROM ") for s in statements] == tables


# Where an option changes nothing


def test_a_class_joined_to_itself_is_not_loaded_eagerly_without_a_join_depth(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    """Eager loading stops where a relationship leads back to a class already being loaded,
    unless it says how deep to go (join_depth). So lazy="joined" or "selectin" on
    User.following, User.followers, Comment.parent or Comment.replies would change nothing:
    such a relationship is still loaded on first read, with one SELECT."""

    class Node(throwaway_base):
        __tablename__ = "options_nodes"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int | None] = mapped_column(ForeignKey(id))
        joined: Mapped[list[Node]] = relationship(lazy="joined")
        selectin: Mapped[list[Node]] = relationship(lazy="selectin", viewonly=True)

    throwaway_base.metadata.create_all(connection)
    root = Node(joined=[Node()])
    db.session.add(root)
    db.session.flush()
    db.session.expunge_all()

    with sql.recording() as loading:
        root = db.session.get(Node, root.id)
    with sql.recording() as reading_joined:
        assert len(root.joined) == 1
    with sql.recording() as reading_selectin:
        assert len(root.selectin) == 1

    assert len(loading) == len(reading_joined) == len(reading_selectin) == 1
    assert " JOIN " not in loading[0]


def test_on_a_many_to_many_passive_deletes_all_is_the_same_as_true(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    """passive_deletes="all" differs from True on a one-to-many, whose loaded children it does
    not set to NULL. On a many-to-many it changes nothing: the links of a loaded collection are
    deleted by the ORM, as with True."""
    links = Table(
        "options_links",
        throwaway_base.metadata,
        Column("left_id", ForeignKey("options_lefts.id", ondelete="CASCADE"), primary_key=True),
        Column("right_id", ForeignKey("options_rights.id", ondelete="CASCADE"), primary_key=True),
    )

    class Left(throwaway_base):
        __tablename__ = "options_lefts"
        id: Mapped[int] = mapped_column(primary_key=True)
        rights: Mapped[list[Right]] = relationship(
            secondary=links, back_populates="lefts", passive_deletes="all"
        )

    class Right(throwaway_base):
        __tablename__ = "options_rights"
        id: Mapped[int] = mapped_column(primary_key=True)
        lefts: Mapped[list[Left]] = relationship(
            secondary=links, back_populates="rights", passive_deletes=True
        )

    throwaway_base.metadata.create_all(connection)
    left = Left(rights=[Right()])
    db.session.add(left)
    db.session.flush()

    with sql.recording() as statements:
        db.session.delete(left)
        db.session.flush()

    tables = [s.split(" WHERE")[0].removeprefix("DELETE FROM ") for s in statements]
    assert tables == ["options_links", "options_lefts"]


@pytest.mark.parametrize("passive_deletes", [False, True])
def test_on_a_many_to_one_passive_deletes_changes_nothing(
    throwaway_base: type[DeclarativeBase],
    connection: Connection,
    sql: StatementLog,
    passive_deletes: bool,
) -> None:
    """passive_deletes says what to do with what an object holds when it is deleted. A
    many-to-one side holds its parent, which its deletion never touches (unless it cascades
    delete to it, which none here does): one DELETE, the parent loaded or not, either way."""
    parent_cls, child_cls = parent_and_child(
        throwaway_base,
        make_children=lambda: relationship(back_populates="parent"),
        make_parent=lambda: relationship(
            back_populates="children", passive_deletes=passive_deletes
        ),
    )
    throwaway_base.metadata.create_all(connection)
    parent = parent_cls(children=[child_cls(), child_cls()])
    db.session.add(parent)
    db.session.flush()
    loaded_parent, unloaded_parent = parent.children
    db.session.expire(unloaded_parent, ["parent"])

    with sql.recording() as statements:
        db.session.delete(loaded_parent)
        db.session.delete(unloaded_parent)
        db.session.flush()

    assert [s.split(" WHERE")[0] for s in statements] == ["DELETE FROM throwaway_children"]
