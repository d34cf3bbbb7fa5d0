"""A world to call any operation of the API on, made by the factories.

It holds a user who signs in as the examples of blog/schemas.py do (a name and password of the
demo layer's data), and, for every path parameter of the API (`{post_id}`), a row of that
user's made by the parameter's maker in tests/factories.py. The checks that walk every
operation, or every field of every body, call them on it: tests/api/test_every_operation.py,
test_limits.py and test_hostile_input.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog.auth import hash_password
from blog.models import User
from blog.schemas import EXAMPLE_PASSWORD, EXAMPLE_USER
from tests.factories import MAKERS, UserFactory
from tests.helpers import auth_headers
from tests.inventory import PATH_PARAMETERS, Operation


@cache
def _example_password_hash() -> str:
    # Hashed once, as the factories' own password is.
    return hash_password(EXAMPLE_PASSWORD)


@dataclass
class World:
    """A user who signs in as the examples do, and a row of theirs for each path parameter."""

    user: User
    parameters: dict[str, str]

    @property
    def headers(self) -> dict[str, str]:
        """Return the Authorization header of a fresh token for the world's user."""
        return auth_headers(self.user)

    def call(
        self, client: FlaskClient, operation: Operation, query: str = "", **kwargs: Any
    ) -> TestResponse:
        """Send `operation` on the world's rows; `kwargs` go to the test client."""
        url = operation.path.format(**self.parameters) + query
        return client.open(url, method=operation.method, **kwargs)


def someone_else() -> User:
    """Make another user, with the examples' password (so `current_password` is right)."""
    return UserFactory(password_hash=_example_password_hash())


def assert_every_parameter_has_a_maker() -> None:
    """Fail, naming them, on the path parameters that tests/factories.py has no maker for."""
    missing = sorted(set(PATH_PARAMETERS) - set(MAKERS))
    assert not missing, f"tests/factories.py has no maker (@makes) for {missing}"


def make_world() -> World:
    """Make the user and a row of theirs for every path parameter of the API."""
    assert_every_parameter_has_a_maker()
    user = UserFactory(username=EXAMPLE_USER, password_hash=_example_password_hash())
    return World(user, {name: str(MAKERS[name](user)) for name in PATH_PARAMETERS})
