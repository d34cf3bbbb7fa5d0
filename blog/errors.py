"""One place that turns every error into RFC 9457 problem details.

Whatever goes wrong - invalid input, a missing token, an unknown route, a duplicate username, a
database that is down, a bug - the client receives `application/problem+json` with `type`,
`title`, `status` and `detail`. Validation errors add `errors`: one entry per problem, with a
JSON Pointer into the request body (`"pointer": "/tags/0"`) or the name of the query parameter
(`"parameter": "per_page"`). The handlers roll the session back, so a request that fails leaves
nothing behind in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from apiflask import APIFlask, HTTPError
from flask import Response, current_app
from psycopg.errors import QueryCanceled
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from blog.db import db

PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger(__name__)

# Unique constraints a client can run into, with the field to point at and what to say.
UNIQUE_VIOLATIONS: dict[str, tuple[str, str]] = {
    "uq_users_username_lower": ("/username", "This username is taken."),
    "uq_users_email_lower": ("/email", "This email address is already registered."),
}


class ApiError(Exception):
    """An error the client can act on; raise a subclass from a view or service function."""

    status: int = HTTPStatus.BAD_REQUEST
    headers: Mapping[str, str] = {}  # that the answer carries

    def __init__(self, detail: str, *, errors: Sequence[Mapping[str, str]] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)


class Unauthorized(ApiError):
    """The request needs credentials it did not send, or sent wrong ones."""

    status = HTTPStatus.UNAUTHORIZED
    headers: Mapping[str, str] = {"WWW-Authenticate": "Bearer"}


class NotFound(ApiError):
    """The thing the request names does not exist."""

    status = HTTPStatus.NOT_FOUND


class Forbidden(ApiError):
    """The thing exists, but the signed-in user may not do this to it."""

    status = HTTPStatus.FORBIDDEN


class PreconditionFailed(ApiError):
    """The client's copy is not the current one (If-Match names an older version)."""

    status = HTTPStatus.PRECONDITION_FAILED


class TooManyRequests(ApiError):
    """Too many attempts lately; the answer's `Retry-After` says when to try again."""

    status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after)}


class Unprocessable(ApiError):
    """Well-formed input that cannot be acted on (a reply to another post's comment, ...)."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: Sequence[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build an RFC 9457 problem details response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
    }
    if errors:
        body["errors"] = list(errors)
    response = current_app.response_class(
        current_app.json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE
    )
    if headers:
        response.headers.update(headers)
    return response


def json_pointer(location: Sequence[str | int]) -> str:
    """Return the RFC 6901 JSON Pointer for a pydantic error location."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in location)


def _validation_errors(location: str, error: ValidationError) -> list[dict[str, str]]:
    errors = []
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        loc = item["loc"]
        if location == "json":
            errors.append({"pointer": json_pointer(loc), "detail": item["msg"]})
        else:
            errors.append({"parameter": str(loc[0]) if loc else "", "detail": item["msg"]})
    return errors


def _rollback() -> None:
    # The session may hold half of a failed write; nothing of it must reach a later commit.
    db.session.rollback()


def _api_error(error: ApiError) -> Response:
    _rollback()
    return problem(error.status, error.detail, errors=error.errors, headers=error.headers)


def _apiflask_error(error: HTTPError) -> Response:
    _rollback()
    cause = error.__cause__
    if isinstance(cause, ValidationError) and isinstance(error.detail, dict) and error.detail:
        location = next(iter(error.detail))
        what = "request body" if location == "json" else "query string"
        return problem(
            error.status_code,
            f"The {what} is not valid.",
            errors=_validation_errors(location, cause),
        )
    response = problem(error.status_code, error.message)
    response.headers.update(error.headers)
    return response


def _http_exception(error: HTTPException) -> Response:
    _rollback()
    status = error.code or HTTPStatus.INTERNAL_SERVER_ERROR
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem(status, error.description, headers=headers)


def _integrity_error(error: IntegrityError) -> Response:
    _rollback()
    diag = getattr(error.orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if constraint in UNIQUE_VIOLATIONS:
        pointer, detail = UNIQUE_VIOLATIONS[constraint]
        return problem(HTTPStatus.CONFLICT, detail, errors=[{"pointer": pointer, "detail": detail}])
    log.warning("Integrity error mapped to 409: %s", error.orig)
    return problem(HTTPStatus.CONFLICT, "The request conflicts with the current state of the data.")


def _stale_data(error: StaleDataError) -> Response:
    # The ORM's UPDATE found the row at another version: someone changed it since it was read.
    _rollback()
    return problem(
        HTTPStatus.PRECONDITION_FAILED,
        "The post changed while this request was editing it; read it again and retry.",
    )


def _database_unavailable(error: Exception) -> Response:
    log.error("Database unavailable: %s", error)
    try:
        _rollback()
    except Exception:  # the connection is already broken; the pool will replace it
        log.debug("Rollback after a database error failed too", exc_info=True)
    if isinstance(getattr(error, "orig", None), QueryCanceled):
        detail = "The database took too long to answer. Try again in a moment."
    else:
        detail = "The database is not available. Try again in a moment."
    return problem(HTTPStatus.SERVICE_UNAVAILABLE, detail, headers={"Retry-After": "5"})


def _unexpected(error: Exception) -> Response:
    log.exception("Unhandled exception", exc_info=error)
    try:
        _rollback()
    except Exception:  # already failing: report the original error, not this one
        log.debug("Rollback after an unhandled exception failed too", exc_info=True)
    return problem(HTTPStatus.INTERNAL_SERVER_ERROR, "Something went wrong on our side.")


def register_error_handlers(app: APIFlask) -> None:
    """Route every kind of error through `problem()`."""
    app.error_processor(_apiflask_error)
    # Registered after APIFlask's own handler for Werkzeug exceptions, so this one wins.
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(StaleDataError, _stale_data)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(PoolTimeoutError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)
