"""Where this app departs from Flask's and APIFlask's defaults, each with the reason.

Everything that adapts the framework to this API lives here, installed by `adapt(app)`:

- `ApiRequest`: a body sent as anything but JSON is a 415, and bad JSON a 400 that says why.
- `ApiJSONProvider`: responses keep their fields' order, response models are encoded by
  pydantic in one step, and absurdly nested JSON is a parsing error rather than a 500.
- `IdConverter`: an id no row can have (beyond PostgreSQL's `integer`) is a 404, not a
  database error.
- `ModelAdapter` (registered by `blog.api` before any view is declared): a JSON `null` body is
  refused rather than read as `{}`, and response models
  reach the JSON provider whole.
- `fix_spec`: the OpenAPI document describes errors as the RFC 9457 problem details the app
  really sends, with the statuses any operation can give, and bounds ids as the converter does;
  it names each operation after its view, marks public ones as public, documents the headers,
  and gives each schema one component, so that client generators can use it whole.
- `_serve_docs_assets`: the /docs page gets Swagger UI from the app itself, not from a CDN, so
  it works offline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import wraps
from importlib.metadata import version
from importlib.resources import files
from typing import Any, NoReturn, TypeVar

from apiflask import APIFlask, HTTPError
from apiflask.schema_adapters.pydantic import PydanticAdapter
from flask import Request, current_app, request, url_for
from flask.json.provider import DefaultJSONProvider
from markupsafe import escape
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import (
    BadRequest,
    NotFound,
    RequestHeaderFieldsTooLarge,
    RequestURITooLarge,
    UnsupportedMediaType,
)
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.routing import IntegerConverter

from blog.db import MAX_ID
from blog.errors import PROBLEM_MEDIA_TYPE, Unprocessable

F = TypeVar("F", bound=Callable[..., Any])

# Requests and responses


class ApiRequest(Request):
    """A request that insists on JSON bodies and says what is wrong with a bad one."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Parse the body as JSON, refusing one sent as anything else with a 415.

        APIFlask asks with force=True, which would parse a form or plain text as JSON too.
        """
        # Only application/json: Werkzeug's is_json would also take any `+json` type.
        if self.mimetype != "application/json":
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


# Longer request lines and header sections are refused here, as problem details. Gunicorn's own
# limits (gunicorn.conf.py) sit above these, so it answers itself, in plain HTML, only past them.
MAX_URL_BYTES = 4096
MAX_HEADER_BYTES = 8192


def refuse_oversized_requests() -> None:
    """Answer 414 to an over-long URL and 431 to over-large headers, before any other work."""
    url = request.environ.get("RAW_URI") or request.full_path
    if len(url.encode("latin-1", "replace")) > MAX_URL_BYTES:
        raise RequestURITooLarge(f"The URL is longer than {MAX_URL_BYTES} bytes.")
    size = sum(len(name) + len(value) + 4 for name, value in request.headers.items())
    if size > MAX_HEADER_BYTES:
        raise RequestHeaderFieldsTooLarge(
            f"The headers add up to more than {MAX_HEADER_BYTES} bytes."
        )


def refuse_unknown_query_parameters() -> None:
    """Answer 422 to query parameters sent to an operation that takes none.

    Operations that take some declare them in a model that forbids the others; this covers the
    rest, so a misspelt parameter is an error everywhere rather than silently ignored.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.blueprint in {None, "openapi"} or not request.args:
        return
    if any(location == "query" for _, location in getattr(view, "_spec", {}).get("args", [])):
        return
    raise Unprocessable(
        "This operation takes no query parameters.",
        errors=[
            {"parameter": name, "detail": "Extra inputs are not permitted"} for name in request.args
        ],
    )


# The OpenAPI document

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
        "LICENSE": {"name": "MIT", "identifier": "MIT"},
        "HTTP_ERROR_SCHEMA": PROBLEM_SCHEMA,
        "VALIDATION_ERROR_SCHEMA": PROBLEM_SCHEMA,
        # The document names no server: tools resolve its paths against where they found it,
        # and nothing a request says (its Host header) can change what later clients are sent.
        "AUTO_SERVERS": False,
    }


# Answers any operation can give, which APIFlask cannot know about.
_ALWAYS = {
    "414": "The URL is longer than the server accepts",
    "431": "The headers are larger than the server accepts",
    "503": "The database is not available",
}
_WITH_BODY = {
    "400": "The body is not valid JSON",
    "413": "The body is larger than the server accepts",
    "415": "The body is not sent as application/json",
}
# Headers that come with a status wherever it is answered.
_HEADERS_BY_STATUS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "description": "`Bearer`: the scheme a token must be sent with",
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 0},
        }
    },
    "503": {
        "Retry-After": {
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}
# Response headers a view sends, for `@bp.doc(responses=...)` where it sends them.
LOCATION = {"description": "The URL of what was created", "schema": {"type": "string"}}
ETAG = {
    "description": "The post's version, to send back as If-Match",
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The ETag you read: the change happens only if the post is still at that "
    "version (412 otherwise). `*`, or no If-Match at all, accepts any version.",
    "schema": {"type": "string"},
}
PROBLEM = "Problem"


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


def takes_if_match(view: F) -> F:
    """Mark a view that honours If-Match, so the document lists the header as its parameter."""
    view.takes_if_match = True  # type: ignore[attr-defined]
    return view


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}},
    }


def _fix_operation(operation: dict[str, Any], view: Any) -> None:
    operation["operationId"] = view.__name__
    # An operation without security is public; saying so explicitly is what tools expect.
    operation.setdefault("security", [])
    if "requestBody" in operation:
        operation["requestBody"]["required"] = True
    if getattr(view, "takes_if_match", False):
        operation.setdefault("parameters", []).append(IF_MATCH)
    responses = operation.setdefault("responses", {})
    extra = _ALWAYS | (_WITH_BODY if "requestBody" in operation else {})
    for status, description in extra.items():
        responses.setdefault(status, _problem_response(description))
    for status, response in responses.items():
        content = response.get("content")
        if int(status) >= 400 and not content:  # described with `responses(errors=...)`
            response["content"] = _problem_response("")["content"]
        elif int(status) >= 400 and "application/json" in content:
            content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
        if status in _HEADERS_BY_STATUS:
            response.setdefault("headers", {}).update(_HEADERS_BY_STATUS[status])
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "path" and schema.get("type") == "integer":
            schema.update(minimum=1, maximum=MAX_ID)


def _openapi_path(rule: str) -> str:
    """Return a Werkzeug rule (`/api/posts/<int:post_id>`) as an OpenAPI path."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _views_by_operation(app: APIFlask) -> dict[tuple[str, str], Any]:
    """Return each (OpenAPI path, method) the app routes, with its view function."""
    return {
        (_openapi_path(rule.rule), method.lower()): app.view_functions[rule.endpoint]
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
    }


_SCHEMAS = "#/components/schemas/"


def _rewrite_refs(node: Any, names: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMAS):
            name = ref[len(_SCHEMAS) :]
            return {**node, "$ref": _SCHEMAS + names.get(name, name)}
        return {key: _rewrite_refs(value, names) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(value, names) for value in node]
    return node


def _unique_components(spec: dict[str, Any]) -> dict[str, Any]:
    """Give every schema one component under one name, which is also its title.

    APIFlask registers the models nested in a response model once per parent
    (`PostPage.PostOut`, `PostOut.UserSummary`, ...) with the same title, and the problem
    details twice (`HTTPError`, `ValidationError`); client generators then see several classes
    of one name. Copies of one schema become one component; different schemas that would share
    a name keep their dotted names, spelt without the dot.
    """
    schemas: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    names = {name: name.rpartition(".")[2] for name in schemas}
    names |= {"HTTPError": PROBLEM, "ValidationError": PROBLEM}
    # A component that is only a reference to another is that other one.
    aliases = {
        name: schema["$ref"][len(_SCHEMAS) :]
        for name, schema in schemas.items()
        if set(schema) == {"$ref"} and schema["$ref"].startswith(_SCHEMAS)
    }
    while True:
        for alias, target in aliases.items():
            names[alias] = names[target]
        merged: dict[str, Any] = {}
        clash = None
        for name, schema in schemas.items():
            if name in aliases:
                continue
            body = _rewrite_refs(schema, names) | {"title": names[name]}
            if merged.setdefault(names[name], body) != body:
                clash = names[name]
                break
        if clash is None:
            break
        for name, short in names.items():
            if short == clash:
                names[name] = name.replace(".", "")
    components = spec.get("components", {})
    fixed: dict[str, Any] = _rewrite_refs(
        {key: value for key, value in spec.items() if key != "components"}, names
    )
    fixed["components"] = components | {"schemas": merged}
    return fixed


def fix_spec(spec: dict[str, Any] | str, app: APIFlask) -> dict[str, Any] | str:
    """Correct the document APIFlask generated: see this module's docstring."""
    if isinstance(spec, str):  # only when the document is requested as YAML text
        return spec
    views = _views_by_operation(app)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if isinstance(operation, dict):
                _fix_operation(operation, views[(path, method)])
    return _unique_components(spec)


# The /docs page
#
# APIFlask's Swagger UI page loads its script, style sheet and icon from a CDN unless told
# otherwise, so without internet /docs would be a blank page. The flask-swagger-ui package ships
# Swagger UI's built files (updated with each Swagger UI release); they are served under
# `/docs/assets/<version>/` by a WSGI middleware in front of the app rather than by a view, so
# fetching them runs no request hooks (none opens a database session: the page loads while the
# database is down). The version in the URL changes with the package, so browsers may cache the
# files for a year. The page also gets a `<noscript>` note pointing to the OpenAPI document.

ASSETS_PACKAGE = "flask-swagger-ui"
# The package's version is the version of Swagger UI it bundles.
ASSETS_VERSION = version(ASSETS_PACKAGE)
ASSETS_DIR = str(files("flask_swagger_ui") / "dist")
ONE_YEAR = 365 * 24 * 60 * 60

# Where APIFlask's template mounts Swagger UI; the <noscript> note goes right after it.
_MOUNT = '<div id="swagger-ui"></div>'
_NOSCRIPT = (
    '\n  <noscript><p style="margin: 1em 2em">This page needs JavaScript. The API is described'
    ' by its OpenAPI document: <a href="{url}">{url}</a>.</p></noscript>'
)


def assets_path(docs_path: str) -> str:
    """Return the URL path under which Swagger UI's files are served."""
    return f"{docs_path.rstrip('/')}/assets/{ASSETS_VERSION}"


def add_noscript(view: Callable[..., str]) -> Callable[..., str]:
    """Wrap the docs view so that its page says where the document is when JS cannot run."""

    @wraps(view)
    def docs(*args: object, **kwargs: object) -> str:
        url = escape(url_for("openapi.spec"))
        return view(*args, **kwargs).replace(_MOUNT, _MOUNT + _NOSCRIPT.format(url=url), 1)

    return docs


def _serve_docs_assets(app: APIFlask) -> None:
    """Serve Swagger UI's files from the app and point the /docs page at them."""
    if not app.docs_path:
        return
    prefix = assets_path(app.docs_path)
    app.config.update(
        SWAGGER_UI_CSS=f"{prefix}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{prefix}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{prefix}/swagger-ui-standalone-preset.js",
        DOCS_FAVICON=f"{prefix}/favicon-32x32.png",
        DOCS_DECORATORS=[*(app.config.get("DOCS_DECORATORS") or []), add_noscript],
    )
    app.wsgi_app = SharedDataMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {prefix: ASSETS_DIR}, cache_timeout=ONE_YEAR
    )


# Installing it all


def adapt(app: APIFlask) -> None:
    """Install this module's request class, JSON provider, id converter, OpenAPI fixes and
    the /docs page's files."""
    app.request_class = ApiRequest
    app.before_request(refuse_oversized_requests)
    app.before_request(refuse_unknown_query_parameters)
    app.json = ApiJSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    app.config.update(openapi_config())
    app.spec_processor(lambda spec: fix_spec(spec, app))
    _serve_docs_assets(app)
