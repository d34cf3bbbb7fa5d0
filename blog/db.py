"""The declarative base every model inherits from, and the Flask-SQLAlchemy extension.

Models subclass `Base` rather than `db.Model`: both share one registry and metadata, but `Base`
is a plain SQLAlchemy 2.x class that type checkers understand.
"""

from datetime import UTC, datetime

from flask import request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

# The largest value of a PostgreSQL `integer`, the type of every primary key here.
MAX_ID = 2**31 - 1


class Base(DeclarativeBase):
    """The declarative base: one registry and one MetaData for the whole app."""

    # Deterministic constraint names, so that migrations can drop and alter them by name.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# After its commit a view only serialises what it wrote: reloading it would be wasted queries.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def read_without_transaction() -> None:
    """Run the session of a GET or HEAD request in autocommit mode: no BEGIN and ROLLBACK round
    trips, and psycopg keeps its prepared statements. A session bound to a connection already
    in a transaction (as the tests bind it) is left as it is."""
    if request.method not in {"GET", "HEAD"} or request.blueprint == "openapi":
        return
    if isinstance(db.session.get_bind(), Engine):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def set_in_every_transaction(engine: Engine, *, statement_timeout_ms: int) -> None:
    """Begin every transaction on `engine` by setting the statement timeout and UTC locally,
    for a pooler that passes server connections between clients."""
    settings = (
        f"SELECT set_config('statement_timeout', '{int(statement_timeout_ms)}', true),"
        " set_config('TimeZone', 'UTC', true)"
    )

    @event.listens_for(engine, "begin")
    def set_locally(connection: Connection) -> None:
        connection.exec_driver_sql(settings)
