"""What Flask, Werkzeug and APIFlask do by default, where blog/framework.py departs from it.

Each test shows the default on a bare app (or with the app's own fix taken out), so that the
reasons the framework module gives stay true; tests/api/ and tests/test_docs_page.py show what
the app does instead.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
from apiflask import APIFlask
from apiflask.schema_adapters import registry
from apiflask.schema_adapters.pydantic import PydanticAdapter
from flask import Flask, request
from pydantic import BaseModel
from werkzeug import Request
from werkzeug.routing import IntegerConverter

from blog import create_app, framework
from blog.config import Settings
from blog.db import MAX_ID
from blog.framework import ModelAdapter
from scripts.compose_check import inline_code


class Optional(BaseModel):
    a: int | None = None


def bare_apiflask() -> APIFlask:
    # blog.schemas registers ModelAdapter for every pydantic view; put APIFlask's own back for this.
    assert type(registry.create_adapter(Optional)) is ModelAdapter
    registry.register("pydantic", PydanticAdapter)
    try:
        app = APIFlask("bare")

        @app.post("/echo")
        @app.input(Optional)
        def echo(json_data: Optional) -> dict[str, Any]:
            return {"a": json_data.a}

    finally:
        registry.register("pydantic", ModelAdapter)
    return app


def test_werkzeug_takes_any_plus_json_type_for_json() -> None:
    assert Request.from_values(content_type="application/merge-patch+json").is_json


def test_flask_hides_why_a_body_is_not_json_outside_debug_mode() -> None:
    app = Flask("bare")

    @app.post("/echo")
    def echo() -> Any:
        return request.get_json()

    response = app.test_client().post("/echo", data="{bad", content_type="application/json")

    assert response.status_code == 400
    assert "Expecting" not in response.get_data(as_text=True)  # json's own message is dropped


def test_apiflask_parses_a_body_of_any_type_as_json() -> None:
    response = (
        bare_apiflask().test_client().post("/echo", data='{"a": 1}', content_type="text/plain")
    )

    assert (response.status_code, response.get_json()) == (200, {"a": 1})


def test_apiflask_reads_a_null_body_as_an_empty_object() -> None:
    response = (
        bare_apiflask().test_client().post("/echo", data="null", content_type="application/json")
    )

    assert (response.status_code, response.get_json()) == (200, {"a": None})


def test_a_converter_that_refuses_an_id_makes_werkzeug_answer_405(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    class RangedInteger(IntegerConverter):
        def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(url_map, min=1, max=MAX_ID)

    monkeypatch.setattr(framework, "IdConverter", RangedInteger)
    plain = create_app(settings)

    # The converter's own max refuses the id, and Werkzeug answers for another rule.
    assert plain.test_client().patch(f"/api/posts/{MAX_ID + 1}").status_code == 405


def test_apiflask_loads_the_docs_page_assets_from_another_origin() -> None:
    page = APIFlask("bare").test_client().get("/docs").get_data(as_text=True)
    assets = [urlsplit(url) for url in re.findall(r'(?:src|href)="([^"]+)"', page)]

    # Swagger UI's scripts and style sheet, and the icon: none of them from the app itself.
    assert sorted(PurePosixPath(asset.path).name for asset in assets) == [
        "favicon.png",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
    ]
    assert all(asset.scheme == "https" and asset.netloc for asset in assets)


def test_flasks_json_provider_sorts_the_keys() -> None:
    assert Flask("bare").json.dumps({"title": "t", "id": 1}) == '{"id": 1, "title": "t"}'


def test_flask_answers_json_nested_too_deeply_with_a_500() -> None:
    app = Flask("bare")

    @app.post("/echo")
    def echo() -> Any:
        return request.get_json()

    nested = "[" * 100_000 + "]" * 100_000
    response = app.test_client().post("/echo", data=nested, content_type="application/json")

    assert response.status_code == 500  # the parser's RecursionError is no ValueError


def test_apiflask_ignores_query_parameters_an_operation_does_not_take() -> None:
    app = APIFlask("bare")

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"ping": "pong"}

    assert app.test_client().get("/ping?per_pgae=5").status_code == 200


def test_werkzeug_sets_no_limit_on_the_url_or_the_headers() -> None:
    app = Flask("bare")

    @app.get("/ping")
    def ping() -> str:
        return "pong"

    client = app.test_client()

    # Past these only gunicorn's own limits stop a request, with a plain HTML answer.
    assert client.get("/ping?" + "x" * 2 * framework.MAX_URL_BYTES).status_code == 200
    padding = {"X-Padding": "x" * 2 * framework.MAX_HEADER_BYTES}
    assert client.get("/ping", headers=padding).status_code == 200


def test_apiflasks_docs_page_says_nothing_to_a_browser_without_javascript() -> None:
    page = APIFlask("bare").test_client().get("/docs").get_data(as_text=True)

    assert '<div id="swagger-ui"></div>' in page
    assert "<noscript" not in page


def test_apiflasks_docs_pages_run_inline_code() -> None:
    client = APIFlask("bare").test_client()

    # A policy of script-src and style-src 'self' refuses all of it.
    for path in ("/docs", "/docs/oauth2-redirect"):
        assert inline_code(client.get(path).get_data(as_text=True)), path
