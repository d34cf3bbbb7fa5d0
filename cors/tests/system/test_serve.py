"""`bin/app serve` with the layer installed (`make cors-test`): it checks CORS_ORIGINS before
gunicorn starts, and serves the layer's app, which answers the listed origins."""

from __future__ import annotations

import subprocess

from blog.preflight import BAD_SETTINGS
from cors import ANY_ORIGIN
from tests.fixtures import PROJECT_ROOT, app_server
from tests.servers import APP, call, server_environment

LISTED = "https://app.example.com"
CHEAP = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST_KIB": "8", "ARGON2_PARALLELISM": "1"}


def test_serve_answers_the_listed_origins(database_url: str) -> None:
    with app_server(database_url, "cors", CORS_ORIGINS=LISTED, **CHEAP) as server:
        asked = {"Origin": LISTED, "Access-Control-Request-Method": "DELETE"}
        preflight = call(server.url + "/api/posts/1", "OPTIONS", headers=asked)
        answer = call(server.url + "/api/posts", headers={"Origin": LISTED})

    assert preflight.status == 204
    for response in (preflight, answer):
        assert response.headers["Access-Control-Allow-Origin"] == LISTED


def test_serve_refuses_a_bad_setting_in_a_line_before_gunicorn_starts() -> None:
    environ = server_environment(BLOG_ENV="development", CORS_ORIGINS="*")
    serve, run = ["sh", *APP], {"cwd": PROJECT_ROOT, "env": environ, "timeout": 60}
    done = subprocess.run(  # noqa: S603 - a fixed command
        serve, check=False, capture_output=True, text=True, **run
    )

    assert done.returncode == 2
    assert done.stderr == BAD_SETTINGS.format(ANY_ORIGIN) + "\n"
