"""Adjustments to the OpenAPI document APIFlask generates from the views and schemas.

APIFlask describes errors as `application/json` with its own error shape; this app answers every
error with RFC 9457 problem details, so the document is corrected to say so.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask

from blog.errors import PROBLEM_MEDIA_TYPE
from blog.web import MAX_ID

_FIELD_ERROR = {
    "type": "object",
    "properties": {
        "pointer": {"type": "string", "description": "JSON Pointer into the request body"},
        "parameter": {"type": "string", "description": "The query parameter at fault"},
        "detail": {"type": "string"},
    },
    "required": ["detail"],
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": _FIELD_ERROR},
    },
    "required": ["type", "title", "status", "detail"],
}

DESCRIPTION = """A small blog: users write posts and file them under tags.

Sign up with `POST /api/users`, trade your username and password for a bearer token with
`POST /api/tokens`, and send it as `Authorization: Bearer <token>` to write.

Every error is RFC 9457 problem details (`application/problem+json`)."""


def openapi_config() -> dict[str, Any]:
    """Return the APIFlask settings that shape the document."""
    return {
        "DESCRIPTION": DESCRIPTION,
        "HTTP_ERROR_SCHEMA": PROBLEM_SCHEMA,
        "VALIDATION_ERROR_SCHEMA": PROBLEM_SCHEMA,
    }


# Answers any operation can give, which APIFlask cannot know about.
_ALWAYS = {"503": "The database is not available"}
_WITH_BODY = {
    "400": "The body is not valid JSON",
    "413": "The body is larger than the server accepts",
    "415": "The body is not sent as application/json",
}


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/HTTPError"}}},
    }


def _fix_operation(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    extra = _ALWAYS | (_WITH_BODY if "requestBody" in operation else {})
    for status, description in extra.items():
        responses.setdefault(status, _problem_response(description))
    for status, response in operation.get("responses", {}).items():
        content = response.get("content")
        if int(status) >= 400 and content and "application/json" in content:
            content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "path" and schema.get("type") == "integer":
            schema.update(minimum=1, maximum=MAX_ID)


def fix_spec(spec: dict[str, Any] | str) -> dict[str, Any] | str:
    """Label errors as problem details, add the ones every operation can give, bound ids."""
    if isinstance(spec, str):  # only when the document is requested as YAML text
        return spec
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                _fix_operation(operation)
    return spec


def init_openapi(app: APIFlask) -> None:
    """Configure and post-process `app`'s OpenAPI document."""
    app.config.update(openapi_config())
    app.spec_processor(fix_spec)
