"""Posts with their tags, likes and versions (ETag and If-Match)."""

from apiflask import APIBlueprint
from flask import Response, url_for
from pydantic import MISSING
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm.attributes import set_committed_value

from blog import posts, schemas
from blog.auth import OPTIONAL_BEARER, current_user, optional_user, token_auth
from blog.db import db, utcnow
from blog.errors import Forbidden
from blog.headers import entity_tag, evaluate, evaluates_conditions
from blog.models import Like, Post
from blog.openapi import LOCATION, VARY, responses

bp = APIBlueprint("posts", __name__, url_prefix="/api/posts")

STALE = "If-Match names no current ETag of the post (or is malformed)"
REFUSALS = {  # what an edit or a deletion of a post may answer instead of doing it
    400: "If-None-Match is malformed",
    403: "Not your post",
    412: STALE + ", or If-None-Match names it",
}
READ = {304: "If-None-Match names the post as you would get it", 412: STALE}
ETAG = {"description": "For If-Match and If-None-Match", "schema": {"type": "string"}}
SHOWN = {"ETag": ETAG, "Vary": VARY}  # the body differs with the token (liked_by_me), its ETag too


def represented(post: Post) -> tuple[schemas.PostOut, dict[str, str]]:
    """Return the post's representation, with its ETag (a digest of it) and Vary headers."""
    out = schemas.PostOut.model_validate(post)
    return out, {"ETag": entity_tag(out.model_dump_json()), "Vary": "Authorization"}


def own_post(post_id: int) -> Post:
    """Return the signed-in user's post as they would read it, if its preconditions hold."""
    # Locked FOR NO KEY UPDATE until the commit: edits and deletes take turns, likes go on.
    post = posts.get_post(post_id, viewer=current_user(), locked=True)
    if post.author_id != current_user().id:
        raise Forbidden("Only the author of a post may change or delete it.")
    evaluate(represented(post)[1]["ETag"], safe=False)
    return post


@bp.get("")
@bp.auth_required(token_auth, optional=True)  # type: ignore[arg-type]  # hinted as str
@bp.doc(security=OPTIONAL_BEARER, responses=responses(headers={200: {"Vary": VARY}}))
@bp.input(schemas.PostQuery, location="query", arg_name="query")
@bp.output(schemas.PostPage)
def list_posts(query: schemas.PostQuery) -> tuple[schemas.PostPage, dict[str, str]]:
    """List posts, newest first, optionally by tag and author."""
    page = posts.list_posts(
        page=query.page,
        per_page=query.per_page,
        cursor=query.cursor,
        tag=query.tag or None,
        author=query.author or None,
        viewer=optional_user(),
    )
    return schemas.PostPage.model_validate(page), {"Vary": "Authorization"}


@bp.post("")
@bp.auth_required(token_auth)
@bp.input(schemas.PostCreate, arg_name="data")
@bp.output(schemas.PostOut, status_code=201, description="The new post")
@bp.doc(responses=responses(headers={201: {"Location": LOCATION} | SHOWN}))
def create_post(data: schemas.PostCreate) -> tuple[schemas.PostOut, dict[str, str]]:
    """Write a post; tags that do not exist yet are created."""
    # back_populates appends the post to author.posts if that is loaded, and loads nothing for it.
    post = Post(title=data.title, body=data.body, author=current_user())
    db.session.add(post)
    post.tags = posts.ensure_tags(data.tags)
    db.session.commit()
    # Known without asking: nobody has liked or commented on a new post.
    for name, value in (("like_count", 0), ("comment_count", 0), ("liked_by_me", False)):
        set_committed_value(post, name, value)
    out, headers = represented(post)
    return out, {"Location": url_for(".get_post", post_id=post.id)} | headers


@bp.get("/<id:post_id>")
@evaluates_conditions
@bp.auth_required(token_auth, optional=True)  # type: ignore[arg-type]  # hinted as str
@bp.output(schemas.PostOut)
@bp.doc(
    security=OPTIONAL_BEARER, responses=responses(errors=READ, headers={200: SHOWN, 304: SHOWN})
)
def get_post(post_id: int) -> tuple[schemas.PostOut, dict[str, str]] | Response:
    """Read a post; its ETag is for If-Match, and If-None-Match answers 304 if it is unchanged."""
    out, headers = represented(posts.get_post(post_id, viewer=optional_user()))
    if not evaluate(headers["ETag"], safe=True):
        return Response(status=304, headers=headers)
    return out, headers


@bp.patch("/<id:post_id>")
@evaluates_conditions
@bp.auth_required(token_auth)
@bp.input(schemas.PostUpdate, arg_name="data")
@bp.output(schemas.PostOut)
@bp.doc(responses=responses(errors=REFUSALS, headers={200: SHOWN}))
def update_post(post_id: int, data: schemas.PostUpdate) -> tuple[schemas.PostOut, dict[str, str]]:
    """Edit your post (`tags` replaces the whole set); an edit changing nothing keeps the ETag."""
    post = own_post(post_id)  # its tags loaded, so that the ORM can tell which links change
    # Tags first: ensure_tags() autoflushes, and an earlier edit would bump the version twice.
    if data.tags is not MISSING:
        post.tags = posts.ensure_tags(data.tags)
    for name, value in data.model_dump(exclude={"tags"}).items():
        setattr(post, name, value)  # the same value again is no change to the ORM
    if db.session.is_modified(post):  # else no UPDATE: the version and updated_at stay
        post.updated_at = utcnow()
        # Read back, the edit autoflushed first, while the row is locked: the answer shows it.
        post = posts.get_post(post_id, viewer=current_user())
    answer = represented(post)  # before the commit, whose flush resets an unchanged post's counts
    db.session.commit()
    return answer


@bp.delete("/<id:post_id>")
@evaluates_conditions
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="The post is gone, with its comments and likes")
@bp.doc(responses=REFUSALS)
def delete_post(post_id: int) -> tuple[str, int]:
    """Delete your post; its tags stay."""
    post = own_post(post_id)
    # Tags unloaded, passive_deletes leaves tag links, comments and likes to ON DELETE CASCADE.
    db.session.expire(post, ["tags"])
    db.session.delete(post)
    db.session.commit()
    return "", 204


@bp.put("/<id:post_id>/like")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You like it (whether or not you did before)")
def like_post(post_id: int) -> tuple[str, int]:
    """Like a post."""
    posts.require_post(post_id)
    # Not user.likes.append(): this loads no likes, and stays idempotent when two requests race.
    like = insert(Like).values(user_id=current_user().id, post_id=post_id)
    db.session.execute(like.on_conflict_do_nothing())
    db.session.commit()
    return "", 204


@bp.delete("/<id:post_id>/like")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You do not like it (whether or not you did)")
def unlike_post(post_id: int) -> tuple[str, int]:
    """Take back your like of a post."""
    posts.require_post(post_id)
    db.session.execute(delete(Like).filter_by(user_id=current_user().id, post_id=post_id))
    db.session.commit()
    return "", 204
