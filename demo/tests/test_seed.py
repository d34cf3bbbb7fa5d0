"""The demo data: the same every time, complete, and safe to run twice.

The same but for what is made afresh at each run: the salt of the password hash, and the times
at which the users were created and the likes given.
"""

from __future__ import annotations

from typing import Any

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy import Column, DateTime, func, inspect, select
from sqlalchemy.orm import Mapper, RelationshipProperty

from blog.auth import hash_password, verify_password
from blog.db import Base, db, utcnow
from blog.models import User
from blog.schemas import EXAMPLE_PASSWORD, EXAMPLE_USER
from demo.seed import (
    DEMO_PASSWORD,
    DEMO_POSTS,
    DEMO_USERS,
    DISABLED_PASSWORD_HASH,
    LOADED,
    demo_accounts_with_the_published_password,
    disable_demo_accounts,
    seed_command,
    seed_demo,
)
from tests import rows
from tests.factories import UserFactory

RELATIONSHIPS: list[tuple[Mapper[object], RelationshipProperty[object]]] = [
    (mapper, relationship)
    for mapper in Base.registry.mappers
    for relationship in inspect(mapper.class_).relationships
]
COLUMNS = [column for table in Base.metadata.sorted_tables for column in table.columns]
Columns = list[Column[Any]]


def seed_and_find_afresh() -> Columns:
    """Seed the demo data; return the columns it fills afresh: the salted password hash, and
    each column whose every value the clock stamped during the run."""
    started = utcnow()
    seed_demo()
    db.session.flush()
    ended = utcnow()
    stamped = [
        column
        for column in COLUMNS
        if isinstance(column.type, DateTime)
        and all(
            bound is not None and started <= bound <= ended
            for bound in db.session.execute(select(func.min(column), func.max(column))).one()
        )
    ]
    return [User.__table__.c.password_hash, *stamped]


def label(thing: object, afresh: Columns) -> tuple[object, ...]:
    """Return what a mapped object holds, less its keys (ids differ between runs) and what each
    run makes afresh."""
    mapper = inspect(type(thing))
    kept = [
        column
        for column in mapper.columns
        if not column.primary_key and not column.foreign_keys and column not in afresh
    ]
    return tuple(getattr(thing, mapper.get_property_by_column(column).key) for column in kept)


def demo_content(afresh: Columns) -> dict[str, list[tuple[object, ...]]]:
    """Return what the database holds, by the mapped classes and each of their relationships,
    with no ids and none of what each run makes afresh."""
    db.session.flush()
    db.session.expire_all()  # read from the database, not from what the session remembers
    content: dict[str, list[tuple[object, ...]]] = {}
    for mapper in Base.registry.mappers:
        content[mapper.class_.__name__] = sorted(
            (label(thing, afresh) for thing in db.session.scalars(select(mapper))), key=repr
        )
    for mapper, relationship in RELATIONSHIPS:
        pairs = []
        for thing in db.session.scalars(select(mapper)):
            value = getattr(thing, relationship.key)
            related = value if relationship.uselist else [value] if value is not None else []
            pairs += [(label(thing, afresh), label(other, afresh)) for other in related]
        content[f"{mapper.class_.__name__}.{relationship.key}"] = sorted(pairs, key=repr)
    return content


def least(columns: Columns) -> tuple[object, ...]:
    """Return the least value of each of `columns`."""
    return tuple(
        db.session.execute(select(*(select(func.min(c)).scalar_subquery() for c in columns))).one()
    )


def test_the_demo_data_is_the_same_every_time() -> None:
    first_run = db.session.begin_nested()
    afresh = seed_and_find_afresh()
    first, first_afresh = demo_content(afresh), least(afresh)
    first_run.rollback()
    assert rows.count("users") == 0

    seed_demo()

    assert all(first[f"{m.class_.__name__}.{r.key}"] for m, r in RELATIONSHIPS)
    assert demo_content(afresh) == first
    again = least(afresh)
    assert all(before != after for before, after in zip(first_afresh, again, strict=True))


def test_the_demo_data_gives_every_relationship_something_to_show() -> None:
    added = seed_demo()

    assert added == (len(DEMO_USERS), len(DEMO_POSTS))
    assert RELATIONSHIPS
    for mapper, relationship in RELATIONSHIPS:
        values = [getattr(thing, relationship.key) for thing in db.session.scalars(select(mapper))]
        assert any(values), f"no {mapper.class_.__name__} of the demo data has {relationship.key}"
    users = db.session.scalars(select(User)).all()
    assert all(user.profile.bio and user.profile.website for user in users)
    assert all(user.liked_posts == [like.post for like in user.likes] for user in users)


def test_seeding_the_demo_data_twice_adds_nothing() -> None:
    seed_demo()
    before = rows.everything()

    added = seed_demo()

    assert added == (0, 0)
    assert rows.everything() == before


def test_the_demo_data_is_all_or_nothing() -> None:
    seed_demo()
    alice = db.session.scalars(select(User).where(User.username == "alice")).one()
    db.session.delete(alice)
    db.session.flush()
    before = rows.everything()

    added = seed_demo()

    # Other demo users remain, so nothing is added: reset the database to start over.
    assert added == (0, 0)
    assert rows.everything() == before


def test_the_seed_command_loads_the_demo_data_once(app: APIFlask) -> None:
    runner = app.test_cli_runner()

    first = runner.invoke(seed_command)
    again = runner.invoke(seed_command)

    assert (first.exit_code, again.exit_code) == (0, 0), first.output + again.output
    assert first.output == LOADED.format(len(DEMO_USERS), len(DEMO_POSTS)) + "\n"
    assert again.output == LOADED.format(0, 0) + "\n"
    assert rows.count("posts") == len(DEMO_POSTS)


def test_demo_users_can_sign_in_with_the_published_password(client: FlaskClient) -> None:
    seed_demo()

    response = client.post("/api/tokens", json={"username": "alice", "password": DEMO_PASSWORD})

    assert response.status_code == 200


def test_the_examples_of_the_api_sign_in_on_the_demo_data(client: FlaskClient) -> None:
    # The request bodies the OpenAPI document shows (blog/schemas.py) speak as a demo user.
    seed_demo()

    response = client.post(
        "/api/tokens", json={"username": EXAMPLE_USER, "password": EXAMPLE_PASSWORD}
    )

    assert response.status_code == 200


def test_disabling_the_demo_accounts_leaves_none_that_accepts_the_published_password(
    client: FlaskClient,
) -> None:
    seed_demo()
    # Another account with the published password is not a demo account: not for this to touch.
    other = UserFactory(username="newcomer", password_hash=hash_password(DEMO_PASSWORD))

    before = demo_accounts_with_the_published_password()
    disabled = disable_demo_accounts()

    assert before == disabled == sorted(user.username for user in DEMO_USERS)
    assert other.password_hash != DISABLED_PASSWORD_HASH
    assert demo_accounts_with_the_published_password() == []
    assert disable_demo_accounts() == []
    for username in before:
        response = client.post(
            "/api/tokens", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 401


def test_disabling_the_demo_accounts_spares_a_demo_user_who_changed_password() -> None:
    seed_demo()
    alice = db.session.scalars(select(User).where(User.username == "alice")).one()
    alice.password_hash = hash_password("a password of alice's own")
    other = UserFactory(username="writerjane")
    db.session.flush()

    disabled = disable_demo_accounts()

    assert disabled == ["bob", "carol", "dave"]
    assert other.username not in disabled
    assert verify_password(alice.password_hash, "a password of alice's own")


@pytest.mark.parametrize("password", [DEMO_PASSWORD, DISABLED_PASSWORD_HASH])
def test_a_disabled_demo_account_cannot_be_signed_into(client: FlaskClient, password: str) -> None:
    seed_demo()
    disable_demo_accounts()

    response = client.post("/api/tokens", json={"username": "alice", "password": password})

    assert response.status_code == 401
