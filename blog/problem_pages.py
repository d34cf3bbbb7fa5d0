"""The page at each problem type's URI, saying what the type means (blog/errors.py)."""

import re
from collections.abc import Iterable
from html import escape
from typing import Any

from apiflask import APIFlask
from flask import Response

from blog.errors import PROBLEM_TYPES, ProblemType, problem


def _page(kind: ProblemType, docs_path: str) -> bytes:
    # `means` is text with code spans only: escaped, then each span made <code>.
    means = re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(kind.means, quote=False))
    return f"""<!doctype html>
<html lang="en"><meta charset="utf-8"><title>{kind.title}: {kind.name}</title>
<h1>{kind.title}</h1>
<p>The problem type <code>{kind.uri}</code>, answered with status {kind.status}. {means}</p>
<p>Every error of this API is RFC 9457 problem details; <a href="{docs_path}">the API's page</a>
describes its operations.</p>
</html>
""".encode()


def serve(app: APIFlask) -> None:
    """Serve each problem type's page from a WSGI middleware: no hook, no database needed."""
    pages = {kind.uri: _page(kind, app.docs_path or "/") for kind in PROBLEM_TYPES.values()}
    answer_the_app = app.wsgi_app

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        page = pages.get(environ.get("PATH_INFO", ""))
        if page is None:
            return answer_the_app(environ, start_response)
        if environ.get("REQUEST_METHOD") not in {"GET", "HEAD"}:
            with app.app_context():
                refused = problem(405, "This page is only read.", headers={"Allow": "GET, HEAD"})
            return refused(environ, start_response)
        cache = {"Cache-Control": "public, max-age=86400"}  # Werkzeug sends no body to a HEAD
        return Response(page, mimetype="text/html", headers=cache)(environ, start_response)

    app.wsgi_app = wsgi_app  # type: ignore[method-assign]
