"""The post counts PostgreSQL keeps (users.post_count, tags.post_count, counters 'posts').

Statement triggers on INSERT, UPDATE and DELETE keep them, so they must match count(*) after
any such statement, however it is sent: through the ORM, in raw SQL, by ON DELETE CASCADE, or by
COPY. TRUNCATE fires none of these triggers, and leaves the counts wrong.
"""

from __future__ import annotations

from sqlalchemy import text

from blog.db import db
from tests.factories import PostFactory, TagFactory, UserFactory
from tests.helpers import copy_rows


def assert_counts_are_exact() -> None:
    def scalar(sql: str) -> object:
        return db.session.scalar(text(sql))

    assert scalar("SELECT value FROM counters WHERE name = 'posts'") == scalar(
        "SELECT count(*) FROM posts"
    )
    assert (
        scalar(
            "SELECT count(*) FROM users WHERE post_count <>"
            " (SELECT count(*) FROM posts WHERE author_id = users.id)"
        )
        == 0
    )
    assert (
        scalar(
            "SELECT count(*) FROM tags WHERE post_count <>"
            " (SELECT count(*) FROM post_tags WHERE tag_id = tags.id)"
        )
        == 0
    )


def post_count(table: str, row_id: int) -> int:
    query = text(f"SELECT post_count FROM {table} WHERE id = :id")  # noqa: S608 - fixed names
    return int(db.session.scalar(query, {"id": row_id}) or 0)


def test_writing_posts_counts_them_for_the_author_the_tags_and_the_total() -> None:
    alice = UserFactory()
    python, sql = TagFactory(), TagFactory()
    PostFactory(author=alice, tags=[python, sql])
    PostFactory(author=alice, tags=[python])

    assert post_count("users", alice.id) == 2
    assert (post_count("tags", python.id), post_count("tags", sql.id)) == (2, 1)
    assert_counts_are_exact()


def test_deleting_posts_users_and_tags_keeps_the_counts_exact() -> None:
    alice, bob = UserFactory(), UserFactory()
    python = TagFactory()
    mine = PostFactory(author=alice, tags=[python])
    PostFactory(author=bob, tags=[python])
    PostFactory(author=bob)

    db.session.delete(mine)
    db.session.flush()
    assert post_count("tags", python.id) == 1
    assert_counts_are_exact()

    db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": bob.id})  # cascades
    assert post_count("tags", python.id) == 0
    assert_counts_are_exact()


def test_retagging_and_moving_posts_moves_the_counts() -> None:
    alice, bob = UserFactory(), UserFactory()
    python, sql = TagFactory(), TagFactory()
    post = PostFactory(author=alice, tags=[python])

    post.tags = [sql]
    post.author = bob
    db.session.flush()

    assert (post_count("users", alice.id), post_count("users", bob.id)) == (0, 1)
    assert (post_count("tags", python.id), post_count("tags", sql.id)) == (0, 1)
    assert_counts_are_exact()


def test_raw_sql_is_counted_too() -> None:
    alice = UserFactory()
    python = TagFactory()

    post_id = db.session.scalar(
        text("INSERT INTO posts (title, body, author_id) VALUES ('t', 'b', :a) RETURNING id"),
        {"a": alice.id},
    )
    db.session.execute(
        text("INSERT INTO post_tags (post_id, tag_id) VALUES (:p, :t)"),
        {"p": post_id, "t": python.id},
    )

    assert post_count("users", alice.id) == 1
    assert post_count("tags", python.id) == 1
    assert_counts_are_exact()


def test_rows_loaded_with_copy_are_counted() -> None:
    alice = UserFactory()
    python = TagFactory()

    # COPY, not INSERT, as bulk loads do: the counting triggers fire for the rows it loads too.
    copy_rows(
        "COPY posts (title, body, author_id) FROM STDIN",
        [(f"Post {n}", "b", alice.id) for n in range(3)],
    )
    post_ids = db.session.scalars(
        text("SELECT id FROM posts WHERE author_id = :a"), {"a": alice.id}
    )
    copy_rows("COPY post_tags (post_id, tag_id) FROM STDIN", [(p, python.id) for p in post_ids])

    assert post_count("users", alice.id) == 3
    assert post_count("tags", python.id) == 3
    assert_counts_are_exact()


def test_truncate_is_not_counted() -> None:
    tag = TagFactory()
    PostFactory(tags=[tag])
    assert post_count("tags", tag.id) == 1

    db.session.execute(text("TRUNCATE post_tags"))

    # No trigger fires on TRUNCATE: the tag still counts the post it lost.
    assert post_count("tags", tag.id) == 1
    assert db.session.scalar(text("SELECT count(*) FROM post_tags")) == 0
