"""Tags and how many posts carry each."""

from apiflask import APIBlueprint
from sqlalchemy import func, select

from blog import schemas
from blog.db import db
from blog.errors import NotFound
from blog.fields import parse_tag_name
from blog.models import Tag
from blog.posts import Page, offset

bp = APIBlueprint("tags", __name__, url_prefix="/api/tags")


@bp.get("")
@bp.input(schemas.PageQuery, location="query", arg_name="query")
@bp.output(schemas.TagPage)
def list_tags(query: schemas.PageQuery) -> schemas.TagPage:
    """List the tags that some post carries, by name, with how many posts carry each."""
    # A tag whose posts are all gone stays in the table, for its next post; it is not listed.
    carried = Tag.post_count > 0
    total = db.session.scalar(select(func.count()).select_from(Tag).where(carried)) or 0
    by_name = select(Tag.name, Tag.post_count).where(carried).order_by(Tag.name)
    skip = offset(query.page, query.per_page)
    page = db.session.execute(by_name.limit(query.per_page).offset(skip))
    return schemas.TagPage.model_validate(Page(list(page), query.page, query.per_page, total))


@bp.get("/<name>")
@bp.output(schemas.TagOut)
def get_tag(name: str) -> schemas.TagOut:
    """Show one tag and how many posts carry it."""
    tag_name = parse_tag_name(name)
    tag = None if tag_name is None else db.session.scalar(select(Tag).where(Tag.name == tag_name))
    if tag is None:
        raise NotFound(f"There is no tag {name!r}.")
    return schemas.TagOut.model_validate(tag)
