"""What the make targets and CI run: `make test` first, then the checks beyond it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.fixtures import PROJECT_ROOT

ROOT = Path(PROJECT_ROOT)
MAKE = re.compile(r"\bmake ([a-z-]+)(?: SOAK_ARGS=\"([^\"]*)\")?")
AFTER_MAKE_TEST = [
    ("browser-test", ""),
    ("client-test", ""),
    ("openapi-lint", ""),
    ("fuzz", ""),
    ("pooler-test", ""),
    ("bench-smoke", ""),
    ("soak", "--seconds 15"),
]


def commands(lines: list[str]) -> list[tuple[str, str]]:
    return [match.groups("") for line in lines for match in MAKE.finditer(line)]


def workflow_steps() -> list[str]:
    workflow: dict[str, Any] = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    return [
        step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step
    ]


def test_ci_runs_make_test_first_then_the_checks_beyond_it() -> None:
    script = [
        line
        for line in (ROOT / ".ci/run").read_text().splitlines()
        if not line.lstrip().startswith("#")
    ]

    assert commands(script)[: len(AFTER_MAKE_TEST) + 1] == [("test", ""), *AFTER_MAKE_TEST]
    assert ".ci/without-bench" in script
    assert ("compose-test", "") in commands(script)


def test_the_workflow_runs_the_same_checks_and_the_stack_in_docker() -> None:
    steps = workflow_steps()

    assert commands(steps)[: len(AFTER_MAKE_TEST) + 1] == [("test", ""), *AFTER_MAKE_TEST]
    assert ".ci/without-bench" in steps
    assert any("make compose-test" in step for step in steps)


def test_make_test_installs_lints_type_checks_and_runs_the_suite() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = dict(re.findall(r"^([a-z-]+):([^#\n]*)", makefile, re.MULTILINE))

    assert targets["test"].split() == ["lint", "typecheck", "pytest"]
    assert all("install" in targets[name].split() for name in ("lint", "typecheck", "pytest"))
    assert "scripts/erd.py --write" in makefile
    assert "scripts/model_links.py --write" in makefile
