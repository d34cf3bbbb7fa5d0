"""The app behind a real PgBouncer in transaction mode, with several app processes sharing it.

PgBouncer is the machine's own (in CI Debian 12's 1.18, which refuses unknown startup parameters
and has no prepared-statement support: the strictest case), started by pooler/pgbouncer.py with
fewer server connections than app processes, so the processes take turns on them transaction
by transaction. Without DB_POOLER the app cannot work there; these tests show each way it
fails, and that with DB_POOLER=transaction nothing does. tests/test_pooler_mode.py checks the
same setting against PostgreSQL directly, in `make test`.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import psycopg
import pytest
from sqlalchemy import create_engine, text

from blog.errors import DATABASE_SLOW
from pooler.pgbouncer import Pooler, pgbouncer
from tests.databases import (
    DATABASE_TIME_ZONE,
    libpq_url,
    migrate,
    set_defaults_unlike_the_apps,
)
from tests.fixtures import sibling_database
from tests.servers import APP, Answer, Server, call, running, server_environment
from tests.system.test_concurrency import sign_up

# Two gunicorns of three workers each: six app processes, each with its own pool, sharing
# POOL_SIZE server connections.
SERVERS = 2
WORKERS = 3
POOL_SIZE = 2
STATEMENT_TIMEOUT_MS = 1000
READERS = 12
READS_EACH = 30


@pytest.fixture(scope="module")
def database(database_url: str) -> Iterator[str]:
    with sibling_database(database_url, "pgbouncer") as url:
        migrate(url)
        set_defaults_unlike_the_apps(url)
        yield url


@pytest.fixture(scope="module")
def pooler(database: str) -> Iterator[Pooler]:
    with pgbouncer(database, pool_size=POOL_SIZE) as pooler:
        yield pooler


@contextmanager
def app_servers(url: str, count: int = SERVERS, **settings: str) -> Iterator[list[Server]]:
    """Run `count` gunicorns on `url`, in development mode, each with WORKERS workers.

    They are ready once they answer GET /openapi.json, which needs no database, so a server
    that cannot reach it still starts and shows how its requests fail.
    """
    with ExitStack() as stack:
        servers = []
        for number in range(count):
            environ = server_environment(
                BLOG_ENV="development",
                DATABASE_URL=url,
                SECRET_KEY=secrets.token_urlsafe(48),
                WEB_CONCURRENCY=str(WORKERS),
                GUNICORN_ACCESS_LOG="",
                DB_STATEMENT_TIMEOUT_MS=str(STATEMENT_TIMEOUT_MS),
                ARGON2_TIME_COST="1",
                ARGON2_MEMORY_COST_KIB="8",
                ARGON2_PARALLELISM="1",
                **settings,
            )
            servers.append(
                stack.enter_context(
                    running(APP, environ, name=f"app {number + 1}", ready="/openapi.json")
                )
            )
        yield servers


def write_some_posts(server: Server) -> tuple[str, list[int]]:
    """Sign a new user up, write three tagged posts, and return the name and the post ids."""
    name = f"writer-{secrets.token_hex(4)}"
    author = sign_up(server, name)
    ids = []
    for number in range(3):
        body = {"title": f"Post {number}", "body": "Pooled.", "tags": ["pooled", f"p{number}"]}
        answer = call(f"{server.url}/api/posts", "POST", body=body, headers=author)
        assert answer.status == 201, answer.body
        ids.append(answer.json()["id"])
    return name, ids


def read_hard(servers: list[Server], name: str, post_ids: list[int]) -> list[Answer]:
    """Send READERS x READS_EACH reads, spread over `servers`, READERS at a time."""
    paths = [
        *(f"/api/posts/{post}" for post in post_ids),
        "/api/posts",
        "/api/tags",
        f"/api/users/{name}",
        f"/api/posts/{post_ids[0]}/comments",
    ]
    urls = [
        f"{server.url}{path}"
        for server, path in zip(
            itertools.cycle(servers), itertools.islice(itertools.cycle(paths), READS_EACH)
        )
    ]

    def reader(_: int) -> list[Answer]:
        return [call(url) for url in urls]

    with ThreadPoolExecutor(READERS) as pool:
        return [answer for answers in pool.map(reader, range(READERS)) for answer in answers]


def test_without_db_pooler_pgbouncer_refuses_every_connection(
    pooler: Pooler,
) -> None:
    with app_servers(pooler.url, count=1) as (server,):
        answers = [call(f"{server.url}/healthz") for _ in range(5)]

    assert {answer.status for answer in answers} == {503}
    assert answers[0].headers["Content-Type"] == "application/problem+json"
    # The app's startup `options` (statement timeout, time zone): PgBouncer 1.18 refuses them.
    assert "unsupported startup parameter: options" in pooler.output()


def test_in_session_mode_too_pgbouncer_refuses_the_options_and_db_pooler_gets_in(
    database: str,
) -> None:
    with pgbouncer(database, pool_size=POOL_SIZE, settings={"pool_mode": "session"}) as session:
        with app_servers(session.url, count=1) as (default,):
            refused = call(f"{default.url}/healthz")
        with app_servers(session.url, count=1, DB_POOLER="transaction") as (pooled,):
            served = call(f"{pooled.url}/healthz")
        log = session.output()

    assert refused.status == 503
    assert "unsupported startup parameter: options" in log
    assert served.status == 200


def run_six_times(connection: psycopg.Connection[tuple[object, ...]]) -> None:
    """Run one query six times: psycopg prepares a query at its sixth run, unless told not to."""
    for number in range(6):
        assert connection.execute("SELECT %s::int", [number]).fetchone() == (number,)


def test_prepared_statements_of_two_clients_collide_on_one_server_connection(
    database: str,
) -> None:
    with pgbouncer(database, pool_size=1) as one:
        url = libpq_url(one.url)
        with (
            psycopg.connect(url, autocommit=True) as first,
            psycopg.connect(url, autocommit=True) as second,
            # What DB_POOLER=transaction sets: psycopg prepares nothing, so nothing collides.
            psycopg.connect(url, autocommit=True, prepare_threshold=None) as third,
        ):
            run_six_times(first)
            with pytest.raises(psycopg.errors.DuplicatePreparedStatement, match="_pg3_0"):
                run_six_times(second)
            run_six_times(third)


def test_a_session_setting_made_by_one_client_reaches_the_next(database: str) -> None:
    with pgbouncer(database, pool_size=1) as one:
        url = libpq_url(one.url)
        with psycopg.connect(url, autocommit=True) as first:
            first.execute("SET statement_timeout = 1234")
        with psycopg.connect(url, autocommit=True) as second:
            # Another client, the same server connection: the setting is still there. This is
            # why the app uses SET LOCAL, which ends with its transaction.
            assert second.execute("SHOW statement_timeout").fetchone() == ("1234ms",)
            second.execute("RESET statement_timeout")


def test_with_startup_options_ignored_reads_fail_on_prepared_statements(
    database: str,
) -> None:
    # PgBouncer told to drop `options` (ignore_startup_parameters): the app connects, but its
    # statement timeout and time zone are lost, and the statements psycopg prepared on one
    # server connection are missing from (or clash with) the next one.
    lenient = {"ignore_startup_parameters": "options"}
    with (
        app_servers(database, count=1) as (direct,),
        pgbouncer(database, pool_size=POOL_SIZE, settings=lenient) as pooler,
        app_servers(pooler.url) as servers,
    ):
        name, posts = write_some_posts(direct)
        answers = read_hard(servers, name, posts)
        failures = Counter(answer.status for answer in answers if answer.status != 200)
        logs = "".join(server.output() for server in servers)

    assert failures, "every read succeeded: psycopg prepared nothing, or the pool never switched"
    # DuplicatePreparedStatement (a 500), or a name that meets another process's statement of
    # that name, which takes another number of parameters: ProtocolViolation, an
    # OperationalError to psycopg, and so a 503. One that takes the same parameters runs
    # another query in their place, and a post or user that exists can then seem missing (404):
    # a wrong answer, worse than an error.
    assert set(failures) <= {404, 500, 503}
    assert re.search(r'prepared statement "_pg3_\d+" already exists', logs)


@pytest.fixture(scope="module")
def servers(pooler: Pooler) -> Iterator[list[Server]]:
    """SERVERS gunicorns with DB_POOLER=transaction, all through the one PgBouncer."""
    with app_servers(pooler.url, DB_POOLER="transaction") as servers:
        yield servers


def test_with_db_pooler_no_read_fails_under_load(servers: list[Server]) -> None:
    name, posts = write_some_posts(servers[0])
    answers = read_hard(servers, name, posts)
    logs = "".join(server.output() for server in servers)

    assert len(answers) == READERS * READS_EACH
    assert Counter(answer.status for answer in answers) == {200: READERS * READS_EACH}
    assert "Traceback" not in logs


def test_with_db_pooler_nothing_stays_on_the_server_connections(
    servers: list[Server], pooler: Pooler
) -> None:
    name, posts = write_some_posts(servers[1])
    assert {answer.status for answer in read_hard(servers, name, posts)} == {200}

    # POOL_SIZE clients, each inside a transaction at once: each holds a server connection of
    # its own, so together they see every one the app used.
    ready = threading.Barrier(POOL_SIZE)

    def inspect(_: int) -> tuple[object, ...]:
        with (
            psycopg.connect(libpq_url(pooler.url), prepare_threshold=None) as connection,
            connection.cursor() as cursor,
        ):
            pid = cursor.execute("SELECT pg_backend_pid()").fetchone()
            ready.wait(timeout=10)  # all in their transactions before any ends
            timeout = cursor.execute("SHOW statement_timeout").fetchone()
            zone = cursor.execute("SHOW TimeZone").fetchone()
            prepared = cursor.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()
            return pid, timeout, zone, prepared

    with ThreadPoolExecutor(POOL_SIZE) as pool:
        seen = list(pool.map(inspect, range(POOL_SIZE)))

    assert len({pid for pid, *_ in seen}) == POOL_SIZE
    assert {tuple(rest) for _, *rest in seen} == {(("0",), (DATABASE_TIME_ZONE,), (0,))}


def test_with_db_pooler_a_request_behind_a_lock_gets_503_after_the_timeout(
    servers: list[Server], database: str
) -> None:
    server = servers[0]
    name = f"locked-{secrets.token_hex(4)}"
    author = sign_up(server, name)
    post = call(
        f"{server.url}/api/posts", "POST", body={"title": "v1", "body": "x"}, headers=author
    ).json()["id"]
    edit = {"title": "v2"}
    engine = create_engine(database)
    try:
        with engine.connect() as connection, connection.begin():
            # Should the request not time out, the lock goes after 5 s: a failure, not a
            # hang.
            connection.execute(text("SET LOCAL idle_in_transaction_session_timeout = 5000"))
            connection.execute(text("SELECT 1 FROM posts WHERE id = :id FOR UPDATE"), {"id": post})
            started = time.monotonic()
            stuck = call(f"{server.url}/api/posts/{post}", "PATCH", body=edit, headers=author)
            waited = time.monotonic() - started
            connection.execute(text("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE"))
            read = call(f"{server.url}/api/posts/{post}")
        after = call(f"{server.url}/api/posts/{post}", "PATCH", body=edit, headers=author)
        with engine.connect() as connection:
            query = text("SELECT version FROM posts WHERE id = :id")
            version = connection.execute(query, {"id": post}).scalar_one()
    finally:
        engine.dispose()

    assert stuck.status == 503, stuck.body
    assert stuck.json()["detail"] == DATABASE_SLOW
    assert waited >= STATEMENT_TIMEOUT_MS / 1000
    # A read (in a transaction, in this mode) has the same timeout.
    assert read.status == 503, read.body
    # Once the lock is gone the same edit goes through: the 503 changed nothing.
    assert after.status == 200
    assert version == 2
