"""The declarative base every model inherits from, and the Flask-SQLAlchemy extension.

Models subclass `Base` directly rather than `db.Model`: Flask-SQLAlchemy builds `db.Model` on the
same registry and metadata, so both work the same at run time, but `Base` is a plain
SQLAlchemy 2.x class that type checkers understand and that carries no `Model.query`.
"""

from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names, so migrations can drop and alter constraints by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base: one registry and one MetaData for the whole app."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# A session lives for one request. After its commit the view only serialises what it has just
# written, so expiring (and reloading) every object at commit would be wasted queries.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)
