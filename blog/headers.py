"""Headers: security headers on every answer (OWASP's advice); conditional requests (RFC 9110
§13): entity-tags, If-Match and If-None-Match."""

import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from apiflask import APIFlask
from flask import Response, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from blog.db import db
from blog.errors import PreconditionFailed, problem
from blog.framework import operation_view

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# JSON needs no content at all, an HTML page only the app's own files (no inline code); nothing
# may frame an answer or be a base for its links.
LOCKED = "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
DATA_POLICY = f"default-src 'none'; {LOCKED}"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    f" connect-src 'self'; {LOCKED}"
)


def secured(wsgi_app: WsgiApp) -> WsgiApp:
    """Wrap the WSGI app: every answer, the middlewares' included, gets the headers it lacks."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            sent = {name.lower(): value for name, value in headers}
            policy = PAGE_POLICY if "html" in sent.get("content-type", "") else DATA_POLICY
            extra = ALWAYS | {"Content-Security-Policy": policy}
            headers = [*headers, *((k, v) for k, v in extra.items() if k.lower() not in sent)]
            return start_response(status, headers, *exc_info)

        return wsgi_app(environ, start)

    return app


F = TypeVar("F")

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, and a list of them, empty elements allowed (§5.6.1).
TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
# Each space can be matched one way only, so a long field cannot make the match backtrack.
TAG_LIST = re.compile(rf"[ \t]*(?:{TAG}[ \t]*)?(?:,[ \t]*(?:{TAG}[ \t]*)?)*")


def entity_tag(representation: str) -> str:
    """Return the strong entity-tag of a representation: a digest of its text."""
    return '"' + hashlib.sha256(representation.encode()).hexdigest()[:32] + '"'


def listed(field: str) -> list[str] | None:
    """Return what the request's `field` lists: ["*"], its entity-tags, or None if malformed."""
    value = request.headers.get(field, "")
    if value.strip(" \t") == "*":
        return ["*"]
    return re.findall(TAG, value) if TAG_LIST.fullmatch(value) else None


def evaluate(current: str, *, safe: bool) -> bool:
    """Evaluate If-Match, then If-None-Match (§13.2.2): False means 304; other failures, 412."""
    # Strong comparison; a field that is neither `*` nor a list of tags is false (§13.1.1).
    if "If-Match" in request.headers and not {"*", current} & set(listed("If-Match") or []):
        raise PreconditionFailed("If-Match names no current entity-tag of the post: read it again.")
    tags = listed("If-None-Match")  # [] without the field
    if tags is None and not safe:  # true by §13.1.2, but a write is not guessed through
        raise BadRequest("If-None-Match is neither `*` nor a list of entity-tags.")
    # Weak comparison: W/"x" matches "x".
    if tags and ("*" in tags or current in {tag.removeprefix("W/") for tag in tags}):
        if safe:
            return False
        raise PreconditionFailed("If-None-Match names the post as it is now.")
    return True


def evaluates_conditions(view: F) -> F:
    """Mark a view that evaluates If-Match and If-None-Match itself, against its entity-tag."""
    view.evaluates_conditions = True  # type: ignore[attr-defined]
    return view


def has_no_entity_tag(view: Any) -> bool:
    """Say whether a view leaves its conditions to `judge_conditions` (is not marked)."""
    return not getattr(view, "evaluates_conditions", False)


@event.listens_for(db.session, "before_commit")  # once, for every app: they share db.session
def refuse_to_commit(session: Session) -> None:
    """Refuse to commit the work of a request whose condition is false (`g.bookkeeping` aside)."""
    if has_request_context() and "false_condition" in g and not g.get("bookkeeping"):
        raise PreconditionFailed(g.false_condition[1])


def install_conditions(app: APIFlask) -> None:
    """Judge the conditions the views leave; `refuse_to_commit` and the answer enforce them."""

    @app.before_request
    def judge_conditions() -> None:
        # Noted for the commit and the answer, so that a 401, 403 or 404 comes first (§13.2.1).
        view = operation_view()
        # OPTIONS asks about the resource, not for it: Flask answers it, with the methods it has.
        if view is None or request.method == "OPTIONS" or not has_no_entity_tag(view):
            return
        if "If-Match" in request.headers and listed("If-Match") != ["*"]:
            g.false_condition = 412, "This resource has no entity-tag: If-Match can only be `*`."
        elif listed("If-None-Match") == ["*"]:
            status = 304 if request.method in {"GET", "HEAD"} else 412
            g.false_condition = status, "If-None-Match is `*`, and this resource exists."

    @app.after_request
    def answer_false_conditions(response: Response) -> Response:
        if "false_condition" not in g or not 200 <= response.status_code < 300:
            return response
        status, detail = g.false_condition
        if status == 412:
            return problem(412, detail)
        # A 304 keeps the fields of section 15.4.5 that the 200 had: Vary above all, for caches.
        kept = {"Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Vary"}
        return Response(status=304, headers=[(k, v) for k, v in response.headers if k in kept])
