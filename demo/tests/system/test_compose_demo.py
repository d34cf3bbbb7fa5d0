"""The demo data through what `docker compose up` runs, run here without Docker (`make demo-test`).

As tests/system/test_compose.py does for the core: the compose file's commands, against a fresh
local database with the app's role. `bin/app seed` loads the demo data once, and the api serves
it; in production, `bin/app serve` refuses while a demo account accepts the published password,
and `bin/app seed` disables every such account and loads nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from demo.preflight import DEMO_ACCOUNTS_ACCEPT, DEMO_ACCOUNTS_OPEN
from demo.seed import (
    DEMO_PASSWORD,
    DEMO_POSTS,
    DEMO_USERNAMES,
    DEMO_USERS,
    LOADED,
    NONE_IN_PRODUCTION,
    demo_accounts,
)
from tests.compose import service
from tests.fixtures import TEST_SECRET_KEY
from tests.servers import call, running, server_environment
from tests.system.test_compose import Stack, compose_database, table_counts

PRODUCTION = {"BLOG_ENV": "production", "SECRET_KEY": TEST_SECRET_KEY}


@contextmanager
def migrated_stack(database_url: str, suffix: str, **settings: str) -> Iterator[Stack]:
    """A fresh database with the app's role, which `bin/app migrate` built (with `settings`)."""
    with compose_database(database_url, suffix) as (owner_url, app_url):
        # As in the image: the app user's home is /nonexistent.
        environ = server_environment(HOME="/nonexistent")
        stack = Stack(owner_url, app_url, environ, f"http://127.0.0.1:{environ['PORT']}")
        result = stack.run("migrate", **settings)
        assert result.returncode == 0, result.stderr
        yield stack


@pytest.fixture(scope="module")
def seeded(database_url: str) -> Iterator[Stack]:
    """A database migrated and seeded in development, as `docker compose up` leaves it."""
    with migrated_stack(database_url, "compose_demo") as stack:
        result = stack.run("seed")
        assert result.returncode == 0, result.stderr
        stack.outputs["seed"] = result.stdout
        yield stack


def test_seed_loads_the_demo_data_once(seeded: Stack) -> None:
    first = table_counts(seeded.owner_url)

    again = seeded.run("seed")

    assert seeded.outputs["seed"].splitlines() == [LOADED.format(len(DEMO_USERS), len(DEMO_POSTS))]
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [LOADED.format(0, 0)]
    assert table_counts(seeded.owner_url) == first
    assert first["users"] == len(DEMO_USERS)
    assert first["posts"] == len(DEMO_POSTS)


def test_the_api_serves_the_demo_posts(seeded: Stack) -> None:
    with running(service("api")["command"], seeded.environment("api")) as server:
        answer = call(server.url + "/api/posts?per_page=100")

    page = answer.json()
    assert answer.status == 200
    assert page["total"] == len(DEMO_POSTS)
    assert {post["author"]["username"] for post in page["items"]} == {
        user.username for user in DEMO_USERS
    }


@pytest.fixture(scope="module")
def seeded_in_development(database_url: str) -> Iterator[Stack]:
    """A second database, migrated and seeded in development, for production to take over."""
    with migrated_stack(database_url, "compose_demo_production") as stack:
        result = stack.run("seed")
        assert result.returncode == 0, result.stderr
        yield stack


def test_production_takes_over_a_database_seeded_in_development(
    seeded_in_development: Stack,
) -> None:
    stack = seeded_in_development
    check = [sys.executable, "-m", "demo.preflight"]

    refused = stack.run("api", *check, **PRODUCTION)
    seed = stack.run("seed", **PRODUCTION)
    allowed = stack.run("api", *check, **PRODUCTION)

    assert refused.returncode == DEMO_ACCOUNTS_OPEN == 3
    assert refused.stderr.splitlines() == [
        DEMO_ACCOUNTS_ACCEPT.format(demo_accounts(sorted(DEMO_USERNAMES)))
    ]
    assert seed.returncode == 0, seed.stderr
    assert seed.stdout.splitlines() == [
        NONE_IN_PRODUCTION.format(demo_accounts(sorted(DEMO_USERNAMES)))
    ]
    assert (allowed.returncode, allowed.stderr) == (0, "")
    assert table_counts(stack.owner_url)["posts"] == len(DEMO_POSTS)


def test_in_production_no_demo_account_can_sign_in(seeded_in_development: Stack) -> None:
    stack = seeded_in_development
    assert stack.run("seed", **PRODUCTION).returncode == 0

    with running(service("api")["command"], stack.environment("api", **PRODUCTION)) as server:
        statuses = {
            user.username: call(
                server.url + "/api/tokens",
                "POST",
                body={"username": user.username, "password": DEMO_PASSWORD},
            ).status
            for user in DEMO_USERS
        }

    assert statuses == dict.fromkeys(statuses, 401)
    assert set(statuses) == {user.username for user in DEMO_USERS}


def test_the_api_does_not_start_in_production_while_a_demo_account_is_open(
    database_url: str,
) -> None:
    with migrated_stack(database_url, "compose_demo_open") as stack:
        assert stack.run("seed").returncode == 0
        served = stack.run("api", **PRODUCTION)

    assert served.returncode == DEMO_ACCOUNTS_OPEN
    assert served.stderr.splitlines() == [
        DEMO_ACCOUNTS_ACCEPT.format(demo_accounts(sorted(DEMO_USERNAMES)))
    ]


def test_in_production_seeding_a_new_database_loads_nothing(database_url: str) -> None:
    with migrated_stack(database_url, "compose_demo_new", **PRODUCTION) as stack:
        seed = stack.run("seed", **PRODUCTION)
        counts = table_counts(stack.owner_url)

    assert seed.returncode == 0, seed.stderr
    assert seed.stdout.splitlines() == [NONE_IN_PRODUCTION.format(demo_accounts([]))]
    assert counts == dict.fromkeys(counts, 0)
