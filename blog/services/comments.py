"""Threaded comments: reading a post's comments as trees, writing and deleting them."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from blog.db import db
from blog.errors import Forbidden, NotFound, Unprocessable
from blog.models import Comment, User
from blog.pagination import Page, offset
from blog.schemas import CommentCreate
from blog.services.posts import require_post


def _load_replies(roots: list[Comment]) -> None:
    """Load every reply below `roots`, at any depth, in one statement, and attach them.

    A recursive CTE walks the whole subtree; the replies are then set as each comment's loaded
    `replies` collection (set_committed_value), so reading comment.replies afterwards sends no
    SQL, however deep the thread goes.
    """
    if not roots:
        return
    # The CTE carries whole rows, so they are read once, by the parent_id index.
    tree = (
        select(Comment)
        .where(Comment.parent_id.in_([root.id for root in roots]))
        .cte("tree", recursive=True)
    )
    tree = tree.union_all(select(Comment).join(tree, Comment.parent_id == tree.c.id))
    row = aliased(Comment, tree)
    replies = db.session.scalars(
        select(row).options(joinedload(row.author, innerjoin=True)).order_by(row.created_at, row.id)
    ).all()
    children: dict[int | None, list[Comment]] = defaultdict(list)
    for reply in replies:
        children[reply.parent_id].append(reply)
    for comment in [*roots, *replies]:
        set_committed_value(comment, "replies", children[comment.id])


def list_comments(*, post_id: int, page: int, per_page: int) -> Page[Comment]:
    """Return one page of a post's top-level comments, oldest first, each with its replies."""
    top_level = (Comment.post_id == post_id, Comment.parent_id.is_(None))
    total = select(func.count()).select_from(Comment).where(*top_level)
    rows = db.session.execute(
        select(Comment, total.scalar_subquery().label("total"))  # the total rides along
        .where(*top_level)
        .options(joinedload(Comment.author, innerjoin=True))
        .order_by(Comment.created_at, Comment.id)
        .limit(per_page)
        .offset(offset(page, per_page))
    ).all()
    if not rows:  # no post, no comments, or past the last page
        require_post(post_id)
        empty = db.session.scalar(total) or 0
        return Page(items=[], page=page, per_page=per_page, total=empty)
    roots = [row.Comment for row in rows]
    _load_replies(roots)
    return Page(items=roots, page=page, per_page=per_page, total=rows[0].total)


def get_comment(comment_id: int) -> Comment:
    """Return one comment with its replies, or raise NotFound."""
    comment = db.session.get(
        Comment, comment_id, options=[joinedload(Comment.author, innerjoin=True)]
    )
    if comment is None:
        raise NotFound(f"There is no comment {comment_id}.")
    _load_replies([comment])
    return comment


def create_comment(*, post_id: int, author: User, data: CommentCreate) -> Comment:
    """Add a comment to a post, or a reply to a comment on the same post."""
    post = require_post(post_id)
    parent = None
    if data.parent_id is not None:
        parent = db.session.get(Comment, data.parent_id)
        if parent is None:
            raise Unprocessable(
                f"There is no comment {data.parent_id} to reply to.",
                errors=[{"pointer": "/parent_id", "detail": "No such comment."}],
            )
        if parent.post_id != post.id:
            raise Unprocessable(
                "A reply must be on the same post as the comment it replies to.",
                errors=[{"pointer": "/parent_id", "detail": "That comment is on another post."}],
            )
    # Each relationship set here appends the comment to the other side's collection (post.
    # comments, author.comments, parent.replies) if it is loaded, and never loads it for this.
    comment = Comment(body=data.body, post=post, author=author, parent=parent)
    db.session.add(comment)
    db.session.flush()
    set_committed_value(comment, "replies", [])
    return comment


def delete_comment(*, comment_id: int, user: User) -> None:
    """Delete a comment and every reply below it; its author or the post's author may."""
    comment = db.session.get(Comment, comment_id, options=[joinedload(Comment.post)])
    if comment is None:
        raise NotFound(f"There is no comment {comment_id}.")
    if user.id not in {comment.author_id, comment.post.author_id}:
        raise Forbidden("Only the comment's author or the post's author may delete it.")
    # The replies are not loaded: passive_deletes leaves them to ON DELETE CASCADE.
    db.session.delete(comment)
    db.session.flush()
