"""Cross-origin requests (CORS) for the origins `CORS_ORIGINS` lists, never with credentials
(tokens travel in `Authorization`): a layer (cors/README.md). While this folder is here,
`bin/app serve` runs `cors:create_app()`, the core's app with CORS installed."""

from typing import Annotated, Any
from urllib.parse import urlsplit

from apiflask import APIFlask
from flask import Response, request
from pydantic import BeforeValidator

import blog
from blog.config import Settings

ANY_ORIGIN = "CORS_ORIGINS does not take `*`: list the origins that may call the API."
NOT_AN_ORIGIN = "CORS_ORIGINS: {!r} is not an http:// or https:// origin."
NOT_AS_SENT = (
    "CORS_ORIGINS: write {!r} as browsers send it, {!r}"
    " (no path, query or user; the host in lower case; no default port)."
)
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match, If-None-Match",
    "Access-Control-Max-Age": "600",
}


def _origins(value: Any) -> Any:
    # Comma-separated in a string; each origin written exactly as browsers send it.
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    for origin in value:
        if origin == "*":
            raise ValueError(ANY_ORIGIN)
        parts = urlsplit(origin)
        default_port = {"http": 80, "https": 443}.get(parts.scheme)
        try:
            port = parts.port
        except ValueError:  # not a number, or out of range
            default_port = None
        if default_port is None or not parts.hostname:
            raise ValueError(NOT_AN_ORIGIN.format(origin))
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        expected = f"{parts.scheme}://{host}" + ("" if port in {None, default_port} else f":{port}")
        if origin != expected:
            raise ValueError(NOT_AS_SENT.format(origin, expected))
    return tuple(value)


class CorsSettings(Settings):
    """The core's settings and `CORS_ORIGINS`, the origins whose pages may call the API."""

    cors_origins: Annotated[tuple[str, ...], BeforeValidator(_origins)] = ()


def create_app(settings: CorsSettings | None = None) -> APIFlask:
    """Create the core's app with `settings`, or those the environment gives, and CORS."""
    settings = CorsSettings.from_env() if settings is None else settings
    app = blog.create_app(settings)
    if settings.cors_origins:
        install_cors(app, settings.cors_origins)
    return app


def install_cors(app: APIFlask, origins: tuple[str, ...]) -> None:
    """Answer the origins' preflights 204 before every other request hook, and add the CORS
    headers to every answer after the other hooks have made it."""

    def answer_preflight() -> Response | None:
        asks = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        # A preflight to no route gets the 404 that says so.
        if not asks or request.origin not in origins or request.routing_exception is not None:
            return None
        return app.response_class(status=204, headers=PREFLIGHT_HEADERS)

    def add_headers(response: Response) -> Response:
        response.vary.add("Origin")  # so that no cache hands one origin's answer to another
        if request.origin in origins:
            response.headers["Access-Control-Allow-Origin"] = request.origin
            response.headers["Access-Control-Expose-Headers"] = "ETag, Location, Retry-After"
        return response

    # The core's hooks are registered already: these go first among them, and after-request
    # hooks run last-registered first, so the first in the list runs last.
    app.before_request_funcs.setdefault(None, []).insert(0, answer_preflight)
    app.after_request_funcs.setdefault(None, []).insert(0, add_headers)
