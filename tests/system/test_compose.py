"""What `docker compose up` runs, run here without Docker.

The commands come from docker-compose.yml itself, so this cannot drift from it: migrate, seed and
api are run as the containers would run them, against a fresh local database, and the API then
answers real HTTP requests from gunicorn, checked also with the compose healthcheck command.
The database gets the app's role from the db service's own init script (docker/db/), and each
service connects as the role its DATABASE_URL names: migrate as the owner, seed and api as the
app. What needs a Docker engine (the proxy in front, the images) is `make compose-test`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InternalError, ProgrammingError

from blog.config import KEY_NOT_SET
from blog.preflight import BAD_SETTINGS
from tests.compose import APP_ROLE_SCRIPT, compose_environment, service
from tests.databases import drop, exists, recreate
from tests.fixtures import PROJECT_ROOT, sibling_database
from tests.servers import EXITED_EARLY, Server, call, free_port, running, server_environment


@dataclass
class Stack:
    owner_url: str
    app_url: str
    environ: dict[str, str]
    base_url: str
    server: Server | None = field(default=None)
    outputs: dict[str, str] = field(default_factory=dict)

    def url_for(self, name: str) -> str:
        """Return the URL the service connects with: as the owner or as the app's role."""
        user = make_url(compose_environment(name)["DATABASE_URL"]).username
        return self.owner_url if user == "postgres" else self.app_url

    def environment(self, name: str, **settings: str) -> dict[str, str]:
        return (
            self.environ
            | compose_environment(name)
            | {"DATABASE_URL": self.url_for(name)}
            | settings
        )

    def run(self, name: str, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        """Run a one-shot service's command (or `args`) with its compose environment, here."""
        return subprocess.run(  # noqa: S603 - the command comes from our own compose file
            list(args) or service(name)["command"],
            cwd=PROJECT_ROOT,
            env=self.environment(name, **settings),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def get(self, path: str) -> tuple[int, str, bytes]:
        answer = call(self.base_url + path, timeout=5)
        return answer.status, answer.headers["Content-Type"], answer.body


def _drop_role(server_url: str, role: str) -> None:
    engine = create_engine(
        make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(role)
            connection.execute(text(f"DROP ROLE IF EXISTS {quoted}"))
    finally:
        engine.dispose()


def make_app_role(owner_url: str, role: str) -> str:
    """Run the db service's init script on the database `owner_url` names; return the app's URL."""
    owner = make_url(owner_url)
    password = secrets.token_urlsafe(16)
    result = subprocess.run(  # noqa: S603 - our own script
        [str(APP_ROLE_SCRIPT)],
        env=dict(os.environ)
        | {
            "PGHOST": owner.host or "localhost",
            "PGPORT": str(owner.port or 5432),
            "PGPASSWORD": owner.password or "",
            "POSTGRES_USER": owner.username or "postgres",
            "POSTGRES_DB": owner.database or "",
            "APP_DATABASE_USER": role,
            "APP_DATABASE_PASSWORD": password,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return owner.set(username=role, password=password).render_as_string(hide_password=False)


@contextmanager
def compose_database(database_url: str, suffix: str) -> Iterator[tuple[str, str]]:
    """A fresh database with the app's role; yield the owner's and the app's URLs.

    Roles belong to the whole server, not to one database, so the app's is named after the
    database. It is dropped after the database: PostgreSQL refuses to drop a role that still
    has privileges in one.
    """
    role = f"{make_url(database_url).database}_{suffix}_app"
    try:
        with sibling_database(database_url, suffix) as owner_url:
            # A run that was killed leaves the role and its database; the database has just
            # been made anew, and the role's privileges went with the old one.
            _drop_role(database_url, role)
            yield owner_url, make_app_role(owner_url, role)
    finally:
        _drop_role(database_url, role)


@pytest.fixture(scope="module")
def stack(database_url: str) -> Iterator[Stack]:
    with compose_database(database_url, "compose") as (owner_url, app_url):
        # As in the image: the app user's home is /nonexistent.
        environ = server_environment(HOME="/nonexistent")
        yield Stack(owner_url, app_url, environ, f"http://127.0.0.1:{environ['PORT']}")


def scalar_on(database_url: str, sql: str, **parameters: Any) -> Any:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(text(sql), parameters)
    finally:
        engine.dispose()


def table_counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                for table in ("users", "posts", "tags", "post_tags")
            }
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def migrated(stack: Stack) -> Stack:
    result = stack.run("migrate")
    assert result.returncode == 0, result.stderr
    stack.outputs["migrate"] = result.stdout + result.stderr
    return stack


@pytest.fixture(scope="module")
def seeded(migrated: Stack) -> Stack:
    result = migrated.run("seed")
    assert result.returncode == 0, result.stderr
    return migrated


@pytest.fixture(scope="module")
def api(seeded: Stack) -> Iterator[Stack]:
    """Start the api service's command, wait until it is healthy, and stop it afterwards."""
    with running(service("api")["command"], seeded.environment("api")) as server:
        seeded.server = server
        yield seeded
    assert server.process.returncode == 0, "gunicorn did not shut down cleanly on SIGTERM"


def test_migrate_builds_the_schema(migrated: Stack) -> None:
    assert table_counts(migrated.owner_url) == {
        "users": 0,
        "posts": 0,
        "tags": 0,
        "post_tags": 0,
    }


def test_seed_says_in_one_line_what_it_did(seeded: Stack) -> None:
    # With the demo layer installed, what it loaded (demo/tests/system/test_compose_demo.py);
    # without it, that there is no demo data to load.
    again = seeded.run("seed")

    assert again.returncode == 0, again.stderr
    assert len(again.stdout.splitlines()) == 1
    assert again.stderr == ""


def test_the_api_is_healthy(api: Stack) -> None:
    status, content_type, body = api.get("/healthz")

    assert status == 200
    assert content_type == "application/json"
    assert json.loads(body) == {"status": "ok"}


def test_the_compose_healthcheck_command_passes(api: Stack) -> None:
    command = service("api")["healthcheck"]["test"]
    assert command[0] == "CMD"

    result = subprocess.run(  # noqa: S603 - from our own compose file
        command[1:], env=api.environ, capture_output=True, text=True, timeout=10, check=False
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("path", "headers", "status", "answered_by"),
    [
        ("/api/tags?" + "x" * 5000, {}, 414, "the app"),
        ("/api/tags", {"X-Padding": "x" * 5000, "X-More": "y" * 5000}, 431, "the app"),
        ("/api/tags?" + "x" * 9000, {}, 414, "gunicorn"),
        ("/api/tags", {"X-Padding": "x" * 9000}, 431, "gunicorn"),
    ],
    ids=["long URL", "large headers", "URL past gunicorn's limit", "header past gunicorn's limit"],
)
def test_oversized_requests_are_refused_as_problems_up_to_gunicorns_limits(
    api: Stack, path: str, headers: dict[str, str], status: int, answered_by: str
) -> None:
    answer = call(api.base_url + path, headers=headers, timeout=5)

    assert answer.status == status
    expected = "application/problem+json" if answered_by == "the app" else "text/html"
    assert answer.headers["Content-Type"].startswith(expected)


def test_the_api_serves_its_docs_page_and_document(api: Stack) -> None:
    docs_status, docs_type, docs = api.get("/docs")
    spec_status, _, spec = api.get("/openapi.json")

    assert docs_status == 200
    assert docs_type.startswith("text/html")
    assert b"/openapi.json" in docs
    assert spec_status == 200
    assert "/api/posts" in json.loads(spec)["paths"]


def test_errors_from_gunicorn_are_problem_details(api: Stack) -> None:
    status, content_type, body = api.get("/no-such-page")

    assert status == 404
    assert content_type == "application/problem+json"
    assert json.loads(body)["status"] == 404


def test_the_services_run_here_with_the_home_the_image_gives_its_user(stack: Stack) -> None:
    dockerfile = Path(PROJECT_ROOT, "Dockerfile").read_text()

    assert re.search(r"useradd .*--no-create-home --home-dir /nonexistent ", dockerfile)
    assert stack.environ["HOME"] == "/nonexistent"


def test_migrate_says_what_it_did(migrated: Stack) -> None:
    again = migrated.run("migrate")

    assert "Running upgrade  -> " in migrated.outputs["migrate"]
    assert "The database is at revision" in migrated.outputs["migrate"]
    assert again.returncode == 0, again.stderr
    assert "Running upgrade" not in again.stderr
    assert "The database is at revision" in again.stderr


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE probe (id int)",
        "ALTER TABLE users ADD COLUMN probe int",
        "DROP TABLE posts",
        "TRUNCATE posts",
        "CREATE INDEX probe ON posts (title)",
        "CREATE SCHEMA probe",
    ],
)
def test_the_app_role_cannot_change_the_schema(seeded: Stack, statement: str) -> None:
    engine = create_engine(seeded.app_url)
    try:
        with (
            engine.connect() as connection,
            pytest.raises(ProgrammingError, match=r"permission denied|must be owner"),
        ):
            connection.execute(text(statement))
    finally:
        engine.dispose()


def test_the_app_role_reads_and_writes_rows(seeded: Stack) -> None:
    engine = create_engine(seeded.app_url)
    try:
        with engine.connect() as connection:
            assert (
                connection.scalar(text("SELECT current_user")) == make_url(seeded.app_url).username
            )
            connection.execute(text("INSERT INTO tags (name) VALUES ('probe')"))
            connection.execute(text("UPDATE tags SET name = 'probe-2' WHERE name = 'probe'"))
            deleted = connection.execute(text("DELETE FROM tags WHERE name = 'probe-2'"))
            connection.rollback()
    finally:
        engine.dispose()

    assert deleted.rowcount == 1


def test_the_tables_belong_to_the_role_that_ran_the_migrations(seeded: Stack) -> None:
    engine = create_engine(seeded.owner_url)
    try:
        with engine.connect() as connection:
            owners = set(
                connection.scalars(
                    text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
                )
            )
    finally:
        engine.dispose()

    assert owners == {make_url(seeded.owner_url).username}


def test_each_service_connects_as_the_role_its_database_url_names(api: Stack) -> None:
    owner, app = make_url(api.owner_url).username, make_url(api.app_url).username
    roles = {
        name: make_url(api.environment(name)["DATABASE_URL"]).username
        for name in ("migrate", "seed", "api")
    }
    assert roles == {"migrate": owner, "seed": app, "api": app}

    assert api.get("/api/posts")[0] == 200
    engine = create_engine(api.owner_url)
    try:
        with engine.connect() as connection:
            # The sessions of the database, this one left out: the api's pooled connections.
            sessions = connection.scalars(
                text(
                    "SELECT usename FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
            ).all()
    finally:
        engine.dispose()

    assert sessions
    assert set(sessions) == {app}


def test_the_role_a_killed_run_left_goes_once_its_database_is_made_anew(
    database_url: str,
) -> None:
    suffix = "compose_killed"
    name = f"{make_url(database_url).database}_{suffix}"
    role = f"{name}_app"
    left = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    roles = "SELECT count(*) FROM pg_roles WHERE rolname = :role"
    # What a run killed inside compose_database leaves: its database, and the role, which
    # has privileges there.
    recreate(left)
    make_app_role(left, role)
    try:
        with pytest.raises(InternalError) as refused:
            _drop_role(database_url, role)
        assert isinstance(refused.value.orig, psycopg.errors.DependentObjectsStillExist)

        with compose_database(database_url, suffix) as (owner_url, app_url):
            assert owner_url == left
            assert scalar_on(app_url, "SELECT current_user") == role
            # Roles belong to the server: seen from another database than the one it serves.
            assert scalar_on(database_url, roles, role=role) == 1

        assert scalar_on(database_url, roles, role=role) == 0
        assert not exists(left)
    finally:
        drop(left)
        _drop_role(database_url, role)


def test_gunicorn_opens_no_control_socket(api: Stack) -> None:
    assert api.server is not None
    output = api.server.output()

    assert "Listening at" in output
    assert "Control server" not in output
    assert "Permission denied" not in output


def test_the_api_stops_cleanly_on_sigterm_and_then_refuses_connections(seeded: Stack) -> None:
    environ = seeded.environment("api", PORT=str(free_port()))
    with running(service("api")["command"], environ) as server:
        assert call(server.url + "/healthz").status == 200

    assert server.process.returncode == 0
    with pytest.raises(OSError, match="Connection refused"):
        call(server.url + "/healthz")


def test_an_api_that_cannot_start_fails_with_what_it_said(stack: Stack) -> None:
    environ = stack.environment("api", BLOG_ENV="staging", PORT=str(free_port()))
    said = re.escape(EXITED_EARLY.format("app", BAD_SETTINGS.format("BLOG_ENV")))

    with pytest.raises(RuntimeError, match=said), running(service("api")["command"], environ):
        pass


@pytest.mark.parametrize("name", ["migrate", "seed", "api"])
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {
                "BLOG_ENV": "production",
                "SECRET_KEY": "",
                "DATABASE_URL": "postgresql://app:not-published@db.internal/blog",
            },
            KEY_NOT_SET,
        ),
        ({"BLOG_ENV": "staging"}, "BLOG_ENV"),
        ({"TOKEN_TTL_SECONDS": "soon"}, "TOKEN_TTL_SECONDS"),
    ],
    ids=[
        "production without a key",
        "unknown environment",
        "malformed number",
    ],
)
def test_a_bad_setting_stops_each_service_with_one_line(
    stack: Stack, name: str, bad: dict[str, str], message: str
) -> None:
    result = stack.run(name, **bad)

    (line,) = result.stderr.splitlines()
    assert result.returncode == 2
    assert line.startswith(BAD_SETTINGS.format(""))
    assert message in line  # the fault, or the variable that holds a bad value
    assert result.stdout == ""
