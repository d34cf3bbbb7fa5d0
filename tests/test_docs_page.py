"""The /docs page loads nothing from other sites: the app serves Swagger UI's files itself,
and the page's own script and style sheet (blog/assets/) beside them.

These tests read the page's HTML and fetch every file it references through the app's whole HTTP
stack. That the page then renders and runs in a browser is checked by the clients layer's
make browser-test, which needs Chromium.
"""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
from flask import request
from flask.testing import FlaskClient

from blog import create_app
from blog.config import Settings
from blog.framework import ASSETS_VERSION, PAGE_ASSETS_VERSION
from tests.fixtures import TEST_SECRET_KEY

PAGE_ASSETS = Path(__file__).resolve().parent.parent / "blog" / "assets"
# What the page takes from Swagger UI's own files (flask-swagger-ui's copy).
SWAGGER_UI_FILES = {
    "favicon-32x32.png",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-ui.css",
}

CONTENT_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".png": {"image/png"},
}


class References(HTMLParser):
    """The URLs a page's tags reference, as (tag, attribute, URL)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []
        self.noscript: list[str] = []
        self._in_noscript = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_noscript = self._in_noscript or tag == "noscript"
        for name, value in attrs:
            if name in {"src", "href"} and value is not None:
                self.found.append((tag, name, value))

    def handle_endtag(self, tag: str) -> None:
        if tag == "noscript":
            self._in_noscript = False

    def handle_data(self, data: str) -> None:
        if self._in_noscript:
            self.noscript.append(data)


def references(client: FlaskClient) -> References:
    response = client.get("/docs")
    assert response.status_code == 200
    parser = References()
    parser.feed(response.get_data(as_text=True))
    return parser


def assets(client: FlaskClient) -> list[str]:
    """Return the URLs of the scripts, style sheets and icons the page loads."""
    return [url for tag, _, url in references(client).found if tag in {"script", "link"}]


def test_the_docs_page_references_only_its_own_origin(client: FlaskClient) -> None:
    found = references(client).found

    assert found
    for tag, attribute, url in found:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), f"<{tag} {attribute}={url!r}>"
        assert url.startswith("/"), url


def test_the_page_loads_swagger_ui_its_own_script_and_style_and_its_icon(
    client: FlaskClient,
) -> None:
    names = {PurePosixPath(url).name for url in assets(client)}
    own = {path.name for path in PAGE_ASSETS.iterdir()}

    assert names >= SWAGGER_UI_FILES
    # The rest are the page's own, from blog/assets/: at least a script and a style sheet.
    assert names - SWAGGER_UI_FILES <= own
    assert {PurePosixPath(name).suffix for name in names - SWAGGER_UI_FILES} >= {".js", ".css"}


def test_every_asset_the_page_references_is_served(client: FlaskClient) -> None:
    for url in assets(client):
        response = client.get(url, buffered=True)

        assert response.status_code == 200, url
        assert response.mimetype in CONTENT_TYPES[PurePosixPath(url).suffix], url
        assert int(response.headers["Content-Length"]) > 0
        assert response.data


def test_assets_are_cached_for_a_year_under_a_versioned_path(client: FlaskClient) -> None:
    for url in assets(client):
        response = client.get(url, buffered=True)

        assert PurePosixPath(url).parent.name in {ASSETS_VERSION, PAGE_ASSETS_VERSION}
        assert response.cache_control.max_age == 365 * 24 * 60 * 60
        assert response.cache_control.public


def test_an_unchanged_asset_is_answered_304(client: FlaskClient) -> None:
    url = assets(client)[0]
    etag = client.get(url, buffered=True).headers["ETag"]

    response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.data == b""


def test_the_pages_own_files_are_versioned_by_their_content() -> None:
    # A changed docs.js or docs.css is a new URL, so no browser keeps last year's copy.
    digest = hashlib.sha256()
    for path in sorted(PAGE_ASSETS.iterdir()):
        digest.update(path.read_bytes())

    assert digest.hexdigest()[: len(PAGE_ASSETS_VERSION)] == PAGE_ASSETS_VERSION


@pytest.mark.parametrize("version", [ASSETS_VERSION, PAGE_ASSETS_VERSION])
def test_an_unknown_asset_is_a_404_problem(client: FlaskClient, version: str) -> None:
    response = client.get(f"/docs/assets/{version}/nope.js")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("version", [ASSETS_VERSION, PAGE_ASSETS_VERSION])
@pytest.mark.parametrize("path", ["../../../etc/passwd", "..%2f..%2fLICENSE"])
def test_assets_stay_inside_the_package(client: FlaskClient, version: str, path: str) -> None:
    response = client.get(f"/docs/assets/{version}/{path}")

    assert response.status_code == 404


def test_the_page_says_where_the_document_is_without_javascript(client: FlaskClient) -> None:
    page = references(client)

    assert ("a", "href", "/openapi.json") in page.found
    assert "needs JavaScript" in "".join(page.noscript)


def test_the_app_has_no_oauth2_sign_in_page(client: FlaskClient) -> None:
    endpoints = {rule.endpoint for rule in client.application.url_map.iter_rules()}

    assert "openapi.docs" in endpoints
    assert "openapi.swagger_ui_oauth_redirect" not in endpoints


def test_assets_are_served_without_the_database() -> None:
    # A database that does not exist, and a first request hook that notes every request it sees:
    # the files are served before the app is reached, so before any of its request hooks runs.
    app = create_app(
        Settings(
            env="testing",
            database_url="postgresql+psycopg://nobody@127.0.0.1:9/no_such_test",
            secret_key=TEST_SECRET_KEY,
        )
    )
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append(request.path))

    urls = assets(app.test_client())
    for url in urls:
        assert app.test_client().get(url, buffered=True).status_code == 200, url

    assert urls
    assert seen == ["/docs"]
