"""How the app reads and writes HTTP: its request class, JSON handling and URL converters.

These are small adjustments to Flask's and APIFlask's defaults, each closing a way in which
client input could otherwise end in a 500 or a misleading answer, or saving time on every
response.
"""

from __future__ import annotations

from typing import Any, NoReturn

from apiflask import HTTPError
from apiflask.schema_adapters.pydantic import PydanticAdapter
from flask import Request
from flask.json.provider import DefaultJSONProvider
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import BadRequest, NotFound, UnsupportedMediaType
from werkzeug.routing import IntegerConverter

# The largest value of a PostgreSQL `integer`, the type of every primary key here.
MAX_ID = 2**31 - 1


class ApiRequest(Request):
    """A request that insists on JSON bodies and says what is wrong with a bad one."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Parse the body as JSON, refusing one sent as anything else with a 415.

        APIFlask asks with force=True, which would parse a form or plain text as JSON too.
        """
        if not self.is_json:
            raise UnsupportedMediaType(
                "Send the request body as JSON, with Content-Type: application/json."
            )
        return super().get_json(force=force, silent=silent, cache=cache)

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

    def to_python(self, value: str) -> int:
        """Return the id, or answer 404 for one no row can have.

        Raised here rather than left to the converter's min and max: when a converter refuses a
        value, Werkzeug answers 405 for a path another method's rule would have matched.
        """
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise NotFound("No row has this id.")
        return number


class ModelAdapter(PydanticAdapter):
    """APIFlask's pydantic adapter with two corrections.

    A request body of JSON `null` is validated as what it is, and refused, where APIFlask would
    read it as `{}`. And a response model is handed to the JSON provider whole: APIFlask would
    turn it into a dict (model_dump) and Flask the dict into JSON, where pydantic can write the
    JSON directly, in compiled code, in one step.
    """

    def validate_input(self, request: Request, location: str, **kwargs: Any) -> Any:
        """Validate the input, refusing a JSON body of `null` rather than reading it as {}."""
        if location == "json" and request.get_json(force=True) is None:
            try:
                self.model_class.model_validate(None)
            except ValidationError as error:
                raise HTTPError(422, "Validation error", detail={"json": {}}) from error
        return super().validate_input(request, location, **kwargs)

    def serialize_output(self, data: Any, many: bool = False) -> Any:
        """Return response models as they are; validate and dump anything else."""
        if isinstance(data, BaseModel):
            return data
        return super().serialize_output(data, many=many)
