"""Database outages: the API under gunicorn, against a PostgreSQL cluster this test owns.

The test makes its own cluster with the machine's PostgreSQL binaries (initdb, pg_ctl) in a
temporary directory, so it can stop and start it without touching the server the rest of the
suite uses. The cluster listens only on a Unix socket in that directory: a TCP port, free while
the cluster is down, could meanwhile become the local port of any outgoing connection on the
machine, and the restart would then fail to bind it.

With the database gone, every request gets a 503 problem details answer at once instead of
hanging; a query stuck behind a lock gets one after the statement timeout; and when the database
comes back the same gunicorn worker serves again, with everything committed before the outage
still there. The server has one worker, so every request meets the same pool, and which request
meets a connection PostgreSQL ended and which one must open a new connection is known in advance.
(With several workers, which one accepts each request is the kernel's choice.)

The binaries are found on PATH, else in /usr/lib/postgresql/<version>/bin (Debian's layout).
As root, the cluster runs as the `postgres` user.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import URL, Connection, create_engine, text
from sqlalchemy.exc import OperationalError

from blog.errors import DATABASE_DOWN, DATABASE_SLOW
from tests.databases import migrate
from tests.fixtures import recreate_database
from tests.servers import APP, Answer, Server, call, running, server_environment

CONNECT_TIMEOUT_SECONDS = 2
STATEMENT_TIMEOUT_MS = 1000
# The port only names the socket file, in a directory of the cluster's own.
PORT = 5432
# The client gives up after this long: an answer that has not come by then is a failure.
PATIENCE_SECONDS = CONNECT_TIMEOUT_SECONDS + 3


def postgres_binary(name: str) -> str:
    """Return the path of one of PostgreSQL's server programs."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if not versions:
        pytest.fail(f"{name} is not installed: the outage tests need PostgreSQL's server programs")
    return str(versions[-1])


@dataclass
class Cluster:
    """A PostgreSQL cluster of our own: a directory for its data and socket, and pg_ctl."""

    directory: Path

    def _run(self, *arguments: str) -> None:
        command = list(arguments)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def init(self) -> None:
        self._run(
            postgres_binary("initdb"),
            "--pgdata", str(self.directory / "data"),
            "--username", "postgres",
            "--auth", "trust",
            "--encoding", "UTF8",
            "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {PORT} -c listen_addresses='' -c unix_socket_directories='{self.directory}'"
            " -c fsync=off"
        )
        self._run(
            postgres_binary("pg_ctl"),
            "start", "--wait",
            "--pgdata", str(self.directory / "data"),
            "--log", str(self.directory / "postgres.log"),
            "--options", options,
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(
            postgres_binary("pg_ctl"),
            "stop", "--wait", "--mode", mode,
            "--pgdata", str(self.directory / "data"),
        )  # fmt: skip

    def running(self) -> bool:
        return (self.directory / "data" / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return URL.create(
            "postgresql+psycopg",
            username="postgres",
            database=database,
            query={"host": str(self.directory), "port": str(PORT)},
        ).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    directory = Path(tempfile.mkdtemp(prefix="blog-outage-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = Cluster(directory)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            cluster.stop("immediate")  # a throwaway: nothing in it needs a clean shutdown
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def server(cluster: Cluster) -> Iterator[Server]:
    url = cluster.url("blog")
    recreate_database(url)
    migrate(url)
    environ = server_environment(
        BLOG_ENV="production",
        DATABASE_URL=url,
        SECRET_KEY=secrets.token_urlsafe(48),
        WEB_CONCURRENCY="1",
        GUNICORN_ACCESS_LOG="",
        DB_CONNECT_TIMEOUT_SECONDS=str(CONNECT_TIMEOUT_SECONDS),
        DB_STATEMENT_TIMEOUT_MS=str(STATEMENT_TIMEOUT_MS),
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST_KIB="8",
        ARGON2_PARALLELISM="1",
    )
    with running(APP, environ) as server:
        yield server


def assert_unavailable(answer: Answer, detail: str) -> None:
    assert answer.status == 503, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.headers["Retry-After"]
    assert answer.json()["detail"] == detail


def kinds(errors: list[str]) -> list[str]:
    """Name each logged database error: a session PostgreSQL ended, or no server to connect to."""
    return [
        "ended"
        if "terminating connection" in error
        else "no server"
        if "No such file or directory" in error
        else error
        for error in errors
    ]


def logged_errors(server: Server, since: int) -> list[str]:
    """Return the database errors the server has logged after the first `since` characters."""
    return re.findall(r"^Database unavailable: (.*)$", server.output()[since:], re.M)


def test_the_api_answers_503_while_the_database_is_down_and_recovers_by_itself(
    server: Server, cluster: Cluster, connection: Connection
) -> None:
    account = {
        "username": "survivor",
        "email": "survivor@example.com",
        "password": "a-racing-passphrase-2026",
    }
    assert call(f"{server.url}/api/users", "POST", body=account).status == 201
    signed = {"username": account["username"], "password": account["password"]}
    token = call(f"{server.url}/api/tokens", "POST", body=signed).json()["access_token"]
    author = {"Authorization": f"Bearer {token}"}
    post = call(
        f"{server.url}/api/posts",
        "POST",
        body={"title": "Before the outage", "body": "Committed.", "tags": ["kept"]},
        headers=author,
    ).json()
    (worker,) = server.workers()
    logged_before = len(server.output())

    cluster.stop()
    try:
        # Every kind of request, three times: an answer in good time, and it says why. The
        # first meets the pooled connection, whose session PostgreSQL ended as it shut down,
        # and SQLAlchemy discards the pool; every later one finds no server to connect to.
        # Each is a 503, and each error is logged before its answer is sent.
        down = [
            call(f"{server.url}{path}", method, body=body, headers=author, timeout=PATIENCE_SECONDS)
            for _ in range(3)
            for method, path, body in [
                ("GET", "/healthz", None),
                ("GET", "/api/posts", None),
                ("GET", f"/api/posts/{post['id']}", None),
                ("POST", "/api/posts", {"title": "During the outage", "body": "Lost?"}),
            ]
        ]
        errors = logged_errors(server, logged_before)
        # The suite's own PostgreSQL, meanwhile, is untouched.
        assert connection.scalar(text("SELECT 1")) == 1
    finally:
        cluster.start()

    for answer in down:
        assert_unavailable(answer, DATABASE_DOWN)
    assert kinds(errors) == ["ended"] + ["no server"] * (len(down) - 1), errors

    # Back: the pool went with the first failure, so every request connects afresh and succeeds.
    answers = [call(f"{server.url}/api/posts", timeout=PATIENCE_SECONDS) for _ in range(20)]
    assert [answer.status for answer in answers] == [200] * 20, [a.body for a in answers]
    # The same worker, not a restarted one; and the data from before the outage, all of it.
    assert server.workers() == [worker]
    assert call(f"{server.url}/healthz").status == 200
    page = call(f"{server.url}/api/posts").json()
    assert [(item["id"], item["title"], item["tags"]) for item in page["items"]] == [
        (post["id"], "Before the outage", ["kept"])
    ]
    assert call(f"{server.url}/api/tokens", "POST", body=signed).status == 200


def test_a_restart_between_two_requests_costs_one_503_then_the_pool_is_new(
    server: Server, cluster: Cluster
) -> None:
    # Without DB_POOL_PRE_PING, a pooled connection is not tested before use: the first
    # request after the restart meets the session PostgreSQL ended, gets a 503, and SQLAlchemy
    # discards the pool; the next request connects afresh.
    assert call(f"{server.url}/api/posts").status == 200  # the pool holds a connection
    logged_before = len(server.output())

    cluster.stop()
    cluster.start()
    answers = [call(f"{server.url}/api/posts", timeout=PATIENCE_SECONDS) for _ in range(5)]

    assert_unavailable(answers[0], DATABASE_DOWN)
    assert [answer.status for answer in answers[1:]] == [200] * 4
    assert kinds(logged_errors(server, logged_before)) == ["ended"]


def test_a_query_stuck_behind_a_lock_gets_503_after_the_statement_timeout(
    server: Server, cluster: Cluster
) -> None:
    engine = create_engine(cluster.url("blog"))
    try:
        with engine.connect() as connection, connection.begin():
            # An ACCESS EXCLUSIVE lock on posts: reads of the table wait until it is released.
            connection.execute(text("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE"))
            answer = call(f"{server.url}/api/posts", timeout=PATIENCE_SECONDS)
            assert_unavailable(answer, DATABASE_SLOW)
        assert call(f"{server.url}/api/posts").status == 200
    finally:
        engine.dispose()


def test_after_one_dead_connection_sqlalchemy_discards_the_whole_pool(
    database_url: str, connection: Connection
) -> None:
    engine = create_engine(database_url, pool_size=2)
    try:
        first, second = engine.connect(), engine.connect()
        pids = {c.scalar(text("SELECT pg_backend_pid()")) for c in (first, second)}
        first.close()
        second.close()
        # Both are back in the pool when PostgreSQL ends their sessions.
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})

        with pytest.raises(OperationalError), engine.connect() as dead:
            dead.execute(text("SELECT 1"))
        # Both places in the pool now give new sessions, the one that failed and the other,
        # whose session PostgreSQL had ended too but which was never tried.
        with engine.connect() as one, engine.connect() as other:
            fresh = {c.scalar(text("SELECT pg_backend_pid()")) for c in (one, other)}
        assert len(fresh) == 2
        assert fresh.isdisjoint(pids)
    finally:
        engine.dispose()


def test_a_call_that_gets_no_answer_in_time_fails() -> None:
    with socket.socket() as silent:
        # The kernel accepts the connection; nobody ever answers on it.
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]

        with pytest.raises(TimeoutError):
            call(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
