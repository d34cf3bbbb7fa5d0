"""What the app says it has, for the tests that check all of it: read from the app, never listed.

Operations come from the OpenAPI document, routes from the app's url_map, tables from the models'
metadata (relationships, where a test needs them, from the mappers). A resource added or removed
changes these, and the tests that walk them follow without an edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from apiflask import APIFlask
from werkzeug.routing import Rule

from blog import create_app
from blog.config import Settings
from blog.db import Base

# The document, from a throwaway app: building it needs no database.
DOCUMENT: dict[str, Any] = create_app(Settings(env="testing")).spec  # type: ignore[assignment]
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]
# Methods a rule answers that are not operations of their own.
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}
# Every table the models declare (plain association tables included), parents first.
TABLES = [table.name for table in Base.metadata.sorted_tables]


@dataclass(frozen=True)
class Operation:
    """One operation of the document: its method, its path and what the document says of it."""

    method: str
    path: str
    spec: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def operation_id(self) -> str:
        return str(self.spec["operationId"])

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"\{([^{}]+)\}", self.path)

    @property
    def needs_a_token(self) -> bool:
        """Say whether the document requires a token (not merely accepts one)."""
        security = self.spec["security"]
        return bool(security) and all(requirement for requirement in security)

    @property
    def takes_a_body(self) -> bool:
        return "requestBody" in self.spec

    def documents(self, status: int) -> bool:
        return str(status) in self.spec["responses"]

    def request_schema(self) -> dict[str, Any]:
        """Return the component that describes the operation's body."""
        reference = self.spec["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return dict(SCHEMAS[reference.rpartition("/")[2]])

    def success(self) -> int:
        """Return the status the operation answers when it succeeds."""
        return min(int(status) for status in self.spec["responses"] if status.startswith("2"))

    def answer_schema(self) -> dict[str, Any]:
        """Return the component that describes the success answer (empty for none)."""
        answer = self.spec["responses"][str(self.success())]
        if "content" not in answer:
            return {}
        reference = answer["content"]["application/json"]["schema"]["$ref"]
        return dict(SCHEMAS[reference.rpartition("/")[2]])

    def example(self) -> Any:
        """Return the first example of the operation's body, or None if it takes none."""
        if not self.takes_a_body:
            return None
        examples = self.request_schema().get("examples")
        assert examples, f"{self}: its request model has no example (see blog/schemas.py)"
        return examples[0]


OPERATIONS = [
    Operation(method.upper(), path, spec)
    for path, operations in DOCUMENT["paths"].items()
    for method, spec in operations.items()
]
PATH_PARAMETERS = sorted({name for op in OPERATIONS for name in op.path_parameters})


def openapi_path(rule: str) -> str:
    """Return a Werkzeug rule (`/api/posts/<int:post_id>`) as an OpenAPI path."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def api_rules(app: APIFlask) -> list[Rule]:
    """Return the app's routes less the framework's own: static files, the document, /docs."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith("openapi.")
    ]


def routed_operations(app: APIFlask) -> set[tuple[str, str]]:
    """Return each (method, OpenAPI path) the app's routes answer, HEAD and OPTIONS left out."""
    return {
        (method, openapi_path(rule.rule))
        for rule in api_rules(app)
        for method in (rule.methods or set()) - IMPLICIT_METHODS
    }
