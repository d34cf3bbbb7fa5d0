"""Synthetic posts in bulk, for the benchmark and the soak, loaded with COPY.

    python -m bench.bulk --posts 10000     top the synthetic posts up to 10,000 in the database
                                           DATABASE_URL names (not with BLOG_ENV=production)

`seed_bulk(posts=N)` makes sure there are N posts by synthetic writers (`writer00001`, ...),
each with three tags from a pool of 300, with likes, comments and follows in fixed proportions.
It loads them with PostgreSQL's COPY rather than one INSERT per row, and adds only the posts
that are missing. The writers share a password published here (WRITER_PASSWORD), so the
command refuses to run in production.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import ceil
from time import perf_counter
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert

from blog import create_app
from blog.auth import hash_password
from blog.config import ConfigError, Settings
from blog.db import db
from blog.models import Post, User
from blog.posts import ensure_tags
from tests.helpers import copy_rows

WRITER_PREFIX = "writer"  # writer00001, writer00002, ...
NOT_IN_PRODUCTION = "the synthetic writers have a published password: not in production"
WRITER_PASSWORD = "bench-writer-password"  # noqa: S105 - published, so never in production
POSTS_PER_WRITER = 20
TAG_POOL_SIZE = 300
TAGS_PER_POST = 3
FOLLOWS_PER_WRITER = 5
_BULK_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_BULK_BODIES = (
    "A short note on the topic, long enough to look like a real post in a list.",
    "Some thoughts, a code sample left out for brevity, and a link that is not here.",
    "What worked, what did not, and what to try next time.",
)


@dataclass(frozen=True)
class BulkReport:
    """What seed_bulk() added: writers, posts and the rows around them."""

    users: int
    posts: int
    links: int  # tags of posts, likes, comments, follows and profiles
    seconds: float

    @property
    def rows(self) -> int:
        """Return users + posts + links."""
        return self.users + self.posts + self.links


def _writer_name(number: int) -> str:
    return f"{WRITER_PREFIX}{number:05d}"


def _bulk_tag_names() -> list[str]:
    return [f"topic-{number:03d}" for number in range(TAG_POOL_SIZE)]


def _sequence_values(table: str, count: int) -> list[int]:
    query = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
    return list(db.session.scalars(query, {"table": table, "n": count}))


def _count_writer_posts() -> int:
    query = (
        select(func.count())
        .select_from(Post)
        .join(Post.author)
        .where(User.username.startswith(WRITER_PREFIX))
    )
    return db.session.scalar(query) or 0


def seed_bulk(*, posts: int) -> BulkReport:
    """Make sure there are `posts` synthetic posts, loading the missing ones with COPY.

    Each new post has three tags; of every three posts one has no like, one has one and one has
    two (one when there is only one writer); every fourth has a comment. Likes and comments are
    by synthetic writers, and each new writer follows the next five (all the others, if fewer).
    """
    started = perf_counter()
    have = _count_writer_posts()
    if have >= posts:
        return BulkReport(users=0, posts=0, links=0, seconds=perf_counter() - started)

    writers_needed = ceil(posts / POSTS_PER_WRITER)
    password_hash = hash_password(WRITER_PASSWORD)
    new_writers = db.session.execute(
        insert(User)
        .values(
            [
                {
                    "username": _writer_name(n),
                    "email": f"{_writer_name(n)}@example.com",
                    "password_hash": password_hash,
                }
                for n in range(1, writers_needed + 1)
            ]
        )
        .on_conflict_do_nothing()
        .returning(User.id)
    ).all()
    new_writer_ids = {row.id for row in new_writers}
    writers = list(
        db.session.scalars(
            select(User.id).where(User.username.startswith(WRITER_PREFIX)).order_by(User.username)
        )
    )
    tag_ids = [tag.id for tag in ensure_tags(_bulk_tag_names())]

    post_ids = _sequence_values("posts", posts - have)
    rows: dict[str, list[tuple[Any, ...]]] = {
        "posts": [],
        "post_tags": [],
        "likes": [],
        "comments": [],
        "follows": [],
        "profiles": [(user_id,) for user_id in sorted(new_writer_ids)],  # every user has one
    }
    for post_id, number in zip(post_ids, range(have, posts), strict=True):
        created_at = _BULK_EPOCH + timedelta(minutes=number)
        first_tag = (number * 37) % TAG_POOL_SIZE
        rows["posts"].append(
            (
                post_id,
                f"Notes on topic-{first_tag:03d}, part {number + 1}",
                _BULK_BODIES[number % len(_BULK_BODIES)],
                writers[number % len(writers)],
                created_at,
                created_at,
            )
        )
        rows["post_tags"] += [
            (post_id, tag_ids[(first_tag + offset) % TAG_POOL_SIZE])
            for offset in range(TAGS_PER_POST)
        ]
        # The next writers after the post's number, each once (one if there is only one writer).
        likers = dict.fromkeys(writers[(number + n + 1) % len(writers)] for n in range(number % 3))
        rows["likes"] += [(liker, post_id, created_at) for liker in likers]
        if number % 4 == 0:
            by = writers[(number + 3) % len(writers)]
            rows["comments"].append((post_id, by, "Thanks for writing this up.", created_at))
    for position, writer in enumerate(writers):
        if writer in new_writer_ids:
            following = {
                writers[(position + n) % len(writers)] for n in range(1, FOLLOWS_PER_WRITER + 1)
            }
            following.discard(writer)
            rows["follows"] += [(writer, followed) for followed in sorted(following)]

    # All of these rows are new (new posts, new writers), so plain COPY cannot collide.
    copy_rows("COPY profiles (user_id) FROM STDIN", rows["profiles"])
    copy_rows(
        "COPY posts (id, title, body, author_id, created_at, updated_at) FROM STDIN",
        rows["posts"],
    )
    copy_rows("COPY post_tags (post_id, tag_id) FROM STDIN", rows["post_tags"])
    copy_rows("COPY likes (user_id, post_id, created_at) FROM STDIN", rows["likes"])
    copy_rows("COPY comments (post_id, author_id, body, created_at) FROM STDIN", rows["comments"])
    copy_rows("COPY follows (follower_id, followed_id) FROM STDIN", rows["follows"])
    # Fresh statistics, so the planner knows the tables just grew.
    db.session.execute(text("ANALYZE"))
    return BulkReport(
        users=len(new_writers),
        posts=len(rows["posts"]),
        links=sum(len(rows[t]) for t in ("post_tags", "likes", "comments", "follows", "profiles")),
        seconds=perf_counter() - started,
    )


def load(posts: int) -> str:
    """Top the synthetic posts up to `posts`, commit, and say what was added."""
    report = seed_bulk(posts=posts)
    db.session.commit()
    if not report.posts:
        return f"All {posts} synthetic posts were already there."
    return (
        f"Added {report.users} users, {report.posts} posts and {report.links} other rows"
        f" in {report.seconds:.2f} s ({report.rows / report.seconds:,.0f} rows/s)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Load the synthetic posts into DATABASE_URL's database, refusing to in production."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bulk", description="Load synthetic posts in bulk, with COPY."
    )
    parser.add_argument("--posts", type=int, required=True, help="how many there should be")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        parser.error(str(exc))
    if settings.env == "production":
        parser.error(NOT_IN_PRODUCTION)
    with create_app(settings).app_context():
        print(load(args.posts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
