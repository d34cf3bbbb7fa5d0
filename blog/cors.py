"""Cross-origin requests (CORS): refused unless CORS_ORIGINS lists the origins allowed.

A browser lets a page from another origin read an answer, or send an `Authorization` header or
a JSON body at all, only if `Access-Control-*` headers say so. By default the app says nothing
(tools that are not browsers are not affected). For the origins CORS_ORIGINS lists, and no other:

- A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered 204 with
  the methods and request headers the API takes, before every other request hook, so it needs
  no token and meets none of the checks of real requests.
- Every other answer, errors included, names the origin in `Access-Control-Allow-Origin` and
  lets the page read `ETag`, `Location` and `Retry-After`.

An unlisted origin gets no CORS header, and its preflight Flask's answer to any `OPTIONS` (200
with `Allow`), which the browser takes as a refusal. Once origins are listed every answer says
`Vary: Origin`, so that a cache does not hand one origin's answer to another. Tokens travel in
`Authorization`, not cookies, so `Access-Control-Allow-Credentials` is never sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from apiflask import APIFlask
from flask import Response, request

ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = "Authorization, Content-Type, If-Match"
EXPOSED_HEADERS = "ETag, Location, Retry-After"
MAX_AGE_SECONDS = 600  # how long a browser may reuse a preflight's answer


def check_origin(origin: str) -> str:
    """Return `origin` if it is written exactly as browsers send it in `Origin`: a scheme (http
    or https), a host in lower case, and a port unless it is the scheme's default."""
    if origin == "*":
        raise ValueError("CORS_ORIGINS does not take `*`: list the origins that may call the API.")
    parts = urlsplit(origin)
    try:
        port = parts.port
    except ValueError:
        port = -1
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if default_port is None or not parts.hostname or port == -1:
        raise ValueError(f"CORS_ORIGINS: {origin!r} is not an http:// or https:// origin.")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    expected = f"{parts.scheme}://{host}" + ("" if port in {None, default_port} else f":{port}")
    if origin != expected:
        raise ValueError(
            f"CORS_ORIGINS: write {origin!r} as browsers send it, {expected!r}"
            " (no path, query or user; the host in lower case; no default port)."
        )
    return origin


def install(app: APIFlask, origins: Iterable[str]) -> None:
    """Answer preflights and add CORS headers for `origins`; without any, do nothing."""
    allowed = frozenset(origins)
    if not allowed:
        return

    def answer_preflight() -> Response | None:
        if (
            request.method != "OPTIONS"
            or "Access-Control-Request-Method" not in request.headers
            or request.headers.get("Origin") not in allowed
            or request.routing_exception is not None  # no such route: the 404 says so
        ):
            return None
        return app.response_class(
            status=204,
            headers={
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
            },
        )

    def add_headers(response: Response) -> Response:
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response

    # First of all request hooks, even those registered earlier: a preflight carries no token.
    app.before_request_funcs.setdefault(None, []).insert(0, answer_preflight)
    app.after_request(add_headers)
