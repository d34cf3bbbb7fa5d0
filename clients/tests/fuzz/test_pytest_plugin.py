"""schemathesis's own pytest plugin, which the suite keeps off (`-p no:schemathesis`).

Under this pytest its tests for a schema all bear one id, whatever their operation, and a schema
made by a fixture fails outright; so ../test_fuzz.py drives schemathesis's generation itself.
This runs the plugin in a pytest of its own, in a temporary directory, so it is under make fuzz
rather than make test. A failure after an upgrade may mean that the plugin works again.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

INTEGRATION = """
import pytest
import schemathesis

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Two", "version": "1"},
    "paths": {
        path: {"get": {"responses": {"200": {"description": "OK"}}}} for path in ("/a", "/b")
    },
}
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture
def document():
    return schemathesis.openapi.from_dict(DOCUMENT)


@schema.parametrize()
def test_by_schema(case):
    pass


@schemathesis.pytest.from_fixture("document").parametrize()
def test_by_fixture(case):
    pass
"""


def test_schemathesis_pytest_integration_is_broken_under_this_pytest(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_integration.py").write_text(INTEGRATION)

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "schemathesis", "-p", "no:cacheprovider", "-v"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    output = result.stdout + result.stderr
    # Both operations' tests bear the one id, where a working integration names each operation.
    assert output.count("test_integration.py::test_by_schema PASSED") == 2, output
    assert "test_by_schema[GET /a]" not in output
    assert "test_by_fixture FAILED" in output
    assert "'Function' object has no attribute '_nodeid'" in output
