"""The declarative base every model inherits from, and the Flask-SQLAlchemy extension: models
subclass `Base`, a plain SQLAlchemy 2.x class that type checkers understand, not `db.Model`."""

from datetime import UTC, datetime

from flask import request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

MAX_ID = 2**31 - 1  # the largest PostgreSQL `integer`, the type of every primary key


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
    """Run a GET or HEAD request's session in autocommit mode: no BEGIN and ROLLBACK round trips."""
    read = request.method in {"GET", "HEAD"} and request.blueprint != "openapi"
    # A session the tests bound to a connection stays in that connection's transaction.
    if read and isinstance(db.session.get_bind(), Engine):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def set_in_every_transaction(engine: Engine, *, statement_timeout_ms: int) -> None:
    """Set the statement timeout and UTC locally in every transaction, for a pooler's sake."""

    @event.listens_for(engine, "begin")
    def set_locally(connection: Connection) -> None:
        connection.exec_driver_sql(
            f"SELECT set_config('statement_timeout', '{int(statement_timeout_ms)}', true),"
            " set_config('TimeZone', 'UTC', true)"
        )
