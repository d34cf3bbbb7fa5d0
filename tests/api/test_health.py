"""/healthz: 200 while the database answers, 503 problem details when it does not."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog import create_app
from blog.config import Settings
from blog.errors import DATABASE_DOWN
from tests.helpers import assert_problem

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/blog_test"


def test_healthy(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unhealthy_when_the_database_cannot_be_reached(settings: Settings) -> None:
    # Port 1 on localhost: nothing listens there, so every connection is refused at once.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", 1), timeout=1)
    unreachable = settings.model_copy(
        update={"database_url": UNREACHABLE, "db_connect_timeout_seconds": 1}
    )
    app = create_app(unreachable)

    response = app.test_client().get("/healthz")

    body = assert_problem(response, 503)
    assert body["detail"] == DATABASE_DOWN
    assert response.headers["Retry-After"]


def test_a_read_is_answered_503_while_the_database_is_down_whatever_token_it_sends(
    settings: Settings,
) -> None:
    # A read opens its connection before the token is checked, so that both run in one mode.
    app = create_app(settings.model_copy(update={"database_url": UNREACHABLE}))
    client = app.test_client()

    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        assert_problem(client.get("/api/tags", headers=headers), 503)


def test_unhealthy_in_bounded_time_when_the_database_never_answers(settings: Settings) -> None:
    # A port that accepts connections and then says nothing, like a host whose packets are
    # dropped: only the connect timeout stops the wait, and the answer is a 503, not a hang.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        app = create_app(
            settings.model_copy(
                update={
                    "database_url": f"postgresql+psycopg://postgres@127.0.0.1:{port}/blog_test",
                    "db_connect_timeout_seconds": 1,
                }
            )
        )
        answers: list[TestResponse] = []
        request = threading.Thread(
            target=lambda: answers.append(app.test_client().get("/healthz")), daemon=True
        )
        started = time.monotonic()
        request.start()
        request.join(timeout=10)
        waited = time.monotonic() - started

    assert answers, "the request was still waiting for the database after 10 s"
    assert waited >= 1, "the answer came before the connect timeout: something else stopped it"
    body = assert_problem(answers[0], 503)
    assert body["detail"] == DATABASE_DOWN
