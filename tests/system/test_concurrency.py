"""Concurrent writers: many requests at once, against gunicorn with many workers, on Postgres.

Each test sends its requests from as many threads, released together by a barrier, to a server
with WORKERS processes, so the requests really overlap in PostgreSQL: each worker holds its own
connection and transaction. What the database holds afterwards is read with plain SQL.

What makes the app safe here is in the database, not in Python:
- new tags: `INSERT ... ON CONFLICT DO NOTHING`, so two requests creating one tag cannot both
  insert it, and neither fails (blog/posts.py);
- follows and likes: the same, on their primary keys, and a DELETE that may find nothing;
- usernames: the unique index on lower(username); the loser's INSERT fails and gets 409;
- edits: the post row is locked as it is read (FOR NO KEY UPDATE), so edits take turns and
  each sees the version the one before it wrote.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.databases import migrate
from tests.fixtures import sibling_database
from tests.servers import APP, Answer, Server, call, running, server_environment

WORKERS = 10
AT_ONCE = 20


@pytest.fixture(scope="module")
def database(database_url: str) -> Iterator[Engine]:
    with sibling_database(database_url, "concurrency") as url:
        migrate(url)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        yield engine
        engine.dispose()


def writers_environment(database_url: str, **settings: str) -> dict[str, str]:
    """Return the environment of a production server with WORKERS workers on `database_url`."""
    return server_environment(
        BLOG_ENV="production",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(48),
        WEB_CONCURRENCY=str(WORKERS),
        GUNICORN_ACCESS_LOG="",
        # Registrations are part of these tests: their passwords are hashed with the lowest
        # Argon2id parameters, one pass, 8 KiB and one lane.
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST_KIB="8",
        ARGON2_PARALLELISM="1",
        # The races here are the database's: every registration may hash its password at once.
        PASSWORD_HASHES_AT_ONCE=str(AT_ONCE),
        **settings,
    )


@pytest.fixture(scope="module")
def server(database: Engine) -> Iterator[Server]:
    environ = writers_environment(database.url.render_as_string(hide_password=False))
    with running(APP, environ) as server:
        yield server


def at_once(requests: list[Callable[[], Answer]]) -> list[Answer]:
    """Send the requests from one thread each, all released at the same moment."""
    start = threading.Barrier(len(requests))

    def send(request: Callable[[], Answer]) -> Answer:
        start.wait()
        return request()

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(send, requests))


def statuses(answers: list[Answer]) -> Counter[int]:
    return Counter(answer.status for answer in answers)


def sign_up(server: Server, username: str) -> dict[str, str]:
    """Register a user through the API and return their Authorization header."""
    credentials = {"username": username, "password": "a-racing-passphrase-2026"}
    account = credentials | {"email": f"{username}@example.com"}
    assert call(f"{server.url}/api/users", "POST", body=account).status == 201
    token = call(f"{server.url}/api/tokens", "POST", body=credentials).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def scalar(database: Engine, sql: str, **parameters: Any) -> Any:
    with database.connect() as connection:
        return connection.execute(text(sql), parameters).scalar_one()


def test_posts_sharing_brand_new_tags_create_each_tag_once(
    server: Server, database: Engine
) -> None:
    author = sign_up(server, "tagger")
    shared = ["race-alpha", "race-beta", "race-gamma"]

    def write(number: int) -> Callable[[], Answer]:
        # Each request names the tags in another order, plus one tag of its own.
        tags = shared[number % 3 :] + shared[: number % 3] + [f"race-own-{number}"]
        body = {"title": f"Post {number}", "body": "At the same time.", "tags": tags}
        return lambda: call(f"{server.url}/api/posts", "POST", body=body, headers=author)

    answers = at_once([write(number) for number in range(AT_ONCE)])

    assert statuses(answers) == {201: AT_ONCE}
    for name in shared:
        assert scalar(database, "SELECT count(*) FROM tags WHERE name = :n", n=name) == 1
        links = "SELECT count(*) FROM post_tags JOIN tags ON tags.id = tag_id WHERE name = :n"
        assert scalar(database, links, n=name) == AT_ONCE
        # The counts kept by triggers are exact too: every statement added its own rows.
        assert scalar(database, "SELECT post_count FROM tags WHERE name = :n", n=name) == AT_ONCE
    assert scalar(database, "SELECT count(*) FROM tags WHERE name LIKE 'race-own-%'") == AT_ONCE
    assert scalar(database, "SELECT post_count FROM users WHERE username = 'tagger'") == AT_ONCE


def test_simultaneous_registrations_of_one_username_let_exactly_one_in(
    server: Server, database: Engine
) -> None:
    # Usernames are case-insensitive: differently cased, they are still one name.
    spellings = ["Racer", "racer", "RACER", "rAcEr"]

    def register(number: int) -> Callable[[], Answer]:
        body = {
            "username": spellings[number % len(spellings)],
            "email": f"racer{number}@example.com",
            "password": "a-racing-passphrase-2026",
        }
        return lambda: call(f"{server.url}/api/users", "POST", body=body)

    answers = at_once([register(number) for number in range(AT_ONCE)])

    assert statuses(answers) == {201: 1, 409: AT_ONCE - 1}
    for answer in answers:
        if answer.status == 409:
            assert answer.headers["Content-Type"] == "application/problem+json"
            assert answer.json()["status"] == 409
    assert scalar(database, "SELECT count(*) FROM users WHERE lower(username) = 'racer'") == 1
    hashed = "SELECT password_hash FROM users WHERE lower(username) = 'racer'"
    assert scalar(database, hashed).startswith("$argon2id$v=19$m=8,t=1,p=1$")
    # The winner came with a profile; the losers' transactions left no user and no profile.
    profiles = (
        "SELECT count(*) FROM profiles JOIN users ON id = user_id WHERE username ILIKE 'racer'"
    )
    assert scalar(database, profiles) == 1
    assert scalar(database, "SELECT count(*) FROM users WHERE email LIKE 'racer%'") == 1


@pytest.mark.parametrize(
    ("resource", "rows"),
    [
        ("/api/users/{followed}/follow", "SELECT count(*) FROM follows WHERE followed_id = {id}"),
        ("/api/posts/{post}/like", "SELECT count(*) FROM likes WHERE post_id = {post}"),
    ],
    ids=["follow", "like"],
)
def test_following_and_liking_at_once_are_idempotent(
    server: Server, database: Engine, resource: str, rows: str
) -> None:
    fan = sign_up(server, f"fan-{secrets.token_hex(4)}")
    star_name = f"star-{secrets.token_hex(4)}"
    star = sign_up(server, star_name)
    post = call(
        f"{server.url}/api/posts", "POST", body={"title": "Star", "body": "x"}, headers=star
    ).json()["id"]
    star_id = scalar(database, "SELECT id FROM users WHERE username = :n", n=star_name)
    url = server.url + resource.format(followed=star_name, post=post)
    count = rows.format(id=star_id, post=post)

    def send(method: str) -> Callable[[], Answer]:
        return lambda: call(url, method, headers=fan)

    # All at once, the same request: one row, and every answer says it is done.
    added = at_once([send("PUT") for _ in range(AT_ONCE)])
    assert statuses(added) == {204: AT_ONCE}
    assert scalar(database, count) == 1

    # Adding and removing at once: nothing fails, and there is one row or none, never two.
    mixed = at_once([send("PUT" if number % 2 else "DELETE") for number in range(AT_ONCE)])
    assert statuses(mixed) == {204: AT_ONCE}
    assert scalar(database, count) in {0, 1}

    removed = at_once([send("DELETE") for _ in range(AT_ONCE)])
    assert statuses(removed) == {204: AT_ONCE}
    assert scalar(database, count) == 0


def test_simultaneous_edits_with_one_if_match_let_exactly_one_through(
    server: Server, database: Engine
) -> None:
    author = sign_up(server, "editor")
    created = call(
        f"{server.url}/api/posts", "POST", body={"title": "v1", "body": "x"}, headers=author
    )
    post, etag = created.json()["id"], created.headers["ETag"]

    def edit(number: int) -> Callable[[], Answer]:
        headers = author | {"If-Match": etag}
        body = {"title": f"Edit {number}", "tags": [f"edit-{number}"]}
        return lambda: call(f"{server.url}/api/posts/{post}", "PATCH", body=body, headers=headers)

    answers = at_once([edit(number) for number in range(AT_ONCE)])

    assert statuses(answers) == {200: 1, 412: AT_ONCE - 1}
    winner = next(answer.json() for answer in answers if answer.status == 200)
    current = call(f"{server.url}/api/posts/{post}", headers=author)
    assert current.json()["title"] == winner["title"]
    assert current.json()["tags"] == winner["tags"]
    assert scalar(database, "SELECT version FROM posts WHERE id = :id", id=post) == 2


def test_simultaneous_edits_without_if_match_all_apply_in_turn(
    server: Server, database: Engine
) -> None:
    author = sign_up(server, "overwriter")
    post = call(
        f"{server.url}/api/posts", "POST", body={"title": "v1", "body": "x"}, headers=author
    ).json()["id"]

    def edit(number: int) -> Callable[[], Answer]:
        body = {"title": f"Edit {number}"}
        return lambda: call(f"{server.url}/api/posts/{post}", "PATCH", body=body, headers=author)

    answers = at_once([edit(number) for number in range(AT_ONCE)])

    # No If-Match, no precondition: every edit applies, one after another, the last one stays.
    assert statuses(answers) == {200: AT_ONCE}
    assert scalar(database, "SELECT version FROM posts WHERE id = :id", id=post) == AT_ONCE + 1
    # The post as the last edit left it: its answer carries the ETag a read now gives.
    current = call(f"{server.url}/api/posts/{post}", headers=author)
    last = [answer for answer in answers if answer.headers["ETag"] == current.headers["ETag"]]
    assert [answer.json()["title"] for answer in last] == [current.json()["title"]]
    assert (
        scalar(database, "SELECT title FROM posts WHERE id = :id", id=post)
        == current.json()["title"]
    )


@pytest.mark.parametrize(
    ("lock", "held_up"),
    [("FOR NO KEY UPDATE", False), ("FOR UPDATE", True)],
    ids=["the app's lock", "a stronger lock"],
)
def test_a_post_locked_for_editing_still_takes_likes(
    server: Server, database: Engine, lock: str, held_up: bool
) -> None:
    # The app's edits lock the post with FOR NO KEY UPDATE (test_posts.py, among the API
    # tests, checks the SELECT it sends); it is held here, in the test's own transaction, for
    # the whole block. A like's INSERT takes FOR KEY SHARE on the post it references: the
    # weaker lock lets it through; with FOR UPDATE, it would wait until the edit commits.
    author = sign_up(server, f"slow-{secrets.token_hex(4)}")
    reader = sign_up(server, f"quick-{secrets.token_hex(4)}")
    post = call(
        f"{server.url}/api/posts", "POST", body={"title": "Held", "body": "x"}, headers=author
    ).json()["id"]
    like = f"{server.url}/api/posts/{post}/like"

    likes = "SELECT count(*) FROM likes WHERE post_id = :id"

    editing = database.execution_options(isolation_level="READ COMMITTED")  # not autocommit
    with editing.connect() as connection, connection.begin():
        locking = text(f"SELECT 1 FROM posts WHERE id = :id {lock}")  # noqa: S608 - fixed text
        connection.execute(locking, {"id": post})
        if held_up:
            # Still waiting after 2 s: the lock is released only when this block ends.
            with pytest.raises(OSError, match="timed out") as waited:
                call(like, "PUT", headers=reader, timeout=2)
            assert type(waited.value) is TimeoutError
            assert scalar(database, likes, id=post) == 0
        else:
            assert call(like, "PUT", headers=reader).status == 204

    # The like that waited was held up, not refused: once the lock is gone, it goes in.
    deadline = time.monotonic() + 10
    while scalar(database, likes, id=post) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert scalar(database, likes, id=post) == 1


def test_requests_at_once_wait_in_postgresql_together_each_on_a_connection_of_its_own(
    server: Server, database: Engine
) -> None:
    # gunicorn.conf.py binds HOST:PORT, the loopback and the port server_environment chose.
    assert f"Listening at: {server.url} " in server.output()
    assert len(server.workers()) == WORKERS
    author = sign_up(server, f"busy-{secrets.token_hex(4)}")
    post = call(
        f"{server.url}/api/posts", "POST", body={"title": "Busy", "body": "x"}, headers=author
    ).json()["id"]

    def edit(number: int) -> Answer:
        body = {"title": f"Turn {number}"}
        return call(f"{server.url}/api/posts/{post}", "PATCH", body=body, headers=author)

    # The sessions of this database that are waiting for a lock, the test's own left out.
    waiting = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    editing = database.execution_options(isolation_level="READ COMMITTED")  # not autocommit
    with ThreadPoolExecutor(WORKERS) as pool:
        with editing.connect() as connection, connection.begin():
            connection.execute(text("SELECT 1 FROM posts WHERE id = :id FOR UPDATE"), {"id": post})
            sent = [pool.submit(edit, number) for number in range(WORKERS)]
            deadline = time.monotonic() + 5
            while scalar(database, waiting) < WORKERS and time.monotonic() < deadline:
                time.sleep(0.05)
            # Every worker is inside a transaction of its own, on a connection of its own,
            # waiting for the row this transaction holds.
            assert scalar(database, waiting) == WORKERS
        answers = [future.result() for future in sent]

    assert statuses(answers) == {200: WORKERS}
