"""Benchmark databases: built by the migrations, filled by the bulk loader (bench/bulk.py)."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from dataclasses import dataclass
from datetime import timedelta
from math import ceil
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text

from bench.bulk import WRITER_PREFIX, seed_bulk
from blog import create_app
from blog.auth import issue_token
from blog.config import Settings
from blog.db import db
from blog.models import Comment, Post, Profile, User
from blog.posts import PostCursor, post_listing
from tests.databases import migrate, recreate

RESULTS = Path(__file__).resolve().parent / "results"
READER = "reader"
READER_FOLLOWS = 50
THREAD_ROOTS = 60
PER_PAGE = 20
DEEP_PAGE = 2000


@dataclass(frozen=True)
class Dataset:
    """A filled benchmark database and the values its requests need."""

    size: int
    settings: Settings
    token: str
    single_post: int
    thread_post: int
    tag: str
    deep_page: int
    deep_cursor: str
    seed_seconds: float
    seed_rows: int


def _add_reader_and_thread(reader_follows: int) -> tuple[User, Post]:
    """Add a reader who follows writers and likes posts, and a long thread on the newest post."""
    writers = list(
        db.session.scalars(
            select(User).where(User.username.startswith(WRITER_PREFIX)).limit(reader_follows)
        )
    )
    reader = User(
        username=READER,
        email="reader@example.com",
        password_hash="!",  # noqa: S106 - matches no password: the reader only uses its token
        profile=Profile(),
    )
    db.session.add(reader)
    reader.following.extend(writers)
    newest = db.session.scalars(
        select(Post).order_by(Post.created_at.desc(), Post.id.desc())
    ).first()
    if newest is None:
        raise RuntimeError("the bulk loader made no posts")
    reader.liked_posts.extend(
        db.session.scalars(
            select(Post).where(Post.author_id.in_([w.id for w in writers])).limit(200)
        )
    )
    for n in range(THREAD_ROOTS):
        at = newest.created_at + timedelta(minutes=n)
        author = writers[n % len(writers)]
        root = Comment(body=f"Comment {n}", post=newest, author=author, created_at=at)
        reply = Comment(body="A reply", post=newest, author=reader, created_at=at, parent=root)
        deeper = Comment(
            body="And one more", post=newest, author=author, created_at=at, parent=reply
        )
        # Linking them to objects already in the session does not add them (SQLAlchemy 2.x).
        db.session.add_all([root, reply, deeper])
    db.session.flush()
    return reader, newest


def vacuum(url: str) -> None:
    """VACUUM ANALYZE the fresh database, so autovacuum does not do it during the measurements."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("VACUUM (ANALYZE)"))
    finally:
        engine.dispose()


def build(size: int, settings: Settings) -> Dataset:
    """Create, migrate and fill the benchmark database for `size` posts."""
    recreate(settings.database_url)
    migrate(settings.database_url)
    app = create_app(settings.model_copy(update={"env": "production"}))
    with app.app_context():
        report = seed_bulk(posts=size)
        reader, thread = _add_reader_and_thread(READER_FOLLOWS)
        db.session.execute(text("ANALYZE"))
        single = db.session.scalar(select(Post.id).order_by(Post.id).offset(size // 2).limit(1))
        deep_page = min(DEEP_PAGE, max(2, ceil(size / PER_PAGE)))
        before = db.session.execute(
            select(Post.created_at, Post.id)
            .order_by(Post.created_at.desc(), Post.id.desc())
            .offset((deep_page - 1) * PER_PAGE - 1)
            .limit(1)
        ).one()
        token, _ = issue_token(reader)
        db.session.commit()
        db.engine.dispose()
    vacuum(settings.database_url)
    return Dataset(
        size=size,
        settings=settings,
        token=token,
        single_post=single or 1,
        thread_post=thread.id,
        tag="topic-042",
        deep_page=deep_page,
        deep_cursor=PostCursor(
            deep_page, before.created_at, before.id, post_listing(tag=None, author=None).scope
        ).encode(settings.secret_key),
        seed_seconds=report.seconds,
        seed_rows=report.rows,
    )


def database_argument(parser: argparse.ArgumentParser, name: str, help: str) -> None:
    """Add `--database`, the URL of what a run creates and drops again (`<NAME>_DATABASE_URL`)."""
    default = f"postgresql://postgres@127.0.0.1:5432/blog_{name}"
    parser.add_argument(
        "--database", default=os.environ.get(f"{name.upper()}_DATABASE_URL", default), help=help
    )


def run_settings(database_url: str) -> Settings:
    """Return the production settings of a run on `database_url`, with a key of its own."""
    return Settings(
        env="production", database_url=database_url, secret_key=secrets.token_urlsafe(48)
    )


def finish(name: str, report: dict[str, Any], problems: list[str], log: str) -> int:
    """Write `report` to bench/results/<name>.json and print the problems, with the end of the
    server's log if it shows a traceback; return the exit status: 1 if there were problems."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"Written to {RESULTS / f'{name}.json'}.")
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    if problems and "Traceback" in log:
        print(log[-5000:], file=sys.stderr)
    return 1 if problems else 0
