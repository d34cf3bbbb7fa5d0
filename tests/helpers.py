"""Small helpers the tests share: signing in, loading rows with COPY, checking problem details,
recording SQL."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, event, inspect
from werkzeug.test import TestResponse

from blog.auth import issue_token
from blog.db import Base, db
from blog.errors import PROBLEM_TYPES, ProblemType
from blog.models import User

ModelT = TypeVar("ModelT", bound=Base)


def auth_headers(user: User) -> dict[str, str]:
    """Return the Authorization header of a freshly signed token for `user`."""
    token, _ = issue_token(user)
    return {"Authorization": f"Bearer {token}"}


_TRANSACTION_CONTROL = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b")


class StatementLog:
    """The SQL statements sent over the test's connection while recording."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.statements: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not _TRANSACTION_CONTROL.match(statement):
            self.statements.append(" ".join(statement.split()))

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        """Collect the statements sent inside the block (savepoint housekeeping left out)."""
        self.statements = []
        event.listen(self.connection, "before_cursor_execute", self._record)
        try:
            yield self.statements
        finally:
            event.remove(self.connection, "before_cursor_execute", self._record)


def copy_rows(statement: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Stream `rows` into PostgreSQL with `statement`, a COPY ... FROM STDIN, on the session's
    own connection."""
    driver_connection = db.session.connection().connection.driver_connection
    if driver_connection is None:
        raise RuntimeError("The session's connection has been closed.")
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def assert_problem(
    response: TestResponse, status: int, kind: ProblemType | None = None
) -> dict[str, Any]:
    """Check that `response` is RFC 9457 problem details with `status`, of one of the problem
    types blog/errors.py registers (`kind`, if given), and return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert isinstance(body, dict)
    types = {registered.uri: registered for registered in PROBLEM_TYPES.values()}
    assert body["type"] in types, body
    assert types[body["type"]].status == status
    if kind is not None:
        assert body["type"] == kind.uri, body
    assert body["status"] == status
    assert body["title"] == types[body["type"]].title
    assert body["detail"]
    return body


def pointers(body: dict[str, Any]) -> list[str]:
    """Return the JSON Pointers (or query parameter names) a validation problem lists."""
    return [error.get("pointer", error.get("parameter")) for error in body["errors"]]


def fresh(obj: ModelT) -> ModelT:
    """Return `obj` as a new request would see it: its row loaded again, no relationship loaded.

    Every object in the test's session is detached first, so nothing already in memory can
    stand in for what the database holds.
    """
    model, key = type(obj), inspect(obj).identity
    db.session.expunge_all()
    loaded = db.session.get(model, key)
    assert loaded is not None
    return loaded


def whole(message: str) -> str:
    """A pattern for `pytest.raises(match=...)`: all of `message`, any value in each `{}`."""
    return "^" + ".+".join(re.escape(part) for part in re.split(r"\{[^{}]*\}", message)) + "$"
