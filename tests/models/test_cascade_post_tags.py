"""Deleting tags, and unlinking tags from posts: only post_tags rows ever go.

Post.tags and Tag.posts keep the default cascade, "save-update, merge", with no "delete": a tag
is shared, so deleting one post must not delete it, loaded or not, and a tag left with no posts
stays until something deletes it on purpose. A new tag added to a post is saved with it.
"""

from __future__ import annotations

from sqlalchemy import text

from blog.db import db
from blog.models import Tag
from tests import rows
from tests.factories import PostFactory, TagFactory
from tests.helpers import StatementLog


def test_deleting_a_tag_keeps_its_posts(sql: StatementLog) -> None:
    tag, other = TagFactory(), TagFactory()
    posts = [PostFactory(tags=[tag, other]), PostFactory(tags=[tag])]
    db.session.expire(tag, ["posts"])

    with sql.recording() as statements:
        db.session.delete(tag)
        db.session.flush()

    # passive_deletes: one DELETE; ON DELETE CASCADE removes the tag's post_tags rows.
    assert statements == ["DELETE FROM tags WHERE tags.id = %(id)s::INTEGER"]
    assert not rows.exists("tags", tag.id)
    assert rows.tag_links(tag_id=tag.id) == set()
    for post in posts:
        assert rows.exists("posts", post.id)
    assert rows.tag_links(tag_id=other.id) == {(posts[0].id, other.id)}


def test_deleting_a_tag_with_raw_sql_keeps_its_posts() -> None:
    tag = TagFactory()
    post = PostFactory(tags=[tag])

    db.session.execute(text("DELETE FROM tags WHERE id = :id"), {"id": tag.id})

    assert rows.tag_links(tag_id=tag.id) == set()
    assert rows.exists("posts", post.id)


def test_a_deleted_tag_stays_in_loaded_collections_until_they_are_reloaded() -> None:
    tag = TagFactory()
    post = PostFactory(tags=[tag])
    assert tag.posts == [post]

    db.session.delete(tag)
    db.session.flush()

    assert rows.tag_links(post_id=post.id) == set()
    # The in-memory collection on the other side still holds the deleted tag until it is
    # reloaded: a delete is not a collection change, so back_populates has nothing to do.
    assert post.tags == [tag]
    db.session.expire(post, ["tags"])
    assert post.tags == []


def test_removing_a_tag_from_a_post_deletes_only_the_link(sql: StatementLog) -> None:
    tag = TagFactory()
    post, other = PostFactory(tags=[tag]), PostFactory(tags=[tag])
    assert post.tags == [tag]

    with sql.recording() as statements:
        post.tags.remove(tag)
        db.session.flush()

    assert statements == [
        "DELETE FROM post_tags WHERE post_tags.post_id = %(post_id)s::INTEGER"
        " AND post_tags.tag_id = %(tag_id)s::INTEGER"
    ]
    assert rows.exists("tags", tag.id)
    assert rows.tag_links(tag_id=tag.id) == {(other.id, tag.id)}


def test_deleting_a_post_whose_tags_are_loaded_keeps_the_tags(sql: StatementLog) -> None:
    shared, own = TagFactory(), TagFactory()
    post, other = PostFactory(tags=[shared, own]), PostFactory(tags=[shared])
    assert post.tags == [shared, own]  # loaded: a "delete" cascade would reach both

    with sql.recording() as statements:
        db.session.delete(post)
        db.session.flush()

    # The ORM deletes the loaded links itself, then the post; no tag is deleted.
    assert [s.split(" WHERE")[0] for s in statements] == [
        "DELETE FROM post_tags",
        "DELETE FROM posts",
    ]
    assert rows.exists("tags", shared.id)
    assert rows.exists("tags", own.id)
    assert rows.tag_links(tag_id=shared.id) == {(other.id, shared.id)}


def test_a_new_tag_added_to_a_post_is_saved_with_it() -> None:
    post = PostFactory()
    tag = Tag(name="new-tag")

    post.tags.append(tag)

    # The save-update cascade of Post.tags takes the new tag into the session at once.
    assert tag in db.session
    db.session.flush()
    assert rows.tag_links(post_id=post.id) == {(post.id, tag.id)}


def test_a_tag_left_without_posts_is_not_deleted() -> None:
    tag = TagFactory()
    post = PostFactory(tags=[tag])

    db.session.delete(post)
    db.session.flush()

    assert rows.exists("tags", tag.id)
    assert rows.tag_links(tag_id=tag.id) == set()
