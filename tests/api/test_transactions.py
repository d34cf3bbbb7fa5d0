"""A request that fails half-way leaves nothing behind: the request is the transaction."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, delete, event

from blog import posts as blog_posts
from blog.api import comments as api_comments
from blog.db import db
from blog.models import Post
from tests import rows
from tests.factories import PostFactory, UserFactory
from tests.helpers import assert_problem, auth_headers


def test_a_failure_after_the_post_is_written_leaves_no_post_and_no_tags(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = UserFactory()
    real_ensure_tags = blog_posts.ensure_tags
    written: list[int] = []

    def ensure_tags_then_fail(names: list[str]) -> object:
        # By now the post row is flushed; let the new tags be written too, then fail.
        written.append(rows.count("posts"))
        real_ensure_tags(names)
        written.append(rows.count("tags"))
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(blog_posts, "ensure_tags", ensure_tags_then_fail)

    response = client.post(
        "/api/posts",
        json={"title": "Half", "body": "Written", "tags": ["brand-new", "also-new"]},
        headers=auth_headers(user),
    )

    assert_problem(response, 500)
    assert written == [1, 2]  # both were in the database when the request failed ...
    assert rows.count("posts") == 0  # ... and neither is now
    assert rows.count("tags") == 0
    assert rows.count("post_tags") == 0


def test_a_get_reads_without_a_transaction_and_a_post_runs_in_one(
    client: FlaskClient, connection: Connection
) -> None:
    engine = connection.engine
    seen: list[tuple[bool, TransactionStatus]] = []

    def record(conn: Connection, *_args: Any) -> None:
        driver = conn.connection.dbapi_connection
        assert isinstance(driver, psycopg.Connection)
        seen.append((driver.autocommit, driver.info.transaction_status))

    # As outside the suite: the session gets the engine, not the test's open transaction.
    db.engines[None] = engine
    event.listen(engine, "after_cursor_execute", record)
    try:
        assert client.get("/api/tags").status_code == 200
        reads = list(seen)
        seen.clear()
        response = client.post("/api/tokens", json={"username": "nobody", "password": "x" * 8})
        assert response.status_code == 401
    finally:
        event.remove(engine, "after_cursor_execute", record)
        db.engines[None] = connection  # type: ignore[assignment]

    # its SELECTs in autocommit: no BEGIN, and no transaction left open to roll back
    assert reads
    assert set(reads) == {(True, TransactionStatus.IDLE)}
    assert seen  # the POST's statements ...
    assert set(seen) == {(False, TransactionStatus.INTRANS)}  # ... run in a transaction


@pytest.mark.parametrize(
    ("module", "method", "path"),
    [
        (blog_posts, "PUT", "/api/posts/{}/like"),
        (api_comments, "POST", "/api/posts/{}/comments"),
    ],
    ids=["like", "comment"],
)
def test_a_post_deleted_while_the_request_runs_is_a_404_not_a_conflict(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, module: Any, method: str, path: str
) -> None:
    post = PostFactory()
    real_require_post = module.require_post

    def found_then_deleted(post_id: int) -> object:
        # As if its author's DELETE committed just after this request found the post.
        found = real_require_post(post_id)
        # Unknown to this session, as another transaction's DELETE would be.
        gone = delete(Post).where(Post.id == post_id)
        db.session.execute(gone, execution_options={"synchronize_session": False})
        return found

    monkeypatch.setattr(module, "require_post", found_then_deleted)

    response = client.open(
        path.format(post.id),
        method=method,
        json={"body": "Too late."},
        headers=auth_headers(UserFactory()),
    )

    assert_problem(response, 404)
