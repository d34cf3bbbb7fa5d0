"""Tags: list them with their post counts, or read one."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from sqlalchemy import select

from blog.db import db
from blog.errors import NotFound
from blog.fields import parse_tag_name
from blog.models import Tag
from blog.schemas import TagList, TagOut

bp = APIBlueprint(
    "tags",
    __name__,
    url_prefix="/api/tags",
    tag={"name": "Tags", "description": "Tags and how many posts carry each."},
)


@bp.get("")
@bp.output(TagList)
def list_tags() -> dict[str, Any]:
    """List every tag and how many posts carry it, by name."""
    return {"items": db.session.execute(select(Tag.name, Tag.post_count).order_by(Tag.name)).all()}


@bp.get("/<name>")
@bp.output(TagOut)
@bp.doc(responses={404: "No such tag"})
def get_tag(name: str) -> TagOut:
    """Show one tag and how many posts carry it."""
    tag_name = parse_tag_name(name)
    tag = None if tag_name is None else db.session.scalar(select(Tag).where(Tag.name == tag_name))
    if tag is None:
        raise NotFound(f"There is no tag {name!r}.")
    return TagOut.model_validate(tag)
