"""The guide and the other pages stay true: test links, claim verdicts, the schema diagram, links.

docs/relationships.md links its statements to tests and gives a verdict for each claim. These
tests fail when a test the guide links to is renamed or removed, when a verdict differs from the
one its test's docstring states, when a claim that is not an opinion has no test (or an opinion
has one or gives no reason), when the diagram of docs/schema.md no longer matches the models,
and when a page links to a file or heading of the project that does not exist. The guide's code
blocks, excerpts included, are checked by tests/test_guide_code.py.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from blog.db import Base
from scripts.erd import mermaid, page_diagram
from tests.fixtures import PROJECT_ROOT

ROOT = Path(PROJECT_ROOT)
GUIDE = ROOT / "docs" / "relationships.md"
README = ROOT / "README.md"
TEST_LINK = re.compile(r"\[`(test_\w+)`\]\(\.\./(tests/[\w/]+\.py)\)")
# A row of the claims table: | # | Claim | In | Verdict | Why | Test |
CLAIM_ROW = re.compile(
    r"^\| (\d+) \| (.+?) \| ([A-C](?:, [A-C])*) \| \*\*(\w+)\*\* \| (.+?) \| (.+?) \|$",
    re.MULTILINE,
)
CLAIMS = 34
VERDICTS = {"True", "False", "Misleading", "Opinion"}
NO_TEST = "none: an opinion"


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


def claim_rows() -> list[tuple[str, ...]]:
    return CLAIM_ROW.findall(GUIDE.read_text())


def test_every_claim_in_the_guide_has_the_verdict_its_test_reaches() -> None:
    rows = claim_rows()
    claim_tests = functions_in("tests/test_claims.py")

    assert [int(row[0]) for row in rows] == list(range(1, CLAIMS + 1))
    for number, _claim, _source, verdict, _why, test in rows:
        assert verdict in VERDICTS, f"claim {number}: {verdict} is not a verdict"
        if verdict == "Opinion":
            continue
        linked = TEST_LINK.search(test)
        assert linked, f"claim {number} is not an opinion, so it needs a test"
        name = linked[1]
        assert name.startswith(f"test_claim_{number}_")
        docstring = ast.get_docstring(claim_tests[name]) or ""
        stated = re.search(r"Verdict: (\w+)\.", docstring)
        assert stated, f"{name} states no verdict"
        assert stated[1] == verdict.lower(), f"claim {number}: guide {verdict}, test {stated[1]}"
        assert docstring.startswith(f"Claim {number}: ")


def test_an_opinion_has_a_reason_and_no_test() -> None:
    opinions = [row for row in claim_rows() if row[3] == "Opinion"]
    claim_tests = functions_in("tests/test_claims.py")

    assert opinions
    for number, _claim, _source, _verdict, why, test in opinions:
        assert test == NO_TEST, f"claim {number}: an opinion links to no test"
        assert len(why.split()) >= 8, f"claim {number}: say why no test can decide it"
        assert not any(name.startswith(f"test_claim_{number}_") for name in claim_tests)


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
    """Return a heading's anchor: lower-cased, punctuation but - and _ dropped, spaces made -."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {
        slug(line.lstrip("#")) for line in page.read_text().splitlines() if line.startswith("#")
    }


def relative_links() -> list[tuple[Path, str]]:
    """Return every link of the pages to a file of the project.

    bench/ is optional: a clone may delete it, and then the links into it have nothing to reach.
    """
    return [
        (page, target)
        for page in PAGES
        for target in LINK.findall(page.read_text())
        if not target.startswith(("http://", "https://", "mailto:"))
        if (ROOT / "bench").is_dir() or not is_under_bench(page, target)
    ]


def is_under_bench(page: Path, target: str) -> bool:
    linked = (page.parent / target.partition("#")[0]).resolve()
    return linked.is_relative_to((ROOT / "bench").resolve())


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


def test_a_heading_and_a_link_into_bench_are_read_as_the_checks_need() -> None:
    assert slug(" 4. backref and back_populates") == "4-backref-and-back_populates"
    assert is_under_bench(README, "bench/README.md")
    assert is_under_bench(ROOT / "docs" / "performance.md", "../bench/run.py#L1")
    assert not is_under_bench(ROOT / "docs" / "performance.md", "testing.md#bench")
