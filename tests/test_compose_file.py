"""docker-compose.yml and the Dockerfile, read: what `docker compose up` would run, and how.

The commands themselves are run without Docker by tests/system/test_compose.py (make
system-test), and with Docker by `make compose-test`.
"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.compose import APP_ROLE_SCRIPT, COMPOSE, compose_environment, service
from tests.fixtures import PROJECT_ROOT

NGINX_CONF = Path(PROJECT_ROOT, "docker", "nginx", "default.conf")


def test_every_one_shot_service_is_awaited_by_a_long_running_one() -> None:
    # The compose check's `docker compose up --wait` succeeds with migrate and seed exited 0,
    # each awaited by another service with service_completed_successfully.
    one_shots = {name for name, spec in COMPOSE["services"].items() if spec.get("restart") == "no"}
    awaited = {
        dependency
        for spec in COMPOSE["services"].values()
        for dependency, condition in spec.get("depends_on", {}).items()
        if condition.get("condition") == "service_completed_successfully"
    }

    assert one_shots == {"migrate", "seed"}
    assert one_shots <= awaited


def test_the_containers_run_the_commands_of_bin_app() -> None:
    commands = {
        name: spec["command"]
        for name, spec in COMPOSE["services"].items()
        if name not in {"db", "proxy"}
    }

    assert commands == {
        "migrate": ["bin/app", "migrate"],
        "seed": ["bin/app", "seed"],
        "api": ["bin/app", "serve"],
        "tests": ["bin/app", "test"],
    }
    dockerfile = Path(PROJECT_ROOT, "Dockerfile").read_text()
    assert 'CMD ["bin/app", "serve"]' in dockerfile
    assert 'CMD ["bin/app", "test"]' in dockerfile


def test_compose_reads_the_variables_of_env_example_and_publishes_port_8000() -> None:
    compose = Path(PROJECT_ROOT, "docker-compose.yml").read_text()
    example = Path(PROJECT_ROOT, ".env.example").read_text().splitlines()
    # BLOG_IMAGE_TAG only tags the images; .env.example need not offer it.
    substituted = set(re.findall(r"\$\{(\w+):-", compose)) - {"BLOG_IMAGE_TAG"}
    offered = {line.split("=")[0] for line in example if line and not line.startswith("#")}
    tagging = [
        line.strip()
        for line in compose.splitlines()
        if "${BLOG_IMAGE_TAG" in line and not line.lstrip().startswith("#")
    ]

    assert substituted <= offered
    assert tagging
    assert all(line.startswith("image: ") for line in tagging)
    assert {"BLOG_ENV", "SECRET_KEY", "POSTGRES_PASSWORD", "API_PORT"} <= substituted
    published = {
        name: spec["ports"] for name, spec in COMPOSE["services"].items() if "ports" in spec
    }
    assert list(published.values()) == [["${API_PORT:-8000}:80"]]  # only the proxy
    assert "DATABASE_URL" not in offered  # compose builds it from the passwords
    assert "${POSTGRES_PASSWORD:-" in service("migrate")["environment"]["DATABASE_URL"]
    for name in ("seed", "api"):
        assert "${APP_DATABASE_PASSWORD:-" in service(name)["environment"]["DATABASE_URL"]


def test_the_image_runs_as_an_unprivileged_user_and_runtime_is_the_default_stage() -> None:
    dockerfile = Path(PROJECT_ROOT, "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS ([\w-]+)", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)

    assert {"builder", "test", "runtime"} <= set(stages)
    assert stages[-1] == "runtime"
    assert users[-1] == "10001:10001"
    assert COMPOSE["services"]["api"]["build"]["target"] == "runtime"


def test_only_the_proxy_publishes_a_port_and_it_passes_requests_to_gunicorn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    published = {name for name, spec in COMPOSE["services"].items() if spec.get("ports")}
    proxy = service("proxy")
    conf = NGINX_CONF.read_text()
    gunicorn_conf = str(Path(PROJECT_ROOT, "gunicorn.conf.py"))

    assert published == {"proxy"}
    assert proxy["image"].startswith("nginx:")
    assert proxy["depends_on"] == {"api": {"condition": "service_healthy"}}
    assert "./docker/nginx/default.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    # gunicorn.conf.py binds PORT, 8000 unless the api service sets another.
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    assert runpy.run_path(gunicorn_conf)["bind"] == "0.0.0.0:8000"
    monkeypatch.setenv("PORT", "8123")
    assert runpy.run_path(gunicorn_conf)["bind"] == "0.0.0.0:8123"
    assert "PORT" not in compose_environment("api")
    assert "set $api http://api:8000;" in conf
    assert "proxy_request_buffering on;" in conf


def test_the_db_service_makes_the_app_role_that_the_app_connects_as() -> None:
    db = service("db")
    app_user = make_url(compose_environment("api")["DATABASE_URL"]).username

    assert "./docker/db:/docker-entrypoint-initdb.d:ro" in db["volumes"]
    assert "APP_DATABASE_PASSWORD" in db["environment"]
    assert 'app="${APP_DATABASE_USER:-blog_app}"' in APP_ROLE_SCRIPT.read_text()
    assert app_user == compose_environment("seed")["DATABASE_URL"].split("//")[1].split(":")[0]
    assert app_user == "blog_app"
    assert make_url(compose_environment("migrate")["DATABASE_URL"]).username == "postgres"
