"""Cross-origin requests (CORS) from the origins CORS_ORIGINS lists; others get no CORS header.
Tokens travel in `Authorization`, not cookies: `Access-Control-Allow-Credentials` is never sent."""

from urllib.parse import urlsplit

from apiflask import APIFlask
from flask import Response, request


def check_origin(origin: str) -> str:
    """Return `origin` if it is written exactly as browsers send it, or raise ValueError."""
    if origin == "*":
        raise ValueError("CORS_ORIGINS does not take `*`: list the origins that may call the API.")
    parts = urlsplit(origin)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        default_port = None
    if default_port is None or not parts.hostname:
        raise ValueError(f"CORS_ORIGINS: {origin!r} is not an http:// or https:// origin.")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    expected = f"{parts.scheme}://{host}" + ("" if port in {None, default_port} else f":{port}")
    if origin != expected:
        raise ValueError(
            f"CORS_ORIGINS: write {origin!r} as browsers send it, {expected!r}"
            " (no path, query or user; the host in lower case; no default port)."
        )
    return origin


def install(app: APIFlask, origins: tuple[str, ...]) -> None:
    """Answer the origins' preflights 204 before later request hooks; add CORS headers after."""
    if not origins:
        return

    @app.before_request
    def answer_preflight() -> Response | None:
        asks = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        # A preflight to no route gets the 404 that says so.
        if not asks or request.origin not in origins or request.routing_exception is not None:
            return None
        headers = {
            "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
            "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match, If-None-Match",
            "Access-Control-Max-Age": "600",
        }
        return app.response_class(status=204, headers=headers)

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.vary.add("Origin")  # so that no cache hands one origin's answer to another
        if request.origin in origins:
            response.headers["Access-Control-Allow-Origin"] = request.origin
            response.headers["Access-Control-Expose-Headers"] = "ETag, Location, Retry-After"
        return response
