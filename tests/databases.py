"""The databases the suite makes for itself: created empty and built by the migrations.

bench/ builds its databases with these too; nothing here needs pytest or anything from bench/.
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


def recreate(url: str) -> None:
    """Drop the database `url` names, if it exists, and create it empty."""
    with _server(url) as (connection, name):
        quoted = connection.dialect.identifier_preparer.quote(name)
        connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {quoted}"))


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
