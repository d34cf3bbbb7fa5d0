"""docker-compose.yml, the Dockerfile and the proxy's nginx configuration, read: what
`docker compose up` would run, and how.

The commands themselves are run without Docker by tests/system/test_compose.py (make
system-test), and with Docker by `make compose-test`.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from apiflask import APIFlask
from sqlalchemy.engine import make_url

from blog import framework
from blog.errors import PROBLEM_MEDIA_TYPE, title
from tests.compose import APP_ROLE_SCRIPT, COMPOSE, compose_environment, service
from tests.fixtures import PROJECT_ROOT
from tests.servers import server_environment

NGINX_CONF = Path(PROJECT_ROOT, "docker", "nginx", "default.conf")


def nginx_directives(conf: str) -> list[tuple[list[str], list[str]]]:
    """Return each directive of an nginx configuration, as its words, with the blocks it sits in.

    The blocks come outermost first (`["server", "location /"]`). Comments are dropped; a quoted
    string is one word, unquoted, and so is a `${NAME}`.
    """
    text = re.sub(r"#[^\n]*", "", conf)
    tokens = re.findall(r"'[^']*'|\"[^\"]*\"|[{};]|(?:\$\{\w+\}|[^\s{};'\"])+", text)
    found: list[tuple[list[str], list[str]]] = []
    stack: list[str] = []
    words: list[str] = []
    for token in tokens:
        if token == "{":
            stack.append(" ".join(words))
            words = []
        elif token == "}":
            stack.pop()
        elif token == ";":
            found.append((list(stack), words))
            words = []
        else:
            words.append(token[1:-1] if token[0] in "'\"" else token)
    return found


def nginx_lines(conf: str) -> list[tuple[list[str], str]]:
    """Return each directive of an nginx configuration as one line, with its blocks."""
    return [(blocks, " ".join(words)) for blocks, words in nginx_directives(conf)]


def map_entries(conf: str, variable: str) -> dict[str, str]:
    """Return the entries of the nginx `map ... $variable` block: key -> value."""
    entries = {}
    for blocks, words in nginx_directives(conf):
        if blocks and blocks[-1].startswith("map ") and blocks[-1].endswith(f" ${variable}"):
            key, value = words
            entries[key] = value
    return entries


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
    # Only the proxy, and on the loopback interface unless API_BIND says otherwise.
    assert list(published.values()) == [["${API_BIND:-127.0.0.1}:${API_PORT:-8000}:80"]]
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
    assert (
        "./docker/nginx/default.conf:/etc/nginx/templates/default.conf.template:ro"
        in (proxy["volumes"])
    )
    # gunicorn.conf.py binds PORT, 8000 unless the api service sets another, on HOST: only
    # the loopback interface unless told otherwise (the image says 0.0.0.0).
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    assert runpy.run_path(gunicorn_conf)["bind"] == "127.0.0.1:8000"
    monkeypatch.setenv("HOST", "0.0.0.0")  # noqa: S104 - as the image sets it
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


def test_every_setting_the_proxy_template_reads_is_in_the_proxys_environment() -> None:
    # The image fills in the ${NAME}s its environment sets; any other would reach nginx as is.
    directives = " ".join(directive for _, directive in nginx_lines(NGINX_CONF.read_text()))
    read = set(re.findall(r"\$\{(\w+)\}", directives))
    environment = compose_environment("proxy")

    assert read
    assert read <= set(environment)
    assert all(int(environment[name]) > 0 for name in read)


def password_operations(app: APIFlask) -> set[str]:
    """Return "METHOD /path" for each operation whose body carries a password to hash."""
    schemas = app.spec["components"]["schemas"]
    found = set()
    for path, operations in app.spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                schema = schemas[body["schema"]["$ref"].rsplit("/", 1)[1]]
                if {"password", "current_password"} & set(schema.get("properties", {})):
                    found.add(f"{method.upper()} {path}")
    return found


def test_the_proxy_limits_per_client_only_the_operations_that_hash_a_password(
    app: APIFlask,
) -> None:
    conf = NGINX_CONF.read_text()
    directives = nginx_lines(conf)
    zones = {
        match[2]: match[1]
        for _, directive in directives
        if (match := re.fullmatch(r"limit_req_zone \$(\w+) zone=(\w+):\S+ rate=\S+", directive))
    }
    applied = {
        match[1]
        for _, directive in directives
        if (match := re.match(r"limit_req zone=(\w+) ", directive))
    }
    keyed: set[str] = set()
    for variable in zones.values():
        entries = map_entries(conf, variable)
        assert entries.pop("default") == ""  # any other request is not counted
        assert set(entries.values()) == {"$binary_remote_addr"}
        keyed |= set(entries)

    assert keyed == password_operations(app)
    assert applied == set(zones)


def test_the_proxys_limit_refusal_is_a_problem_with_retry_after_for_each_limited_path() -> None:
    conf = NGINX_CONF.read_text()
    directives = nginx_lines(conf)
    limited_paths = {
        request.split(" ")[1]
        for _, directive in directives
        if (match := re.fullmatch(r"limit_req_zone \$(\w+) .*", directive))
        for request in map_entries(conf, match[1])
        if request != "default"
    }
    after_rate = map_entries(conf, "retry_after_rate")
    after_connections = map_entries(conf, "retry_after")
    refusal = [d for blocks, d in directives if blocks[-1:] == ["location @too_many_requests"]]

    assert after_rate.pop("default") == ""
    assert {key.split(" ")[1] for key in after_rate} == limited_paths
    assert all(key.startswith("REJECTED ") for key in after_rate)
    # Each path's Retry-After is its zone's interval: the wait for the next one to pass.
    for _, words in nginx_directives(conf):
        if words[0] == "limit_req_zone":
            variable, rate = words[1].removeprefix("$"), words[3].removeprefix("rate=")
            interval = math.ceil({"r/m": 60, "r/s": 1}[rate[-3:]] / int(rate[:-3]))
            for request in set(map_entries(conf, variable)) - {"default"}:
                assert after_rate[f"REJECTED {request.split(' ')[1]}"] == str(interval), request
    # A refused connection tries again in a second; any other answer keeps the rate's.
    assert after_connections == {"REJECTED": "1", "default": "$retry_after_rate"}
    assert ["server"] in [
        blocks for blocks, d in directives if d == "error_page 429 @too_many_requests"
    ]
    assert "default_type application/problem+json" in refusal


def test_the_proxy_adds_its_headers_to_every_answer_of_the_server() -> None:
    # add_header in a location would drop the server's there; without `always`, nginx adds a
    # header to a few success and redirect statuses only.
    added = [(blocks, d) for blocks, d in nginx_lines(NGINX_CONF.read_text()) if "add_header" in d]

    assert {d.split(" ")[1] for _, d in added} >= {
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Content-Security-Policy",
        "Retry-After",
    }
    assert all(blocks == ["server"] and d.endswith(" always") for blocks, d in added)


def test_each_answer_of_the_proxys_own_is_problem_details_in_the_apps_shape() -> None:
    directives = nginx_directives(NGINX_CONF.read_text())
    pages = {words[-1]: words[1:-1] for _, words in directives if words[0] == "error_page"}
    assert pages

    for location, statuses in pages.items():
        inside = [words for blocks, words in directives if blocks[-1:] == [f"location {location}"]]
        [(_, status, body)] = [words for words in inside if words[0] == "return"]
        problem = json.loads(body)
        assert ["default_type", PROBLEM_MEDIA_TYPE] in inside
        assert statuses == [status]
        assert problem == problem | {"status": int(status), "title": title(int(status))}
        assert set(problem) == {"type", "title", "status", "detail"}


def test_the_proxy_lets_through_no_line_that_gunicorn_would_refuse() -> None:
    # gunicorn refuses with plain pages; nginx must refuse first, and the app's own limits (its
    # problem details) must sit below nginx's, so that a client meets the app's.
    [(count, size)] = [
        (int(words[1]), int(words[2].removesuffix("k")) * 1024)
        for _, words in nginx_directives(NGINX_CONF.read_text())
        if words[0] == "large_client_header_buffers"
    ]
    gunicorn = runpy.run_path(str(Path(PROJECT_ROOT, "gunicorn.conf.py")))
    longest_line = size - len("\r\n")
    # Every header line at its shortest ("a:" and CRLF), in all of nginx's header buffers and
    # its first one (client_header_buffer_size, 1k by default).
    most_lines = (count * size + 1024) // len("a:\r\n")

    assert longest_line <= gunicorn["limit_request_line"]
    assert longest_line <= gunicorn["limit_request_field_size"]
    assert most_lines <= gunicorn["limit_request_fields"]
    assert longest_line > framework.MAX_URL_BYTES
    assert count * size >= framework.MAX_HEADER_BYTES


def test_the_compose_checks_need_the_standard_library_alone() -> None:
    # `make compose-test` runs scripts/compose_check.py with the machine's python3, which has
    # none of the app's dependencies: importing it, and each layer's check it finds, must not
    # import the app or a package the app installs.
    code = (
        "import sys\n"
        "from scripts.compose_check import layer_checks\n"
        "layer_checks()\n"
        "loaded = {name.partition('.')[0] for name in sys.modules}\n"
        "print(' '.join(sorted(loaded & {'blog', 'apiflask', 'flask', 'sqlalchemy', 'pydantic'})))"
    )
    imported = subprocess.run(  # noqa: S603 - a fixed command
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert imported.stdout.split() == []


def installed(layer: str) -> bool:
    """Say whether a layer's package is installed, as `bin/app` decides it: a folder of caches
    alone is a namespace package, with no origin, and no layer."""
    spec = importlib.util.find_spec(layer)
    return spec is not None and spec.origin is not None


def test_the_seed_command_goes_through_the_demo_layer_or_says_in_a_line_there_is_none() -> None:
    # Both ways are taken in CI: here, and in `.ci/without-layers`' copy without demo/.
    environ = server_environment(BLOG_ENV="development")
    seed = ["sh", "bin/app", "seed", "--help"]  # flask's help needs no database
    done = subprocess.run(  # noqa: S603 - a fixed command
        seed, check=False, cwd=PROJECT_ROOT, env=environ, capture_output=True, text=True, timeout=60
    )

    assert (done.returncode, done.stderr) == (0, "")
    if not installed("demo"):
        assert done.stdout.count("\n") == 1  # that there is no demo data to load
    else:
        assert "Usage:" in done.stdout
        assert "seed" in done.stdout


def test_a_layer_folder_left_with_caches_alone_is_no_layer_to_bin_app(tmp_path: Path) -> None:
    # What `git rm -r demo` leaves behind when the tests have run: Python imports such a folder,
    # first on the path, as a namespace package with nothing in it, unless an installed copy of
    # the layer comes first (as in the image, where the layers are installed whole).
    (tmp_path / "bin").mkdir()
    shutil.copy(Path(PROJECT_ROOT, "bin", "app"), tmp_path / "bin" / "app")
    (tmp_path / "demo" / "__pycache__").mkdir(parents=True)
    environ = server_environment(BLOG_ENV="development")
    environ.pop("PYTHONPATH", None)  # the app from its installation, the folder from the copy
    seed = ["sh", str(tmp_path / "bin" / "app"), "seed", "--help"]  # flask's help needs no database
    done = subprocess.run(  # noqa: S603 - a fixed command
        seed, check=False, cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60
    )
    where = [sys.executable, "-c", "import importlib.util as u; print(u.find_spec('demo').origin)"]
    found = subprocess.run(  # noqa: S603 - a fixed command
        where, check=True, cwd=tmp_path, env=environ, capture_output=True, text=True
    ).stdout.strip()

    assert (done.returncode, done.stderr) == (0, "")
    if found == "None":  # the folder of caches: no layer
        assert done.stdout.count("\n") == 1  # that there is no demo data to load
    else:
        assert "Usage:" in done.stdout


def test_the_serve_command_goes_through_the_cors_layer_or_serves_the_cores_app() -> None:
    # Both ways are taken in CI: here, and in `.ci/without-layers`' copy without cors/. Gunicorn's
    # --check-config loads the app and exits, serving nothing; the layer's check refuses `*` first.
    environ = server_environment(
        BLOG_ENV="development", CORS_ORIGINS="*", GUNICORN_CMD_ARGS="--check-config"
    )
    app = ["sh", "bin/app", "serve"]
    done = subprocess.run(  # noqa: S603 - a fixed command
        app, check=False, cwd=PROJECT_ROOT, env=environ, capture_output=True, text=True, timeout=60
    )

    if not installed("cors"):
        assert (done.returncode, done.stderr) == (0, "")  # the core's app, loaded
    else:
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1  # the layer's check, about CORS_ORIGINS
        assert "CORS_ORIGINS" in done.stderr
