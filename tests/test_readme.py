"""The README's links into blog/models.py point at the relationships they name.

`make docs` renumbers them after the models change (scripts/model_links.py).
"""

from __future__ import annotations

from pathlib import Path

from scripts.model_links import declarations, links
from tests.conftest import PROJECT_ROOT

README = Path(PROJECT_ROOT, "README.md").read_text()
DECLARED = declarations(Path(PROJECT_ROOT, "blog", "models.py").read_text())


def test_the_models_declare_relationships() -> None:
    assert len(DECLARED) >= 19


def test_the_readme_links_every_relationship_of_the_models() -> None:
    assert set(links(README)) == set(DECLARED)


def test_each_link_points_at_its_declaration() -> None:
    assert links(README) == DECLARED, "README links to models.py are stale: run `make docs`"
