"""Comments: threaded under a post, written by anyone signed in, deleted by few."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import url_for

from blog.auth import current_user, token_auth
from blog.db import db
from blog.openapi import LOCATION, responses
from blog.schemas import CommentCreate, CommentOut, CommentPage, PageQuery
from blog.services import comments

bp = APIBlueprint(
    "comments",
    __name__,
    url_prefix="/api",
    tag={
        "name": "Comments",
        "description": "Threaded comments on posts: replies nest under the comment they answer.",
    },
)


@bp.get("/posts/<int:post_id>/comments")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(CommentPage)
@bp.doc(responses={404: "No such post"})
def list_comments(post_id: int, query: PageQuery) -> CommentPage:
    """List a post's comments as threads: top-level comments, oldest first, replies nested."""
    page = comments.list_comments(post_id=post_id, page=query.page, per_page=query.per_page)
    return CommentPage.model_validate(page)


@bp.post("/posts/<int:post_id>/comments")
@bp.auth_required(token_auth)
@bp.input(CommentCreate, arg_name="data")
@bp.output(CommentOut, status_code=201, description="The new comment")
@bp.doc(responses=responses(errors={404: "No such post"}, headers={201: {"Location": LOCATION}}))
def create_comment(post_id: int, data: CommentCreate) -> tuple[CommentOut, dict[str, str]]:
    """Comment on a post, or reply to one of its comments with `parent_id`."""
    comment = comments.create_comment(post_id=post_id, author=current_user(), data=data)
    db.session.commit()
    location = url_for(".get_comment", comment_id=comment.id)
    return CommentOut.model_validate(comment), {"Location": location}


@bp.get("/comments/<int:comment_id>")
@bp.output(CommentOut)
@bp.doc(responses={404: "No such comment"})
def get_comment(comment_id: int) -> CommentOut:
    """Read a comment and the replies below it."""
    return CommentOut.model_validate(comments.get_comment(comment_id))


@bp.delete("/comments/<int:comment_id>")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="The comment and every reply below it are gone")
@bp.doc(responses={403: "Neither your comment nor your post", 404: "No such comment"})
def delete_comment(comment_id: int) -> tuple[str, int]:
    """Delete a comment with its replies: yours, or any on your posts."""
    comments.delete_comment(comment_id=comment_id, user=current_user())
    db.session.commit()
    return "", 204
