"""Cross-origin requests (CORS): refused unless CORS_ORIGINS lists the origins allowed.

A browser lets a web page read an answer from another origin, or send it a request with an
`Authorization` header or a JSON body at all, only if the API says so in `Access-Control-*`
headers. By default this app says nothing, so pages on other origins cannot use it (tools that
are not browsers are not affected: CORS is the browser's rule). With CORS_ORIGINS set, for the
origins it lists, and for no other:

- A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered 204 with
  the methods and request headers the API takes (`Authorization`, `Content-Type`, `If-Match`).
  It is answered before every other request hook of the app and its blueprints, so it needs no
  token and meets none of the checks of real requests.
- Every other answer, errors included, names the origin in `Access-Control-Allow-Origin` and
  lets the page read `ETag`, `Location` and `Retry-After`.

An unlisted origin gets no CORS header, and its preflight the answer Flask gives any `OPTIONS`
(200 with `Allow`), which the browser takes as a refusal. Once origins are listed, every answer
says `Vary: Origin`, so that a cache does not hand one origin's answer to another. Tokens travel
in `Authorization`, not in cookies, so `Access-Control-Allow-Credentials` is never needed.
"""

from __future__ import annotations

from collections.abc import Iterable

from apiflask import APIFlask
from flask import Response, request

ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = "Authorization, Content-Type, If-Match"
EXPOSED_HEADERS = "ETag, Location, Retry-After"
# How long a browser may reuse a preflight's answer.
MAX_AGE_SECONDS = 600


def install(app: APIFlask, origins: Iterable[str]) -> None:
    """Answer preflights and add CORS headers for `origins`; without any, do nothing."""
    allowed = frozenset(origins)
    if not allowed:
        return

    def answer_preflight() -> Response | None:
        is_preflight = (
            request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        )
        if not is_preflight or request.headers.get("Origin") not in allowed:
            return None
        if request.routing_exception is not None:  # no such route: the 404 says so
            return None
        response = app.response_class(status=204)
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = str(MAX_AGE_SECONDS)
        return response

    def add_headers(response: Response) -> Response:
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response

    # First of the app's request hooks, even those registered before this one: a preflight
    # carries no token and no body, and must not meet the checks of real requests.
    app.before_request_funcs.setdefault(None, []).insert(0, answer_preflight)
    app.after_request(add_headers)
