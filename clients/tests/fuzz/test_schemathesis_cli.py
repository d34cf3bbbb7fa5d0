"""schemathesis from its command line, against the app under gunicorn, with every check.

The app runs on a free loopback port against a fresh database, migrated, with the user the
request examples name and a post of theirs (`app_server`). The user's password is the run's own
(so that the request examples, which sign in and confirm changes with the demo layer's published
password, cannot change it and end the token half-way); the fuzzer signs in as that user first
and sends the token with every request.
`st run` then reads /openapi.json and runs all four phases (examples, the request models' own,
then coverage, fuzzing and the stateful phase, which chains operations through links it infers,
as the document declares none) with all of its checks: no 5xx, documented statuses,
content types, headers and schemas, invalid requests refused, valid ones accepted,
authentication enforced, deleted things gone, and the rest. What the tool cannot know from the
document is in the layer's schemathesis.toml, each with why. Its report is printed as it runs;
the test fails if it found anything.

clients/tests/test_fuzz.py fuzzes the same document inside the suite, in each test's transaction,
with schemathesis's generation alone; this one exercises the real server and the other phases
too. Not part of `make test`: run it with `make fuzz`. FUZZ_EXAMPLES is passed on as --max-examples
(20 by default), FUZZ_SEED as --seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask, jsonify
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.cli.commands.run import DEFAULT_PHASES
from werkzeug.serving import make_server

from blog import create_app
from blog.config import Settings
from tests.fixtures import SERVED_PASSWORD, SERVED_USER, app_server
from tests.servers import Server, call, free_port

SCHEMATHESIS = Path(sys.executable).parent / "st"
CONFIG = Path(__file__).resolve().parent.parent.parent / "schemathesis.toml"
PHASES = "examples,coverage,fuzzing,stateful"
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "20")
SEED = os.environ.get("FUZZ_SEED")


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Server]:
    with app_server(database_url, "fuzz") as server:
        yield server


def run_schemathesis(url: str, workdir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Run `st run` on the document at `url` with every phase and check, printing its report."""
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        url,
        "--checks",
        "all",
        "--phases",
        PHASES,
        *options,
        *(["--seed", SEED] if SEED else []),
    ]
    # Run from a temporary directory, so that nothing it stores lands in the tree.
    return subprocess.run(command, cwd=workdir, check=False)  # noqa: S603 - fixed command


def sign_in(server: Server) -> str:
    body = {"username": SERVED_USER, "password": SERVED_PASSWORD}
    answer = call(server.url + "/api/tokens", "POST", body=body)
    assert answer.status == 200, answer.body
    return str(answer.json()["access_token"])


def test_schemathesis_finds_nothing(server: Server, tmp_path: Path) -> None:
    token = sign_in(server)
    result = run_schemathesis(
        server.url + "/openapi.json",
        tmp_path,
        "--max-examples",
        EXAMPLES,
        "--header",
        f"Authorization: Bearer {token}",
    )

    assert result.returncode == 0, (
        f"schemathesis found failures (its report is above); server output:\n{server.output()}"
    )


def test_the_run_has_every_phase_and_the_checks_named_above() -> None:
    load_all_checks()

    assert PHASES.split(",") == DEFAULT_PHASES == ["examples", "coverage", "fuzzing", "stateful"]
    assert set(CHECKS.get_all_names()) >= {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "ignored_auth",
        "use_after_free",
    }


def test_the_document_has_examples_of_bodies_no_links_and_schemathesis_infers_links() -> None:
    app = create_app(Settings(env="testing"))
    document = app.test_client().get("/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document)

    with_examples = {
        name for name, c in document["components"]["schemas"].items() if "examples" in c
    }
    bodies = {
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        for operations in document["paths"].values()
        for operation in operations.values()
        if "requestBody" in operation
    }
    assert with_examples == bodies
    assert '"links"' not in json.dumps(document)
    assert schema.operations_with_incoming_links() == set()
    schema.as_state_machine()
    assert "GET /api/posts/{post_id}" in schema.operations_with_incoming_links()


def test_a_run_that_finds_a_failure_exits_with_an_error(tmp_path: Path) -> None:
    # An API of one operation, whose every answer is a 500.
    broken = Flask("broken")
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Broken", "version": "1"},
        "paths": {"/crashes": {"get": {"responses": {"200": {"description": "OK"}}}}},
    }
    broken.add_url_rule("/openapi.json", "document", lambda: jsonify(document))
    broken.add_url_rule("/crashes", "crashes", lambda: ("", 500))
    server = make_server("127.0.0.1", free_port(), broken, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        result = run_schemathesis(
            f"http://127.0.0.1:{server.server_port}/openapi.json", tmp_path, "--max-examples", "5"
        )
    finally:
        server.shutdown()
        serving.join()

    assert result.returncode != 0
    # What it stores, it stores in the directory it runs in.
    assert {".schemathesis", ".hypothesis"} <= {path.name for path in tmp_path.iterdir()}
