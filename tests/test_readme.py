"""The README's table of the models names relationships the models really have.

The table names attributes (`User.posts`), not lines of blog/models.py, so editing the models
never means editing the README. It need not list every relationship, but each one it names must
be a relationship, or an association proxy, of the mappers: one removed or renamed is noticed.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.ext.associationproxy import AssociationProxyExtensionType
from sqlalchemy.orm import configure_mappers

from blog.db import Base
from tests.fixtures import PROJECT_ROOT

README = Path(PROJECT_ROOT, "README.md")
NAME = re.compile(r"`([A-Z]\w*)\.(\w+)`")


def table_of_the_models(readme: str) -> list[str]:
    """Return the rows of the table under the README's "The models" heading."""
    section = readme.partition("\n## The models\n")[2].partition("\n## ")[0]
    return [line for line in section.splitlines() if line.startswith("|")]


def relationships_and_proxies() -> set[str]:
    """Return every relationship and association proxy of the app's mappers, as Class.attribute."""
    configure_mappers()
    names = set()
    for mapper in Base.registry.mappers:
        cls = mapper.class_.__name__
        names |= {f"{cls}.{rel.key}" for rel in mapper.relationships}
        names |= {
            f"{cls}.{key}"
            for key, descriptor in mapper.all_orm_descriptors.items()
            if descriptor.extension_type is AssociationProxyExtensionType.ASSOCIATION_PROXY
        }
    return names


def test_every_attribute_the_readmes_table_of_the_models_names_is_a_relationship() -> None:
    named = {
        f"{cls}.{attr}"
        for row in table_of_the_models(README.read_text())
        for cls, attr in NAME.findall(row)
    }

    assert named, "No Class.attribute found in the README's table of the models"
    assert named <= relationships_and_proxies(), (
        "The README's table of the models names what the mappers do not have: "
        f"{sorted(named - relationships_and_proxies())}"
    )
