"""Every status an operation answers is one its OpenAPI document lists for it.

Each operation of the document is sent a set of probes on the world of
tests/api/test_every_operation.py: the ways a careful client, or a careless one, gets an error
(no token, a token that is not valid, someone else's token, an unknown query parameter, a body
that is not JSON or not an object or too large, a URL or headers too large, a path that names
nothing, a stale or malformed If-Match or If-None-Match, wrong passwords until the throttle
answers, the database down) and, last, the request as it works. Whatever each answers, the
document must list that status for that operation: a generated client then has a type for every
answer it can get.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog import create_app
from blog.config import Settings
from blog.db import MAX_ID
from tests.helpers import auth_headers
from tests.inventory import OPERATIONS, Operation
from tests.world import World, someone_else


@dataclass
class Probe:
    """What a probe sends: the world's client, and the app without a database."""

    client: FlaskClient
    offline: FlaskClient
    world: World
    operation: Operation
    settings: Settings

    def send(self, query: str = "", *, client: FlaskClient | None = None, **kwargs: Any) -> int:
        kwargs.setdefault("headers", self.world.headers)
        if self.operation.takes_a_body:
            kwargs.setdefault("json", self.operation.example())
        response = self.world.call(client or self.client, self.operation, query, **kwargs)
        return response.status_code

    def naming(self, value: Callable[[str, str], str]) -> TestResponse:
        """Send the operation with each path parameter replaced by `value(name, world's)`."""
        parameters = {name: value(name, row) for name, row in self.world.parameters.items()}
        url = self.operation.path.format(**parameters)
        body = self.operation.example()
        return self.client.open(
            url, method=self.operation.method, headers=self.world.headers, json=body
        )


def wrong_passwords(body: Any) -> Any:
    """Return the example body with every password in it wrong (a new one stays valid)."""
    if not isinstance(body, dict):
        return body
    return {key: "wrong-password-1" if "password" in key else value for key, value in body.items()}


# Each probe sends one request, or a few, and returns the status of the last; those that change
# the world come last.
PROBES: dict[str, Callable[[Probe], int]] = {
    "without a token": lambda p: p.send(headers={}),
    "with a token that is not valid": lambda p: p.send(
        headers={"Authorization": "Bearer not-a-token"}
    ),
    "with a header that is not a bearer token": lambda p: p.send(
        headers={"Authorization": "Basic b3duZXI6eA=="}
    ),
    "with an unknown query parameter": lambda p: p.send("?per_pgae=5"),
    "with a query parameter out of range": lambda p: p.send("?per_page=0"),
    "with a body that is not JSON": lambda p: p.send(
        data="{", content_type="application/json", json=None
    ),
    "with a body that is not an object": lambda p: p.send(json=[]),
    "with an empty object as the body": lambda p: p.send(json={}),
    "with a body in another type": lambda p: p.send(
        data="{}", content_type="text/plain", json=None
    ),
    "with a body over the limit": lambda p: p.send(
        data=json.dumps({"body": "x" * p.settings.max_request_bytes}),
        content_type="application/json",
        json=None,
    ),
    "with a URL over the limit": lambda p: p.send("?tag=" + "a" * 5000),
    "with headers over the limit": lambda p: p.send(
        headers=p.world.headers | {"X-A": "a" * 5000, "X-B": "b" * 5000}
    ),
    "naming an id no row can have": lambda p: (
        p.naming(lambda name, row: str(MAX_ID + 1) if row.isdigit() else row).status_code
    ),
    "naming nothing": lambda p: (
        p.naming(
            lambda name, row: str(MAX_ID) if row.isdigit() else "nothing-by-this-name"
        ).status_code
    ),
    "with a stale If-Match": lambda p: p.send(headers=p.world.headers | {"If-Match": '"999999"'}),
    "with a malformed If-Match": lambda p: p.send(headers=p.world.headers | {"If-Match": "x"}),
    "with a malformed If-None-Match": lambda p: p.send(
        headers=p.world.headers | {"If-None-Match": "x"}
    ),
    "with If-None-Match: *": lambda p: p.send(headers=p.world.headers | {"If-None-Match": "*"}),
    "with the database down": lambda p: p.send(client=p.offline),
    "with the database down and no token": lambda p: p.send(client=p.offline, headers={}),
    "with someone else's token": lambda p: p.send(headers=auth_headers(someone_else())),
    "with a wrong password": lambda p: p.send(json=wrong_passwords(p.operation.example())),
    "as it works": lambda p: p.send(),
    "twice more": lambda p: [p.send() for _ in range(2)][-1],
    "with wrong passwords until the throttle answers": lambda p: [
        p.send(json=wrong_passwords(p.operation.example()))
        for _ in range(p.settings.sign_in_max_failures + 1)
    ][-1],
}


@pytest.fixture(scope="module")
def offline(settings: Settings) -> FlaskClient:
    """Return a client of the app with a database that does not answer."""
    nowhere = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    return create_app(settings.model_copy(update={"database_url": nowhere})).test_client()


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_every_status_a_probe_gets_is_documented(
    client: FlaskClient,
    offline: FlaskClient,
    world: World,
    operation: Operation,
    settings: Settings,
) -> None:
    probe = Probe(client, offline, world, operation, settings)

    answered = {name: send(probe) for name, send in PROBES.items()}

    undocumented = {
        name: status for name, status in answered.items() if not operation.documents(status)
    }
    assert undocumented == {}, f"{operation} answers statuses its document does not list"
    # The probes reach the statuses they are for, somewhere: none is idle.
    assert len(set(answered.values())) > 3
