"""Response headers: security headers on every answer, as OWASP advises, from the app itself;
CORS for the origins CORS_ORIGINS lists (tokens travel in `Authorization`, not cookies, so
`Access-Control-Allow-Credentials` is never sent); other origins get no CORS header."""

import base64
import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from apiflask import APIFlask
from flask import Response, request

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# JSON needs no content at all; nothing may frame an answer or be a base for its links.
LOCKED = "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
INLINE = re.compile(rb"<(script|style)(\s[^>]*)?>(.*?)</\1>", re.DOTALL | re.IGNORECASE)


def page_policy(page: bytes) -> str:
    """Return an HTML page's Content-Security-Policy, its inline code allowed by SHA-256."""
    allowed: dict[bytes, list[str]] = {b"script": ["'self'"], b"style": ["'self'"]}
    for tag, attributes, content in INLINE.findall(page):
        if b"src=" not in attributes:
            digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
            allowed[tag.lower()].append(f"'sha256-{digest}'")
    scripts, styles = (" ".join(allowed[tag]) for tag in (b"script", b"style"))
    return (
        f"default-src 'none'; script-src {scripts}; style-src {styles}; img-src 'self' data:;"
        f" connect-src 'self'; {LOCKED}"
    )


def secured(wsgi_app: WsgiApp) -> WsgiApp:
    """Wrap the WSGI app: every answer, the middlewares' included, gets the headers it lacks."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started: list[Any] = []
        body = wsgi_app(environ, lambda *answer: started.extend(answer))
        status, headers, *exc_info = started
        sent = {name.lower() for name, _ in headers}
        policy = f"default-src 'none'; {LOCKED}"
        if any(name.lower() == "content-type" and "html" in value for name, value in headers):
            page = b"".join(body)  # small here: read whole to hash its inline code
            getattr(body, "close", lambda: None)()
            body, policy = [page], page_policy(page)
        extra = ALWAYS | {"Content-Security-Policy": policy}
        headers = [*headers, *((k, v) for k, v in extra.items() if k.lower() not in sent)]
        start_response(status, headers, *exc_info)
        return body

    return app


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


def install_cors(app: APIFlask, origins: tuple[str, ...]) -> None:
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
