"""Sign-in throttling under gunicorn: one count for every worker, kept across a restart.

The count lives in PostgreSQL, not in a worker's memory. These tests show it: failures sent to
a server of two workers (each request on a new connection, taken by whichever worker accepts
it) are still counted by a new server started after the first has stopped, whose processes
have never seen them; and simultaneous wrong passwords, sent to a server of four workers,
check exactly SIGN_IN_MAX_FAILURES passwords between them, however they overlap.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.databases import migrate
from tests.fixtures import sibling_database
from tests.servers import APP, Answer, Server, call, running, server_environment

MAX_FAILURES = 3
WINDOW = 600
PASSWORD = "the-right-password"


@pytest.fixture(scope="module")
def database(database_url: str) -> Iterator[Engine]:
    with sibling_database(database_url, "throttle") as url:
        migrate(url)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        yield engine
        engine.dispose()


def environment(database: Engine, workers: int, **settings: str) -> dict[str, str]:
    defaults = {
        "BLOG_ENV": "production",
        "DATABASE_URL": database.url.render_as_string(hide_password=False),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_ACCESS_LOG": "",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "8",
        "ARGON2_PARALLELISM": "1",
        "SIGN_IN_MAX_FAILURES": str(MAX_FAILURES),
        "SIGN_IN_WINDOW_SECONDS": str(WINDOW),
        # The throttle is what these tests check: no attempt waits for a hashing slot.
        "PASSWORD_HASHES_AT_ONCE": "64",
    }
    return server_environment(**(defaults | settings))


def sign_up(server: Server, username: str) -> None:
    account = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    assert call(f"{server.url}/api/users", "POST", body=account).status == 201


def sign_in(server: Server, username: str, password: str) -> Answer:
    body = {"username": username, "password": password}
    return call(f"{server.url}/api/tokens", "POST", body=body)


def test_failures_are_counted_for_every_worker_and_outlive_the_server(database: Engine) -> None:
    with running(APP, environment(database, workers=2)) as server:
        first = {server.process.pid, *server.workers()}
        assert len(first) == 3
        sign_up(server, "alice")
        wrong = [sign_in(server, "alice", "wrong-password").status for _ in range(MAX_FAILURES)]
        refused = sign_in(server, "alice", PASSWORD)

    assert wrong == [401] * MAX_FAILURES
    assert refused.status == 429
    with running(APP, environment(database, workers=2)) as restarted:
        # New processes, the same count: the right password is still refused, with Retry-After.
        assert first.isdisjoint({restarted.process.pid, *restarted.workers()})
        still_refused = sign_in(restarted, "alice", PASSWORD)
        assert still_refused.status == 429
        assert 0 < int(still_refused.headers["Retry-After"]) <= WINDOW
        assert still_refused.headers["Content-Type"] == "application/problem+json"

        with database.connect() as connection:
            connection.execute(
                text(
                    "UPDATE sign_in_failures"
                    " SET window_started_at = window_started_at - make_interval(secs => :window)"
                ),
                {"window": WINDOW},
            )
        assert sign_in(restarted, "alice", PASSWORD).status == 200
    with database.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM sign_in_failures")).scalar() == 0


def test_simultaneous_wrong_passwords_check_only_the_allowed_number(database: Engine) -> None:
    at_once = 16
    with running(APP, environment(database, workers=4)) as server:
        sign_up(server, "bob")
        start = threading.Barrier(at_once)

        def attempt(_: int) -> int:
            start.wait()
            return sign_in(server, "bob", "wrong-password").status

        with ThreadPoolExecutor(at_once) as pool:
            statuses = Counter(pool.map(attempt, range(at_once)))

    assert statuses == {401: MAX_FAILURES, 429: at_once - MAX_FAILURES}
    with database.connect() as connection:
        failures = connection.execute(
            text("SELECT failures FROM sign_in_failures WHERE username_lower = 'bob'")
        ).scalar()
    assert failures == MAX_FAILURES
