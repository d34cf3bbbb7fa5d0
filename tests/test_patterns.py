"""What a learner needs next to back_populates, each shown on PostgreSQL.

Collections too large to load (WriteOnlyMapped), viewonly relationships, loads made loud with
lazy="raise" and raiseload(), objects the database changed behind the session's back, the "not
in session" warning, delete-orphan on a many-to-many, and ordered collections. Where the app's
models have no example of a pattern, the test maps its own throwaway classes on the
`throwaway_base` fixture and creates their tables on the test's connection, which is rolled
back afterwards. docs/relationships.md explains each one and links here.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, Connection, ForeignKey, Table, func, select, text
from sqlalchemy.exc import ArgumentError, InvalidRequestError, SAWarning
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    WriteOnlyMapped,
    configure_mappers,
    mapped_column,
    raiseload,
    relationship,
    selectinload,
)
from sqlalchemy.orm.exc import ObjectDeletedError

from blog.db import db
from blog.models import Post, Tag, User
from tests.factories import PostFactory, TagFactory, UserFactory
from tests.helpers import StatementLog, fresh

Models = tuple[type[Any], type[Any]]


def parent_and_children(base: type[DeclarativeBase], **options: Any) -> Models:
    """Map Parent.children <-> Child.parent; `options` go to Parent.children.

    `write_only=True` declares Parent.children as WriteOnlyMapped.
    """
    write_only = options.pop("write_only", False)

    class Parent(base):
        __tablename__ = "patterns_parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        if write_only:
            children: WriteOnlyMapped[Child] = relationship(back_populates="parent", **options)
        else:
            children: Mapped[list[Child]] = relationship(back_populates="parent", **options)

    class Child(base):
        __tablename__ = "patterns_children"
        id: Mapped[int] = mapped_column(primary_key=True)
        position: Mapped[int] = mapped_column(default=0)
        parent_id: Mapped[int | None] = mapped_column(ForeignKey(Parent.id, ondelete="CASCADE"))
        parent: Mapped[Parent | None] = relationship(back_populates="children")

    configure_mappers()
    return Parent, Child


def child_count(connection: Connection) -> int:
    return int(connection.scalar(text("SELECT count(*) FROM patterns_children")) or 0)


# Collections that grow without bound: WriteOnlyMapped


def a_parent_with_children(
    base: type[DeclarativeBase], connection: Connection, count: int, **options: Any
) -> tuple[Models, Any]:
    """Map the pair, store a parent with `count` children, and load the parent afresh."""
    parent_cls, child_cls = parent_and_children(base, **options)
    base.metadata.create_all(connection)
    parent = parent_cls()
    db.session.add(parent)
    db.session.flush()
    db.session.add_all([child_cls(parent_id=parent.id) for _ in range(count)])
    db.session.flush()
    parent_id = parent.id
    db.session.expunge_all()
    return (parent_cls, child_cls), db.session.get(parent_cls, parent_id)


def test_adding_to_a_write_only_collection_loads_nothing(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    (_, child_cls), parent = a_parent_with_children(
        throwaway_base,
        connection,
        100,
        write_only=True,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    with sql.recording() as statements:
        parent.children.add(child_cls())
        parent.children.add_all([child_cls(), child_cls()])
    assert statements == []

    with sql.recording() as statements:
        db.session.flush()
    # One INSERT for the three children added; none of the 100 already there is read.
    assert [statement.split(" (")[0] for statement in statements] == [
        "INSERT INTO patterns_children"
    ]
    assert child_count(connection) == 103


def test_a_write_only_collection_is_read_through_select(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    (_, child_cls), parent = a_parent_with_children(
        throwaway_base, connection, 3, write_only=True, passive_deletes=True
    )

    with pytest.raises(TypeError, match="don't support iteration in-place"):
        list(parent.children)
    with pytest.raises(TypeError, match="has no len"):
        len(parent.children)

    with sql.recording() as statements:
        first_two = db.session.scalars(
            parent.children.select().order_by(child_cls.id).limit(2)
        ).all()
        total = db.session.scalar(
            select(func.count()).select_from(parent.children.select().subquery())
        )
    assert len(first_two) == 2
    assert total == 3
    assert len(statements) == 2  # each read is one query you write, and page, yourself


def test_deleting_the_parent_of_a_write_only_collection_needs_passive_deletes(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    _, parent = a_parent_with_children(
        throwaway_base, connection, 3, write_only=True, cascade="all, delete-orphan"
    )

    # The ORM would have to load the children to delete them, which a write-only
    # collection never does. With a "delete" cascade, the cascade refuses at once.
    with pytest.raises(InvalidRequestError, match="configure passive_deletes=True"):
        db.session.delete(parent)


def test_without_a_delete_cascade_the_write_only_parent_is_refused_at_the_flush(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    _, parent = a_parent_with_children(throwaway_base, connection, 3, write_only=True)

    db.session.delete(parent)  # accepted: nothing cascades to the children here ...
    # ... but the flush would have to load them to set their parent_id to NULL.
    with pytest.raises(InvalidRequestError, match="configure passive_deletes=True"):
        db.session.flush()


def test_with_passive_deletes_the_database_deletes_a_write_only_collection(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    _, parent = a_parent_with_children(
        throwaway_base,
        connection,
        3,
        write_only=True,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    with sql.recording() as statements:
        db.session.delete(parent)
        db.session.flush()
    assert [statement.split(" WHERE")[0] for statement in statements] == [
        "DELETE FROM patterns_parents"
    ]
    assert child_count(connection) == 0


# viewonly=True next to back_populates


def test_viewonly_with_back_populates_keeps_neither_side_in_step(
    throwaway_base: type[DeclarativeBase],
) -> None:
    # Configures without an error or a warning (the suite would turn one into an error).
    parent_cls, child_cls = parent_and_children(throwaway_base, viewonly=True)

    parent, child = parent_cls(), child_cls()
    child.parent = parent
    assert parent.children == []  # not synced into the viewonly side ...

    other = child_cls()
    parent.children.append(other)
    assert other.parent is None  # ... nor out of it


def test_a_change_to_a_viewonly_collection_is_never_written(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    parent_cls, child_cls = parent_and_children(throwaway_base, viewonly=True)
    throwaway_base.metadata.create_all(connection)
    parent, child = parent_cls(), child_cls()
    parent.children.append(child)  # accepted in memory, without a word
    db.session.add_all([parent, child])
    db.session.flush()

    assert connection.scalar(text("SELECT parent_id FROM patterns_children")) is None
    db.session.expire(parent, ["children"])
    assert parent.children == []


def test_asking_a_viewonly_relationship_to_sync_is_an_error() -> None:
    with pytest.raises(ArgumentError, match="sync_backref and viewonly cannot both be True"):
        relationship("Child", back_populates="parent", viewonly=True, sync_backref=True)


# Making an N+1 loud: lazy="raise" and raiseload()


def test_lazy_raise_turns_a_lazy_load_into_an_error(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    (parent_cls, child_cls), parent = a_parent_with_children(
        throwaway_base, connection, 2, lazy="raise"
    )

    with sql.recording() as statements:
        with pytest.raises(InvalidRequestError, match=r"'Parent\.children' is not available"):
            len(parent.children)
        # Appending to an unloaded collection would load it: refused too.
        with pytest.raises(InvalidRequestError, match="due to lazy='raise'"):
            parent.children.append(child_cls())
        # The partner's side queues the change without loading, so it is allowed.
        child_cls(parent=parent)
    assert statements == []

    db.session.expunge_all()
    loaded = db.session.scalars(select(parent_cls).options(selectinload(parent_cls.children)))
    assert len(loaded.one().children) == 2  # an eager load is the way in


def test_raiseload_turns_a_would_be_n_plus_one_into_an_error() -> None:
    PostFactory(tags=[TagFactory()])
    db.session.expunge_all()

    post = db.session.scalars(select(Post).options(selectinload(Post.tags), raiseload("*"))).one()
    assert len(post.tags) == 1  # loaded eagerly, so readable
    with pytest.raises(InvalidRequestError, match=r"'Post\.author' is not available"):
        _ = post.author  # would have been one query per post


def test_raiseload_raises_even_when_the_object_is_already_in_the_session(
    sql: StatementLog,
) -> None:
    PostFactory()
    db.session.expunge_all()
    author = db.session.scalars(select(User)).one()

    post = db.session.scalars(select(Post).options(raiseload(Post.author))).one()
    with pytest.raises(InvalidRequestError, match=r"'Post\.author' is not available"):
        _ = post.author

    # sql_only=True refuses only a query: the author, already loaded, is given without one.
    db.session.expire(post)
    post = db.session.scalars(select(Post).options(raiseload(Post.author, sql_only=True))).one()
    with sql.recording() as statements:
        assert post.author is author
    assert statements == []

    # ... and it still refuses the query an author not in the session would need.
    db.session.expunge_all()
    post = db.session.scalars(select(Post).options(raiseload(Post.author, sql_only=True))).one()
    with pytest.raises(InvalidRequestError, match=r"'Post\.author' is not available"):
        _ = post.author


# expire_on_commit=False: what the database did by itself is not seen


def test_a_post_the_database_deleted_stays_readable_until_refreshed(
    sql: StatementLog,
) -> None:
    post = PostFactory(title="Still here?")
    post_id = post.id
    user = fresh(post.author)  # nothing of the user loaded but its row ...
    post = db.session.get(Post, post_id)  # ... and the post loaded on its own
    assert post is not None

    db.session.delete(user)
    db.session.commit()  # ON DELETE CASCADE deleted the post, in the database only

    with sql.recording() as statements:
        assert post.title == "Still here?"  # expire_on_commit=False: nothing was expired
        assert db.session.get(Post, post_id) is post  # the identity map answers, not SQL
    assert statements == []
    assert not db.session.scalar(select(Post).where(Post.id == post_id))  # a query finds no row

    db.session.expire(post)  # expired, the next read goes to the row, and finds none
    with pytest.raises(ObjectDeletedError, match="has been deleted"):
        _ = post.title
    with pytest.raises(InvalidRequestError, match="Could not refresh instance"):
        db.session.refresh(post)


def test_with_expire_on_commit_the_deleted_post_fails_at_the_next_read(
    connection: Connection,
) -> None:
    post = PostFactory()
    post_id, author_id = post.id, post.author_id
    with Session(connection, join_transaction_mode="create_savepoint") as session:
        # SQLAlchemy's default, expire_on_commit=True, unlike the app's db.session.
        post = session.get(Post, post_id)
        session.delete(session.get(User, author_id))
        session.commit()

        with pytest.raises(ObjectDeletedError, match="has been deleted"):
            _ = post.title


def test_a_count_kept_by_a_trigger_is_stale_in_a_loaded_tag_until_refreshed() -> None:
    tag = TagFactory()
    assert tag.post_count == 0

    PostFactory(tags=[tag])
    db.session.commit()
    # The trigger counted the post; the loaded tag still holds what it read.
    assert db.session.scalar(text("SELECT post_count FROM tags WHERE id = :id"), {"id": tag.id})
    assert tag.post_count == 0
    # A query that returns the row again hands back the same object, its value as it was.
    query = select(Tag).where(Tag.id == tag.id)
    assert db.session.scalars(query).one() is tag
    assert tag.post_count == 0

    db.session.refresh(tag)
    assert tag.post_count == 1


@pytest.mark.parametrize("how", ["expire", "populate_existing"])
def test_expiring_or_populate_existing_reads_the_count_again(how: str) -> None:
    tag = TagFactory()
    assert tag.post_count == 0
    PostFactory(tags=[tag])
    db.session.commit()

    query = select(Tag).where(Tag.id == tag.id)
    if how == "expire":
        db.session.expire(tag)  # the next read loads the row
    else:
        query = query.execution_options(populate_existing=True)  # overwrites what is loaded
    assert db.session.scalars(query).one() is tag
    assert tag.post_count == 1


# "Object of type ... not in session": linking to a parent does not add the child


def test_reading_the_collection_warns_too_and_loses_the_post(sql: StatementLog) -> None:
    user = UserFactory()
    db.session.expire(user, ["posts"])  # not loaded, as in a new request
    post = Post(title="A title", body="A body", author=user)

    # The lazy load autoflushes first, and the autoflush warns.
    with pytest.warns(SAWarning, match=r"<Post> not in session, add operation along 'User\.posts'"):
        posts = list(user.posts)
    assert post not in posts  # and the link it had queued is gone
    assert post not in db.session


def test_adding_the_post_takes_its_new_author_along() -> None:
    author = User(username="newcomer", email="newcomer@example.com", password_hash="x")
    post = Post(title="A title", body="A body", author=author)

    db.session.add(post)  # Post.author's save-update cascade adds the author
    assert author in db.session
    db.session.flush()
    assert post.author_id == author.id


def test_a_new_post_taken_out_of_its_authors_posts_leaves_the_session() -> None:
    user = UserFactory()
    post = Post(title="A title", body="A body")
    user.posts.append(post)  # cascaded into the session ...
    assert post in db.session

    user.posts.remove(post)  # ... and out again: a pending orphan is expunged (delete-orphan)
    assert post not in db.session
    post.author = user  # linking it back through the partner does not re-add it
    with pytest.warns(SAWarning, match=r"<Post> not in session"):
        db.session.flush()
    assert post.id is None


def test_without_delete_orphan_a_new_child_taken_out_stays_in_the_session(
    throwaway_base: type[DeclarativeBase],
) -> None:
    # The default cascade, save-update and merge: what the test above shows is delete-orphan's.
    parent_cls, child_cls = parent_and_children(throwaway_base)
    parent, child = parent_cls(), child_cls()
    db.session.add(parent)
    parent.children.append(child)
    assert child in db.session

    parent.children.remove(child)
    assert child in db.session


# delete-orphan on a many-to-many, and single_parent


def labelled_items(base: type[DeclarativeBase], **options: Any) -> Models:
    """Map Item.labels <-> Label.items over a link table; `options` go to Item.labels."""
    links = Table(
        "patterns_item_labels",
        base.metadata,
        Column("item_id", ForeignKey("patterns_items.id", ondelete="CASCADE"), primary_key=True),
        Column("label_id", ForeignKey("patterns_labels.id", ondelete="CASCADE"), primary_key=True),
    )

    class Item(base):
        __tablename__ = "patterns_items"
        id: Mapped[int] = mapped_column(primary_key=True)
        labels: Mapped[list[Label]] = relationship(
            secondary=links, back_populates="items", **options
        )

    class Label(base):
        __tablename__ = "patterns_labels"
        id: Mapped[int] = mapped_column(primary_key=True)
        items: Mapped[list[Item]] = relationship(secondary=links, back_populates="labels")

    return Item, Label


def test_delete_orphan_on_a_many_to_many_is_refused_without_single_parent(
    throwaway_base: type[DeclarativeBase],
) -> None:
    # The classes are defined ... (and held here: the registry keeps its classes only weakly,
    # so unreferenced ones could be garbage-collected before the mappers are configured)
    models = labelled_items(throwaway_base, cascade="all, delete-orphan")

    with pytest.raises(ArgumentError, match="set the single_parent=True flag"):
        configure_mappers()  # ... and refused when the mappers are configured
    assert models


def test_single_parent_refuses_a_second_parent_and_deletes_an_orphan(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    item_cls, label_cls = labelled_items(
        throwaway_base, cascade="all, delete-orphan", single_parent=True
    )
    throwaway_base.metadata.create_all(connection)
    label = label_cls()
    first = item_cls(labels=[label])

    with pytest.raises(InvalidRequestError, match="is only allowed a single parent"):
        item_cls(labels=[label])

    db.session.add(first)
    db.session.flush()
    first.labels.remove(label)
    db.session.flush()
    assert connection.scalar(text("SELECT count(*) FROM patterns_labels")) == 0


def test_single_parent_is_not_checked_for_a_change_made_through_the_partner(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    item_cls, label_cls = labelled_items(
        throwaway_base, cascade="all, delete-orphan", single_parent=True
    )
    throwaway_base.metadata.create_all(connection)
    label = label_cls()
    first, second = item_cls(labels=[label]), item_cls()
    db.session.add_all([first, second])

    label.items.append(second)  # back_populates appends to second.labels: no check there
    db.session.flush()
    assert second.labels == [label]
    assert connection.scalar(text("SELECT count(*) FROM patterns_item_labels")) == 2


# delete-orphan on an adjacency list


def threaded_notes(base: type[DeclarativeBase]) -> type[Any]:
    """Map Note.replies <-> Note.parent, a table joined to itself, with delete-orphan."""

    class Note(base):
        __tablename__ = "patterns_notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int | None] = mapped_column(
            ForeignKey("patterns_notes.id", ondelete="CASCADE")
        )
        parent: Mapped[Note | None] = relationship(back_populates="replies", remote_side=[id])
        replies: Mapped[list[Note]] = relationship(
            back_populates="parent", cascade="all, delete-orphan", passive_deletes=True
        )

    configure_mappers()
    return Note


def test_delete_orphan_on_replies_saves_a_top_level_note_and_deletes_a_removed_reply(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    note_cls = threaded_notes(throwaway_base)
    throwaway_base.metadata.create_all(connection)
    top = note_cls()  # never had a parent: delete-orphan does not refuse it
    reply = note_cls(parent=top)
    db.session.add(top)
    db.session.flush()
    assert connection.scalar(text("SELECT count(*) FROM patterns_notes")) == 2

    top.replies.remove(reply)  # de-associated from its parent: an orphan now
    db.session.flush()
    assert connection.scalar(text("SELECT count(*) FROM patterns_notes")) == 1
    assert connection.scalar(text("SELECT parent_id FROM patterns_notes")) is None


# order_by on a relationship


def test_order_by_sorts_a_collection_as_it_is_loaded(
    throwaway_base: type[DeclarativeBase], connection: Connection, sql: StatementLog
) -> None:
    parent_cls, child_cls = parent_and_children(throwaway_base, order_by="Child.position")
    throwaway_base.metadata.create_all(connection)
    parent = parent_cls(children=[child_cls(position=p) for p in (3, 1, 2)])
    db.session.add(parent)
    db.session.flush()
    assert [child.position for child in parent.children] == [3, 1, 2]  # as appended

    db.session.expire(parent, ["children"])
    with sql.recording() as statements:
        assert [child.position for child in parent.children] == [1, 2, 3]
    assert statements[0].endswith("ORDER BY patterns_children.position")


def test_an_item_appended_to_an_ordered_collection_stays_last_until_reloaded(
    throwaway_base: type[DeclarativeBase], connection: Connection
) -> None:
    parent_cls, child_cls = parent_and_children(throwaway_base, order_by="Child.position")
    throwaway_base.metadata.create_all(connection)
    parent = parent_cls(children=[child_cls(position=1), child_cls(position=2)])
    db.session.add(parent)
    db.session.flush()

    parent.children.append(child_cls(position=0))
    db.session.flush()
    assert [child.position for child in parent.children] == [1, 2, 0]  # not re-sorted

    db.session.refresh(parent, ["children"])
    assert [child.position for child in parent.children] == [0, 1, 2]
