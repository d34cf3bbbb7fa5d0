"""The README's links into blog/models.py point at the relationships they name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

README = Path(PROJECT_ROOT, "README.md").read_text()
MODELS = Path(PROJECT_ROOT, "blog", "models.py").read_text().splitlines()
MODEL_LINKS = re.findall(r"\[`(\w+)\.(\w+)`\]\(blog/models\.py#L(\d+)\)", README)


def class_at(line_number: int) -> str:
    for line in reversed(MODELS[:line_number]):
        if match := re.match(r"class (\w+)\(", line):
            return match[1]
    raise AssertionError(f"line {line_number} of models.py is outside any class")


def test_the_readme_links_every_relationship_of_the_models() -> None:
    linked = {f"{cls}.{attr}" for cls, attr, _ in MODEL_LINKS}
    declared = {
        f"{class_at(number)}.{match[1]}"
        for number, line in enumerate(MODELS, start=1)
        if (match := re.match(r"    (\w+): .*= (relationship|association_proxy)\(", line))
    }

    assert linked == declared


@pytest.mark.parametrize(("cls", "attr", "line"), MODEL_LINKS, ids=str)
def test_each_model_link_points_at_its_declaration(cls: str, attr: str, line: str) -> None:
    number = int(line)

    assert MODELS[number - 1].startswith(f"    {attr}: "), MODELS[number - 1]
    assert class_at(number) == cls
