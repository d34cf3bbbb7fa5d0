"""The overlay, read without Docker: what it changes, and what it leaves alone.

Laid over docker-compose.yml it adds a PgBouncer, built from pooler/docker/pgbouncer/, and sends
the api's replicas through it with DB_POOLER=transaction; migrate and seed keep connecting to
db. `make compose-test` brings it up on a real engine (pooler/compose_check.py, `check_scale`);
pooler/tests/system runs the app behind the machine's own PgBouncer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from pooler import compose_check
from scripts.compose_check import layer_checks
from tests.fixtures import PROJECT_ROOT

ROOT = Path(PROJECT_ROOT)
BASE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SCALE = yaml.safe_load((ROOT / compose_check.OVERLAY).read_text())
# Compose reads the overlay's relative paths from the first file's folder, the project's top.
PGBOUNCER = ROOT / SCALE["services"]["pgbouncer"]["build"]["context"]
_DEFAULT = re.compile(r"\$\{(\w+):-([^}]*)\}")


def ini_settings() -> dict[str, str]:
    """Return pgbouncer.ini's settings (both sections), comments left out."""
    settings = {}
    for line in (PGBOUNCER / "pgbouncer.ini").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(";"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


def resolved(value: Any) -> str:
    return _DEFAULT.sub(lambda match: match[2], str(value))


def test_the_api_replicas_connect_through_pgbouncer_with_db_pooler_transaction() -> None:
    api = SCALE["services"]["api"]
    url = make_url(resolved(api["environment"]["DATABASE_URL"]))

    assert api["environment"]["DB_POOLER"] == "transaction"
    assert (url.host, url.port, url.username, url.database) == (
        "pgbouncer",
        6432,
        "blog_app",
        "blog",
    )
    assert api["depends_on"]["pgbouncer"] == {"condition": "service_healthy"}
    assert api["deploy"]["replicas"] == compose_check.API_REPLICAS


def test_the_compose_check_finds_this_layers_check() -> None:
    assert compose_check.CHECK in layer_checks()


def test_the_compose_check_lays_this_overlay_over_the_compose_file() -> None:
    check = compose_check.CHECK
    first, *rest = check.compose_file.split(":")

    assert (first, rest) == ("docker-compose.yml", [compose_check.OVERLAY])
    assert (ROOT / compose_check.OVERLAY).resolve() == (
        Path(__file__).resolve().parent.parent / "docker-compose.scale.yml"
    )
    assert set(check.added_services) == set(SCALE["services"]) - set(BASE["services"])
    assert check.api_replicas == SCALE["services"]["api"]["deploy"]["replicas"]


def test_the_build_context_is_the_layers_pgbouncer_folder_from_the_project_top() -> None:
    # Relative to the overlay's own folder it would name a folder that does not exist.
    context = SCALE["services"]["pgbouncer"]["build"]["context"]

    assert PGBOUNCER.resolve().is_relative_to(Path(__file__).resolve().parent.parent)
    assert {path.name for path in PGBOUNCER.iterdir()} >= {
        "Dockerfile",
        "entrypoint.sh",
        "pgbouncer.ini",
    }
    assert not (ROOT / compose_check.OVERLAY).parent.joinpath(context).exists()


def test_migrations_and_seeding_still_go_straight_to_postgresql() -> None:
    assert set(SCALE["services"]) == {"pgbouncer", "api"}
    for name in ("migrate", "seed"):
        url = make_url(resolved(BASE["services"][name]["environment"]["DATABASE_URL"]))
        assert url.host == "db"
        assert url.port == 5432


def test_only_the_proxy_publishes_a_port_with_the_overlay_too() -> None:
    assert not any("ports" in definition for definition in SCALE["services"].values())
    published = [name for name, definition in BASE["services"].items() if "ports" in definition]
    assert published == ["proxy"]


def test_pgbouncer_is_debians_in_transaction_mode_with_fewer_connections_than_processes() -> None:
    dockerfile = (PGBOUNCER / "Dockerfile").read_text()
    settings = ini_settings()
    workers = int(resolved(BASE["services"]["api"]["environment"]["WEB_CONCURRENCY"]))

    assert re.search(r"^FROM debian:trixie-slim$", dockerfile, re.MULTILINE)
    assert "apt-get install --yes --no-install-recommends pgbouncer" in dockerfile
    assert re.search(r"^USER 10002:10002$", dockerfile, re.MULTILINE)
    assert settings["pool_mode"] == "transaction"
    assert settings["ignore_startup_parameters"] == ""
    # The api's processes take turns on the server connections, as pooler/tests/system makes them.
    assert int(settings["default_pool_size"]) == compose_check.POOL_SIZE
    assert compose_check.API_REPLICAS * workers > compose_check.POOL_SIZE
    assert settings["listen_port"] == "6432"
    assert settings["auth_type"] == "scram-sha-256"
