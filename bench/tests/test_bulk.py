"""The bulk loader: complete posts, loaded with COPY, and only the ones that are missing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Connection, select, text

from bench.bulk import NOT_IN_PRODUCTION, POSTS_PER_WRITER, TAGS_PER_POST, load, main, seed_bulk
from blog.db import Base, db
from blog.models import Post, Tag, User, post_tags
from tests import rows
from tests.factories import PostFactory


def test_bulk_loading_adds_exactly_the_missing_posts() -> None:
    first = seed_bulk(posts=50)
    second = seed_bulk(posts=80)
    third = seed_bulk(posts=80)

    assert (first.posts, first.users) == (50, 50 // POSTS_PER_WRITER + 1)
    assert (second.posts, third.posts, third.rows) == (30, 0, 0)
    assert rows.count("posts") == 80
    assert rows.count("post_tags") == 80 * TAGS_PER_POST
    assert rows.count("profiles") == rows.count("users")
    assert rows.count("likes") == sum(n % 3 for n in range(80))
    assert rows.count("comments") == len(range(0, 80, 4))
    # Every table that links rows to others (a post's tags, likes, comments ...) has some.
    linking = [table.name for table in Base.metadata.sorted_tables if table.foreign_keys]
    assert linking
    assert all(rows.count(name) for name in linking), {name: rows.count(name) for name in linking}
    # The rows are complete posts, readable through the ORM and its relationships.
    post = db.session.scalars(select(Post).order_by(Post.id.desc()).limit(1)).one()
    assert post.author.username.startswith("writer")
    assert post.author.profile is not None
    assert len(post.tags) == TAGS_PER_POST
    assert post.created_at == post.updated_at
    assert all(user.following for user in db.session.scalars(select(User)))


def test_loading_says_what_it_added_and_then_that_nothing_was_missing() -> None:
    first = load(40)
    again = load(40)

    assert first.startswith(f"Added {40 // POSTS_PER_WRITER} users, 40 posts and ")
    assert again == "All 40 synthetic posts were already there."
    assert rows.count("posts") == 40


def test_the_command_refuses_to_run_in_production(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The writers share a published password: production must never get them.
    for name, value in {
        "BLOG_ENV": "production",
        "SECRET_KEY": "a-production-key-that-is-long-enough-to-pass",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing",
    }.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SystemExit) as exit_info:
        main(["--posts", "10"])

    assert exit_info.value.code == 2
    assert NOT_IN_PRODUCTION in capsys.readouterr().err
    assert rows.count("posts") == 0


def test_bulk_loading_works_with_a_single_writer() -> None:
    report = seed_bulk(posts=3)

    assert (report.posts, report.users) == (3, 1)
    # Posts 0, 1 and 2 would have 0, 1 and 2 likes; the one writer likes the third only once.
    assert rows.count("likes") == 2
    assert rows.count("follows") == 0


def test_the_posts_and_the_rows_around_them_arrive_by_copy(connection: Connection) -> None:
    # A statement-level trigger on each table notes the statement that inserted into it, as the
    # client sent it: current_query() is PostgreSQL's name for that. COPY FROM fires it too.
    connection.execute(text("CREATE TABLE inserted_by (table_name text, query text)"))
    connection.execute(
        text(
            "CREATE FUNCTION note_the_insert() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN INSERT INTO inserted_by VALUES (TG_TABLE_NAME, current_query());"
            " RETURN NULL; END $$"
        )
    )
    for table in Base.metadata.tables:
        connection.execute(
            text(
                f"CREATE TRIGGER note_the_insert AFTER INSERT ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION note_the_insert()"
            )
        )

    seed_bulk(posts=50)

    noted = connection.execute(text("SELECT table_name, query FROM inserted_by")).all()
    # Writers and tags may be there already: they are inserted with ON CONFLICT DO NOTHING.
    by_insert = {User.__table__.name, Tag.__table__.name}
    copied = {table for table, _ in noted} - by_insert
    assert {Post.__table__.name, post_tags.name} <= copied
    for table, query in noted:
        if table in copied:
            assert re.fullmatch(rf"COPY {table} \([\w, ]+\) FROM STDIN", query), query
        else:
            assert query.startswith("INSERT INTO"), query
    # The same trigger notes an ORM insert as the INSERT it is.
    PostFactory()
    db.session.flush()
    posts = connection.execute(text("SELECT query FROM inserted_by WHERE table_name = 'posts'"))
    assert sorted(query.split()[0] for query in posts.scalars()) == ["COPY", "INSERT"]
