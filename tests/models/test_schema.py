"""Rules every table follows, checked on the schema the migrations built.

Deleting a row is one DELETE because every foreign key is ON DELETE CASCADE; and it stays cheap
because every foreign key column is indexed (PostgreSQL indexes the referenced key, never the
referencing column), unless the key leads the table's primary key, whose index then covers it.
Each check is also shown to catch a schema that breaks its rule, inside the test's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.dialects import postgresql

from blog.db import Base, db
from blog.models import Post
from blog.posts import NEWEST_FIRST


def foreign_keys(connection: Connection) -> list[tuple[str, dict[str, Any]]]:
    inspector = inspect(connection)
    return [
        (table, key)
        for table in inspector.get_table_names()
        if table != "alembic_version"
        for key in inspector.get_foreign_keys(table)
    ]


def not_cascading(connection: Connection) -> list[str]:
    return [
        f"{table}.{','.join(key['constrained_columns'])}"
        for table, key in foreign_keys(connection)
        if key["options"].get("ondelete") != "CASCADE"
    ]


def not_indexed(connection: Connection) -> list[str]:
    inspector = inspect(connection)
    found = []
    for table, key in foreign_keys(connection):
        columns = key["constrained_columns"]
        leading = [index["column_names"][: len(columns)] for index in inspector.get_indexes(table)]
        primary = inspector.get_pk_constraint(table)["constrained_columns"][: len(columns)]
        if columns not in leading and columns != primary:
            found.append(f"{table}.{','.join(columns)}")
    return found


def test_the_schema_has_foreign_keys_to_check(connection: Connection) -> None:
    # Every foreign key the models declare, as the migrations built it.
    declared = sum(len(table.foreign_key_constraints) for table in Base.metadata.tables.values())

    assert declared > 0
    assert len(foreign_keys(connection)) == declared


def test_every_foreign_key_cascades_deletes(connection: Connection) -> None:
    assert not_cascading(connection) == []


def test_every_foreign_key_leads_an_index_or_the_primary_key(connection: Connection) -> None:
    assert not_indexed(connection) == []


def test_the_checks_catch_a_schema_that_breaks_them(connection: Connection) -> None:
    connection.execute(text("DROP INDEX ix_posts_author_id"))
    connection.execute(text("ALTER TABLE comments DROP CONSTRAINT fk_comments_post_id_posts"))
    connection.execute(
        text(
            "ALTER TABLE comments ADD CONSTRAINT fk_comments_post_id_posts"
            " FOREIGN KEY (post_id) REFERENCES posts (id)"
        )
    )

    assert not_indexed(connection) == ["posts.author_id"]
    assert not_cascading(connection) == ["comments.post_id"]


def test_db_model_shares_the_bases_registry_and_metadata() -> None:
    # Models subclass Base, not db.Model; both are built on one registry and one MetaData.
    assert db.Model.registry is Base.registry
    assert db.Model.metadata is Base.metadata
    assert not any("query" in vars(cls) for cls in Base.__mro__)
    assert any("query" in vars(cls) for cls in db.Model.__mro__)


def test_postgresql_does_not_index_a_referencing_column(connection: Connection) -> None:
    connection.execute(
        text("CREATE TABLE schema_notes (id integer PRIMARY KEY, post_id integer REFERENCES posts)")
    )

    # The referenced key (posts.id) has its index already; the foreign key column gets none.
    assert "schema_notes.post_id" in not_indexed(connection)


def test_the_post_lists_order_is_read_from_an_index_without_sorting(
    connection: Connection,
) -> None:
    # The lists' order, newest first with the id as tie-breaker, read off ix_posts_created_at_id
    # backwards. The planner is told not to scan the table, so that on a table this small it
    # still shows whether an index can give that order with no sort.
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    query = select(Post.id).order_by(*NEWEST_FIRST).limit(21)
    compiled = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})

    plan = "\n".join(connection.scalars(text(f"EXPLAIN {compiled}")))

    assert "Scan Backward using ix_posts_created_at_id on posts" in plan
    assert "Sort" not in plan
