"""The guide and the README stay true: links, verdicts and the schema diagram.

docs/relationships.md links every statement to a test and gives a verdict for each claim. These
tests fail when a linked test is renamed or removed, when a verdict disagrees with the test that
decides it, or when the README's diagram no longer matches the models. The code blocks of the
docs, excerpts of blog/models.py included, are checked by tests/test_guide_code.py.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from blog.db import Base
from scripts.erd import mermaid, page_diagram
from tests.conftest import PROJECT_ROOT

ROOT = Path(PROJECT_ROOT)
GUIDE = ROOT / "docs" / "relationships.md"
README = ROOT / "README.md"
TEST_LINK = re.compile(r"\[`(test_\w+)`\]\(\.\./(tests/[\w/]+\.py)\)")
CLAIM_ROW = re.compile(
    r"^\| (\d+) \| .*? \| \*\*(\w+)\*\* \| .*? \| \[`(test_claim_\d+_\w+)`\]", re.MULTILINE
)


@cache
def functions_in(path: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse((ROOT / path).read_text())
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def guide_links() -> list[tuple[str, str]]:
    return sorted(set(TEST_LINK.findall(GUIDE.read_text())))


def test_the_guide_links_to_tests() -> None:
    assert len(guide_links()) >= 60


@pytest.mark.parametrize(("name", "path"), guide_links(), ids=str)
def test_every_test_the_guide_links_to_exists(name: str, path: str) -> None:
    assert name in functions_in(path), f"{path} has no {name}"


def test_every_claim_in_the_guide_has_the_verdict_its_test_reaches() -> None:
    rows = CLAIM_ROW.findall(GUIDE.read_text())
    claim_tests = functions_in("tests/test_claims.py")

    assert [int(number) for number, _, _ in rows] == list(range(1, 9))
    for number, verdict, name in rows:
        assert name.startswith(f"test_claim_{number}_")
        docstring = ast.get_docstring(claim_tests[name]) or ""
        stated = re.search(r"Verdict: (\w+)\.", docstring)
        assert stated, f"{name} states no verdict"
        assert stated[1] == verdict.lower(), f"claim {number}: guide {verdict}, test {stated[1]}"
        assert docstring.startswith(f"Claim {number}: ")


def test_every_claim_test_appears_in_the_guide() -> None:
    linked = {name for name, _ in guide_links()}
    claims = {name for name in functions_in("tests/test_claims.py") if name.startswith("test_")}

    assert claims <= linked


def test_the_readme_links_to_the_guide() -> None:
    assert "(docs/relationships.md)" in README.read_text()


def test_the_schema_diagram_matches_the_models() -> None:
    assert page_diagram((ROOT / "docs" / "schema.md").read_text()) == mermaid(Base.metadata), (
        "The schema diagram in docs/schema.md is out of date: run `make docs` to redraw it."
    )


PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """Return the anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {
        slug(line.lstrip("#")) for line in page.read_text().splitlines() if line.startswith("#")
    }


def relative_links() -> list[tuple[Path, str]]:
    return [
        (page, target)
        for page in PAGES
        for target in LINK.findall(page.read_text())
        if not target.startswith(("http://", "https://", "mailto:"))
    ]


def test_the_pages_link_to_each_other() -> None:
    assert len(relative_links()) >= 100


@pytest.mark.parametrize(
    ("page", "target"), relative_links(), ids=lambda value: getattr(value, "name", value)
)
def test_every_relative_link_reaches_a_file_and_heading(page: Path, target: str) -> None:
    path, _, anchor = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    assert linked.exists(), f"{page.name} links to {path}, which does not exist"
    if anchor and linked.suffix == ".md":
        assert anchor in anchors(linked), f"{page.name} links to #{anchor}, no heading of {path}"


def test_the_readme_is_a_front_door() -> None:
    assert len(README.read_bytes()) <= 12 * 1024, "Move detail to a page in docs/."
