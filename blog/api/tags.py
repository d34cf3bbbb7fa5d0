"""Tags: list them with their post counts, or read one."""

from __future__ import annotations

from apiflask import APIBlueprint

from blog.errors import NotFound
from blog.schemas import TagList, TagOut
from blog.services import tags

bp = APIBlueprint(
    "tags",
    __name__,
    url_prefix="/api/tags",
    tag={"name": "Tags", "description": "Tags and how many posts carry each."},
)


@bp.get("")
@bp.output(TagList)
def list_tags() -> TagList:
    """List every tag and how many posts carry it, by name."""
    return tags.list_tags()


@bp.get("/<name>")
@bp.output(TagOut)
@bp.doc(responses={404: "No such tag"})
def get_tag(name: str) -> TagOut:
    """Show one tag and how many posts carry it."""
    tag = tags.get_tag(name)
    if tag is None:
        raise NotFound(f"There is no tag {name!r}.")
    return tag
