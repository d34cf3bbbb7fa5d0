"""DB_POOLER=transaction: what the app does differently for a transaction-mode pooler.

A pooler in transaction mode (PgBouncer's `pool_mode = transaction`) lends a server connection
for one transaction at a time, so nothing set on a connection may be counted on in the next
transaction. Under DB_POOLER=transaction the app sends no startup `options`, prepares no
statements, and begins every transaction, reads included, by setting the statement timeout and
the time zone with `SET LOCAL`. These tests check that against PostgreSQL directly, on a
database whose own defaults differ from the app's; the pooler layer, when the tree has it, runs
the app behind a real PgBouncer (make pooler-test). Without the setting nothing changes: the
converse cases show it.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from apiflask import APIFlask
from sqlalchemy import Connection, create_engine, delete, event, text

from blog import create_app
from blog.auth import issue_token
from blog.config import ConfigError, Settings
from blog.db import db
from blog.errors import DATABASE_SLOW
from blog.models import Profile, User
from tests.databases import (
    DATABASE_TIME_ZONE,
    libpq_url,
    migrate,
    set_defaults_unlike_the_apps,
)
from tests.fixtures import sibling_database

TIMEOUT_MS = 300


@pytest.fixture(scope="module")
def database(database_url: str) -> Iterator[str]:
    """A migrated sibling database whose defaults are not the app's: no timeout, not UTC."""
    with sibling_database(database_url, "pooler_mode") as url:
        migrate(url)
        set_defaults_unlike_the_apps(url)
        yield url


def app_for(database: str, pooler: str) -> APIFlask:
    """Return an app on `database` with its own engine, not the suite's shared connection."""
    return create_app(
        Settings(
            env="testing",
            database_url=database,
            db_pooler=pooler,  # type: ignore[arg-type]
            db_statement_timeout_ms=TIMEOUT_MS,
        )
    )


@pytest.fixture(params=["none", "transaction"])
def standalone(request: pytest.FixtureRequest, database: str) -> Iterator[APIFlask]:
    """The app without DB_POOLER, then with DB_POOLER=transaction."""
    app = app_for(database, request.param)
    yield app
    with app.app_context():
        db.engine.dispose()


def pooled_mode(app: APIFlask) -> bool:
    return bool(app.extensions["blog.settings"].db_pooler == "transaction")


def connect_args(app: APIFlask) -> dict[str, object]:
    options: dict[str, dict[str, object]] = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    return options["connect_args"]


def test_db_pooler_takes_none_or_transaction() -> None:
    assert Settings.from_env({}).db_pooler == "none"
    assert Settings.from_env({"DB_POOLER": "transaction"}).db_pooler == "transaction"
    assert Settings.from_env({"DB_POOLER": ""}).db_pooler == "none"
    assert Settings.from_env({"DB_POOLER": " Transaction "}).db_pooler == "transaction"
    assert Settings.from_env({"DB_POOLER": "None"}).db_pooler == "none"
    with pytest.raises(ConfigError, match="DB_POOLER"):
        Settings.from_env({"DB_POOLER": "session"})


def test_psycopg_prepares_a_query_once_it_has_run_five_times_unless_told_not_to(
    database: str,
) -> None:
    counting = "SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1::int'"
    # prepare_threshold=5, psycopg's default: five runs unprepared, prepared at the sixth.
    for threshold, prepared_after in ((5, [0, 0, 0, 0, 0, 1, 1]), (None, [0] * 7)):
        with psycopg.connect(
            libpq_url(database), autocommit=True, prepare_threshold=threshold
        ) as connection:
            seen = []
            for number in range(7):
                connection.execute("SELECT %s::int", [number])
                seen.append(connection.execute(counting).fetchone())
        assert seen == [(count,) for count in prepared_after]


def test_behind_a_pooler_no_startup_options_are_sent_and_nothing_is_prepared(
    standalone: APIFlask,
) -> None:
    pooled = pooled_mode(standalone)
    args = connect_args(standalone)

    if pooled:
        assert "options" not in args
        assert args["prepare_threshold"] is None
    else:
        assert args["options"] == f"-c statement_timeout={TIMEOUT_MS} -c timezone=UTC"
        assert "prepare_threshold" not in args  # psycopg's default: prepare at the sixth run


def test_behind_a_pooler_a_read_prepares_no_statement_on_the_server(standalone: APIFlask) -> None:
    pooled = pooled_mode(standalone)
    client = standalone.test_client()
    for _ in range(8):  # more than psycopg's threshold of five runs
        assert client.get("/api/tags").status_code == 200

    with standalone.app_context():
        # The pool's one connection, the one every request above used.
        prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        db.session.rollback()

    if pooled:
        assert prepared == 0
    else:
        # Autocommit reads keep psycopg's prepared statements from one request to the next.
        assert prepared > 0


def test_every_transaction_of_a_get_sets_the_timeout_and_utc_locally(standalone: APIFlask) -> None:
    pooled = pooled_mode(standalone)
    with standalone.test_request_context("/api/tags", method="GET"):
        standalone.preprocess_request()  # the before_request hooks a GET runs through
        in_request = (
            db.session.scalar(text("SHOW statement_timeout")),
            db.session.scalar(text("SHOW TimeZone")),
        )
        # What the server connection keeps once the request's transaction (if any) commits;
        # a plain SET would survive a COMMIT (a ROLLBACK undoes both).
        raw = db.session.connection().connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        db.session.commit()
        with raw.cursor() as cursor:
            kept = (
                cursor.execute("SHOW statement_timeout").fetchone(),
                cursor.execute("SHOW TimeZone").fetchone(),
            )
        raw.rollback()

    assert in_request == (f"{TIMEOUT_MS}ms", "UTC")
    if pooled:
        # SET LOCAL: gone with the transaction, the database's defaults are back.
        assert kept == (("0",), (DATABASE_TIME_ZONE,))
    else:
        # The startup options last as long as the connection.
        assert kept == ((f"{TIMEOUT_MS}ms",), ("UTC",))


def test_behind_a_pooler_a_get_runs_in_a_transaction(standalone: APIFlask) -> None:
    pooled = pooled_mode(standalone)
    with standalone.test_request_context("/api/tags", method="GET"):
        standalone.preprocess_request()
        raw = db.session.connection().connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        autocommit = raw.autocommit
        db.session.rollback()

    # Without the setting a GET reads in autocommit (tests/api/test_transactions.py); behind a
    # pooler that would leave its statements without the SET LOCAL of a transaction.
    assert autocommit is not pooled


def test_a_get_reads_the_token_it_does_not_require_as_it_reads_the_rest(
    standalone: APIFlask,
) -> None:
    pooled = pooled_mode(standalone)
    with standalone.app_context():
        user = User(username="reader", email="reader@example.com", password_hash="unused")
        user.profile = Profile()
        db.session.add(user)
        db.session.commit()
        token, _ = issue_token(user)
        engine = db.engine
    modes: list[bool] = []

    def record(conn: Connection, *_: object) -> None:
        modes.append(conn.connection.dbapi_connection.autocommit)  # type: ignore[union-attr]

    event.listen(engine, "after_cursor_execute", record)
    try:
        # GET /api/tags reads a token without requiring one: the token's user is looked up too.
        headers = {"Authorization": f"Bearer {token}"}
        assert standalone.test_client().get("/api/tags", headers=headers).status_code == 200
    finally:
        event.remove(engine, "after_cursor_execute", record)
        with standalone.app_context():
            db.session.execute(delete(User).filter_by(id=user.id))
            db.session.commit()

    # The user's lookup and the view's reads alike: in autocommit, or behind a pooler all in
    # a transaction.
    assert len(modes) >= 2
    assert set(modes) == {not pooled}


def test_each_transaction_costs_one_settings_statement_behind_a_pooler(
    standalone: APIFlask,
) -> None:
    sent: list[str] = []

    def record(_conn: Connection, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    client = standalone.test_client()
    credentials = {"username": "nobody", "password": "x" * 8}
    with standalone.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/api/tags").status_code == 200
        read = list(sent)
        sent.clear()
        # A failed sign-in: one transaction, the throttle's count and the user's lookup.
        assert client.post("/api/tokens", json=credentials).status_code == 401
        write = list(sent)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    settings = [statement for statement in read + write if "set_config" in statement]
    if pooled_mode(standalone):
        assert sum("set_config" in statement for statement in read) == 1
        assert sum("set_config" in statement for statement in write) == 1
    else:
        assert settings == []


def test_a_read_stuck_behind_a_lock_gets_503_after_the_timeout(
    standalone: APIFlask, database: str
) -> None:
    engine = create_engine(database)
    try:
        with engine.connect() as connection, connection.begin():
            # Should the read not time out, the lock goes after 5 s: a failure, not a hang.
            connection.execute(text("SET LOCAL idle_in_transaction_session_timeout = 5000"))
            connection.execute(text("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE"))
            response = standalone.test_client().get("/api/posts")
            assert response.status_code == 503
            assert response.content_type == "application/problem+json"
            assert response.get_json()["detail"] == DATABASE_SLOW
        assert standalone.test_client().get("/api/posts").status_code == 200
    finally:
        engine.dispose()
