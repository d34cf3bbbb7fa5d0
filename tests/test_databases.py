"""The suite's own databases are dropped after use, even while connections to them are open."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tests.conftest import sibling_database
from tests.databases import drop, exists


def test_a_sibling_database_is_there_while_used_and_gone_afterwards(database_url: str) -> None:
    with sibling_database(database_url, "scratch") as url:
        assert exists(url)
        assert url.endswith("_scratch")

    assert not exists(url)
    assert exists(database_url)


def test_dropping_does_not_wait_for_connections_left_open(database_url: str) -> None:
    with sibling_database(database_url, "scratch") as url:
        engine = create_engine(url)
        # A pooled connection, checked in but not closed, as an engine not yet disposed keeps it.
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        left_open = engine.connect()
        try:
            drop(url)

            assert not exists(url)
        finally:
            left_open.invalidate()
            engine.dispose()
