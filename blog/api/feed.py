"""The posts of the users you follow."""

from apiflask import APIBlueprint

from blog import posts, schemas
from blog.auth import current_user, token_auth
from blog.openapi import VARY, responses

bp = APIBlueprint("feed", __name__, url_prefix="/api/feed")


@bp.get("")
@bp.auth_required(token_auth)
@bp.doc(responses=responses(headers={200: {"Vary": VARY}}))
@bp.input(schemas.PostPageQuery, location="query", arg_name="query")
@bp.output(schemas.PostPage)
def get_feed(query: schemas.PostPageQuery) -> tuple[schemas.PostPage, dict[str, str]]:
    """List the posts of the users you follow, newest first."""
    page = posts.feed(current_user(), page=query.page, per_page=query.per_page, cursor=query.cursor)
    return schemas.PostPage.model_validate(page), {"Vary": "Authorization"}  # liked_by_me
