"""The test harness: the database the suite guards, builds and drops, each test's transaction, the
session each request gets, and the helpers and factories the tests share.

What the suite does when run as a command, and the demo server, are in tests/system/test_harness.py.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any

import flask
import pytest
from alembic.script import ScriptDirectory
from apiflask import APIFlask
from argon2 import PasswordHasher
from argon2.exceptions import HashingError
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url

from blog.auth import verify_password
from blog.config import Settings, normalise_database_url
from blog.db import Base, db
from blog.models import Post, User
from tests import rows
from tests.databases import alembic_config
from tests.factories import (
    PASSWORD,
    CommentFactory,
    PostFactory,
    TagFactory,
    UserFactory,
)
from tests.fixtures import (
    DEFAULT_TEST_DATABASE_URL,
    FreshContextClient,
    resolve_test_database_url,
    worker_database_url,
)
from tests.helpers import StatementLog, fresh

# The suite's own guard and its database


def test_without_test_database_url_the_suite_uses_blog_test_on_localhost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)

    url = make_url(resolve_test_database_url())

    assert url == make_url(normalise_database_url(DEFAULT_TEST_DATABASE_URL))
    assert (url.host, url.database) == ("localhost", "blog_test")


def test_each_xdist_worker_runs_on_a_database_of_its_own(
    connection: Connection, database_url: str
) -> None:
    given = make_url(resolve_test_database_url()).database
    worker = os.environ.get("PYTEST_XDIST_WORKER")

    expected = f"{given}_{worker}" if worker else given
    assert make_url(database_url).database == expected
    assert connection.scalar(text("SELECT current_database()")) == expected


def test_a_workers_database_is_named_after_the_test_database_and_the_worker() -> None:
    url = "postgresql+psycopg://someone:secret@db.example:5433/blog_test"

    assert make_url(worker_database_url(url, "gw1")) == make_url(url).set(database="blog_test_gw1")
    assert worker_database_url(url, None) == worker_database_url(url, "") == url


def test_the_test_database_holds_what_the_migrations_build(connection: Connection) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()

    assert set(inspect(connection).get_table_names()) == {*Base.metadata.tables, "alembic_version"}
    assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head


# Each test's transaction


def test_code_under_test_may_commit_and_roll_back_and_only_savepoints_move(
    connection: Connection, database_url: str
) -> None:
    kept = UserFactory()
    db.session.commit()
    dropped = UserFactory()
    db.session.rollback()

    # The commit released a savepoint, and the rollback went back to one: the test's own
    # transaction is still open, with what the commit kept and without what the rollback undid.
    assert db.session().get_bind() is connection
    assert connection.in_transaction()
    assert rows.exists("users", kept.id)
    assert not rows.exists("users", dropped.id)
    # Nothing was committed for real: no other connection sees the user.
    outside = create_engine(database_url)
    try:
        with outside.connect() as other:
            seen = other.scalar(text("SELECT count(*) FROM users WHERE id = :id"), {"id": kept.id})
    finally:
        outside.dispose()
    assert seen == 0


PROBE = "rolledback"
# The two tests below run on one database, one after the other, even when pytest-xdist spreads
# the suite over workers (make pytest): it sends the tests of one xdist_group to one worker.
ONE_AFTER_THE_OTHER = pytest.mark.xdist_group("rollback")


@ONE_AFTER_THE_OTHER
def test_what_a_test_commits_lasts_until_the_test_ends(connection: Connection) -> None:
    UserFactory(username=PROBE)
    db.session.execute(text("CREATE TABLE harness_probe (id integer)"))
    db.session.commit()

    assert connection.scalar(text("SELECT to_regclass('harness_probe')")) == "harness_probe"
    assert db.session.scalar(select(User).where(User.username == PROBE)) is not None


@ONE_AFTER_THE_OTHER
def test_and_is_gone_in_the_next_test(connection: Connection) -> None:
    # pytest runs a module's tests in order: this one runs right after the test above.
    assert connection.scalar(text("SELECT to_regclass('harness_probe')")) is None
    assert db.session.scalar(select(User).where(User.username == PROBE)) is None


def test_every_request_gets_an_app_context_and_a_session_of_its_own(
    app: APIFlask, client: FlaskClient, connection: Connection, database_url: str
) -> None:
    seen: list[Any] = []

    def record(sender: Any, **extra: Any) -> None:
        seen.append(db.session())

    with flask.request_started.connected_to(record, app):
        assert client.get("/healthz").status_code == 200
        signed_up = client.post(
            "/api/users",
            json={
                "username": "newcomer",
                "email": "new@example.com",
                "password": "s3cret-enough-for-tests",
            },
        )
        # A plain test client reuses the app context the test runs in, and so its session...
        assert FlaskClient(app).get("/healthz").status_code == 200
        # ... but where no app context is active, as under gunicorn, a request gets its own.
        elsewhere = threading.Thread(target=FlaskClient(app).get, args=["/healthz"])
        elsewhere.start()
        elsewhere.join()

    assert flask.has_app_context()
    assert isinstance(client, FreshContextClient)
    mine = db.session()
    first, second, plain, in_a_thread = seen
    assert first is not second
    assert mine not in (first, second, in_a_thread)
    assert plain is mine
    # Every session is bound to the test's connection, so the test sees what the request
    # committed, which no other connection does.
    assert first.get_bind() is second.get_bind() is mine.get_bind() is connection
    assert signed_up.status_code == 201
    assert rows.exists("users", signed_up.get_json()["id"])
    outside = create_engine(database_url)
    try:
        with outside.connect() as other:
            query = text("SELECT count(*) FROM users WHERE username = 'newcomer'")
            assert other.scalar(query) == 0
    finally:
        outside.dispose()


# The helpers


def test_the_statement_log_records_the_tests_sql_but_not_savepoints(
    sql: StatementLog, connection: Connection, client: FlaskClient
) -> None:
    sent: list[str] = []

    def everything(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(connection, "before_cursor_execute", everything)
    try:
        with sql.recording() as statements:
            user = UserFactory()
            db.session.commit()
            assert client.get(f"/api/users/{user.username}").status_code == 200
            db.session.scalar(text("SELECT 1"))
            db.session.rollback()
        db.session.scalar(text("SELECT 2"))
    finally:
        event.remove(connection, "before_cursor_execute", everything)

    housekeeping = [s for s in sent if re.match(r"(RELEASE |ROLLBACK TO )?SAVEPOINT", s)]
    assert {s.split()[0] for s in housekeeping} == {"SAVEPOINT", "RELEASE", "ROLLBACK"}
    assert statements == [s for s in sent[:-1] if s not in housekeeping]
    assert [s.split()[0] for s in statements] == ["INSERT", "SELECT", "INSERT", "SELECT", "SELECT"]
    assert "FROM users" in statements[3]  # the request's
    assert sent[-1] == "SELECT 2"  # sent after the block, so not recorded


def test_fresh_loads_the_row_again_and_no_relationship(sql: StatementLog) -> None:
    post = PostFactory(tags=[TagFactory()])
    author = post.author
    post.title = "changed in memory, never flushed"

    with sql.recording() as statements:
        loaded = fresh(post)

    assert loaded is not post
    assert inspect(post).detached
    assert inspect(author).detached
    assert len(statements) == 1
    assert statements[0].startswith("SELECT posts.id")
    assert loaded.title != "changed in memory, never flushed"
    assert set(inspect(Post).relationships.keys()) <= inspect(loaded).unloaded
    assert loaded.author is not author
    assert loaded.author.id == author.id


def test_the_rows_helpers_read_the_database_not_the_objects() -> None:
    python = TagFactory()
    post = PostFactory(tags=[python, TagFactory()])
    other = UserFactory()
    db.session.execute(
        text("UPDATE posts SET author_id = :a WHERE id = :p"), {"a": other.id, "p": post.id}
    )

    assert post.author_id != other.id  # what the object says
    assert rows.author_id(post.id) == other.id  # what the row holds
    assert rows.tag_names(post.id) == {tag.name for tag in post.tags}
    assert rows.tag_links(post_id=post.id) == {(post.id, tag.id) for tag in post.tags}
    assert rows.tag_links(tag_id=python.id) == {(post.id, python.id)}
    assert rows.tag_links(post_id=post.id, tag_id=python.id) == {(post.id, python.id)}
    # A deletion still pending in the session is flushed before the row is looked for.
    db.session.delete(post)
    assert post in db.session.deleted
    assert not rows.exists("posts", post.id)
    assert post not in db.session.deleted


# The factories


def test_the_factories_make_what_their_docstring_shows(
    client: FlaskClient, sql: StatementLog
) -> None:
    with sql.recording() as statements:
        user = UserFactory(profile__bio="Hello")
    other = UserFactory()
    tag = TagFactory()
    post = PostFactory(author=user, tags=[tag])
    orphan = PostFactory()
    comment = CommentFactory()
    reply = CommentFactory(parent=comment)

    assert re.fullmatch(r"user\d+", user.username)
    assert user.email == f"{user.username}@example.com"
    assert verify_password(user.password_hash, PASSWORD)
    assert other.password_hash == user.password_hash  # hashed once, for every user
    # The profile is made after the user; setting profile.user sets user.profile too, once a
    # SELECT has found no profile there to replace. Reading it later costs nothing.
    assert [s.split()[:3] for s in statements] == [
        ["INSERT", "INTO", "users"],
        ["SELECT", "profiles.user_id,", "profiles.bio,"],
        ["INSERT", "INTO", "profiles"],
    ]
    assert statements[1].endswith("FROM profiles WHERE profiles.user_id = %(pk_1)s::INTEGER")
    with sql.recording() as reading:
        assert user.profile.user is user
        assert other.profile.bio is None
    assert reading == []
    assert post.author is user
    assert post.tags == [tag]
    assert isinstance(orphan.author, User)
    assert orphan.author not in (user, other)
    assert reply.post is comment.post
    assert comment.post not in (post, orphan)
    # Flushed into the test's transaction: the rows are there, and a request sees them.
    assert rows.exists("users", user.id)
    assert rows.exists("comments", reply.id)
    assert client.get(f"/api/users/{user.username}").get_json()["bio"] == "Hello"
    assert client.get(f"/api/posts/{post.id}").get_json()["tags"] == [tag.name]


def test_a_factory_adds_to_the_session_current_when_it_runs() -> None:
    before = db.session()
    first = UserFactory()
    assert first in before

    db.session.remove()
    after = db.session()
    second = UserFactory()

    assert after is not before
    assert second in after
    assert second not in before


def test_the_suites_password_hashes_use_the_lowest_parameters_argon2_accepts(
    settings: Settings,
) -> None:
    lowest = {
        "time_cost": settings.argon2_time_cost,
        "memory_cost": settings.argon2_memory_cost_kib,
        "parallelism": settings.argon2_parallelism,
    }

    assert PasswordHasher(**lowest).hash("x").startswith("$argon2id$")
    for parameter, value in lowest.items():
        with pytest.raises(HashingError):
            PasswordHasher(**(lowest | {parameter: value - 1})).hash("x")
