"""The /docs page without a CDN: the app serves Swagger UI's own files.

APIFlask's Swagger UI page loads its script, style sheet and icon from a CDN unless told
otherwise, so without internet /docs is a blank page. The flask-swagger-ui package ships Swagger
UI's built files (its `dist/` folder, updated with each Swagger UI release); here they are
served under `/docs/assets/<version>/` and APIFlask's settings point at them.

The files are served by a WSGI middleware in front of the app rather than by a Flask view, so
fetching them runs no request hooks: in particular none opens a database session, and the docs
page still loads while the database is down. The version in the URL changes whenever the
package does, so browsers may cache the files for a year.

The page also gets a `<noscript>` note that points to the OpenAPI document, for readers whose
browser runs no JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from importlib.metadata import version
from importlib.resources import files

from apiflask import APIFlask
from flask import url_for
from markupsafe import escape
from werkzeug.middleware.shared_data import SharedDataMiddleware

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


def init_docs_page(app: APIFlask) -> None:
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
