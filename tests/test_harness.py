"""The suite guards the database it drops, and says how to start PostgreSQL when it cannot."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def run_the_suite_with(url: str) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {"TEST_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_readme.py"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_suite_refuses_a_database_whose_name_lacks_test() -> None:
    result = run_the_suite_with("postgresql+psycopg://postgres@127.0.0.1:5432/blog")

    assert result.returncode == 4
    assert "its name must contain 'test'" in result.stdout + result.stderr


def test_the_suite_stops_at_once_and_says_how_to_start_postgresql() -> None:
    # Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    result = run_the_suite_with("postgresql+psycopg://postgres@127.0.0.1:1/blog_unreachable_test")

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Cannot reach PostgreSQL" in output
    assert "Start PostgreSQL, or point TEST_DATABASE_URL" in output
