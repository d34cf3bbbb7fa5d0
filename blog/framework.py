"""Where the app departs from Flask's and APIFlask's defaults (tests/test_framework_defaults.py)."""

from collections.abc import Callable
from hashlib import sha256
from importlib.metadata import version
from importlib.resources import files
from typing import Any

from apiflask import APIFlask
from apiflask.schema_adapters.pydantic import PydanticAdapter
from flask import Request, current_app, render_template, request
from pydantic import ValidationError
from pydantic_core import ErrorDetails, PydanticKnownError
from werkzeug import exceptions as http
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.routing import IntegerConverter

from blog.body import read_json
from blog.db import MAX_ID
from blog.errors import Unprocessable

# Refused as problem details; gunicorn.conf.py's plain-HTML limits sit above these.
MAX_URL_BYTES = 4096
MAX_HEADER_BYTES = 8192

GIVEN_TWICE = "Given more than once"
NOT_TAKEN = PydanticKnownError("extra_forbidden").message()  # a query model's words for it


class IdConverter(IntegerConverter):
    """`<id:...>`: a row's id, 404 where no row can have it (a `max` would give 405 at times)."""

    def to_python(self, value: str) -> int:
        """Return the id; 404 for any script's digits but ASCII's (`\\d`), or too many of them."""
        if not (value.isascii() and len(value) <= len(str(MAX_ID)) and 1 <= int(value) <= MAX_ID):
            raise http.NotFound("No row has this id.")
        return int(value)


class ModelAdapter(PydanticAdapter):
    """APIFlask's pydantic adapter: a `null` body is refused, and each fault is in `errors`."""

    def validate_input(self, request: Request, location: str, **kwargs: Any) -> Any:
        """Validate the JSON body or the query string, the inputs the views take."""
        if location not in {"json", "query"}:
            return super().validate_input(request, location, **kwargs)
        data = read_json(request) if location == "json" else request.args.to_dict()
        try:
            # JSON has types: `true` or `"10"` is no integer; a query's are digits (blog/fields.py).
            return self.model_class.model_validate(data, strict=location == "json")
        except ValidationError as invalid:
            errors = [_fault(location, error) for error in invalid.errors()]
            what = "request body" if location == "json" else "query string"
            raise Unprocessable(f"The {what} is not valid.", errors=errors) from invalid


def _fault(location: str, error: ErrorDetails) -> dict[str, str]:
    if location == "query":  # named by its parameter
        return {"parameter": str(error["loc"][0]) if error["loc"] else "", "detail": error["msg"]}
    # A JSON Pointer (RFC 6901): `~` and `/` inside a name are escaped as `~0` and `~1`.
    pointer = "".join(
        "/" + str(part).replace("~", "~0").replace("/", "~1") for part in error["loc"]
    )
    return {"pointer": pointer, "detail": error["msg"]}


def operation_view() -> Callable[..., Any] | None:
    """Return the view of the API operation the request is for; None for no route or /docs."""
    if request.blueprint in {None, "openapi"}:
        return None
    return current_app.view_functions.get(request.endpoint or "")


def refuse_oversized_requests() -> None:
    """Answer 414 to an over-long URL and 431 to over-large headers."""
    url = request.environ.get("RAW_URI") or request.full_path
    if len(url.encode("latin-1", "replace")) > MAX_URL_BYTES:
        raise http.RequestURITooLarge(f"The URL is longer than {MAX_URL_BYTES} bytes.")
    size = sum(len(name) + len(value) + 4 for name, value in request.headers.items())
    if size > MAX_HEADER_BYTES:
        raise http.RequestHeaderFieldsTooLarge(f"The headers are over {MAX_HEADER_BYTES} bytes.")


def takes_no_query(view: Callable[..., Any]) -> bool:
    """Say whether a view takes no query parameters (it has no query model)."""
    return all(location != "query" for _, location in getattr(view, "_spec", {}).get("args", []))


def refuse_unfit_query_parameters() -> None:
    """Answer 422 to a query parameter given twice (a model sees one), or to one given to none."""
    view = operation_view()
    if view is None or not request.args:
        return
    repeated = [name for name, values in request.args.lists() if len(values) > 1]
    if repeated:
        errors = [{"parameter": name, "detail": GIVEN_TWICE} for name in repeated]
        raise Unprocessable("A query parameter can be given once.", errors=errors)
    if takes_no_query(view):
        errors = [{"parameter": name, "detail": NOT_TAKEN} for name in request.args]
        raise Unprocessable("This operation takes no query parameters.", errors=errors)


# Swagger UI's files, versioned by their package's version; the page's own, by their digest.
ASSETS_VERSION = version("flask-swagger-ui")
PAGE_ASSETS = files("blog") / "assets"
PAGE_ASSETS_VERSION = sha256(
    b"".join(path.read_bytes() for path in sorted(PAGE_ASSETS.iterdir(), key=str))
).hexdigest()[:12]


def adapt(app: APIFlask) -> None:
    """Install unsorted, unescaped JSON, unmerged slashes and /docs' own Swagger UI page."""
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # UTF-8 as it is (RFC 8259 asks no escapes): an emoji escaped is 12 bytes, three times its 4.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    # "/api//tokens" is no route: merging slashes would redirect to a Location built from Host.
    app.url_map.merge_slashes = False
    swagger_ui = f"{app.docs_path}/assets/{ASSETS_VERSION}"
    own = f"{app.docs_path}/assets/{PAGE_ASSETS_VERSION}"

    # APIFlask's route, the app's template: APIFlask's has inline code, which CSP would refuse.
    @app.endpoint("openapi.docs")
    def docs() -> str:
        return render_template(
            "docs.html", title=app.title, version=app.version, swagger_ui=swagger_ui, own=own
        )

    # The files, served by a WSGI middleware: no request hook runs, cached for a year.
    assets = {swagger_ui: str(files("flask_swagger_ui") / "dist"), own: str(PAGE_ASSETS)}
    app.wsgi_app = SharedDataMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, assets, cache_timeout=365 * 24 * 60 * 60
    )
