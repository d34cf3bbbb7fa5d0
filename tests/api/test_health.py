"""/healthz: 200 while the database answers, 503 problem details when it does not."""

from __future__ import annotations

from dataclasses import replace

from flask.testing import FlaskClient

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
