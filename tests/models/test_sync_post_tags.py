"""Post.tags <-> Tag.posts: how back_populates keeps both sides of a many-to-many in step.

The link between a post and a tag is a row in post_tags. Changing either collection updates the
other in memory at once, or, if the other is not loaded, queues the change for when it is; the
row is inserted or deleted at flush.
"""

from __future__ import annotations

from blog.db import db
from tests import rows
from tests.factories import PostFactory, TagFactory
from tests.helpers import StatementLog


def test_appending_to_post_tags_appends_to_tag_posts(sql: StatementLog) -> None:
    post, tag = PostFactory(), TagFactory()
    assert post.tags == []
    assert tag.posts == []

    with sql.recording() as statements:
        post.tags.append(tag)
        assert tag.posts == [post]
    assert statements == []

    db.session.flush()
    assert rows.tag_links(post_id=post.id) == {(post.id, tag.id)}


def test_appending_to_tag_posts_appends_to_post_tags(sql: StatementLog) -> None:
    post, tag = PostFactory(), TagFactory()
    assert post.tags == []
    assert tag.posts == []

    with sql.recording() as statements:
        tag.posts.append(post)
        assert post.tags == [tag]
    assert statements == []

    db.session.flush()
    assert rows.tag_links(tag_id=tag.id) == {(post.id, tag.id)}


def test_an_unloaded_side_is_not_loaded_just_to_stay_in_step(sql: StatementLog) -> None:
    post, tag = PostFactory(), TagFactory()
    db.session.expire(tag, ["posts"])  # tag.posts is now unloaded
    assert post.tags == []

    with sql.recording() as statements:
        post.tags.append(tag)
    # The append is queued for tag.posts rather than loading it.
    assert statements == []

    # Reading tag.posts later flushes (autoflush writes the link), loads it, and finds the post.
    with sql.recording() as statements:
        assert tag.posts == [post]
    assert [statement.split(" (")[0].split(" FROM")[0] for statement in statements] == [
        "INSERT INTO post_tags",
        "SELECT posts.id, posts.title, posts.body, posts.created_at, posts.updated_at,"
        " posts.author_id, posts.version",
    ]


def test_removing_from_post_tags_removes_from_tag_posts(sql: StatementLog) -> None:
    tag = TagFactory()
    post = PostFactory(tags=[tag])
    assert tag.posts == [post]

    with sql.recording() as statements:
        post.tags.remove(tag)
        assert tag.posts == []
    assert statements == []

    db.session.flush()
    assert rows.tag_links(post_id=post.id) == set()
    assert rows.exists("tags", tag.id)


def test_removing_from_tag_posts_removes_from_post_tags(sql: StatementLog) -> None:
    tag = TagFactory()
    post = PostFactory(tags=[tag])
    assert post.tags == [tag]
    assert tag.posts == [post]

    with sql.recording() as statements:
        tag.posts.remove(post)
        assert post.tags == []
    assert statements == []

    db.session.flush()
    assert rows.tag_links(tag_id=tag.id) == set()
    assert rows.exists("posts", post.id)


def test_replacing_post_tags_updates_every_tag_posts(sql: StatementLog) -> None:
    python, flask, sqlalchemy = TagFactory(), TagFactory(), TagFactory()
    post = PostFactory(tags=[python, flask])
    assert python.posts == [post]
    assert flask.posts == [post]
    assert sqlalchemy.posts == []

    with sql.recording() as statements:
        post.tags = [flask, sqlalchemy]
        assert python.posts == []
        assert flask.posts == [post]
        assert sqlalchemy.posts == [post]
    assert statements == []

    db.session.flush()
    assert rows.tag_links(post_id=post.id) == {(post.id, flask.id), (post.id, sqlalchemy.id)}


def test_moving_a_tag_from_one_post_to_another() -> None:
    tag = TagFactory()
    first = PostFactory(tags=[tag])
    second = PostFactory()
    assert second.tags == []

    first.tags.remove(tag)
    second.tags.append(tag)

    assert tag.posts == [second]
    db.session.flush()
    assert rows.tag_links(tag_id=tag.id) == {(second.id, tag.id)}


def test_clearing_post_tags_empties_it_from_every_tag() -> None:
    python, flask = TagFactory(), TagFactory()
    post = PostFactory(tags=[python, flask])

    post.tags.clear()

    assert python.posts == []
    assert flask.posts == []
    db.session.flush()
    assert rows.tag_links(post_id=post.id) == set()
    assert rows.exists("tags", python.id)
    assert rows.exists("tags", flask.id)


def test_changing_only_the_tags_writes_no_row_of_posts(sql: StatementLog) -> None:
    post = PostFactory(tags=[TagFactory()])
    assert len(post.tags) == 1

    with sql.recording() as statements:
        post.tags = [TagFactory()]
        db.session.flush()

    # Only post_tags rows (and the new tag) are written: an onupdate on posts would not fire.
    assert not any(s.startswith("UPDATE posts") for s in statements)
    assert any(s.startswith("DELETE FROM post_tags") for s in statements)
    assert any(s.startswith("INSERT INTO post_tags") for s in statements)
