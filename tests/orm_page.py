"""The post list's first page built from Post objects, for comparison with the app's.

The app builds a page of posts from columns, in one statement (`list_posts` in
blog/services/posts.py). This builds the same page from ORM objects instead: Post objects, their
author joined in (`joinedload`), their tags loaded for the whole page with `selectinload`, and
the response built from the objects with `PostOut.of`.

The like and comment counts come along as two correlated subqueries, added to the select next
to the Post entity, so each row is `(post, like_count, comment_count)`, as `get_profile` in
blog/services/users.py reads a user with their follower counts.

It serves the first page, newest first, to a reader without a token (no `liked_by_me`). It asks
for neither the total nor the row past the page, both of which the app's one statement also
reads. tests/api/test_queries.py checks that it returns what the app returns, and counts the
statements of both; bench/run.py times both.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from blog.db import db
from blog.models import Comment, Like, Post
from blog.schemas import PostOut


def post_page_from_objects(*, per_page: int = 20) -> list[PostOut]:
    """Return the first page of posts, newest first, built from Post objects."""
    like_count = select(func.count()).where(Like.post_id == Post.id).scalar_subquery()
    comment_count = select(func.count()).where(Comment.post_id == Post.id).scalar_subquery()
    query = (
        select(Post, like_count, comment_count)
        .options(joinedload(Post.author), selectinload(Post.tags))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(per_page)
    )
    return [
        PostOut.of(post, like_count=likes, comment_count=comments, liked_by_me=None)
        for post, likes, comments in db.session.execute(query)
    ]
