"""How the app reads HTTP: its request class, JSON parsing and URL converters.

These are small adjustments to Flask's defaults, each closing a way in which client input could
otherwise end in a 500 or a misleading answer.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

# The largest value of a PostgreSQL `integer`, the type of every primary key here.
MAX_ID = 2**31 - 1


class ApiRequest(Request):
    """A request whose JSON errors say what is wrong with the body."""

    def on_json_loading_failed(self, e: ValueError | None) -> NoReturn:
        """Raise a 400 that names the parsing error (Flask hides it outside debug mode)."""
        raise BadRequest(f"The request body is not valid JSON: {e}") from e


class ApiJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, keeping field order and refusing absurdly nested input."""

    # Responses keep the order of the response models' fields.
    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON, turning a too-deep document into an ordinary parsing error."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("it is nested too deeply") from None


class IdConverter(IntegerConverter):
    """`<int:...>` limited to the range of the id columns, so an id too large to exist is a 404
    rather than a database error."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)
