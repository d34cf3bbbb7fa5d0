"""Posts: list and read them (anyone), write, edit and delete your own, like any."""

from __future__ import annotations

import re

from apiflask import APIBlueprint
from flask import request, url_for

from blog.auth import OPTIONAL_BEARER, current_user, optional_user, token_auth
from blog.db import db
from blog.openapi import ETAG, LOCATION, responses, takes_if_match
from blog.schemas import PostCreate, PostOut, PostPage, PostQuery, PostUpdate
from blog.services import posts

# The ETags this API gives out: a post's version, in ASCII digits, within an `integer`.
VERSION_TAG = re.compile(r"[0-9]{1,10}")

bp = APIBlueprint(
    "posts",
    __name__,
    url_prefix="/api/posts",
    tag={
        "name": "Posts",
        "description": "Posts with their tags, likes and versions (ETag and If-Match).",
    },
)


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


def etag(version: int) -> dict[str, str]:
    """Return the ETag header of a post at `version`."""
    return {"ETag": f'"{version}"'}


def expected_versions() -> set[int] | None:
    """Return the versions the request's If-Match accepts, or None if it accepts any."""
    if_match = request.if_match
    if not if_match or if_match.star_tag:
        return None
    # A strong ETag that is not a version this API gave out ("²", "9" * 5000) matches nothing.
    # Werkzeug reads an empty tag ("") as None.
    return {int(tag) for tag in if_match.as_set() if tag and VERSION_TAG.fullmatch(tag)}


@bp.post("")
@bp.auth_required(token_auth)
@bp.input(PostCreate, arg_name="data")
@bp.output(PostOut, status_code=201, description="The new post")
@bp.doc(responses=responses(headers={201: {"Location": LOCATION, "ETag": ETAG}}))
def create_post(data: PostCreate) -> tuple[PostOut, dict[str, str]]:
    """Write a post; tags that do not exist yet are created."""
    post = posts.create_post(author=current_user(), data=data)
    db.session.commit()
    return PostOut.model_validate(post), {"Location": url_for(".get_post", post_id=post.id)} | etag(
        post.version
    )


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
@bp.doc(
    responses=responses(
        errors={
            403: "Not your post",
            404: "No such post",
            412: "If-Match names another version than the post's",
        },
        headers={200: {"ETag": ETAG}},
    )
)
def update_post(post_id: int, data: PostUpdate) -> tuple[PostOut, dict[str, str]]:
    """Edit your post; `tags` replaces the whole set.

    Send the ETag you read as `If-Match` to be sure nobody changed the post since: if someone
    did, nothing changes and the answer is 412. Without If-Match the edit is applied anyway.
    """
    user = current_user()
    posts.update_post(post_id=post_id, user=user, data=data, expected_versions=expected_versions())
    # Read back before the commit, while the row is still locked: the answer shows this edit,
    # not one that another request may make the moment the lock is released.
    post = posts.get_post(post_id, viewer=user)
    out, version = PostOut.model_validate(post), post.version
    db.session.commit()
    return out, etag(version)


@bp.delete("/<int:post_id>")
@takes_if_match
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="The post is gone, with its comments and likes")
@bp.doc(
    responses={
        403: "Not your post",
        404: "No such post",
        412: "If-Match names another version than the post's",
    }
)
def delete_post(post_id: int) -> tuple[str, int]:
    """Delete your post; its tags stay.

    As with an edit, an `If-Match` with the ETag you read makes sure nobody changed the post
    since; without it the post is deleted whatever its version.
    """
    posts.delete_post(post_id=post_id, user=current_user(), expected_versions=expected_versions())
    db.session.commit()
    return "", 204


@bp.put("/<int:post_id>/like")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You like it (whether or not you did before)")
@bp.doc(responses={404: "No such post"})
def like_post(post_id: int) -> tuple[str, int]:
    """Like a post."""
    posts.like_post(user=current_user(), post_id=post_id)
    db.session.commit()
    return "", 204


@bp.delete("/<int:post_id>/like")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You do not like it (whether or not you did)")
@bp.doc(responses={404: "No such post"})
def unlike_post(post_id: int) -> tuple[str, int]:
    """Take back your like of a post."""
    posts.unlike_post(user=current_user(), post_id=post_id)
    db.session.commit()
    return "", 204
