"""Alembic's entry point: which database to migrate, and what the models say it should hold.

The URL comes from DATABASE_URL through `blog.config`, the same code the app uses, so the app
and its migrations cannot disagree about which database they mean. Code that already holds a
connection (the test suite) can pass it in as `config.attributes["connection"]`.

Run from alembic's command line (`bin/app migrate`), it logs as alembic.ini says: each revision
it applies, then the revision the database is at. Given a connection, it leaves logging to the
caller, so the test suite's own logging stays as it was.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, pool

import blog.models  # noqa: F401 - registers every table on Base.metadata
from blog.config import database_url_from_env
from blog.db import Base

config = context.config
target_metadata = Base.metadata
log = logging.getLogger("alembic.env")

if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations_offline() -> None:
    """Write the SQL to stdout instead of running it (`alembic upgrade head --sql`)."""
    context.configure(
        url=database_url_from_env(),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    heads = context.get_context().get_current_heads()
    log.info("The database is at revision %s.", ", ".join(heads) or "base (empty)")


def run_migrations_online() -> None:
    """Run the migrations against a live database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(database_url_from_env(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
