"""Comments: two one-to-many pairs and a self-referential one.

    Post.comments   <->  Comment.post
    User.comments   <->  Comment.author
    Comment.replies <->  Comment.parent    an adjacency list: comments.parent_id -> comments.id

The first two work like User.posts. The third joins the table to itself; remote_side tells
SQLAlchemy which end is the parent. Deleting a comment deletes its replies at any depth.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import RelationshipDirection

from blog.db import db
from blog.models import Comment
from tests import rows
from tests.factories import CommentFactory, PostFactory, UserFactory
from tests.helpers import StatementLog, fresh


def parent_id(comment_id: int) -> int | None:
    query = text("SELECT parent_id FROM comments WHERE id = :id")
    return db.session.scalar(query, {"id": comment_id})


def thread() -> tuple[Comment, Comment, Comment, Comment]:
    """Return a comment, its reply, the reply's reply, and a sibling comment on the same post."""
    root = CommentFactory()
    reply = CommentFactory(parent=root)
    deeper = CommentFactory(parent=reply)
    sibling = CommentFactory(post=root.post)
    return root, reply, deeper, sibling


# Synchronisation


def test_remote_side_makes_the_parent_side_many_to_one() -> None:
    # comments.parent_id = comments.id joins the table to itself; remote_side=[Comment.id]
    # says that id is on the far end of Comment.parent, so a comment has one parent and many
    # replies.
    assert Comment.parent.property.direction is RelationshipDirection.MANYTOONE
    assert Comment.replies.property.direction is RelationshipDirection.ONETOMANY
    assert Comment.parent.property.remote_side == {Comment.__table__.c.id}


def test_appending_to_post_comments_sets_comment_post(sql: StatementLog) -> None:
    post, author = PostFactory(), UserFactory()
    assert post.comments == []
    comment = Comment(body="First!", author=author)

    with sql.recording() as statements:
        post.comments.append(comment)
        assert comment.post is post
        assert comment.post_id is None
    assert statements == []

    db.session.flush()
    assert rows.exists("comments", comment.id)
    assert comment.post_id == post.id


def test_setting_comment_author_appends_to_user_comments(sql: StatementLog) -> None:
    author = UserFactory()
    assert author.comments == []
    comment = CommentFactory()

    with sql.recording() as statements:
        comment.author = author
        assert author.comments == [comment]
    assert statements == []


def test_setting_comment_post_appends_to_post_comments(sql: StatementLog) -> None:
    post = PostFactory()
    assert post.comments == []
    comment = Comment(body="First!", author=UserFactory())

    with sql.recording() as statements:
        comment.post = post
        assert post.comments == [comment]
    assert statements == []

    db.session.add(comment)
    db.session.flush()
    assert comment.post_id == post.id


def test_appending_to_user_comments_sets_comment_author(sql: StatementLog) -> None:
    author = UserFactory()
    assert author.comments == []
    comment = Comment(body="Hello", post=PostFactory())

    with sql.recording() as statements:
        author.comments.append(comment)
        assert comment.author is author
    assert statements == []

    db.session.flush()
    assert comment.author_id == author.id


def test_appending_a_reply_sets_its_parent(sql: StatementLog) -> None:
    root = CommentFactory()
    assert root.replies == []
    reply = Comment(body="Agreed.", author=UserFactory(), post=root.post)

    with sql.recording() as statements:
        root.replies.append(reply)
        assert reply.parent is root
    assert statements == []

    db.session.flush()
    assert parent_id(reply.id) == root.id


def test_reparenting_a_reply_moves_it_between_replies_lists(sql: StatementLog) -> None:
    root, reply, _, sibling = thread()
    assert root.replies == [reply]
    assert sibling.replies == []

    with sql.recording() as statements:
        reply.parent = sibling
        assert root.replies == []
        assert sibling.replies == [reply]
    assert statements == []

    db.session.flush()
    assert parent_id(reply.id) == sibling.id


def test_removing_a_reply_makes_it_top_level_rather_than_deleting_it() -> None:
    root, reply, deeper, _ = thread()
    assert root.replies == [reply]

    root.replies.remove(reply)
    assert reply.parent is None
    db.session.flush()

    # Comment.replies has no delete-orphan: the reply survives, now with no parent.
    assert parent_id(reply.id) is None
    assert parent_id(deeper.id) == reply.id


def test_a_top_level_comment_is_saved_although_it_has_no_parent() -> None:
    comment = Comment(body="Hello", post=PostFactory(), author=UserFactory())

    db.session.add(comment)
    db.session.flush()

    assert parent_id(comment.id) is None


# Cascades


def test_deleting_a_comment_deletes_replies_at_every_depth_in_one_statement(
    sql: StatementLog,
) -> None:
    root, reply, deeper, sibling = thread()
    root = fresh(root)

    with sql.recording() as statements:
        db.session.delete(root)
        db.session.flush()

    assert statements == ["DELETE FROM comments WHERE comments.id = %(id)s::INTEGER"]
    for gone in (root, reply, deeper):
        assert not rows.exists("comments", gone.id)
    assert rows.exists("comments", sibling.id)


def test_deleting_a_comment_whose_replies_are_loaded_lets_the_orm_delete_them(
    sql: StatementLog,
) -> None:
    root, reply, deeper, _ = thread()
    second = CommentFactory(parent=root, post=root.post)
    assert root.replies == [reply, second]
    assert reply.replies == [deeper]

    with sql.recording() as statements:
        db.session.delete(root)
        db.session.flush()

    # The "delete" cascade of Comment.replies reaches every loaded reply: four comments on
    # three levels cost three DELETEs: two of the four comments share one.
    assert [s.split(" WHERE")[0] for s in statements] == ["DELETE FROM comments"] * 3
    for gone in (root, reply, second, deeper):
        assert not rows.exists("comments", gone.id)


def test_deleting_a_comment_with_raw_sql_deletes_its_replies() -> None:
    root, reply, deeper, sibling = thread()

    db.session.execute(text("DELETE FROM comments WHERE id = :id"), {"id": root.id})

    assert not rows.exists("comments", reply.id)
    assert not rows.exists("comments", deeper.id)
    assert rows.exists("comments", sibling.id)


def test_deleting_a_post_deletes_its_comments_and_their_replies(sql: StatementLog) -> None:
    root, reply, deeper, sibling = thread()
    other = CommentFactory()
    author_id = root.author_id
    post = fresh(root.post)

    with sql.recording() as statements:
        db.session.delete(post)
        db.session.flush()

    # The version check (version_id_col) rides along: a post changed meanwhile is not deleted.
    assert statements == [
        "DELETE FROM posts WHERE posts.id = %(id)s::INTEGER"
        " AND posts.version = %(version)s::INTEGER"
    ]
    for gone in (root, reply, deeper, sibling):
        assert not rows.exists("comments", gone.id)
    assert rows.exists("users", author_id)
    assert rows.exists("comments", other.id)


def test_deleting_a_post_with_raw_sql_deletes_its_comments() -> None:
    root, reply, _, _ = thread()

    db.session.execute(text("DELETE FROM posts WHERE id = :id"), {"id": root.post.id})

    assert not rows.exists("comments", root.id)
    assert not rows.exists("comments", reply.id)


def test_deleting_a_user_deletes_their_comments_and_the_replies_under_them() -> None:
    alice, carol = UserFactory(), UserFactory()
    post = PostFactory()  # by someone else, and it stays
    mine = CommentFactory(post=post, author=alice)
    reply_to_mine = CommentFactory(parent=mine, author=carol)
    theirs = CommentFactory(post=post, author=carol)
    my_reply = CommentFactory(parent=theirs, author=alice)
    alice = fresh(alice)

    db.session.delete(alice)
    db.session.flush()

    assert not rows.exists("comments", mine.id)
    assert not rows.exists("comments", reply_to_mine.id)  # carol's, but under alice's comment
    assert not rows.exists("comments", my_reply.id)
    assert rows.exists("comments", theirs.id)
    assert rows.exists("posts", post.id)


def test_deleting_a_user_with_raw_sql_has_the_same_outcome() -> None:
    alice, carol = UserFactory(), UserFactory()
    mine = CommentFactory(author=alice)
    reply_to_mine = CommentFactory(parent=mine, author=carol)
    theirs = CommentFactory(author=carol)

    db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": alice.id})

    assert not rows.exists("comments", mine.id)
    assert not rows.exists("comments", reply_to_mine.id)
    assert rows.exists("comments", theirs.id)
