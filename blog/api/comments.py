"""Threaded comments on posts: replies nest under the comment they answer."""

from collections import defaultdict

from apiflask import APIBlueprint
from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from blog import schemas
from blog.auth import current_user, token_auth
from blog.db import db
from blog.errors import COMMENTS_FULL, Conflict, Forbidden, Unprocessable
from blog.models import Comment
from blog.openapi import LOCATION, responses
from blog.posts import Page, require_post

bp = APIBlueprint("comments", __name__, url_prefix="/api")

MAX_THREAD_DEPTH = 32  # hundreds deep is more than a client's JSON parser, or pydantic, nests
MAX_COMMENTS_PER_POST = 1000  # replies included: a page of them is about a page of posts
FULL = {409: "The post holds as many comments as it may"}
OTHER_POST = "A reply must be on the same post as the comment it replies to."
WITH_AUTHOR = joinedload(Comment.author, innerjoin=True)


def depth(comment: Comment) -> int:
    """Return how deep `comment` sits in its thread (1 at the top), by a CTE up `parent_id`."""
    step = select(Comment.id, Comment.parent_id)
    climb = step.where(Comment.id == comment.id).cte(recursive=True)
    climb = climb.union_all(step.join(climb, Comment.id == climb.c.parent_id))
    return db.session.scalar(select(func.count()).select_from(climb)) or 0


def load_replies(roots: list[Comment]) -> None:
    """Load every reply below `roots` with one recursive CTE, as each comment's `replies`."""
    ids = [root.id for root in roots]
    tree = select(Comment).where(Comment.parent_id.in_(ids)).cte("tree", recursive=True)
    tree = tree.union_all(select(Comment).join(tree, Comment.parent_id == tree.c.id))
    row = aliased(Comment, tree)
    author = joinedload(row.author, innerjoin=True)
    replies = db.session.scalars(select(row).options(author).order_by(row.created_at, row.id)).all()
    children: dict[int | None, list[Comment]] = defaultdict(list)
    for reply in replies:
        children[reply.parent_id].append(reply)
    for comment in [*roots, *replies]:  # set as loaded: reading them sends no SQL
        set_committed_value(comment, "replies", children[comment.id])


@bp.get("/posts/<id:post_id>/comments")
@bp.input(schemas.PageQuery, location="query", arg_name="query")
@bp.output(schemas.CommentPage)
def list_comments(post_id: int, query: schemas.PageQuery) -> schemas.CommentPage:
    """List a post's comments as threads: top-level comments, oldest first, replies nested."""
    top_level = (Comment.post_id == post_id, Comment.parent_id.is_(None))
    total = select(func.count()).select_from(Comment).where(*top_level)
    threads = select(Comment, total.scalar_subquery().label("total")).where(*top_level)
    oldest_first = threads.options(WITH_AUTHOR).order_by(Comment.created_at, Comment.id)
    skip = (query.page - 1) * query.per_page
    rows = db.session.execute(oldest_first.limit(query.per_page).offset(skip)).all()
    roots = [row.Comment for row in rows]
    if roots:
        load_replies(roots)
        count = rows[0].total
    else:  # no post, no comments, or past the last page
        require_post(post_id)
        count = db.session.scalar(total) or 0
    return schemas.CommentPage.model_validate(Page(roots, query.page, query.per_page, count))


@bp.post("/posts/<id:post_id>/comments")
@bp.auth_required(token_auth)
@bp.input(schemas.CommentCreate, arg_name="data")
@bp.output(schemas.CommentOut, status_code=201, description="The new comment")
@bp.doc(responses=responses(errors=FULL, headers={201: {"Location": LOCATION}}))
def create_comment(
    post_id: int, data: schemas.CommentCreate
) -> tuple[schemas.CommentOut, dict[str, str]]:
    """Comment on a post, or reply to one of its comments with `parent_id`."""
    post = require_post(post_id)
    held = select(func.count()).select_from(Comment).where(Comment.post_id == post.id)
    if (db.session.scalar(held) or 0) >= MAX_COMMENTS_PER_POST:
        detail = f"This post holds {MAX_COMMENTS_PER_POST} comments, as many as a post may."
        raise Conflict(detail, kind=COMMENTS_FULL)
    parent: Comment | None = None
    fault: str | None = None
    if data.parent_id is not None:
        parent = db.session.get(Comment, data.parent_id)
        if parent is None:
            fault = f"There is no comment {data.parent_id} to reply to."
        elif parent.post_id != post.id:
            fault = OTHER_POST
        elif depth(parent) >= MAX_THREAD_DEPTH:
            fault = f"A thread goes {MAX_THREAD_DEPTH} comments deep at most."
    if fault is not None:
        raise Unprocessable(fault, errors=[{"pointer": "/parent_id", "detail": fault}])
    # Each relationship set appends the comment to the partner collection if loaded, loading none.
    comment = Comment(body=data.body, post=post, author=current_user(), parent=parent)
    db.session.add(comment)
    db.session.commit()
    set_committed_value(comment, "replies", [])  # a new comment has none
    location = url_for(".get_comment", comment_id=comment.id)
    return schemas.CommentOut.model_validate(comment), {"Location": location}


@bp.get("/comments/<id:comment_id>")
@bp.output(schemas.CommentOut)
def get_comment(comment_id: int) -> schemas.CommentOut:
    """Read a comment and the replies below it."""
    query = select(Comment).filter_by(id=comment_id).options(WITH_AUTHOR)
    comment: Comment = db.one_or_404(query, description=f"There is no comment {comment_id}.")
    load_replies([comment])
    return schemas.CommentOut.model_validate(comment)


@bp.delete("/comments/<id:comment_id>")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="The comment and every reply below it are gone")
@bp.doc(responses={403: "Neither your comment nor your post"})
def delete_comment(comment_id: int) -> tuple[str, int]:
    """Delete a comment with its replies: yours, or any on your posts."""
    query = select(Comment).filter_by(id=comment_id).options(joinedload(Comment.post))
    comment: Comment = db.one_or_404(query, description=f"There is no comment {comment_id}.")
    if current_user().id not in {comment.author_id, comment.post.author_id}:
        raise Forbidden("Only the comment's author or the post's author may delete it.")
    # Its replies unloaded, passive_deletes leaves them to ON DELETE CASCADE.
    db.session.delete(comment)
    db.session.commit()
    return "", 204
