"""Security headers on every answer, as OWASP advises, from the app itself: no proxy needed."""

import base64
import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any

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
