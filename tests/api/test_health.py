"""/healthz: 200 while the database answers, 503 problem details when it does not."""

from __future__ import annotations

import socket
import threading
from dataclasses import replace

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog import create_app
from blog.config import Settings
from tests.helpers import assert_problem


def test_healthy(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unhealthy_when_the_database_cannot_be_reached(settings: Settings) -> None:
    # Port 1 on localhost: nothing listens there, so every connection is refused at once.
    unreachable = replace(
        settings,
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/blog_test",
        db_connect_timeout_seconds=1,
    )
    app = create_app(unreachable)

    response = app.test_client().get("/healthz")

    body = assert_problem(response, 503)
    assert "database" in body["detail"]
    assert response.headers["Retry-After"]


def test_unhealthy_in_bounded_time_when_the_database_never_answers(settings: Settings) -> None:
    # A port that accepts connections and then says nothing, like a host whose packets are
    # dropped: only the connect timeout stops the wait, and the answer is a 503, not a hang.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        app = create_app(
            replace(
                settings,
                database_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/blog_test",
                db_connect_timeout_seconds=1,
            )
        )
        answers: list[TestResponse] = []
        request = threading.Thread(
            target=lambda: answers.append(app.test_client().get("/healthz")), daemon=True
        )
        request.start()
        request.join(timeout=10)

    assert answers, "the request was still waiting for the database after 10 s"
    body = assert_problem(answers[0], 503)
    assert "not available" in body["detail"]
