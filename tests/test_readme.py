"""The README's links into blog/models.py point at the relationships they name.

After a change to the models these fail until `make docs` renumbers the links
(scripts/model_links.py); a new relationship also needs a row, or a link, in the README's table.
"""

from __future__ import annotations

from pathlib import Path

from scripts.model_links import declarations, links, relinked
from tests.fixtures import PROJECT_ROOT

README = Path(PROJECT_ROOT, "README.md").read_text()
DECLARED = declarations(Path(PROJECT_ROOT, "blog", "models.py").read_text())


def test_the_models_declare_relationships() -> None:
    assert len(DECLARED) >= 19


def test_the_readme_links_every_relationship_of_the_models() -> None:
    unlinked, gone = set(DECLARED) - set(links(README)), set(links(README)) - set(DECLARED)
    assert not unlinked, f"Link these in the README's table of the models: {sorted(unlinked)}"
    assert not gone, f"The README links relationships models.py no longer has: {sorted(gone)}"


def test_each_link_points_at_its_declaration() -> None:
    assert links(README) == DECLARED, (
        "The README's links to blog/models.py point at old line numbers: run `make docs`."
    )


def test_a_change_to_the_models_fails_the_check_until_the_links_are_renumbered() -> None:
    models = Path(PROJECT_ROOT, "blog", "models.py").read_text()
    moved = declarations("# a new first line\n" + models)
    grown = declarations(
        models + "\n\nclass Extra(Base):\n    things: Mapped[X] = relationship()\n"
    )

    assert links(README) != moved  # every line moved by one: test_each_link_... fails
    assert links(relinked(README, moved)) == moved  # until `make docs` renumbers
    assert set(grown) - set(links(relinked(README, grown))) == {"Extra.things"}  # not linked
