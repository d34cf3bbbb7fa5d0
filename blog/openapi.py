"""The OpenAPI document: what APIFlask generates, corrected so that client generators can use it.

Views describe their own error statuses and headers with `responses(...)`.
What the app answers around the views is added to each operation it can happen to, read from the
app: a request hook marked with `answers(...)` adds its statuses to the operations it runs for,
an operation with a body the statuses of reading one, an integer in the path 404, If-Match 412.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from apiflask import APIFlask
from flask import current_app, request

from blog.db import MAX_ID
from blog.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPES

F = TypeVar("F", bound=Callable[..., Any])

PROBLEM = "Problem"
_STRING = {"type": "string"}
PROBLEM_TYPE_SCHEMA = {
    "type": "string",
    "format": "uri-reference",
    "description": "The kind of problem, one that clients can switch on: a URI reference that"
    " never changes, which resolved against the request's URL is a page saying what it means."
    " More kinds may come; take one you do not know by its status. The kinds:\n\n"
    + "\n".join(f"- `{kind.uri}` ({kind.status}): {kind.means}" for kind in PROBLEM_TYPES.values()),
    "examples": [next(iter(PROBLEM_TYPES.values())).uri],
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": PROBLEM_TYPE_SCHEMA,
        "title": _STRING | {"description": "The status's name in RFC 9110"},
        "status": {"type": "integer"},
        "detail": _STRING,
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "pointer": _STRING | {"description": "JSON Pointer into the request body"},
                    "parameter": _STRING | {"description": "The query parameter at fault"},
                    "detail": _STRING,
                },
                "required": ["detail"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}

DESCRIPTION = """A small blog: users write posts and file them under tags.

Sign up with `POST /api/users`, trade your username and password for a bearer token with
`POST /api/tokens`, and send it as `Authorization: Bearer <token>` to write.

Every error is RFC 9457 problem details (`application/problem+json`), whose `type` says what
kind of problem it is (the `Problem` schema lists them)."""

# Answers any operation can give (the error handlers'), and those of any operation that takes a
# body.
_ALWAYS = {
    "500": "Something went wrong on the server's side",
    "503": "The database is not available",
}
_WITH_BODY = {
    "400": "The body is not valid JSON",
    "413": "The body is larger than the server accepts",
    "415": "The body is not sent as application/json",
}
_RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "schema": {"type": "integer", "minimum": 0},
}
# Headers that come with a status wherever it is answered.
_HEADERS_BY_STATUS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "description": "`Bearer`, the scheme a token must be sent with; where the token"
            ' sent is not valid, with `error="invalid_token"` and an `error_description`'
            " (RFC 6750)",
            "schema": _STRING,
        }
    },
    "429": {"Retry-After": _RETRY_AFTER},
    "503": {"Retry-After": _RETRY_AFTER},
}
# Response headers a view sends, for `responses(headers=...)` where it sends them.
LOCATION = {"description": "The URL of what was created", "schema": _STRING}
CONDITIONS = [
    {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "The ETag you read: the request goes ahead only if the post's current"
        " ETag is listed (strong comparison), 412 otherwise. `*`, or no If-Match, takes any.",
        "schema": _STRING,
    },
    {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "ETags you hold (weak comparison), or `*`: if one is current, a GET"
        " answers 304 with no body, and a change is refused with 412.",
        "schema": _STRING,
    },
]


# The Vary header of an answer whose body differs with the token (`liked_by_me`).
VARY = {
    "description": "`Authorization`: the body differs with the token",
    "schema": {"type": "string"},
}


def responses(
    *,
    errors: Mapping[int, str] | None = None,
    headers: Mapping[int, Mapping[str, Any]] | None = None,
) -> Any:
    """Describe a view's error statuses and the headers its answers carry, for `@bp.doc`."""
    described: dict[int, dict[str, Any]] = {
        status: {"description": text} for status, text in (errors or {}).items()
    }
    for status, sent in (headers or {}).items():
        described.setdefault(status, {})["headers"] = dict(sent)
    return described


@dataclass(frozen=True)
class HookAnswers:
    """The errors a request hook can answer, and the views it can answer them for."""

    errors: Mapping[int, str]
    for_view: Callable[[Any], bool]
    to_reads: Mapping[int, str]


def operation_view() -> Callable[..., Any] | None:
    """Return the view of the API operation the request is for; None for no route or /docs."""
    if request.blueprint in {None, "openapi"}:
        return None
    return current_app.view_functions.get(request.endpoint or "")


def answers(
    errors: Mapping[int, str],
    *,
    for_view: Callable[[Any], bool] = lambda view: True,
    to_reads: Mapping[int, str] | None = None,
) -> Callable[[F], F]:
    """Mark a request hook with the errors it can answer and, if not every view's, the views it
    can answer them for: the document lists them for each of those operations, and `to_reads`
    for those of them that are a GET."""

    def mark(hook: F) -> F:
        hook.openapi_answers = HookAnswers(errors, for_view, to_reads or {})  # type: ignore[attr-defined]
        return hook

    return mark


_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}}


def _add_answer(answers: dict[str, Any], status: int | str, text: str) -> None:
    # A status the view describes already keeps its words, with these added; APIFlask's own
    # words for a 401 or 422 say nothing in particular and already cover these.
    described = answers.setdefault(str(status), {"description": text})
    if described["description"] not in {text, "Authentication error", "Validation error"}:
        described["description"] += f"; or {text[0].lower()}{text[1:]}"


def _fix_operation(
    operation: dict[str, Any], method: str, view: Any, hooks: Iterable[HookAnswers]
) -> None:
    operation["operationId"] = view.__name__
    # An operation without security is public; saying so explicitly is what tools expect.
    operation.setdefault("security", [])
    if "requestBody" in operation:
        operation["requestBody"]["required"] = True
    answers = operation.setdefault("responses", {})
    if getattr(view, "evaluates_conditions", False):  # blog/conditional.py
        operation.setdefault("parameters", []).extend(CONDITIONS)
        answers.setdefault("412", {"description": "If-Match names no current entity-tag"})
    for status, text in (_ALWAYS | (_WITH_BODY if "requestBody" in operation else {})).items():
        answers.setdefault(status, {"description": text})
    for hook in hooks:
        if hook.for_view(view):
            reads = hook.to_reads if method == "get" else {}
            for code, text in (*hook.errors.items(), *reads.items()):
                _add_answer(answers, code, text)
    for status, response in answers.items():
        if int(status) >= 400:  # described by APIFlask as JSON, or by `responses(errors=...)`
            response["content"] = _PROBLEM_CONTENT
        if status in _HEADERS_BY_STATUS:
            response.setdefault("headers", {}).update(_HEADERS_BY_STATUS[status])
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "path" and schema.get("type") == "integer":
            # An id no row can have is refused by the converter (blog/framework.py) with 404.
            schema.update(minimum=1, maximum=MAX_ID)
            answers.setdefault("404", {"description": "No row has this id"})


def _unique_components(spec: dict[str, Any]) -> dict[str, Any]:
    # APIFlask registers a model nested in a response model once per parent (`PostPage.PostOut`,
    # `PostOut.UserSummary`, ...) with the same title, and the problem details twice: client
    # generators would see several classes of one name. Here each schema is one component, named
    # by its title; a component that only refers to another is that other one.
    names = {name: name.rpartition(".")[2] for name in spec["components"]["schemas"]}
    names |= {"HTTPError": PROBLEM, "ValidationError": PROBLEM}
    text = json.dumps(spec)
    for name, short in names.items():
        text = text.replace(f'"#/components/schemas/{name}"', f'"#/components/schemas/{short}"')
    fixed: dict[str, Any] = json.loads(text)
    merged: dict[str, Any] = {}
    for name, schema in fixed["components"]["schemas"].items():
        if set(schema) != {"$ref"}:
            body = schema | {"title": names[name]}
            if merged.setdefault(names[name], body) != body:
                raise ValueError(f"Two different schemas are both named {names[name]}.")
    fixed["components"]["schemas"] = merged
    return fixed


def install_openapi(app: APIFlask) -> None:
    """Describe the API and register the corrections of the document APIFlask generates."""
    app.config.update(
        DESCRIPTION=DESCRIPTION,
        LICENSE={"name": "MIT", "identifier": "MIT"},
        HTTP_ERROR_SCHEMA=PROBLEM_SCHEMA,
        VALIDATION_ERROR_SCHEMA=PROBLEM_SCHEMA,
        # No server: tools resolve the paths against where they found the document, and no
        # request's Host header can change what later clients are sent.
        AUTO_SERVERS=False,
    )

    @app.spec_processor
    def fix_spec(spec: Any) -> dict[str, Any]:  # APIFlask passes the document as a dict
        views = {
            (re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method.lower()): rule.endpoint
            for rule in app.url_map.iter_rules()
            for method in rule.methods or ()
        }
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                if isinstance(operation, dict):
                    endpoint = views[(path, method)]
                    view = app.view_functions[endpoint]
                    _fix_operation(operation, method, view, _hooks(app, endpoint))
        return _unique_components(spec)


def _hooks(app: APIFlask, endpoint: str) -> list[HookAnswers]:
    """Return what the request hooks that run before `endpoint` say they can answer."""
    blueprint = endpoint.rpartition(".")[0]
    hooks = [*app.before_request_funcs.get(None, []), *app.before_request_funcs.get(blueprint, [])]
    return [hook.openapi_answers for hook in hooks if hasattr(hook, "openapi_answers")]
