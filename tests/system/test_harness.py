"""The harness seen from outside: the suite run as a command, a served app, the helpers alone.

These start processes: pytest, to show what the suite does with its database before any test
runs and after the last one, and which folders it leaves to their own make targets; gunicorn,
for the served app the checks beyond `make test` use; and Python, to import the database
helpers that bench/ shares without pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.databases import drop, exists, recreate
from tests.fixtures import (
    PROJECT_ROOT,
    SERVED_PASSWORD,
    SERVED_TAGS,
    SERVED_USER,
    app_server,
)
from tests.servers import call

# One test of the in-process suite: it needs the test database, and fails when that database
# holds a table the migrations do not make.
IN_PROCESS_TEST = "tests/test_harness.py::test_the_test_database_holds_what_the_migrations_build"


def run_the_suite_with(url: str, *tests: str) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {"TEST_DATABASE_URL": url}
    return subprocess.run(  # noqa: S603 - the suite's own command
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_suite_refuses_a_database_whose_name_lacks_test() -> None:
    result = run_the_suite_with(
        "postgresql+psycopg://postgres@127.0.0.1:5432/blog", IN_PROCESS_TEST
    )

    assert result.returncode == 4
    assert "its name must contain 'test'" in result.stdout + result.stderr


def test_the_suite_stops_at_once_and_says_how_to_start_postgresql() -> None:
    # Port 1 on the loopback: nothing listens there, so the connection is refused.
    result = run_the_suite_with(
        "postgresql+psycopg://postgres@127.0.0.1:1/blog_unreachable_test", IN_PROCESS_TEST
    )

    output = result.stdout + result.stderr
    assert "Connection refused" in output
    assert "Cannot reach PostgreSQL" in output
    assert "Start PostgreSQL, or point TEST_DATABASE_URL" in output
    # Stopped before the first test, rather than an error for each one.
    assert result.returncode == pytest.ExitCode.INTERRUPTED
    assert "no tests ran" in output


def test_the_suite_recreates_its_database_and_drops_it_at_the_end(database_url: str) -> None:
    url = make_url(database_url)
    name = f"{url.database}_harness"
    own = url.set(database=name).render_as_string(hide_password=False)
    recreate(own)
    try:
        engine = create_engine(own)
        with engine.begin() as leftover:
            leftover.execute(text("CREATE TABLE left_over_from_a_past_run (id integer)"))
        engine.dispose()

        # That test fails on a table the migrations do not make.
        result = run_the_suite_with(own, IN_PROCESS_TEST)

        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 passed" in result.stdout
        assert not exists(own)
    finally:
        drop(own)


def test_the_checks_with_targets_of_their_own_are_collected_only_when_named() -> None:
    # What `make test` collects, less tests/api, tests/models and the top-level modules of tests/
    # and of each layer's tests/: nothing, where the folders pyproject.toml's norecursedirs names
    # (this one, and checks that need a tool or a server, each run by a make target of its own)
    # would be collected if pytest looked there.
    command = ["--collect-only", "-q", "-p", "no:cacheprovider"]
    ignored = ["--ignore=tests/api", "--ignore=tests/models", "--ignore-glob=tests/test_*.py"]
    ignored.append("--ignore-glob=*/tests/test_*.py")
    result = subprocess.run(  # noqa: S603 - this interpreter's own pytest
        [sys.executable, "-m", "pytest", *command, *ignored],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout + result.stderr
    assert "no tests collected" in result.stdout


def test_a_served_app_has_its_user_and_post_under_gunicorn_and_is_dropped_after(
    database_url: str,
) -> None:
    url = make_url(database_url)
    sibling = url.set(database=f"{url.database}_served").render_as_string(hide_password=False)

    cheap = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST_KIB": "8", "ARGON2_PARALLELISM": "1"}
    with app_server(database_url, "served", **cheap) as server:
        assert exists(sibling)
        assert len(server.workers()) == 2
        posts = call(server.url + "/api/posts").json()
        signed_in = call(
            server.url + "/api/tokens",
            "POST",
            body={"username": SERVED_USER, "password": SERVED_PASSWORD},
        )

    assert posts["total"] == 1
    assert posts["items"][0]["author"]["username"] == SERVED_USER
    assert posts["items"][0]["tags"] == SERVED_TAGS  # sorted, as a post lists them
    assert signed_in.status == 200
    assert server.process.poll() is not None
    assert not exists(sibling)


def test_the_database_helpers_need_neither_pytest_nor_bench() -> None:
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, tests.databases\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pytest', 'bench'}))",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert imported.stdout.strip() == "[]"
