"""The suite's own databases are dropped after use, even while connections to them are open."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.databases import alembic_config, drop, exists, migrate
from tests.fixtures import sibling_database


def test_a_sibling_database_is_there_while_used_and_gone_afterwards(database_url: str) -> None:
    with sibling_database(database_url, "scratch") as url:
        assert exists(url)
        assert make_url(url).database == f"{make_url(database_url).database}_scratch"
        engine = create_engine(url)
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()

    assert not exists(url)
    assert exists(database_url)


def backends(url: str) -> int:
    """Return how many sessions are connected to the database `url` names."""
    admin = create_engine(make_url(url).set(database="postgres"))
    try:
        with admin.connect() as connection:
            query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name")
            return int(connection.scalar(query, {"name": make_url(url).database}) or 0)
    finally:
        admin.dispose()


def test_dropping_does_not_wait_for_connections_left_open(database_url: str) -> None:
    with sibling_database(database_url, "scratch") as url:
        engine = create_engine(url)
        # A pooled connection, checked in but not closed, as an engine not yet disposed keeps it.
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert engine.pool.checkedin() == 1
        assert backends(url) == 1
        left_open = engine.connect()  # the same connection, out of the pool again
        try:
            drop(url)

            assert not exists(url)
            # FORCE ended the sessions: the connection left open is dead.
            with pytest.raises(OperationalError, match="terminating connection"):
                left_open.execute(text("SELECT 1"))
        finally:
            left_open.invalidate()
            engine.dispose()


def test_without_force_a_database_in_use_cannot_be_dropped(database_url: str) -> None:
    with sibling_database(database_url, "scratch") as url:
        engine = create_engine(url)
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as in_use, admin.connect() as connection:
                in_use.execute(text("SELECT 1"))
                name = make_url(url).database
                with pytest.raises(OperationalError, match="is being accessed by other users"):
                    connection.execute(text(f'DROP DATABASE "{name}"'))

                assert exists(url)
        finally:
            admin.dispose()
            engine.dispose()


def test_migrate_upgrades_the_database_it_is_given_to_the_revision_asked(
    database_url: str,
) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    first = next(iter(reversed(list(script.walk_revisions())))).revision

    with sibling_database(database_url, "scratch") as url:
        engine = create_engine(url)
        try:
            migrate(url, first)
            with engine.connect() as connection:
                assert connection.scalar(text("SELECT version_num FROM alembic_version")) == first
            migrate(url)
            with engine.connect() as connection:
                version = connection.scalar(text("SELECT version_num FROM alembic_version"))
                assert version == script.get_current_head() != first
        finally:
            engine.dispose()
