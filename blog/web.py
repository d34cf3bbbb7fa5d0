"""How the app reads and writes HTTP: its request class, JSON handling and URL converters.

These are small adjustments to Flask's and APIFlask's defaults, each closing a way in which
client input could otherwise end in a 500 or a misleading answer, or saving time on every
response.
"""

from __future__ import annotations

from typing import Any, NoReturn

from apiflask.schema_adapters.pydantic import PydanticAdapter
from flask import Request
from flask.json.provider import DefaultJSONProvider
from pydantic import BaseModel
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
    """Flask's JSON provider, with pydantic's encoder for response models, field order kept,
    and absurdly nested input refused."""

    # Responses keep the order of the response models' fields.
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Encode a response model in one step, with pydantic's own (compiled) encoder."""
        if isinstance(obj, BaseModel):
            return obj.model_dump_json()
        return super().dumps(obj, **kwargs)

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


class ResponseModelAdapter(PydanticAdapter):
    """APIFlask's pydantic adapter, handing response models to the JSON provider whole.

    APIFlask would turn a model into a dict (model_dump) and Flask the dict into JSON; handing
    the model on lets pydantic write the JSON directly, the costliest step of a large response
    done once, in compiled code. Anything that is not a model is serialised as before.
    """

    def serialize_output(self, data: Any, many: bool = False) -> Any:
        """Return response models as they are; validate and dump anything else."""
        if isinstance(data, BaseModel):
            return data
        return super().serialize_output(data, many=many)
