"""User.profile <-> Profile.user: a one-to-one pair.

The Mapped[Profile] annotation makes User.profile one object instead of a list (its uselist=False
says so again); profiles.user_id being the primary key makes the database agree that a user has
at most one. The profile is part of its user:
created with it, deleted with it, and replaced rather than shared.
"""

from __future__ import annotations

import pytest
from sqlalchemy import ForeignKey, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    RelationshipDirection,
    configure_mappers,
    mapped_column,
    relationship,
)

from blog.db import db
from blog.models import Profile, User
from tests import rows
from tests.factories import UserFactory
from tests.helpers import StatementLog, fresh


def profile_bio(user_id: int) -> list[str | None]:
    query = text("SELECT bio FROM profiles WHERE user_id = :id")
    return list(db.session.scalars(query, {"id": user_id}))


def test_user_profile_is_one_object_not_a_list() -> None:
    user = UserFactory(profile__bio="Hello")

    assert isinstance(user.profile, Profile)
    assert user.profile.bio == "Hello"


def test_setting_user_profile_sets_profile_user_at_once(sql: StatementLog) -> None:
    user = User(username="alice", email="alice@example.com", password_hash="x")
    profile = Profile(bio="Hello")

    with sql.recording() as statements:
        user.profile = profile
        assert profile.user is user
    assert statements == []

    # Adding the user is enough: the save-update cascade of User.profile brings the profile
    # into the session at once, at session.add, not at the flush.
    db.session.add(user)
    assert profile in db.session
    db.session.flush()
    assert profile_bio(user.id) == ["Hello"]


def test_setting_profile_user_sets_user_profile_at_once(sql: StatementLog) -> None:
    user = User(username="alice", email="alice@example.com", password_hash="x")
    profile = Profile(bio="Hello")

    with sql.recording() as statements:
        profile.user = user
        assert user.profile is profile
    assert statements == []


def test_replacing_a_profile_unlinks_the_old_one_and_rewrites_the_row(sql: StatementLog) -> None:
    user = UserFactory(profile__bio="Old")
    old = user.profile
    new = Profile(bio="New")

    with sql.recording() as statements:
        user.profile = new
        assert old.user is None
        assert new.user is user
        db.session.flush()

    # delete-orphan deletes the old profile and the new one is inserted with the same primary
    # key (user_id); the unit of work turns that DELETE and INSERT into one UPDATE.
    assert [s.split(" SET")[0] for s in statements] == ["UPDATE profiles"]
    assert profile_bio(user.id) == ["New"]


def test_the_database_allows_one_profile_per_user() -> None:
    user = UserFactory()

    with pytest.raises(IntegrityError, match="pk_profiles"), db.session.begin_nested():
        db.session.execute(text("INSERT INTO profiles (user_id) VALUES (:id)"), {"id": user.id})


def test_deleting_a_user_deletes_the_profile_in_one_statement(sql: StatementLog) -> None:
    user = fresh(UserFactory())
    user_id = user.id

    with sql.recording() as statements:
        db.session.delete(user)
        db.session.flush()

    assert statements == ["DELETE FROM users WHERE users.id = %(id)s::INTEGER"]
    assert profile_bio(user_id) == []


def test_deleting_a_user_with_raw_sql_deletes_the_profile() -> None:
    user = UserFactory(profile__bio="Hello")

    db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": user.id})

    assert profile_bio(user.id) == []
    assert rows.count("profiles") == 0


def test_a_scalar_annotation_alone_makes_the_one_to_many_side_one_object(
    throwaway_base: type[DeclarativeBase],
) -> None:
    class Owner(throwaway_base):
        __tablename__ = "profile_owners"
        id: Mapped[int] = mapped_column(primary_key=True)
        card: Mapped[Card] = relationship(back_populates="owner")  # no uselist=False

    class Card(throwaway_base):
        __tablename__ = "profile_cards"
        owner_id: Mapped[int] = mapped_column(ForeignKey(Owner.id), primary_key=True)
        owner: Mapped[Owner] = relationship(back_populates="card")

    configure_mappers()
    assert Owner.card.property.direction is RelationshipDirection.ONETOMANY
    assert Owner.card.property.uselist is False
    assert User.profile.property.uselist is False
