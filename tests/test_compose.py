"""What `docker compose up` runs, run here without Docker.

The commands come from docker-compose.yml itself, so this cannot drift from it: migrate, seed and
api are run as the containers would run them, against a fresh local database, and the API then
answers real HTTP requests from gunicorn, checked also with the compose healthcheck command.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from blog.seed import DEMO_POSTS, DEMO_USERS
from tests.conftest import PROJECT_ROOT, sibling_database
from tests.servers import call, running, server_environment

COMPOSE = yaml.safe_load(Path(PROJECT_ROOT, "docker-compose.yml").read_text())
_DEFAULT = re.compile(r"\$\{(\w+):-([^}]*)\}")


def service(name: str) -> dict[str, Any]:
    definition: dict[str, Any] = COMPOSE["services"][name]
    return definition


def compose_environment(name: str) -> dict[str, str]:
    """Return a service's environment with `${VAR:-default}` resolved to the defaults."""
    return {
        key: _DEFAULT.sub(lambda match: match[2], str(value))
        for key, value in service(name).get("environment", {}).items()
    }


@dataclass
class Stack:
    database_url: str
    environ: dict[str, str]
    base_url: str

    def run(self, name: str) -> subprocess.CompletedProcess[str]:
        """Run a one-shot service's command the way its container would."""
        return subprocess.run(  # noqa: S603 - the command comes from our own compose file
            service(name)["command"],
            cwd=PROJECT_ROOT,
            env=self.environ | compose_environment(name) | {"DATABASE_URL": self.database_url},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def get(self, path: str) -> tuple[int, str, bytes]:
        answer = call(self.base_url + path, timeout=5)
        return answer.status, answer.headers["Content-Type"], answer.body


@pytest.fixture(scope="module")
def stack(database_url: str) -> Iterator[Stack]:
    with sibling_database(database_url, "compose") as compose_url:
        environ = server_environment()
        yield Stack(compose_url, environ, f"http://127.0.0.1:{environ['PORT']}")


def table_counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                for table in ("users", "posts", "tags", "post_tags")
            }
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def migrated(stack: Stack) -> Stack:
    result = stack.run("migrate")
    assert result.returncode == 0, result.stderr
    return stack


@pytest.fixture(scope="module")
def seeded(migrated: Stack) -> Stack:
    result = migrated.run("seed")
    assert result.returncode == 0, result.stderr
    return migrated


@pytest.fixture(scope="module")
def api(seeded: Stack) -> Iterator[Stack]:
    """Start the api service's command, wait until it is healthy, and stop it afterwards."""
    environ = seeded.environ | compose_environment("api") | {"DATABASE_URL": seeded.database_url}
    with running(service("api")["command"], environ) as server:
        yield seeded
    assert server.process.returncode == 0, "gunicorn did not shut down cleanly on SIGTERM"


def test_migrate_builds_the_schema(migrated: Stack) -> None:
    assert table_counts(migrated.database_url) == {
        "users": 0,
        "posts": 0,
        "tags": 0,
        "post_tags": 0,
    }


def test_seed_loads_the_demo_data_once(seeded: Stack) -> None:
    first = table_counts(seeded.database_url)

    again = seeded.run("seed")

    assert again.returncode == 0, again.stderr
    assert "added 0 users and 0 posts" in again.stdout
    assert table_counts(seeded.database_url) == first
    assert first["users"] == len(DEMO_USERS)
    assert first["posts"] == len(DEMO_POSTS)


def test_the_api_is_healthy(api: Stack) -> None:
    status, content_type, body = api.get("/healthz")

    assert status == 200
    assert content_type == "application/json"
    assert json.loads(body) == {"status": "ok"}


def test_the_compose_healthcheck_command_passes(api: Stack) -> None:
    command = service("api")["healthcheck"]["test"]
    assert command[0] == "CMD"

    result = subprocess.run(  # noqa: S603 - from our own compose file
        command[1:], env=api.environ, capture_output=True, text=True, timeout=10, check=False
    )

    assert result.returncode == 0, result.stderr


def test_the_api_serves_the_demo_posts(api: Stack) -> None:
    status, _, body = api.get("/api/posts?per_page=100")

    page = json.loads(body)
    assert status == 200
    assert page["total"] == len(DEMO_POSTS)
    assert {post["author"]["username"] for post in page["items"]} == {
        user.username for user in DEMO_USERS
    }


@pytest.mark.parametrize(
    ("path", "headers", "status", "answered_by"),
    [
        ("/api/tags?" + "x" * 5000, {}, 414, "the app"),
        ("/api/tags", {"X-Padding": "x" * 5000, "X-More": "y" * 5000}, 431, "the app"),
        ("/api/tags?" + "x" * 9000, {}, 414, "gunicorn"),
        ("/api/tags", {"X-Padding": "x" * 9000}, 431, "gunicorn"),
    ],
    ids=["long URL", "large headers", "URL past gunicorn's limit", "header past gunicorn's limit"],
)
def test_oversized_requests_are_refused_as_problems_up_to_gunicorns_limits(
    api: Stack, path: str, headers: dict[str, str], status: int, answered_by: str
) -> None:
    answer = call(api.base_url + path, headers=headers, timeout=5)

    assert answer.status == status
    expected = "application/problem+json" if answered_by == "the app" else "text/html"
    assert answer.headers["Content-Type"].startswith(expected)


def test_the_api_serves_its_docs_page_and_document(api: Stack) -> None:
    docs_status, docs_type, docs = api.get("/docs")
    spec_status, _, spec = api.get("/openapi.json")

    assert docs_status == 200
    assert docs_type.startswith("text/html")
    assert b"/openapi.json" in docs
    assert spec_status == 200
    assert "/api/posts" in json.loads(spec)["paths"]


def test_errors_from_gunicorn_are_problem_details(api: Stack) -> None:
    status, content_type, body = api.get("/api/nope")

    assert status == 404
    assert content_type == "application/problem+json"
    assert json.loads(body)["status"] == 404


def test_every_one_shot_service_is_awaited_by_a_long_running_one() -> None:
    # `docker compose up --wait` treats a container that exits as a failure unless another
    # service waits for it with service_completed_successfully.
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
        name: spec["command"] for name, spec in COMPOSE["services"].items() if name not in {"db"}
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
    substituted = set(re.findall(r"\$\{(\w+):-", compose))
    offered = {line.split("=")[0] for line in example if line and not line.startswith("#")}

    assert (
        substituted
        == offered
        == {
            "BLOG_ENV",
            "SECRET_KEY",
            "POSTGRES_PASSWORD",
            "API_PORT",
            "WEB_CONCURRENCY",
        }
    )
    assert COMPOSE["services"]["api"]["ports"] == ["${API_PORT:-8000}:8000"]
    assert "DATABASE_URL" not in offered  # compose builds it from POSTGRES_PASSWORD


def test_the_image_runs_as_an_unprivileged_user_and_runtime_is_the_default_stage() -> None:
    dockerfile = Path(PROJECT_ROOT, "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS ([\w-]+)", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)

    assert {"builder", "test", "runtime"} <= set(stages)
    assert stages[-1] == "runtime"  # a plain `docker build` builds the last stage
    assert users[-1] == "10001:10001"
    assert COMPOSE["services"]["api"]["build"]["target"] == "runtime"
