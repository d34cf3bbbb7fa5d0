"""The pages stay true: the tests they link to, the schema diagram, every link.

docs/relationships.md links its statements to tests. These tests fail when a test a page links
to is renamed or removed, when the diagram of docs/schema.md no longer matches the models, when
a page links to a file or heading of the project that does not exist, and when a core page (the
README or docs/) links into a layer, which a clone may delete. The pages are the core's and each
layer's README.md (tests/layers.py). The guide's code blocks, excerpts included, are checked by
tests/test_guide_code.py.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy

from blog.db import Base
from scripts.erd import mermaid, page_diagram
from tests.layers import CORE_PAGES, ROOT, layers, pages

GUIDE = ROOT / "docs" / "relationships.md"
README = ROOT / "README.md"
PAGES = pages()
# A link to a test function: [`test_name`](path/to/test_module.py), relative to its page.
TEST_LINK = re.compile(r"\[`(test_\w+)`\]\(([\w./]+\.py)\)")


@cache
def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def linked_tests(page: Path) -> list[tuple[str, Path]]:
    return sorted(
        {
            (name, (page.parent / path).resolve())
            for name, path in TEST_LINK.findall(page.read_text())
        }
    )


def test_the_guide_links_to_tests() -> None:
    assert len(linked_tests(GUIDE)) >= 60


@pytest.mark.parametrize(
    ("name", "path"),
    sorted({link for page in PAGES for link in linked_tests(page)}),
    ids=lambda value: getattr(value, "name", value),
)
def test_every_test_a_page_links_to_exists(name: str, path: Path) -> None:
    assert path.is_file(), f"{path} does not exist"
    assert name in functions_in(path), f"{path.relative_to(ROOT)} has no {name}"


def test_a_sqlalchemy_release_the_guide_names_is_the_one_installed() -> None:
    # The guide says which release it was tested on; a re-pin that changes it must revisit it.
    named = set(re.findall(r"\b2\.\d+\.\d+\b", GUIDE.read_text()))

    assert named <= {sqlalchemy.__version__}


def test_the_readme_links_to_the_guide() -> None:
    assert "(docs/relationships.md)" in README.read_text()


def test_the_schema_diagram_matches_the_models() -> None:
    assert page_diagram((ROOT / "docs" / "schema.md").read_text()) == mermaid(Base.metadata), (
        "The schema diagram in docs/schema.md is out of date: run `make docs` to redraw it."
    )


LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """Return a heading's anchor: lower-cased, punctuation but - and _ dropped, spaces made -."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {
        slug(line.lstrip("#")) for line in page.read_text().splitlines() if line.startswith("#")
    }


def relative_links(of: list[Path] = PAGES) -> list[tuple[Path, str]]:
    """Return every link of the pages to a file of the project."""
    return [
        (page, target)
        for page in of
        for target in LINK.findall(page.read_text())
        if not target.startswith(("http://", "https://", "mailto:"))
    ]


def linked_path(page: Path, target: str) -> Path:
    return (page.parent / target.partition("#")[0]).resolve()


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


def test_no_core_page_links_into_a_layer() -> None:
    # A clone may delete any layer: a core page may name one in prose, never link into it.
    into_layers = [
        f"{page.name} links to {target}"
        for page, target in relative_links(CORE_PAGES)
        for layer in layers()
        if linked_path(page, target).is_relative_to(layer)
    ]
    assert not into_layers, "\n".join(into_layers)


def test_every_layer_has_a_page_that_links_to_the_core() -> None:
    # The layers' pages are checked like the core's (above); each says what its layer holds.
    for layer in layers():
        assert any(
            not linked_path(page, target).is_relative_to(layer)
            for page, target in relative_links([layer / "README.md"])
        ), f"{layer.name}/README.md links nowhere outside {layer.name}/"


def test_a_heading_is_read_as_its_anchor() -> None:
    assert slug(" 4. backref and back_populates") == "4-backref-and-back_populates"
