"""The databases the suite makes for itself: created empty, built by the migrations, dropped.

Also a database whose own defaults are not the app's, for the tests of DB_POOLER, and a URL as
libpq takes it. bench/ builds its databases with these too; nothing here needs pytest or
anything from a layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


@contextmanager
def _server(url: str) -> Iterator[tuple[Connection, str]]:
    """Connect to the server's `postgres` database; yield the connection and `url`'s database."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            yield connection, target.database or ""
    finally:
        admin.dispose()


def _drop(connection: Connection, name: str) -> None:
    # FORCE ends the sessions still connected, e.g. from a pool not disposed; without it,
    # DROP DATABASE fails while there are any.
    quoted = connection.dialect.identifier_preparer.quote(name)
    connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))


def recreate(url: str) -> None:
    """Drop the database `url` names, if it exists, and create it empty."""
    with _server(url) as (connection, name):
        _drop(connection, name)
        quoted = connection.dialect.identifier_preparer.quote(name)
        connection.execute(text(f"CREATE DATABASE {quoted}"))


def drop(url: str) -> None:
    """Drop the database `url` names, if it exists, even while connections to it are open."""
    with _server(url) as (connection, name):
        _drop(connection, name)


def exists(url: str) -> bool:
    """Say whether the database `url` names exists."""
    with _server(url) as (connection, name):
        query = text("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = :name)")
        return bool(connection.scalar(query, {"name": name}))


def alembic_config(connection: Connection | None = None) -> Config:
    """Return the project's Alembic configuration, optionally bound to `connection`."""
    config = Config(str(ALEMBIC_INI))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Run `alembic upgrade <revision>` against the database at `url`."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


# What set_defaults_unlike_the_apps gives a database, so that anything the app leaves on a
# server connection shows: no statement timeout, and a time zone other than UTC.
DATABASE_TIME_ZONE = "America/New_York"


def set_defaults_unlike_the_apps(url: str) -> None:
    """Give `url`'s database a default time zone other than UTC, and no statement timeout."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            name = connection.dialect.identifier_preparer.quote(engine.url.database or "")
            connection.execute(text(f"ALTER DATABASE {name} SET TimeZone = '{DATABASE_TIME_ZONE}'"))
            connection.execute(text(f"ALTER DATABASE {name} SET statement_timeout = 0"))
    finally:
        engine.dispose()


def libpq_url(url: str) -> str:
    """Return a SQLAlchemy URL as libpq and psycopg.connect() take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
