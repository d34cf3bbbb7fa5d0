"""`python -m demo.preflight`, run by `bin/app serve`: in production, no demo account may take the
published password. A database it cannot reach gets one line on stderr, not the driver's several.
What it says of a database seeded in development is in demo/tests/system/test_compose_demo.py.
"""

from __future__ import annotations

import psycopg
import pytest

from demo import preflight
from tests.fixtures import TEST_SECRET_KEY

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/blog_test"


def test_the_check_reports_an_unreachable_database_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(UNREACHABLE.replace("+psycopg", ""), connect_timeout=2)
    monkeypatch.setenv("BLOG_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)

    status = preflight.main()

    assert len(str(refused.value).splitlines()) > 1  # the driver's message, as it comes
    assert status == preflight.DEMO_ACCOUNTS_OPEN == 3
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(preflight.DEMO_CHECK_FAILED.format(""))
    assert "Connection refused" in line


def test_the_check_is_silent_outside_production(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BLOG_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)

    assert preflight.main() == 0
    assert capsys.readouterr() == ("", "")
