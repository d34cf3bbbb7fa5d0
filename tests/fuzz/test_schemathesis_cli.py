"""schemathesis from its command line, against the app under gunicorn, with every check.

The app runs on a free loopback port against a fresh database, migrated and seeded with the demo
data. The fuzzer signs in as the demo user alice first and sends her token with every request.
`st run` then reads /openapi.json and runs all four phases (examples, coverage, fuzzing and the
stateful phase, which chains operations through the links it infers) with all of its checks:
no 5xx, documented statuses, content types, headers and schemas, invalid requests refused, valid
ones accepted, authentication enforced, deleted things gone. What the tool cannot know from the
document is in schemathesis.toml, each with why. Its report is printed as it runs; the test
fails if it found anything.

tests/test_fuzz.py fuzzes the same document inside the suite, in each test's transaction; this
one exercises the real server and the phases only the command line has. Not part of `make
test`: run it with `make fuzz`. FUZZ_EXAMPLES sets the examples per operation (20 by default,
a minute or two), FUZZ_SEED a seed to replay a run with.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from blog.seed import DEMO_PASSWORD
from tests.conftest import PROJECT_ROOT, demo_server
from tests.servers import Server, call

SCHEMATHESIS = Path(sys.executable).parent / "st"
CONFIG = Path(PROJECT_ROOT) / "schemathesis.toml"
PHASES = "examples,coverage,fuzzing,stateful"
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "20")
SEED = os.environ.get("FUZZ_SEED")


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Server]:
    with demo_server(database_url, "fuzz") as server:
        yield server


def test_schemathesis_finds_nothing(server: Server, tmp_path: Path) -> None:
    answer = call(
        server.url + "/api/tokens",
        "POST",
        body={"username": "alice", "password": DEMO_PASSWORD},
    )
    assert answer.status == 200, answer.body
    token = answer.json()["access_token"]
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        server.url + "/openapi.json",
        "--checks",
        "all",
        "--phases",
        PHASES,
        "--max-examples",
        EXAMPLES,
        "--header",
        f"Authorization: Bearer {token}",
        *(["--seed", SEED] if SEED else []),
    ]
    # Run from a temporary directory, so that nothing it stores lands in the tree.
    result = subprocess.run(command, cwd=tmp_path, check=False)  # noqa: S603 - fixed command

    assert result.returncode == 0, (
        f"schemathesis found failures (its report is above); server output:\n{server.output()}"
    )
