"""User.posts <-> Post.author: how back_populates keeps both sides of a one-to-many in step.

Each test changes one side and checks the other side in memory, before any flush, then flushes and
reads the row back with plain SQL to see what the database was told. With the collections loaded
no SQL is sent; two tests show what an unloaded user.posts costs: an append loads it first,
setting post.author loads nothing.
"""

from __future__ import annotations

from blog.db import db
from blog.models import Post
from tests import rows
from tests.factories import PostFactory, UserFactory
from tests.helpers import StatementLog


def new_post() -> Post:
    return Post(title="A title", body="A body")


def test_appending_to_user_posts_sets_post_author_at_once(sql: StatementLog) -> None:
    alice = UserFactory()
    assert alice.posts == []  # loaded now, so the step below has nothing to load
    post = new_post()

    with sql.recording() as statements:
        alice.posts.append(post)
        assert post.author is alice
        # The foreign key is a column: it is only written at flush.
        assert post.author_id is None
    assert statements == []

    db.session.flush()
    assert post.author_id == alice.id
    assert rows.author_id(post.id) == alice.id


def test_setting_post_author_appends_to_user_posts_at_once(sql: StatementLog) -> None:
    alice = UserFactory()
    assert alice.posts == []
    post = new_post()

    with sql.recording() as statements:
        post.author = alice
        assert alice.posts == [post]
    assert statements == []

    # SQLAlchemy 2.x no longer cascades an object into the session through the reverse side:
    # the post is linked in memory but must still be added.
    assert post not in db.session
    db.session.add(post)
    db.session.flush()
    assert rows.author_id(post.id) == alice.id


def test_appending_to_an_unloaded_user_posts_loads_it_first(sql: StatementLog) -> None:
    alice = UserFactory()
    PostFactory.create_batch(2, author=alice)
    db.session.expire(alice, ["posts"])  # alice.posts is now unloaded
    post = new_post()

    with sql.recording() as statements:
        alice.posts.append(post)
    # A list can only be appended to once it is there: one SELECT of alice's posts.
    assert len(statements) == 1
    assert statements[0].startswith("SELECT posts.id")
    assert "WHERE %(param_1)s::INTEGER = posts.author_id" in statements[0]
    assert len(alice.posts) == 3


def test_setting_post_author_on_an_unloaded_user_posts_loads_nothing(sql: StatementLog) -> None:
    alice = UserFactory()
    PostFactory.create_batch(2, author=alice)
    db.session.expire(alice, ["posts"])
    post = new_post()

    with sql.recording() as statements:
        post.author = alice
    # The append to alice.posts is queued, not loaded for.
    assert statements == []
    db.session.add(post)
    assert len(alice.posts) == 3  # the load, when it comes, includes the new post


def test_removing_from_user_posts_clears_post_author(sql: StatementLog) -> None:
    alice = UserFactory()
    post = PostFactory(author=alice)
    assert alice.posts == [post]

    with sql.recording() as statements:
        alice.posts.remove(post)
        assert post.author is None
    assert statements == []

    db.session.flush()
    # A post without an author is an orphan, and User.posts has delete-orphan: it is deleted.
    assert not rows.exists("posts", post.id)


def test_reassigning_post_author_moves_it_between_users_collections(sql: StatementLog) -> None:
    alice, bob = UserFactory(), UserFactory()
    post = PostFactory(author=alice)
    assert alice.posts == [post]
    assert bob.posts == []

    with sql.recording() as statements:
        post.author = bob
        assert alice.posts == []
        assert bob.posts == [post]
    assert statements == []

    db.session.flush()
    # Moved to a new parent, so not an orphan: the row survives with the new author.
    assert rows.author_id(post.id) == bob.id


def test_setting_post_author_to_none_removes_it_from_user_posts(sql: StatementLog) -> None:
    alice = UserFactory()
    post = PostFactory(author=alice)
    assert alice.posts == [post]

    with sql.recording() as statements:
        post.author = None  # type: ignore[assignment]
        assert alice.posts == []
    assert statements == []

    db.session.flush()
    assert not rows.exists("posts", post.id)


def test_replacing_user_posts_updates_every_post_author(sql: StatementLog) -> None:
    alice = UserFactory()
    old_one, old_two = PostFactory(author=alice), PostFactory(author=alice)
    new_one, new_two = new_post(), new_post()
    assert set(alice.posts) == {old_one, old_two}

    with sql.recording() as statements:
        alice.posts = [new_one, new_two]
        assert old_one.author is None
        assert old_two.author is None
        assert new_one.author is alice
        assert new_two.author is alice
    assert statements == []

    db.session.flush()
    assert rows.author_id(new_one.id) == alice.id
    assert rows.author_id(new_two.id) == alice.id
    assert not rows.exists("posts", old_one.id)
    assert not rows.exists("posts", old_two.id)


def test_setting_the_foreign_key_column_updates_neither_side_until_expired() -> None:
    alice, bob = UserFactory(), UserFactory()
    post = PostFactory(author=alice)
    assert alice.posts == [post]
    assert bob.posts == []

    post.author_id = bob.id
    db.session.flush()

    # The database has the new author ...
    assert rows.author_id(post.id) == bob.id
    # ... but back_populates only listens to the relationship attributes, not to the column.
    assert post.author is alice
    assert alice.posts == [post]
    assert bob.posts == []

    db.session.expire_all()
    assert post.author is bob
    assert alice.posts == []
    assert bob.posts == [post]
