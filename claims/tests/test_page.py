"""The claims page stays true: every claim has a verdict and, unless an opinion, a test.

claims/README.md gives each claim a verdict. A claim that can be decided links a test: one of
this folder's, named for the claim's number, or one of the core suite's, when a fact the core
shows decides it. An opinion links none and says why none could decide it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sqlalchemy

LAYER = Path(__file__).resolve().parent.parent
PAGE = LAYER / "README.md"
CORE_TESTS = LAYER.parent / "tests"
CLAIM_TESTS = LAYER / "tests" / "test_claims.py"
# A row of the claims table: | # | Claim | In | Verdict | Why | Test |
CLAIM_ROW = re.compile(
    r"^\| (\d+) \| (.+?) \| ([A-C](?:, [A-C])*) \| \*\*(\w+)\*\* \| (.+?) \| (.+?) \|$",
    re.MULTILINE,
)
NUMBERED_ROW = re.compile(r"^\| \d+ \|", re.MULTILINE)
VERDICTS = {"True", "False", "Misleading", "Opinion"}
NO_TEST = "none: an opinion"
TEST_LINK = re.compile(r"\[`(test_\w+)`\]\(([\w./]+\.py)\)")


def claim_rows() -> list[tuple[str, ...]]:
    return CLAIM_ROW.findall(PAGE.read_text())


def claim_tests() -> set[str]:
    return {name for name in functions_in(CLAIM_TESTS) if name.startswith("test_")}


def links(text: str, page: Path) -> set[tuple[str, Path]]:
    return {(name, (page.parent / path).resolve()) for name, path in TEST_LINK.findall(text)}


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_claim_has_a_verdict_and_unless_an_opinion_a_test() -> None:
    rows = claim_rows()

    assert rows
    assert len(rows) == len(NUMBERED_ROW.findall(PAGE.read_text())), "a row is malformed"
    assert [int(row[0]) for row in rows] == list(range(1, len(rows) + 1))
    for number, _claim, _source, verdict, _why, test in rows:
        assert verdict in VERDICTS, f"claim {number}: {verdict} is not a verdict"
        if verdict == "Opinion":
            continue
        linked = links(test, PAGE)
        assert linked, f"claim {number} is not an opinion, so it needs a test"
        for name, path in linked:
            if path == CLAIM_TESTS:
                assert name.startswith(f"test_claim_{number}_"), f"claim {number}: {name}"
            else:
                assert path.is_relative_to(CORE_TESTS), f"claim {number}: {path} is no core test"
                assert name in functions_in(path), f"claim {number}: no {name} in {path.name}"


def test_an_opinion_has_a_reason_and_no_test() -> None:
    opinions = [row for row in claim_rows() if row[3] == "Opinion"]

    assert opinions
    for number, _claim, _source, _verdict, why, test in opinions:
        assert test == NO_TEST, f"claim {number}: an opinion links to no test"
        assert len(why.split()) >= 8, f"claim {number}: say why no test can decide it"
        assert not any(name.startswith(f"test_claim_{number}_") for name in claim_tests())


def test_every_claim_test_appears_on_the_page() -> None:
    linked = {name for name, path in links(PAGE.read_text(), PAGE) if path == CLAIM_TESTS}

    assert claim_tests() <= linked


def test_a_sqlalchemy_release_the_page_names_is_the_one_installed() -> None:
    # Verdicts are tested on the installed release; the page names it where it matters.
    named = set(re.findall(r"\b2\.\d+\.\d+\b", PAGE.read_text()))

    assert named <= {sqlalchemy.__version__}
