"""Posts: list and read them (anyone), write, edit and delete your own."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import url_for

from blog.auth import current_user, token_auth
from blog.db import db
from blog.schemas import PostCreate, PostOut, PostPage, PostQuery, PostUpdate
from blog.services import posts

bp = APIBlueprint("posts", __name__, url_prefix="/api/posts", tag="Posts")


@bp.get("")
@bp.input(PostQuery, location="query", arg_name="query")
@bp.output(PostPage)
def list_posts(query: PostQuery) -> PostPage:
    """List posts, newest first, optionally by tag and author."""
    page = posts.list_posts(
        page=query.page,
        per_page=query.per_page,
        tag=query.tag or None,
        author=query.author or None,
    )
    return PostPage(
        items=[PostOut.of(post) for post in page.posts],
        page=page.page,
        per_page=page.per_page,
        total=page.total,
        pages=page.pages,
    )


@bp.post("")
@bp.auth_required(token_auth)
@bp.input(PostCreate, arg_name="data")
@bp.output(PostOut, status_code=201, description="The new post")
def create_post(data: PostCreate) -> tuple[PostOut, dict[str, str]]:
    """Write a post; tags that do not exist yet are created."""
    post = posts.create_post(author=current_user(), data=data)
    db.session.commit()
    return PostOut.of(post), {"Location": url_for(".get_post", post_id=post.id)}


@bp.get("/<int:post_id>")
@bp.output(PostOut)
@bp.doc(responses={404: "No such post"})
def get_post(post_id: int) -> PostOut:
    """Read a post."""
    return PostOut.of(posts.get_post(post_id))


@bp.patch("/<int:post_id>")
@bp.auth_required(token_auth)
@bp.input(PostUpdate, arg_name="data")
@bp.output(PostOut)
@bp.doc(responses={403: "Not your post", 404: "No such post"})
def update_post(post_id: int, data: PostUpdate) -> PostOut:
    """Edit your post; `tags` replaces the whole set."""
    post = posts.update_post(post_id=post_id, user=current_user(), data=data)
    db.session.commit()
    return PostOut.of(post)


@bp.delete("/<int:post_id>")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="The post is gone; its tags stay")
@bp.doc(responses={403: "Not your post", 404: "No such post"})
def delete_post(post_id: int) -> tuple[str, int]:
    """Delete your post."""
    posts.delete_post(post_id=post_id, user=current_user())
    db.session.commit()
    return "", 204
