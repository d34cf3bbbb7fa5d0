"""Posts: list and read them (anyone), write, edit and delete your own, like any."""

from __future__ import annotations

import re

from apiflask import APIBlueprint
from flask import request, url_for
from pydantic import MISSING
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import ORMOption

from blog.auth import OPTIONAL_BEARER, current_user, optional_user, token_auth
from blog.db import db, utcnow
from blog.errors import Forbidden, NotFound, PreconditionFailed
from blog.models import Like, Post
from blog.openapi import ETAG, LOCATION, responses, takes_if_match
from blog.schemas import PostCreate, PostOut, PostPage, PostQuery, PostUpdate
from blog.services import posts
from blog.services.tags import ensure_tags

# The ETags this API gives out: a post's version, in ASCII digits, within an `integer`.
VERSION_TAG = re.compile(r"[0-9]{1,10}")
# What an edit or a deletion of a post may answer instead of doing it.
REFUSALS = {
    403: "Not your post",
    404: "No such post",
    412: "If-Match names another version than the post's",
}

bp = APIBlueprint(
    "posts",
    __name__,
    url_prefix="/api/posts",
    tag={
        "name": "Posts",
        "description": "Posts with their tags, likes and versions (ETag and If-Match).",
    },
)


def etag(version: int) -> dict[str, str]:
    """Return the ETag header of a post at `version`."""
    return {"ETag": f'"{version}"'}


def own_post(post_id: int, *options: ORMOption) -> Post:
    """Return the signed-in user's post, if If-Match (when sent) names its version."""
    # Locked until the transaction ends (FOR NO KEY UPDATE): edits and deletes of a post take
    # turns, each checking the version the one before it left, while likes and comments go on.
    post = db.session.get(Post, post_id, options=options, with_for_update={"key_share": True})
    if post is None:
        raise NotFound(f"There is no post {post_id}.")
    if post.author_id != current_user().id:
        raise Forbidden("Only the author of a post may change or delete it.")
    if_match = request.if_match
    if if_match and not if_match.star_tag:
        # A strong ETag that is not a version this API gave out ("²", "9" * 5000) matches
        # nothing; Werkzeug reads an empty tag ("") as None.
        versions = {int(tag) for tag in if_match.as_set() if tag and VERSION_TAG.fullmatch(tag)}
        if post.version not in versions:
            raise PreconditionFailed(
                f"The post is at version {post.version}, not the one If-Match names; read it again."
            )
    return post


@bp.get("")
@bp.auth_required(token_auth, optional=True)  # type: ignore[arg-type]  # hinted as str
@bp.doc(security=OPTIONAL_BEARER)
@bp.input(PostQuery, location="query", arg_name="query")
@bp.output(PostPage)
def list_posts(query: PostQuery) -> PostPage:
    """List posts, newest first, optionally by tag and author."""
    page = posts.list_posts(
        page=query.page,
        per_page=query.per_page,
        cursor=query.cursor,
        tag=query.tag or None,
        author=query.author or None,
        viewer=optional_user(),
    )
    return PostPage.model_validate(page)


@bp.post("")
@bp.auth_required(token_auth)
@bp.input(PostCreate, arg_name="data")
@bp.output(PostOut, status_code=201, description="The new post")
@bp.doc(responses=responses(headers={201: {"Location": LOCATION, "ETag": ETAG}}))
def create_post(data: PostCreate) -> tuple[PostOut, dict[str, str]]:
    """Write a post; tags that do not exist yet are created."""
    # Setting post.author is enough to link both sides: back_populates appends the post to
    # author.posts if that collection is loaded, and does not load it just for this.
    post = Post(title=data.title, body=data.body, author=current_user())
    db.session.add(post)
    db.session.flush()
    post.tags = ensure_tags(data.tags)
    db.session.commit()
    # Known without asking: nobody has liked or commented on a post yet, its author included.
    for name, value in (("like_count", 0), ("comment_count", 0), ("liked_by_me", False)):
        set_committed_value(post, name, value)
    headers = {"Location": url_for(".get_post", post_id=post.id)} | etag(post.version)
    return PostOut.model_validate(post), headers


@bp.get("/<int:post_id>")
@bp.auth_required(token_auth, optional=True)  # type: ignore[arg-type]  # hinted as str
@bp.output(PostOut)
@bp.doc(
    security=OPTIONAL_BEARER,
    responses=responses(errors={404: "No such post"}, headers={200: {"ETag": ETAG}}),
)
def get_post(post_id: int) -> tuple[PostOut, dict[str, str]]:
    """Read a post; its ETag names its version, for If-Match."""
    post = posts.get_post(post_id, viewer=optional_user())
    return PostOut.model_validate(post), etag(post.version)


@bp.patch("/<int:post_id>")
@takes_if_match
@bp.auth_required(token_auth)
@bp.input(PostUpdate, arg_name="data")
@bp.output(PostOut)
@bp.doc(responses=responses(errors=REFUSALS, headers={200: {"ETag": ETAG}}))
def update_post(post_id: int, data: PostUpdate) -> tuple[PostOut, dict[str, str]]:
    """Edit your post; `tags` replaces the whole set.

    Send the ETag you read as `If-Match` to be sure nobody changed the post since: if someone
    did, nothing changes and the answer is 412. Without If-Match the edit is applied anyway.
    """
    # The tags are loaded, so that assigning post.tags below can work out what changed.
    post = own_post(post_id, selectinload(Post.tags))
    # The tags first: ensure_tags() runs a statement, which would autoflush any change already
    # made to the post, and two UPDATEs would move the version on by two.
    if data.tags is not MISSING:
        post.tags = ensure_tags(data.tags)  # the ORM works out which post_tags rows change
    for name, value in data.model_dump(exclude={"tags"}).items():
        setattr(post, name, value)
    post.updated_at = utcnow()
    db.session.flush()
    # Read back before the commit, while the row is still locked, so the answer shows this
    # edit; the counts are filled in anew on the object the session already has.
    post = posts.get_post(post_id, viewer=current_user())
    db.session.commit()
    return PostOut.model_validate(post), etag(post.version)


@bp.delete("/<int:post_id>")
@takes_if_match
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="The post is gone, with its comments and likes")
@bp.doc(responses=REFUSALS)
def delete_post(post_id: int) -> tuple[str, int]:
    """Delete your post; its tags stay.

    As with an edit, an `If-Match` with the ETag you read makes sure nobody changed the post
    since; without it the post is deleted whatever its version.
    """
    # Nothing of it is loaded but the row, so with passive_deletes=True on its collections
    # this is one DELETE, and ON DELETE CASCADE removes its tag links, comments and likes.
    db.session.delete(own_post(post_id))
    db.session.commit()
    return "", 204


@bp.put("/<int:post_id>/like")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You like it (whether or not you did before)")
@bp.doc(responses={404: "No such post"})
def like_post(post_id: int) -> tuple[str, int]:
    """Like a post."""
    posts.require_post(post_id)
    # INSERT ... ON CONFLICT DO NOTHING, rather than appending to user.likes: it needs no load
    # of the user's likes and stays idempotent when two requests race.
    like = insert(Like).values(user_id=current_user().id, post_id=post_id)
    db.session.execute(like.on_conflict_do_nothing())
    db.session.commit()
    return "", 204


@bp.delete("/<int:post_id>/like")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You do not like it (whether or not you did)")
@bp.doc(responses={404: "No such post"})
def unlike_post(post_id: int) -> tuple[str, int]:
    """Take back your like of a post."""
    posts.require_post(post_id)
    db.session.execute(
        delete(Like).where(Like.user_id == current_user().id, Like.post_id == post_id)
    )
    db.session.commit()
    return "", 204
