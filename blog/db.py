"""The declarative base every model inherits from, and the Flask-SQLAlchemy extension.

Models subclass `Base` directly rather than `db.Model`: Flask-SQLAlchemy builds `db.Model` on the
same registry and metadata, so both work the same at run time, but `Base` is a plain
SQLAlchemy 2.x class that type checkers understand and that carries no `Model.query`.
"""

from datetime import UTC, datetime

from flask import request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

from blog.config import current_settings

# Deterministic constraint names, so migrations can drop and alter constraints by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest value of a PostgreSQL `integer`, the type of every primary key here.
MAX_ID = 2**31 - 1


class Base(DeclarativeBase):
    """The declarative base: one registry and one MetaData for the whole app."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# A session lives for one request. After its commit the view only serialises what it has just
# written, so expiring (and reloading) every object at commit would be wasted queries.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


def read_without_transaction() -> None:
    """Run the session of a GET or HEAD request in autocommit mode.

    These requests only read. Without a transaction they save the BEGIN and ROLLBACK round
    trips, and, since psycopg forgets its prepared statements at every ROLLBACK, they keep
    those too: a query planned once per connection rather than once per request. A session
    bound to a connection that is already in a transaction (as the test suite binds it) is
    left as it is.

    Not behind a transaction-mode pooler (DB_POOLER=transaction): there every statement must
    run inside a transaction that began with `set_in_every_transaction`'s settings.
    """
    if request.method not in READ_ONLY_METHODS or request.blueprint == "openapi":
        return
    if current_settings().db_pooler == "transaction":
        return
    if isinstance(db.session.get_bind(), Engine):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def set_in_every_transaction(engine: Engine, *, statement_timeout_ms: int) -> None:
    """Make every transaction on `engine` begin by setting the statement timeout and UTC.

    For DB_POOLER=transaction, where a connection's settings cannot be trusted to carry from
    one transaction to the next: `set_config(..., true)` is `SET LOCAL`, which lasts until the
    transaction ends, so nothing is left on the server connection for the next client.
    """
    settings = (
        f"SELECT set_config('statement_timeout', '{int(statement_timeout_ms)}', true),"
        " set_config('TimeZone', 'UTC', true)"
    )

    @event.listens_for(engine, "begin")
    def set_locally(connection: Connection) -> None:
        connection.exec_driver_sql(settings)
