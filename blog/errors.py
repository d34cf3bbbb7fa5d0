"""Every error the app answers, as RFC 9457 problem details of a type in `PROBLEM_TYPES`,
and the page at each type's URI saying what it means."""

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from apiflask import APIFlask, HTTPError
from flask import Response, current_app
from psycopg.errors import ForeignKeyViolation, QueryCanceled
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug import exceptions as http

from blog.db import db

PROBLEM_MEDIA_TYPE = "application/problem+json"
# RFC 9110 renamed these statuses; Python's HTTPStatus has their RFC 7231 names before 3.13.
_RFC_9110_TITLES = {
    413: "Content Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}

log = logging.getLogger(__name__)


def title(status: int) -> str:
    """Return RFC 9110's name of `status` (RFC 6585's for 428-431)."""
    return _RFC_9110_TITLES.get(status) or HTTPStatus(status).phrase


@dataclass(frozen=True)
class ProblemType:
    """A kind of error with its own `type`, answered with `status`; `means` says when."""

    name: str
    status: int
    means: str

    @property
    def uri(self) -> str:
        """Return the `type`: a relative URI, resolved against the request's URL."""
        return "/docs/problems/" + self.name

    @property
    def title(self) -> str:
        """Return the `title`, the status's name."""
        return title(self.status)


# Each type: name, status, meaning. An error that names no type has the first of its status.
_TYPES = """\
malformed-request 400 The body is not JSON or UTF-8, or a write's If-None-Match is bad.
token-required 401 No bearer token came where one is needed: sign in (POST /api/tokens).
invalid-token 401 The bearer token is malformed, expired or revoked: sign in again.
wrong-credentials 401 The username or password is wrong.
not-yours 403 What you asked to change is someone else's; your token is good.
wrong-password 403 The `current_password` confirming the change is wrong.
not-found 404 No such route, id, username or tag.
method-not-allowed 405 The route has no such method; `Allow` lists its own.
conflict 409 A value that must be unique is taken, such as a username or an email address.
comments-full 409 The post holds as many comments as a post may; no more can be added.
precondition-failed 412 `If-Match` or `If-None-Match` is false: read again.
content-too-large 413 The body is larger than the server accepts.
uri-too-long 414 The URL is longer than 4,096 bytes.
unsupported-media-type 415 The body is not sent as `application/json`.
invalid-input 422 A field or query parameter breaks its rule; see `errors`.
too-many-attempts 429 Too many password attempts lately: wait `Retry-After`.
passwords-busy 429 Too many passwords are being checked at once: wait `Retry-After`.
headers-too-large 431 The headers add up to more than 8,192 bytes.
internal-error 500 A fault on the server's side, logged; nothing changed.
database-unavailable 503 The database is down or too slow: wait `Retry-After`.
"""
PROBLEM_TYPES = {
    name: ProblemType(name, int(status), means)
    for name, status, means in (line.split(" ", 2) for line in _TYPES.splitlines())
}
TOKEN_REQUIRED = PROBLEM_TYPES["token-required"]
INVALID_TOKEN = PROBLEM_TYPES["invalid-token"]
WRONG_CREDENTIALS = PROBLEM_TYPES["wrong-credentials"]
WRONG_PASSWORD = PROBLEM_TYPES["wrong-password"]
COMMENTS_FULL = PROBLEM_TYPES["comments-full"]

# What views raise: Werkzeug's exceptions (description: `detail`), and those below, with a `kind`.
NotFound = http.NotFound
PreconditionFailed = http.PreconditionFailed
TooManyRequests = http.TooManyRequests

# Each fault of the input: its `pointer` into the body or query `parameter`, and its `detail`.
Faults = Sequence[Mapping[str, str]]
# The faults an error lists at most: fifty thousand unknown members make no useful answer.
MAX_ERRORS = 20


class _Problem(http.HTTPException):
    kind: ProblemType | None = None  # None: the first type of its status

    def __init__(
        self, detail: str, *, errors: Faults = (), kind: ProblemType | None = None
    ) -> None:
        if len(errors) > MAX_ERRORS:
            detail += f" The first {MAX_ERRORS} of its {len(errors)} faults are listed."
        super().__init__(detail)
        self.errors = list(errors[:MAX_ERRORS])
        self.kind = kind or self.kind


# RFC 6750, section 3: what an `error_description` may hold (printable ASCII but `"` and `\`).
_NOT_IN_A_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


class Unauthorized(_Problem, http.Unauthorized):
    """A 401 with RFC 6750's `WWW-Authenticate`: `Bearer`, with the error if the token is bad."""

    kind = INVALID_TOKEN

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        """Return the headers, the challenge included."""
        challenge = "Bearer"
        if self.kind is INVALID_TOKEN:
            description = _NOT_IN_A_DESCRIPTION.sub("", self.description or "")
            challenge += f' error="invalid_token", error_description="{description}"'
        return [*super().get_headers(*args, **kwargs), ("WWW-Authenticate", challenge)]


class Forbidden(_Problem, http.Forbidden):
    """A 403: the signed-in user may not do this."""


class Conflict(_Problem, http.Conflict):
    """A 409: the request is sound, but the data as it stands refuses it."""


class Unprocessable(_Problem, http.UnprocessableEntity):
    """A 422: well-formed input that cannot be acted on."""


class PasswordsBusy(http.TooManyRequests):
    """A 429 of the ration of password hashes: the server is busy, not the client at fault."""

    kind = PROBLEM_TYPES["passwords-busy"]


# Unique constraints a client can run into, with the field to point at and what to say.
UNIQUE_VIOLATIONS = {
    "uq_users_username_lower": ("/username", "This username is taken."),
    "uq_users_email_lower": ("/email", "This email address is already registered."),
}
CHANGED_MEANWHILE = "What this request edits changed while it ran; read it again and retry."
DATABASE_SLOW = "The database took too long to answer; try again."
DATABASE_DOWN = "The database is not available; try again."


def problem(
    status: int,
    detail: str | None = None,
    *,
    kind: ProblemType | None = None,
    errors: Faults = (),
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
) -> Response:
    """Build an RFC 9457 problem details response, of type `kind` or the status's default."""
    kind = kind or next((k for k in PROBLEM_TYPES.values() if k.status == status), None)
    body: dict[str, Any] = {
        "type": kind.uri if kind else "about:blank",
        "title": title(status),
        "status": status,
        "detail": detail or HTTPStatus(status).description,
    }
    if errors:
        body["errors"] = list(errors)
    return current_app.response_class(
        current_app.json.dumps(body), status=status, headers=headers, mimetype=PROBLEM_MEDIA_TYPE
    )


def answer_error(error: Exception) -> Response:
    """Answer any error as problem details, the request's unfinished work rolled back."""
    try:  # nothing of a failed write may reach a later commit
        db.session.rollback()
    except Exception:  # the connection is broken; the pool replaces it
        log.debug("Rolling back after an error failed too", exc_info=True)
    if isinstance(error, HTTPError):  # APIFlask's own
        response = problem(error.status_code, error.message)
        response.headers.update(error.headers)
        return response
    if isinstance(error, http.HTTPException):
        headers = error.get_headers()  # their text/html Content-Type is replaced
        kind, errors = getattr(error, "kind", None), getattr(error, "errors", ())
        return problem(
            error.code or 500, error.description, kind=kind, errors=errors, headers=headers
        )
    if isinstance(error, IntegrityError):
        return _integrity_error(error)
    if isinstance(error, StaleDataError):  # the versioned UPDATE found the row changed
        return problem(412, CHANGED_MEANWHILE)
    if isinstance(error, OperationalError | PoolTimeoutError):
        log.error("Database unavailable: %s", error)
        slow = isinstance(getattr(error, "orig", None), QueryCanceled)
        detail = DATABASE_SLOW if slow else DATABASE_DOWN
        return problem(503, detail, headers={"Retry-After": "5"})
    log.exception("Unhandled exception", exc_info=error)
    return problem(500, "Something went wrong on our side.")


def _integrity_error(error: IntegrityError) -> Response:
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    if constraint in UNIQUE_VIOLATIONS:
        pointer, detail = UNIQUE_VIOLATIONS[constraint]
        return problem(409, detail, errors=[{"pointer": pointer, "detail": detail}])
    if isinstance(error.orig, ForeignKeyViolation):  # a row it names was deleted meanwhile
        return problem(404, "What this request refers to was deleted while it ran.")
    log.warning("Integrity error mapped to 409: %s", error.orig)
    return problem(409, "The request conflicts with the current state of the data.")


def register_error_handlers(app: APIFlask) -> None:
    """Route every kind of error through `answer_error()`, APIFlask's own two handlers replaced."""
    for error_class in (HTTPError, http.HTTPException, Exception):
        app.register_error_handler(error_class, answer_error)


def serve_problem_pages(app: APIFlask) -> None:
    """Serve each problem type's page from a WSGI middleware: no hook, no database needed."""
    page = app.jinja_env.get_template("problem.html")
    docs = app.docs_path or "/"
    pages = {k.uri: page.render(kind=k, docs_path=docs).encode() for k in PROBLEM_TYPES.values()}
    answer_the_app = app.wsgi_app

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        page = pages.get(environ.get("PATH_INFO", ""))
        if page is None:
            return answer_the_app(environ, start_response)
        if environ.get("REQUEST_METHOD") not in {"GET", "HEAD"}:
            with app.app_context():
                refused = problem(405, "This page is only read.", headers={"Allow": "GET, HEAD"})
            return refused(environ, start_response)
        cache = {"Cache-Control": "public, max-age=86400"}  # Werkzeug sends no body to a HEAD
        return Response(page, mimetype="text/html", headers=cache)(environ, start_response)

    app.wsgi_app = wsgi_app  # type: ignore[method-assign]
