"""The OpenAPI document: what APIFlask generates, corrected so that client generators can use it."""

import json
import re
from collections.abc import Mapping
from typing import Any

from apiflask import APIFlask
from werkzeug.routing import Rule

from blog.auth import reads_authorization
from blog.db import MAX_ID
from blog.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPES
from blog.framework import takes_no_query
from blog.headers import has_no_entity_tag

PROBLEM = "Problem"
_STRING = {"type": "string"}
_FAULT = {
    "type": "object",
    "properties": {
        "pointer": _STRING | {"description": "JSON Pointer into the request body"},
        "parameter": _STRING | {"description": "The query parameter at fault"},
        "detail": _STRING,
    },
    "required": ["detail"],
}
_TYPE = {
    "type": "string",
    "format": "uri-reference",
    "description": "The kind of problem, one that clients can switch on: a URI reference that never"
    " changes, which resolved against the request's URL is a page saying what it means. More kinds"
    " may come; take one you do not know by its status. The kinds:\n\n"
    + "\n".join(f"- `{k.uri}` ({k.status}): {k.means}" for k in PROBLEM_TYPES.values()),
    "examples": [next(iter(PROBLEM_TYPES.values())).uri],
}
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": _TYPE,
        "title": _STRING | {"description": "The status's name in RFC 9110"},
        "status": {"type": "integer"},
        "detail": _STRING,
        "errors": {"type": "array", "items": _FAULT},
    },
    "required": ["type", "title", "status", "detail"],
}

DESCRIPTION = """A small blog: users write posts and file them under tags.

Sign up with `POST /api/users`, trade your username and password for a bearer token with
`POST /api/tokens`, and send it as `Authorization: Bearer <token>` to write.

Every error is RFC 9457 problem details (`application/problem+json`), whose `type` says what
kind of problem it is (the `Problem` schema lists them)."""


def around_the_views(view: Any, method: str, rule: Rule) -> dict[int, str]:
    """Return what the app can answer an operation besides its view's `@bp.doc(responses=...)`."""
    answers = {  # blog/errors.py's error handlers, and framework.refuse_oversized_requests
        500: "Something went wrong on the server's side",
        503: "The database is not available",
        414: "The URL is too long",
        431: "The headers are too large",
    }
    if "body" in getattr(view, "_spec", {}):  # reading the body (blog/body.py)
        answers[400] = "The body is not valid JSON"
        answers[413] = "The body is larger than the server accepts"
        answers[415] = "The body is not sent as application/json"
    if takes_no_query(view):
        answers[422] = "A query parameter the operation does not take"
    if reads_authorization(view):  # blog/auth.py, refuse_an_invalid_token
        answers[401] = "A token was sent that is not valid, or a header that is not a bearer token"
    if has_no_entity_tag(view):  # blog/headers.py, judge_conditions
        answers[412] = (
            "If-Match is not `*`: this resource has no entity-tag; or If-None-Match is `*`"
        )
        if method == "get":
            answers[304] = "If-None-Match is `*`, and the resource exists: no body"
    return answers


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}
_WWW_AUTHENTICATE = (
    "`Bearer`, the scheme a token must be sent with; where the token sent is not valid, with"
    ' `error="invalid_token"` and an `error_description` (RFC 6750)'
)
# Headers that come with a status wherever it is answered.
_HEADERS_BY_STATUS: dict[str, dict[str, Any]] = {
    "401": {"WWW-Authenticate": {"description": _WWW_AUTHENTICATE, "schema": _STRING}},
    "429": _RETRY_AFTER,
    "503": _RETRY_AFTER,
}
# Response headers a view sends, for `responses(headers=...)` where it sends them.
LOCATION = {"description": "The URL of what was created", "schema": _STRING}
VARY = {"description": "`Authorization`: the body differs with the token", "schema": _STRING}
# The parameters of the views that evaluate conditions themselves (blog/headers.py).
CONDITIONS = [
    {"name": name, "in": "header", "required": False, "description": text, "schema": _STRING}
    for name, text in {
        "If-Match": "The ETag you read: the request goes ahead only if the post's current ETag is"
        " listed (strong comparison), 412 otherwise. `*`, or no If-Match, takes any.",
        "If-None-Match": "ETags you hold (weak comparison), or `*`: if one is current, a GET"
        " answers 304 with no body, and a change is refused with 412.",
    }.items()
]
_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}}


def responses(
    *, errors: Mapping[int, str] = {}, headers: Mapping[int, Mapping[str, Any]] = {}
) -> Any:
    """Describe a view's error statuses and the headers its answers carry, for `@bp.doc`."""
    described: dict[int, dict[str, Any]] = {
        status: {"description": text} for status, text in errors.items()
    }
    for status, sent in headers.items():
        described.setdefault(status, {})["headers"] = dict(sent)
    return described


def _fix_operation(operation: dict[str, Any], method: str, view: Any, rule: Rule) -> None:
    operation["operationId"] = view.__name__
    operation.setdefault("security", [])  # public, said explicitly, as tools expect
    if "requestBody" in operation:
        operation["requestBody"]["required"] = True
    if not has_no_entity_tag(view):
        operation.setdefault("parameters", []).extend(CONDITIONS)
    answers = operation.setdefault("responses", {})
    for status, text in around_the_views(view, method, rule).items():
        answers.setdefault(str(status), {"description": text})  # a view's own words stay
    for status, response in answers.items():
        if int(status) >= 400:
            response["content"] = _PROBLEM_CONTENT
        if status in _HEADERS_BY_STATUS:
            response.setdefault("headers", {}).update(_HEADERS_BY_STATUS[status])
    ids = re.findall(r"<id:(\w+)>", rule.rule)
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] in ids:
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _unique_components(spec: dict[str, Any]) -> dict[str, Any]:
    # APIFlask registers a nested model once per parent (`PostPage.PostOut`, ...) and the problem
    # details twice: here each schema is one component named by its title.
    names = {name: name.rpartition(".")[2] for name in spec["components"]["schemas"]}
    names |= {"HTTPError": PROBLEM, "ValidationError": PROBLEM}
    text = json.dumps(spec)
    for name, short in names.items():
        text = text.replace(f'"#/components/schemas/{name}"', f'"#/components/schemas/{short}"')
    fixed: dict[str, Any] = json.loads(text)
    merged: dict[str, Any] = {}
    for name, schema in fixed["components"]["schemas"].items():
        if set(schema) != {"$ref"}:  # a bare `$ref` is the component it points to
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
        # No server: tools resolve paths where they found the document; no Host header alters it.
        AUTO_SERVERS=False,
    )

    @app.spec_processor
    def fix_spec(spec: Any) -> dict[str, Any]:  # APIFlask passes the document as a dict
        for rule in app.url_map.iter_rules():
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method, operation in spec["paths"].get(path, {}).items():
                if method.upper() in (rule.methods or ()):
                    _fix_operation(operation, method, app.view_functions[rule.endpoint], rule)
        return _unique_components(spec)
