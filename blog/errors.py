"""Every error the app answers, as RFC 9457 problem details (`application/problem+json`).

Errors about the input add `errors`, one entry per fault: a JSON Pointer into the body
(`"pointer": "/tags/0"`) or the query parameter (`"parameter": "per_page"`). Each handler rolls
the session back first, so a request that fails leaves nothing in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from apiflask import APIFlask, HTTPError
from flask import Response, current_app
from psycopg.errors import QueryCanceled
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug import exceptions as http
from werkzeug.datastructures import WWWAuthenticate

from blog.db import db

PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger(__name__)

# What views and services raise: Werkzeug's exceptions, whose description is the `detail`,
# and this module's subclasses of them. TooManyRequests takes `retry_after`, in seconds.
NotFound = http.NotFound
PreconditionFailed = http.PreconditionFailed
TooManyRequests = http.TooManyRequests


class Unauthorized(http.Unauthorized):
    """A 401 whose `WWW-Authenticate` names the scheme a token must be sent with."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, www_authenticate=WWWAuthenticate("bearer"))


class _WithErrors(http.HTTPException):
    def __init__(self, detail: str, *, errors: Sequence[Mapping[str, str]] = ()) -> None:
        super().__init__(detail)
        self.errors = list(errors)  # the parts of the input at fault


class Forbidden(_WithErrors, http.Forbidden):
    """A 403: the signed-in user may not do this."""


class Unprocessable(_WithErrors, http.UnprocessableEntity):
    """A 422: well-formed input that cannot be acted on."""


# Unique constraints a client can run into, with the field to point at and what to say.
UNIQUE_VIOLATIONS = {
    "uq_users_username_lower": ("/username", "This username is taken."),
    "uq_users_email_lower": ("/email", "This email address is already registered."),
}


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
    response.headers.update(headers or {})
    return response


def _rollback() -> None:
    # The session may hold half of a failed write; nothing of it must reach a later commit.
    try:
        db.session.rollback()
    except Exception:  # the connection is broken; the pool replaces it
        log.debug("Rolling back after an error failed too", exc_info=True)


def _http_exception(error: http.HTTPException) -> Response:
    _rollback()
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    errors = getattr(error, "errors", ())
    return problem(error.code or 500, error.description, errors=errors, headers=headers)


def _apiflask_error(error: HTTPError) -> Response:
    _rollback()
    response = problem(error.status_code, error.message)
    response.headers.update(error.headers)
    return response


def _integrity_error(error: IntegrityError) -> Response:
    _rollback()
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    if constraint in UNIQUE_VIOLATIONS:
        pointer, detail = UNIQUE_VIOLATIONS[constraint]
        return problem(409, detail, errors=[{"pointer": pointer, "detail": detail}])
    log.warning("Integrity error mapped to 409: %s", error.orig)
    return problem(409, "The request conflicts with the current state of the data.")


def _stale_data(error: StaleDataError) -> Response:
    # The ORM's UPDATE found the row at another version: someone changed it since it was read.
    _rollback()
    return problem(
        412, "The post changed while this request was editing it; read it again and retry."
    )


def _database_unavailable(error: Exception) -> Response:
    log.error("Database unavailable: %s", error)
    _rollback()
    if isinstance(getattr(error, "orig", None), QueryCanceled):
        detail = "The database took too long to answer. Try again in a moment."
    else:
        detail = "The database is not available. Try again in a moment."
    return problem(503, detail, headers={"Retry-After": "5"})


def _unexpected(error: Exception) -> Response:
    log.exception("Unhandled exception", exc_info=error)
    _rollback()
    return problem(500, "Something went wrong on our side.")


def register_error_handlers(app: APIFlask) -> None:
    """Route every kind of error through `problem()`."""
    app.error_processor(_apiflask_error)
    # Registered after APIFlask's own handler for Werkzeug's exceptions, so this one wins.
    app.register_error_handler(http.HTTPException, _http_exception)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(StaleDataError, _stale_data)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(PoolTimeoutError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)
