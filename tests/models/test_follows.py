"""User.following <-> User.followers: a self-referential many-to-many through `follows`.

Both ends are the User class, so each relationship says with primaryjoin and secondaryjoin which
column of `follows` points at it. Appending to one side appends to the other; the follows row is
written at flush; deleting a user removes their follows in both directions, never another user.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import with_parent

from blog.db import db
from blog.models import User
from tests import rows
from tests.factories import UserFactory
from tests.helpers import StatementLog, fresh


def follow_rows() -> set[tuple[int, int]]:
    result = db.session.execute(text("SELECT follower_id, followed_id FROM follows"))
    return {(row.follower_id, row.followed_id) for row in result}


def test_following_someone_adds_you_to_their_followers(sql: StatementLog) -> None:
    alice, bob = UserFactory(), UserFactory()
    assert alice.following == alice.followers == []
    assert bob.followers == []

    with sql.recording() as statements:
        alice.following.append(bob)
        assert bob.followers == [alice]
        assert alice.followers == []  # following is not mutual
    assert statements == []

    db.session.flush()
    assert follow_rows() == {(alice.id, bob.id)}


def test_gaining_a_follower_adds_them_to_their_following(sql: StatementLog) -> None:
    alice, bob = UserFactory(), UserFactory()
    assert alice.following == []
    assert bob.followers == []

    with sql.recording() as statements:
        bob.followers.append(alice)
        assert alice.following == [bob]
    assert statements == []

    db.session.flush()
    assert follow_rows() == {(alice.id, bob.id)}


def test_unfollowing_deletes_only_the_follows_row(sql: StatementLog) -> None:
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    alice.following.extend([bob, carol])
    db.session.flush()
    assert bob.followers == [alice]

    with sql.recording() as statements:
        alice.following.remove(bob)
        assert bob.followers == []
        db.session.flush()

    assert len(statements) == 1
    assert statements[0].startswith("DELETE FROM follows")
    assert follow_rows() == {(alice.id, carol.id)}
    assert rows.exists("users", bob.id)


def test_each_side_reads_its_own_column_of_follows() -> None:
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    follow = text("INSERT INTO follows (follower_id, followed_id) VALUES (:follower, :followed)")
    db.session.execute(follow, {"follower": alice.id, "followed": bob.id})
    db.session.execute(follow, {"follower": carol.id, "followed": alice.id})
    alice = fresh(alice)

    # Loaded from the rows, not synced in memory: each side's primaryjoin picks its column.
    assert [user.id for user in alice.following] == [bob.id]
    assert [user.id for user in alice.followers] == [carol.id]


def test_a_new_user_followed_is_saved_with_the_follow() -> None:
    alice = UserFactory()
    newcomer = User(username="newcomer", email="newcomer@example.com", password_hash="x")

    alice.following.append(newcomer)

    # The default save-update cascade of User.following takes the new user into the session.
    assert newcomer in db.session
    db.session.flush()
    assert follow_rows() == {(alice.id, newcomer.id)}


def test_two_users_may_follow_each_other() -> None:
    alice, bob = UserFactory(), UserFactory()

    alice.following.append(bob)
    bob.following.append(alice)
    db.session.flush()

    assert alice.followers == [bob]
    assert follow_rows() == {(alice.id, bob.id), (bob.id, alice.id)}


def test_the_database_refuses_following_yourself() -> None:
    alice = UserFactory()

    alice.following.append(alice)

    with pytest.raises(IntegrityError, match="ck_follows_not_self"), db.session.begin_nested():
        db.session.flush()


def test_with_parent_queries_a_collection_without_loading_it() -> None:
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    bob.followers.extend([alice, carol])
    db.session.flush()
    bob = fresh(bob)

    count = db.session.scalar(
        select(func.count()).select_from(User).where(with_parent(bob, User.followers))
    )

    assert count == 2
    assert "followers" not in db.inspect(bob).dict  # still not loaded


def test_deleting_a_user_removes_their_follows_in_both_directions(sql: StatementLog) -> None:
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    alice.following.extend([bob, carol])
    carol.following.append(alice)
    bob.following.append(carol)
    db.session.flush()
    alice = fresh(alice)

    with sql.recording() as statements:
        db.session.delete(alice)
        db.session.flush()

    # passive_deletes on both sides: ON DELETE CASCADE removes the rows.
    assert statements == ["DELETE FROM users WHERE users.id = %(id)s::INTEGER"]
    assert follow_rows() == {(bob.id, carol.id)}


def test_deleting_a_user_whose_follows_are_loaded_keeps_the_users_at_the_other_end() -> None:
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    alice.following.append(bob)
    carol.following.append(alice)
    db.session.flush()
    alice = fresh(alice)
    loaded = ([user.id for user in alice.following], [user.id for user in alice.followers])
    assert loaded == ([bob.id], [carol.id])  # both collections loaded now

    db.session.delete(alice)
    db.session.flush()

    # The default cascade has no "delete": with the collections loaded, the ORM deletes only
    # the follows rows it holds; the users followed and following stay.
    assert follow_rows() == set()
    assert rows.exists("users", bob.id)
    assert rows.exists("users", carol.id)


def test_deleting_a_user_with_raw_sql_removes_their_follows_too() -> None:
    alice, bob = UserFactory(), UserFactory()
    alice.following.append(bob)
    bob.following.append(alice)
    db.session.flush()

    db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": alice.id})

    assert follow_rows() == set()
    assert rows.exists("users", bob.id)
