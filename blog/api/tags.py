"""Tags and how many posts carry each."""

from apiflask import APIBlueprint
from sqlalchemy import select

from blog import schemas
from blog.db import db
from blog.errors import NotFound
from blog.fields import parse_tag_name
from blog.models import Tag
from blog.posts import numbered

bp = APIBlueprint("tags", __name__, url_prefix="/api/tags")


@bp.get("")
@bp.input(schemas.PageQuery, location="query", arg_name="query")
@bp.output(schemas.TagPage)
def list_tags(query: schemas.PageQuery) -> schemas.TagPage:
    """List the tags that some post carries, by name, with how many posts carry each."""
    # A tag whose posts are all gone stays in the table, for its next post; it is not listed.
    carried = select(Tag.name, Tag.post_count).where(Tag.post_count > 0).order_by(Tag.name)
    return schemas.TagPage.model_validate(numbered(carried, query.page, query.per_page))


@bp.get("/<name>")
@bp.output(schemas.TagOut)
def get_tag(name: str) -> schemas.TagOut:
    """Show one tag and how many posts carry it."""
    tag_name = parse_tag_name(name)
    tag = None if tag_name is None else db.session.scalar(select(Tag).where(Tag.name == tag_name))
    if tag is None:
        raise NotFound(f"There is no tag {name!r}.")
    return schemas.TagOut.model_validate(tag)
