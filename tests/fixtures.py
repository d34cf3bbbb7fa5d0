"""Fixtures for every test: a database built by the migrations, an app, a client, and isolation.

The suite drops and recreates its own database (TEST_DATABASE_URL, by default `blog_test` on
localhost) and builds the schema with `alembic upgrade head`, so the tests run against exactly
what the migrations produce. It drops that database at the end, and each sibling database it
makes (`sibling_database`) as soon as the test that made it is done. When pytest-xdist runs the
suite on several workers (make pytest does), each worker does all this with a database of its
own, TEST_DATABASE_URL's name with the worker's id added (`blog_test_gw0`), and its siblings.

Each test runs inside one transaction on one connection, rolled back at the end. Sessions join
that transaction through savepoints (`join_transaction_mode="create_savepoint"`), so the code
under test may commit or roll back as it likes: only savepoints move, and the final rollback
erases everything. Every request made with `client` gets a fresh app context and so a fresh
session, as it would in production; the test's own session (`db.session`, used by the factories)
sees what requests wrote because both share the connection.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase

from blog import create_app
from blog.config import Settings, normalise_database_url
from blog.db import db
from blog.schemas import EXAMPLE_USER
from tests.databases import drop, migrate, recreate
from tests.helpers import StatementLog
from tests.servers import APP, Server, call, running, server_environment

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres:postgres@localhost:5432/blog_test"
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-production"
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HOW_TO_START_POSTGRES = """\
Start PostgreSQL, or point TEST_DATABASE_URL at one you can reach:
  - with Docker:   docker compose run --rm tests   (the suite in its image, with its database)
  - on Debian:     pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
  - elsewhere:     TEST_DATABASE_URL=postgresql://user:password@host:5432/blog_test make test"""


def resolve_test_database_url() -> str:
    """Return the URL of the database the suite may drop and recreate."""
    url = normalise_database_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL)
    name = make_url(url).database or ""
    if "test" not in name:
        pytest.exit(
            f"TEST_DATABASE_URL names the database {name!r}; the suite drops and recreates it, "
            "so its name must contain 'test'.",
            returncode=4,
        )
    return url


def recreate_database(url: str) -> None:
    """Drop the database `url` names, if it exists, and create it empty."""
    try:
        recreate(url)
    except OperationalError as exc:
        where = make_url(url).render_as_string(hide_password=True)
        pytest.exit(f"Cannot reach PostgreSQL at {where}:\n{exc.orig}\n\n{HOW_TO_START_POSTGRES}")


def worker_database_url(url: str, worker: str | None) -> str:
    """Return the database of one pytest-xdist worker: `url`'s with the worker's id added
    (`blog_test_gw0`), so that workers never share a database; `url` itself when there are none.
    """
    if not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """Build a fresh test database with the migrations, yield its URL, and drop it at the end.

    Under pytest-xdist (`make pytest` runs the suite on several workers) each worker builds and
    drops a database of its own, named after TEST_DATABASE_URL's with the worker's id added.
    """
    url = worker_database_url(resolve_test_database_url(), os.environ.get("PYTEST_XDIST_WORKER"))
    recreate_database(url)
    try:
        migrate(url)
        yield url
    finally:
        drop(url)


@contextmanager
def sibling_database(database_url: str, suffix: str) -> Iterator[str]:
    """Create, empty, a database named after the test database plus `suffix`; drop it after.

    For tests that run the app in other processes, which cannot join the test's transaction,
    and for the migration tests, which upgrade and downgrade an empty database.
    """
    url = make_url(database_url)
    sibling = url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)
    recreate_database(sibling)
    try:
        yield sibling
    finally:
        drop(sibling)


# Who a served app's database holds (`app_server`): the user the document's request examples
# name, with a password of this run's own (so the examples' cannot sign in), and a post.
SERVED_USER = EXAMPLE_USER
SERVED_PASSWORD = secrets.token_urlsafe(18)
SERVED_TAGS = ["python", "sqlalchemy"]


@contextmanager
def app_server(database_url: str, suffix: str, **settings: str) -> Iterator[Server]:
    """Serve the app under gunicorn, as `bin/app serve` does, on a sibling database that the
    migrations built, holding SERVED_USER and a post of theirs tagged SERVED_TAGS, made through
    the API; stop it and drop the database after.

    In development mode. For the checks beyond `make test` that talk to a real server (the
    clients layer's browser, generated client and schemathesis command line, when the tree has
    that layer).
    """
    with sibling_database(database_url, suffix) as url:
        migrate(url)
        environ = server_environment(
            BLOG_ENV="development",
            DATABASE_URL=url,
            SECRET_KEY=secrets.token_urlsafe(48),
            WEB_CONCURRENCY="2",
            GUNICORN_ACCESS_LOG="",
            **settings,
        )
        with running(APP, environ) as server:
            account = {"username": SERVED_USER, "password": SERVED_PASSWORD}
            email = f"{SERVED_USER}@example.com"
            signed_up = call(server.url + "/api/users", "POST", body=account | {"email": email})
            assert signed_up.status == 201, signed_up.body
            token = call(server.url + "/api/tokens", "POST", body=account).json()["access_token"]
            post = {"title": "Served", "body": "A post to read.", "tags": SERVED_TAGS}
            headers = {"Authorization": f"Bearer {token}"}
            posted = call(server.url + "/api/posts", "POST", body=post, headers=headers)
            assert posted.status == 201, posted.body
            yield server


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """Return the settings the test app runs with."""
    return Settings(
        env="testing",
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        # The lowest Argon2id parameters argon2-cffi accepts: one pass, 8 KiB, one lane.
        argon2_time_cost=1,
        argon2_memory_cost_kib=8,
        argon2_parallelism=1,
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[APIFlask]:
    """Create the app once for the whole suite."""
    app = create_app(settings)
    app.test_client_class = FreshContextClient
    # Sessions join the test's transaction through a savepoint instead of starting their own.
    db.session.session_factory.configure(join_transaction_mode="create_savepoint")
    yield app
    with app.app_context():
        db.engine.dispose()


class FreshContextClient(FlaskClient):
    """A test client that gives every request its own app context, and so its own session."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def connection(app: APIFlask) -> Iterator[Connection]:
    """Run the test in an app context, inside a transaction that is rolled back afterwards."""
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        with engine.connect() as connection:
            transaction = connection.begin()
            # Flask-SQLAlchemy's sessions ask db.engines for their bind: hand them the connection.
            engines[None] = connection  # type: ignore[assignment]
            try:
                yield connection
            finally:
                db.session.remove()
                engines[None] = engine
                transaction.rollback()


@pytest.fixture
def client(app: APIFlask) -> FlaskClient:
    """Return the app's test client, a FreshContextClient."""
    return app.test_client()


@pytest.fixture
def sql(connection: Connection) -> StatementLog:
    """Record the SQL statements a block of the test sends to PostgreSQL."""
    return StatementLog(connection)


@pytest.fixture
def throwaway_base() -> Iterator[type[DeclarativeBase]]:
    """Return a fresh declarative base for models defined inside one test, disposed after it."""

    class Throwaway(DeclarativeBase):
        pass

    yield Throwaway
    Throwaway.registry.dispose()
